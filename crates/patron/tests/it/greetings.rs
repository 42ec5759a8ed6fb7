//! Greetings on both backends: solar and lunar birthdays with the tier's gift, festivals from
//! the lunar calendar, store anniversaries and member days, each once per customer and
//! occasion however often and however concurrently the job runs; only customers with the
//! marketing e-mail consent and an address are greeted. Also the festival calendar API and
//! the admin's holiday table.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, api, start, store, token_for};
use patron_app::App;
use patron_app::care::greetings::GreetingRules;
use patron_domain::Actor;
use patron_domain::customers::{ConsentChannel, ConsentPurpose, CustomerInput};
use patron_store::Scope;

async fn customer(
    app: &App,
    store_id: i64,
    mobile: &str,
    email: &str,
    birthday: &str,
    lunar: &str,
    marketing: bool,
) -> i64 {
    let input = CustomerInput {
        name: format!("客户{}", &mobile[7..]),
        mobile: mobile.into(),
        email: email.into(),
        birthday: birthday.into(),
        lunar_birthday: lunar.into(),
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
    app.set_consents(
        &Actor::cli("test"),
        Scope::Chain,
        id,
        &[(ConsentPurpose::MarketingEmail, marketing)],
        ConsentChannel::Counter,
    )
    .await
    .expect("consent");
    id
}

async fn greetings_go_out_once_per_customer_and_occasion(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let s2 = store(app, "S2").await;
    // Mid-Autumn 2027 is 15 September (lunar 08-15), a Wednesday; 09:30 in Shanghai.
    s.clock.set("2027-09-15T01:30:00Z".parse().expect("time"));
    let solar = customer(app, s1, "13200132001", "a@x.cn", "1990-09-15", "", true).await;
    let lunar = customer(
        app,
        s1,
        "13200132002",
        "b@x.cn",
        "1985-01-01",
        "08-15",
        true,
    )
    .await;
    let other_store = customer(app, s2, "13200132003", "c@x.cn", "", "", true).await;
    let no_consent = customer(app, s1, "13200132004", "d@x.cn", "1990-09-15", "", false).await;
    let no_email = customer(app, s1, "13200132005", "", "1990-09-15", "", true).await;

    let mut programme = app.loyalty().await.expect("programme").settings.clone();
    programme.tiers[0].birthday_points = 88;
    programme.bonuses = vec![patron_app::membership::loyalty::Bonus {
        days: "wed".into(),
        multiplier_permille: 2_000,
    }];
    app.save_loyalty(&Actor::cli("test"), programme)
        .await
        .expect("loyalty");
    let mut rules = GreetingRules {
        member_days: true,
        ..Default::default()
    };
    rules.anniversaries.insert("S1".into(), "2017-09-15".into());
    app.save_greeting_rules(&Actor::cli("test"), &rules)
        .await
        .expect("rules");

    let report = app.send_greetings(app.now()).await.expect("greetings");
    assert_eq!(report.birthdays, 2, "{report}");
    assert_eq!(report.festivals, 3, "{report}");
    assert_eq!(report.anniversaries, 2, "{report}");
    assert_eq!(report.member_days, 3, "{report}");
    // Run again, twice at once: nothing more.
    let (a, b) = tokio::join!(app.send_greetings(app.now()), app.send_greetings(app.now()));
    let (a, b) = (a.expect("a"), b.expect("b"));
    assert_eq!(
        a.birthdays
            + a.festivals
            + a.anniversaries
            + a.member_days
            + b.birthdays
            + b.festivals
            + b.anniversaries
            + b.member_days,
        0
    );

    let messages = app.outbox_letters("", 100).await.expect("outbox");
    let to = |addr: &str| -> Vec<String> {
        messages
            .iter()
            .filter(|m| m.recipient == addr && m.purpose == "greeting")
            .map(|m| m.body.clone())
            .collect()
    };
    let a = to("a@x.cn");
    assert_eq!(a.len(), 4, "{a:?}");
    assert!(
        a.iter()
            .any(|b| b.contains("生日快乐") && b.contains("88 积分")),
        "{a:?}"
    );
    assert!(
        a.iter()
            .any(|b| b == "客户2001，测试门店S1祝您中秋快乐，花好月圆！"),
        "{a:?}"
    );
    assert!(a.iter().any(|b| b.contains("开业10周年")), "{a:?}");
    assert!(a.iter().any(|b| b.contains("消费积分 2 倍")), "{a:?}");
    // The lunar birthday counts, not the solar date on file.
    assert!(to("b@x.cn").iter().any(|b| b.contains("生日快乐")));
    let c = to("c@x.cn");
    assert_eq!(
        c.len(),
        2,
        "festival and member day, no S1 anniversary: {c:?}"
    );
    assert!(to("d@x.cn").is_empty());
    // The birthday gift is given whether or not the customer can be greeted.
    assert_eq!(app.db().points_balance(no_email).await.expect("b"), 88);
    assert_eq!(app.db().points_balance(no_consent).await.expect("b"), 88);
    assert_eq!(app.db().points_balance(other_store).await.expect("b"), 0);
    for id in [solar, lunar] {
        assert_eq!(app.db().points_balance(id).await.expect("b"), 88);
        let notices = app.db().notices_of(id).await.expect("notices");
        assert!(
            notices
                .iter()
                .any(|n| n.occasion == "greeting:birthday:2027")
        );
    }

    // The next day is no festival and nobody's birthday.
    s.clock.advance(jiff::SignedDuration::from_hours(24));
    let next = app.send_greetings(app.now()).await.expect("next day");
    assert_eq!(next.birthdays + next.festivals + next.anniversaries, 0);

    // Rules are checked before they are saved.
    let key = |r: &GreetingRules| {
        let app = app.clone();
        let r = r.clone();
        async move {
            app.save_greeting_rules(&Actor::cli("test"), &r)
                .await
                .err()
                .and_then(|e| e.field_errors().first().map(|f| (f.field, f.key)))
        }
    };
    let mut bad = GreetingRules::default();
    bad.anniversaries.insert("S9".into(), "2017-09-15".into());
    assert_eq!(
        key(&bad).await,
        Some(("anniversaries", "error.greetings.store"))
    );
    let mut bad = GreetingRules::default();
    bad.templates.festival = "{{ nmae }}".into();
    assert_eq!(
        key(&bad).await,
        Some(("festival_template", "error.template.variable"))
    );
    let mut bad = GreetingRules::default();
    bad.festivals.push("halloween".into());
    assert_eq!(
        key(&bad).await,
        Some(("festivals", "error.greetings.festival"))
    );
    s.shutdown().await;
}
both!(greetings_go_out_once_per_customer_and_occasion);

async fn festival_calendar_and_the_holiday_table(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let token = token_for(&s.app, "owner").await;
    let (status, body, _) = api(
        &s.base,
        "GET",
        "/api/v1/calendar/festivals?year=2027",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let date_of = |body: &serde_json::Value, code: &str| {
        body["festivals"]
            .as_array()
            .expect("festivals")
            .iter()
            .find(|f| f["code"] == code)
            .map(|f| f["date"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(
        date_of(&body, "spring_festival").as_deref(),
        Some("2027-02-06")
    );
    assert_eq!(date_of(&body, "mid_autumn").as_deref(), Some("2027-09-15"));
    assert_eq!(
        date_of(&body, "national_day").as_deref(),
        Some("2027-10-01")
    );
    assert_eq!(body["official_published"], false);
    let (_, y2026, _) = api(
        &s.base,
        "GET",
        "/api/v1/calendar/festivals?year=2026",
        Some(&token),
        None,
    )
    .await;
    assert!(
        y2026["official_days"]
            .as_array()
            .expect("days")
            .iter()
            .any(|d| d["date"] == "2026-10-10" && d["rest"] == false)
    );
    let (status, bad, ctype) = api(
        &s.base,
        "GET",
        "/api/v1/calendar/festivals?year=3000",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert!(ctype.starts_with("application/problem+json"));
    assert_eq!(bad["field"], "year", "{bad}");
    let (status, _, _) = api(&s.base, "GET", "/api/v1/calendar/festivals", None, None).await;
    assert_eq!(status, 401);

    // An admin adds 2027 as announced; a bad line saves nothing and is named.
    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;
    let page = c.get("/console/care/calendar?year=2027").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("2027-09-15"));
    let typed = "2027-10-01~2027-10-07 国庆节\n2027-09-26 上班 国庆节\n2027-13-01 坏行\n";
    let r = c
        .post("/console/care/holidays", &[("holidays", typed)])
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("第 3 行：日期无效"), "the line is named");
    assert_eq!(s.app.holiday_text().await.expect("text"), "");
    let good = "2027-10-01~2027-10-07 国庆节\n2027-09-26 上班 国庆节\n";
    let r = c
        .post("/console/care/holidays", &[("holidays", good)])
        .await;
    assert_eq!(r.status, 303);
    let (_, body, _) = api(
        &s.base,
        "GET",
        "/api/v1/calendar/festivals?year=2027",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(body["official_published"], true);
    let cal = s.app.holiday_calendar().await.expect("calendar");
    assert!(cal.is_rest_day("2027-10-04".parse().expect("d")));
    assert!(
        !cal.is_rest_day("2027-09-26".parse().expect("d")),
        "a Sunday made a working day"
    );
    s.shutdown().await;
}
both!(festival_calendar_and_the_holiday_table);

async fn greetings_go_out_on_each_customers_channel(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let admin = Actor::cli("test");
    let s1 = store(app, "S1").await;
    s.clock.set("2027-09-15T01:30:00Z".parse().expect("time"));
    app.save_message_rules(
        &admin,
        &patron_domain::messages::MessageRules {
            sms_signature: "好家居".into(),
            ..Default::default()
        },
    )
    .await
    .expect("message rules");
    for (channel, code, subject) in [("sms", "SMS_F1", ""), ("email", "", "{{ festival }}")] {
        app.save_message_template(
            &admin,
            patron_store::Scope::Chain,
            &patron_app::messages::TemplateForm {
                name: "festival".into(),
                channel: channel.into(),
                language: "zh-CN".into(),
                marketing: true,
                subject: subject.into(),
                body: "{{ name }}，{{ store }}祝您{{ wish }}！".into(),
                provider_template: code.into(),
            },
        )
        .await
        .expect("template");
    }
    use crate::messages::customer as person;
    let by_sms = person(app, s1, "13300133001", "", &[ConsentPurpose::MarketingSms]).await;
    let by_email = person(
        app,
        s1,
        "13300133002",
        "e@x.cn",
        &[ConsentPurpose::MarketingEmail],
    )
    .await;
    let unreachable = person(app, s1, "13300133003", "f@x.cn", &[]).await;

    // A template that does not exist is refused, named by its field.
    let mut rules = GreetingRules::default();
    rules.messages.festival = "no-such".into();
    let err = app
        .save_greeting_rules(&admin, &rules)
        .await
        .expect_err("unknown template");
    let f = err.field_errors();
    assert_eq!(
        (f[0].field, f[0].key),
        ("festival_message", "error.messages.no_template")
    );
    rules.messages.festival = "festival".into();
    app.save_greeting_rules(&admin, &rules)
        .await
        .expect("rules");

    let report = app.send_greetings(app.now()).await.expect("greetings");
    assert_eq!(report.festivals, 2, "{report}");
    let again = app.send_greetings(app.now()).await.expect("again");
    assert_eq!(again.festivals, 0, "once per customer and occasion");
    let rows = app.outbox_letters("", 100).await.expect("outbox");
    let of = |id: i64| -> Vec<&patron_app::outbox::Letter> {
        rows.iter()
            .filter(|r| r.customer_id == Some(id) && r.purpose == "greeting")
            .collect()
    };
    let sms = of(by_sms);
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].channel, "sms");
    assert_eq!(sms[0].recipient, "13300133001");
    assert_eq!(
        sms[0].body,
        "【好家居】王芳，测试门店S1祝您中秋快乐，花好月圆！ 拒收请回复R"
    );
    let email = of(by_email);
    assert_eq!(email.len(), 1);
    assert_eq!(email[0].channel, "email");
    assert_eq!(email[0].subject, "中秋节");
    assert!(email[0].body.contains("/unsubscribe/"), "{}", email[0].body);
    assert!(of(unreachable).is_empty(), "no consent, no greeting");
    assert_eq!(sms[0].campaign.as_deref(), Some("greetings"));
    s.shutdown().await;
}
both!(greetings_go_out_on_each_customers_channel);
