//! The service report: complaints and other tickets of a period by category, store,
//! product and staff, the Pareto of root causes, SLA compliance, time to first response and
//! to resolution (median, 90th percentile), the reopen rate and satisfaction after
//! resolution; the same as an xlsx download.

use super::staff_names;
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use patron_app::AppError;
use patron_app::security::Principal;
use patron_domain::service::report::ServiceReport;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Default)]
pub struct Period {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

#[derive(Template)]
#[template(path = "service_reports.html")]
pub struct ReportPage {
    page: Page,
    from: String,
    to: String,
    r: ServiceReport,
    names: Names,
}

/// Codes named in the reader's language.
struct Names {
    stores: BTreeMap<i64, String>,
    staff: BTreeMap<i64, String>,
    lang: crate::i18n::Lang,
}

impl Names {
    fn name(&self, kind: &str, code: &str) -> String {
        let t = |key: String| {
            self.lang
                .try_t(&key)
                .map_or_else(|| code.to_string(), str::to_string)
        };
        match kind {
            "category" => t(format!("ticket.category.{code}")),
            "cause" => t(format!("ticket.cause.{code}")),
            "store" => code
                .parse()
                .ok()
                .and_then(|id| self.stores.get(&id).cloned())
                .unwrap_or_else(|| code.to_string()),
            "staff" => code
                .parse()
                .ok()
                .and_then(|id| self.staff.get(&id).cloned())
                .unwrap_or_else(|| self.lang.t("report.unassigned").to_string()),
            other => t(format!("report.{other}.{code}")),
        }
    }
}

impl ReportPage {
    fn category(&self, code: &str) -> String {
        self.names.name("category", code)
    }
    fn cause(&self, code: &str) -> String {
        self.names.name("cause", code)
    }
    fn store(&self, id: &i64) -> String {
        self.names.name("store", &id.to_string())
    }
    fn staff(&self, id: &Option<i64>) -> String {
        self.names
            .name("staff", &id.map(|i| i.to_string()).unwrap_or_default())
    }
    fn pct(&self, v: &Option<f64>) -> String {
        v.map(|x| format!("{x:.1}%")).unwrap_or_else(|| "—".into())
    }
    fn num(&self, v: &f64) -> String {
        format!("{v:.1}")
    }
    fn avg(&self, v: &Option<f64>) -> String {
        v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into())
    }
    /// Working minutes as hours and minutes.
    fn hm(&self, v: &Option<i64>) -> String {
        v.map(|m| format!("{}:{:02}", m / 60, m % 60))
            .unwrap_or_else(|| "—".into())
    }
}

/// The period asked for; by default the last 30 days to today.
fn period(state: &AppState, q: &Period) -> Result<(Date, Date), AppError> {
    let today = state
        .app
        .config()
        .timezone()
        .to_datetime(state.app.now())
        .date();
    let day = |s: &str, field: &'static str, default: Date| -> Result<Date, AppError> {
        if s.trim().is_empty() {
            return Ok(default);
        }
        s.trim()
            .parse()
            .map_err(|_| patron_domain::FieldError::new(field, "error.report.date").into())
    };
    let from = day(&q.from, "from", today - jiff::Span::new().days(29))?;
    let to = day(&q.to, "to", today)?;
    if to < from || (to - from).get_days() > 3_660 {
        return Err(patron_domain::FieldError::new("to", "error.report.period").into());
    }
    Ok((from, to))
}

async fn load(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    q: &Period,
) -> Result<(Date, Date, ServiceReport, Names), AppError> {
    let (from, to) = period(state, q)?;
    let r = state.app.service_report(p.scope(), from, to).await?;
    let stores = state
        .app
        .stores(patron_domain::Scope::Chain)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let names = Names {
        stores,
        staff: staff_names(state).await?,
        lang: ctx.lang,
    };
    Ok((from, to, r, names))
}

pub async fn report_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<Period>,
) -> Response {
    match load(&state, &p, &ctx, &q).await {
        Ok((from, to, r, names)) => render(&ReportPage {
            page: Page::console(ctx.lang, &p, "report.title", "/console/service/reports"),
            from: from.to_string(),
            to: to.to_string(),
            r,
            names,
        }),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

pub async fn report_xlsx(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<Period>,
) -> Response {
    let result = match load(&state, &p, &ctx, &q).await {
        Ok((from, to, r, names)) => {
            let label = |kind: &str, code: &str| names.name(kind, code);
            patron_app::service::reports::report_xlsx(&r, &label).map(|b| (from, to, b))
        }
        Err(e) => Err(e),
    };
    match result {
        Ok((from, to, bytes)) => (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"service-report-{from}-{to}.xlsx\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}
