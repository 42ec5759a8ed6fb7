//! Daily limits per member of staff, over all their requests of the store's day: points
//! given by adjustment (past it, requests wait for approval), coupon face value issued (past
//! it, refused, naming the limit) and compensation on tickets (past it, approval), counted
//! atomically under parallel requests. Creating coupon templates and playbooks is audited.
//! On both backends.

use crate::both;
use crate::harness::{Kind, audit, staff, start, store};
use crate::points::customer;
use patron_app::care::churn::PlaybookForm;
use patron_app::membership::coupons::TemplateInput;
use patron_app::service::tickets::{Compensation, Resolution, Resolved, TicketForm};
use patron_domain::Actor;
use patron_store::Scope;

async fn split_requests_count_on_a_daily_total(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let admin = Actor::cli("test");
    let s1 = store(app, "S1").await;
    let member = customer(app, s1, "13700137801").await;
    let clerk = staff(app, "day.clerk", "store_manager", Some(s1)).await;
    let clerk = crate::transfer::principal(app, clerk).await.actor(None);
    let mut l = app.loyalty().await.expect("loyalty").settings.clone();
    l.daily_points_per_staff = 3_000;
    l.daily_coupon_fen_per_staff = 1_000;
    app.save_loyalty(&admin, l).await.expect("save");

    // Three requests of 999, each under the per-request threshold, fit in the day; the
    // fourth would pass 3,000 and waits for a second person.
    for _ in 0..3 {
        let a = app
            .adjust_points(&clerk, Scope::Chain, &[member], 999, "拆分补偿")
            .await
            .expect("adjust");
        assert!(a.applied);
    }
    let fourth = app
        .adjust_points(&clerk, Scope::Chain, &[member], 999, "拆分补偿")
        .await
        .expect("adjust");
    assert!(!fourth.applied, "past the daily total it waits");
    assert_eq!(
        app.db().points_balance(member).await.expect("balance"),
        2_997
    );
    // Taking points back gives nothing and is not counted.
    let back = app
        .adjust_points(&clerk, Scope::Chain, &[member], -10, "更正")
        .await
        .expect("adjust");
    assert!(back.applied);

    // Parallel requests of another clerk cannot pass the total together.
    let other = staff(app, "day.other", "store_manager", Some(s1)).await;
    let other = crate::transfer::principal(app, other).await.actor(None);
    let runs = (0..8).map(|_| {
        let (app, other) = (app.clone(), other.clone());
        tokio::spawn(async move {
            app.adjust_points(&other, Scope::Chain, &[member], 999, "并发补偿")
                .await
                .expect("adjust")
                .applied
        })
    });
    let mut applied = 0;
    for r in runs.collect::<Vec<_>>() {
        applied += usize::from(r.await.expect("join"));
    }
    assert_eq!(applied, 3, "3 × 999 fit in 3,000, whatever the order");

    // The store's next day starts a new total.
    s.clock.advance(jiff::SignedDuration::from_hours(24));
    let next = app
        .adjust_points(&clerk, Scope::Chain, &[member], 999, "次日补偿")
        .await
        .expect("adjust");
    assert!(next.applied);

    // Coupons: ¥5 twice fits in ¥10 a day; a third issue is refused, naming the limit.
    let template = app
        .create_coupon_template(
            &clerk,
            patron_store::Scope::Chain,
            &TemplateInput {
                name: "五元券".into(),
                amount_fen: Some(500),
                valid_days: 30,
                ..Default::default()
            },
        )
        .await
        .expect("template");
    for _ in 0..2 {
        app.issue_coupons(&clerk, Scope::Chain, template, &[member], "回馈")
            .await
            .expect("within the day");
    }
    let refused = app
        .issue_coupons(&clerk, Scope::Chain, template, &[member], "回馈")
        .await
        .expect_err("past the day's face value");
    let errors = refused.field_errors();
    assert_eq!(
        (errors[0].field, errors[0].key),
        ("customers", "error.coupon.daily_limit")
    );
    assert_eq!(
        app.db()
            .usable_coupons(member, app.now())
            .await
            .expect("coupons")
            .len(),
        2
    );

    // Creating templates and playbooks leaves audit rows.
    app.create_playbook(
        &clerk,
        patron_store::Scope::Chain,
        &PlaybookForm {
            name: "回访".into(),
            min_score: 50,
            make_task: true,
            control_percent: 10,
            cooldown_days: 30,
            ..Default::default()
        },
    )
    .await
    .expect("playbook");
    assert_eq!(audit(app, "coupon.template_create", "ok").await.len(), 1);
    assert_eq!(audit(app, "churn.playbook_create", "ok").await.len(), 1);
}
both!(split_requests_count_on_a_daily_total);

async fn compensation_past_the_daily_total_waits(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let desk = staff(app, "day.desk", "after_sales", Some(s1)).await;
    let desk = crate::transfer::principal(app, desk).await.actor(None);
    let customer = customer(app, s1, "13700137802").await;
    let mut rules = app.service_rules().await.expect("rules");
    rules.daily_approval_above_fen = 3_000;
    app.save_service_rules(&Actor::cli("test"), &rules)
        .await
        .expect("save");
    let resolve = |subject: &'static str| {
        let (app, desk) = (app.clone(), desk.clone());
        async move {
            let form = TicketForm {
                customer_id: customer,
                channel: "phone".into(),
                ticket_type: "complaint".into(),
                category: "product_quality".into(),
                severity: "high".into(),
                subject: subject.into(),
                description: "地板起翘".into(),
                ..Default::default()
            };
            let (id, _) = app
                .file_ticket(&desk, Scope::Chain, &form, None)
                .await
                .expect("file");
            let r = Resolution {
                root_cause: "product_defect".into(),
                corrective_action: "更换".into(),
                compensation: Compensation::Replacement { value_fen: 2_000 },
            };
            app.resolve_ticket(&desk, Scope::Chain, id, &r, "")
                .await
                .expect("resolve")
        }
    };
    // ¥20 is under the per-request ¥200; a second ¥20 the same day passes ¥30 and waits.
    assert!(matches!(resolve("第一单").await, Resolved::Done(_)));
    assert!(matches!(
        resolve("第二单").await,
        Resolved::AwaitingApproval(..)
    ));
}
both!(compensation_past_the_daily_total_waits);
