//! Points in the back office: adjustments waiting for approval (approve or reject), an
//! adjustment from the customer page, and the liability report.

use crate::console::customers::profile::{Tab, show_with_error};
use crate::console::{Flash, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::security::Principal;
use patron_domain::money::format_yuan;
use serde::Deserialize;

pub struct PendingLine {
    pub id: i64,
    pub customer_id: i64,
    pub customer: String,
    pub points: i64,
    pub reason: String,
    pub by: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "points.html")]
pub struct PointsPage {
    page: Page,
    pending: Vec<PendingLine>,
    can_adjust: bool,
    can_report: bool,
    /// (label key, value) lines of the liability report.
    report: Vec<(&'static str, String)>,
    views: Vec<(String, String)>,
}

/// Which page: approvals (with the report for those who may read it), or the report alone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Approvals,
    Report,
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    flash: &str,
    error: Option<&AppError>,
) -> Response {
    show_section(state, p, ctx, flash, error, Section::Approvals).await
}

async fn show_section(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    flash: &str,
    error: Option<&AppError>,
    section: Section,
) -> Response {
    let result = async {
        let tz = state.app.config().timezone();
        let data = state
            .app
            .points_page(p, section == Section::Approvals)
            .await?;
        let can_adjust = data.can_adjust;
        let can_report = data.liability.is_some();
        let pending = data
            .pending
            .into_iter()
            .map(|a| PendingLine {
                id: a.id,
                customer_id: a.customer_id,
                customer: a.customer_name,
                points: a.points,
                reason: ctx.lang.stored(&a.reason),
                by: a.requested_by_name,
                at: when(a.requested_at, ctx.lang, &tz),
            })
            .collect();
        let mut report = Vec::new();
        if let Some((l, rate)) = data.liability {
            let value = |points: i64| format_yuan(points.saturating_mul(100) / rate.max(1));
            let breakage = if l.earned_year > 0 {
                format!(
                    "{:.1}%",
                    l.expired_year as f64 * 100.0 / l.earned_year as f64
                )
            } else {
                "—".into()
            };
            report = vec![
                (
                    "points.outstanding",
                    format!("{} ({})", l.outstanding, value(l.outstanding)),
                ),
                ("points.members", l.members.to_string()),
                ("points.owed", l.owed.to_string()),
                (
                    "points.expiring_30",
                    format!("{} ({})", l.expiring_30, value(l.expiring_30)),
                ),
                (
                    "points.expiring_90",
                    format!("{} ({})", l.expiring_90, value(l.expiring_90)),
                ),
                ("points.earned_year", l.earned_year.to_string()),
                ("points.redeemed_year", l.redeemed_year.to_string()),
                ("points.expired_year", l.expired_year.to_string()),
                ("points.breakage", breakage),
            ];
        }
        let (title, current) = match section {
            Section::Approvals => ("points.title", "/console/points"),
            Section::Report => ("points.liability", "/console/reports/points"),
        };
        let mut page = Page::console(ctx.lang, p, title, current).with_flash(flash);
        if let Some(e) = error {
            page = page.with_error(e);
        }
        let views = super::recipients::labelled(data.choices, ctx.lang.t("segment.prefix"));
        Ok::<_, AppError>(render(&PointsPage {
            views,
            page,
            pending,
            can_adjust,
            can_report,
            report,
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

pub async fn points_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(flash): Query<Flash>,
) -> Response {
    show(&state, &p, &ctx, &flash.ok, None).await
}

pub async fn liability_page(State(state): State<AppState>, Staff(p, ctx): Staff) -> Response {
    show_section(&state, &p, &ctx, "", None, Section::Report).await
}

async fn decide(state: AppState, staff: Staff, id: i64, approve: bool) -> Response {
    let Staff(p, ctx) = staff;
    match state
        .app
        .decide_adjustment(&p.actor(ctx.rid()), p.scope(), id, approve)
        .await
    {
        Ok(()) => see_other("/console/points?ok=adjustment_decided"),
        Err(e) => {
            crate::console::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e)).await
            })
            .await
        }
    }
}

pub async fn approve(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    decide(state, staff, id, true).await
}

pub async fn reject(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    decide(state, staff, id, false).await
}

#[derive(Debug, Deserialize)]
pub struct AdjustForm {
    #[serde(default)]
    points: String,
    #[serde(default)]
    reason: String,
}

/// From the customer page: one member, with a reason.
pub async fn adjust(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(form): Form<AdjustForm>,
) -> Response {
    // Not a number reads as 0, which the use case refuses with the points message.
    let points: i64 = form
        .points
        .trim()
        .trim_start_matches('+')
        .parse()
        .unwrap_or_default();
    match state
        .app
        .adjust_points(&p.actor(ctx.rid()), p.scope(), &[id], points, &form.reason)
        .await
    {
        Ok(a) => see_other(&Tab::Points.after_save(
            id,
            if a.applied {
                "points_adjusted"
            } else {
                "adjustment_pending"
            },
        )),
        Err(e) => show_with_error(&state, &p, &ctx, id, Tab::Points, &e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    customers: String,
    #[serde(default)]
    view_id: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    reason: String,
}

/// Many members at once (a pasted list or a saved view): applied at once up to the
/// approval threshold (points × members), otherwise waiting for a second person.
pub async fn bulk(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<BulkForm>,
) -> Response {
    let result = async {
        let ids = state
            .app
            .bulk_recipients(&p, &form.customers, &form.view_id)
            .await?;
        let points: i64 = form
            .points
            .trim()
            .trim_start_matches('+')
            .parse()
            .unwrap_or_default();
        state
            .app
            .adjust_points(&p.actor(ctx.rid()), p.scope(), &ids, points, &form.reason)
            .await
    }
    .await;
    match result {
        Ok(a) => see_other(&format!(
            "/console/points?ok={}",
            if a.applied {
                "points_adjusted"
            } else {
                "adjustment_pending"
            }
        )),
        Err(e) => {
            crate::console::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e)).await
            })
            .await
        }
    }
}
