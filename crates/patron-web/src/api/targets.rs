//! Sales targets over the API: a year of each store's net sales against its monthly targets
//! (`report.read`; JSON, or the console's table as CSV or xlsx), and setting one store's
//! target for a month (`store.manage`). Amounts in fen, attainment as a fraction.

use crate::api::bad_json;
use crate::api::reports::{download, wants};
use crate::error::{Problem, WebError};
use crate::identity::Staff;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use patron_app::AppError;
use patron_app::reports::table;
use patron_app::reports::targets::{TargetInput, TargetMonth, TargetsReport};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams, Default)]
pub struct TargetsQuery {
    /// The year, `YYYY`; this year when absent.
    #[serde(default)]
    pub year: Option<i16>,
    /// A store code; every store in view when absent (store-bound roles get their own).
    #[serde(default)]
    pub store: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    #[serde(default)]
    pub format: String,
}

#[derive(Serialize, ToSchema)]
pub struct TargetMonthBody {
    /// `YYYY-MM`, or `YYYY` for the year.
    pub month: String,
    /// Absent when no target is set.
    pub target_fen: Option<i64>,
    /// Net sales of every store month in the line.
    pub net_sales_fen: i64,
    /// Net sales of the store months that have a target: what the target is held against.
    pub targeted_sales_fen: i64,
    /// `targeted_sales_fen ÷ target_fen`; absent without a target above 0.
    pub attainment: Option<f64>,
}

impl From<&TargetMonth> for TargetMonthBody {
    fn from(m: &TargetMonth) -> Self {
        TargetMonthBody {
            month: m.month.clone(),
            target_fen: m.target_fen,
            net_sales_fen: m.net_sales_fen,
            targeted_sales_fen: m.targeted_sales_fen,
            attainment: m.attainment,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TargetLineBody {
    /// The store's code; empty for the total of all stores in view.
    pub store: String,
    pub name: String,
    pub months: Vec<TargetMonthBody>,
    pub year: TargetMonthBody,
}

#[derive(Serialize, ToSchema)]
pub struct TargetsBody {
    pub year: i16,
    pub lines: Vec<TargetLineBody>,
}

impl From<&TargetsReport> for TargetsBody {
    fn from(r: &TargetsReport) -> Self {
        TargetsBody {
            year: r.year,
            lines: r
                .lines
                .iter()
                .map(|l| TargetLineBody {
                    store: l.code.clone(),
                    name: l.name.clone(),
                    months: l.months.iter().map(TargetMonthBody::from).collect(),
                    year: TargetMonthBody::from(&l.year),
                })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/reports/targets", tag = "reports", params(TargetsQuery),
    description = "Each store's net sales (sales less refunds) month by month against its monthly target, with the year; for more than one store also their total. A total's target is the sum of the targets set, held against the net sales of the store months that have one (`targeted_sales_fen`).",
    responses((status = 200, body = TargetsBody), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn targets(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<TargetsQuery>,
) -> Response {
    let run = async {
        let kind = wants(&q.format)?;
        let year = match q.year {
            Some(y) if (2000..=9999).contains(&y) => y,
            Some(_) => {
                return Err(patron_domain::FieldError::new("year", "error.report.year").into());
            }
            None => state.app.report_today().year(),
        };
        let r = state
            .app
            .sales_targets(p.scope(), year, q.store.as_deref())
            .await?;
        match kind {
            Some(k) => download(
                &table::targets_table(&r, ctx.lang),
                k,
                &format!("targets-{year}"),
            ),
            None => Ok(Json(TargetsBody::from(&r)).into_response()),
        }
    };
    match run.await {
        Ok(resp) => resp,
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct TargetBody {
    /// The store's code.
    pub store: String,
    /// `YYYY-MM`.
    pub month: String,
    /// The month's net-sales target in fen, 0 or more.
    pub target_fen: i64,
}

#[utoipa::path(put, path = "/api/v1/reports/targets", tag = "reports", request_body = TargetBody,
    description = "Sets (or replaces) one store's net-sales target for one month. Audited.",
    responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_target(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    body: Result<Json<TargetBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let input = TargetInput {
        store: b.store,
        month: b.month,
        target_fen: Some(b.target_fen),
    };
    let done: Result<(), AppError> = state
        .app
        .set_sales_target(&p.actor(ctx.rid()), p.scope(), &input)
        .await;
    match done {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}
