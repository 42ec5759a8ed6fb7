//! A resolution tried again after its first attempt gave the compensation and then lost
//! the ticket to someone else's change: the points and the coupon are not given twice; a
//! reopened ticket's second resolution is a new round and may compensate again.

use crate::both;
use crate::harness::{Kind, staff, start, store};
use patron_app::sales::coupons::TemplateInput;
use patron_app::service::tickets::{Compensation, Resolution, TicketForm};
use patron_domain::service::ticket::Action;
use patron_store::Scope;

async fn compensation_is_given_once_per_round(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let desk = staff(app, "comp.desk", "after_sales", Some(s1)).await;
    let customer = crate::messages::customer(app, s1, "13700137501", "", &[]).await;
    let actor = crate::transfer::principal(app, desk).await.actor(None);
    let form = TicketForm {
        customer_id: customer,
        channel: "phone".into(),
        ticket_type: "complaint".into(),
        category: "logistics".into(),
        severity: "high".into(),
        subject: "送货延误".into(),
        description: "晚到两天".into(),
        ..Default::default()
    };
    let (ticket, _) = app
        .file_ticket(&actor, Scope::Chain, &form, None)
        .await
        .expect("file");
    // The first attempt gave the points under the ticket's reason, then failed.
    app.adjust_points(
        &actor,
        Scope::Chain,
        &[customer],
        200,
        &format!("投诉补偿 #{ticket}"),
    )
    .await
    .expect("first attempt's points");
    let points = Resolution {
        root_cause: "late_delivery".into(),
        corrective_action: "增加车次".into(),
        compensation: Compensation::Points {
            points: 200,
            applied: false,
        },
    };
    app.resolve_ticket(&actor, Scope::Chain, ticket, &points, "")
        .await
        .expect("resolve");
    assert_eq!(
        app.db.points_balance(customer).await.expect("balance"),
        200,
        "not 400"
    );
    let view = app
        .view_ticket(&actor, Scope::Chain, ticket)
        .await
        .expect("view");
    assert_eq!(
        view.compensation,
        Compensation::Points {
            points: 200,
            applied: true
        }
    );

    // Reopened and resolved again with a coupon: a new round, given once even if tried twice.
    app.act_on_ticket(&actor, Scope::Chain, ticket, Action::Close, "")
        .await
        .expect("close");
    app.act_on_ticket(&actor, Scope::Chain, ticket, Action::Reopen, "仍不满意")
        .await
        .expect("reopen");
    let template = app
        .create_coupon_template(&TemplateInput {
            name: "致歉券".into(),
            amount_fen: Some(5_000),
            valid_days: 30,
            ..Default::default()
        })
        .await
        .expect("template");
    let reason = format!("投诉补偿 #{ticket}（重开 1 次后）");
    let first = app
        .issue_coupons(&actor, Scope::Chain, template, &[customer], &reason)
        .await
        .expect("first attempt's coupon");
    let coupon = Resolution {
        compensation: Compensation::Coupon {
            template_id: template,
            code: String::new(),
        },
        ..points.clone()
    };
    app.resolve_ticket(&actor, Scope::Chain, ticket, &coupon, "")
        .await
        .expect("resolve again");
    assert_eq!(
        app.usable_coupons(customer).await.expect("coupons").len(),
        1
    );
    let view = app
        .view_ticket(&actor, Scope::Chain, ticket)
        .await
        .expect("view");
    assert_eq!(
        view.compensation,
        Compensation::Coupon {
            template_id: template,
            code: first[0].clone()
        }
    );
    s.shutdown().await;
}
both!(compensation_is_given_once_per_round);
