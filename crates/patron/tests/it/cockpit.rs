//! The cockpit's reminders on both backends: points and member cards that run out in the next
//! 30 days, counted for the members of the viewer's store (or the whole chain); open and late
//! tickets counted as the queue lists them; an associate's own customers with a birthday in
//! the next seven days, soonest first, with the read audited; and the home page showing them.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store};
use crate::notices::{member, points_expiring};
use jiff::SignedDuration;
use patron_app::service::tickets::TicketForm;
use patron_domain::Actor;
use patron_store::Scope;
use patron_store::service::tickets::Queue;

async fn the_cockpit_counts_what_runs_out_and_whose_birthday_is_near(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let s2 = store(app, "S2").await;
    let associate = staff(app, "assoc.k", "sales_associate", Some(s1)).await;
    let manager = staff(app, "manager.k", "store_manager", Some(s1)).await;
    let admin = staff(app, "owner.k", "admin", None).await;
    let mut programme = app.loyalty().await.expect("programme").settings.clone();
    programme.card_valid_months = 1;
    app.save_loyalty(&Actor::cli("test"), programme)
        .await
        .expect("save");

    // The harness's today is 2026-11-23 in Shanghai; the cockpit is read five days later.
    let soon = member(app, s1, "13100141001", "", "1990-11-30").await;
    let today = member(app, s1, "13100141002", "", "1988-11-28").await;
    let later = member(app, s1, "13100141003", "", "1985-12-10").await;
    let other = member(app, s2, "13100141004", "", "1990-11-29").await;
    app.assign_owner(
        &Actor::cli("test"),
        Scope::Chain,
        &[soon, today, later],
        Some(associate),
        "分配",
    )
    .await
    .expect("owner");
    points_expiring(app, soon, 300, 10).await;
    points_expiring(app, soon, 50, 20).await;
    points_expiring(app, later, 40, 45).await;
    points_expiring(app, other, 200, 8).await;
    let mut cards = Vec::new();
    for c in [soon, other] {
        cards.push(
            app.issue_card(&Actor::cli("test"), Scope::Chain, c)
                .await
                .expect("card"),
        );
    }
    let actor = crate::transfer::principal(app, manager).await.actor(None);
    for subject in ["坏了", "迟到"] {
        let form = TicketForm {
            customer_id: soon,
            channel: "phone".into(),
            ticket_type: "complaint".into(),
            category: "logistics".into(),
            severity: "normal".into(),
            subject: subject.into(),
            description: subject.into(),
            ..Default::default()
        };
        app.file_ticket(&actor, Scope::Chain, &form, None)
            .await
            .expect("ticket");
    }
    s.clock.advance(SignedDuration::from_hours(24 * 5));
    let now = app.now();
    let window = now + SignedDuration::from_hours(24 * 30);

    // Store manager of S1: S1's members only.
    let m = app
        .cockpit(&crate::transfer::principal(app, manager).await)
        .await
        .expect("cockpit");
    let e = m.expiring.expect("the manager sees what runs out");
    assert_eq!(
        (e.members, e.points),
        (1, 350),
        "soon's two lots; later's is 45 days out"
    );
    // Cards of these members whose validity ends in (now, now + 30 days].
    let cards_due = |members: &[i64]| {
        cards
            .iter()
            .filter(|c| members.contains(&c.customer_id))
            .filter(|c| c.valid_until.is_some_and(|v| v > now && v <= window))
            .count() as i64
    };
    assert_eq!(e.cards, cards_due(&[soon, today, later]));
    assert_eq!(e.cards, 1, "a one-month card issued five days ago");
    // Tickets: as many as the queue lists, open and past a deadline.
    let queue = Queue {
        assignee: None,
        customer: None,
        open_only: true,
        due_before: None,
    };
    let open = app
        .db()
        .tickets(Scope::Store(s1), &queue, 100)
        .await
        .expect("queue");
    let late = app
        .db()
        .tickets(
            Scope::Store(s1),
            &Queue {
                due_before: Some(now),
                ..queue
            },
            100,
        )
        .await
        .expect("late");
    assert_eq!(m.tickets, Some((open.len() as i64, late.len() as i64)));
    assert_eq!(m.tickets, Some((2, 2)), "five days without an answer");
    assert!(m.birthdays.is_empty(), "birthdays are the associate's");

    // The chain: both stores.
    let c = app
        .cockpit(&crate::transfer::principal(app, admin).await)
        .await
        .expect("cockpit");
    let e = c.expiring.expect("the chain sees what runs out");
    assert_eq!(
        (e.members, e.points, e.cards),
        (2, 550, cards_due(&[soon, today, later, other]))
    );
    assert_eq!(e.cards, 2);

    // The associate: their own customers' birthdays this week, soonest first.
    let a = app
        .cockpit(&crate::transfer::principal(app, associate).await)
        .await
        .expect("cockpit");
    let shown: Vec<(i64, String)> = a
        .birthdays
        .iter()
        .map(|b| (b.customer_id, b.on.to_string()))
        .collect();
    assert_eq!(
        shown,
        vec![(today, "2026-11-28".into()), (soon, "2026-11-30".into())]
    );
    assert!(a.expiring.is_none(), "an associate reads no reports");
    let audited: Vec<(String,)> = sqlx::query_as(
        "SELECT detail FROM audit_log WHERE action = 'customer.birthdays' ORDER BY seq",
    )
    .fetch_all(app.db().pool())
    .await
    .expect("audit");
    assert_eq!(audited, vec![(format!("customers={today},{soon}"),)]);

    // The pages show the same.
    let web = Client::new(&s.base);
    web.login("manager.k", PASSWORD).await;
    let home = web.get("/console").await;
    assert!(home.body.contains("home-expiring"), "{}", home.body);
    assert!(home.body.contains("<strong>350</strong>"), "{}", home.body);
    let web = Client::new(&s.base);
    web.login("assoc.k", PASSWORD).await;
    let home = web.get("/console").await;
    assert!(home.body.contains("home-birthdays"), "{}", home.body);
    assert!(home.body.contains(&format!("/console/customers/{today}\"")));
    assert!(home.body.contains("2026-11-30"));
    assert!(!home.body.contains(&format!("/console/customers/{later}\"")));
}
both!(the_cockpit_counts_what_runs_out_and_whose_birthday_is_near);
