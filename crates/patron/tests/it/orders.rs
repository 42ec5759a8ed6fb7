//! Orders and visits on both backends: an order made from a sale moves along its pipeline
//! with notices; visits are refused when the installer is busy (also when two bookings
//! race), moved, cancelled and completed with a sealed photo that moves the order on and
//! plans the follow-up call.

use crate::both;
use crate::harness::{Kind, audit, staff, start, store};
use jiff::SignedDuration;
use patron_app::service::appointments::{Photo, VisitForm};
use patron_app::service::orders::OrderForm;
use patron_app::{App, AppError};
use patron_domain::Actor;
use patron_store::Scope;

/// The body of every message queued to `recipient`, oldest first.
pub(crate) async fn sent_to(app: &App, recipient: &str) -> Vec<String> {
    let mut rows = app.outbox_letters("", 500).await.expect("outbox");
    rows.sort_by_key(|r| r.id);
    rows.into_iter()
        .filter(|r| r.recipient == recipient)
        .map(|r| format!("{} {}", r.subject, r.body))
        .collect()
}

pub(crate) fn key_of(e: AppError) -> &'static str {
    match e {
        AppError::Field(f) => f.key,
        AppError::Conflict { key, .. } => key,
        other => panic!("unexpected error {other:?}"),
    }
}

fn visit(kind: &str, date: &str, from: &str, to: &str, who: i64) -> VisitForm {
    VisitForm {
        kind: kind.into(),
        date: date.into(),
        from: from.into(),
        to: to.into(),
        assignee_id: who,
        address: String::new(),
    }
}

/// A 1x1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xDE,
];

pub(crate) async fn sale(app: &App, receipt: &str, mobile: &str) -> i64 {
    let csv = format!(
        "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n\
         {receipt},2026-11-20 15:00,S1,{mobile},F1,实木地板,floor,20,268\n\
         {receipt},2026-11-20 15:00,S1,{mobile},H1,燃气热水器,appliance,1,3200\n"
    );
    app.import_sales(csv.as_bytes(), false, &|_| {})
        .await
        .expect("sale");
    sqlx::query_scalar("SELECT id FROM sales WHERE receipt_no = $1")
        .bind(receipt)
        .fetch_one(app.db().pool())
        .await
        .expect("sale id")
}

async fn an_order_moves_along_its_pipeline_with_visits(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let s2 = store(app, "S2").await;
    let desk = staff(app, "after.one", "after_sales", Some(s1)).await;
    let fitter = staff(app, "fitter.li", "after_sales", Some(s1)).await;
    let other = staff(app, "fitter.s2", "after_sales", Some(s2)).await;
    let actor = crate::transfer::principal(app, desk).await.actor(None);
    // Notices go by SMS, the first channel that reaches the customer here.
    let mobile = "13700137101";
    let customer = crate::messages::customer(app, s1, mobile, "order@example.cn", &[]).await;
    let sale_id = sale(app, "R-ORD-1", "13700137101").await;

    // Made from the sale: customer and lines come from it; a retry creates nothing new.
    let form = OrderForm {
        sale_id: Some(sale_id),
        address: "上海市徐汇区漕溪北路 1 号 1201".into(),
        notify: true,
        ..Default::default()
    };
    let (id, created) = app
        .create_order(&actor, Scope::Chain, &form, Some("k1"))
        .await
        .expect("order");
    assert!(created);
    let (again, created) = app
        .create_order(&actor, Scope::Chain, &form, Some("k1"))
        .await
        .expect("retry");
    assert_eq!((again, created), (id, false));
    let v = app
        .view_order(&actor, Scope::Chain, id)
        .await
        .expect("view");
    assert_eq!(v.row.customer_id, customer);
    assert_eq!(v.lines.len(), 2);
    assert_eq!(v.row.total_fen, 20 * 26_800 + 320_000);
    assert_eq!(v.address, "上海市徐汇区漕溪北路 1 号 1201");
    assert_eq!(v.status.code(), "confirmed");
    let notices = sent_to(app, mobile).await;
    assert_eq!(notices.len(), 1);
    assert!(notices[0].contains(&v.row.order_no) && notices[0].contains("已确认"));
    assert!(
        !audit(app, "order.read", "").await.is_empty(),
        "reading is audited"
    );

    // Forward only; back is refused and changes nothing.
    app.move_order(&actor, Scope::Chain, id, "preparing", "", false)
        .await
        .expect("prepare");
    let back = app
        .move_order(&actor, Scope::Chain, id, "confirmed", "", true)
        .await
        .expect_err("back");
    assert_eq!(key_of(back), "error.order.transition");
    assert_eq!(
        sent_to(app, mobile).await.len(),
        1,
        "nothing sent for a refusal"
    );

    // Visits: an overlap on the installer's calendar is refused, touching windows are not.
    let delivery = app
        .book_visit(
            &actor,
            Scope::Chain,
            id,
            &visit("delivery", "2026-11-24", "09:00", "12:00", fitter),
        )
        .await
        .expect("book");
    let notices = sent_to(app, mobile).await;
    assert!(
        notices[1].contains("已预约送货上门") && notices[1].contains("11月24日 09:00-12:00"),
        "{}",
        notices[1]
    );
    let clash = app
        .book_visit(
            &actor,
            Scope::Chain,
            id,
            &visit("installation", "2026-11-24", "11:00", "13:00", fitter),
        )
        .await
        .expect_err("busy");
    assert_eq!(key_of(clash), "error.appointment.conflict");
    let install = app
        .book_visit(
            &actor,
            Scope::Chain,
            id,
            &visit("installation", "2026-11-24", "12:00", "15:00", fitter),
        )
        .await
        .expect("touching");
    for (form, key) in [
        (
            visit("delivery", "2026-11-24", "09:00", "12:00", other),
            "error.appointment.assignee",
        ),
        (
            visit("delivery", "2026-11-20", "09:00", "12:00", fitter),
            "error.appointment.past",
        ),
        (
            visit("delivery", "2026-11-25", "12:00", "09:00", fitter),
            "error.appointment.window",
        ),
        (
            visit("visit", "2026-11-25", "09:00", "12:00", fitter),
            "error.appointment.kind",
        ),
        (
            visit("delivery", "25/11", "09:00", "12:00", fitter),
            "error.appointment.date",
        ),
    ] {
        let e = app
            .book_visit(&actor, Scope::Chain, id, &form)
            .await
            .expect_err(key);
        assert_eq!(key_of(e), key);
    }

    // Moving onto the delivery is refused; to the next day it is done, with the reason.
    let onto = visit("installation", "2026-11-24", "10:00", "11:00", fitter);
    let e = app
        .reschedule_visit(&actor, Scope::Chain, install, &onto, "客户改时间")
        .await
        .expect_err("busy");
    assert_eq!(key_of(e), "error.appointment.conflict");
    let next_day = visit("installation", "2026-11-25", "13:00", "16:00", fitter);
    let e = app
        .reschedule_visit(&actor, Scope::Chain, install, &next_day, " ")
        .await
        .expect_err("reason");
    assert_eq!(key_of(e), "error.appointment.reason");
    app.reschedule_visit(&actor, Scope::Chain, install, &next_day, "客户改时间")
        .await
        .expect("moved");
    let moved = app.visit(Scope::Chain, install).await.expect("visit");
    assert_eq!(moved.row.reschedule_count, 1);
    assert!(
        sent_to(app, mobile)
            .await
            .last()
            .expect("notice")
            .contains("11月25日 13:00-16:00")
    );

    // Done with a photo: the order skips ahead to delivered, and the photo is sealed on disk.
    let e = app
        .complete_visit(
            &actor,
            Scope::Chain,
            delivery,
            "已送达",
            Some(Photo {
                bytes: b"GIF89a".to_vec(),
            }),
        )
        .await
        .expect_err("type");
    assert_eq!(key_of(e), "error.appointment.photo_type");
    app.complete_visit(
        &actor,
        Scope::Chain,
        delivery,
        "已卸货到客厅，客户验收",
        Some(Photo {
            bytes: PNG.to_vec(),
        }),
    )
    .await
    .expect("done");
    let v = app
        .view_order(&actor, Scope::Chain, id)
        .await
        .expect("view");
    assert_eq!(v.status.code(), "delivered");
    let (photo, kind_of) = app
        .visit_photo(&actor, Scope::Chain, delivery)
        .await
        .expect("photo");
    assert_eq!((photo.as_slice(), kind_of), (PNG, "image/png"));
    let files: Vec<_> = std::fs::read_dir(s.app.config().data_dir.join("photos"))
        .expect("photos")
        .map(|f| std::fs::read(f.expect("entry").path()).expect("read"))
        .collect();
    assert_eq!(files.len(), 1, "the refused photo left nothing behind");
    assert!(!files[0].windows(4).any(|w| w == b"IHDR"), "sealed at rest");
    assert!(!audit(app, "visit.photo", "").await.is_empty());
    let twice = app
        .complete_visit(&actor, Scope::Chain, delivery, "again", None)
        .await
        .expect_err("twice");
    assert_eq!(key_of(twice), "error.order.changed");

    // The installation the next day moves it to installed; then it completes, and stops.
    s.clock.advance(SignedDuration::from_hours(30));
    app.complete_visit(&actor, Scope::Chain, install, "安装完成，已试水", None)
        .await
        .expect("installed");
    assert_eq!(
        app.view_order(&actor, Scope::Chain, id)
            .await
            .expect("v")
            .status
            .code(),
        "installed"
    );
    let notices = sent_to(app, mobile).await;
    assert!(notices.last().expect("notice").contains("已安装完成"));
    app.move_order(&actor, Scope::Chain, id, "completed", "客户签收", true)
        .await
        .expect("complete");
    let e = app
        .book_visit(
            &actor,
            Scope::Chain,
            id,
            &visit("measure", "2026-11-30", "09:00", "10:00", fitter),
        )
        .await
        .expect_err("closed");
    assert_eq!(key_of(e), "error.appointment.order_closed");
    let v = app
        .view_order(&actor, Scope::Chain, id)
        .await
        .expect("view");
    let kinds: Vec<&str> = v.timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "created",
            "stage",
            "booked",
            "booked",
            "rescheduled",
            "visit_done",
            "stage",
            "visit_done",
            "stage",
            "stage"
        ]
    );
    assert!(v.timeline.iter().any(|e| e.note == "客户签收"));

    // Two days after each visit, the owner's list has a call about it, once.
    s.clock
        .advance(SignedDuration::from_hours(24 * 2) + SignedDuration::from_mins(60));
    let planned = app.plan_followups(app.now()).await.expect("plan");
    assert_eq!(planned.after_visit, 2);
    assert_eq!(
        app.plan_followups(app.now())
            .await
            .expect("plan")
            .after_visit,
        0
    );
    s.shutdown().await;
}
both!(an_order_moves_along_its_pipeline_with_visits);

async fn racing_bookings_leave_one_visit(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let desk = staff(app, "after.one", "after_sales", Some(s1)).await;
    let fitter = staff(app, "fitter.li", "after_sales", Some(s1)).await;
    let actor = crate::transfer::principal(app, desk).await.actor(None);
    let customer = crate::messages::customer(app, s1, "13700137102", "", &[]).await;
    let form = OrderForm {
        customer_id: customer,
        lines: vec![patron_store::service::orders::OrderLine {
            sku: "C1".into(),
            name: "定制衣柜".into(),
            quantity: 1,
            unit_price_fen: 1_200_000,
        }],
        pipeline: "pickup".into(),
        ..Default::default()
    };
    let (id, _) = app
        .create_order(&actor, Scope::Chain, &form, None)
        .await
        .expect("order");
    let v = app
        .view_order(&actor, Scope::Chain, id)
        .await
        .expect("view");
    assert_eq!(v.pipeline.render(), "confirmed > preparing > completed");
    assert!(v.address.is_empty(), "no address in the file, none typed");
    let mut tasks = Vec::new();
    for n in 0..8 {
        let app = app.clone();
        let actor: Actor = actor.clone();
        let start = format!("{:02}:00", 9 + n % 2);
        tasks.push(tokio::spawn(async move {
            let f = visit("measure", "2026-11-26", &start, "11:00", fitter);
            app.book_visit(&actor, Scope::Chain, id, &f).await
        }));
    }
    let mut booked = 0;
    for t in tasks {
        match t.await.expect("join") {
            Ok(_) => booked += 1,
            Err(e) => assert_eq!(key_of(e), "error.appointment.conflict"),
        }
    }
    assert_eq!(
        booked, 1,
        "one visit in the window, however the bookings raced"
    );
    s.shutdown().await;
}
both!(racing_bookings_leave_one_visit);
