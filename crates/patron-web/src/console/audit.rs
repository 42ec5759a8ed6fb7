//! The audit log, newest first, with filters. Store-bound viewers see their own store's events.

use crate::identity::Staff;
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::audit::AuditFilter;
use serde::Deserialize;

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub outcome: String,
    /// Local dates, YYYY-MM-DD, inclusive.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: i64,
}

impl AuditQuery {
    /// The storage filter, with local dates turned into UTC bounds in `tz`.
    pub fn filter(&self, tz: &jiff::tz::TimeZone) -> Result<AuditFilter, AppError> {
        let day = |s: &str, field: &'static str, next: bool| -> Result<Option<i64>, AppError> {
            if s.trim().is_empty() {
                return Ok(None);
            }
            let d: jiff::civil::Date = s
                .trim()
                .parse()
                .map_err(|_| patron_domain::FieldError::new(field, "error.date.invalid"))?;
            let d = if next {
                d.tomorrow()
                    .map_err(|_| patron_domain::FieldError::new(field, "error.date.invalid"))?
            } else {
                d
            };
            let ts = d
                .to_datetime(jiff::civil::Time::midnight())
                .to_zoned_datetime(tz.clone())
                .map_err(|_| patron_domain::FieldError::new(field, "error.date.invalid"))?;
            Ok(Some(ts.timestamp().as_millisecond()))
        };
        Ok(AuditFilter {
            action_prefix: self.action.trim().to_string(),
            actor_name: self.actor.trim().to_lowercase(),
            outcome: self.outcome.trim().to_string(),
            from_ms: day(&self.from, "from", false)?,
            to_ms: day(&self.to, "to", true)?,
            limit: PAGE_SIZE + 1,
            offset: self.page.max(0) * PAGE_SIZE,
        })
    }
}

pub struct AuditLine {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub store: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub request_id: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    page: Page,
    q: AuditQuery,
    lines: Vec<AuditLine>,
    prev: Option<i64>,
    next: Option<i64>,
}

pub async fn audit_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<AuditQuery>,
) -> Response {
    let tz = state.app.config().timezone();
    let mut page = Page::console(ctx.lang, &p, "audit.title", "/console/audit");
    let rows = match q.filter(&tz) {
        Ok(f) => match state.app.audit_log(p.scope(), &f).await {
            Ok(rows) => rows,
            Err(e) => {
                return crate::error::WebError::page(e, ctx.lang).into_response_page();
            }
        },
        Err(e) => {
            page = page.with_error(&e);
            Vec::new()
        }
    };
    let more = rows.len() as i64 > PAGE_SIZE;
    let lines = rows
        .into_iter()
        .take(PAGE_SIZE as usize)
        .map(|r| AuditLine {
            seq: r.seq,
            at: when(r.at_ms, ctx.lang, &tz),
            actor: if r.actor_name.is_empty() {
                r.actor_kind.clone()
            } else {
                r.actor_name
            },
            role: r
                .role
                .map(|x| ctx.lang.t(&format!("role.{x}")).to_string())
                .unwrap_or_default(),
            store: r.store_id.map(|s| s.to_string()).unwrap_or_default(),
            action: r.action,
            target: match (r.target_kind, r.target_id) {
                (Some(k), Some(i)) => format!("{k} {i}"),
                _ => String::new(),
            },
            outcome: r.outcome,
            request_id: r.request_id.unwrap_or_default(),
        })
        .collect();
    let n = q.page.max(0);
    render(&AuditPage {
        page,
        lines,
        prev: (n > 0).then(|| n - 1),
        next: more.then_some(n + 1),
        q,
    })
}
