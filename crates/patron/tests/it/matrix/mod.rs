//! The role × route matrix, generated from the route table: every route, every role. Allowed
//! gives 2xx/3xx, forbidden gives 403 and an audit row; a store-bound role is refused what
//! changes the whole chain (`CHAIN_ONLY`). Public routes are pinned to a list, so a new public
//! route is a decision someone has to write down here. `matrix::foreign` walks the same table
//! with a second store's objects.

pub mod fixture;
mod foreign;
pub mod forms;
pub mod service;

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, api, staff, start, store};
use crate::matrix::fixture::{fixture, path_for};
use crate::matrix::forms::send;
use patron_domain::{Capability, Role};
use patron_web::{Access, route_table};

const PUBLIC: &[&str] = &[
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /static/app.css",
    "GET /static/app.js",
    "GET /api/v1/openapi.json",
    "GET /",
    "GET /setup",
    "POST /setup",
    "GET /login",
    "POST /login",
    "GET /lang/{code}",
    "GET /invite/{token}",
    "POST /invite/{token}",
    "GET /reset/{token}",
    "POST /reset/{token}",
    "GET /unsubscribe/{token}",
    "POST /unsubscribe/{token}",
    "GET /s/{token}",
    "POST /s/{token}",
    "POST /hooks/sms/{token}",
    "GET /api/docs/",
];

/// Routes that make or change what belongs to the whole chain: a store-bound role is refused
/// them whatever its capabilities (the scope says no, not the role).
const CHAIN_ONLY: &[&str] = &[
    "POST /api/v1/stores",
    "POST /console/stores",
    "POST /api/v1/coupon-templates",
    "POST /console/coupons/templates",
    "POST /console/mall/rewards",
    "POST /console/mall/rewards/{id}",
    "POST /console/surveys",
    "POST /console/surveys/{id}",
    "POST /console/care/churn/playbooks",
    "POST /console/messages/templates",
    "POST /console/messages/templates/{id}/delete",
];

#[test]
fn public_routes_are_exactly_the_listed_ones() {
    let public: Vec<String> = route_table()
        .iter()
        .filter(|r| r.access.anonymous())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        public,
        PUBLIC.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    );
    for chain_only in CHAIN_ONLY {
        assert!(
            route_table()
                .iter()
                .any(|r| format!("{} {}", r.method, r.path) == *chain_only),
            "{chain_only} is not a route"
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in route_table() {
        assert!(
            seen.insert((r.method, r.path)),
            "route declared twice: {} {}",
            r.method,
            r.path
        );
    }
}

async fn role_route_matrix(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S01").await;
    let s2 = store(&s.app, "S02").await;
    let mut routes = route_table();
    // Signing out ends the session the rest of the walk needs: do it last.
    routes.sort_by_key(|r| r.path == "/logout");
    let mut denied = 0usize;
    let mut checked = 0usize;
    let mut sides: std::collections::BTreeMap<Capability, (bool, bool)> = Default::default();
    for role in Role::ALL {
        let store_id = (!role.is_chain_wide()).then_some(s1);
        let username = format!("r.{}", role.as_str().replace('_', "-"));
        let me = staff(&s.app, &username, role.as_str(), store_id).await;
        let caps = s.app.db().role_capabilities(*role).await.expect("caps");
        let token = s
            .app
            .create_api_token(None, me, "matrix", None)
            .await
            .expect("token")
            .secret;
        let c = Client::new(&s.base);
        assert_eq!(c.login(&username, PASSWORD).await.location, "/console");
        for route in routes.iter().filter(|r| !r.access.anonymous()) {
            let f = fixture(&s, s1, s2, me).await;
            let path = path_for(route.path, &f);
            let allowed = match route.access {
                Access::Cap(cap) => caps.contains(&cap),
                Access::SignedIn | Access::AnySession | Access::Stage(_) => true,
                Access::Till => false,
                Access::Public | Access::Secret => true,
            };
            let status = send(&s, &c, &token, route.method, &path, s1, &f)
                .await
                .status;
            let route_key = format!("{} {}", route.method, route.path);
            let label = format!(
                "{} {} {path} as {}",
                route.method,
                route.path,
                role.as_str()
            );
            if allowed && !role.is_chain_wide() && CHAIN_ONLY.contains(&route_key.as_str()) {
                assert_eq!(status, 403, "{label}: the chain's objects, not a store's");
            } else if allowed {
                assert!(
                    (200..400).contains(&status),
                    "{label}: allowed but got {status}"
                );
            } else if route.access == Access::Till {
                assert_eq!(status, 401, "{label}: tills only");
            } else {
                assert_eq!(status, 403, "{label}: should be forbidden");
                denied += 1;
            }
            if let Access::Cap(cap) = route.access {
                let e = sides.entry(cap).or_default();
                if allowed { e.0 = true } else { e.1 = true }
            }
            checked += 1;
        }
    }
    let guarded = route_table()
        .iter()
        .filter(|r| !r.access.anonymous())
        .count();
    assert_eq!(
        checked,
        guarded * Role::ALL.len(),
        "every guarded route was tried by every role"
    );
    // Counted in SQL: there are more refusals than the audit page lists at once.
    let (logged, not_denied): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN outcome <> 'denied' THEN 1 ELSE 0 END), 0) \
         FROM audit_log WHERE action = 'access.denied'",
    )
    .fetch_one(s.app.db().pool())
    .await
    .expect("audit count");
    assert_eq!(logged as usize, denied, "every refusal is in the audit log");
    assert_eq!(not_denied, 0);
    // Both sides of every capability a route needs were exercised (denied unless all hold it).
    for (cap, (was_allowed, was_denied)) in &sides {
        assert!(was_allowed, "{} never allowed", cap.as_str());
        let held_by_all = Role::ALL
            .iter()
            .all(|r| r.default_capabilities().contains(cap));
        assert!(*was_denied || held_by_all, "{} never denied", cap.as_str());
    }
}
both!(role_route_matrix);

async fn public_routes_answer_anonymous_visitors(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let c = Client::new(&s.base);
    for r in route_table()
        .iter()
        .filter(|r| r.access.anonymous() && r.method == "GET")
    {
        let path = r.path.replace("{code}", "en").replace("{token}", "bogus");
        let status = c.get(&path).await.status;
        let expected_missing = path.contains("bogus");
        assert!(
            if expected_missing {
                status == 404
            } else {
                (200..400).contains(&status)
            },
            "{path}: {status}"
        );
    }
    // Everything else turns anonymous visitors away: to sign-in, or 401 for the API.
    for r in route_table().iter().filter(|r| !r.access.anonymous()) {
        let path = r
            .path
            .replace("{id}", "1")
            .replace("{role}", "data_clerk")
            .replace("{job}", "backup");
        let status = if path.starts_with("/api/") {
            api(&s.base, r.method, &path, None, None).await.0
        } else if r.method == "GET" {
            c.get(&path).await.status
        } else {
            c.get("/login").await;
            c.post(&path, &[]).await.status
        };
        assert!(
            status == 401 || status == 303,
            "{} {path}: anonymous got {status}",
            r.method
        );
    }
}
both!(public_routes_answer_anonymous_visitors);

/// Every console page in English: the switch works and no message is missing.
async fn every_page_in_english(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S01").await;
    let me = s
        .app
        .db()
        .staff_by_username("owner")
        .await
        .expect("q")
        .expect("row")
        .id;
    let f = fixture(&s, s1, s1, me).await;
    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;
    assert_eq!(c.get("/lang/en").await.status, 303);
    assert_eq!(c.cookie("lang").as_deref(), Some("en"));
    for r in route_table()
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/console"))
        // Downloads, photos and attachments are not pages (checked by their own tests).
        .filter(|r| {
            !r.path.ends_with(".xlsx")
                && !r.path.ends_with("/photo")
                && !r.path.starts_with("/console/service/attachments/")
        })
    {
        let path = path_for(r.path, &f);
        let mut page = c.get(&path).await;
        if page.status == 303 {
            page = c.get(&page.location).await;
        }
        assert_eq!(page.status, 200, "{path}");
        assert!(page.body.contains("<html lang=\"en\">"), "{path}");
        assert!(
            !page.body.contains("[missing message]"),
            "{path}: a message is missing"
        );
        assert!(page.body.contains("Sign out"), "{path}");
    }
}
both!(every_page_in_english);
