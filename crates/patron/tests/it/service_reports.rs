//! The service report on both backends: counts by category and handler, the Pareto of root
//! causes, SLA compliance, times in working hours (median, P90), the reopen rate and
//! satisfaction after resolution, on the console page and in the xlsx download.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store};
use calamine::Reader;
use jiff::SignedDuration;
use patron_app::service::tickets::{Compensation, Resolution, TicketForm};
use patron_domain::service::ticket::Action;
use patron_store::Scope;

async fn the_service_report_adds_up(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let a1 = staff(app, "after.one", "after_sales", Some(s1)).await;
    let actor = crate::transfer::principal(app, a1).await.actor(None);
    let customer = crate::messages::customer(app, s1, "13700137009", "", &[]).await;
    let file = |category: &'static str| TicketForm {
        customer_id: customer,
        channel: "phone".into(),
        ticket_type: "complaint".into(),
        category: category.into(),
        severity: "normal".into(),
        subject: "报表测试".into(),
        description: "报表测试".into(),
        assignee_id: Some(a1),
        ..Default::default()
    };
    let mut ids = Vec::new();
    for c in ["logistics", "logistics", "installation"] {
        ids.push(
            app.file_ticket(&actor, Scope::Chain, &file(c), None)
                .await
                .expect("file")
                .0,
        );
    }
    // Answered after 30, 60 and 90 minutes of the working day (10:00 on a Monday).
    for id in &ids {
        s.clock.advance(SignedDuration::from_mins(30));
        app.act_on_ticket(&actor, Scope::Chain, *id, Action::Acknowledge, "")
            .await
            .expect("ack");
    }
    let resolve = |cause: &'static str| Resolution {
        root_cause: cause.into(),
        corrective_action: "处理".into(),
        compensation: Compensation::None,
    };
    for (id, cause) in [(ids[0], "late_delivery"), (ids[1], "late_delivery")] {
        app.resolve_ticket(&actor, Scope::Chain, id, &resolve(cause), "")
            .await
            .expect("resolve");
    }
    // One is rated 2 (reopened) and resolved again with another cause.
    let link = app
        .renew_ticket_survey_link(Scope::Chain, ids[0])
        .await
        .expect("link");
    let token = link.rsplit('/').next().expect("token").to_string();
    app.answer_survey(&token, |i| if i == 0 { vec!["2"] } else { vec![] })
        .await
        .expect("answer");
    app.resolve_ticket(&actor, Scope::Chain, ids[0], &resolve("wrong_item"), "")
        .await
        .expect("again");

    let today = app.config().timezone().to_datetime(app.now()).date();
    let r = app
        .service_report(Scope::Chain, today, today)
        .await
        .expect("report");
    assert_eq!(r.total, 3);
    assert_eq!(r.by_category[0], ("logistics".to_string(), 2));
    assert_eq!(r.by_staff, vec![(Some(a1), 3)]);
    let pareto: Vec<(&str, i64)> = r
        .pareto
        .iter()
        .map(|p| (p.cause.as_str(), p.count))
        .collect();
    assert_eq!(pareto, [("late_delivery", 1), ("wrong_item", 1)]);
    assert!((r.pareto[1].cumulative - 100.0).abs() < 1e-9);
    assert_eq!(
        (r.response.median, r.response.p90),
        (Some(60), Some(90)),
        "working minutes to the first response"
    );
    assert_eq!(r.response_on_time, Some(100.0));
    assert_eq!(
        r.reopen_rate,
        Some(50.0),
        "one of the two resolved was reopened"
    );
    assert_eq!((r.rated, r.satisfaction_average), (1, Some(2.0)));
    let earlier = today - jiff::Span::new().days(1);
    let none = app
        .service_report(Scope::Chain, earlier, earlier)
        .await
        .expect("report");
    assert_eq!(none.total, 0, "the period bounds the tickets");

    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;
    let page = c.get("/console/service/reports").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"total\">3<"), "{}", page.body);
    assert!(page.body.contains("id=\"reopen-rate\">50.0%<"));
    assert!(page.body.contains("发错货"), "root causes are named");
    let bad = c.get("/console/service/reports?from=2026-13-01").await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let res = reqwest::Client::new()
        .get(format!(
            "{}/console/service/reports.xlsx?from={today}&to={today}",
            s.base
        ))
        .header("cookie", c.cookie_header())
        .send()
        .await
        .expect("xlsx");
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.expect("body").to_vec();
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("xlsx");
    let names = book.sheet_names();
    assert_eq!(names[0], "概览");
    let pareto = book.worksheet_range("根因帕累托").expect("sheet");
    assert_eq!(
        pareto.get_value((1, 0)).map(|v| v.to_string()),
        Some("配送延误".into())
    );
    let summary = book.worksheet_range("概览").expect("sheet");
    assert_eq!(
        summary.get_value((1, 1)).map(|v| v.to_string()),
        Some("3".into())
    );
    s.shutdown().await;
}
both!(the_service_report_adds_up);
