//! Store scoping: a store-bound role sees and touches only its own store, in the console,
//! in the API, and in the queries themselves.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, api, staff, start, store};
use patron_app::security::{Principal, Via};
use patron_domain::{Actor, Capability, Role};
use patron_store::Scope;
use patron_store::membership::points::EntryKind;
use patron_store::messages::outbox::{NewMessage, enqueue};

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
            .db()
            .get_staff(Scope::Chain, in_b)
            .await
            .expect("row")
            .status
            .code(),
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
            .db()
            .list_staff(orphan.scope())
            .await
            .expect("q")
            .is_empty()
    );
    assert!(
        s.app
            .db()
            .list_stores(orphan.scope())
            .await
            .expect("q")
            .is_empty()
    );
    assert_eq!(
        s.app
            .db()
            .list_stores(Scope::Store(a))
            .await
            .expect("q")
            .len(),
        1
    );
    assert!(
        s.app
            .db()
            .get_store(Scope::Store(a + 100), a)
            .await
            .is_err()
    );
}
both!(scope_is_enforced_in_queries);

/// A customer of `store` named `name`, with `points` to spend.
async fn member(s: &crate::harness::Server, store: i64, name: &str, points: i64) -> i64 {
    let input = patron_domain::customers::CustomerInput {
        name: name.into(),
        mobile: crate::matrix::fixture::unique_mobile(),
        ..Default::default()
    };
    let options = patron_app::customers::CreateOptions {
        store_id: Some(store),
        ..Default::default()
    };
    let id = s
        .app
        .create_customer(&Actor::cli("test"), Scope::Chain, &input, &options)
        .await
        .expect("customer")
        .id;
    if points > 0 {
        let lot = patron_store::membership::points::NewLot {
            points,
            usable_from: s.app.now(),
            expires_at: None,
        };
        let note = patron_store::membership::points::EntryNote {
            reason: "测试".into(),
            reference: String::new(),
            actor_name: "test".into(),
        };
        s.app
            .db()
            .earn_points(id, &lot, EntryKind::Adjust, &note, s.app.now())
            .await
            .expect("points");
    }
    id
}

/// Gives a role its defaults and `more`, as an admin may.
async fn grant(s: &crate::harness::Server, role: Role, more: &[Capability]) {
    let mut caps = role.default_capabilities();
    caps.extend(more.iter().copied());
    s.app
        .db()
        .set_role_capabilities(&Actor::cli("test"), role, &caps, s.app.now())
        .await
        .expect("capabilities");
}

/// The outbox list shows a store-bound role its store's messages only, and a provider's
/// error (which can quote the recipient) only to those who may see personal data.
async fn outbox_list_is_scoped_and_hides_errors(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let a = store(&s.app, "SH01").await;
    let b = store(&s.app, "HZ01").await;
    let mut conn = s.app.db().pool().acquire().await.expect("connection");
    for (store_id, to) in [(a, "anna@a.example.cn"), (b, "bob@b.example.cn")] {
        let m = NewMessage {
            store_id: Some(store_id),
            ..NewMessage::plain(
                s.app.keys().as_ref(),
                "email",
                "test",
                to,
                "测试",
                "测试",
                3,
            )
        };
        enqueue(&mut conn, &m, s.app.now()).await.expect("queued");
    }
    drop(conn);
    sqlx::query("UPDATE outbox SET last_error = 'bounced: anna@a.example.cn'")
        .execute(s.app.db().pool())
        .await
        .expect("error");
    staff(&s.app, "liu.qiang", "store_manager", Some(a)).await;
    grant(&s, Role::SalesAssociate, &[Capability::OutboxRead]).await;
    staff(&s.app, "li.na", "sales_associate", Some(a)).await;
    let manager = Client::new(&s.base);
    manager.login("liu.qiang", PASSWORD).await;
    let page = manager.get("/console/outbox").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("@a.example.cn"), "own store's message");
    assert!(!page.body.contains("@b.example.cn"), "not another store's");
    assert!(page.body.contains("bounced"), "the manager may see it");
    let associate = Client::new(&s.base);
    associate.login("li.na", PASSWORD).await;
    let page = associate.get("/console/outbox").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("@a.example.cn"));
    assert!(
        !page.body.contains("bounced") && !page.body.contains("anna@"),
        "no personal data for a role without reveal"
    );
}
both!(outbox_list_is_scoped_and_hides_errors);

/// The points liability of a store-bound role counts its store's members only.
async fn points_liability_is_the_store_s_own(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let a = store(&s.app, "SH01").await;
    let b = store(&s.app, "HZ01").await;
    member(&s, a, "甲店会员", 1234).await;
    member(&s, b, "乙店会员", 5678).await;
    staff(&s.app, "liu.qiang", "store_manager", Some(a)).await;
    let c = Client::new(&s.base);
    c.login("liu.qiang", PASSWORD).await;
    let page = c.get("/console/reports/points").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("1234 ("), "own members' points");
    assert!(
        !page.body.contains("6912") && !page.body.contains("5678"),
        "not the chain's nor the other store's"
    );
    let admin = Client::new(&s.base);
    admin.login("owner", PASSWORD).await;
    assert!(
        admin
            .get("/console/reports/points")
            .await
            .body
            .contains("6912 (")
    );
}
both!(points_liability_is_the_store_s_own);

/// Mall rewards and coupon templates belong to the chain: a store-bound role sees and uses
/// them but cannot make or change them.
async fn chain_rewards_and_templates_are_read_only_for_stores(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let a = store(&s.app, "SH01").await;
    let admin = Actor::cli("test");
    let reward = s
        .app
        .create_reward(
            &admin,
            Scope::Chain,
            &patron_app::membership::mall::RewardInput {
                name: "连锁礼品".into(),
                points_price: 10,
                stock: Some(5),
                valid_from: s.app.now(),
                ..Default::default()
            },
        )
        .await
        .expect("reward");
    s.app
        .create_coupon_template(
            &patron_domain::Actor::system("test"),
            Scope::Chain,
            &patron_app::membership::coupons::TemplateInput {
                name: "连锁券".into(),
                amount_fen: Some(500),
                valid_days: 7,
                ..Default::default()
            },
        )
        .await
        .expect("template");
    staff(&s.app, "liu.qiang", "store_manager", Some(a)).await;
    let c = Client::new(&s.base);
    c.login("liu.qiang", PASSWORD).await;
    assert!(c.get("/console/mall").await.body.contains("连锁礼品"));
    assert!(c.get("/console/coupons").await.body.contains("连锁券"));
    c.get("/console/mall").await;
    let made = c
        .post(
            "/console/mall/rewards",
            &[("name", "门店礼品"), ("points_price", "10")],
        )
        .await;
    assert_eq!(made.status, 403);
    let changed = c
        .post(
            &format!("/console/mall/rewards/{reward}"),
            &[("more_stock", "100")],
        )
        .await;
    assert_eq!(changed.status, 403);
    assert_eq!(s.app.db().reward(reward).await.expect("row").stock, Some(5));
    c.get("/console/coupons").await;
    let template = c
        .post(
            "/console/coupons/templates",
            &[
                ("name", "门店券"),
                ("kind", "amount"),
                ("value", "10"),
                ("valid_days", "7"),
            ],
        )
        .await;
    assert_eq!(template.status, 403);
    let token = crate::harness::token_for(&s.app, "liu.qiang").await;
    let body = serde_json::json!({"name": "接口券", "amount_fen": 1000, "valid_days": 7});
    let (status, _, _) = api(
        &s.base,
        "POST",
        "/api/v1/coupon-templates",
        Some(&token),
        Some(body),
    )
    .await;
    assert_eq!(status, 403);
    let (status, list, _) = api(
        &s.base,
        "GET",
        "/api/v1/coupon-templates",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "the chain's template only"
    );
    assert!(!list.to_string().contains("门店券") && !list.to_string().contains("接口券"));
    // The chain's own staff still make them.
    let owner = Client::new(&s.base);
    owner.login("owner", PASSWORD).await;
    owner.get("/console/mall").await;
    let made = owner
        .post(
            "/console/mall/rewards",
            &[("name", "总部礼品"), ("points_price", "10")],
        )
        .await;
    assert_eq!(made.status, 303);
}
both!(chain_rewards_and_templates_are_read_only_for_stores);

/// Even holding `store.manage`, a store-bound role creates no store and opens or closes no
/// store but its own.
async fn store_roles_cannot_create_or_close_other_stores(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let a = store(&s.app, "SH01").await;
    let b = store(&s.app, "HZ01").await;
    grant(&s, Role::StoreManager, &[Capability::StoreManage]).await;
    staff(&s.app, "liu.qiang", "store_manager", Some(a)).await;
    let c = Client::new(&s.base);
    c.login("liu.qiang", PASSWORD).await;
    c.get("/console/stores").await;
    let made = c
        .post(
            "/console/stores",
            &[
                ("code", "NJ01"),
                ("name", "南京店"),
                ("timezone", "Asia/Shanghai"),
            ],
        )
        .await;
    assert_eq!(made.status, 403);
    let token = crate::harness::token_for(&s.app, "liu.qiang").await;
    let body = serde_json::json!({"code": "NJ02", "name": "南京二店"});
    let (status, _, _) = api(&s.base, "POST", "/api/v1/stores", Some(&token), Some(body)).await;
    assert_eq!(status, 403);
    assert_eq!(
        s.app.db().list_stores(Scope::Chain).await.expect("q").len(),
        2
    );
    c.get("/console/stores").await;
    let closed = c.post(&format!("/console/stores/{b}/close"), &[]).await;
    assert_eq!(closed.status, 404);
    assert_eq!(
        s.app
            .db()
            .get_store(Scope::Chain, b)
            .await
            .expect("row")
            .status
            .code(),
        "open",
        "the other store stays open"
    );
    c.get("/console/stores").await;
    let own = c.post(&format!("/console/stores/{a}/close"), &[]).await;
    assert_eq!(own.status, 303, "their own store they may close");
}
both!(store_roles_cannot_create_or_close_other_stores);

/// A household link through the API names only customers the caller may see.
async fn household_links_stay_in_scope(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let a = store(&s.app, "SH01").await;
    let b = store(&s.app, "HZ01").await;
    let mine = member(&s, a, "本店客户", 0).await;
    let spouse = member(&s, a, "本店配偶", 0).await;
    let theirs = member(&s, b, "他店客户", 0).await;
    staff(&s.app, "liu.qiang", "store_manager", Some(a)).await;
    let token = crate::harness::token_for(&s.app, "liu.qiang").await;
    let link = |other: i64| serde_json::json!({"profile": {"household": [{"customer_id": other, "relation": "配偶"}]}});
    let path = format!("/api/v1/customers/{mine}");
    let (status, body, _) = api(&s.base, "PATCH", &path, Some(&token), Some(link(theirs))).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "household", "{body}");
    assert!(!body.to_string().contains("他店客户"));
    let (_, after, _) = api(&s.base, "GET", &path, Some(&token), None).await;
    assert!(
        !after
            .to_string()
            .contains(&format!("\"customer_id\":{theirs}")),
        "{after}"
    );
    let (status, body, _) = api(&s.base, "PATCH", &path, Some(&token), Some(link(spouse))).await;
    assert_eq!(status, 200, "{body}");
}
both!(household_links_stay_in_scope);
