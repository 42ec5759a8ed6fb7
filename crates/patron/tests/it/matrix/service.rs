//! The service desk's objects for the role × route walk: an order with visits, a warranty,
//! a ticket whose compensation waits for approval and a file attached to a ticket.

use patron_store::Scope;

/// An order with a visit booked for `fitter` and another done with a photo, and a
/// warranty, all of `customer`.
pub(crate) async fn service_fixture(
    s: &crate::harness::Server,
    customer: i64,
    fitter: i64,
) -> (i64, i64, i64, i64) {
    use patron_app::service::appointments::{Photo, VisitForm};
    let matrix = patron_domain::Actor::cli("matrix");
    let form = patron_app::service::orders::OrderForm {
        customer_id: customer,
        lines: vec![patron_store::service::orders::OrderLine {
            sku: "M1".into(),
            name: "矩阵商品".into(),
            quantity: 1,
            unit_price_fen: 1_000,
        }],
        ..Default::default()
    };
    let (order, _) = s
        .app
        .create_order(&matrix, Scope::Chain, &form, None)
        .await
        .expect("order");
    let book = |kind: &str, from: &str, to: &str| VisitForm {
        kind: kind.into(),
        date: "2026-11-24".into(),
        from: from.into(),
        to: to.into(),
        assignee_id: fitter,
        address: String::new(),
    };
    let visit = s
        .app
        .book_visit(
            &matrix,
            Scope::Chain,
            order,
            &book("delivery", "09:00", "10:00"),
        )
        .await
        .expect("visit");
    let shot = s
        .app
        .book_visit(
            &matrix,
            Scope::Chain,
            order,
            &book("measure", "10:00", "11:00"),
        )
        .await
        .expect("visit");
    let png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
    s.app
        .complete_visit(
            &matrix,
            Scope::Chain,
            shot,
            "已测量",
            Some(Photo { bytes: png }),
        )
        .await
        .expect("done");
    let warranty = s
        .app
        .register_warranty(
            &matrix,
            Scope::Chain,
            &patron_app::service::warranties::WarrantyForm {
                customer_id: customer,
                sku: "M1".into(),
                product: "矩阵商品".into(),
                months: 12,
                ..Default::default()
            },
        )
        .await
        .expect("warranty");
    (order, visit, shot, warranty)
}

/// A ticket whose ¥500 replacement waits for approval (asked by `asker`), and a picture
/// attached to `ticket`.
pub(crate) async fn ticket_fixture(
    s: &crate::harness::Server,
    asker: &patron_domain::Actor,
    customer: i64,
    ticket: i64,
) -> (i64, i64) {
    use patron_app::service::tickets::{Compensation, Resolution, TicketForm};
    let (asked, _) = s
        .app
        .file_ticket(
            asker,
            Scope::Chain,
            &TicketForm {
                customer_id: customer,
                channel: "phone".into(),
                ticket_type: "complaint".into(),
                category: "product_quality".into(),
                severity: "normal".into(),
                subject: "矩阵审批".into(),
                description: "矩阵".into(),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("ticket");
    let r = Resolution {
        root_cause: "product_defect".into(),
        corrective_action: "矩阵".into(),
        compensation: Compensation::Replacement { value_fen: 50_000 },
    };
    s.app
        .resolve_ticket(asker, Scope::Chain, asked, &r, "")
        .await
        .expect("asked");
    let upload = patron_app::service::ticket_files::Upload {
        name: "矩阵.png".into(),
        bytes: crate::orders::PNG.to_vec(),
    };
    let attachment = s
        .app
        .attach_to_ticket(asker, Scope::Chain, ticket, &upload)
        .await
        .expect("attachment");
    (asked, attachment)
}
