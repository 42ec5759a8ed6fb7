//! Coupons end to end on both backends: templates checked, issued with unique codes, listed
//! for the till, applied at checkout with their conditions, used at most once even when two
//! tills try at the same moment, and counted in the usage report.

use crate::both;
use crate::harness::{Kind, api, start, store, token_for};
use crate::notices::member;
use crate::points::customer;
use serde_json::json;

async fn coupons_apply_once_with_their_conditions(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S1").await;
    let till = s
        .app
        .create_api_key(None, s1, "收银台", None)
        .await
        .expect("key");
    let member = customer(&s.app, s1, "13900139000").await;
    let owner = token_for(&s.app, "owner").await;

    let (st, p, _) = api(
        &s.base,
        "POST",
        "/api/v1/coupon-templates",
        Some(&owner),
        Some(json!({"name": "两种都填", "amount_fen": 100, "off_permille": 100, "valid_days": 30})),
    )
    .await;
    assert_eq!((st, p["field"].as_str()), (422, Some("amount")));
    let (st, t, _) = api(
        &s.base,
        "POST",
        "/api/v1/coupon-templates",
        Some(&owner),
        Some(
            json!({"name": "瓷砖满300减50", "amount_fen": 5000, "min_spend_fen": 30000,
                    "category": "tile", "valid_days": 30}),
        ),
    )
    .await;
    assert_eq!(st, 201, "{t}");
    let template = t["id"].as_i64().expect("id");
    let (st, issued, _) = api(
        &s.base,
        "POST",
        &format!("/api/v1/coupon-templates/{template}/issue"),
        Some(&owner),
        Some(json!({"customer_ids": [member, member, member], "reason": "开业活动"})),
    )
    .await;
    assert_eq!(st, 201, "{issued}");
    let codes: Vec<String> = issued["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code").to_string())
        .collect();
    assert_eq!(codes.len(), 3);
    assert!(codes[0] != codes[1] && codes[1] != codes[2]);
    let (st, usable, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/members/{member}/coupons"),
        Some(&till),
        None,
    )
    .await;
    assert_eq!((st, usable.as_array().map(Vec::len)), (200, Some(3)));

    let checkout = |key: &str, receipt: &str, tile_qty: i64, code: &str| {
        let body = json!({"store_code": "S1", "receipt_no": receipt, "phone": "13900139000",
            "lines": [{"sku": "T1", "name": "瓷砖", "category": "tile", "quantity": tile_qty, "unit_price_fen": 20000},
                      {"sku": "P1", "name": "乳胶漆", "category": "paint", "quantity": 1, "unit_price_fen": 15000}],
            "coupons": [code]});
        let (base, till, key) = (s.base.clone(), till.clone(), key.to_string());
        async move {
            let res = reqwest::Client::new()
                .post(format!("{base}/api/v1/checkout"))
                .header("authorization", format!("Bearer {till}"))
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .expect("send");
            let st = res.status().as_u16();
            (st, res.json::<serde_json::Value>().await.expect("json"))
        }
    };
    // ¥200 of tiles is below the ¥300 the coupon needs in its category.
    let (st, p) = checkout("c-1", "R1", 1, &codes[0]).await;
    assert_eq!((st, p["field"].as_str()), (422, Some("coupons")), "{p}");
    // Typed in lower case with spaces: still the code. ¥50 comes off the tiles only.
    let typed = codes[0].to_lowercase().replace('-', " ");
    let (st, r) = checkout("c-2", "R2", 2, &typed).await;
    assert_eq!(st, 201, "{r}");
    assert_eq!(r["discount_fen"], 5000);
    assert_eq!(r["paid_fen"], 40000 + 15000 - 5000);
    assert_eq!(r["points_earned"], 500);
    assert_eq!(r["coupons"][0]["code"], codes[0]);
    let (st, p) = checkout("c-3", "R3", 2, &codes[0]).await;
    assert_eq!(
        (st, p["field"].as_str()),
        (422, Some("coupons")),
        "used once"
    );

    // Two tills at once with the same code: exactly one sale gets it.
    let (a, b) = tokio::join!(
        checkout("c-4", "R4", 2, &codes[1]),
        checkout("c-5", "R5", 2, &codes[1])
    );
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses[0], 201, "{a:?} {b:?}");
    assert!(matches!(statuses[1], 409 | 422), "{a:?} {b:?}");

    let (st, usage, _) = api(&s.base, "GET", "/api/v1/coupons/usage", Some(&owner), None).await;
    assert_eq!(st, 200);
    assert_eq!(
        (
            &usage[0]["issued"],
            &usage[0]["used"],
            &usage[0]["usable"],
            &usage[0]["discount_fen"]
        ),
        (&json!(3), &json!(2), &json!(1), &json!(10000))
    );
    let audit = crate::harness::audit(&s.app, "coupon.issue", "").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(
        s.app.db().points_mismatches().await.expect("ledger"),
        vec![]
    );
    s.shutdown().await;
}
both!(coupons_apply_once_with_their_conditions);

/// A birthday coupon is taken only in the month of the member's birthday (the test clock
/// stands at 23 November in Shanghai), and refused with a reason when no birthday is known.
async fn birthday_coupons_wait_for_the_birthday_month(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S1").await;
    let till = s
        .app
        .create_api_key(None, s1, "收银台", None)
        .await
        .expect("key");
    let owner = token_for(&s.app, "owner").await;
    let in_month = member(&s.app, s1, "13900139001", "", "1990-11-30").await;
    let next_month = member(&s.app, s1, "13900139002", "", "1990-12-01").await;
    let unknown = member(&s.app, s1, "13900139003", "", "").await;
    let (st, t, _) = api(
        &s.base,
        "POST",
        "/api/v1/coupon-templates",
        Some(&owner),
        Some(json!({"name": "生日月立减", "amount_fen": 2000, "birthday_month": true, "valid_days": 60})),
    )
    .await;
    assert_eq!((st, &t["birthday_month"]), (201, &json!(true)), "{t}");
    let template = t["id"].as_i64().expect("id");
    let (st, issued, _) = api(
        &s.base,
        "POST",
        &format!("/api/v1/coupon-templates/{template}/issue"),
        Some(&owner),
        Some(json!({"customer_ids": [in_month, next_month, unknown], "reason": "生日月"})),
    )
    .await;
    assert_eq!(st, 201, "{issued}");
    let code = |i: usize| issued["codes"][i].as_str().expect("code").to_string();
    let pay = |phone: &str, code: String, receipt: &str| {
        let body = json!({"store_code": "S1", "receipt_no": receipt, "phone": phone,
            "lines": [{"sku": "P1", "name": "乳胶漆", "category": "paint", "quantity": 1, "unit_price_fen": 15000}],
            "coupons": [code]});
        let (base, till, key) = (s.base.clone(), till.clone(), format!("b-{receipt}"));
        async move {
            let res = reqwest::Client::new()
                .post(format!("{base}/api/v1/checkout"))
                .header("authorization", format!("Bearer {till}"))
                .header("idempotency-key", key)
                .header("accept-language", "zh-CN")
                .json(&body)
                .send()
                .await
                .expect("send");
            let st = res.status().as_u16();
            (st, res.json::<serde_json::Value>().await.expect("json"))
        }
    };
    let (st, p) = pay("13900139002", code(1), "B2").await;
    assert_eq!((st, p["field"].as_str()), (422, Some("coupons")), "{p}");
    assert!(
        p.to_string().contains("生日当月"),
        "the reason is given: {p}"
    );
    let (st, p) = pay("13900139003", code(2), "B3").await;
    assert_eq!((st, p["field"].as_str()), (422, Some("coupons")), "{p}");
    assert!(p.to_string().contains("没有（公历）生日"), "{p}");
    let (st, r) = pay("13900139001", code(0), "B1").await;
    assert_eq!((st, &r["discount_fen"]), (201, &json!(2000)), "{r}");
    // Refused coupons stay usable for their owners.
    let (st, usable, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/members/{next_month}/coupons"),
        Some(&till),
        None,
    )
    .await;
    assert_eq!((st, usable.as_array().map(Vec::len)), (200, Some(1)));
    s.shutdown().await;
}
both!(birthday_coupons_wait_for_the_birthday_month);
