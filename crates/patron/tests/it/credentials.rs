//! Till keys and personal tokens: created in the console (shown once), accepted as bearer
//! credentials, stopped at once by revocation, by disabling the account or closing the store.
//! Personal tokens open the API only, expire, and die with their owner's password.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, api, shown_secret, staff, start, store, token_for};
use patron_store::Scope;

async fn till_keys_authenticate_and_revoke(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "SH01").await;
    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;
    c.get("/console/keys").await;
    let page = c
        .post(
            "/console/keys",
            &[("store_id", &st.to_string()), ("name", "收银台 1")],
        )
        .await;
    let key = shown_secret(&page.body);
    assert!(key.starts_with("pk_"));
    assert!(
        c.get("/console/keys").await.body.find(&key).is_none(),
        "the secret is shown once only"
    );
    let (status, body, _) = api(&s.base, "GET", "/api/v1/till", Some(&key), None).await;
    assert_eq!((status, body["store_code"].as_str()), (200, Some("SH01")));
    // A till key is not a staff credential.
    assert_eq!(
        api(&s.base, "GET", "/api/v1/me", Some(&key), None).await.0,
        401
    );
    // Closing the store stops its keys; reopening restores them.
    let p = s
        .app
        .token_principal(&crate::harness::token_for(&s.app, "owner").await)
        .await
        .expect("q")
        .expect("p");
    s.app
        .set_store_open(&p, st, false, None)
        .await
        .expect("close");
    assert_eq!(
        api(&s.base, "GET", "/api/v1/till", Some(&key), None)
            .await
            .0,
        401
    );
    s.app
        .set_store_open(&p, st, true, None)
        .await
        .expect("reopen");
    assert_eq!(
        api(&s.base, "GET", "/api/v1/till", Some(&key), None)
            .await
            .0,
        200
    );
    let id = s.app.db().list_api_keys(Scope::Chain).await.expect("keys")[0].id;
    c.get("/console/keys").await;
    assert_eq!(
        c.post(&format!("/console/keys/{id}/revoke"), &[])
            .await
            .location,
        "/console/keys?ok=key_revoked"
    );
    let (status, body, ctype) = api(&s.base, "GET", "/api/v1/till", Some(&key), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    assert_eq!(ctype, "application/problem+json");
    // The database holds only hashes.
    let stored: Vec<String> = sqlx::query_scalar("SELECT key_hash FROM api_keys")
        .fetch_all(s.app.db().pool())
        .await
        .expect("q");
    assert!(stored.iter().all(|h| h.len() == 64 && !h.contains(&key)));
}
both!(till_keys_authenticate_and_revoke);

async fn personal_tokens_stop_with_the_account(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "SH01").await;
    let id = staff(&s.app, "lin.yan", "data_clerk", Some(st)).await;
    let c = Client::new(&s.base);
    c.login("lin.yan", PASSWORD).await;
    c.get("/console/account").await;
    let page = c
        .post("/console/account/tokens", &[("name", "Power BI")])
        .await;
    let token = shown_secret(&page.body);
    let (status, me, _) = api(&s.base, "GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(
        (status, me["username"].as_str(), me["role"].as_str()),
        (200, Some("lin.yan"), Some("data_clerk"))
    );
    // English answers for English callers.
    let http = reqwest::Client::new();
    let res = http
        .get(format!("{}/api/v1/roles-do-not-exist", s.base))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .expect("call");
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["title"], "We could not find what you asked for.");
    // A second token, revoked from the account page.
    c.get("/console/account").await;
    let second = shown_secret(
        &c.post("/console/account/tokens", &[("name", "脚本")])
            .await
            .body,
    );
    let second_id = s
        .app
        .db()
        .list_api_tokens(Scope::Chain, Some(id))
        .await
        .expect("q")[0]
        .id;
    c.get("/console/account").await;
    c.post(&format!("/console/account/tokens/{second_id}/revoke"), &[])
        .await;
    assert_eq!(
        api(&s.base, "GET", "/api/v1/me", Some(&second), None)
            .await
            .0,
        401
    );
    assert_eq!(
        api(&s.base, "GET", "/api/v1/me", Some(&token), None)
            .await
            .0,
        200,
        "the other token still works"
    );
    // Disabling the account: its session and token stop at once.
    let admin = Client::new(&s.base);
    admin.login("owner", PASSWORD).await;
    admin.get(&format!("/console/staff/{id}")).await;
    assert_eq!(
        admin
            .post(&format!("/console/staff/{id}/disable"), &[])
            .await
            .status,
        303
    );
    assert_eq!(
        api(&s.base, "GET", "/api/v1/me", Some(&token), None)
            .await
            .0,
        401
    );
    assert_eq!(c.get("/console").await.location, "/login");
    assert_eq!(
        c.login("lin.yan", PASSWORD).await.status,
        401,
        "a disabled account cannot sign in"
    );
    admin.get(&format!("/console/staff/{id}")).await;
    admin
        .post(&format!("/console/staff/{id}/enable"), &[])
        .await;
    assert_eq!(
        api(&s.base, "GET", "/api/v1/me", Some(&token), None)
            .await
            .0,
        401,
        "a token dies with the disabling: re-enabling the account revives nothing"
    );
}
both!(personal_tokens_stop_with_the_account);

/// What a bearer credential gets from a console page, without following redirects.
async fn console_with_bearer(base: &str, path: &str, token: &str) -> (u16, String) {
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{base}{path}"))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("GET");
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (res.status().as_u16(), location)
}

async fn personal_tokens_are_for_the_api_only_and_expire(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "SH01").await;
    let id = staff(&s.app, "lin.yan", "data_clerk", Some(st)).await;
    let c = Client::new(&s.base);
    c.login("lin.yan", PASSWORD).await;
    c.get("/console/account").await;
    let page = c
        .post("/console/account/tokens", &[("name", "Power BI")])
        .await;
    let token = shown_secret(&page.body);
    // Created 2026-11-23 10:00 in Shanghai: 90 days by default.
    assert!(
        page.body
            .contains("id=\"new-secret-expires\">2027年2月21日 10:00<"),
        "the expiry is shown with the secret"
    );
    // The API takes it; the console does not, not even the owner's own pages.
    assert_eq!(
        api(&s.base, "GET", "/api/v1/me", Some(&token), None)
            .await
            .0,
        200
    );
    for path in ["/console", "/console/account", "/console/customers"] {
        assert_eq!(
            console_with_bearer(&s.base, path, &token).await,
            (303, "/login".to_string()),
            "{path}"
        );
    }
    // The list shows when it expires and when it was last used.
    let list = c.get("/console/account").await.body;
    assert!(
        list.contains("<td>2027年2月21日 10:00</td><td>2026年11月23日 10:00</td>"),
        "{list}"
    );
    // It expires on time.
    s.clock.advance(jiff::SignedDuration::from_hours(89 * 24));
    assert_eq!(
        api(&s.base, "GET", "/api/v1/me", Some(&token), None)
            .await
            .0,
        200
    );
    s.clock.advance(jiff::SignedDuration::from_hours(24 + 1));
    assert_eq!(
        api(&s.base, "GET", "/api/v1/me", Some(&token), None)
            .await
            .0,
        401,
        "past 90 days"
    );
    let row = &s
        .app
        .db()
        .list_api_tokens(Scope::Chain, Some(id))
        .await
        .expect("q")[0];
    assert!(
        row.revoked_at.is_none() && row.expires_at.as_millisecond() <= s.app.now().as_millisecond()
    );
    let c = Client::new(&s.base);
    c.login("lin.yan", PASSWORD).await;
    assert!(c.get("/console/account").await.body.contains("已过期"));
}
both!(personal_tokens_are_for_the_api_only_and_expire);

async fn personal_tokens_die_with_the_password(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "SH01").await;
    staff(&s.app, "lin.yan", "data_clerk", Some(st)).await;
    let works = |t: String| {
        let base = s.base.clone();
        async move { api(&base, "GET", "/api/v1/me", Some(&t), None).await.0 == 200 }
    };
    // Changed by its owner.
    let token = token_for(&s.app, "lin.yan").await;
    let c = Client::new(&s.base);
    c.login("lin.yan", PASSWORD).await;
    c.get("/console/account").await;
    let new_password = "柜台的新密码足够长";
    assert_eq!(
        c.post(
            "/console/account/password",
            &[("current_password", PASSWORD), ("password", new_password)],
        )
        .await
        .location,
        "/console/account?ok=password_changed"
    );
    assert!(!works(token).await, "a password change kills the tokens");
    // Reset by the operator.
    let token = token_for(&s.app, "lin.yan").await;
    assert!(works(token.clone()).await);
    s.app
        .reset_password_to_temporary("lin.yan")
        .await
        .expect("reset");
    assert!(!works(token).await, "a reset kills the tokens");
    // Reset through an e-mailed link.
    let token = token_for(&s.app, "lin.yan").await;
    let id = s
        .app
        .db()
        .staff_by_username("lin.yan")
        .await
        .expect("q")
        .expect("row")
        .id;
    s.app.send_reset_link(None, id, None).await.expect("link");
    patron_app::outbox::Dispatcher::new(s.app.clone())
        .expect("dispatcher")
        .run_once(s.app.now())
        .await
        .expect("dispatch");
    let mails = crate::outbox::eml_files(&s.dir);
    let link = crate::outbox::link_in(mails.last().expect("mail"), "reset");
    let c = Client::new(&s.base);
    c.get(&link).await;
    assert_eq!(
        c.post(&link, &[("password", "另一个足够长的新密码")])
            .await
            .status,
        303
    );
    assert!(!works(token).await, "a reset by link kills the tokens");
}
both!(personal_tokens_die_with_the_password);
