//! Duplicate customer files over the API: flagged on create (same name and birthday),
//! listed in pairs, merged without losing phones, addresses, tags, e-mail, consents or
//! interactions; the merged file's number finds the survivor; different ID numbers refuse
//! to merge; the merge is audited.

use crate::both;
use crate::customers::create;
use crate::harness::{Kind, api, audit, staff, start, store, token_for};
use patron_store::Scope;
use serde_json::json;

async fn duplicates_are_found_and_merged_without_loss(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S01").await;
    staff(&s.app, "boss", "admin", None).await;
    let admin = token_for(&s.app, "boss").await;
    let (_, a) = create(
        &s.base,
        &admin,
        json!({"store_id": s1, "name": "陈静", "mobile": "13800000001", "birthday": "1988-03-08",
               "tags": ["老客户"], "email": "chen@qq.com"}),
    )
    .await;
    let keep = a["id"].as_i64().expect("id");
    // Same name and birthday, another phone: flagged on create.
    let (st, b) = create(
        &s.base,
        &admin,
        json!({"store_id": s1, "name": "陈静", "mobile": "13900000002", "birthday": "1988/3/8",
               "tags": ["团购"], "email": "jing@163.com", "addresses": ["杭州市西湖区文三路 1 号"],
               "consents": ["marketing_sms"]}),
    )
    .await;
    assert_eq!(st, 201, "{b}");
    assert_eq!(b["possible_duplicates"], json!([[keep, "name_birthday"]]));
    let gone = b["id"].as_i64().expect("id");
    api(
        &s.base,
        "POST",
        &format!("/api/v1/customers/{gone}/interactions"),
        Some(&admin),
        Some(json!({"kind": "visit", "outcome": "看了瓷砖"})),
    )
    .await;
    let pairs = s
        .app
        .duplicate_pairs(patron_store::Scope::Chain)
        .await
        .expect("pairs");
    assert_eq!(pairs.len(), 1);
    assert_eq!(
        (pairs[0].first, pairs[0].second, pairs[0].reason),
        (keep, gone, "name_birthday")
    );

    let (st, m, _) = api(
        &s.base,
        "POST",
        "/api/v1/customers/merge",
        Some(&admin),
        Some(json!({"survivor_id": keep, "merged_id": gone})),
    )
    .await;
    assert_eq!(st, 200, "{m}");
    let (_, c, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/customers/{keep}?reveal=true&reason=merge%20check"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(c["mobile"], "+8613800000001");
    assert_eq!(
        c["other_phones"],
        json!(["+8613900000002"]),
        "the second number is kept"
    );
    assert_eq!(c["addresses"], json!(["杭州市西湖区文三路 1 号"]));
    assert_eq!(c["tags"], json!(["团购", "老客户"]));
    assert!(
        c["notes"].as_str().unwrap_or("").contains("jing@163.com"),
        "the other e-mail is kept: {c}"
    );
    let consents = s.app.consents_of(keep).await.expect("consents");
    assert!(
        consents
            .iter()
            .any(|(p, g, _)| p.as_str() == "marketing_sms" && *g)
    );
    let timeline = s.app.timeline(keep, 50).await.expect("timeline");
    assert!(
        timeline.iter().any(|t| t.outcome == "看了瓷砖"),
        "interactions moved"
    );
    // The merged file is gone from searches, but its number now finds the survivor.
    let (_, r, _) = api(
        &s.base,
        "GET",
        "/api/v1/customers?q=13900000002",
        Some(&admin),
        None,
    )
    .await;
    let ids: Vec<i64> = r["customers"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["id"].as_i64())
        .collect();
    assert_eq!(ids, [keep]);
    let (st, _, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/customers/{gone}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(st, 200, "the tombstone stays readable");
    assert!(
        s.app
            .duplicate_pairs(patron_store::Scope::Chain)
            .await
            .expect("pairs")
            .is_empty()
    );
    let rows = audit(&s.app, "customer.merge", "").await;
    assert!(
        rows[0].detail.starts_with(&format!("merged={gone}")),
        "{}",
        rows[0].detail
    );
    // Two different ID numbers are two people.
    let mk = |name: &'static str, mobile: &'static str, id: &'static str| json!({"store_id": s1, "name": name, "mobile": mobile, "id_number": id, "consents": ["id_number"]});
    let (_, x) = create(
        &s.base,
        &admin,
        mk("周一", "13800000011", "11010519491231002X"),
    )
    .await;
    let (_, y) = create(
        &s.base,
        &admin,
        mk("周一", "13800000012", "231181200002290077"),
    )
    .await;
    let (st, e, _) = api(
        &s.base,
        "POST",
        "/api/v1/customers/merge",
        Some(&admin),
        Some(json!({"survivor_id": x["id"], "merged_id": y["id"]})),
    )
    .await;
    assert_eq!(st, 409, "{e}");
}
both!(duplicates_are_found_and_merged_without_loss);

/// A file with purchases is only merged as the survivor: merged in, its sales and points
/// would be stranded on the tombstone. The other way round keeps everything.
async fn a_file_with_history_is_only_merged_as_the_survivor(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = crate::harness::store(app, "S1").await;
    let buyer = crate::points::customer(app, s1, "13700137401").await;
    let newcomer = crate::points::customer(app, s1, "13700137402").await;
    let csv = "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n\
               M1,2026-10-20 15:00,S1,13700137401,T1,瓷砖,tiles,2,300\n";
    let r = app
        .import_sales(csv.as_bytes(), false, &|_| {})
        .await
        .expect("import");
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let actor = patron_domain::Actor::cli("test");
    let e = app
        .merge_customers(&actor, Scope::Chain, newcomer, buyer)
        .await
        .expect_err("the buyer merged in");
    assert!(
        matches!(
            e,
            patron_app::AppError::Conflict {
                key: "error.merge.history",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        app.db()
            .get_customer(Scope::Chain, buyer)
            .await
            .expect("kept")
            .status
            .code(),
        "active",
        "nothing changed"
    );
    app.merge_customers(&actor, Scope::Chain, buyer, newcomer)
        .await
        .expect("the newcomer merged into the buyer");
    let sales: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sales WHERE customer_id = $1")
        .bind(buyer)
        .fetch_one(app.db().pool())
        .await
        .expect("sales");
    assert_eq!(sales, 1);
    s.shutdown().await;
}
both!(a_file_with_history_is_only_merged_as_the_survivor);
