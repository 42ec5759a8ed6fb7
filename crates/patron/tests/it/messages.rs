//! Messages to customers end to end: templates per channel (SMS with signature, opt-out
//! note and parts; e-mail with an unsubscribe link), the channel chosen by preference,
//! contact and consent, the send-time checks (consent withdrawn after queueing, quiet hours
//! in the store's time zone, frequency caps), refusals by SMS reply and unsubscribe link,
//! and the console editor and delivery figures.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, start, store};
use jiff::SignedDuration;
use patron_app::App;
use patron_app::messages::TemplateForm;
use patron_app::outbox::Dispatcher;
use patron_app::outbox::template::Vars;
use patron_domain::Actor;
use patron_domain::customers::{ConsentChannel, ConsentPurpose, CustomerInput};
use patron_domain::messages::MessageRules;
use patron_store::Scope;

pub(crate) async fn customer(
    app: &App,
    store_id: i64,
    mobile: &str,
    email: &str,
    consents: &[ConsentPurpose],
) -> i64 {
    let input = CustomerInput {
        name: "王芳".into(),
        mobile: mobile.into(),
        email: email.into(),
        ..Default::default()
    };
    let options = patron_app::customers::CreateOptions {
        store_id: Some(store_id),
        ..Default::default()
    };
    let id = app
        .create_customer(&Actor::cli("test"), Scope::Chain, &input, &options)
        .await
        .expect("create")
        .id;
    let decisions: Vec<(ConsentPurpose, bool)> = consents.iter().map(|p| (*p, true)).collect();
    app.set_consents(
        &Actor::cli("test"),
        Scope::Chain,
        id,
        &decisions,
        ConsentChannel::Counter,
    )
    .await
    .expect("consent");
    id
}

async fn templates(app: &App) {
    let admin = Actor::cli("test");
    app.save_message_rules(
        &admin,
        &MessageRules {
            sms_signature: "好家居".into(),
            ..Default::default()
        },
    )
    .await
    .expect("rules");
    for (channel, code, subject) in [("sms", "SMS_9", ""), ("email", "", "{{ store }}想念您")] {
        app.save_message_template(
            &admin,
            patron_store::Scope::Chain,
            &TemplateForm {
                name: "winback".into(),
                channel: channel.into(),
                language: "zh-CN".into(),
                marketing: true,
                subject: subject.into(),
                body: "{{ name }}，好久不见！{{ coupon }}已放入您的账户。".into(),
                provider_template: code.into(),
            },
        )
        .await
        .expect("template");
    }
}

fn coupon() -> Vars {
    [("coupon", "满500减50券".to_string())]
        .into_iter()
        .collect()
}

pub(crate) async fn row(app: &App, id: i64) -> patron_app::outbox::Letter {
    app.outbox_letters("", 100)
        .await
        .expect("list")
        .into_iter()
        .find(|r| r.id == id)
        .expect("row")
}

async fn channel_choice_and_send_time_checks(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let st = store(app, "S1").await;
    templates(app).await;
    let both_ok = customer(
        app,
        st,
        "13900139001",
        "a@x.cn",
        &[ConsentPurpose::MarketingSms, ConsentPurpose::MarketingEmail],
    )
    .await;
    let email_only = customer(
        app,
        st,
        "13900139002",
        "b@x.cn",
        &[ConsentPurpose::MarketingEmail],
    )
    .await;
    let nobody = customer(app, st, "13900139003", "", &[]).await;

    // SMS comes before e-mail; the text carries the signature, the values and the opt-out.
    let (sms_id, ch) = app
        .queue_template(
            Scope::Chain,
            both_ok,
            "winback",
            &coupon(),
            Some("winback-1"),
        )
        .await
        .expect("queue")
        .expect("reachable");
    assert_eq!(ch.as_str(), "sms");
    let r = row(app, sms_id).await;
    assert_eq!(
        r.body,
        "【好家居】王芳，好久不见！满500减50券已放入您的账户。 拒收请回复R"
    );
    assert_eq!(r.recipient, "13900139001");
    let payload: serde_json::Value =
        serde_json::from_str(r.payload.as_deref().expect("payload")).expect("json");
    assert_eq!(payload["template"], "SMS_9");
    assert_eq!(
        payload["params"],
        serde_json::json!([["name", "王芳"], ["coupon", "满500减50券"]])
    );
    // Without the SMS consent, e-mail, with a working unsubscribe link.
    let (mail_id, ch) = app
        .queue_template(
            Scope::Chain,
            email_only,
            "winback",
            &coupon(),
            Some("winback-1"),
        )
        .await
        .expect("queue")
        .expect("reachable");
    assert_eq!(ch.as_str(), "email");
    let mail = row(app, mail_id).await;
    assert_eq!(mail.subject, "测试门店S1想念您");
    let link = mail
        .body
        .lines()
        .last()
        .expect("line")
        .split(": ")
        .nth(1)
        .expect("link")
        .to_string();
    assert!(link.contains("/unsubscribe/"), "{link}");
    // Nobody reachable: nothing queued.
    assert_eq!(
        app.queue_template(Scope::Chain, nobody, "winback", &coupon(), None)
            .await
            .expect("q"),
        None
    );

    // Consent withdrawn after queueing: held back at send time.
    app.set_consents(
        &Actor::cli("test"),
        Scope::Chain,
        email_only,
        &[(ConsentPurpose::MarketingEmail, false)],
        ConsentChannel::Phone,
    )
    .await
    .expect("withdraw");
    let d = Dispatcher::new(app.clone()).expect("dispatcher");
    let report = d.run_once(app.now()).await.expect("run");
    assert_eq!((report.sent, report.suppressed), (1, 1));
    assert_eq!(
        row(app, mail_id).await.suppressed.as_deref(),
        Some("consent")
    );
    assert_eq!(row(app, sms_id).await.status.code(), "sent");
    let file = std::fs::read_dir(s.dir.join("outbox-files"))
        .expect("dir")
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().ends_with(".sms.txt"))
        .expect("sms file");
    assert!(
        std::fs::read_to_string(file.path())
            .expect("read")
            .contains("拒收请回复R")
    );

    // A second marketing message the same day goes over the cap of one a day.
    let (again, _) = app
        .queue_template(
            Scope::Chain,
            both_ok,
            "winback",
            &coupon(),
            Some("winback-2"),
        )
        .await
        .expect("q")
        .expect("reachable");
    d.run_once(app.now()).await.expect("run");
    assert_eq!(
        row(app, again).await.suppressed.as_deref(),
        Some("frequency_cap")
    );

    // Quiet hours: at 22:30 in Shanghai the next day, held until 09:00, attempts not counted.
    s.clock.set("2026-11-24T14:30:00Z".parse().expect("ts"));
    let (night, _) = app
        .queue_template(
            Scope::Chain,
            both_ok,
            "winback",
            &coupon(),
            Some("winback-3"),
        )
        .await
        .expect("q")
        .expect("reachable");
    let report = d.run_once(app.now()).await.expect("run");
    assert_eq!(report.deferred, 1);
    let held = row(app, night).await;
    assert_eq!((held.status.code(), held.attempts), ("pending", 0));
    assert_eq!(
        held.next_attempt_at.as_millisecond(),
        "2026-11-25T01:00:00Z"
            .parse::<jiff::Timestamp>()
            .expect("ts")
            .as_millisecond()
    );
    s.clock.set("2026-11-25T01:00:30Z".parse().expect("ts"));
    let report = d.run_once(app.now()).await.expect("run");
    assert_eq!(report.sent, 1);
    assert_eq!(row(app, night).await.status.code(), "sent");

    // Delivery per campaign.
    let figures = app.db().campaign_delivery(None).await.expect("figures");
    assert!(
        figures.contains(&("winback-1".into(), "sent".into(), 1)),
        "{figures:?}"
    );
    assert!(
        figures.contains(&("winback-1".into(), "consent".into(), 1)),
        "{figures:?}"
    );
    assert!(
        figures.contains(&("winback-2".into(), "frequency_cap".into(), 1)),
        "{figures:?}"
    );
}
both!(channel_choice_and_send_time_checks);

async fn refusals_by_reply_and_link_withdraw_consent(kind: Kind) {
    let Some(s) = start(kind, |c| c.sms.reply_token = "reply-secret-123".into()).await else {
        return;
    };
    let app = &s.app;
    let st = store(app, "S1").await;
    templates(app).await;
    let id = customer(
        app,
        st,
        "13900139005",
        "c@x.cn",
        &[ConsentPurpose::MarketingSms, ConsentPurpose::MarketingEmail],
    )
    .await;
    let granted = |purpose: ConsentPurpose| async move {
        app.consents_of(id)
            .await
            .expect("consents")
            .into_iter()
            .any(|(p, g, _)| p == purpose && g)
    };
    let http = reqwest::Client::new();
    // A wrong secret in the address changes nothing.
    let r = http
        .post(format!("{}/hooks/sms/wrong-secret-xyz", s.base))
        .json(&serde_json::json!({"mobile": "13900139005", "text": "R"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 404);
    // A reply that is not a refusal changes nothing either.
    let r = http
        .post(format!("{}/hooks/sms/reply-secret-123", s.base))
        .json(&serde_json::json!({"mobile": "13900139005", "text": "好的谢谢"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    assert!(granted(ConsentPurpose::MarketingSms).await);
    // Alibaba Cloud's push: a list of replies.
    let r = http
        .post(format!("{}/hooks/sms/reply-secret-123", s.base))
        .json(&serde_json::json!([{"phone_number": "13900139005", "content": "TD", "sign_name": "好家居"}]))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    assert!(
        !granted(ConsentPurpose::MarketingSms).await,
        "TD withdrew the SMS consent"
    );
    assert!(
        granted(ConsentPurpose::MarketingEmail).await,
        "e-mail consent untouched"
    );
    let events = app.db().consent_events(id, 100).await.expect("events");
    assert!(
        events
            .iter()
            .any(|e| e.channel == "sms_reply" && i64::from(e.granted) == 0)
    );

    // The e-mail now goes out by e-mail, with its link; the link withdraws the e-mail consent.
    let (mail, ch) = app
        .queue_template(Scope::Chain, id, "winback", &coupon(), None)
        .await
        .expect("q")
        .expect("reachable");
    assert_eq!(ch.as_str(), "email");
    let body = row(app, mail).await.body;
    let link = body
        .lines()
        .last()
        .expect("line")
        .split(": ")
        .nth(1)
        .expect("link")
        .to_string();
    let path = &link[link.find("/unsubscribe/").expect("path")..];
    let c = Client::new(&s.base);
    let page = c.get(path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("邮件营销"), "names the purpose");
    let tampered = path.replace("marketing_email", "marketing_sms");
    assert_eq!(c.get(&tampered).await.status, 404);
    let done = http
        .post(format!("{}{path}", s.base))
        .send()
        .await
        .expect("post");
    assert_eq!(done.status(), 200, "one click, no session or token needed");
    assert!(!granted(ConsentPurpose::MarketingEmail).await);
    // A second click records nothing new.
    let before = app.db().consent_events(id, 100).await.expect("e").len();
    http.post(format!("{}{path}", s.base))
        .send()
        .await
        .expect("post");
    assert_eq!(
        app.db().consent_events(id, 100).await.expect("e").len(),
        before
    );
}
both!(refusals_by_reply_and_link_withdraw_consent);

async fn post_form(c: &Client, f: &[(&'static str, String)]) -> crate::harness::Resp {
    let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post("/console/messages/templates", &fields).await
}

async fn the_template_editor_previews_and_names_mistakes(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;
    assert_eq!(c.get("/console/messages").await.status, 200);
    let r = c
        .post(
            "/console/messages/rules",
            &[
                ("quiet_start", "21:30"),
                ("quiet_end", "08:30"),
                ("max_per_day", "1"),
                ("max_per_week", "2"),
                ("sms_signature", "好家居"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        s.app.message_rules().await.expect("rules").quiet_start,
        "21:30"
    );
    let long = "会员日全场满减，积分翻倍，".repeat(6);
    let body = format!("{{{{ name }}}}，{long}");
    let form = |action: &'static str, body: String, code: &'static str| {
        vec![
            ("name", "member_day".to_string()),
            ("channel", "sms".into()),
            ("language", "zh-CN".into()),
            ("marketing", "1".into()),
            ("provider_template", code.to_string()),
            ("body", body),
            ("action", action.to_string()),
        ]
    };
    let preview = post_form(&c, &form("preview", body.clone(), "SMS_7")).await;
    assert_eq!(preview.status, 200);
    let expected = format!("【好家居】王芳，{long} 拒收请回复R");
    let chars = expected.chars().count();
    assert!(preview.body.contains(&expected), "{}", preview.body);
    assert!(
        preview
            .body
            .contains(&format!("字数：{chars} · 短信条数：{}", chars.div_ceil(67))),
        "{}",
        preview.body
    );
    // The built-in service notices (orders, warranties) are there from the start.
    let built_in = s.app.db().message_templates().await.expect("t").len();
    assert_eq!(built_in, 4, "preview saves nothing");
    let bad = post_form(&c, &form("save", body.clone(), "")).await;
    assert_eq!(bad.status, 200);
    assert!(bad.body.contains("服务商模板编号"), "names the field");
    assert!(bad.body.contains(&long), "keeps the text");
    let typo = post_form(&c, &form("save", "{{ nmae }}".into(), "SMS_7")).await;
    assert!(typo.body.contains("正文"), "{}", typo.body);
    let saved = post_form(&c, &form("save", body, "SMS_7")).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        s.app.db().message_templates().await.expect("t").len(),
        built_in + 1
    );
    // The outbox page shows campaign delivery (none yet) without missing messages.
    let outbox = c.get("/console/outbox").await;
    assert_eq!(outbox.status, 200);
    assert!(!outbox.body.contains("[missing"), "{}", outbox.body);
    s.clock.advance(SignedDuration::from_mins(1));
}
both!(the_template_editor_previews_and_names_mistakes);
