//! Saved segments over the API: made, read with live counts, paged through, replaced and
//! deleted; checked field by field; feeding coupons and points by `segment_id`; scoped to
//! the caller's store.

use crate::both;
use crate::harness::{Kind, api, staff, start, store};
use crate::points::customer;
use patron_app::membership::coupons::TemplateInput;
use serde_json::json;

async fn segments_over_the_api(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let s2 = store(app, "S2").await;
    let tiles = customer(app, s1, "13700137101").await;
    let misc = customer(app, s1, "13700137102").await;
    let tiles_elsewhere = customer(app, s2, "13700137103").await;
    let csv = "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n\
         Q1,2026-10-20 15:00,S1,13700137101,T1,瓷砖,tiles,2,300\n\
         Q2,2026-10-21 15:00,S1,13700137102,X9,杂项,misc,1,10\n\
         Q3,2026-10-22 15:00,S2,13700137103,T1,瓷砖,tiles,1,300\n";
    let r = app
        .import_sales(csv.as_bytes(), false, &|_| {})
        .await
        .expect("import");
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let owner_id = app
        .db()
        .staff_by_username("owner")
        .await
        .expect("query")
        .expect("owner")
        .id;
    let token = app
        .create_api_token(None, owner_id, "segments", None)
        .await
        .expect("token")
        .secret;
    let call = |method: &'static str, path: String, body: Option<serde_json::Value>| {
        let (base, token) = (s.base.clone(), token.clone());
        async move { api(&base, method, &path, Some(&token), body).await }
    };

    let (status, made, _) = call(
        "POST",
        "/api/v1/segments".into(),
        Some(json!({"name": "买过瓷砖", "groups": [{"sku": "T1"}, {}]})),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_i64().expect("id");
    assert_eq!(made["members"], 2);
    assert_eq!(
        made["groups"],
        json!([{"sku": "T1"}]),
        "the empty group is dropped"
    );
    assert_eq!(made["store_id"], serde_json::Value::Null);

    // Bad input names the field and the reason, and saves nothing.
    for (body, field) in [
        (
            json!({"name": "坏", "groups": [{"sku": "T1"}, {"class": "vip"}]}),
            "group2",
        ),
        (
            json!({"name": "坏", "groups": [{"birth_month": 13}]}),
            "group1",
        ),
        (json!({"name": "", "groups": [{"sku": "T1"}]}), "name"),
        (json!({"name": "坏", "groups": [{}]}), "group1"),
        (
            json!({"name": "买过瓷砖", "groups": [{"tag": "x"}]}),
            "name",
        ),
    ] {
        let (status, problem, _) = call("POST", "/api/v1/segments".into(), Some(body)).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["field"], field, "{problem}");
        assert!(!problem["title"].as_str().unwrap_or("").is_empty());
    }
    let (status, problem, _) = call(
        "POST",
        "/api/v1/segments".into(),
        Some(json!({"name": "坏", "groups": [{"colour": "red"}]})),
    )
    .await;
    assert_eq!(status, 422, "an unknown condition is refused: {problem}");
    let (_, listed, _) = call("GET", "/api/v1/segments".into(), None).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");

    // Members, a page at a time.
    let (status, first, _) = call(
        "GET",
        format!("/api/v1/segments/{id}/members?limit=1"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["total"], 2);
    assert_eq!(first["customer_ids"], json!([tiles]));
    assert_eq!(first["next_after_id"], tiles);
    let (_, second, _) = call(
        "GET",
        format!("/api/v1/segments/{id}/members?limit=1&after_id={tiles}"),
        None,
    )
    .await;
    assert_eq!(second["customer_ids"], json!([tiles_elsewhere]));
    assert_eq!(second["next_after_id"], serde_json::Value::Null);
    let (status, _, _) = call(
        "GET",
        format!("/api/v1/segments/{id}/members?limit=0"),
        None,
    )
    .await;
    assert_eq!(status, 422);

    // The segment feeds coupons and points.
    let template = app
        .create_coupon_template(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &TemplateInput {
                name: "瓷砖券".into(),
                amount_fen: Some(1_000),
                valid_days: 30,
                ..Default::default()
            },
        )
        .await
        .expect("template");
    let (status, issued, _) = call(
        "POST",
        format!("/api/v1/coupon-templates/{template}/issue"),
        Some(json!({"segment_id": id, "reason": "瓷砖回馈"})),
    )
    .await;
    assert_eq!(status, 201, "{issued}");
    assert_eq!(issued["codes"].as_array().map(Vec::len), Some(2));
    for (who, n) in [(tiles, 1), (tiles_elsewhere, 1), (misc, 0)] {
        assert_eq!(app.usable_coupons(who).await.expect("coupons").len(), n);
    }
    let (status, problem, _) = call(
        "POST",
        format!("/api/v1/coupon-templates/{template}/issue"),
        Some(json!({"segment_id": id, "customer_ids": [misc], "reason": "两者"})),
    )
    .await;
    assert_eq!(
        (status, problem["field"].clone()),
        (422, json!("segment_id"))
    );
    let (status, adjusted, _) = call(
        "POST",
        "/api/v1/points/adjustments".into(),
        Some(json!({"segment_id": id, "points": 50, "reason": "瓷砖回馈"})),
    )
    .await;
    assert_eq!(status, 201, "{adjusted}");
    assert_eq!(adjusted["status"], "applied");
    assert_eq!(adjusted["ids"].as_array().map(Vec::len), Some(2));

    // Replacing the definition changes the members at once.
    let (status, replaced, _) = call(
        "PUT",
        format!("/api/v1/segments/{id}"),
        Some(json!({"name": "买过杂项", "groups": [{"sku": "X9", "recent_days": 3650}]})),
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["name"], "买过杂项");
    assert_eq!(replaced["members"], 1);
    assert_eq!(
        replaced["groups"],
        json!([{"recent_days": 3650, "sku": "X9"}])
    );

    // A store's staff see the segment within their store and cannot change it.
    let clerk = staff(app, "seg.clerk", "sales_associate", Some(s2)).await;
    let clerk_token = app
        .create_api_token(None, clerk, "clerk", None)
        .await
        .expect("token")
        .secret;
    let (status, seen, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/segments/{id}"),
        Some(&clerk_token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["members"], 0, "the S1 customer is not theirs");
    let (status, _, _) = api(
        &s.base,
        "DELETE",
        &format!("/api/v1/segments/{id}"),
        Some(&clerk_token),
        None,
    )
    .await;
    assert_eq!(status, 403);

    let (status, _, _) = call("DELETE", format!("/api/v1/segments/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, _, _) = call("GET", format!("/api/v1/segments/{id}"), None).await;
    assert_eq!(status, 404);
    s.shutdown().await;
}
both!(segments_over_the_api);
