//! Compensation is given in the transaction that resolves the ticket: of resolutions racing
//! for one ticket exactly one gives, the others give nothing; a reopened ticket's second
//! resolution is a new round and may compensate again.

use crate::both;
use crate::harness::{Kind, staff, start, store};
use patron_app::AppError;
use patron_app::membership::coupons::TemplateInput;
use patron_app::service::tickets::{Compensation, Resolution, TicketForm};
use patron_domain::service::ticket::Action;
use patron_store::Scope;

/// Resolutions started together.
const RACERS: usize = 6;

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
    let points = Resolution {
        root_cause: "late_delivery".into(),
        corrective_action: "增加车次".into(),
        compensation: Compensation::Points {
            points: 200,
            applied: false,
        },
    };
    let race = |r: Resolution| {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..RACERS {
            let (app, actor, r) = (app.clone(), actor.clone(), r.clone());
            tasks.spawn(async move {
                app.resolve_ticket(&actor, Scope::Chain, ticket, &r, "")
                    .await
            });
        }
        async move {
            let mut results = Vec::new();
            while let Some(done) = tasks.join_next().await {
                results.push(done.expect("task"));
            }
            results
        }
    };
    let results = race(points.clone()).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    // A loser either raced the winner's write (moved) or read the ticket after it (a
    // resolved ticket cannot be resolved again); either way it gave nothing.
    for lost in results.iter().filter_map(|r| r.as_ref().err()) {
        let moved = matches!(
            lost,
            AppError::Conflict {
                key: "error.ticket.moved",
                ..
            }
        );
        let after = lost.field_errors().first().map(|e| e.key) == Some("error.ticket.transition");
        assert!(moved || after, "{lost:?}");
    }
    assert_eq!(
        app.db().points_balance(customer).await.expect("balance"),
        200,
        "given once, not once per try"
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

    // Reopened and resolved again with a coupon: a new round, which gives again, once.
    app.act_on_ticket(&actor, Scope::Chain, ticket, Action::Close, "")
        .await
        .expect("close");
    app.act_on_ticket(&actor, Scope::Chain, ticket, Action::Reopen, "仍不满意")
        .await
        .expect("reopen");
    let template = app
        .create_coupon_template(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &TemplateInput {
                name: "致歉券".into(),
                amount_fen: Some(5_000),
                valid_days: 30,
                ..Default::default()
            },
        )
        .await
        .expect("template");
    let coupon = Resolution {
        compensation: Compensation::Coupon {
            template_id: template,
            code: String::new(),
        },
        ..points.clone()
    };
    let results = race(coupon).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let usable = app.usable_coupons(customer).await.expect("coupons");
    assert_eq!(usable.len(), 1);
    let view = app
        .view_ticket(&actor, Scope::Chain, ticket)
        .await
        .expect("view");
    assert_eq!(
        view.compensation,
        Compensation::Coupon {
            template_id: template,
            code: usable[0].code.clone()
        }
    );
    assert_eq!(
        app.db().points_balance(customer).await.expect("balance"),
        200
    );
    s.shutdown().await;
}
both!(compensation_is_given_once_per_round);
