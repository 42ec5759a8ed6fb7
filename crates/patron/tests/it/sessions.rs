//! Server-side sessions end when they should: at sign-out, when idle or too old, when the
//! account is disabled or its password changes; people end their other sessions, and staff
//! managers end anyone's (console and API). Each check looks at the sessions table too, not
//! only at what the browser sees.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, api, audit, staff, start, store, token_for};
use jiff::SignedDuration;

async fn live_sessions(app: &patron_app::App, staff_id: i64) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE staff_id = $1")
        .bind(staff_id)
        .fetch_one(app.db().pool())
        .await
        .expect("count sessions")
}

/// A browser signed in as `username`, with its session cookie's value.
async fn signed_in(base: &str, username: &str) -> (Client, String) {
    let c = Client::new(base);
    assert_eq!(c.login(username, PASSWORD).await.location, "/console");
    let cookie = c.cookie("patron_session").expect("session cookie");
    (c, cookie)
}

/// Whether a stolen copy of the cookie still opens the console.
async fn cookie_works(base: &str, cookie: &str) -> bool {
    let thief = Client::new(base);
    thief.set_cookie("patron_session", cookie);
    thief.get("/console").await.status == 200
}

async fn sign_out_and_expiry_end_sessions_on_the_server(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "S01").await;
    let id = staff(&s.app, "li.na", "sales_associate", Some(st)).await;
    // Sign-out: the row goes, so a copied cookie is worthless.
    let (c, cookie) = signed_in(&s.base, "li.na").await;
    assert_eq!(live_sessions(&s.app, id).await, 1);
    c.get("/console").await;
    assert_eq!(
        c.post("/logout", &[]).await.location,
        "/login?ok=logged_out"
    );
    assert_eq!(
        live_sessions(&s.app, id).await,
        0,
        "sign-out deletes the session"
    );
    assert!(!cookie_works(&s.base, &cookie).await);
    // Idle expiry.
    let (_c, cookie) = signed_in(&s.base, "li.na").await;
    s.clock.advance(SignedDuration::from_mins(31));
    assert!(!cookie_works(&s.base, &cookie).await);
    assert_eq!(
        live_sessions(&s.app, id).await,
        0,
        "an idle session is deleted"
    );
    // Absolute expiry, however busy the session is.
    let (c, cookie) = signed_in(&s.base, "li.na").await;
    for _ in 0..36 {
        s.clock.advance(SignedDuration::from_mins(20));
        c.get("/console").await;
    }
    assert!(!cookie_works(&s.base, &cookie).await);
    assert_eq!(
        live_sessions(&s.app, id).await,
        0,
        "an old session is deleted"
    );
    // The cleanup job removes sessions nobody comes back to.
    signed_in(&s.base, "li.na").await;
    s.clock.advance(SignedDuration::from_hours(13));
    let now = s.app.now();
    s.app
        .db()
        .delete_expired_sessions(now, now - SignedDuration::from_mins(30))
        .await
        .expect("cleanup");
    assert_eq!(live_sessions(&s.app, id).await, 0);
}
both!(sign_out_and_expiry_end_sessions_on_the_server);

async fn disabling_and_new_passwords_end_sessions(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "S01").await;
    let id = staff(&s.app, "li.na", "sales_associate", Some(st)).await;
    // A new password keeps the session that set it and ends the others.
    let (phone, phone_cookie) = signed_in(&s.base, "li.na").await;
    let (_tablet, tablet_cookie) = signed_in(&s.base, "li.na").await;
    assert_eq!(live_sessions(&s.app, id).await, 2);
    phone.get("/console/account").await;
    let new_password = "柜台的新密码足够长";
    assert_eq!(
        phone
            .post(
                "/console/account/password",
                &[("current_password", PASSWORD), ("password", new_password)],
            )
            .await
            .location,
        "/console/account?ok=password_changed"
    );
    assert!(cookie_works(&s.base, &phone_cookie).await);
    assert!(!cookie_works(&s.base, &tablet_cookie).await);
    assert_eq!(live_sessions(&s.app, id).await, 1);
    // Disabling ends every session at once.
    s.app
        .set_staff_active(None, id, false, None)
        .await
        .expect("disable");
    assert!(!cookie_works(&s.base, &phone_cookie).await);
    assert_eq!(live_sessions(&s.app, id).await, 0);
}
both!(disabling_and_new_passwords_end_sessions);

async fn people_end_their_other_sessions(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "S01").await;
    let id = staff(&s.app, "li.na", "sales_associate", Some(st)).await;
    let (desk, desk_cookie) = signed_in(&s.base, "li.na").await;
    let (_phone, phone_cookie) = signed_in(&s.base, "li.na").await;
    let (_tablet, tablet_cookie) = signed_in(&s.base, "li.na").await;
    let page = desk.get("/console/account").await;
    assert_eq!(
        page.body.matches("<td>当前会话</td>").count(),
        1,
        "{}",
        page.body
    );
    assert!(page.body.matches("<tr><td>").count() >= 3);
    let r = desk.post("/console/account/sessions/end-others", &[]).await;
    assert_eq!(r.location, "/console/account?ok=sessions_ended#sessions");
    assert!(
        cookie_works(&s.base, &desk_cookie).await,
        "this session stays"
    );
    assert!(!cookie_works(&s.base, &phone_cookie).await);
    assert!(!cookie_works(&s.base, &tablet_cookie).await);
    assert_eq!(live_sessions(&s.app, id).await, 1);
    let row = &audit(&s.app, "session.end", "ok").await[0];
    assert_eq!(row.detail, "2");
}
both!(people_end_their_other_sessions);

async fn managers_end_anyones_sessions(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S01").await;
    let s2 = store(&s.app, "S02").await;
    let id = staff(&s.app, "li.na", "sales_associate", Some(s1)).await;
    staff(&s.app, "zhou.min", "store_manager", Some(s2)).await;
    // From the staff page.
    let (_c, cookie) = signed_in(&s.base, "li.na").await;
    let admin = Client::new(&s.base);
    admin.login("owner", PASSWORD).await;
    let page = admin.get(&format!("/console/staff/{id}")).await;
    assert!(
        page.body
            .contains(&format!("/console/staff/{id}/sessions/end"))
    );
    assert_eq!(
        admin
            .post(&format!("/console/staff/{id}/sessions/end"), &[])
            .await
            .location,
        format!("/console/staff/{id}?ok=staff_sessions_ended")
    );
    assert!(!cookie_works(&s.base, &cookie).await);
    assert_eq!(live_sessions(&s.app, id).await, 0);
    // Over the API, for an integrator (an HR system off-boarding someone).
    signed_in(&s.base, "li.na").await;
    signed_in(&s.base, "li.na").await;
    let owner_token = token_for(&s.app, "owner").await;
    let path = format!("/api/v1/staff/{id}/sessions");
    let (status, body, _) = api(&s.base, "DELETE", &path, Some(&owner_token), None).await;
    assert_eq!((status, body["ended"].as_u64()), (200, Some(2)));
    assert_eq!(live_sessions(&s.app, id).await, 0);
    // Another store's manager cannot see the account, let alone end its sessions.
    let (_m, _) = signed_in(&s.base, "li.na").await;
    let manager_token = token_for(&s.app, "zhou.min").await;
    let (status, _, _) = api(&s.base, "DELETE", &path, Some(&manager_token), None).await;
    assert_eq!(status, 404);
    assert_eq!(live_sessions(&s.app, id).await, 1);
}
both!(managers_end_anyones_sessions);
