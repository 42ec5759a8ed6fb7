//! Spending a member's value at a till (points, coupons, mall rewards) needs the member
//! present: their phone or card as typed or scanned, never a bare customer id from a till
//! key. Earning by id stays allowed. With `till_own_store_only` a till spends only its own
//! store's members. On both backends.

use crate::both;
use crate::checkout::{sale, setup};
use crate::harness::Kind;
use crate::mall::{grant, redeem, reward};
use crate::points::customer;
use patron_app::membership::coupons::TemplateInput;
use patron_domain::Actor;
use serde_json::{Value, json};

fn lines() -> Value {
    json!([{"sku": "GLUE", "category": "tool", "quantity": 1, "unit_price_fen": 10000}])
}

fn by_id(receipt: &str, member: i64, points: i64, coupons: &[&str]) -> Value {
    json!({"store_code": "S1", "receipt_no": receipt, "customer_id": member,
           "lines": lines(), "points_to_redeem": points, "coupons": coupons})
}

async fn a_till_spends_only_for_a_member_present(kind: Kind) {
    let Some((s, till, _, member)) = setup(kind).await else {
        return;
    };
    let app = &s.app;
    let admin = Actor::cli("test");
    grant(app, member, 5_000).await;
    let template = app
        .create_coupon_template(
            &admin,
            patron_store::Scope::Chain,
            &TemplateInput {
                name: "满50减5".into(),
                amount_fen: Some(500),
                valid_days: 30,
                ..Default::default()
            },
        )
        .await
        .expect("template");
    let code = app
        .issue_coupons(
            &admin,
            patron_store::Scope::Chain,
            template,
            &[member],
            "回馈",
        )
        .await
        .expect("coupon")
        .remove(0);

    // By bare id a till key may not spend points or a coupon: the field is named.
    let (st, p, _) = till
        .post(
            "/api/v1/checkout",
            Some("p-1"),
            &by_id("P-1", member, 300, &[]),
        )
        .await;
    assert_eq!((st, p["field"].as_str()), (422, Some("member")), "{p}");
    assert!(
        p["title"]
            .as_str()
            .is_some_and(|t| t.contains("会员卡号或手机号")),
        "{p}"
    );
    let (st, p, _) = till
        .post(
            "/api/v1/checkout",
            Some("p-2"),
            &by_id("P-2", member, 0, &[&code]),
        )
        .await;
    assert_eq!((st, p["field"].as_str()), (422, Some("member")), "{p}");
    assert_eq!(
        app.db().points_balance(member).await.expect("balance"),
        5_000
    );
    // Earning by id stays open: it gives the member value, it takes none.
    let (st, r, _) = till
        .post(
            "/api/v1/checkout",
            Some("p-3"),
            &by_id("P-3", member, 0, &[]),
        )
        .await;
    assert_eq!((st, &r["points_earned"]), (201, &json!(100)), "{r}");
    // With the phone typed at the till the same spend goes through.
    let mut with_phone = sale("P-4", lines(), 300);
    with_phone["coupons"] = json!([code]);
    let (st, r, _) = till
        .post("/api/v1/checkout", Some("p-4"), &with_phone)
        .await;
    assert_eq!((st, &r["points_redeemed"]), (201, &json!(300)), "{r}");

    // A mall redemption by bare id is refused too; by phone it is made.
    let cup = app
        .create_reward(
            &admin,
            patron_store::Scope::Chain,
            &reward("保温杯", 1_000, None, None, app.now()),
        )
        .await
        .expect("reward");
    let (st, p, _) = redeem(
        &s.base,
        &till.key,
        "m-1",
        json!({"store_code": "S1", "customer_id": member, "reward_id": cup}),
    )
    .await;
    assert_eq!((st, p["field"].as_str()), (422, Some("member")), "{p}");
    let (st, r, _) = redeem(
        &s.base,
        &till.key,
        "m-2",
        json!({"store_code": "S1", "phone": "13800138000", "reward_id": cup}),
    )
    .await;
    assert_eq!(st, 201, "{r}");

    // A member of another store: spent at this till by default; not once the chain
    // restricts till keys to their own store's members. Earning stays allowed.
    let s2 = crate::harness::store(app, "S2").await;
    let visitor = customer(app, s2, "13900139000").await;
    grant(app, visitor, 1_000).await;
    let visit = |receipt: &str, points: i64| {
        json!({"store_code": "S1", "receipt_no": receipt, "phone": "13900139000",
               "lines": lines(), "points_to_redeem": points})
    };
    let (st, r, _) = till
        .post("/api/v1/checkout", Some("v-1"), &visit("V-1", 100))
        .await;
    assert_eq!(st, 201, "{r}");
    let mut l = app.loyalty().await.expect("loyalty").settings.clone();
    l.till_own_store_only = true;
    app.save_loyalty(&admin, l).await.expect("save");
    let (st, p, _) = till
        .post("/api/v1/checkout", Some("v-2"), &visit("V-2", 100))
        .await;
    assert_eq!((st, p["field"].as_str()), (422, Some("member")), "{p}");
    assert!(
        p["title"]
            .as_str()
            .is_some_and(|t| t.contains("本门店会员")),
        "says why, in the user's language: {p}"
    );
    let (st, r, _) = till
        .post("/api/v1/checkout", Some("v-3"), &visit("V-3", 0))
        .await;
    assert_eq!(
        st, 201,
        "earning at another store's till stays allowed: {r}"
    );
    let (st, p, _) = redeem(
        &s.base,
        &till.key,
        "m-3",
        json!({"store_code": "S1", "phone": "13900139000", "reward_id": cup}),
    )
    .await;
    assert_eq!((st, p["field"].as_str()), (422, Some("member")), "{p}");
}
both!(a_till_spends_only_for_a_member_present);

/// A sale a till sends late (`sold_at` last week) uses what is valid now: a coupon that
/// expired yesterday does not apply, though it was valid on the sale's date.
async fn a_backdated_sale_judges_coupons_now(kind: Kind) {
    let Some((s, till, _, member)) = setup(kind).await else {
        return;
    };
    let app = &s.app;
    let admin = Actor::cli("test");
    let template = app
        .create_coupon_template(
            &admin,
            patron_store::Scope::Chain,
            &TemplateInput {
                name: "一周券".into(),
                amount_fen: Some(500),
                valid_days: 7,
                ..Default::default()
            },
        )
        .await
        .expect("template");
    let code = app
        .issue_coupons(
            &admin,
            patron_store::Scope::Chain,
            template,
            &[member],
            "回馈",
        )
        .await
        .expect("coupon")
        .remove(0);
    let issued = app.now();
    // Eight days on, the coupon expired yesterday; the sale claims to be from day one.
    s.clock.advance(jiff::SignedDuration::from_hours(24 * 8));
    let mut late = sale("L-1", lines(), 0);
    late["coupons"] = json!([code]);
    late["sold_at"] = json!((issued + jiff::SignedDuration::from_hours(24)).to_string());
    let (st, p, _) = till.post("/api/v1/checkout", Some("l-1"), &late).await;
    assert_eq!(
        (st, p["field"].as_str()),
        (422, Some("coupons")),
        "judged at recording: {p}"
    );
    // Without the coupon the late sale is recorded on its own day.
    late["coupons"] = json!([]);
    let (st, r, _) = till.post("/api/v1/checkout", Some("l-2"), &late).await;
    assert_eq!(st, 201, "{r}");
}
both!(a_backdated_sale_judges_coupons_now);
