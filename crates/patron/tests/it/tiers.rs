//! The annual tier review on both backends: nothing before a year in the tier, then down one
//! tier at most for a quiet year (the grace rule), recorded in the tier history.

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
    let tier = || s.app.db.tier_code(member, &ladder);
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
    let history = s.app.db.tier_history(member).await.expect("history");
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
