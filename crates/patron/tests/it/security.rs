//! TOTP sign-in and enrolment, forced password changes, role edits, the last-admin rule,
//! security headers, health and metrics, and the offline API documentation.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store};
use jiff::SignedDuration;
use patron_domain::totp;

fn code_now(secret_b32: &str, now: jiff::Timestamp, offset_steps: i64) -> String {
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret_b32.replace(' ', "").as_bytes())
        .expect("base32");
    format!(
        "{:06}",
        totp::code_for_step(&secret, totp::step_at(now.as_second()) + offset_steps)
    )
}

fn secret_on(page: &str) -> String {
    let start = page.find("id=\"totp-secret\">").expect("secret on page") + 17;
    page[start..].split('<').next().expect("secret").to_string()
}

async fn totp_enrolment_and_second_step(kind: Kind) {
    let Some(s) = start(kind, |c| {
        c.security.totp_required_roles = vec!["admin".into(), "store_manager".into()]
    })
    .await
    else {
        return;
    };
    let st = store(&s.app, "SH01").await;
    staff(&s.app, "liu.qiang", "store_manager", Some(st)).await;
    let c = Client::new(&s.base);
    // A role that requires TOTP is sent to enrolment and can reach nothing else.
    assert_eq!(
        c.login("liu.qiang", PASSWORD).await.location,
        "/account/enrol"
    );
    assert_eq!(c.get("/console").await.location, "/account/enrol");
    assert_eq!(c.get("/console/staff").await.location, "/account/enrol");
    let page = c.get("/account/enrol").await;
    let secret = secret_on(&page.body);
    assert!(
        page.body
            .contains("otpauth://totp/Patron:liu.qiang?secret=")
    );
    let wrong = c.post("/account/enrol", &[("code", "000000")]).await;
    assert!(wrong.body.contains("验证码不正确"));
    assert_eq!(
        c.post(
            "/account/enrol",
            &[("code", &code_now(&secret, s.app.now(), 0))]
        )
        .await
        .location,
        "/console?ok=totp_enabled"
    );
    assert_eq!(c.get("/console/staff").await.status, 200);
    // The secret is sealed at rest: not in the database in any readable form.
    let raw: String =
        sqlx::query_scalar("SELECT totp_secret FROM staff WHERE username = 'liu.qiang'")
            .fetch_one(s.app.db().pool())
            .await
            .expect("row");
    assert!(
        !raw.contains(&secret.replace(' ', "")),
        "TOTP secret stored in clear"
    );
    // Without the key file, the server refuses to start instead of making new keys.
    let key_file = patron_app::keyring::key_path(&s.app.config().data_dir);
    let moved = key_file.with_extension("away");
    std::fs::rename(&key_file, &moved).expect("move key file");
    let refused = patron_app::App::open_keyring(s.app.config(), s.app.db())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(refused.contains("is missing"), "{refused}");
    std::fs::rename(&moved, &key_file).expect("restore key file");
    c.get("/console").await;
    c.post("/logout", &[]).await;

    // Next sign-in: password, then the code. The same code cannot be used twice.
    s.clock.advance(SignedDuration::from_secs(60));
    assert_eq!(c.login("liu.qiang", PASSWORD).await.location, "/login/totp");
    assert_eq!(
        c.get("/console").await.location,
        "/login/totp",
        "no access before the second step"
    );
    c.get("/login/totp").await;
    let code = code_now(&secret, s.app.now(), 0);
    assert_eq!(
        c.post("/login/totp", &[("code", "123456")]).await.status,
        200
    );
    assert_eq!(
        c.post("/login/totp", &[("code", &code)]).await.location,
        "/console"
    );
    c.get("/console").await;
    c.post("/logout", &[]).await;
    c.login("liu.qiang", PASSWORD).await;
    c.get("/login/totp").await;
    let replay = c.post("/login/totp", &[("code", &code)]).await;
    assert!(
        replay.body.contains("验证码不正确"),
        "a used code is refused"
    );
    // A phone clock one step ahead still works (drift); the role may not turn TOTP off.
    s.clock.advance(SignedDuration::from_secs(30));
    assert!(
        c.post(
            "/login/totp",
            &[("code", &code_now(&secret, s.app.now(), -1))]
        )
        .await
        .body
        .contains("验证码不正确"),
        "one step back is the code already used"
    );
    assert_eq!(
        c.post(
            "/login/totp",
            &[("code", &code_now(&secret, s.app.now(), 1))]
        )
        .await
        .location,
        "/console"
    );
    c.get("/console/account").await;
    let off = c
        .post(
            "/console/account/totp/disable",
            &[("code", &code_now(&secret, s.app.now(), 1))],
        )
        .await;
    assert!(off.body.contains("必须使用动态验证码"), "{}", off.status);
}
both!(totp_enrolment_and_second_step);

async fn one_time_passwords_must_be_changed(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "SH01").await;
    staff(&s.app, "he.xue", "sales_associate", Some(st)).await;
    let temp = s
        .app
        .reset_password_to_temporary("he.xue")
        .await
        .expect("reset");
    let c = Client::new(&s.base);
    assert_eq!(
        c.login("he.xue", PASSWORD).await.status,
        401,
        "the old password is gone"
    );
    assert_eq!(
        c.login("he.xue", &temp).await.location,
        "/account/password-required"
    );
    assert_eq!(
        c.get("/console").await.location,
        "/account/password-required"
    );
    c.get("/account/password-required").await;
    let same = c
        .post(
            "/account/password-required",
            &[("current_password", &temp), ("password", &temp)],
        )
        .await;
    assert!(same.body.contains("新密码不能与当前密码相同"));
    assert_eq!(
        c.post(
            "/account/password-required",
            &[
                ("current_password", &temp),
                ("password", "我自己选的长密码")
            ]
        )
        .await
        .location,
        "/console?ok=password_changed"
    );
    assert_eq!(c.get("/console").await.status, 200);
}
both!(one_time_passwords_must_be_changed);

async fn role_edits_apply_and_the_last_admin_stays(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "SH01").await;
    staff(&s.app, "lin.yan", "data_clerk", Some(st)).await;
    let clerk = Client::new(&s.base);
    clerk.login("lin.yan", PASSWORD).await;
    assert_eq!(clerk.get("/console/staff").await.status, 403);
    let admin = Client::new(&s.base);
    admin.login("owner", PASSWORD).await;
    admin.get("/console/roles").await;
    let mut caps: Vec<(&str, &str)> = patron_domain::Role::DataClerk
        .default_capabilities()
        .iter()
        .map(|c| ("cap", c.as_str()))
        .collect();
    caps.push(("cap", "staff.read"));
    assert_eq!(
        admin
            .post("/console/roles/data_clerk", &caps)
            .await
            .location,
        "/console/roles?ok=role_saved"
    );
    assert_eq!(
        clerk.get("/console/staff").await.status,
        200,
        "granted from the next request on"
    );
    assert_eq!(
        admin
            .post("/console/roles/admin", &[("cap", "store.read")])
            .await
            .status,
        422,
        "the admin role is fixed"
    );
    // The only admin can neither disable nor demote themselves, nor be disabled by anyone.
    let owner = s
        .app
        .db()
        .staff_by_username("owner")
        .await
        .expect("q")
        .expect("row")
        .id;
    admin.get(&format!("/console/staff/{owner}")).await;
    let r = admin
        .post(&format!("/console/staff/{owner}/disable"), &[])
        .await;
    assert!(r.body.contains("不能停用自己的账号"));
    assert_eq!(
        s.app
            .set_staff_active(None, owner, false, None)
            .await
            .map_err(|e| e.code()),
        Err("conflict"),
        "last active admin"
    );
}
both!(role_edits_apply_and_the_last_admin_stays);

async fn headers_health_metrics_and_docs(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let c = Client::new(&s.base);
    let page = c.get("/login").await;
    let h = |n: &str| {
        page.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert!(
        h("content-security-policy").contains("script-src 'self'")
            && !h("content-security-policy").contains("unsafe-inline")
    );
    assert!(h("content-security-policy").contains("frame-ancestors 'none'"));
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("referrer-policy"), "same-origin");
    assert_eq!(h("cache-control"), "no-store");
    assert!(!h("x-request-id").is_empty());
    assert!(!page.body.contains("<script>"), "no inline scripts");
    assert_eq!(c.get("/healthz").await.body, "ok");
    assert_eq!(c.get("/readyz").await.status, 200);
    let metrics = c.get("/metrics").await.body;
    assert!(
        metrics.contains("patron_http_requests_total{method=\"GET\",status=\"200\"}")
            && metrics.contains("patron_database_up 1"),
        "{metrics}"
    );
    let docs = c.get("/api/docs/").await;
    assert_eq!(docs.status, 200);
    assert!(
        !docs.body.contains("https://"),
        "Swagger UI is served offline: {}",
        &docs.body[..docs.body.len().min(400)]
    );
    let spec: serde_json::Value =
        serde_json::from_str(&c.get("/api/v1/openapi.json").await.body).expect("json");
    for p in [
        "/api/v1/me",
        "/api/v1/stores",
        "/api/v1/staff",
        "/api/v1/audit",
        "/api/v1/till",
    ] {
        assert!(spec["paths"][p].is_object(), "{p} documented");
    }
    // Unknown pages: HTML for people, problem+json for programs.
    assert_eq!(c.get("/nope").await.status, 404);
    let (status, body, ctype) =
        crate::harness::api(&s.base, "GET", "/api/v1/nope", None, None).await;
    assert_eq!(
        (status, ctype.as_str(), body["code"].as_str()),
        (404, "application/problem+json", Some("not_found"))
    );
    // Validation errors name the field, in the caller's language.
    let token = crate::harness::token_for(&s.app, "owner").await;
    let post_store = async |body: serde_json::Value| {
        crate::harness::api(&s.base, "POST", "/api/v1/stores", Some(&token), Some(body)).await
    };
    let (status, body, _) = post_store(serde_json::json!({"code": "门店", "name": "x"})).await;
    assert_eq!(
        (status, body["code"].as_str(), body["field"].as_str()),
        (422, Some("invalid_field"), Some("code"))
    );
    assert!(
        body["title"]
            .as_str()
            .is_some_and(|t| t.contains("门店编码"))
    );
    let (status, body, _) = post_store(serde_json::json!({"code": "SH09", "name": "新店"})).await;
    assert_eq!((status, body["code"].as_str()), (201, Some("SH09")));
    let (status, body, _) = post_store(serde_json::json!({"code": "sh09", "name": "又一家"})).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (409, Some("code")),
        "duplicate codes are a conflict on the field"
    );
    let (status, _, _) = post_store(serde_json::json!({"nom": 1})).await;
    assert_eq!(status, 422);
}
both!(headers_health_metrics_and_docs);

/// The catalogs have the same keys, and every key the code and templates use exists.
#[test]
fn message_catalogs_are_complete() {
    let (zh, en) = patron_web::catalog_keys();
    assert_eq!(zh, en, "zh-CN and en have the same keys");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut used = std::collections::BTreeSet::new();
    let mut stack = vec![
        root.join("patron-web/src"),
        root.join("patron-web/templates"),
        root.join("patron-app/src"),
        root.join("patron-domain/src"),
    ];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir").filter_map(|e| e.ok()) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for quote in text.split('"').skip(1).step_by(2) {
                let looks_like_key = quote.split('.').count() >= 2
                    && quote
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
                    && [
                        "error.",
                        "flash.",
                        "nav.",
                        "field.",
                        "hint.",
                        "home.",
                        "account.",
                        "login.",
                        "setup.",
                        "staff.",
                        "stores.",
                        "keys.",
                        "audit.",
                        "settings.",
                        "outbox.",
                        "roles.",
                        "enrol.",
                        "totp.",
                        "link.",
                        "confirm.",
                        "secret.",
                        "status.",
                        "action.",
                        "filter.",
                        "password_required.",
                        "ledger.",
                        "timeline.",
                        "notice.",
                        "mail.",
                    ]
                    .iter()
                    .any(|p| quote.starts_with(p));
                let is_code = quote.ends_with(".rs")
                    || quote.ends_with(".html")
                    || quote.ends_with(".read")
                    || quote.ends_with(".manage");
                if looks_like_key && !is_code && !quote.ends_with('.') {
                    used.insert(quote.to_string());
                }
            }
        }
    }
    // Capability names and audit actions share the dotted shape; they are not messages.
    let missing: Vec<&String> = used
        .iter()
        .filter(|k| !zh.contains(k) && !is_audit_action(k))
        .collect();
    assert!(
        missing.is_empty(),
        "keys used but missing from the catalogs: {missing:?}"
    );
    assert!(used.len() > 150, "the scan found the keys ({})", used.len());
}

fn is_audit_action(k: &str) -> bool {
    matches!(
        k,
        "staff.create"
            | "staff.update"
            | "staff.disable"
            | "staff.enable"
            | "staff.password"
            | "staff.invite"
            | "staff.reset_link"
            | "staff.invite_accept"
            | "staff.reset_password"
            | "staff.totp.enable"
            | "staff.totp.begin"
            | "staff.totp.disable"
    )
}
