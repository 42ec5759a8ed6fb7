//! First-run set-up, signing in and out, throttling, session expiry, CSRF.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, start_fresh, store};
use jiff::SignedDuration;

async fn first_run_setup(kind: Kind) {
    let Some(s) = start_fresh(kind, |_| {}).await else {
        return;
    };
    let c = Client::new(&s.base);
    assert_eq!(c.get("/").await.location, "/setup");
    assert_eq!(
        c.get("/login").await.location,
        "/setup",
        "no admin yet: sign-in leads to set-up"
    );
    let page = c.get("/setup").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("初始设置"), "Chinese by default");
    // Bad input keeps what was typed and names the field.
    let bad = c
        .post(
            "/setup",
            &[
                ("username", "boss"),
                ("display_name", "王老板"),
                ("email", ""),
                ("password", "12345678"),
            ],
        )
        .await;
    assert_eq!(bad.status, 200);
    assert!(bad.body.contains("密码：这个密码太常见"), "{}", bad.body);
    assert!(bad.body.contains("value=\"王老板\""));
    let ok = c
        .post(
            "/setup",
            &[
                ("username", "boss"),
                ("display_name", "王老板"),
                ("email", ""),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        (ok.status, ok.location.as_str()),
        (303, "/login?ok=setup_done")
    );
    // Set-up happens once: a second attempt creates nothing.
    let c2 = Client::new(&s.base);
    assert_eq!(c2.get("/setup").await.location, "/login");
    c2.get("/login").await;
    let again = c2
        .post(
            "/setup",
            &[
                ("username", "intruder"),
                ("display_name", "X"),
                ("email", ""),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.location, "/login");
    assert!(
        s.app
            .db()
            .staff_by_username("intruder")
            .await
            .expect("query")
            .is_none()
    );
    assert_eq!(s.app.db().count_active_admins().await.expect("count"), 1);
    let login = c.login("boss", PASSWORD).await;
    assert_eq!((login.status, login.location.as_str()), (303, "/console"));
    assert_eq!(c.get("/console").await.status, 200);
}
both!(first_run_setup);

async fn login_logout_and_same_answer_for_unknown_users(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "S01").await;
    staff(&s.app, "li.na", "sales_associate", Some(st)).await;
    let c = Client::new(&s.base);
    let wrong = c.login("li.na", "not the password").await;
    let unknown = c.login("nobody.here", "not the password").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    let msg = |b: &str| {
        b.split("role=\"alert\">")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(msg(&wrong.body), msg(&unknown.body));
    assert_eq!(msg(&wrong.body), "用户名或密码错误。");
    let before = c.cookie("patron_session");
    let ok = c.login("Li.Na", PASSWORD).await;
    assert_eq!(ok.location, "/console");
    let session = c.cookie("patron_session").expect("session cookie");
    assert_ne!(Some(session.clone()), before);
    let set_cookie: Vec<_> = ok
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        set_cookie
            .iter()
            .any(|v| v.contains("HttpOnly") && v.contains("SameSite=Lax")),
        "{set_cookie:?}"
    );
    assert_eq!(c.get("/console").await.status, 200);
    // A second sign-in rotates the session: the old cookie stops working.
    let old = session.clone();
    c.login("li.na", PASSWORD).await;
    let other = Client::new(&s.base);
    other.set_cookie("patron_session", &old);
    assert_eq!(
        other.get("/console").await.location,
        "/login",
        "old session ended at re-login"
    );
    c.get("/console").await;
    let out = c.post("/logout", &[]).await;
    assert_eq!(out.location, "/login?ok=logged_out");
    assert_eq!(c.get("/console").await.location, "/login");
}
both!(login_logout_and_same_answer_for_unknown_users);

async fn throttling_per_account_and_per_address(kind: Kind) {
    let Some(s) = start(kind, |c| c.security.login_max_failures_per_ip = 8).await else {
        return;
    };
    let st = store(&s.app, "S01").await;
    staff(&s.app, "zhang.wei", "sales_associate", Some(st)).await;
    staff(&s.app, "wu.hao", "sales_associate", Some(st)).await;
    let c = Client::new(&s.base);
    for _ in 0..5 {
        assert_eq!(c.login("zhang.wei", "wrong-password").await.status, 401);
    }
    let locked = c.login("zhang.wei", PASSWORD).await;
    assert_eq!(
        locked.status, 429,
        "the right password is refused while locked"
    );
    assert!(locked.body.contains("尝试次数过多"));
    s.clock.advance(SignedDuration::from_mins(16));
    assert_eq!(
        c.login("zhang.wei", PASSWORD).await.location,
        "/console",
        "lock expires"
    );
    // Per address: failures spread over many names still lock the address.
    let c = Client::new(&s.base);
    for i in 0..8 {
        assert_eq!(
            c.login(&format!("guess{i}"), "wrong-password").await.status,
            401
        );
    }
    assert_eq!(c.login("wu.hao", PASSWORD).await.status, 429);
    let denied = crate::harness::audit(&s.app, "", "denied").await;
    assert!(
        denied
            .iter()
            .any(|r| r.action == "auth.login" && r.detail == "throttled")
    );
}
both!(throttling_per_account_and_per_address);

async fn sessions_expire_when_idle_and_absolutely(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "S01").await;
    staff(&s.app, "li.na", "sales_associate", Some(st)).await;
    let c = Client::new(&s.base);
    c.login("li.na", PASSWORD).await;
    s.clock.advance(SignedDuration::from_mins(29));
    assert_eq!(
        c.get("/console").await.status,
        200,
        "29 minutes idle is fine"
    );
    s.clock.advance(SignedDuration::from_mins(31));
    assert_eq!(
        c.get("/console").await.location,
        "/login",
        "31 minutes idle ends the session"
    );
    // Absolute limit: active every 20 minutes, still out after 12 hours.
    c.login("li.na", PASSWORD).await;
    for _ in 0..35 {
        s.clock.advance(SignedDuration::from_mins(20));
        assert_eq!(c.get("/console").await.status, 200);
    }
    s.clock.advance(SignedDuration::from_mins(20));
    assert_eq!(
        c.get("/console").await.location,
        "/login",
        "12 hours is the absolute limit"
    );
}
both!(sessions_expire_when_idle_and_absolutely);

async fn csrf_is_required_on_every_state_change(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    staff(&s.app, "boss", "admin", None).await;
    let c = Client::new(&s.base);
    // Sign-in itself needs the double-submit token.
    let no_cookie = Client::new(&s.base);
    let r = no_cookie
        .post(
            "/login",
            &[
                ("username", "boss"),
                ("password", PASSWORD),
                ("_csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    c.login("boss", PASSWORD).await;
    c.get("/console/stores").await;
    let forged = c
        .post(
            "/console/stores",
            &[
                ("code", "X1"),
                ("name", "伪造"),
                ("timezone", "Asia/Shanghai"),
                ("_csrf", "wrong"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    let missing = c
        .post(
            "/console/stores",
            &[
                ("code", "X1"),
                ("name", "伪造"),
                ("timezone", "Asia/Shanghai"),
                ("_csrf", ""),
            ],
        )
        .await;
    assert_eq!(missing.status, 403);
    *c.origin.lock().expect("lock") = Some("http://evil.example".into());
    let cross = c
        .post(
            "/console/stores",
            &[
                ("code", "X1"),
                ("name", "伪造"),
                ("timezone", "Asia/Shanghai"),
            ],
        )
        .await;
    assert_eq!(
        cross.status, 403,
        "cross-site origin refused even with the token"
    );
    *c.origin.lock().expect("lock") = None;
    assert!(
        s.app
            .db()
            .list_stores(patron_store::Scope::Chain)
            .await
            .expect("list")
            .is_empty(),
        "nothing was written"
    );
    let ok = c
        .post(
            "/console/stores",
            &[
                ("code", "X1"),
                ("name", "真门店"),
                ("timezone", "Asia/Shanghai"),
            ],
        )
        .await;
    assert_eq!(ok.location, "/console/stores?ok=store_created");
}
both!(csrf_is_required_on_every_state_change);
