//! Churn warning and win-back on both backends: scores from the running statistics with
//! their signs, the warning list per store and per owner, a playbook reaching each customer
//! once per cool-down however often (and however concurrently) it runs, with its task,
//! coupon and message written together, a control group held back, and the results.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store};
use crate::points::customer;
use patron_app::care::churn::PlaybookForm;
use patron_app::membership::coupons::TemplateInput;
use patron_app::messages::TemplateForm;
use patron_domain::Actor;
use patron_domain::care::churn::Reason;
use patron_domain::customers::{ConsentChannel, ConsentPurpose};
use patron_store::Scope;

fn monthly(receipt: &str, phone: &str, months: &[(i32, i32)]) -> String {
    months
        .iter()
        .map(|(y, m)| {
            format!("{receipt}{y}{m:02},{y}-{m:02}-10 15:00,S1,{phone},X,地板,floor,1,500\n")
        })
        .collect()
}

async fn churn_scores_warn_and_playbooks_win_back(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let s2 = store(app, "S2").await;
    let associate = staff(app, "assoc.c", "sales_associate", Some(s1)).await;
    let regular = customer(app, s1, "13500000001").await;
    let lapsed = customer(app, s1, "13500000002").await;
    let elsewhere = customer(app, s2, "13500000003").await;
    app.assign_owner(
        &Actor::cli("test"),
        Scope::Chain,
        &[lapsed],
        Some(associate),
        "分配",
    )
    .await
    .expect("owner");
    app.set_consents(
        &Actor::cli("test"),
        Scope::Chain,
        lapsed,
        &[(ConsentPurpose::MarketingSms, true)],
        ConsentChannel::Counter,
    )
    .await
    .expect("consent");
    // The harness's today is 2026-11-23. The regular customer comes every month; the lapsed
    // one came every month until May and not since; the other store's likewise.
    let all: Vec<(i32, i32)> = [(2025, 12)]
        .into_iter()
        .chain((1..=11).map(|m| (2026, m)))
        .collect();
    let until_may: Vec<(i32, i32)> = [(2025, 12)]
        .into_iter()
        .chain((1..=5).map(|m| (2026, m)))
        .collect();
    let csv = format!(
        "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n{}{}{}",
        monthly("A", "13500000001", &all),
        monthly("B", "13500000002", &until_may),
        monthly("C", "13500000003", &until_may).replace(",S1,", ",S2,"),
    );
    let report = app
        .import_sales(csv.as_bytes(), false, &|_| {})
        .await
        .expect("import");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let scored = app.score_churn(app.now()).await.expect("score");
    assert_eq!(scored, 2, "the regular customer scores nothing");
    assert_eq!(app.db().churn_score(regular).await.expect("q"), None);

    // The lapsed customer: 197 days against a usual 30, no visits or spend in six months.
    let list = app.at_risk(Scope::Chain, None, 100).await.expect("list");
    assert_eq!(list.len(), 2);
    let (row, signs) = list
        .iter()
        .find(|(r, _)| r.customer_id == lapsed)
        .expect("lapsed");
    assert_eq!(row.score, 80);
    assert!(
        matches!(signs[0].reason, Reason::Overdue { usual: 30, .. }),
        "{signs:?}"
    );
    assert!(signs.iter().any(|s| s.reason
        == Reason::FewerVisits {
            recent: 0,
            before: 6
        }));
    assert!(signs.iter().any(|s| s.reason
        == Reason::LessSpend {
            recent_fen: 0,
            before_fen: 300_000
        }));
    // Per store and per owner.
    let store_only = app
        .at_risk(Scope::Store(s1), None, 100)
        .await
        .expect("list");
    assert_eq!(
        store_only
            .iter()
            .map(|(r, _)| r.customer_id)
            .collect::<Vec<_>>(),
        vec![lapsed]
    );
    let mine = app
        .at_risk(Scope::Chain, Some(associate), 100)
        .await
        .expect("list");
    assert_eq!(mine.len(), 1);

    // A playbook: a call, a coupon and an SMS, no control group.
    let admin = Actor::cli("test");
    let mut rules = app.message_rules().await.expect("rules");
    rules.sms_signature = "好家居".into();
    app.save_message_rules(&admin, &rules).await.expect("rules");
    app.save_message_template(
        &admin,
        patron_store::Scope::Chain,
        &TemplateForm {
            name: "winback".into(),
            channel: "sms".into(),
            language: "zh-CN".into(),
            marketing: true,
            body: "{{ name }}，送您{{ coupon }}（券码 {{ coupon_code }}）".into(),
            provider_template: "SMS_1".into(),
            ..Default::default()
        },
    )
    .await
    .expect("template");
    let coupon = app
        .create_coupon_template(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &TemplateInput {
                name: "回店礼50元".into(),
                amount_fen: Some(5_000),
                valid_days: 30,
                ..Default::default()
            },
        )
        .await
        .expect("coupon");
    let bad = app
        .create_playbook(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &PlaybookForm {
                name: "空".into(),
                min_score: 50,
                cooldown_days: 90,
                ..Default::default()
            },
        )
        .await
        .expect_err("no action");
    assert_eq!(bad.field_errors()[0].field, "make_task");
    let pb = app
        .create_playbook(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &PlaybookForm {
                name: "久未到店".into(),
                min_score: 50,
                make_task: true,
                coupon_template_id: Some(coupon),
                message_template: "winback".into(),
                control_percent: 0,
                cooldown_days: 90,
                segment_id: None,
                run_on: None,
            },
        )
        .await
        .expect("playbook");
    // Two runs at once, from store 1's scope: each customer of the store reached once.
    let (a, b) = tokio::join!(
        app.run_playbook(&admin, Scope::Store(s1), pb),
        app.run_playbook(&admin, Scope::Store(s1), pb)
    );
    let (a, b) = (a.expect("run"), b.expect("run"));
    assert_eq!(a.reached + b.reached, 1);
    assert_eq!(a.skipped + b.skipped, 1);
    let coupons = app
        .db()
        .usable_coupons(lapsed, app.now())
        .await
        .expect("coupons");
    assert_eq!(coupons.len(), 1, "one coupon");
    let sms = app.letters_of(lapsed, 10).await.expect("messages");
    assert_eq!(sms.len(), 1);
    assert_eq!(
        sms[0].campaign.as_deref(),
        Some(format!("winback:{pb}").as_str())
    );
    assert!(sms[0].body.contains(&coupons[0].code), "{}", sms[0].body);
    let tasks: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM followup_tasks WHERE customer_id = $1 AND kind = 'winback'",
    )
    .bind(lapsed)
    .fetch_one(app.db().pool())
    .await
    .expect("tasks");
    assert_eq!(tasks, 1);
    assert_eq!(
        app.letters_of(elsewhere, 10).await.expect("m").len(),
        0,
        "other store untouched"
    );
    // Run again later within the cool-down: nobody is reached twice.
    let again = app
        .run_playbook(&admin, Scope::Chain, pb)
        .await
        .expect("run");
    assert_eq!(
        (again.reached, again.skipped),
        (1, 1),
        "only the other store's customer is new"
    );

    // The customer comes back; the results say so.
    let back = "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\nD1,2026-11-23 11:00,S1,13500000002,X,地板,floor,2,400\n";
    s.clock.advance(jiff::SignedDuration::from_hours(2));
    app.import_sales(back.as_bytes(), false, &|_| {})
        .await
        .expect("import");
    let results = app.db().playbook_results(pb).await.expect("results");
    assert_eq!(results.len(), 1);
    assert_eq!(
        (
            results[0].control,
            results[0].customers,
            results[0].returned,
            results[0].spend_fen
        ),
        (0, 2, 1, 80_000)
    );

    // A playbook with half held back as a control group: everyone is in one group or the other.
    let half = app
        .create_playbook(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &PlaybookForm {
                name: "对照".into(),
                min_score: 50,
                make_task: true,
                control_percent: 50,
                cooldown_days: 30,
                ..Default::default()
            },
        )
        .await
        .expect("playbook");
    let r = app
        .run_playbook(&admin, Scope::Chain, half)
        .await
        .expect("run");
    assert_eq!(r.reached + r.control, 2);

    // Scheduled as a campaign for tomorrow (not for a day gone): shown on the calendar,
    // nothing today, then it runs by itself, once.
    let scheduled = |name: &str, day: &str| PlaybookForm {
        name: name.into(),
        min_score: 50,
        make_task: true,
        cooldown_days: 30,
        run_on: Some(day.parse().expect("day")),
        ..Default::default()
    };
    let bad = app
        .create_playbook(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &scheduled("昨天的活动", "2026-11-22"),
        )
        .await
        .expect_err("past");
    assert_eq!(bad.field_errors()[0].field, "run_on");
    let planned = app
        .create_playbook(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &scheduled("双十二回店", "2026-11-24"),
        )
        .await
        .expect("planned");
    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;
    let cal = c.get("/console/care/calendar").await;
    assert!(cal.body.contains("营销活动：双十二回店"), "{}", cal.body);
    let out = app.run_scheduled_playbooks().await.expect("today");
    assert!(out.starts_with("0 campaigns"), "{out}");
    s.clock.advance(jiff::SignedDuration::from_hours(24));
    let out = app.run_scheduled_playbooks().await.expect("tomorrow");
    assert!(out.starts_with("1 campaigns"), "{out}");
    assert!(out.contains("2 reached"), "{out}");
    let again = app.run_scheduled_playbooks().await.expect("again");
    assert!(again.starts_with("0 campaigns"), "{again}");
    let row = app
        .db()
        .playbooks()
        .await
        .expect("playbooks")
        .into_iter()
        .find(|p| p.id == planned)
        .expect("row");
    assert_eq!(row.ran_on.as_deref(), Some("2026-11-24"));

    // The console (a new session: a day has passed): the list with its reasons in words,
    // the playbooks with their results.
    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;
    let page = c.get("/console/care/churn").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("天未到店（平时约 30 天一次）"),
        "{}",
        page.body
    );
    assert!(page.body.contains("久未到店"));
    assert!(page.body.contains("¥800.00"), "spend since");
    assert!(!page.body.contains("[missing"));
    let r = c
        .post(
            "/console/care/churn/rules",
            &[
                ("warn_at", "0"),
                ("overdue_weight", "40"),
                ("overdue_full_times", "3"),
                ("default_interval_days", "60"),
                ("frequency_weight", "20"),
                ("spend_weight", "20"),
                ("drop_from_percent", "30"),
                ("complaint_weight", "20"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("预警分数线"), "names the field");
}
both!(churn_scores_warn_and_playbooks_win_back);
