//! Compensation above the service desk's threshold waits for a second person holding
//! `ticket.approve`: the ticket stays open and nothing is given until then; the person who
//! asked cannot approve; approving gives the compensation through the real ledger and
//! resolves the ticket as asked (once, however often it is retried); rejecting leaves the
//! ticket open for another resolution. The same over the API, on both backends.

use crate::both;
use crate::harness::{Kind, api, staff, start, store};
use patron_app::service::resolution::Closing;
use patron_app::service::tickets::{Compensation, Resolution, Resolved, TicketForm};
use patron_domain::service::ticket::Status;
use patron_store::Scope;
use serde_json::json;

fn complaint(customer: i64, subject: &str) -> TicketForm {
    TicketForm {
        customer_id: customer,
        channel: "phone".into(),
        ticket_type: "complaint".into(),
        category: "product_quality".into(),
        severity: "high".into(),
        subject: subject.into(),
        description: "地板起翘".into(),
        ..Default::default()
    }
}

fn resolution(compensation: Compensation) -> Resolution {
    Resolution {
        root_cause: "product_defect".into(),
        corrective_action: "更换批次".into(),
        compensation,
    }
}

async fn large_compensation_waits_for_a_second_person(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let desk = staff(app, "appr.desk", "after_sales", Some(s1)).await;
    let manager = staff(app, "appr.manager", "store_manager", Some(s1)).await;
    let customer = crate::messages::customer(app, s1, "13700137601", "", &[]).await;
    let asker = crate::transfer::principal(app, desk).await.actor(None);
    let approver = crate::transfer::principal(app, manager).await.actor(None);
    let mut rules = app.service_rules().await.expect("rules");
    rules.approval_above_fen = 10_000;
    let admin = patron_domain::Actor::cli("test");
    app.save_service_rules(&admin, &rules).await.expect("save");

    // 2,000 points at the default 100 points per yuan are worth ¥20: under ¥100, at once.
    let (small, _) = app
        .file_ticket(&asker, Scope::Chain, &complaint(customer, "小问题"), None)
        .await
        .expect("file");
    let done = app
        .resolve_ticket(
            &asker,
            Scope::Chain,
            small,
            &resolution(Compensation::Points {
                points: 2_000,
                applied: false,
            }),
            "",
        )
        .await
        .expect("resolve");
    assert_eq!(done, Resolved::Done(Status::Resolved));

    // A ¥300 refund is above ¥100: it waits, and the ticket does not move.
    let (big, _) = app
        .file_ticket(&asker, Scope::Chain, &complaint(customer, "整批退货"), None)
        .await
        .expect("file");
    app.act_on_ticket(
        &asker,
        Scope::Chain,
        big,
        patron_domain::service::ticket::Action::Acknowledge,
        "",
    )
    .await
    .expect("start");
    let refund = resolution(Compensation::Refund { amount_fen: 30_000 });
    let asked = app
        .resolve_ticket(&asker, Scope::Chain, big, &refund, "客户同意退款")
        .await
        .expect("ask");
    assert!(matches!(asked, Resolved::AwaitingApproval(..)), "{asked:?}");
    let row = app.db().ticket(Scope::Chain, big).await.expect("ticket");
    assert_eq!(row.status.code(), "acknowledged");
    assert!(row.root_cause.is_none(), "nothing recorded as resolved yet");
    // A second resolution while one waits is refused, not stacked.
    let again = app
        .resolve_ticket(&asker, Scope::Chain, big, &refund, "")
        .await
        .expect_err("one pending at a time");
    assert!(
        format!("{again:?}").contains("approval_pending"),
        "{again:?}"
    );
    // The asker cannot approve their own request.
    let own = app
        .approve_compensation(&asker, Scope::Chain, big)
        .await
        .expect_err("four eyes");
    assert_eq!(own.field_errors()[0].key, "error.ticket.own_request");
    // The request is on the approvers' list of the store.
    let waiting = app
        .compensation_requests(Scope::Store(s1))
        .await
        .expect("list");
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].value_fen, 30_000);
    assert_eq!(
        app.approve_compensation(&approver, Scope::Chain, big)
            .await
            .expect("approve"),
        Status::Resolved
    );
    let row = app.db().ticket(Scope::Chain, big).await.expect("ticket");
    assert_eq!(row.root_cause.as_deref(), Some("product_defect"));
    assert!(
        row.compensation
            .as_deref()
            .is_some_and(|c| c.contains("30000")),
        "{:?}",
        row.compensation
    );
    let view = app
        .view_ticket(&approver, Scope::Chain, big)
        .await
        .expect("view");
    let kinds: Vec<&str> = view.timeline.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"compensation_requested"), "{kinds:?}");
    let resolve = view
        .timeline
        .iter()
        .find(|e| e.kind == "resolve")
        .expect("resolved entry");
    assert_eq!(resolve.staff_id, Some(manager), "resolved by the approver");
    assert_eq!(resolve.note, "客户同意退款", "the asker's note is kept");
    // Approving twice finds nothing pending.
    let twice = app
        .approve_compensation(&approver, Scope::Chain, big)
        .await
        .expect_err("decided");
    assert!(format!("{twice:?}").contains("no_request"), "{twice:?}");

    // Points above the threshold: nothing given until approved, then given at once
    // (the points programme's own approval threshold does not ask a third person).
    let (third, _) = app
        .file_ticket(&asker, Scope::Chain, &complaint(customer, "安装损坏"), None)
        .await
        .expect("file");
    let before = app.db().points_balance(customer).await.expect("balance");
    let points = resolution(Compensation::Points {
        points: 50_000,
        applied: false,
    });
    app.resolve_ticket(&asker, Scope::Chain, third, &points, "")
        .await
        .expect("ask");
    assert_eq!(
        app.db().points_balance(customer).await.expect("balance"),
        before,
        "nothing given while waiting"
    );
    // Rejected with a reason: the ticket stays open and may be resolved otherwise.
    let blank = app
        .close_compensation(&approver, Scope::Chain, third, " ", Closing::Reject)
        .await
        .expect_err("a reason is needed");
    assert_eq!(blank.field_errors()[0].field, "reason");
    app.close_compensation(
        &approver,
        Scope::Chain,
        third,
        "金额过高，请改为维修",
        Closing::Reject,
    )
    .await
    .expect("reject");
    let row = app.db().ticket(Scope::Chain, third).await.expect("ticket");
    assert_ne!(row.status.code(), "resolved");
    let asked_again = app
        .resolve_ticket(&asker, Scope::Chain, third, &points, "")
        .await
        .expect("ask again");
    assert!(matches!(asked_again, Resolved::AwaitingApproval(..)));
    app.approve_compensation(&approver, Scope::Chain, third)
        .await
        .expect("approve");
    assert_eq!(
        app.db().points_balance(customer).await.expect("balance"),
        before + 50_000,
        "given once, applied"
    );
    let view = app
        .view_ticket(&approver, Scope::Chain, third)
        .await
        .expect("view");
    let rejected = view
        .timeline
        .iter()
        .find(|e| e.kind == "compensation_rejected")
        .expect("rejection on the timeline");
    assert_eq!(rejected.note, "金额过高，请改为维修");
}
both!(large_compensation_waits_for_a_second_person);

async fn approval_over_the_api(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let s2 = store(app, "S2").await;
    let desk = staff(app, "apiappr.desk", "after_sales", Some(s1)).await;
    let manager = staff(app, "apiappr.manager", "store_manager", Some(s1)).await;
    let other_manager = staff(app, "apiappr.s2", "store_manager", Some(s2)).await;
    let customer = crate::messages::customer(app, s1, "13700137602", "", &[]).await;
    let token = |id: i64| async move {
        app.create_api_token(None, id, "t", None)
            .await
            .expect("token")
            .secret
    };
    let (desk_t, manager_t, other_t) = (
        token(desk).await,
        token(manager).await,
        token(other_manager).await,
    );
    let asker = crate::transfer::principal(app, desk).await.actor(None);
    let (ticket, _) = app
        .file_ticket(&asker, Scope::Chain, &complaint(customer, "门板色差"), None)
        .await
        .expect("file");
    let path = |tail: &str| format!("/api/v1/tickets/{ticket}{tail}");
    let post = |tail: &str, token: &str, body: Option<serde_json::Value>| {
        let (base, url, token) = (s.base.clone(), path(tail), token.to_string());
        async move { api(&base, "POST", &url, Some(&token), body).await }
    };

    // Bad compensation names its field; a replacement worth ¥500 waits (default ¥200).
    let (status, body, _) = post(
        "/resolve",
        &desk_t,
        Some(
            json!({"root_cause": "product_defect", "corrective_action": "换货",
            "compensation": {"kind": "refund"}}),
        ),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "amount_fen", "{body}");
    let ask = json!({"root_cause": "product_defect", "corrective_action": "换货",
        "compensation": {"kind": "replacement", "value_fen": 50000}});
    let (status, body, _) = post("/resolve", &desk_t, Some(ask.clone())).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["awaiting_approval"], true);
    assert_eq!(body["status"], "new");
    // The desk, which cannot approve or reject, may withdraw its request (with a reason)
    // and ask again; a retried withdrawal finds nothing pending.
    let (status, body, _) = post(
        "/compensation/withdraw",
        &desk_t,
        Some(json!({"reason": ""})),
    )
    .await;
    assert_eq!(
        (status, body["field"].clone()),
        (422, json!("reason")),
        "{body}"
    );
    let withdraw = json!({"reason": "填错金额"});
    let (status, body, _) = post("/compensation/withdraw", &desk_t, Some(withdraw.clone())).await;
    assert_eq!(status, 204, "{body}");
    let (status, _, _) = post("/compensation/withdraw", &desk_t, Some(withdraw)).await;
    assert_eq!(status, 409);
    let view = app
        .view_ticket(&asker, Scope::Chain, ticket)
        .await
        .expect("view");
    assert!(
        view.timeline
            .iter()
            .any(|e| e.kind == "compensation_withdrawn" && e.note == "填错金额")
    );
    assert_eq!(
        view.row.status.code(),
        "new",
        "nothing resolved, nothing given"
    );
    let (status, body, _) = post("/resolve", &desk_t, Some(ask)).await;
    assert_eq!(status, 202, "asked again: {body}");
    // After-sales staff do not hold ticket.approve; another store's manager cannot see it.
    let (status, _, _) = post("/compensation/approve", &desk_t, None).await;
    assert_eq!(status, 403);
    let (status, _, _) = post("/compensation/approve", &other_t, None).await;
    assert_eq!(status, 404);
    let (status, body, _) = post("/compensation/approve", &manager_t, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "resolved");
    let (status, _, _) = post("/compensation/approve", &manager_t, None).await;
    assert_eq!(status, 409, "a retried approval finds nothing pending");
    let row = app.db().ticket(Scope::Chain, ticket).await.expect("ticket");
    assert!(
        row.compensation
            .as_deref()
            .is_some_and(|c| c.contains("replacement") && c.contains("50000")),
        "{:?}",
        row.compensation
    );
}
both!(approval_over_the_api);
