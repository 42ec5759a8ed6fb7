//! The role × route matrix, generated from the route table: every route, every role. Allowed
//! gives 2xx/3xx, forbidden gives 403 and an audit row. Public routes are pinned to a list,
//! so a new public route is a decision someone has to write down here.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, api, staff, start, store, unique};
use patron_domain::{Capability, Role};
use patron_store::Scope;
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
    "GET /api/docs/",
];

#[test]
fn public_routes_are_exactly_the_listed_ones() {
    let public: Vec<String> = route_table()
        .iter()
        .filter(|r| r.access == Access::Public)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        public,
        PUBLIC.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    );
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

struct Fixture {
    store: i64,
    other_store: i64,
    target: i64,
    key: i64,
    own_token: i64,
    staff_token: i64,
    customer: i64,
    other_customer: i64,
    view: i64,
    me: i64,
    upload: String,
    field: i64,
    template: i64,
    adjustment: i64,
}

/// A mobile number no other test customer has.
fn unique_mobile() -> String {
    // A counter from a random start: the walk creates over a thousand customers, enough for
    // random numbers to collide now and then.
    static NEXT: std::sync::OnceLock<std::sync::atomic::AtomicU64> = std::sync::OnceLock::new();
    let next = NEXT.get_or_init(|| {
        let b = patron_app::credentials::random_bytes(8);
        std::sync::atomic::AtomicU64::new(
            u64::from_le_bytes(b.try_into().expect("8 bytes")) % 50_000_000,
        )
    });
    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 100_000_000;
    format!("139{n:08}")
}

fn api_body(method: &str, path: &str, f: &Fixture) -> Option<serde_json::Value> {
    use serde_json::json;
    match (method, path) {
        ("POST", "/api/v1/customers") => {
            Some(json!({"name": "矩阵客户", "mobile": unique_mobile(), "store_id": f.store}))
        }
        ("POST", "/api/v1/customers/merge") => {
            Some(json!({"survivor_id": f.customer, "merged_id": f.other_customer}))
        }
        ("POST", p) if p.ends_with("/interactions") => {
            Some(json!({"kind": "note", "note": "矩阵"}))
        }
        ("POST", p) if p.ends_with("/consents") => Some(json!({"grant": ["service"]})),
        ("PATCH", _) => Some(json!({"notes": "矩阵"})),
        ("POST", "/api/v1/coupon-templates") => {
            Some(json!({"name": "矩阵券", "amount_fen": 1000, "valid_days": 7}))
        }
        ("POST", "/api/v1/points/adjustments") => {
            Some(json!({"customer_ids": [f.customer], "points": 10, "reason": "矩阵"}))
        }
        ("POST", p) if p.ends_with("/approve") || p.ends_with("/reject") => None,
        ("POST", p) if p.ends_with("/membership/end") => Some(json!({"reason": "矩阵"})),
        ("POST", p) if p.ends_with("/ranking") => Some(json!({"opt_out": true})),
        ("POST", p) if p.ends_with("/issue") => {
            Some(json!({"customer_ids": [f.customer], "reason": "矩阵"}))
        }
        ("POST", _) => Some(json!({"code": unique("A").to_uppercase(), "name": "接口门店"})),
        _ => None,
    }
}

fn path_for(template: &str, f: &Fixture) -> String {
    let id = if template.ends_with("/close") || template.ends_with("/reopen") {
        f.other_store
    } else if template.starts_with("/console/custom-fields/") {
        f.field
    } else if template.starts_with("/console/customers/views/") {
        f.view
    } else if template.ends_with("/membership/rejoin") {
        f.other_customer
    } else if template.starts_with("/console/customers/")
        || template.starts_with("/api/v1/customers/")
    {
        f.customer
    } else if template.starts_with("/api/v1/points/adjustments/")
        || template.starts_with("/console/points/adjustments/")
    {
        f.adjustment
    } else if template.starts_with("/api/v1/coupon-templates/") {
        f.template
    } else if template.starts_with("/console/stores/") {
        f.store
    } else if template.starts_with("/console/staff/") {
        f.target
    } else if template.starts_with("/console/keys/") {
        f.key
    } else if template.starts_with("/console/account/tokens/") {
        f.own_token
    } else {
        f.staff_token
    };
    template
        .replace("{id}", &id.to_string())
        .replace("{role}", "data_clerk")
        .replace("{job}", "session_cleanup")
        .replace("{code}", "en")
        .replace("{token}", &f.upload)
}

fn form_for(path: &str, store: i64, fx: &Fixture) -> Vec<(String, String)> {
    let f = |pairs: &[(&str, String)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    let s = store.to_string();
    match path {
        "/console/account/password" => f(&[
            ("current_password", "wrong".into()),
            ("password", "another long password".into()),
        ]),
        "/console/account/totp/confirm" | "/console/account/totp/disable" => {
            f(&[("code", "000000".into())])
        }
        "/console/account/tokens" => f(&[("name", "报表".into())]),
        "/console/stores" => f(&[
            ("code", unique("M").to_uppercase()),
            ("name", "矩阵门店".into()),
            ("timezone", "Asia/Shanghai".into()),
        ]),
        "/console/staff" => f(&[
            ("username", unique("m.")),
            ("display_name", "矩阵员工".into()),
            ("email", "m@shop.example.cn".into()),
            ("role", "sales_associate".into()),
            ("store_id", s),
            ("mode", "password".into()),
            ("password", PASSWORD.into()),
        ]),
        "/console/keys" => f(&[("store_id", s), ("name", "收银台".into())]),
        "/console/custom-fields" => f(&[
            ("field_key", format!("k{}", unique("").to_lowercase())),
            ("label", "装修风格".into()),
            ("kind", "choice".into()),
            ("choices", "现代|中式".into()),
        ]),
        "/console/customers/views" => f(&[("name", unique("视图")), ("query", "q=zs".into())]),
        "/console/customers" => f(&[
            ("name", "矩阵客户".into()),
            ("mobile", unique_mobile()),
            ("store_id", s),
        ]),
        "/console/customers/merge" => f(&[
            ("survivor_id", fx.customer.to_string()),
            ("merged_id", fx.other_customer.to_string()),
        ]),
        "/console/customers/handover" => f(&[
            ("from_staff_id", fx.target.to_string()),
            ("to_staff_id", fx.me.to_string()),
            ("reason", "离职".into()),
        ]),
        p if p.ends_with("/reveal") => f(&[("field", "mobile".into()), ("reason", "核对".into())]),
        p if p.ends_with("/consents") => {
            f(&[("purpose", "service".into()), ("granted", "1".into())])
        }
        p if p.ends_with("/interactions") => f(&[("kind", "note".into()), ("note", "矩阵".into())]),
        p if p.ends_with("/points") => f(&[("points", "5".into()), ("reason", "矩阵".into())]),
        p if p.ends_with("/membership/end") => f(&[("reason", "矩阵".into())]),
        "/console/till/sale" => f(&[
            ("key", unique("till")),
            ("receipt_no", unique("R")),
            ("sku_0", "A1".into()),
            ("qty_0", "1".into()),
            ("price_0", "12.50".into()),
        ]),
        "/console/coupons/templates" => f(&[
            ("name", "矩阵券".into()),
            ("kind", "amount".into()),
            ("value", "10".into()),
            ("valid_days", "7".into()),
        ]),
        "/console/coupons/issue" => f(&[
            ("template_id", fx.template.to_string()),
            ("customers", "13800000000".into()),
            ("reason", "矩阵".into()),
        ]),
        p if p.ends_with("/household") => f(&[
            ("archive_no", "S01-999999".into()),
            ("relation", "配偶".into()),
        ]),
        p if p.ends_with("/owner") => {
            f(&[("owner_staff_id", String::new()), ("reason", "调整".into())])
        }
        p if p.starts_with("/console/customers/") && p.matches('/').count() == 3 => {
            f(&[("name", "改名客户".into())])
        }
        "/console/settings" => f(&[
            ("session_cleanup", "every 15m".into()),
            ("backup", "daily 03:00".into()),
            ("keep", "14".into()),
        ]),
        p if p.starts_with("/console/stores/")
            && !p.ends_with("close")
            && !p.ends_with("reopen") =>
        {
            f(&[
                ("name", "改名门店".into()),
                ("timezone", "Asia/Shanghai".into()),
            ])
        }
        p if p.starts_with("/console/staff/") && p.matches('/').count() == 3 => f(&[
            ("display_name", "改名员工".into()),
            ("email", "t@shop.example.cn".into()),
            ("role", "sales_associate".into()),
            ("store_id", s),
        ]),
        p if p.starts_with("/console/roles/") => Role::DataClerk
            .default_capabilities()
            .iter()
            .map(|c| ("cap".to_string(), c.as_str().to_string()))
            .collect(),
        _ => Vec::new(),
    }
}

async fn fixture(s: &crate::harness::Server, store_id: i64, other_store: i64, me: i64) -> Fixture {
    let target = staff(
        &s.app,
        &unique("target."),
        "sales_associate",
        Some(store_id),
    )
    .await;
    s.app
        .create_api_key(None, store_id, "矩阵", None)
        .await
        .expect("key");
    let key = s.app.db.list_api_keys(Scope::Chain).await.expect("keys")[0].id;
    s.app
        .create_api_token(None, me, "mine", None)
        .await
        .expect("token");
    let own_token = s
        .app
        .db
        .list_api_tokens(Scope::Chain, Some(me))
        .await
        .expect("tokens")[0]
        .id;
    s.app
        .create_api_token(None, target, "theirs", None)
        .await
        .expect("token");
    let staff_token = s
        .app
        .db
        .list_api_tokens(Scope::Chain, Some(target))
        .await
        .expect("tokens")[0]
        .id;
    let mut customers = Vec::new();
    for name in ["矩阵甲", "矩阵乙"] {
        let input = patron_domain::customer::CustomerInput {
            name: name.into(),
            mobile: unique_mobile(),
            ..Default::default()
        };
        let options = patron_app::customers::CreateOptions {
            store_id: Some(store_id),
            ..Default::default()
        };
        let c = s
            .app
            .create_customer(
                &patron_domain::Actor::cli("matrix"),
                Scope::Chain,
                &input,
                &options,
            )
            .await
            .expect("customer");
        customers.push(c.id);
    }
    let view_name = unique("v");
    s.app
        .db
        .save_customer_view(me, &view_name, "q=zs", s.app.now())
        .await
        .expect("view");
    let view = s
        .app
        .db
        .list_customer_views(me)
        .await
        .expect("views")
        .into_iter()
        .find(|v| v.name == view_name)
        .expect("saved")
        .id;
    let upload = s
        .app
        .stash_upload(me, "姓名,手机号\n矩阵,13900000000\n".as_bytes())
        .expect("upload");
    let field = s
        .app
        .create_custom_field(
            &patron_domain::Actor::cli("matrix"),
            &format!("f{}", unique("").to_lowercase()),
            "房屋面积",
            "number",
            "",
        )
        .await
        .expect("field");
    let template = s
        .app
        .create_coupon_template(&patron_app::sales::coupons::TemplateInput {
            name: "矩阵券".into(),
            amount_fen: Some(500),
            valid_days: 7,
            ..Default::default()
        })
        .await
        .expect("template");
    s.app
        .issue_card(
            &patron_domain::Actor::cli("matrix"),
            Scope::Chain,
            customers[0],
        )
        .await
        .expect("card");
    s.app
        .end_membership(
            &patron_domain::Actor::cli("matrix"),
            Scope::Chain,
            customers[1],
            "矩阵注销",
        )
        .await
        .expect("ended");
    let adjustment = s
        .app
        .adjust_points(
            &patron_domain::Actor::cli("matrix"),
            patron_store::Scope::Chain,
            &[customers[0]],
            5000,
            "矩阵审批",
        )
        .await
        .expect("adjustment")
        .ids[0];
    Fixture {
        adjustment,
        template,
        field,
        upload,
        view,
        me,
        customer: customers[0],
        other_customer: customers[1],
        store: store_id,
        other_store,
        target,
        key,
        own_token,
        staff_token,
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
        let caps = s.app.db.role_capabilities(*role).await.expect("caps");
        let token = s
            .app
            .create_api_token(None, me, "matrix", None)
            .await
            .expect("token");
        let c = Client::new(&s.base);
        assert_eq!(c.login(&username, PASSWORD).await.location, "/console");
        for route in routes.iter().filter(|r| r.access != Access::Public) {
            let f = fixture(&s, s1, s2, me).await;
            let path = path_for(route.path, &f);
            let allowed = match route.access {
                Access::Cap(cap) => caps.contains(&cap),
                Access::SignedIn | Access::AnySession | Access::Stage(_) => true,
                Access::Till => false,
                Access::Public => true,
            };
            let status = if path.starts_with("/api/") {
                let body = api_body(route.method, &path, &f);
                api(&s.base, route.method, &path, Some(&token), body)
                    .await
                    .0
            } else {
                c.get("/console").await;
                if route.method == "GET" {
                    let page = c.get(&path).await;
                    assert!(
                        !page.body.contains("[missing message]"),
                        "{path}: a message is missing from the catalog"
                    );
                    page.status
                } else if path == "/console/customers/import" {
                    let file = reqwest::multipart::Form::new().part(
                        "file",
                        reqwest::multipart::Part::bytes("姓名\n矩阵\n".as_bytes().to_vec())
                            .file_name("m.csv"),
                    );
                    c.multipart(&format!("{path}?_csrf={}", c.csrf()), file)
                        .await
                        .status
                } else {
                    let form = form_for(&path, s1, &f);
                    let pairs: Vec<(&str, &str)> =
                        form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    c.post(&path, &pairs).await.status
                }
            };
            let label = format!(
                "{} {} {path} as {}",
                route.method,
                route.path,
                role.as_str()
            );
            if allowed {
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
        .filter(|r| r.access != Access::Public)
        .count();
    assert_eq!(
        checked,
        guarded * Role::ALL.len(),
        "every guarded route was tried by every role"
    );
    let rows = crate::harness::audit(&s.app, "access.denied", "").await;
    assert_eq!(rows.len(), denied, "every refusal is in the audit log");
    assert!(rows.iter().all(|r| r.outcome == "denied"));
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
        .filter(|r| r.access == Access::Public && r.method == "GET")
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
    for r in route_table().iter().filter(|r| r.access != Access::Public) {
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
        .db
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
