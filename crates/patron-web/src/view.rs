//! What every console page shares: the language, the signed-in person and their menu, the
//! CSRF token for forms, flash messages, and date formatting in the chain's time zone.

use crate::i18n::Lang;
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use patron_app::security::{Principal, Via};
use patron_domain::Capability;

/// One menu entry, shown only to those who may use it.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

pub struct Page {
    pub lang: Lang,
    pub title: &'static str,
    pub csrf: String,
    pub user_name: String,
    pub user_role: &'static str,
    pub nav: Vec<NavItem>,
    pub flash: String,
    pub error: String,
}

const MENU: &[(&str, &str, Option<Capability>)] = &[
    ("/console", "nav.home", None),
    (
        "/console/followups",
        "nav.followups",
        Some(Capability::CustomerRead),
    ),
    (
        "/console/customers",
        "nav.customers",
        Some(Capability::CustomerRead),
    ),
    ("/console/stores", "nav.stores", Some(Capability::StoreRead)),
    ("/console/staff", "nav.staff", Some(Capability::StaffRead)),
    ("/console/roles", "nav.roles", Some(Capability::RoleManage)),
    ("/console/keys", "nav.keys", Some(Capability::ApiKeyManage)),
    ("/console/audit", "nav.audit", Some(Capability::AuditRead)),
    (
        "/console/outbox",
        "nav.outbox",
        Some(Capability::OutboxRead),
    ),
    ("/console/till", "nav.till", Some(Capability::SaleRecord)),
    (
        "/console/care/classes",
        "nav.classes",
        Some(Capability::CustomerRead),
    ),
    (
        "/console/segments",
        "nav.segments",
        Some(Capability::CustomerRead),
    ),
    (
        "/console/care/churn",
        "nav.churn",
        Some(Capability::CustomerRead),
    ),
    ("/console/care/calendar", "nav.calendar", None),
    (
        "/console/messages",
        "nav.messages",
        Some(Capability::CampaignManage),
    ),
    ("/console/mall", "nav.mall", Some(Capability::SaleRecord)),
    (
        "/console/points",
        "nav.points",
        Some(Capability::PointsAdjust),
    ),
    (
        "/console/coupons",
        "nav.coupons",
        Some(Capability::CouponManage),
    ),
    (
        "/console/reports/points",
        "nav.points_report",
        Some(Capability::ReportRead),
    ),
    (
        "/console/reports/leaderboard",
        "nav.leaderboard",
        Some(Capability::ReportRead),
    ),
    (
        "/console/service",
        "nav.service",
        Some(Capability::TicketManage),
    ),
    (
        "/console/orders",
        "nav.orders",
        Some(Capability::OrderManage),
    ),
    (
        "/console/service/calendar",
        "nav.visit_calendar",
        Some(Capability::OrderManage),
    ),
    (
        "/console/warranties",
        "nav.warranties",
        Some(Capability::WarrantyManage),
    ),
    (
        "/console/service/reports",
        "nav.service_reports",
        Some(Capability::ReportRead),
    ),
    (
        "/console/surveys",
        "nav.surveys",
        Some(Capability::ReportRead),
    ),
    (
        "/console/loyalty",
        "nav.loyalty",
        Some(Capability::SettingsManage),
    ),
    (
        "/console/settings",
        "nav.settings",
        Some(Capability::SettingsManage),
    ),
    ("/console/account", "nav.account", None),
];

impl Page {
    /// A page outside the console (sign-in, set-up, errors).
    pub fn bare(lang: Lang, title_key: &str) -> Page {
        Page {
            lang,
            title: lang.t(title_key),
            csrf: String::new(),
            user_name: String::new(),
            user_role: "",
            nav: Vec::new(),
            flash: String::new(),
            error: String::new(),
        }
    }

    /// A console page for `p`, with `current` marking the menu entry.
    pub fn console(lang: Lang, p: &Principal, title_key: &str, current: &str) -> Page {
        let nav = MENU
            .iter()
            .filter(|(_, _, cap)| cap.is_none_or(|c| p.can(c)))
            .map(|(href, label, _)| NavItem {
                href,
                label: lang.t(label),
                active: *href == current,
            })
            .collect();
        Page {
            lang,
            title: lang.t(title_key),
            csrf: session_csrf(p),
            user_name: p.display_name.clone(),
            user_role: lang.t(&format!("role.{}", p.role.as_str())),
            nav,
            flash: String::new(),
            error: String::new(),
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    pub fn with_flash(mut self, key: &str) -> Page {
        if let Some(m) = self.lang.try_t(&format!("flash.{key}")) {
            self.flash = m.to_string();
        }
        self
    }

    /// Shows an error: every field of a form at once, each with its label when it has one.
    pub fn with_error(mut self, e: &patron_app::AppError) -> Page {
        let line = |key: &str, field: Option<&str>| {
            let message = self.lang.t(key);
            match field.and_then(|f| self.lang.try_t(&format!("field.{f}"))) {
                Some(label) => format!("{label}：{message}"),
                None => message.to_string(),
            }
        };
        let fields = e.field_errors();
        self.error = if fields.len() > 1 {
            fields
                .iter()
                .map(|f| line(f.key, Some(f.field)))
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            let (_, key, field) = crate::error::describe(e);
            line(key, field)
        };
        self
    }
}

/// The CSRF token forms of this session must carry (none for token callers).
pub fn session_csrf(p: &Principal) -> String {
    match &p.via {
        Via::Session { csrf, .. } => csrf.clone(),
        Via::Token { .. } => String::new(),
    }
}

/// Renders a template, or an error page if rendering itself fails.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "template error",
            )
                .into_response()
        }
    }
}

/// Epoch milliseconds as a local date and time: 2026年11月23日 19:05 or 2026-11-23 19:05.
/// A stored time as pages receive it: epoch milliseconds (rows not yet typed) or an instant.
pub trait Instant: Copy {
    fn instant(self) -> Option<jiff::Timestamp>;
}

impl Instant for i64 {
    fn instant(self) -> Option<jiff::Timestamp> {
        jiff::Timestamp::from_millisecond(self).ok()
    }
}

impl Instant for jiff::Timestamp {
    fn instant(self) -> Option<jiff::Timestamp> {
        Some(self)
    }
}

pub fn when(at: impl Instant, lang: Lang, tz: &jiff::tz::TimeZone) -> String {
    let Some(t) = at.instant() else {
        return String::new();
    };
    let dt = tz.to_datetime(t);
    match lang {
        Lang::Zh => format!(
            "{}年{}月{}日 {:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute()
        ),
        Lang::En => format!(
            "{}-{:02}-{:02} {:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute()
        ),
    }
}

pub fn when_opt<T: Instant>(at: Option<T>, lang: Lang, tz: &jiff::tz::TimeZone) -> String {
    at.map(|t| when(t, lang, tz)).unwrap_or_else(|| "—".into())
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub page: Page,
    pub message: &'static str,
}
