//! Surveys on both backends: the satisfaction follow-up of a resolved ticket (an unhappy
//! answer reopens it, a happy one closes it, no answer in time closes it with a flag, a
//! link answers once), low ratings in the churn score, the builder's checks, sending to a
//! segment with consent, the after-purchase survey, and the results with NPS and comments.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store};
use jiff::SignedDuration;
use patron_app::App;
use patron_app::customers::segments::SegmentInput;
use patron_app::service::surveys::SurveyForm;
use patron_app::service::tickets::{Compensation, Resolution, TicketForm};
use patron_domain::Actor;
use patron_domain::customers::ConsentPurpose;
use patron_store::Scope;

async fn complaint(app: &App, actor: &Actor, customer_id: i64) -> i64 {
    let form = TicketForm {
        customer_id,
        channel: "phone".into(),
        ticket_type: "complaint".into(),
        category: "installation".into(),
        severity: "normal".into(),
        subject: "地板起拱".into(),
        description: "新装的地板一周后起拱".into(),
        ..Default::default()
    };
    app.file_ticket(actor, Scope::Chain, &form, None)
        .await
        .expect("file")
        .0
}

async fn resolve(app: &App, actor: &Actor, id: i64) {
    let r = Resolution {
        root_cause: "installation_error".into(),
        corrective_action: "重新铺装并留伸缩缝".into(),
        compensation: Compensation::Repair { value_fen: 0 },
    };
    app.resolve_ticket(actor, Scope::Chain, id, &r, "")
        .await
        .expect("resolve");
}

/// The survey links queued to `recipient`, oldest first (their `/s/...` paths).
async fn links(app: &App, recipient: &str) -> Vec<String> {
    let mut rows = app.outbox_letters("", 500).await.expect("outbox");
    rows.sort_by_key(|r| r.id);
    rows.into_iter()
        .filter(|r| r.recipient == recipient && r.body.contains("/s/"))
        .map(|r| {
            let at = r.body.find("/s/").expect("link");
            r.body[at..]
                .split_whitespace()
                .next()
                .expect("path")
                .to_string()
        })
        .collect()
}

async fn status(app: &App, id: i64) -> patron_store::service::tickets::TicketRow {
    app.db().ticket(Scope::Chain, id).await.expect("ticket")
}

async fn a_resolution_is_followed_up_for_satisfaction(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let a1 = staff(app, "after.one", "after_sales", Some(s1)).await;
    let actor = crate::transfer::principal(app, a1).await.actor(None);
    // No marketing consent: the follow-up of the customer's own complaint is a service
    // message, sent all the same.
    let customer = crate::messages::customer(app, s1, "13700137001", "fang@example.cn", &[]).await;
    let csv = "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n\
               R1,2026-11-01 15:00,S1,13700137001,F1,地板,floor,1,800\n";
    app.import_sales(csv.as_bytes(), false, &|_| {})
        .await
        .expect("sale");
    let t = complaint(app, &actor, customer).await;
    resolve(app, &actor, t).await;
    let sent = links(app, "fang@example.cn").await;
    assert_eq!(sent.len(), 1, "asked once, at the resolution");
    assert!(
        app.run_surveys(app.now()).await.expect("job").tickets_asked == 0,
        "the job does not ask again"
    );

    let c = Client::new(&s.base);
    let page = c.get(&sent[0]).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("您对这次问题的处理满意吗"),
        "{}",
        page.body
    );
    assert!(page.body.contains("测试门店S1"));
    assert!(
        !page.body.contains("王芳"),
        "the page shows nothing of the file"
    );
    assert_eq!(c.get("/s/not-a-token").await.status, 404);

    // Staff can make a new link to pass on by hand; the old one stops working.
    let admin = Client::new(&s.base);
    admin.login("owner", PASSWORD).await;
    admin.get(&format!("/console/service/tickets/{t}")).await;
    let page = admin
        .post(&format!("/console/service/tickets/{t}/survey-link"), &[])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let at = page.body.find("id=\"survey-link\" value=\"").expect("link") + 24;
    let renewed = page.body[at..].split('"').next().expect("value");
    let renewed = renewed[renewed.find("/s/").expect("path")..].to_string();
    assert_eq!(c.get(&sent[0]).await.status, 404);
    let sent = [renewed];

    // A score out of range is refused on its question; nothing is recorded.
    let bad = c.post(&sent[0], &[("q0", "9")]).await;
    assert!(bad.body.contains("第 1：请选择一个分数"), "{}", bad.body);
    assert_eq!(status(app, t).await.status.code(), "resolved");

    // Unhappy: the ticket opens again, with the rating and comment on its timeline.
    let unhappy = c.post(&sent[0], &[("q0", "2"), ("q1", "还是有响声")]).await;
    assert!(unhappy.body.contains("已重新处理"), "{}", unhappy.body);
    let row = status(app, t).await;
    assert_eq!(
        (row.status.code(), row.satisfaction, row.reopen_count),
        ("in_progress", Some(2), 1)
    );
    let view = app
        .view_ticket(&actor, Scope::Chain, t)
        .await
        .expect("view");
    let last = view.timeline.last().expect("event");
    assert_eq!(last.kind, "reopen");
    assert!(last.note.contains("2 / 5") && last.note.contains("还是有响声"));
    // The link answers once.
    let again = c.post(&sent[0], &[("q0", "5")]).await;
    assert!(again.body.contains("已经回答过"), "{}", again.body);
    assert_eq!(status(app, t).await.satisfaction, Some(2));

    // Resolved a second time: asked again, and a happy answer closes it.
    resolve(app, &actor, t).await;
    let sent = links(app, "fang@example.cn").await;
    assert_eq!(sent.len(), 2);
    let happy = c.post(&sent[1], &[("q0", "5")]).await;
    assert!(happy.body.contains("感谢您的反馈"), "{}", happy.body);
    let row = status(app, t).await;
    assert_eq!((row.status.code(), row.satisfaction), ("closed", Some(5)));
    assert_eq!(i64::from(row.closed_unanswered), 0);
    // Each answered invitation records what it did, written with the answers.
    let outcomes: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT outcome FROM survey_invitations WHERE ticket_id = $1 ORDER BY id",
    )
    .bind(t)
    .fetch_all(app.db().pool())
    .await
    .expect("outcomes");
    assert_eq!(
        outcomes.iter().map(Option::as_deref).collect::<Vec<_>>(),
        [Some("reopened"), Some("closed")]
    );

    // The low rating of the first round counts against the customer in the churn score.
    app.score_churn(app.now()).await.expect("churn");
    let (score, reasons) = app
        .db()
        .churn_score(customer)
        .await
        .expect("q")
        .expect("scored");
    assert!(reasons.contains("low_rating"), "{reasons}");
    assert_eq!(score, 10, "half the complaint weight");

    // The ticket page shows the rating.
    let page = admin.get(&format!("/console/service/tickets/{t}")).await;
    assert!(
        page.body.contains("id=\"satisfaction\">5 / 5"),
        "{}",
        page.body
    );

    // Three days after the resolution the customer's follow-up list has a call about it.
    s.clock
        .advance(SignedDuration::from_hours(24 * 3) + SignedDuration::from_mins(60));
    let planned = app.plan_followups(app.now()).await.expect("plan");
    assert_eq!(planned.after_complaint, 1);
    let again = app.plan_followups(app.now()).await.expect("plan");
    assert_eq!(again.after_complaint, 0, "once per complaint");
    s.shutdown().await;
}
both!(a_resolution_is_followed_up_for_satisfaction);

async fn no_answer_closes_the_ticket_with_a_flag(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let a1 = staff(app, "after.one", "after_sales", Some(s1)).await;
    let actor = crate::transfer::principal(app, a1).await.actor(None);
    // Nobody can reach this customer: the follow-up is still recorded, so the ticket
    // closes when it runs out.
    let customer = crate::messages::customer(app, s1, "13700137002", "", &[]).await;
    let t = complaint(app, &actor, customer).await;

    // With the follow-up switched off, resolving asks nobody; switched on, the job asks.
    let follow_up = app
        .surveys()
        .await
        .expect("surveys")
        .into_iter()
        .find(|s| s.row.trigger_kind.code() == "after_resolution")
        .expect("built in");
    let mut form = SurveyForm {
        name: follow_up.row.name.clone(),
        questions: follow_up.builder_text(),
        trigger: "after_resolution".into(),
        active: false,
        ..Default::default()
    };
    let admin = Actor::cli("test");
    app.save_survey(
        &admin,
        patron_store::Scope::Chain,
        Some(follow_up.row.id),
        &form,
    )
    .await
    .expect("off");
    resolve(app, &actor, t).await;
    form.active = true;
    app.save_survey(
        &admin,
        patron_store::Scope::Chain,
        Some(follow_up.row.id),
        &form,
    )
    .await
    .expect("on");
    let r = app.run_surveys(app.now()).await.expect("job");
    assert_eq!((r.tickets_asked, r.closed_unanswered), (1, 0));

    // Seven days later (the default wait) plus one: closed, flagged, once.
    s.clock.advance(SignedDuration::from_hours(24 * 8));
    let r = app.run_surveys(app.now()).await.expect("job");
    assert_eq!((r.tickets_asked, r.closed_unanswered), (0, 1));
    let row = status(app, t).await;
    assert_eq!(
        (
            row.status.code(),
            i64::from(row.closed_unanswered),
            row.satisfaction
        ),
        ("closed", 1, None)
    );
    let r = app.run_surveys(app.now()).await.expect("job");
    assert_eq!(r.closed_unanswered, 0);
    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;
    let page = c.get(&format!("/console/service/tickets/{t}")).await;
    assert!(
        page.body.contains("客户未回复，已自动关闭"),
        "{}",
        page.body
    );
    s.shutdown().await;
}
both!(no_answer_closes_the_ticket_with_a_flag);

async fn surveys_are_built_sent_and_counted(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let admin_id = staff(app, "admin.two", "admin", None).await;
    let admin = crate::transfer::principal(app, admin_id).await;
    let actor = admin.actor(None);
    let email = [ConsentPurpose::MarketingEmail];
    let willing = crate::messages::customer(app, s1, "13800138001", "yes@example.cn", &email).await;
    crate::messages::customer(app, s1, "13800138002", "no@example.cn", &[]).await;
    crate::messages::customer(app, s1, "13800138003", "", &[]).await;
    let csv = "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n\
               V1,2026-11-20 15:00,S1,13800138001,SV,瓷砖,tile,1,300\n\
               V2,2026-11-10 15:00,S1,13800138002,SV,瓷砖,tile,1,300\n\
               V3,2026-11-10 15:00,S1,13800138003,SV,瓷砖,tile,1,300\n";
    app.import_sales(csv.as_bytes(), false, &|_| {})
        .await
        .expect("sales");

    // The builder's checks, each on its field.
    let form = |name: &str, questions: &str, trigger: &str, delay: i64| SurveyForm {
        name: name.into(),
        questions: questions.into(),
        trigger: trigger.into(),
        delay_days: delay,
        active: true,
        ..Default::default()
    };
    let refused = |e: patron_app::AppError| {
        let f = e.field_errors()[0].clone();
        (f.field, f.key)
    };
    let e = app
        .save_survey(
            &actor,
            patron_store::Scope::Chain,
            None,
            &form("回访", "text: 建议", "after_resolution", 0),
        )
        .await
        .expect_err("no csat");
    assert_eq!(refused(e), ("questions", "error.survey.csat_needed"));
    let e = app
        .save_survey(
            &actor,
            patron_store::Scope::Chain,
            None,
            &form("回访", "csat: 满意吗", "after_resolution", 0),
        )
        .await
        .expect_err("one at a time");
    assert_eq!(refused(e), ("trigger", "error.survey.trigger_taken"));
    let e = app
        .save_survey(
            &actor,
            patron_store::Scope::Chain,
            None,
            &form("购后", "nps: 推荐吗", "after_purchase", 0),
        )
        .await
        .expect_err("delay");
    assert_eq!(refused(e), ("delay_days", "error.survey.delay"));
    let e = app
        .save_survey(
            &actor,
            patron_store::Scope::Chain,
            None,
            &form("坏", "rating: 好不好", "manual", 0),
        )
        .await
        .expect_err("kind");
    assert_eq!(refused(e), ("questions", "error.survey.questions"));

    // A survey to a segment: only the consenting e-mail address is asked; a resent form
    // asks nobody twice.
    let questions = "nps: 您有多大可能向朋友推荐本店？\n\
                     single: 您是怎么知道我们的？ | 朋友介绍 | 小区广告 | 路过\n\
                     text: 还有什么建议？";
    let survey = app
        .save_survey(
            &actor,
            patron_store::Scope::Chain,
            None,
            &form("到店体验", questions, "manual", 0),
        )
        .await
        .expect("save");
    let segment = app
        .save_segment(
            &admin,
            None,
            &SegmentInput {
                name: "买过瓷砖".into(),
                store_id: None,
                groups: vec!["sku=SV".into()],
            },
        )
        .await
        .expect("segment");
    let r = app
        .send_survey_to_segment(Scope::Chain, survey, segment, "b1")
        .await
        .expect("send");
    assert_eq!((r.invited, r.unreachable, r.already), (1, 2, 0));
    let r = app
        .send_survey_to_segment(Scope::Chain, survey, segment, "b1")
        .await
        .expect("resend");
    assert_eq!((r.invited, r.already), (0, 3));
    let sent = links(app, "yes@example.cn").await;
    assert_eq!(sent.len(), 1);
    let token = sent[0].trim_start_matches("/s/").to_string();
    let values = [vec!["9"], vec!["0"], vec!["门口停车位太少"]];
    app.answer_survey(&token, |i| values[i].clone())
        .await
        .expect("answer");

    // The results: NPS, the choices' spread, the comment (whose reading is audited).
    let results = app
        .survey_results(&actor, Scope::Chain, survey)
        .await
        .expect("results");
    assert_eq!((results.sent, results.answered), (3, 1));
    let nps = results.questions[0].summary.expect("nps");
    assert!((nps.nps - 100.0).abs() < 1e-9);
    let bars: Vec<(String, i64)> = results.questions[1]
        .bars
        .iter()
        .map(|b| (b.label.clone(), b.count))
        .collect();
    assert_eq!(
        bars,
        [
            ("朋友介绍".into(), 1),
            ("小区广告".into(), 0),
            ("路过".into(), 0)
        ]
    );
    assert_eq!(results.comments.len(), 1);
    assert_eq!(results.comments[0].text, "门口停车位太少");
    assert_eq!(results.comments[0].customer_id, willing);
    assert_eq!(results.trend.len(), 1);
    let audited = crate::harness::audit(app, "survey.comments.read", "").await;
    assert_eq!(audited.len(), 1);
    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;
    let page = c.get(&format!("/console/surveys/{survey}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("NPS +100"), "{}", page.body);
    assert!(page.body.contains("门口停车位太少"));

    // Three days after a purchase: the after-purchase survey, once per sale.
    app.save_survey(
        &actor,
        patron_store::Scope::Chain,
        None,
        &form("购后回访", "csat: 您对购物满意吗？", "after_purchase", 3),
    )
    .await
    .expect("after purchase");
    let r = app.run_surveys(app.now()).await.expect("job");
    assert_eq!(r.purchases_asked, 1, "the sale of 20 November");
    assert_eq!(links(app, "yes@example.cn").await.len(), 2);
    let r = app.run_surveys(app.now()).await.expect("job");
    assert_eq!(r.purchases_asked, 0);
    s.shutdown().await;
}
both!(surveys_are_built_sent_and_counted);
