//! The message outbox: invitations and reset links written in the same transaction as the
//! account change, delivered by the dispatcher (file channel and a real SMTP server),
//! retried with back-off, dead-lettered, and never sent twice for one row.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, start, store};
use jiff::SignedDuration;
use patron_app::outbox::Dispatcher;
use patron_store::messages::outbox::NewMessage;

pub(crate) fn eml_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir.join("outbox-files"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    names.sort();
    names
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| std::fs::read_to_string(p).expect("read"))
        .collect()
}

/// The text of a message: headers as they are, the base64 body decoded.
fn decoded(mail: &str) -> String {
    let (head, body) = mail
        .split_once("\r\n\r\n")
        .or_else(|| mail.split_once("\n\n"))
        .expect("headers and body");
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let text = data_encoding::BASE64
        .decode(compact.as_bytes())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|_| body.to_string());
    format!("{head}\n\n{text}")
}

pub(crate) fn link_in(mail: &str, kind: &str) -> String {
    let mail = decoded(mail);
    let start = mail.find(&format!("/{kind}/")).expect("link in mail");
    mail[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .expect("link")
        .to_string()
}

async fn invitation_by_email(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "SH01").await;
    let admin = Client::new(&s.base);
    admin.login("owner", PASSWORD).await;
    admin.get("/console/staff/new").await;
    let r = admin
        .post(
            "/console/staff",
            &[
                ("username", "xu.fang"),
                ("display_name", "徐芳"),
                ("email", "xu.fang@shop.example.cn"),
                ("role", "sales_associate"),
                ("store_id", &st.to_string()),
                ("mode", "invite"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let queued = s.app.db().list_outbox("pending", 10).await.expect("outbox");
    assert_eq!(
        queued.len(),
        1,
        "the invitation was queued with the account"
    );
    assert_eq!(queued[0].purpose, "staff_invite");
    let dispatcher = Dispatcher::new(s.app.clone()).expect("dispatcher");
    let report = dispatcher.run_once(s.app.now()).await.expect("dispatch");
    assert_eq!((report.claimed, report.sent), (1, 1));
    assert_eq!(
        dispatcher
            .run_once(s.app.now())
            .await
            .expect("again")
            .claimed,
        0,
        "sent once"
    );
    let mails = eml_files(&s.dir);
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("x***@shop.example.cn")
            && !mails[0].contains("xu.fang@shop.example.cn")
            && mails[0].contains("Message-ID: <outbox-"),
        "the file channel masks the address: {}",
        mails[0]
    );
    let sent = s.app.outbox_letters("sent", 10).await.expect("outbox");
    assert_eq!(
        (sent[0].recipient.as_str(), sent[0].body.as_str()),
        ("", ""),
        "the one-time link is not kept in the database after sending"
    );
    let link = link_in(&mails[0], "invite");
    // An invited account cannot sign in before choosing a password.
    let c = Client::new(&s.base);
    assert_eq!(c.login("xu.fang", PASSWORD).await.status, 401);
    let page = c.get(&link).await;
    assert!(page.status == 200 && page.body.contains("xu.fang"));
    let weak = c.post(&link, &[("password", "password")]).await;
    assert!(
        weak.body.contains("这个密码太常见"),
        "policy applies to invitations"
    );
    assert_eq!(
        c.post(&link, &[("password", "新员工的长密码很安全")])
            .await
            .location,
        "/login?ok=password_set"
    );
    assert_eq!(c.get(&link).await.status, 404, "links work once");
    assert_eq!(
        c.login("xu.fang", "新员工的长密码很安全").await.location,
        "/console"
    );
}
both!(invitation_by_email);

async fn password_reset_link(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "SH01").await;
    let id = crate::harness::staff(&s.app, "wu.hao", "sales_associate", Some(st)).await;
    let victim = Client::new(&s.base);
    victim.login("wu.hao", PASSWORD).await;
    let admin = Client::new(&s.base);
    admin.login("owner", PASSWORD).await;
    admin.get(&format!("/console/staff/{id}")).await;
    assert_eq!(
        admin
            .post(&format!("/console/staff/{id}/reset-link"), &[])
            .await
            .location,
        format!("/console/staff/{id}?ok=reset_sent")
    );
    Dispatcher::new(s.app.clone())
        .expect("d")
        .run_once(s.app.now())
        .await
        .expect("dispatch");
    let link = link_in(&eml_files(&s.dir)[0], "reset");
    let c = Client::new(&s.base);
    c.get(&link).await;
    assert_eq!(
        c.post(&link, &[("password", "换一个新的长密码")])
            .await
            .status,
        303
    );
    assert_eq!(
        victim.get("/console").await.location,
        "/login",
        "old sessions end with the reset"
    );
    assert_eq!(
        c.login("wu.hao", "换一个新的长密码").await.location,
        "/console"
    );
    // Links expire.
    admin.get(&format!("/console/staff/{id}")).await;
    admin
        .post(&format!("/console/staff/{id}/reset-link"), &[])
        .await;
    Dispatcher::new(s.app.clone())
        .expect("d")
        .run_once(s.app.now())
        .await
        .expect("dispatch");
    let link = link_in(eml_files(&s.dir).last().expect("mail"), "reset");
    s.clock.advance(SignedDuration::from_hours(73));
    assert_eq!(Client::new(&s.base).get(&link).await.status, 404);
}
both!(password_reset_link);

async fn failed_deliveries_back_off_then_dead_letter(kind: Kind) {
    let Some(s) = start(kind, |c| {
        c.mail.transport = "smtp".into();
        c.mail.smtp_host = "127.0.0.1".into();
        c.mail.smtp_port = 9; // nothing listens on the discard port here
        c.mail.smtp_security = "none".into();
    })
    .await
    else {
        return;
    };
    let m = NewMessage::plain(
        s.app.keys().as_ref(),
        "email",
        "test",
        "a@shop.example.cn",
        "测试",
        "正文",
        4,
    );
    let id = s
        .app
        .db()
        .enqueue_message(&m, s.app.now())
        .await
        .expect("enqueue");
    let d = Dispatcher::new(s.app.clone()).expect("dispatcher");
    let waits = [1, 5, 30];
    for (i, minutes) in waits.iter().enumerate() {
        let r = d.run_once(s.app.now()).await.expect("run");
        assert_eq!((r.claimed, r.retried), (1, 1), "attempt {}", i + 1);
        let row = &s.app.db().list_outbox("", 10).await.expect("q")[0];
        assert_eq!(row.status.code(), "pending");
        assert_eq!(
            row.next_attempt_at.as_millisecond(),
            (s.app.now() + SignedDuration::from_mins(*minutes)).as_millisecond()
        );
        assert!(row.last_error.as_deref().is_some_and(|e| !e.is_empty()));
        assert_eq!(
            d.run_once(s.app.now()).await.expect("run").claimed,
            0,
            "not before its time"
        );
        s.clock.advance(SignedDuration::from_mins(*minutes));
    }
    let r = d.run_once(s.app.now()).await.expect("run");
    assert_eq!(r.dead, 1, "the fourth failure dead-letters");
    let row = &s.app.db().list_outbox("dead", 10).await.expect("q")[0];
    assert_eq!((row.id, row.attempts), (id, 4));
    s.clock.advance(SignedDuration::from_hours(48));
    assert_eq!(
        d.run_once(s.app.now()).await.expect("run").claimed,
        0,
        "dead rows stay dead"
    );
    let attempts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox_attempts WHERE outbox_id = $1")
            .bind(id)
            .fetch_one(s.app.db().pool())
            .await
            .expect("q");
    assert_eq!(attempts, 4, "every attempt recorded");
}
both!(failed_deliveries_back_off_then_dead_letter);

/// Delivery to a real SMTP server (aiosmtpd, installed by CI), with a Chinese subject.
async fn delivers_through_a_real_smtp_server(kind: Kind) {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        assert_ne!(
            std::env::var("PATRON_TEST_REQUIRE_SMTP").as_deref(),
            Ok("1"),
            "aiosmtpd required but missing"
        );
        eprintln!("SKIPPED: SMTP test, python3 aiosmtpd not installed");
        return;
    }
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let maildir = crate::harness::temp_dir().join("maildir");
    let mut server = std::process::Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(&maildir)
        .spawn()
        .expect("start aiosmtpd");
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let Some(s) = start(kind, |c| {
        c.mail.transport = "smtp".into();
        c.mail.smtp_host = "127.0.0.1".into();
        c.mail.smtp_port = port;
        c.mail.smtp_security = "none".into();
        c.mail.from = "门店 <crm@shop.example.cn>".into();
    })
    .await
    else {
        let _ = server.kill();
        let _ = server.wait();
        return;
    };
    let m = NewMessage::plain(
        s.app.keys().as_ref(),
        "email",
        "test",
        "li.na@shop.example.cn",
        "会员邀请",
        "您好，欢迎加入。",
        3,
    );
    s.app
        .db()
        .enqueue_message(&m, s.app.now())
        .await
        .expect("enqueue");
    let r = Dispatcher::new(s.app.clone())
        .expect("d")
        .run_once(s.app.now())
        .await
        .expect("run");
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(r.sent, 1, "{r:?}");
    let delivered: Vec<String> = std::fs::read_dir(maildir.join("new"))
        .expect("maildir")
        .filter_map(|e| e.ok())
        .map(|e| std::fs::read_to_string(e.path()).expect("read"))
        .collect();
    assert_eq!(delivered.len(), 1);
    assert!(delivered[0].contains("li.na@shop.example.cn"));
    assert!(
        delivered[0].contains("Subject: =?utf-8?b?5Lya5ZGY6YKA6K+3?="),
        "{}",
        delivered[0]
    );
}
both!(delivers_through_a_real_smtp_server);

/// Clear recipient, subject, body and payload, then sealed recipient and body.
type RawRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The outbox as it sits on disk: every column of one row, as text, for searching.
async fn raw_row(app: &patron_app::App, id: i64) -> Option<String> {
    let row: Option<RawRow> =
        sqlx::query_as(
            "SELECT recipient, subject, body, payload, recipient_enc, body_enc FROM outbox WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(app.db().pool())
        .await
        .expect("raw row");
    row.map(|(a, b, c, d, e, f)| format!("{a}|{b}|{c}|{d:?}|{e:?}|{f:?}"))
}

/// Item 2 of issue 25: whom a message goes to and what it says are sealed for their row,
/// opened only to deliver, masked in the file channel's files, erased once the message is
/// finished (delivered or dead), re-sealed by key rotation, and finished rows are swept
/// after the retention period.
async fn outbox_messages_are_sealed_masked_erased_and_swept(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let keys = app.keys().as_ref();
    let payload = patron_app::outbox::Payload {
        template: "SMS_1".into(),
        params: vec![("name".into(), "王芳".into())],
        url: None,
    }
    .to_json();
    let sms = NewMessage {
        payload: Some(&payload),
        customer_id: None,
        ..NewMessage::plain(
            keys,
            "sms",
            "test",
            "13800138000",
            "",
            "【店】王芳，您好",
            3,
        )
    };
    let sms = app
        .db()
        .enqueue_message(&sms, app.now())
        .await
        .expect("sms");
    let mail = NewMessage::plain(
        keys,
        "email",
        "test",
        "wang.fang@example.cn",
        "王芳的订单",
        "王芳，您好",
        3,
    );
    let mail = app
        .db()
        .enqueue_message(&mail, app.now())
        .await
        .expect("mail");
    // No WeChat account is configured: this one fails for good on its only attempt.
    let wechat = NewMessage::plain(keys, "wechat", "test", "oOPENID-wang", "", "王芳", 1);
    let wechat = app
        .db()
        .enqueue_message(&wechat, app.now())
        .await
        .expect("wx");
    for (id, secrets) in [
        (sms, ["13800138000", "王芳"]),
        (mail, ["wang.fang@example.cn", "王芳"]),
        (wechat, ["oOPENID-wang", "王芳"]),
    ] {
        let raw = raw_row(app, id).await.expect("row");
        for secret in secrets {
            assert!(!raw.contains(secret), "{secret} in clear: {raw}");
        }
    }
    let letter = app
        .outbox_letters("pending", 10)
        .await
        .expect("open")
        .into_iter()
        .find(|l| l.id == sms)
        .expect("sms letter");
    assert_eq!(
        (letter.recipient.as_str(), letter.body.as_str()),
        ("13800138000", "【店】王芳，您好")
    );
    assert_eq!(letter.payload.as_deref(), Some(payload.as_str()));

    // Key rotation re-seals the outbox too, and the messages still open.
    assert_eq!(app.keys().rotate(), Ok(2));
    app.reseal_all().await.expect("reseal");
    let sealed: String = sqlx::query_scalar("SELECT recipient_enc FROM outbox WHERE id = $1")
        .bind(sms)
        .fetch_one(app.db().pool())
        .await
        .expect("sealed");
    let blob = data_encoding::BASE64
        .decode(sealed.as_bytes())
        .expect("base64");
    assert_eq!(patron_app::keyring::Keyring::version_of(&blob), Some(2));

    let r = Dispatcher::new(app.clone())
        .expect("dispatcher")
        .run_once(app.now())
        .await
        .expect("dispatch");
    assert_eq!((r.sent, r.dead), (2, 1), "{r:?}");
    let mut files = String::new();
    for e in std::fs::read_dir(s.dir.join("outbox-files")).expect("files") {
        files += &std::fs::read_to_string(e.expect("entry").path()).expect("read");
    }
    assert!(
        files.contains("138****8000") && files.contains("w***@example.cn"),
        "masked in the files: {files}"
    );
    assert!(
        !files.contains("13800138000") && !files.contains("wang.fang@example.cn"),
        "{files}"
    );
    // Finished: nothing personal is left, the rest stays for the figures.
    for id in [sms, mail, wechat] {
        let raw = raw_row(app, id).await.expect("row");
        assert_eq!(raw, "|||None|None|None", "row {id} erased");
    }
    let kept: Vec<(String, String, Option<i64>)> =
        sqlx::query_as("SELECT channel, status, sent_at FROM outbox ORDER BY id")
            .fetch_all(app.db().pool())
            .await
            .expect("kept");
    assert_eq!(kept[0].0, "sms");
    assert_eq!(kept[0].1, "sent");
    assert!(kept[0].2.is_some());
    assert_eq!((kept[2].0.as_str(), kept[2].1.as_str()), ("wechat", "dead"));
    // The console still lists them (nothing left to mask once finished).
    let admin = Client::new(&s.base);
    admin.login("owner", PASSWORD).await;
    let page = admin.get("/console/outbox").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("13800138000") && !page.body.contains("[missing"));

    // A message queued before the outbox sealed its fields is sealed at start-up.
    let legacy: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (channel, purpose, recipient, subject, body, status, attempts, max_attempts, \
         next_attempt_at, created_at) VALUES ('sms', 'test', '13900139000', '', '旧消息', 'pending', 0, 3, $1, $1) \
         RETURNING id",
    )
    .bind(app.now().as_millisecond())
    .fetch_one(app.db().pool())
    .await
    .expect("legacy row");
    assert_eq!(app.seal_clear_messages().await.expect("seal"), 1);
    assert!(
        !raw_row(app, legacy)
            .await
            .expect("row")
            .contains("13900139000")
    );
    let page = admin.get("/console/outbox").await;
    assert!(
        page.body.contains("139****9000") && !page.body.contains("13900139000"),
        "pending messages show masked"
    );

    // Retention: finished messages older than the period go with their attempts; the
    // pending one stays.
    s.clock.advance(SignedDuration::from_hours(24 * 91));
    let report = patron_app::jobs::run_once(app, patron_app::jobs::Job::OutboxRetention, app.now())
        .await
        .expect("sweep");
    assert!(report.starts_with("3 "), "{report}");
    for id in [sms, mail, wechat] {
        assert!(raw_row(app, id).await.is_none(), "row {id} swept");
    }
    assert!(raw_row(app, legacy).await.is_some(), "pending kept");
    let attempts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox_attempts WHERE outbox_id <> $1")
            .bind(legacy)
            .fetch_one(app.db().pool())
            .await
            .expect("attempts");
    assert_eq!(attempts, 0);
}
both!(outbox_messages_are_sealed_masked_erased_and_swept);

/// Item 12 of issue 25: `/metrics` shows the outbox as the dispatcher last counted it, so a
/// scrape never reads the outbox table.
async fn metrics_show_the_dispatchers_outbox_figures(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let c = Client::new(&s.base);
    let outbox_lines = |m: &str| -> Vec<String> {
        m.lines()
            .filter(|l| l.starts_with("patron_outbox_messages{"))
            .map(str::to_string)
            .collect()
    };
    for to in ["a@shop.example.cn", "b@shop.example.cn"] {
        let m = NewMessage::plain(app.keys().as_ref(), "email", "test", to, "s", "b", 3);
        app.db()
            .enqueue_message(&m, app.now())
            .await
            .expect("enqueue");
    }
    let d = Dispatcher::new(app.clone()).expect("dispatcher");
    d.run_once(app.now()).await.expect("run");
    assert_eq!(
        outbox_lines(&c.get("/metrics").await.body),
        vec!["patron_outbox_messages{status=\"sent\"} 2".to_string()]
    );
    let m = NewMessage::plain(
        app.keys().as_ref(),
        "email",
        "test",
        "c@shop.example.cn",
        "s",
        "b",
        3,
    );
    app.db()
        .enqueue_message(&m, app.now())
        .await
        .expect("enqueue");
    assert_eq!(
        outbox_lines(&c.get("/metrics").await.body),
        vec!["patron_outbox_messages{status=\"sent\"} 2".to_string()],
        "a scrape does not count the table: the new message shows after the next pass"
    );
    // A pass within 15 s of the last count keeps the figures; the next one counts again.
    d.run_once(app.now()).await.expect("run");
    assert_eq!(
        outbox_lines(&c.get("/metrics").await.body),
        vec!["patron_outbox_messages{status=\"sent\"} 2".to_string()],
        "the dispatcher counts at most every 15 s"
    );
    s.clock.advance(SignedDuration::from_secs(15));
    d.run_once(app.now()).await.expect("run");
    assert_eq!(
        outbox_lines(&c.get("/metrics").await.body),
        vec!["patron_outbox_messages{status=\"sent\"} 3".to_string()]
    );
}
both!(metrics_show_the_dispatchers_outbox_figures);

/// A message whose sealed fields no longer open is dead-lettered (and erased) by the pass
/// that claims it, and the messages after it still go out.
async fn an_unreadable_message_does_not_stop_delivery(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let mut ids = Vec::new();
    for to in ["a@shop.example.cn", "b@shop.example.cn"] {
        let m = NewMessage::plain(app.keys().as_ref(), "email", "test", to, "s", "b", 3);
        ids.push(
            app.db()
                .enqueue_message(&m, app.now())
                .await
                .expect("enqueue"),
        );
    }
    sqlx::query("UPDATE outbox SET recipient_enc = 'AAAA' WHERE id = $1")
        .bind(ids[0])
        .execute(app.db().pool())
        .await
        .expect("damage");
    let d = Dispatcher::new(app.clone()).expect("dispatcher");
    let report = d.run_once(app.now()).await.expect("the pass goes on");
    assert_eq!((report.sent, report.dead), (1, 1));
    for (id, want) in [(ids[0], "dead"), (ids[1], "sent")] {
        let (status, sealed): (String, Option<String>) =
            sqlx::query_as("SELECT status, recipient_enc FROM outbox WHERE id = $1")
                .bind(id)
                .fetch_one(app.db().pool())
                .await
                .expect("row");
        assert_eq!(status, want);
        assert_eq!(sealed, None, "finished rows keep no recipient");
    }
}
both!(an_unreadable_message_does_not_stop_delivery);
