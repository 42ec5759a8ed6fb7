//! The message outbox: invitations and reset links written in the same transaction as the
//! account change, delivered by the dispatcher (file channel and a real SMTP server),
//! retried with back-off, dead-lettered, and never sent twice for one row.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, start, store};
use jiff::SignedDuration;
use patron_app::outbox::Dispatcher;
use patron_store::outbox::NewMessage;

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
    let queued = s.app.db.list_outbox("pending", 10).await.expect("outbox");
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
        mails[0].contains("xu.fang@shop.example.cn") && mails[0].contains("Message-ID: <outbox-"),
        "{}",
        mails[0]
    );
    let sent = s.app.db.list_outbox("sent", 10).await.expect("outbox");
    assert_eq!(
        sent[0].body, "",
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
    let m = NewMessage {
        channel: "email",
        purpose: "test",
        recipient: "a@shop.example.cn",
        subject: "测试",
        body: "正文",
        redact_after_send: false,
        max_attempts: 4,
        staff_id: None,
        ..Default::default()
    };
    let id = s
        .app
        .db
        .enqueue_message(&m, s.app.now())
        .await
        .expect("enqueue");
    let d = Dispatcher::new(s.app.clone()).expect("dispatcher");
    let waits = [1, 5, 30];
    for (i, minutes) in waits.iter().enumerate() {
        let r = d.run_once(s.app.now()).await.expect("run");
        assert_eq!((r.claimed, r.retried), (1, 1), "attempt {}", i + 1);
        let row = &s.app.db.list_outbox("", 10).await.expect("q")[0];
        assert_eq!(row.status, "pending");
        assert_eq!(
            row.next_attempt_at,
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
    let row = &s.app.db.list_outbox("dead", 10).await.expect("q")[0];
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
            .fetch_one(s.app.db.pool())
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
    let m = NewMessage {
        channel: "email",
        purpose: "test",
        recipient: "li.na@shop.example.cn",
        subject: "会员邀请",
        body: "您好，欢迎加入。",
        redact_after_send: false,
        max_attempts: 3,
        staff_id: None,
        ..Default::default()
    };
    s.app
        .db
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
