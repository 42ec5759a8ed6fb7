//! The annual tier review on both backends: nothing before a year in the tier, then down one
//! tier at most for a quiet year (the grace rule), recorded in the tier history. And the
//! points leaderboard.

use crate::both;
use crate::checkout::{sale, setup};
use crate::harness::Kind;
use jiff::SignedDuration;
use patron_app::jobs::{Job, run_once};
use serde_json::json;

async fn a_quiet_year_costs_one_tier_at_a_time(kind: Kind) {
    let Some((s, till, _, member)) = setup(kind).await else {
        return;
    };
    let (st, r, _) = till
        .post(
            "/api/v1/checkout",
            Some("big"),
            &sale(
                "BIG",
                json!([{"sku": "SOFA", "category": "furniture", "quantity": 1, "unit_price_fen": 1_200_000}]),
                0,
            ),
        )
        .await;
    assert_eq!((st, &r["tier"]), (201, &json!("gold")), "{r}");
    let review = |days: i64| {
        s.clock.advance(SignedDuration::from_hours(24 * days));
        run_once(&s.app, Job::TierReview, s.app.now())
    };
    assert_eq!(
        review(180).await.expect("job"),
        "0 members reviewed: 0 down, 0 up"
    );
    let ladder = patron_domain::membership::TierLadder::standard();
    let tier = || s.app.db().tier_code(member, &ladder);
    assert_eq!(
        tier().await.expect("tier"),
        "gold",
        "half a year in: not due"
    );
    // Thirteen months after the sale the twelve-month window is empty: 金卡 → 银卡, not lower.
    assert_eq!(
        review(215).await.expect("job"),
        "1 members reviewed: 1 down, 0 up"
    );
    assert_eq!(tier().await.expect("tier"), "silver");
    assert_eq!(
        review(0).await.expect("job"),
        "0 members reviewed: 0 down, 0 up",
        "the next review is a year later"
    );
    assert_eq!(
        review(366).await.expect("job"),
        "1 members reviewed: 1 down, 0 up"
    );
    assert_eq!(tier().await.expect("tier"), "standard");
    let history = s.app.db().tier_history(member).await.expect("history");
    assert_eq!(
        history
            .iter()
            .map(|h| (h.from_code.as_str(), h.to_code.as_str(), h.reason.as_str()))
            .collect::<Vec<_>>(),
        [
            ("silver", "standard", "review"),
            ("gold", "silver", "review"),
            ("standard", "gold", "upgrade")
        ]
    );
    s.shutdown().await;
}
both!(a_quiet_year_costs_one_tier_at_a_time);

/// The leaderboard ranks by points earned in the period (adjustments are not earnings), masks
/// names, leaves out members who opted out, and a store's board holds its own members.
async fn the_leaderboard_honours_opt_outs(kind: Kind) {
    let Some((s, till, s1, top)) = setup(kind).await else {
        return;
    };
    crate::points::customer(&s.app, s1, "13800138001").await;
    let s2 = crate::harness::store(&s.app, "S2").await;
    let elsewhere = crate::points::customer(&s.app, s2, "13800138002").await;
    for (key, phone, fen) in [("a", "13800138000", 90_000), ("b", "13800138001", 50_000)] {
        let mut body = sale(
            key,
            json!([{"sku": "X", "category": "misc", "quantity": 1, "unit_price_fen": fen}]),
            0,
        );
        body["phone"] = json!(phone);
        assert_eq!(till.post("/api/v1/checkout", Some(key), &body).await.0, 201);
    }
    s.app
        .adjust_points(
            &patron_domain::Actor::cli("test"),
            patron_store::Scope::Chain,
            &[elsewhere],
            500,
            "开业赠送",
        )
        .await
        .expect("adjust");
    let owner = crate::harness::token_for(&s.app, "owner").await;
    let board = |q: &str| {
        let (base, owner, q) = (s.base.clone(), owner.clone(), q.to_string());
        async move {
            crate::harness::api(
                &base,
                "GET",
                &format!("/api/v1/reports/leaderboard{q}"),
                Some(&owner),
                None,
            )
            .await
            .1
        }
    };
    let chain = board("?period=month").await;
    assert_eq!(chain.as_array().map(Vec::len), Some(2), "{chain}");
    assert_eq!(
        (&chain[0]["name"], &chain[0]["points"]),
        (&json!("积***"), &json!(900))
    );
    let store_two = board(&format!("?store={s2}")).await;
    assert_eq!(
        store_two.as_array().map(Vec::len),
        Some(0),
        "adjustments are not earnings"
    );
    let (st, _, _) = crate::harness::api(
        &s.base,
        "POST",
        &format!("/api/v1/customers/{top}/ranking"),
        Some(&owner),
        Some(json!({"opt_out": true})),
    )
    .await;
    assert_eq!(st, 204);
    let after = board("").await;
    assert_eq!(after.as_array().map(Vec::len), Some(1));
    assert_eq!(after[0]["points"], 500);
    s.shutdown().await;
}
both!(the_leaderboard_honours_opt_outs);
