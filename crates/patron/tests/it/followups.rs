//! The follow-up engine on both backends: cadence tasks per spend class (once per customer,
//! brought forward when a customer moves up), a call after a purchase and before points run
//! out, each owner's list (unowned customers fall to the store manager), logging a contact
//! from the console (task closed, contact on the timeline, next task scheduled; a form sent
//! twice changes nothing), and adherence.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store};
use crate::points::customer;
use jiff::SignedDuration;
use patron_domain::Actor;
use patron_domain::care::followup::{FollowupRules, day_number};
use patron_store::Scope;
use patron_store::care::followups::Assignee;
use patron_store::membership::points::{EntryKind, EntryNote, NewLot};

async fn follow_ups_are_planned_listed_logged_and_measured(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let associate = staff(app, "assoc.f", "sales_associate", Some(s1)).await;
    let _manager = staff(app, "manager.f", "store_manager", Some(s1)).await;
    let bought = customer(app, s1, "13400000001").await;
    let quiet = customer(app, s1, "13400000002").await;
    let unowned = customer(app, s1, "13400000003").await;
    app.assign_owner(
        &Actor::cli("test"),
        Scope::Chain,
        &[bought, quiet],
        Some(associate),
        "分配",
    )
    .await
    .expect("owner");
    // The harness's today is 2026-11-23 (Shanghai); the purchase was three days before.
    let csv = "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n\
         R1,2026-11-20 15:00,S1,13400000001,X,地板,floor,1,3000\n";
    let report = app
        .import_sales(csv.as_bytes(), false, &|_| {})
        .await
        .expect("sale");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    app.reclassify(app.now()).await.expect("classes");
    let lot = NewLot {
        points: 500,
        usable_from: app.now(),
        expires_at: Some(app.now() + SignedDuration::from_hours(24 * 10)),
    };
    let note = EntryNote {
        reason: "test".into(),
        reference: String::new(),
        actor_name: "test".into(),
    };
    app.db()
        .earn_points(quiet, &lot, EntryKind::Adjust, &note, app.now())
        .await
        .expect("points");
    // Small customers every day, key customers every 7 days, so the first plan is due now.
    let rules = FollowupRules {
        small_days: 1,
        ..Default::default()
    };
    app.save_followup_rules(&Actor::cli("test"), &rules)
        .await
        .expect("rules");

    let plan = app.plan_followups(app.now()).await.expect("plan");
    assert_eq!(plan.cadence, 3, "{plan}");
    assert_eq!(plan.after_purchase, 1, "{plan}");
    assert_eq!(plan.expiry, 1, "{plan}");
    let (a, b) = tokio::join!(app.plan_followups(app.now()), app.plan_followups(app.now()));
    let (a, b) = (a.expect("a"), b.expect("b"));
    assert_eq!(
        a.cadence + a.after_purchase + a.expiry + b.cadence + b.after_purchase + b.expiry,
        0,
        "planned once however often it runs"
    );

    let today = day_number(app.config().timezone().to_datetime(app.now()).date());
    let open = |who| {
        let db = app.db().clone();
        async move {
            db.open_followups(Scope::Chain, who, today + 30, 100)
                .await
                .expect("list")
        }
    };
    let all = open(Assignee::All).await;
    // The only buyer is the key customer; the two others are small (due today, every day).
    let key_task = all
        .iter()
        .find(|t| t.customer_id == bought && t.kind.as_str() == "cadence")
        .expect("key cadence");
    assert!(key_task.due_day >= today && key_task.due_day < today + 7);
    assert_eq!(key_task.spend_class.as_deref(), Some("key"));
    assert!(all.iter().any(|t| t.customer_id == bought
        && t.kind.as_str() == "after_purchase"
        && t.reason == "R1"));
    assert!(
        all.iter()
            .any(|t| t.customer_id == quiet && t.kind.as_str() == "expiry")
    );
    // A key customer demoted to small is brought forward to the small cadence.
    sqlx::query("UPDATE customer_classes SET spend_store = 'small' WHERE customer_id = $1")
        .bind(bought)
        .execute(app.db().pool())
        .await
        .expect("demote");
    app.plan_followups(app.now()).await.expect("replan");
    let moved = open(Assignee::All).await;
    let moved = moved
        .iter()
        .find(|t| t.customer_id == bought && t.kind.as_str() == "cadence")
        .expect("cadence");
    assert_eq!(moved.due_day, today + 1);

    // Lists: the associate's customers; the manager also gets the unowned one.
    let mine = open(Assignee::Staff {
        staff_id: associate,
        unowned: false,
    })
    .await;
    assert!(mine.iter().all(|t| t.customer_id != unowned));
    assert_eq!(mine.len(), 4, "two cadence, after purchase, expiry");
    let c = Client::new(&s.base);
    c.login("manager.f", PASSWORD).await;
    let page = c.get("/console/followups").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&format!("/console/customers/{unowned}")));
    assert!(
        !page
            .body
            .contains(&format!("/console/customers/{bought}\""))
    );
    let team = c.get("/console/followups?team=1").await;
    assert!(team.body.contains(&format!("/console/customers/{bought}")));

    // The associate logs a call on the quiet customer's cadence task.
    let a = Client::new(&s.base);
    a.login("assoc.f", PASSWORD).await;
    let home = a.get("/console").await;
    assert!(home.body.contains("home-followups"));
    let page = a.get("/console/followups").await;
    assert!(page.body.contains("积分"), "the expiry task says why");
    let task = mine
        .iter()
        .find(|t| t.customer_id == quiet && t.kind.as_str() == "cadence")
        .expect("task")
        .id;
    let path = format!("/console/followups/{task}/log");
    let bad = a
        .post(&path, &[("channel", "call"), ("outcome", "maybe")])
        .await;
    assert_eq!(bad.status, 200);
    assert!(bad.body.contains("请选择回访结果"));
    let form = [
        ("channel", "call"),
        ("outcome", "reached"),
        ("note", "客户说地板很好"),
        ("next", ""),
    ];
    assert_eq!(a.post(&path, &form).await.status, 303);
    assert_eq!(a.post(&path, &form).await.status, 303, "sent twice");
    let after = open(Assignee::All).await;
    let next: Vec<_> = after
        .iter()
        .filter(|t| t.customer_id == quiet && t.kind.as_str() == "cadence")
        .collect();
    assert_eq!(
        next.len(),
        1,
        "one next task, however often the form is sent"
    );
    assert_eq!(next[0].due_day, today + 1, "the small cadence");
    let timeline = app.db().timeline(quiet, 10).await.expect("timeline");
    assert_eq!(
        timeline
            .iter()
            .filter(|e| format!("{e:?}").contains("reached"))
            .count(),
        1
    );
    // Not reached: tried again tomorrow; a date given wins.
    let expiry = mine
        .iter()
        .find(|t| t.customer_id == quiet && t.kind.as_str() == "expiry")
        .expect("expiry")
        .id;
    let when = app
        .config()
        .timezone()
        .to_datetime(app.now() + SignedDuration::from_hours(24 * 5))
        .date()
        .to_string();
    let form = [
        ("channel", "call"),
        ("outcome", "no_answer"),
        ("next", when.as_str()),
    ];
    assert_eq!(
        a.post(&format!("/console/followups/{expiry}/log"), &form)
            .await
            .status,
        303
    );
    let after = open(Assignee::All).await;
    let cadence = after
        .iter()
        .find(|t| t.customer_id == quiet && t.kind.as_str() == "cadence")
        .expect("cadence");
    assert_eq!(cadence.due_day, today + 5);

    // Two days later: the quiet customer's tasks were done on time; the unowned customer's
    // was not.
    s.clock.advance(SignedDuration::from_hours(48));
    let rows = app
        .db()
        .followup_adherence(Scope::Store(s1), today - 30, today + 1)
        .await
        .expect("adherence");
    let of = |staff: Option<i64>| rows.iter().find(|r| r.staff_id == staff).cloned();
    let assoc_row = of(Some(associate)).expect("associate row");
    // Done on time: the quiet customer's two; not done: the buyer's call after the
    // purchase (due two days ago) and cadence call (due yesterday).
    assert_eq!(
        (
            assoc_row.due,
            assoc_row.on_time,
            assoc_row.late,
            assoc_row.missed
        ),
        (4, 2, 0, 2),
        "{rows:?}"
    );
    let unowned_row = of(None).expect("unowned row");
    assert_eq!((unowned_row.due, unowned_row.missed), (1, 1), "{rows:?}");
    // Two days on, the session has lapsed: sign in again.
    c.login("manager.f", PASSWORD).await;
    let page = c.get("/console/followups?team=1").await;
    assert!(page.body.contains("id=\"adherence\""));
    assert!(
        page.body.contains("50%"),
        "the associate's on-time rate: 2 of 4"
    );
    s.shutdown().await;
}
both!(follow_ups_are_planned_listed_logged_and_measured);
