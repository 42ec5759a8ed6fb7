//! Texts the app writes reach each reader in their language: a ledger reason, a follow-up's
//! reason and a ticket's timeline note are kept as catalog keys and shown in the console's
//! language (English to one reader, Chinese to another, from the same row), and mail to
//! staff goes out in `server.language`.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store};
use jiff::SignedDuration;
use patron_app::service::tickets::{Compensation, Resolution, TicketForm};
use patron_store::Scope;

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

async fn an_english_reader_reads_english(kind: Kind) {
    let Some(s) = start(kind, |c| c.server.language = "en".into()).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let desk = staff(app, "lang.desk", "after_sales", Some(s1)).await;
    staff(app, "lang.manager", "store_manager", Some(s1)).await;
    let customer = crate::messages::customer(app, s1, "13700137611", "", &[]).await;
    let asker = crate::transfer::principal(app, desk).await.actor(None);
    let mut rules = app.service_rules().await.expect("rules");
    rules.approval_above_fen = 10_000;
    let admin = patron_domain::Actor::cli("test");
    app.save_service_rules(&admin, &rules).await.expect("save");

    // Points under the threshold go at once: a ledger entry whose reason names the ticket.
    let (small, _) = app
        .file_ticket(&asker, Scope::Chain, &complaint(customer, "小问题"), None)
        .await
        .expect("file");
    app.resolve_ticket(
        &asker,
        Scope::Chain,
        small,
        &resolution(Compensation::Points {
            points: 500,
            applied: false,
        }),
        "",
    )
    .await
    .expect("resolve");

    // A refund above it asks the store manager, in the configured language.
    let (big, _) = app
        .file_ticket(&asker, Scope::Chain, &complaint(customer, "整批退货"), None)
        .await
        .expect("file");
    app.resolve_ticket(
        &asker,
        Scope::Chain,
        big,
        &resolution(Compensation::Refund { amount_fen: 30_000 }),
        "",
    )
    .await
    .expect("ask");
    let outbox = app.outbox_letters("", 100).await.expect("outbox");
    let asked = outbox
        .iter()
        .find(|m| m.recipient == "lang.manager@shop.example.cn")
        .expect("approval mail");
    assert_eq!(
        asked.subject,
        format!("Compensation for ticket #{big} awaits approval")
    );
    assert!(
        asked.body.contains("Please approve it at the service desk"),
        "{}",
        asked.body
    );

    // Three days after the resolution a follow-up call is planned, with its reason.
    s.clock
        .advance(SignedDuration::from_hours(24 * 3) + SignedDuration::from_mins(60));
    let planned = app.plan_followups(app.now()).await.expect("plan");
    assert_eq!(planned.after_complaint, 1);

    let english = Client::new(&s.base);
    english.set_cookie("lang", "en");
    english.login("owner", PASSWORD).await;
    let chinese = Client::new(&s.base);
    chinese.login("owner", PASSWORD).await;

    // The compensation is a line of the points ledger, on the points tab.
    let profile = format!("/console/customers/{customer}?tab=points");
    let page = english.get(&profile).await;
    assert!(
        page.body
            .contains(&format!("Complaint compensation #{small}")),
        "{}",
        page.body
    );
    let page = chinese.get(&profile).await;
    assert!(
        page.body.contains(&format!("投诉补偿 #{small}")),
        "{}",
        page.body
    );

    let page = english.get("/console/followups?team=1").await;
    assert!(
        page.body
            .contains(&format!("Follow-up after complaint #{small} was resolved")),
        "{}",
        page.body
    );
    let page = chinese.get("/console/followups?team=1").await;
    assert!(
        page.body.contains(&format!("投诉 #{small} 解决后回访")),
        "{}",
        page.body
    );

    // A week after the survey went unanswered the ticket closes with a note of the app's.
    s.clock.advance(SignedDuration::from_hours(24 * 5));
    let r = app.run_surveys(app.now()).await.expect("surveys");
    assert_eq!(r.closed_unanswered, 1);
    // Five idle days ended the sessions.
    english.login("owner", PASSWORD).await;
    chinese.login("owner", PASSWORD).await;
    let ticket = format!("/console/service/tickets/{small}");
    let page = english.get(&ticket).await;
    assert!(
        page.body
            .contains("The customer did not answer the satisfaction survey in time"),
        "{}",
        page.body
    );
    let page = chinese.get(&ticket).await;
    assert!(
        page.body.contains("客户未在期限内回复满意度回访"),
        "{}",
        page.body
    );
    s.shutdown().await;
}
both!(an_english_reader_reads_english);
