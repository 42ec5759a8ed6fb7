//! The after-sales part of the customer page: the customer's orders, warranties and
//! tickets, each shown to staff who may handle them.

use crate::i18n::Lang;
use crate::view::when;
use patron_app::customers::CustomerProfile;

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
    /// The lists of the customer's page the viewer may handle (the app left out the others).
    pub fn of(
        profile: &CustomerProfile,
        lang: Lang,
        tz: &jiff::tz::TimeZone,
        now: jiff::Timestamp,
    ) -> Self {
        let mut panel = ServicePanel::default();
        if let Some(rows) = &profile.orders {
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
                            lang.t(&format!("order.stage.{}", o.status.code()))
                                .to_string(),
                            when(o.created_at, lang, tz),
                        )
                    })
                    .collect(),
            });
        }
        if let Some(rows) = &profile.warranties {
            let today = tz.to_datetime(now).date().to_string();
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
        if let Some(rows) = &profile.tickets {
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
                            lang.t(&format!("ticket.status.{}", t.status.code()))
                                .to_string(),
                            when(t.created_at, lang, tz),
                        )
                    })
                    .collect(),
            });
        }
        panel
    }
}
