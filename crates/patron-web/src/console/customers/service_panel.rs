//! The after-sales part of the customer page: the customer's orders, warranties and
//! tickets, each shown to staff who may handle them.

use crate::i18n::Lang;
use crate::view::when;
use patron_app::security::Principal;
use patron_app::{App, AppError};
use patron_domain::Capability;
use patron_store::orders::OrderFilter;
use patron_store::tickets::Queue;

/// One line of a list: (link, title, what state it is in, when).
pub type Line = (String, String, String, String);

/// One list of the panel, shown only to staff who may handle what it lists.
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub empty: &'static str,
    pub lines: Vec<Line>,
}

#[derive(Default)]
pub struct ServicePanel {
    pub sections: Vec<Section>,
}

impl ServicePanel {
    pub async fn load(app: &App, p: &Principal, lang: Lang, id: i64) -> Result<Self, AppError> {
        let tz = app.config.timezone();
        let mut panel = ServicePanel::default();
        if p.can(Capability::OrderManage) {
            let filter = OrderFilter {
                customer: Some(id),
                open_only: false,
            };
            let rows = app.orders(p.scope(), &filter, 50).await?;
            panel.sections.push(Section {
                id: "orders",
                title: "customers.orders",
                empty: "order.empty_customer",
                lines: rows
                    .iter()
                    .map(|o| {
                        (
                            format!("/console/orders/{}", o.id),
                            format!(
                                "{} · {}",
                                o.order_no,
                                patron_domain::money::format_yuan(o.total_fen)
                            ),
                            lang.t(&format!("order.stage.{}", o.status)).to_string(),
                            when(o.created_at, lang, &tz),
                        )
                    })
                    .collect(),
            });
        }
        if p.can(Capability::WarrantyManage) {
            let today = tz.to_datetime(app.now()).date().to_string();
            let rows = app.customer_warranties(p.scope(), id).await?;
            panel.sections.push(Section {
                id: "warranties",
                title: "customers.warranties",
                empty: "warranty.none",
                lines: rows
                    .iter()
                    .map(|w| {
                        let state = if w.ends_on < today {
                            lang.t("warranty.expired").to_string()
                        } else {
                            String::new()
                        };
                        (
                            format!("/console/warranties/{}", w.id),
                            format!("{} {}", w.product, w.serial.clone().unwrap_or_default()),
                            state,
                            format!("{} — {}", w.starts_on, w.ends_on),
                        )
                    })
                    .collect(),
            });
        }
        if p.can(Capability::TicketManage) {
            let q = Queue {
                customer: Some(id),
                ..Default::default()
            };
            let rows = app.tickets(p.scope(), &q, 50).await?;
            panel.sections.push(Section {
                id: "tickets",
                title: "customers.tickets",
                empty: "service.empty",
                lines: rows
                    .iter()
                    .map(|t| {
                        (
                            format!("/console/service/tickets/{}", t.id),
                            format!("#{} {}", t.id, t.subject),
                            lang.t(&format!("ticket.status.{}", t.status)).to_string(),
                            when(t.created_at, lang, &tz),
                        )
                    })
                    .collect(),
            });
        }
        Ok(panel)
    }
}
