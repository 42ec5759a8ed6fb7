//! Manual points adjustments on both backends: a reason always, small ones applied at once,
//! large ones (and large batches) waiting for someone other than the asker, store scoping of
//! approvals, and never taking away more than the member holds.

use crate::both;
use crate::harness::{Kind, api, staff, start, store, token_for};
use crate::points::customer;
use serde_json::json;

async fn adjustments_need_a_reason_and_large_ones_a_second_person(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S1").await;
    let s2 = store(&s.app, "S2").await;
    let member = customer(&s.app, s1, "13700137001").await;
    let others = [
        customer(&s.app, s1, "13700137002").await,
        customer(&s.app, s1, "13700137003").await,
    ];
    let owner = token_for(&s.app, "owner").await;
    staff(&s.app, "mgr.one", "store_manager", Some(s1)).await;
    staff(&s.app, "mgr.two", "store_manager", Some(s2)).await;
    let manager = token_for(&s.app, "mgr.one").await;
    let elsewhere = token_for(&s.app, "mgr.two").await;
    let post = |token: &str, path: &str, body: Option<serde_json::Value>| {
        let (base, token, path) = (s.base.clone(), token.to_string(), path.to_string());
        async move { api(&base, "POST", &path, Some(&token), body).await }
    };

    let (st, p, _) = post(
        &owner,
        "/api/v1/points/adjustments",
        Some(json!({"customer_ids": [member], "points": 500, "reason": ""})),
    )
    .await;
    assert_eq!((st, p["field"].as_str()), (422, Some("reason")));
    let (st, a, _) = post(
        &owner,
        "/api/v1/points/adjustments",
        Some(json!({"customer_ids": [member], "points": 500, "reason": "老客户回馈"})),
    )
    .await;
    assert_eq!((st, a["status"].as_str()), (201, Some("applied")), "{a}");
    assert_eq!(
        s.app.db().points_balance(member).await.expect("balance"),
        500
    );
    let entries = s
        .app
        .db()
        .points_entries(member, 10)
        .await
        .expect("entries");
    assert_eq!(
        (entries[0].kind.code(), entries[0].reason.as_str()),
        ("adjust", "老客户回馈"),
        "the member sees why"
    );

    // Above the threshold (1,000 by default): pending until someone else approves.
    let (st, big, _) = post(
        &owner,
        "/api/v1/points/adjustments",
        Some(json!({"customer_ids": [member], "points": 5000, "reason": "投诉补偿"})),
    )
    .await;
    assert_eq!((st, big["status"].as_str()), (201, Some("pending")));
    assert_eq!(
        s.app.db().points_balance(member).await.expect("balance"),
        500
    );
    let id = big["ids"][0].as_i64().expect("id");
    let (st, p, _) = post(
        &owner,
        &format!("/api/v1/points/adjustments/{id}/approve"),
        None,
    )
    .await;
    assert_eq!(
        (st, p["field"].as_str()),
        (422, Some("id")),
        "not by the asker"
    );
    let (st, _, _) = post(
        &elsewhere,
        &format!("/api/v1/points/adjustments/{id}/approve"),
        None,
    )
    .await;
    assert_eq!(st, 404, "a manager of another store does not see it");
    let (st, pending, _) = api(
        &s.base,
        "GET",
        "/api/v1/points/adjustments/pending",
        Some(&manager),
        None,
    )
    .await;
    assert_eq!((st, pending.as_array().map(Vec::len)), (200, Some(1)));
    let (st, _, _) = post(
        &manager,
        &format!("/api/v1/points/adjustments/{id}/approve"),
        None,
    )
    .await;
    assert_eq!(st, 204);
    assert_eq!(
        s.app.db().points_balance(member).await.expect("balance"),
        5500
    );
    let (st, _, _) = post(
        &manager,
        &format!("/api/v1/points/adjustments/{id}/approve"),
        None,
    )
    .await;
    assert_eq!(st, 409, "decided once");

    // A batch is judged by its total: 2 × 600 = 1,200 waits.
    let (st, batch, _) = post(
        &manager,
        "/api/v1/points/adjustments",
        Some(json!({"customer_ids": others, "points": 600, "reason": "店庆活动"})),
    )
    .await;
    assert_eq!((st, batch["status"].as_str()), (201, Some("pending")));
    let ids: Vec<i64> = batch["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(|v| v.as_i64())
        .collect();
    let (st, _, _) = post(
        &owner,
        &format!("/api/v1/points/adjustments/{}/reject", ids[0]),
        None,
    )
    .await;
    assert_eq!(st, 204);
    let (st, _, _) = post(
        &owner,
        &format!("/api/v1/points/adjustments/{}/approve", ids[1]),
        None,
    )
    .await;
    assert_eq!(st, 204);
    assert_eq!(
        s.app.db().points_balance(others[0]).await.expect("balance"),
        0
    );
    assert_eq!(
        s.app.db().points_balance(others[1]).await.expect("balance"),
        600
    );

    // Taking away more than the member holds is refused; within it, soonest-expiring first.
    let (st, p, _) = post(
        &owner,
        "/api/v1/points/adjustments",
        Some(json!({"customer_ids": [others[1]], "points": -700, "reason": "误录冲正"})),
    )
    .await;
    assert_eq!((st, p["field"].as_str()), (422, Some("points")));
    let (st, _, _) = post(
        &owner,
        "/api/v1/points/adjustments",
        Some(json!({"customer_ids": [others[1]], "points": -100, "reason": "误录冲正"})),
    )
    .await;
    assert_eq!(st, 201);
    assert_eq!(
        s.app.db().points_balance(others[1]).await.expect("balance"),
        500
    );
    assert_eq!(
        s.app.db().points_mismatches().await.expect("ledger"),
        vec![]
    );
    assert_eq!(
        crate::harness::audit(&s.app, "points.adjust", "")
            .await
            .len(),
        7
    );
    s.shutdown().await;
}
both!(adjustments_need_a_reason_and_large_ones_a_second_person);
