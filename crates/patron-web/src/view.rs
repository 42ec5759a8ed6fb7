//! What every console page shares: the language, the signed-in person and their menu, the
//! CSRF token for forms, flash messages, and date formatting in the chain's time zone.

use crate::i18n::Lang;
use crate::menu::{self, MENU};
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use patron_app::security::{Principal, Via};

/// One menu entry, shown only to those who may use it.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// A section of the sidebar with the entries the reader may use; open when it holds the
/// current page.
pub struct NavSection {
    pub id: &'static str,
    pub label: &'static str,
    pub current: bool,
    pub items: Vec<NavItem>,
}

/// One step of the breadcrumb; the last one is the page itself and has no link.
pub struct Crumb {
    pub label: &'static str,
    pub href: &'static str,
}

pub struct Page {
    pub lang: Lang,
    pub title: &'static str,
    pub csrf: String,
    pub user_name: String,
    pub user_role: &'static str,
    pub nav: Vec<NavSection>,
    pub crumbs: Vec<Crumb>,
    pub flash: String,
    pub error: String,
}

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
            crumbs: Vec::new(),
            flash: String::new(),
            error: String::new(),
        }
    }

    /// A console page for `p`; `current` is the address of the menu entry the page belongs
    /// to, which marks it in the sidebar and starts the breadcrumb.
    pub fn console(lang: Lang, p: &Principal, title_key: &str, current: &str) -> Page {
        let nav = MENU
            .iter()
            .map(|section| {
                let items: Vec<NavItem> = section
                    .entries
                    .iter()
                    .filter(|e| e.gate.is_none_or(|c| p.can(c)))
                    .map(|e| NavItem {
                        href: e.href,
                        label: lang.t(e.label),
                        active: e.href == current,
                    })
                    .collect();
                NavSection {
                    id: section.id,
                    label: lang.t(section.label),
                    current: items.iter().any(|i| i.active),
                    items,
                }
            })
            .filter(|s| !s.items.is_empty())
            .collect();
        let title = lang.t(title_key);
        let mut crumbs = Vec::new();
        if let Some((section, entry)) = menu::locate(current) {
            crumbs.push(Crumb {
                label: lang.t(section.label),
                href: "",
            });
            crumbs.push(Crumb {
                label: lang.t(entry.label),
                href: entry.href,
            });
            if entry.title != title_key {
                crumbs.push(Crumb {
                    label: title,
                    href: "",
                });
            }
        }
        if let Some(last) = crumbs.last_mut() {
            last.href = "";
        }
        Page {
            lang,
            title,
            csrf: session_csrf(p),
            user_name: p.display_name.clone(),
            user_role: lang.t(&format!("role.{}", p.role.as_str())),
            nav,
            crumbs,
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
