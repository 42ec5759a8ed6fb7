//! Member cards on both backends: numbers in the configured format with a valid check digit,
//! checkout and lookup by card, a mistyped number refused by its check digit, a replaced card
//! refused, validity and renewal.

use crate::both;
use crate::checkout::Till;
use crate::harness::{Client, Kind, PASSWORD, api, start, store, token_for};
use crate::points::customer;
use jiff::SignedDuration;
use serde_json::json;

async fn cards_identify_members_at_the_till(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S1").await;
    let member = customer(&s.app, s1, "13200132000").await;
    let owner = token_for(&s.app, "owner").await;
    let till = Till {
        base: s.base.clone(),
        key: s
            .app
            .create_api_key(None, s1, "收银台", None)
            .await
            .expect("key"),
    };
    let mut programme = s.app.loyalty().await.expect("programme").settings.clone();
    programme.card_valid_months = 12;
    s.app
        .save_loyalty(&patron_domain::Actor::cli("test"), programme)
        .await
        .expect("save");

    let issue = |path: String| {
        let (base, owner) = (s.base.clone(), owner.clone());
        async move { api(&base, "POST", &path, Some(&owner), None).await }
    };
    let (st, first, _) = issue(format!("/api/v1/customers/{member}/card")).await;
    assert_eq!(st, 201, "{first}");
    let number = first["card_no"].as_str().expect("number").to_string();
    assert!(number.starts_with("8860") && number.len() == 13, "{number}");
    assert!(patron_domain::membership::card::check(&number));
    assert!(
        first["valid_until"]
            .as_str()
            .is_some_and(|v| v.starts_with("2027-11-2")),
        "{first}"
    );

    let sale = |key: &str, card: &str| {
        let body = json!({"store_code": "S1", "receipt_no": key, "card_no": card,
            "lines": [{"sku": "A", "category": "misc", "quantity": 1, "unit_price_fen": 5000}]});
        let key = key.to_string();
        let till = &till;
        async move { till.post("/api/v1/checkout", Some(&key), &body).await }
    };
    let spaced = format!("{} {} {}", &number[..4], &number[4..8], &number[8..]);
    let (st, r, _) = sale("C1", &spaced).await;
    assert_eq!((st, &r["customer_id"]), (201, &json!(member)), "{r}");
    // One digit wrong: the check digit catches it before any lookup.
    let last = number
        .chars()
        .last()
        .and_then(|c| c.to_digit(10))
        .expect("digit");
    let typo = format!("{}{}", &number[..12], (last + 1) % 10);
    let (st, p, _) = sale("C2", &typo).await;
    assert_eq!((st, p["field"].as_str()), (422, Some("member")));
    assert!(p["title"].as_str().unwrap_or("").contains("校验位"), "{p}");
    let (st, m, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/members/lookup?card={number}"),
        Some(&till.key),
        None,
    )
    .await;
    assert_eq!(
        (st, m["masked_mobile"].as_str()),
        (200, Some("132****2000"))
    );

    // A lost card: the new one works, the old one is refused.
    let (st, second, _) = issue(format!("/api/v1/customers/{member}/card")).await;
    assert_eq!(st, 201);
    let (st, p, _) = sale("C3", &number).await;
    assert_eq!((st, p["field"].as_str()), (422, Some("member")));
    let newer = second["card_no"].as_str().expect("number").to_string();
    assert_ne!(newer, number);

    // Thirteen months later the card has expired; renewing runs twelve months from today.
    s.clock.advance(SignedDuration::from_hours(24 * 400));
    let (st, p, _) = sale("C4", &newer).await;
    assert_eq!((st, p["field"].as_str()), (422, Some("member")), "{p}");
    assert!(p["title"].as_str().unwrap_or("").contains("过期"));
    let (st, renewed, _) = issue(format!("/api/v1/customers/{member}/card/renew")).await;
    assert_eq!(st, 200, "{renewed}");
    assert!(
        renewed["valid_until"]
            .as_str()
            .is_some_and(|v| v.starts_with("2028-12")),
        "{renewed}"
    );
    let (st, _, _) = sale("C5", &newer).await;
    assert_eq!(st, 201);

    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;
    let page = c.get(&format!("/console/customers/{member}")).await;
    assert!(
        page.body.contains(&newer),
        "the customer page shows the card"
    );
    assert_eq!(crate::harness::audit(&s.app, "card.", "").await.len(), 3);
    s.shutdown().await;
}
both!(cards_identify_members_at_the_till);
