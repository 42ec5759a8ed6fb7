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
    // The story runs thirteen months; the owner's API token must outlive it.
    let Some(s) = start(kind, |c| c.security.token_valid_days = 3660).await else {
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
    let page = c
        .get(&format!("/console/customers/{member}?tab=points"))
        .await;
    assert!(
        page.body.contains(&newer),
        "the customer page shows the card"
    );
    assert_eq!(crate::harness::audit(&s.app, "card.", "").await.len(), 3);
    s.shutdown().await;
}
both!(cards_identify_members_at_the_till);

/// Ending a membership: points forfeited with a ledger entry, coupons voided, card
/// cancelled, checkout refused until the member is taken back, who then starts afresh.
async fn ending_a_membership_follows_the_stated_policy(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S1").await;
    let member = customer(&s.app, s1, "13100131000").await;
    let owner = token_for(&s.app, "owner").await;
    let till = Till {
        base: s.base.clone(),
        key: s
            .app
            .create_api_key(None, s1, "收银台", None)
            .await
            .expect("key"),
    };
    let buy = |key: &str, phone: Option<&str>| {
        let mut body = json!({"store_code": "S1", "receipt_no": key,
            "lines": [{"sku": "A", "category": "misc", "quantity": 1, "unit_price_fen": 50_000}]});
        if let Some(p) = phone {
            body["phone"] = json!(p);
        }
        let key = key.to_string();
        let till = &till;
        async move { till.post("/api/v1/checkout", Some(&key), &body).await }
    };
    assert_eq!(buy("E1", Some("13100131000")).await.0, 201);
    let actor = patron_domain::Actor::cli("test");
    let template = s
        .app
        .create_coupon_template(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &patron_app::membership::coupons::TemplateInput {
                name: "回馈券".into(),
                amount_fen: Some(1000),
                valid_days: 30,
                ..Default::default()
            },
        )
        .await
        .expect("template");
    s.app
        .issue_coupons(
            &actor,
            patron_store::Scope::Chain,
            template,
            &[member],
            "回馈",
        )
        .await
        .expect("coupon");
    s.app
        .issue_card(&actor, patron_store::Scope::Chain, member)
        .await
        .expect("card");

    let end = |reason: &str| {
        let (base, owner) = (s.base.clone(), owner.clone());
        let body = json!({"reason": reason});
        async move {
            api(
                &base,
                "POST",
                &format!("/api/v1/customers/{member}/membership/end"),
                Some(&owner),
                Some(body),
            )
            .await
        }
    };
    let (st, ended, _) = end("本人申请注销").await;
    assert_eq!(st, 200, "{ended}");
    assert_eq!(
        (
            &ended["points_forfeited"],
            &ended["coupons_voided"],
            &ended["cards_cancelled"]
        ),
        (&json!(500), &json!(1), &json!(1))
    );
    assert_eq!(s.app.db().points_balance(member).await.expect("balance"), 0);
    let entries = s.app.db().points_entries(member, 5).await.expect("entries");
    assert_eq!(
        (entries[0].kind.code(), entries[0].reason.as_str()),
        ("adjust", "本人申请注销")
    );
    assert!(
        s.app
            .usable_coupons(member)
            .await
            .expect("coupons")
            .is_empty()
    );
    let (st, p, _) = buy("E2", Some("13100131000")).await;
    assert_eq!((st, p["field"].as_str()), (422, Some("member")), "{p}");
    assert_eq!(buy("E3", None).await.0, 201, "anonymous sales go on");
    assert_eq!(end("再来一次").await.0, 422, "ended once");

    let (st, _, _) = api(
        &s.base,
        "POST",
        &format!("/api/v1/customers/{member}/membership/rejoin"),
        Some(&owner),
        None,
    )
    .await;
    assert_eq!(st, 204);
    let (st, r, _) = buy("E4", Some("13100131000")).await;
    assert_eq!(
        (st, &r["balance"], &r["tier"]),
        (201, &json!(500), &json!("standard")),
        "{r}"
    );
    assert_eq!(
        s.app.db().points_mismatches().await.expect("ledger"),
        vec![]
    );
    assert_eq!(crate::harness::audit(&s.app, "member.", "").await.len(), 2);
    s.shutdown().await;
}
both!(ending_a_membership_follows_the_stated_policy);
