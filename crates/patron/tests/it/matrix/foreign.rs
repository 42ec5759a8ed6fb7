//! The route walk across stores: a store-bound role, holding every capability a store role can
//! be given, tries every route that names an object (an id in the path or in the body) with
//! the objects of a second store. Each try is refused (403, 404, 422, or a console form shown
//! again with its error), nothing of the other store's customers shows in the refusal, and
//! what belongs to the whole chain (mall rewards, coupon templates, surveys, playbooks, message
//! templates) may be read and used but not changed.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store, unique};
use crate::matrix::fixture::{fixture, path_for};
use crate::matrix::forms::{api_body, form_for, send};
use patron_domain::{Actor, Capability, Role};
use patron_store::Scope;
use patron_web::{Access, route_table};

/// Objects of the whole chain, not of a store: readable by every store, changed by none.
const CHAIN_WIDE: &[&str] = &[
    "/console/mall/rewards/",
    "/api/v1/coupon-templates/",
    "/console/surveys/",
    "/console/care/churn/playbooks/",
    "/console/custom-fields/",
    "/console/messages/templates/",
];

/// Whether a body names an object by id (`customer_id`, `store_id`, `survivor_id`, …).
fn names_an_id(method: &str, path: &str, f: &crate::matrix::fixture::Fixture) -> bool {
    let id_key = |k: &str| k.ends_with("_id") || k.ends_with("_ids");
    if path.starts_with("/api/") {
        api_body(method, path, f)
            .and_then(|b| b.as_object().map(|o| o.keys().any(|k| id_key(k))))
            .unwrap_or(false)
    } else if method == "GET" {
        false
    } else {
        form_for(path, f.store, f).iter().any(|(k, _)| id_key(k))
    }
}

async fn second_store_objects_are_refused(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let own = store(&s.app, "S01").await;
    let other = store(&s.app, "S02").await;
    // Scope, not capability, is under test: the store role holds everything but the chain's
    // own configuration (roles and settings).
    let caps = Capability::ALL
        .iter()
        .copied()
        .filter(|c| !matches!(c, Capability::RoleManage | Capability::SettingsManage))
        .collect();
    s.app
        .db()
        .set_role_capabilities(
            &Actor::cli("matrix"),
            Role::StoreManager,
            &caps,
            s.app.now(),
        )
        .await
        .expect("capabilities");
    let me = staff(&s.app, "r.store-manager", "store_manager", Some(own)).await;
    let token = s
        .app
        .create_api_token(None, me, "matrix", None)
        .await
        .expect("token");
    let c = Client::new(&s.base);
    assert_eq!(
        c.login("r.store-manager", PASSWORD).await.location,
        "/console"
    );
    // Everything of the second store, owned there by a manager of its own.
    let theirs = staff(&s.app, &unique("other."), "store_manager", Some(other)).await;
    let mut f = fixture(&s, other, other, theirs).await;
    f.segment = s
        .app
        .db()
        .save_segment(
            None,
            Some(other),
            &unique("seg"),
            "[\"sku=T1\"]",
            None,
            s.app.now(),
        )
        .await
        .expect("segment");
    let mut personal = vec!["矩阵甲".to_string(), "矩阵乙".to_string()];
    for id in [f.customer, f.other_customer] {
        let row = s
            .app
            .db()
            .get_customer(Scope::Chain, id)
            .await
            .expect("row");
        personal.push(row.archive_no);
    }
    let mut routes = route_table();
    routes.sort_by_key(|r| r.path == "/logout");
    let mut leaks = Vec::new();
    let mut tried = 0usize;
    for route in routes
        .iter()
        .filter(|r| !r.access.anonymous() && r.access != Access::Till && r.path != "/logout")
    {
        let path = path_for(route.path, &f);
        let in_path = route.path.contains("{id}") || route.path.contains("{token}");
        if !in_path && !names_an_id(route.method, &path, &f) {
            continue;
        }
        // The chain's objects are read by every store, and a playbook is run by a store on
        // its own customers: using them is not changing them.
        let chain_wide = CHAIN_WIDE.iter().any(|p| route.path.starts_with(p));
        if chain_wide && (route.method == "GET" || route.path.ends_with("/run")) {
            continue;
        }
        tried += 1;
        let answer = send(&s, &c, &token.secret, route.method, &path, other, &f).await;
        let label = format!("{} {} -> {}", route.method, route.path, answer.status);
        // A console form that refuses a field shows itself again with the error (200).
        let form_refused = answer.status == 200
            && route.method != "GET"
            && !path.starts_with("/api/")
            && answer.body.contains("role=\"alert\"");
        if !matches!(answer.status, 403 | 404 | 422) && !form_refused {
            leaks.push(format!("{label} {}", answer.location));
        } else if let Some(p) = personal.iter().find(|p| answer.body.contains(p.as_str())) {
            leaks.push(format!("{label}: the refusal shows {p}"));
        }
    }
    assert!(tried > 90, "the walk tried {tried} routes");
    assert!(
        leaks.is_empty(),
        "store S01's manager reached store S02:\n{}",
        leaks.join("\n")
    );
}
both!(second_store_objects_are_refused);
