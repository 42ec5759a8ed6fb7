//! Demo orders, visits and warranties: orders made from demo customers' latest sales at
//! every stage of their pipelines (one cancelled, one picked up in store), visits done last
//! week with their notes, visits booked for the coming days on the installers' calendars
//! (one moved), and warranties of the appliances sold, a few ending within the month
//! (reminded) and one claimed as a ticket.

use crate::service::appointments::VisitForm;
use crate::service::orders::OrderForm;
use crate::service::warranties::{ClaimForm, WarrantyForm};
use crate::{App, AppError};
use jiff::SignedDuration;
use patron_domain::audit::Actor;
use patron_store::Scope;
use patron_store::service::appointments::{Booking, NewAppointment};

/// Where each demo order is taken to, with the visits it has had.
const STAGES: [&str; 8] = [
    "confirmed",
    "preparing",
    "out_for_delivery",
    "delivered",
    "installed",
    "completed",
    "cancelled",
    "completed",
];

const ADDRESSES: [&str; 4] = [
    "上海市闵行区莘庄镇都市路 88 弄 5 号 602",
    "上海市浦东新区锦绣路 1500 弄 12 号 1101",
    "上海市徐汇区漕溪北路 331 号 903",
    "上海市松江区新松江路 1200 弄 7 号 201",
];

pub(crate) async fn seed(app: &App, customers: &[(i64, i64)]) -> Result<(), AppError> {
    let actor = Actor::cli("demo");
    let mut order_no = 0;
    for (customer_id, store_id) in customers.iter().skip(2).step_by(13) {
        if order_no == STAGES.len() * 2 {
            break;
        }
        let Some(sale) = app.db.sales_of(*customer_id, 1).await?.first().cloned() else {
            continue;
        };
        let staff = app.visit_staff_of(*store_id).await?;
        if staff.is_empty() {
            continue;
        }
        let target = STAGES[order_no % STAGES.len()];
        let form = OrderForm {
            customer_id: *customer_id,
            sale_id: Some(sale.id),
            pipeline: if order_no == 7 { "pickup" } else { "" }.into(),
            address: ADDRESSES[order_no % ADDRESSES.len()].into(),
            notify: true,
            ..Default::default()
        };
        let (id, _) = app.create_order(&actor, Scope::Chain, &form, None).await?;
        let fitter = staff[order_no % staff.len()].0;
        walk(app, &actor, id, target, fitter, order_no).await?;
        order_no += 1;
    }
    seed_warranties(app, &actor, customers).await
}

/// Takes an order to `target`: past visits done with their notes on the way, future ones
/// booked on `fitter`'s calendar.
async fn walk(
    app: &App,
    actor: &Actor,
    id: i64,
    target: &str,
    fitter: i64,
    n: usize,
) -> Result<(), AppError> {
    let move_to = |to: &'static str, note: &'static str| async move {
        app.move_order(actor, Scope::Chain, id, to, note, false)
            .await
            .map(|_| ())
    };
    if target == "cancelled" {
        return move_to("cancelled", "客户改买其他款式").await;
    }
    if target == "confirmed" {
        return Ok(());
    }
    move_to("preparing", "").await?;
    if target == "preparing" {
        return book_ahead(app, actor, id, "measure", fitter, n).await;
    }
    if target == "completed" && n % STAGES.len() == 7 {
        // The pick-up order: collected at the counter.
        return move_to("completed", "客户到店自提").await;
    }
    move_to("out_for_delivery", "").await?;
    if target == "out_for_delivery" {
        return book_ahead(app, actor, id, "delivery", fitter, n).await;
    }
    // Delivered (and installed) last week, with the installers' notes.
    let days_ago = 4 + (n as i64 % 3);
    past_visit(
        app,
        actor,
        id,
        "delivery",
        fitter,
        days_ago,
        "已送货上门，客户验收无破损",
    )
    .await?;
    if target == "delivered" {
        return book_ahead(app, actor, id, "installation", fitter, n).await;
    }
    past_visit(
        app,
        actor,
        id,
        "installation",
        fitter,
        days_ago - 1,
        "安装完成，已清理现场并讲解保养",
    )
    .await?;
    if target == "installed" {
        return Ok(());
    }
    move_to("completed", "客户确认完工").await
}

/// Books a visit two to four days ahead (a morning or an afternoon); the second one booked
/// is then moved a day later at the customer's request.
async fn book_ahead(
    app: &App,
    actor: &Actor,
    id: i64,
    kind: &str,
    fitter: i64,
    n: usize,
) -> Result<(), AppError> {
    let order = app.db.order(Scope::Chain, id).await?;
    let day = app.store_today(order.store_id).await?;
    let ahead = 2 + (n as i64 % 3);
    let date = day
        .checked_add(jiff::Span::new().days(ahead))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let (from, to) = if n.is_multiple_of(2) {
        ("09:00", "12:00")
    } else {
        ("14:00", "17:00")
    };
    let mut form = VisitForm {
        kind: kind.into(),
        date: date.to_string(),
        from: from.into(),
        to: to.into(),
        assignee_id: fitter,
        address: String::new(),
    };
    let visit = match app.book_visit(actor, Scope::Chain, id, &form).await {
        Ok(v) => v,
        // Two demo orders landed on one installer's morning: leave the second unbooked.
        Err(AppError::Conflict { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    if n % 4 == 1 {
        form.date = date
            .checked_add(jiff::Span::new().days(1))
            .map_err(|e| AppError::Internal(e.to_string()))?
            .to_string();
        match app
            .reschedule_visit(actor, Scope::Chain, visit, &form, "客户家中当天无人")
            .await
        {
            Ok(()) | Err(AppError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A visit in the past (booked then, done now with its note): written through the store,
/// since the console refuses to book the past.
async fn past_visit(
    app: &App,
    actor: &Actor,
    id: i64,
    kind: &str,
    fitter: i64,
    days_ago: i64,
    note: &str,
) -> Result<(), AppError> {
    let order = app.db.order(Scope::Chain, id).await?;
    let start = app.now() - SignedDuration::from_hours(24 * days_ago);
    let a = NewAppointment {
        order_id: id,
        customer_id: order.customer_id,
        store_id: order.store_id,
        kind,
        starts_at: start,
        ends_at: start + SignedDuration::from_hours(2),
        assignee_id: fitter,
        address_enc: order.address_enc.as_deref(),
        created_by: None,
    };
    let booked = app
        .db
        .book_appointment(&a, None, start - SignedDuration::from_hours(48))
        .await?;
    if let Booking::Booked(visit) = booked {
        app.complete_visit(actor, Scope::Chain, visit, note, None)
            .await?;
    }
    Ok(())
}

/// Warranties of appliances sold to demo customers: three years from the sale, a few from
/// a year ago ending within the month (reminded by the job), one claimed.
async fn seed_warranties(
    app: &App,
    actor: &Actor,
    customers: &[(i64, i64)],
) -> Result<(), AppError> {
    let today = app
        .store_today(customers.first().map_or(0, |c| c.1))
        .await?;
    let mut ids = Vec::new();
    for (i, (customer_id, _)) in customers.iter().skip(5).step_by(17).take(10).enumerate() {
        let (months, starts_on) = if i % 4 == 3 {
            // Bought eleven and a half months ago with a one-year warranty.
            let start = today
                .checked_sub(jiff::Span::new().days(350))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            (12, start.to_string())
        } else {
            (36, String::new())
        };
        let form = WarrantyForm {
            customer_id: *customer_id,
            sku: ["RSQ-25", "YJ-900", "ZG-6080", "JSQ-16"][i % 4].into(),
            product: ["燃气热水器", "油烟机", "整体橱柜", "净水器"][i % 4].into(),
            serial: format!("SN{}{:04}", today.strftime("%y%m"), 1001 + i),
            starts_on,
            months,
            terms: "整机保修，人为损坏除外".into(),
            ..Default::default()
        };
        ids.push(app.register_warranty(actor, Scope::Chain, &form).await?);
    }
    app.send_warranty_notices(app.now()).await?;
    if let Some(first) = ids.first() {
        let claim = ClaimForm {
            kind: "repair".into(),
            description: "热水器点火后几秒就熄火，需要上门检修。".into(),
        };
        app.claim_warranty(actor, Scope::Chain, *first, &claim, None)
            .await?;
    }
    Ok(())
}
