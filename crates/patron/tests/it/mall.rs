//! The points mall on both backends: rewards offered within their validity, redeemed at a
//! till with an Idempotency-Key, within stock and per-member limits (also under concurrent
//! redemptions), coupons as rewards, orders moved to fulfilment or cancelled with the points
//! given back, store scoping of orders, and the console pages.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store};
use crate::points::customer;
use jiff::{SignedDuration, Timestamp};
use patron_app::AppError;
use patron_app::membership::coupons::TemplateInput;
use patron_app::membership::mall::{RedeemRequest, RewardInput};
use patron_domain::Actor;
use patron_store::Scope;
use patron_store::membership::points::{EntryKind, EntryNote, NewLot};
use serde_json::{Value, json};

pub(crate) async fn grant(app: &patron_app::App, customer_id: i64, points: i64) {
    let lot = NewLot {
        points,
        usable_from: app.now(),
        expires_at: Some(app.now() + SignedDuration::from_hours(24 * 365)),
    };
    let note = EntryNote {
        reason: "opening balance".into(),
        reference: String::new(),
        actor_name: "test".into(),
    };
    app.db()
        .earn_points(customer_id, &lot, EntryKind::Adjust, &note, app.now())
        .await
        .expect("grant");
}

pub(crate) fn reward(
    name: &str,
    points: i64,
    stock: Option<i64>,
    limit: Option<i64>,
    now: Timestamp,
) -> RewardInput {
    RewardInput {
        name: name.into(),
        description: String::new(),
        coupon_template_id: None,
        points_price: points,
        cash_fen: 0,
        stock,
        per_member_limit: limit,
        valid_from: now,
        valid_until: None,
    }
}

pub(crate) async fn redeem(base: &str, till: &str, key: &str, body: Value) -> (u16, Value, bool) {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/rewards/redeem"))
        .header("authorization", format!("Bearer {till}"))
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .expect("redeem");
    let status = res.status().as_u16();
    let replayed = res.headers().contains_key("idempotent-replayed");
    let text = res.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        replayed,
    )
}

async fn rewards_are_redeemed_within_their_rules(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let admin = Actor::cli("test");
    let s1 = store(app, "S1").await;
    let s2 = store(app, "S2").await;
    let till = app
        .create_api_key(None, s1, "收银台", None)
        .await
        .expect("key");
    let member = customer(app, s1, "13500135000").await;
    grant(app, member, 10_000).await;
    let now = app.now();

    let mut cup = reward("保温杯", 3_000, Some(3), Some(2), now);
    cup.cash_fen = 1_000;
    let cup = app
        .create_reward(&admin, patron_store::Scope::Chain, &cup)
        .await
        .expect("cup");
    let template = app
        .create_coupon_template(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &TemplateInput {
                name: "满100减10".into(),
                amount_fen: Some(1_000),
                min_spend_fen: 10_000,
                valid_days: 30,
                ..Default::default()
            },
        )
        .await
        .expect("template");
    let mut voucher = reward("10元券", 500, None, None, now);
    voucher.coupon_template_id = Some(template);
    let voucher = app
        .create_reward(&admin, patron_store::Scope::Chain, &voucher)
        .await
        .expect("voucher");
    let mut later = reward("春节礼盒", 100, None, None, now);
    later.valid_from = now + SignedDuration::from_hours(24 * 30);
    let later = app
        .create_reward(&admin, patron_store::Scope::Chain, &later)
        .await
        .expect("later");
    let dear = app
        .create_reward(
            &admin,
            patron_store::Scope::Chain,
            &reward("按摩椅", 1_000_000, None, None, now),
        )
        .await
        .expect("dear");

    // Bad input is refused with every field at once.
    let mut bad = reward("", 0, Some(-1), Some(0), now);
    bad.valid_until = Some(now - SignedDuration::from_hours(1));
    match app
        .create_reward(&admin, patron_store::Scope::Chain, &bad)
        .await
    {
        Err(AppError::Fields(f)) => {
            let fields: Vec<&str> = f.iter().map(|e| e.field).collect();
            assert_eq!(
                fields,
                [
                    "name",
                    "points_price",
                    "stock",
                    "per_member_limit",
                    "valid_until"
                ]
            );
        }
        other => panic!("expected field errors, got {other:?}"),
    }

    // The till sees what is on offer now: not the reward whose window has not opened.
    let (st, offered, _) =
        crate::harness::api(&s.base, "GET", "/api/v1/rewards", Some(&till), None).await;
    assert_eq!(st, 200);
    let ids: Vec<i64> = offered
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [voucher, cup, dear]);

    let body = |reward: i64, quantity: i64| json!({"store_code": "S1", "phone": "13500135000", "reward_id": reward, "quantity": quantity});
    let missing_key = reqwest::Client::new()
        .post(format!("{}/api/v1/rewards/redeem", s.base))
        .header("authorization", format!("Bearer {till}"))
        .json(&body(cup, 1))
        .send()
        .await
        .expect("send");
    assert_eq!(missing_key.status().as_u16(), 400);
    let (st, p, _) = redeem(&s.base, &till, "r-0", body(cup, 3)).await;
    assert_eq!(
        (st, p["field"].as_str()),
        (422, Some("quantity")),
        "over the limit: {p}"
    );
    let (st, first, replayed) = redeem(&s.base, &till, "r-1", body(cup, 2)).await;
    assert_eq!((st, replayed), (201, false), "{first}");
    assert_eq!(
        (
            &first["points"],
            &first["cash_fen"],
            &first["status"],
            &first["balance"]
        ),
        (
            &json!(6_000),
            &json!(2_000),
            &json!("placed"),
            &json!(4_000)
        )
    );
    let (st, again, replayed) = redeem(&s.base, &till, "r-1", body(cup, 2)).await;
    assert_eq!(
        (st, replayed, &again),
        (201, true, &first),
        "a retry gets the first answer"
    );
    let (st, p, _) = redeem(&s.base, &till, "r-1", body(cup, 1)).await;
    assert_eq!((st, p["field"].as_str()), (422, Some("Idempotency-Key")));
    let (st, p, _) = redeem(&s.base, &till, "r-2", body(cup, 1)).await;
    assert_eq!(
        (st, p["field"].as_str()),
        (422, Some("quantity")),
        "limit reached: {p}"
    );
    let (st, p, _) = redeem(&s.base, &till, "r-3", body(later, 1)).await;
    assert_eq!((st, p["field"].as_str()), (422, Some("reward_id")));
    let (st, p, _) = redeem(&s.base, &till, "r-4", body(dear, 1)).await;
    assert_eq!((st, p["field"].as_str()), (422, Some("points")));
    let (st, p, _) = redeem(
        &s.base,
        &till,
        "r-5",
        json!({"store_code": "S1", "reward_id": cup}),
    )
    .await;
    assert_eq!((st, p["field"].as_str()), (422, Some("member")));

    // A coupon reward issues its coupons at once, usable at the till.
    let (st, coupons, _) = redeem(&s.base, &till, "r-6", body(voucher, 2)).await;
    assert_eq!(st, 201, "{coupons}");
    assert_eq!(
        (&coupons["status"], &coupons["balance"]),
        (&json!("fulfilled"), &json!(3_000))
    );
    let codes: Vec<String> = coupons["coupon_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code").to_string())
        .collect();
    assert_eq!(codes.len(), 2);
    let usable: Vec<String> = app
        .usable_coupons(member)
        .await
        .expect("usable")
        .into_iter()
        .map(|c| c.code)
        .collect();
    assert_eq!(usable.len(), 2);
    assert!(codes.iter().all(|c| usable.contains(c)));

    // Fulfilment: a store manager elsewhere cannot touch this store's order.
    let order = first["order_id"].as_i64().expect("order");
    staff(app, "mgr.two", "store_manager", Some(s2)).await;
    let mut elsewhere = Actor::cli("mgr.two");
    elsewhere.store_id = Some(s2);
    assert!(matches!(
        app.move_reward_order(&elsewhere, Scope::Store(s2), order, "ready")
            .await,
        Err(AppError::Conflict { .. })
    ));
    assert!(matches!(
        app.cancel_reward_order(&elsewhere, Scope::Store(s2), order, "不要了")
            .await,
        Err(AppError::Conflict { .. })
    ));
    assert_eq!(
        app.db().points_balance(member).await.expect("balance"),
        3_000
    );

    // Cancelling gives the points, the stock and the member's allowance back.
    app.cancel_reward_order(&admin, Scope::Store(s1), order, "顾客改主意")
        .await
        .expect("cancel");
    assert_eq!(
        app.db().points_balance(member).await.expect("balance"),
        9_000
    );
    let r = app.db().reward(cup).await.expect("reward");
    assert_eq!((r.stock, r.redeemed), (Some(3), 0));
    assert!(matches!(
        app.move_reward_order(&admin, Scope::Chain, order, "fulfilled")
            .await,
        Err(AppError::Conflict { .. })
    ));
    let req = RedeemRequest {
        reward_id: cup,
        quantity: 2,
        note: "门店自提".into(),
    };
    let again = app
        .redeem_reward(&admin, Scope::Chain, member, &req)
        .await
        .expect("allowance is back");
    app.move_reward_order(&admin, Scope::Chain, again.order_id, "ready")
        .await
        .expect("ready");
    app.move_reward_order(&admin, Scope::Chain, again.order_id, "fulfilled")
        .await
        .expect("fulfilled");
    assert!(matches!(
        app.cancel_reward_order(&admin, Scope::Chain, again.order_id, "太晚了")
            .await,
        Err(AppError::Conflict { .. })
    ));
    // The ledger says why: the reward's name on the redemption, the reason on the restore.
    let entries = app.db().points_entries(member, 20).await.expect("entries");
    assert!(
        entries
            .iter()
            .any(|e| e.kind.code() == "redeem" && e.reason == "保温杯")
    );
    assert!(
        entries
            .iter()
            .any(|e| e.kind.code() == "restore" && e.reason == "顾客改主意")
    );
    assert_eq!(app.db().points_mismatches().await.expect("ledger"), vec![]);
    assert_eq!(
        crate::harness::audit(app, "reward.redeem", "").await.len(),
        3
    );
    s.shutdown().await;
}
both!(rewards_are_redeemed_within_their_rules);

async fn stock_and_limits_hold_under_concurrent_redemptions(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = s.app.clone();
    let admin = Actor::cli("test");
    let s1 = store(&app, "S1").await;
    let now = app.now();
    let scarce = app
        .create_reward(
            &admin,
            patron_store::Scope::Chain,
            &reward("限量公仔", 100, Some(5), None, now),
        )
        .await
        .expect("scarce");
    let once = app
        .create_reward(
            &admin,
            patron_store::Scope::Chain,
            &reward("新人礼", 100, None, Some(1), now),
        )
        .await
        .expect("once");
    let mut members = Vec::new();
    for i in 0..10 {
        let m = customer(&app, s1, &format!("1350013510{i}")).await;
        grant(&app, m, 1_000).await;
        members.push(m);
    }
    let attempt = |member: i64, reward_id: i64| {
        let app = app.clone();
        let admin = admin.clone();
        tokio::spawn(async move {
            let req = RedeemRequest {
                reward_id,
                quantity: 1,
                note: String::new(),
            };
            app.redeem_reward(&admin, Scope::Chain, member, &req).await
        })
    };
    // Twenty redemptions race for five units.
    let mut tasks = Vec::new();
    for m in members.iter().chain(members.iter()) {
        tasks.push(attempt(*m, scarce));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => won += 1,
            Err(AppError::Field(f)) => assert_eq!(f.field, "quantity", "{f:?}"),
            Err(AppError::Conflict { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(won, 5);
    let r = app.db().reward(scarce).await.expect("reward");
    assert_eq!((r.stock, r.redeemed), (Some(0), 5));
    // Eight at once from one member against a limit of one.
    let tasks: Vec<_> = (0..8).map(|_| attempt(members[0], once)).collect();
    let mut won = 0;
    for t in tasks {
        if t.await.expect("task").is_ok() {
            won += 1;
        }
    }
    assert_eq!(won, 1);
    assert_eq!(
        app.db()
            .reward_claimed(members[0], once)
            .await
            .expect("claim"),
        1
    );
    let spent: i64 = {
        let mut total = 0;
        for m in &members {
            total += 1_000 - app.db().points_balance(*m).await.expect("balance");
        }
        total
    };
    assert_eq!(
        spent, 600,
        "five scarce units and one gift, 100 points each"
    );
    assert_eq!(app.db().points_mismatches().await.expect("ledger"), vec![]);
    s.shutdown().await;
}
both!(stock_and_limits_hold_under_concurrent_redemptions);

async fn the_mall_pages_work_as_staff_use_them(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S1").await;
    let member = customer(&s.app, s1, "13500135999").await;
    grant(&s.app, member, 2_000).await;
    let owner = Client::new(&s.base);
    owner.login("owner", PASSWORD).await;
    assert_eq!(owner.get("/console/mall").await.status, 200);
    let bad = owner
        .post(
            "/console/mall/rewards",
            &[
                ("name", "雨伞"),
                ("points_price", "abc"),
                ("valid_from", "2026-13-01"),
            ],
        )
        .await;
    assert!(bad.body.contains("所需积分为"), "the price error is shown");
    assert!(bad.body.contains("日期格式"), "the date error is shown");
    let saved = owner
        .post(
            "/console/mall/rewards",
            &[
                ("name", "雨伞"),
                ("points_price", "800"),
                ("stock", "10"),
                ("cash", "5"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let page = owner.get("/console/mall").await;
    assert!(
        page.body.contains("雨伞") && page.body.contains("800 积分 + ¥5.00"),
        "listed with its price"
    );
    let umbrella = s.app.db().rewards().await.expect("rewards")[0].id;

    let customer_page = owner
        .get(&format!("/console/customers/{member}?tab=points"))
        .await;
    assert!(
        customer_page.body.contains("id=\"redeem-reward\""),
        "redeem form on the customer page"
    );
    let done = owner
        .post(
            &format!("/console/customers/{member}/redeem"),
            &[("reward_id", &umbrella.to_string()), ("quantity", "3")],
        )
        .await;
    assert!(
        done.body.contains("可用积分不足"),
        "not enough points is explained"
    );
    let done = owner
        .post(
            &format!("/console/customers/{member}/redeem"),
            &[("reward_id", &umbrella.to_string()), ("quantity", "2")],
        )
        .await;
    assert_eq!(done.status, 303);
    let order = s.app.db().reward_orders_of(member).await.expect("orders")[0].id;
    let page = owner.get("/console/mall").await;
    assert!(
        page.body.contains(&format!("id=\"order-{order}\"")),
        "waiting to be handed over"
    );
    let handed = owner
        .post(
            &format!("/console/mall/orders/{order}"),
            &[("to", "fulfilled")],
        )
        .await;
    assert_eq!(handed.status, 303);
    let page = owner.get("/console/mall").await;
    assert!(
        !page.body.contains(&format!("id=\"order-{order}\"")),
        "no longer waiting"
    );
    let page = owner
        .get(&format!("/console/customers/{member}?tab=points"))
        .await;
    assert!(
        page.body.contains("已领取"),
        "the member's order shows as handed over"
    );
    assert_eq!(
        s.app.db().points_balance(member).await.expect("balance"),
        400
    );

    // A sales associate sees orders but cannot change the catalogue.
    staff(&s.app, "assoc", "sales_associate", Some(s1)).await;
    let assoc = Client::new(&s.base);
    assoc.login("assoc", PASSWORD).await;
    let page = assoc.get("/console/mall").await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("id=\"create-reward\""),
        "no catalogue form"
    );
    let refused = assoc
        .post(
            "/console/mall/rewards",
            &[("name", "x"), ("points_price", "1")],
        )
        .await;
    assert_eq!(refused.status, 403);
    s.shutdown().await;
}
both!(the_mall_pages_work_as_staff_use_them);
