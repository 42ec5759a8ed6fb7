//! The service desk on both backends: filing with SLA deadlines in the store's business
//! hours, automatic assignment (least busy, round-robin), retry-safe filing, escalation of
//! breaches to the store manager and then the admin (once), the clock stopping while
//! waiting on the customer, the workflow's steps, resolution with a root cause and points
//! through the ledger, reopening, and store scoping.

use crate::both;
use crate::harness::{Kind, staff, start, store};
use jiff::{SignedDuration, Timestamp};
use patron_app::service::tickets::{Compensation, Resolution, Resolved, TicketForm};
use patron_app::service::{Assignment, ServiceRules};
use patron_domain::service::ticket::{Action, Status};
use patron_store::Scope;
use patron_store::service::tickets::Queue;

fn shanghai(t: Option<i64>) -> String {
    let t = Timestamp::from_millisecond(t.expect("time")).expect("ms");
    jiff::tz::TimeZone::fixed(jiff::tz::offset(8))
        .to_datetime(t)
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

fn complaint(customer_id: i64, subject: &str) -> TicketForm {
    TicketForm {
        customer_id,
        channel: "phone".into(),
        ticket_type: "complaint".into(),
        category: "logistics".into(),
        severity: "high".into(),
        subject: subject.into(),
        description: "送货晚了两天，地址是幸福路8号".into(),
        ..Default::default()
    }
}

async fn tickets_keep_their_service_levels(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let s2 = store(app, "S2").await;
    let a1 = staff(app, "after.one", "after_sales", Some(s1)).await;
    let a2 = staff(app, "after.two", "after_sales", Some(s1)).await;
    let manager = staff(app, "manager.one", "store_manager", Some(s1)).await;
    let other = staff(app, "after.other", "after_sales", Some(s2)).await;
    let customer = crate::messages::customer(app, s1, "13700137001", "", &[]).await;
    let actor = crate::transfer::principal(app, a1).await.actor(None);
    // Monday 23 November 2026, 10:00 in Shanghai; the store serves daily 09:00-18:00.
    assert_eq!(
        shanghai(Some(app.now().as_millisecond())),
        "2026-11-23 10:00"
    );

    // A high-severity complaint: first response in 2 working hours, resolution in 16.
    let (t1, fresh) = app
        .file_ticket(
            &actor,
            Scope::Chain,
            &complaint(customer, "送货延误"),
            Some("k-1"),
        )
        .await
        .expect("file");
    assert!(fresh);
    let again = app
        .file_ticket(
            &actor,
            Scope::Chain,
            &complaint(customer, "送货延误"),
            Some("k-1"),
        )
        .await
        .expect("retry");
    assert_eq!(again, (t1, false), "a retry files nothing new");
    let row = app.db().ticket(Scope::Chain, t1).await.expect("row");
    assert_eq!(
        shanghai(Some(row.response_due_at.as_millisecond())),
        "2026-11-23 12:00"
    );
    assert_eq!(
        shanghai(row.resolution_due_at.map(|t| t.as_millisecond())),
        "2026-11-24 17:00",
        "8 h today, 8 h tomorrow"
    );
    assert_eq!(row.assignee_id, Some(a1), "least busy, then lowest id");
    let (t2, _) = app
        .file_ticket(
            &actor,
            Scope::Chain,
            &complaint(customer, "安装师傅迟到"),
            None,
        )
        .await
        .expect("file");
    assert_eq!(
        app.db()
            .ticket(Scope::Chain, t2)
            .await
            .expect("row")
            .assignee_id,
        Some(a2)
    );
    let mut rules = ServiceRules {
        assignment: Assignment::RoundRobin,
        ..Default::default()
    };
    app.save_service_rules(&actor, &rules).await.expect("rules");
    let (t3, _) = app
        .file_ticket(
            &actor,
            Scope::Chain,
            &complaint(customer, "价格不一致"),
            None,
        )
        .await
        .expect("file");
    assert_eq!(
        app.db()
            .ticket(Scope::Chain, t3)
            .await
            .expect("row")
            .assignee_id,
        Some(a1),
        "after a2 comes a1 again"
    );
    rules.assignment = Assignment::Manual;
    app.save_service_rules(&actor, &rules).await.expect("rules");

    // Bad input is named by its field; nothing is filed.
    let mut bad = complaint(customer, "x");
    bad.category = "weather".into();
    let e = app
        .file_ticket(&actor, Scope::Chain, &bad, None)
        .await
        .expect_err("category");
    assert_eq!(e.field_errors()[0].field, "category");
    let mut bad = complaint(customer, "x");
    bad.assignee_id = Some(other);
    let e = app
        .file_ticket(&actor, Scope::Chain, &bad, None)
        .await
        .expect_err("assignee");
    assert_eq!(e.field_errors()[0].field, "assignee_id");
    let e = app
        .file_ticket(&actor, Scope::Store(s2), &complaint(customer, "x"), None)
        .await
        .expect_err("scope");
    assert_eq!(e.field_errors()[0].field, "customer_id");

    // Tickets 2 and 3 are answered in time; ticket 1 is not.
    for t in [t2, t3] {
        app.act_on_ticket(&actor, Scope::Chain, t, Action::Acknowledge, "已致电客户")
            .await
            .expect("ack");
    }
    s.clock.advance(SignedDuration::from_mins(150));
    let r = app.escalate_tickets(app.now()).await.expect("escalate");
    assert_eq!((r.response_breaches, r.resolution_breaches), (1, 0));
    let r = app.escalate_tickets(app.now()).await.expect("again");
    assert_eq!((r.response_breaches, r.resolution_breaches), (0, 0), "once");
    let row = app.db().ticket(Scope::Chain, t1).await.expect("row");
    assert_eq!(
        (i64::from(row.breached_response), row.escalation_level),
        (1, 1)
    );
    let outbox = app.outbox_letters("", 100).await.expect("outbox");
    let escalations: Vec<_> = outbox
        .iter()
        .filter(|m| m.purpose == "escalation")
        .collect();
    assert_eq!(escalations.len(), 1, "to the store manager only");
    assert_eq!(escalations[0].recipient, "manager.one@shop.example.cn");
    assert!(
        !escalations[0].body.contains("幸福路"),
        "the customer's words stay out of e-mail"
    );
    let _ = manager;

    // Ticket 1: answered at 12:30, waiting on the customer from 13:00 (3 working hours
    // used); the clock stands still until Wednesday 10:00, when 13 hours remain.
    app.act_on_ticket(&actor, Scope::Chain, t1, Action::Acknowledge, "")
        .await
        .expect("ack");
    s.clock.advance(SignedDuration::from_mins(30));
    app.act_on_ticket(
        &actor,
        Scope::Chain,
        t1,
        Action::WaitOnCustomer,
        "等客户提供照片",
    )
    .await
    .expect("wait");
    let row = app.db().ticket(Scope::Chain, t1).await.expect("row");
    assert_eq!((row.sla_used_min, row.resolution_due_at), (180, None));
    s.clock.set("2026-11-25T02:00:00Z".parse().expect("wed"));
    let r = app.escalate_tickets(app.now()).await.expect("escalate");
    assert_eq!(
        r.resolution_breaches, 2,
        "tickets 2 and 3 ran out on Tuesday at 17:00"
    );
    let row = app.db().ticket(Scope::Chain, t2).await.expect("row");
    assert_eq!(
        (i64::from(row.breached_resolution), row.escalation_level),
        (1, 2),
        "on to the admin"
    );
    app.act_on_ticket(
        &actor,
        Scope::Chain,
        t1,
        Action::CustomerReplied,
        "照片已收到",
    )
    .await
    .expect("replied");
    let row = app.db().ticket(Scope::Chain, t1).await.expect("row");
    assert_eq!(
        shanghai(row.resolution_due_at.map(|t| t.as_millisecond())),
        "2026-11-26 14:00"
    );
    assert_eq!(i64::from(row.breached_resolution), 0);

    // The workflow refuses a step it does not have, and resolving needs a root cause.
    let e = app
        .act_on_ticket(&actor, Scope::Chain, t1, Action::Close, "")
        .await
        .expect_err("close");
    assert_eq!(e.field_errors()[0].field, "action");
    let e = app
        .act_on_ticket(&actor, Scope::Chain, t1, Action::Resolve, "")
        .await
        .expect_err("resolve");
    assert_eq!(e.field_errors()[0].field, "root_cause");
    let resolution = Resolution {
        root_cause: "late_delivery".into(),
        corrective_action: "调整配送排班，增加周三车次".into(),
        compensation: Compensation::Points {
            points: 200,
            applied: false,
        },
    };
    let status = app
        .resolve_ticket(&actor, Scope::Chain, t1, &resolution, "补偿200积分")
        .await
        .expect("resolve");
    assert_eq!(status, Resolved::Done(Status::Resolved));
    assert_eq!(
        app.db().points_balance(customer).await.expect("balance"),
        200,
        "through the ledger"
    );
    let view = app
        .view_ticket(&actor, Scope::Chain, t1)
        .await
        .expect("view");
    assert_eq!(
        view.compensation,
        Compensation::Points {
            points: 200,
            applied: true
        }
    );
    assert_eq!(view.row.root_cause.as_deref(), Some("late_delivery"));
    assert_eq!(view.description, "送货晚了两天，地址是幸福路8号");
    let kinds: Vec<&str> = view.timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "created",
            "assigned",
            "breach_response",
            "acknowledge",
            "wait",
            "customer_replied",
            "resolve"
        ]
    );
    assert!(view.timeline.iter().any(|e| e.note == "等客户提供照片"));
    assert!(
        !view.row.description_enc.contains("幸福路"),
        "sealed at rest"
    );

    // Closed, then reopened when the customer is not satisfied.
    app.act_on_ticket(&actor, Scope::Chain, t1, Action::Close, "")
        .await
        .expect("close");
    app.act_on_ticket(&actor, Scope::Chain, t1, Action::Reopen, "客户不满意")
        .await
        .expect("reopen");
    let row = app.db().ticket(Scope::Chain, t1).await.expect("row");
    assert_eq!(
        (row.status.code(), row.reopen_count, row.closed_at),
        ("in_progress", 1, None)
    );

    // Queues: mine, and store scoping.
    let mine = app
        .tickets(
            Scope::Chain,
            &Queue {
                assignee: Some(a1),
                open_only: true,
                ..Default::default()
            },
            50,
        )
        .await
        .expect("mine");
    assert_eq!(mine.iter().map(|t| t.id).collect::<Vec<_>>().len(), 2);
    assert!(
        app.tickets(Scope::Store(s2), &Queue::default(), 50)
            .await
            .expect("s2")
            .is_empty()
    );
    let other_actor = crate::transfer::principal(app, other).await.actor(None);
    assert!(
        app.view_ticket(&other_actor, Scope::Store(s2), t1)
            .await
            .is_err()
    );
    s.shutdown().await;
}
both!(tickets_keep_their_service_levels);

async fn the_desk_in_the_console(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let customer = crate::messages::customer(app, s1, "13700137002", "", &[]).await;
    let c = crate::harness::Client::new(&s.base);
    c.login("owner", crate::harness::PASSWORD).await;
    let queue = c.get("/console/service?tab=all").await;
    assert_eq!(queue.status, 200);
    assert!(!queue.body.contains("[missing"), "{}", queue.body);
    let id = customer.to_string();
    let mut form = vec![
        ("customer_id", id.as_str()),
        ("channel", "in_store"),
        ("ticket_type", "complaint"),
        ("category", "weather"),
        ("severity", "high"),
        ("subject", "瓷砖有色差"),
        ("description", "客户说同一批瓷砖颜色不一致"),
    ];
    let r = c.post("/console/service/tickets", &form).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("问题类别：请选择问题类别"), "{}", r.body);
    form[3] = ("category", "product_quality");
    let r = c.post("/console/service/tickets", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page_url = r.location.split('?').next().expect("path").to_string();
    let page = c.get(&page_url).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("瓷砖有色差") && page.body.contains("客户说同一批瓷砖颜色不一致"));
    assert!(
        page.body.contains("新建") && !page.body.contains("[missing"),
        "{}",
        page.body
    );
    let act = format!("{page_url}/act");
    let r = c
        .post(
            &act,
            &[("action", "acknowledge"), ("note", "已联系客户上门查看")],
        )
        .await;
    assert_eq!(r.status, 303);
    let r = c
        .post(
            &format!("{page_url}/resolve"),
            &[
                ("root_cause", ""),
                ("corrective_action", "x"),
                ("compensation", "none"),
            ],
        )
        .await;
    assert!(
        r.body.contains("解决工单需要选择根本原因"),
        "named, not saved"
    );
    let r = c
        .post(
            &format!("{page_url}/resolve"),
            &[
                ("root_cause", "product_defect"),
                ("corrective_action", "整批更换并反馈厂家"),
                ("compensation", "replacement"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let r = c.post(&act, &[("action", "close"), ("note", "")]).await;
    assert_eq!(r.status, 303);
    let page = c.get(&page_url).await;
    assert!(page.body.contains("已关闭"));
    assert!(
        page.body.contains("产品缺陷；整批更换并反馈厂家；换货"),
        "{}",
        page.body
    );
    assert!(page.body.contains("已联系客户上门查看"));
    s.shutdown().await;
}
both!(the_desk_in_the_console);

async fn tickets_over_the_api(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let customer = crate::messages::customer(app, s1, "13700137003", "", &[]).await;
    let token = crate::harness::token_for(app, "owner").await;
    let body = serde_json::json!({
        "customer_id": customer, "ticket_type": "complaint", "category": "installation",
        "severity": "critical", "subject": "地板起拱", "description": "安装三天后地板起拱"
    });
    let post = |key: &'static str, body: serde_json::Value| {
        let (base, token) = (s.base.clone(), token.clone());
        async move {
            let res = reqwest::Client::new()
                .post(format!("{base}/api/v1/tickets"))
                .header("authorization", format!("Bearer {token}"))
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .expect("send");
            let status = res.status().as_u16();
            (status, res.json::<serde_json::Value>().await.expect("json"))
        }
    };
    let (status, first) = post("t-1", body.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["status"], "new");
    assert_eq!(first["description"], "安装三天后地板起拱");
    // Critical: answer within one working hour (10:00 Monday: by 11:00).
    assert_eq!(
        first["response_due_at"].as_i64().expect("due") - first["created_at"].as_i64().expect("at"),
        3_600_000
    );
    let (status, again) = post("t-1", body.clone()).await;
    assert_eq!(
        (status, &again["id"]),
        (200, &first["id"]),
        "a retry files nothing new"
    );
    let mut bad = body.clone();
    bad["severity"] = "apocalyptic".into();
    let (status, problem) = post("t-2", bad).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("severity")),
        "{problem}"
    );

    let id = first["id"].as_i64().expect("id");
    let (status, moved, _) = crate::harness::api(
        &s.base,
        "POST",
        &format!("/api/v1/tickets/{id}/actions"),
        Some(&token),
        Some(serde_json::json!({"action": "close"})),
    )
    .await;
    assert_eq!(
        (status, moved["field"].as_str()),
        (422, Some("action")),
        "{moved}"
    );
    let (status, moved, _) = crate::harness::api(
        &s.base,
        "POST",
        &format!("/api/v1/tickets/{id}/actions"),
        Some(&token),
        Some(serde_json::json!({"action": "acknowledge", "note": "已回电"})),
    )
    .await;
    assert_eq!(
        (status, moved["status"].as_str()),
        (200, Some("acknowledged"))
    );
    let (status, got, _) = crate::harness::api(
        &s.base,
        "GET",
        &format!("/api/v1/tickets/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(got["responded_at"].is_i64());
    assert_eq!(got["timeline"].as_array().expect("timeline").len(), 2);
    let (status, _, _) =
        crate::harness::api(&s.base, "GET", "/api/v1/tickets/999999", Some(&token), None).await;
    assert_eq!(status, 404);
    s.shutdown().await;
}
both!(tickets_over_the_api);
