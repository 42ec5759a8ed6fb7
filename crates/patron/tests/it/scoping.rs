//! Store scoping: a store-bound role sees and touches only its own store, in the console,
//! in the API, and in the queries themselves.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, api, staff, start, store};
use patron_app::security::{Principal, Via};
use patron_domain::Role;
use patron_store::Scope;

async fn store_manager_sees_only_own_store(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let a = store(&s.app, "SH01").await;
    let b = store(&s.app, "HZ01").await;
    staff(&s.app, "liu.qiang", "store_manager", Some(a)).await;
    let in_a = staff(&s.app, "li.na", "sales_associate", Some(a)).await;
    let in_b = staff(&s.app, "he.xue", "sales_associate", Some(b)).await;
    let c = Client::new(&s.base);
    c.login("liu.qiang", PASSWORD).await;
    let list = c.get("/console/staff").await;
    assert!(
        list.body.contains("li.na") && !list.body.contains("he.xue"),
        "only own store's staff listed"
    );
    assert_eq!(c.get(&format!("/console/staff/{in_a}")).await.status, 200);
    assert_eq!(
        c.get(&format!("/console/staff/{in_b}")).await.status,
        404,
        "other store's staff do not exist for them"
    );
    c.get("/console/staff").await;
    assert_eq!(
        c.post(&format!("/console/staff/{in_b}/disable"), &[])
            .await
            .status,
        404
    );
    assert_eq!(
        s.app
            .db
            .get_staff(Scope::Chain, in_b)
            .await
            .expect("row")
            .status,
        "active",
        "nothing changed"
    );
    assert_eq!(c.get(&format!("/console/stores/{b}")).await.status, 404);
    // Creating staff: only in their own store, and never a role stronger than theirs.
    c.get("/console/staff/new").await;
    let other = c
        .post(
            "/console/staff",
            &[
                ("username", "x.one"),
                ("display_name", "X"),
                ("email", ""),
                ("role", "sales_associate"),
                ("store_id", &b.to_string()),
                ("mode", "password"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(other.status, 403);
    let admin = c
        .post(
            "/console/staff",
            &[
                ("username", "x.two"),
                ("display_name", "X"),
                ("email", ""),
                ("role", "admin"),
                ("store_id", ""),
                ("mode", "password"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(admin.status, 403, "no escalation to admin");
    let ok = c
        .post(
            "/console/staff",
            &[
                ("username", "x.three"),
                ("display_name", "新导购"),
                ("email", ""),
                ("role", "sales_associate"),
                ("store_id", &a.to_string()),
                ("mode", "password"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(ok.status, 303);
    // The API applies the same scope.
    let token = crate::harness::token_for(&s.app, "liu.qiang").await;
    let (status, body, _) = api(&s.base, "GET", "/api/v1/staff", Some(&token), None).await;
    assert_eq!(status, 200);
    let stores: Vec<i64> = body
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|v| v["store_id"].as_i64())
        .collect();
    assert!(
        !stores.is_empty() && stores.iter().all(|id| *id == a),
        "{body}"
    );
    let (_, body, _) = api(&s.base, "GET", "/api/v1/stores", Some(&token), None).await;
    assert_eq!(body.as_array().map(Vec::len), Some(1));
    // And the audit log.
    let (_, audit, _) = api(&s.base, "GET", "/api/v1/audit", Some(&token), None).await;
    assert!(
        audit
            .as_array()
            .expect("array")
            .iter()
            .all(|r| r["store_id"].as_i64() == Some(a)),
        "{audit}"
    );
}
both!(store_manager_sees_only_own_store);

/// The scope is in the SQL itself: a principal whose store is unset sees nothing, not everything.
async fn scope_is_enforced_in_queries(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let a = store(&s.app, "SH01").await;
    staff(&s.app, "li.na", "sales_associate", Some(a)).await;
    let orphan = Principal {
        staff_id: 0,
        username: "x".into(),
        display_name: "x".into(),
        role: Role::SalesAssociate,
        store_id: None,
        capabilities: Default::default(),
        via: Via::Token { id: 0 },
    };
    assert!(
        s.app
            .db
            .list_staff(orphan.scope())
            .await
            .expect("q")
            .is_empty()
    );
    assert!(
        s.app
            .db
            .list_stores(orphan.scope())
            .await
            .expect("q")
            .is_empty()
    );
    assert_eq!(
        s.app
            .db
            .list_stores(Scope::Store(a))
            .await
            .expect("q")
            .len(),
        1
    );
    assert!(s.app.db.get_store(Scope::Store(a + 100), a).await.is_err());
}
both!(scope_is_enforced_in_queries);
