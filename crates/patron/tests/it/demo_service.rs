//! What `patron demo` seeds for the service desk: tickets in every status (two breached
//! and escalated, one compensation awaiting approval), a rated resolution and a survey with answers, orders at every stage,
//! visits done and booked, and warranties with reminders and a claim.

use patron_app::App;

pub(crate) async fn after_sales(app: &App) {
    // Tickets in every status, two of them past both deadlines and escalated.
    let tickets = app
        .tickets(
            patron_store::Scope::Chain,
            &patron_store::service::tickets::Queue::default(),
            100,
        )
        .await
        .expect("tickets");
    let mut statuses: Vec<&str> = tickets.iter().map(|t| t.status.code()).collect();
    statuses.sort_unstable();
    statuses.dedup();
    assert_eq!(
        statuses,
        vec![
            "acknowledged",
            "closed",
            "in_progress",
            "new",
            "resolved",
            "waiting_customer"
        ]
    );
    let breached = tickets
        .iter()
        .filter(|t| i64::from(t.breached_response) == 1 && i64::from(t.breached_resolution) == 1)
        .count();
    assert_eq!(breached, 2);
    // A refund above the approval threshold waits for the store manager.
    let waiting = app
        .compensation_requests(patron_store::Scope::Chain)
        .await
        .expect("requests");
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].value_fen, 68_000);
    // One resolution rated by its customer through the follow-up; a survey with answers.
    assert!(
        tickets
            .iter()
            .any(|t| t.status.code() == "closed" && t.satisfaction == Some(5))
    );
    let survey = app
        .surveys()
        .await
        .expect("surveys")
        .into_iter()
        .find(|v| v.row.name == "到店体验调查")
        .expect("demo survey");
    let (sent, answered) = app
        .db()
        .survey_counts(patron_store::Scope::Chain, survey.row.id)
        .await
        .expect("counts");
    assert_eq!((sent, answered), (25, 20));
    orders_and_warranties(app, &tickets).await;
}

/// The demo's orders at every stage, visits done last week and booked for the coming days,
/// and warranties with reminders and a claim (`tickets`: the demo's tickets).
async fn orders_and_warranties(app: &App, tickets: &[patron_store::service::tickets::TicketRow]) {
    let orders = app
        .orders(
            patron_store::Scope::Chain,
            &patron_store::service::orders::OrderFilter::default(),
            500,
        )
        .await
        .expect("orders");
    let mut stages: Vec<&str> = orders.iter().map(|o| o.status.code()).collect();
    stages.sort_unstable();
    stages.dedup();
    assert_eq!(
        stages,
        [
            "cancelled",
            "completed",
            "confirmed",
            "delivered",
            "installed",
            "out_for_delivery",
            "preparing"
        ]
    );
    let now = app.now();
    let visits = app
        .visits_between(
            patron_store::Scope::Chain,
            None,
            now - jiff::SignedDuration::from_hours(24 * 8),
            now + jiff::SignedDuration::from_hours(24 * 8),
        )
        .await
        .expect("visits");
    let done = visits.iter().filter(|v| v.status.code() == "done").count();
    let ahead = visits
        .iter()
        .filter(|v| {
            v.status.code() == "scheduled" && v.starts_at.as_millisecond() > now.as_millisecond()
        })
        .count();
    assert!(
        done >= 4 && ahead >= 3,
        "{done} visits done, {ahead} booked"
    );
    assert!(visits.iter().any(|v| v.reschedule_count == 1));
    let warranties = app
        .db()
        .find_warranties(patron_store::Scope::Chain, None, None, 500)
        .await
        .expect("warranties");
    assert_eq!(warranties.len(), 10);
    let reminded: Vec<_> = warranties
        .iter()
        .filter(|w| w.notice_sent_at.is_some())
        .collect();
    assert!(
        reminded.len() >= 2 && reminded.iter().all(|w| w.starts_on < w.ends_on),
        "{} reminded",
        reminded.len()
    );
    assert!(tickets.iter().any(|t| t.subject.starts_with("保修申请")));
}
