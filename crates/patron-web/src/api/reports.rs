//! Reports over the API (`report.read`): the summary with its comparisons, sales by any
//! grouping, cohorts and the lifecycle flow. Each answers JSON, or with `format=csv` or
//! `format=xlsx` the same table the console exports. Store-bound roles get their own store.

use crate::error::{Problem, WebError};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use patron_app::AppError;
use patron_app::reports::cohorts::parse_month;
use patron_app::reports::cohorts::{CohortReport, LifecycleReport};
use patron_app::reports::sales::{GroupBy, SalesAsk, SalesReport, SalesRow};
use patron_app::reports::summary::{Figures, Summary};
use patron_app::reports::table::{self, ReportTable};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The answer's form: `json` (default), `csv` or `xlsx`.
pub(crate) fn wants(format: &str) -> Result<Option<&'static str>, AppError> {
    match format.trim() {
        "" | "json" => Ok(None),
        "csv" => Ok(Some("csv")),
        "xlsx" => Ok(Some("xlsx")),
        _ => Err(patron_domain::FieldError::new("format", "error.report.format").into()),
    }
}

/// A table as a download named `name`.
pub(crate) fn download(t: &ReportTable, kind: &str, name: &str) -> Result<Response, AppError> {
    let (bytes, mime) = match kind {
        "csv" => (table::to_csv(t)?, "text/csv; charset=utf-8"),
        _ => (
            table::to_xlsx(t)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{kind}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// First day, `YYYY-MM-DD`, in each store's time zone (with `to` absent too: the first of
    /// this month).
    #[serde(default)]
    pub from: String,
    /// Last day, `YYYY-MM-DD` (inclusive; default today).
    #[serde(default)]
    pub to: String,
    /// A store code; the whole chain when absent (store-bound roles always get their store).
    #[serde(default)]
    pub store: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    #[serde(default)]
    pub format: String,
}

/// The figures of one period. Rates are fractions 0–1, amounts fen; a figure whose
/// denominator is zero is null. `nps` is in points (−100 to 100).
#[derive(Serialize, ToSchema)]
pub struct FiguresBody {
    pub from: String,
    pub to: String,
    pub net_sales_fen: i64,
    pub receipts: i64,
    pub average_order_fen: Option<i64>,
    pub items_per_receipt: Option<f64>,
    pub member_sales_share: Option<f64>,
    pub active_customers: u64,
    pub new_customers: u64,
    pub first_time_buyers: u64,
    pub repeat_rate: Option<f64>,
    pub retention_rate: Option<f64>,
    pub churn_rate: Option<f64>,
    pub purchase_frequency: Option<f64>,
    pub csat: Option<f64>,
    pub nps: Option<f64>,
    pub csat_answers: i64,
    pub nps_answers: i64,
}

impl From<Figures> for FiguresBody {
    fn from(f: Figures) -> Self {
        FiguresBody {
            from: f.from,
            to: f.to,
            net_sales_fen: f.net_sales_fen,
            receipts: f.receipts,
            average_order_fen: f.average_order_fen,
            items_per_receipt: f.items_per_receipt,
            member_sales_share: f.member_sales_share,
            active_customers: f.active_customers,
            new_customers: f.new_customers,
            first_time_buyers: f.first_time_buyers,
            repeat_rate: f.repeat_rate,
            retention_rate: f.retention_rate,
            churn_rate: f.churn_rate,
            purchase_frequency: f.purchase_frequency,
            csat: f.csat,
            nps: f.nps,
            csat_answers: f.csat_answers,
            nps_answers: f.nps_answers,
        }
    }
}

/// A period's figures (at the top level), the previous period of the same length (环比) and
/// the same dates a year earlier (同比).
#[derive(Serialize, ToSchema)]
pub struct SummaryBody {
    /// The store's code; null for the whole chain.
    pub store: Option<String>,
    #[serde(flatten)]
    pub figures: FiguresBody,
    pub previous: FiguresBody,
    pub year_ago: FiguresBody,
}

impl From<Summary> for SummaryBody {
    fn from(s: Summary) -> Self {
        SummaryBody {
            store: s.store,
            figures: s.figures.into(),
            previous: s.previous.into(),
            year_ago: s.year_ago.into(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "reports", params(SummaryQuery),
    responses((status = 200, body = SummaryBody, description = "JSON; with format=csv or xlsx, the table as a file"),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn summary(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<SummaryQuery>,
) -> Response {
    let run = async {
        let kind = wants(&q.format)?;
        let period = patron_app::reports::Period::parse_or_month_to_date(
            &q.from,
            &q.to,
            state.app.report_today(),
        )?;
        let s = state
            .app
            .report_summary(p.scope(), period, q.store.as_deref())
            .await?;
        match kind {
            Some(k) => download(
                &table::summary_table(&s, ctx.lang),
                k,
                &format!("summary-{}-{}", s.figures.from, s.figures.to),
            ),
            None => Ok(Json(SummaryBody::from(s)).into_response()),
        }
    };
    answer(run.await, &ctx)
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct SalesQuery {
    /// As for the summary: default this month so far.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// `day`, `week`, `month`, `store`, `category`, `product`, `staff`, `hour`, `weekday` or
    /// `member` (default `day`).
    #[serde(default)]
    pub group_by: String,
    #[serde(default)]
    pub store: Option<String>,
    /// A category code.
    #[serde(default)]
    pub category: Option<String>,
    /// A staff member's username.
    #[serde(default)]
    pub staff: Option<String>,
    #[serde(default)]
    pub format: String,
}

/// One group of a sales report (see the route's description for the keys).
#[derive(Serialize, ToSchema)]
pub struct SalesRowBody {
    pub key: String,
    pub name: String,
    pub receipts: i64,
    pub items: i64,
    pub net_fen: i64,
    pub refund_fen: i64,
    pub net_sales_fen: i64,
    pub average_order_fen: Option<i64>,
    pub share: Option<f64>,
    /// Products only: `A`, `B` or `C`.
    pub abc: Option<String>,
}

impl From<SalesRow> for SalesRowBody {
    fn from(r: SalesRow) -> Self {
        SalesRowBody {
            key: r.key,
            name: r.name,
            receipts: r.receipts,
            items: r.items,
            net_fen: r.net_fen,
            refund_fen: r.refund_fen,
            net_sales_fen: r.net_sales_fen,
            average_order_fen: r.average_order_fen,
            share: r.share,
            abc: r.abc.map(String::from),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SalesBody {
    pub group_by: String,
    pub from: String,
    pub to: String,
    pub store: Option<String>,
    pub rows: Vec<SalesRowBody>,
    pub total: SalesRowBody,
}

impl From<SalesReport> for SalesBody {
    fn from(r: SalesReport) -> Self {
        SalesBody {
            group_by: r.group_by.code().to_string(),
            from: r.from,
            to: r.to,
            store: r.store,
            rows: r.rows.into_iter().map(Into::into).collect(),
            total: r.total.into(),
        }
    }
}

/// The ask of a sales query, for the API and the console alike.
pub(crate) fn sales_ask(
    store: &Option<String>,
    category: &Option<String>,
    staff: &Option<String>,
) -> SalesAsk {
    let keep = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    SalesAsk {
        store: keep(store),
        category: keep(category),
        staff: keep(staff),
    }
}

#[utoipa::path(get, path = "/api/v1/reports/sales", tag = "reports", params(SalesQuery),
    description = "Keys by grouping: day `YYYY-MM-DD`; week the date of its Monday; month `YYYY-MM`; store its code; category its code; product its SKU; staff the username (empty: none recorded); hour `0`–`23`; weekday `1` (Monday) to `7`; member `member` or `walk_in`. Amounts in fen; refunds count on their own day.",
    responses((status = 200, body = SalesBody), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn sales(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<SalesQuery>,
) -> Response {
    let run = async {
        let kind = wants(&q.format)?;
        let period = patron_app::reports::Period::parse_or_month_to_date(
            &q.from,
            &q.to,
            state.app.report_today(),
        )?;
        let by = if q.group_by.trim().is_empty() {
            GroupBy::Day
        } else {
            GroupBy::parse(&q.group_by)?
        };
        let ask = sales_ask(&q.store, &q.category, &q.staff);
        let r = state.app.sales_report(p.scope(), period, by, &ask).await?;
        match kind {
            Some(k) => download(
                &table::sales_table(&r, ctx.lang),
                k,
                &format!("sales-{}-{}-{}", by.code(), r.from, r.to),
            ),
            None => Ok(Json(SalesBody::from(r)).into_response()),
        }
    };
    answer(run.await, &ctx)
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct CohortQuery {
    /// First cohort month, `YYYY-MM` (with `to_month` absent too: the last twelve months).
    #[serde(default)]
    pub from_month: String,
    /// Last month followed, `YYYY-MM` (fewer than 36 months after `from_month`).
    #[serde(default)]
    pub to_month: String,
    #[serde(default)]
    pub store: Option<String>,
    #[serde(default)]
    pub format: String,
}

impl CohortQuery {
    /// The months asked for, or the last twelve when neither is given.
    fn months(&self, app: &patron_app::App) -> Result<(i64, i64), AppError> {
        if self.from_month.trim().is_empty() && self.to_month.trim().is_empty() {
            let (f, t) = patron_app::reports::cohorts::recent_months(app.report_today(), 12);
            months(&f, &t)
        } else {
            months(&self.from_month, &self.to_month)
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CohortBody {
    /// `YYYY-MM` of the members' first sale.
    pub month: String,
    pub size: u64,
    /// Members with a sale k months after their first, k = 0, 1, …
    pub active: Vec<u64>,
    /// `active[k] / size` (fractions); null for an empty cohort.
    pub retention: Vec<Option<f64>>,
}

#[derive(Serialize, ToSchema)]
pub struct CohortsBody {
    pub from_month: String,
    pub to_month: String,
    pub store: Option<String>,
    pub cohorts: Vec<CohortBody>,
}

impl From<CohortReport> for CohortsBody {
    fn from(r: CohortReport) -> Self {
        CohortsBody {
            from_month: r.from_month,
            to_month: r.to_month,
            store: r.store,
            cohorts: r
                .cohorts
                .into_iter()
                .map(|c| CohortBody {
                    month: c.month,
                    size: c.size,
                    active: c.active,
                    retention: c.retention,
                })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/reports/cohorts", tag = "reports", params(CohortQuery),
    responses((status = 200, body = CohortsBody), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn cohorts(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<CohortQuery>,
) -> Response {
    let run = async {
        let kind = wants(&q.format)?;
        let (from, to) = q.months(&state.app)?;
        let r = state
            .app
            .cohort_report(p.scope(), from, to, q.store.as_deref())
            .await?;
        match kind {
            Some(k) => download(
                &table::cohort_table(&r, ctx.lang),
                k,
                &format!("cohorts-{}-{}", r.from_month, r.to_month),
            ),
            None => Ok(Json(CohortsBody::from(r)).into_response()),
        }
    };
    answer(run.await, &ctx)
}

#[derive(Serialize, ToSchema)]
pub struct LifecycleMonthBody {
    pub month: String,
    pub new: u64,
    pub active: u64,
    pub returning: u64,
    pub won_back: u64,
    pub lapsing: u64,
    pub lost: u64,
}

#[derive(Serialize, ToSchema)]
pub struct LifecycleBody {
    pub from_month: String,
    pub to_month: String,
    pub store: Option<String>,
    pub lost_after_months: i64,
    pub months: Vec<LifecycleMonthBody>,
}

impl From<LifecycleReport> for LifecycleBody {
    fn from(r: LifecycleReport) -> Self {
        LifecycleBody {
            from_month: r.from_month,
            to_month: r.to_month,
            store: r.store,
            lost_after_months: r.lost_after_months,
            months: r
                .months
                .into_iter()
                .map(|m| LifecycleMonthBody {
                    month: m.month,
                    new: m.new,
                    active: m.active,
                    returning: m.returning,
                    won_back: m.won_back,
                    lapsing: m.lapsing,
                    lost: m.lost,
                })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/reports/lifecycle", tag = "reports", params(CohortQuery),
    description = "Month by month: new (first sale), active (this month and last), returning (after 1–6 months without), won back (after being lost), lapsing (last month but not this), lost (6 full months without).",
    responses((status = 200, body = LifecycleBody), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn lifecycle(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<CohortQuery>,
) -> Response {
    let run = async {
        let kind = wants(&q.format)?;
        let (from, to) = q.months(&state.app)?;
        let r = state
            .app
            .lifecycle_report(p.scope(), from, to, q.store.as_deref())
            .await?;
        match kind {
            Some(k) => download(
                &table::lifecycle_table(&r, ctx.lang),
                k,
                &format!("lifecycle-{}-{}", r.from_month, r.to_month),
            ),
            None => Ok(Json(LifecycleBody::from(r)).into_response()),
        }
    };
    answer(run.await, &ctx)
}

/// Both months, every bad one named.
pub(crate) fn months(from: &str, to: &str) -> Result<(i64, i64), AppError> {
    match (parse_month("from_month", from), parse_month("to_month", to)) {
        (Ok(f), Ok(t)) => Ok((f, t)),
        (f, t) => {
            let fields = [f.err(), t.err()]
                .into_iter()
                .flatten()
                .flat_map(|e| e.field_errors().to_vec())
                .collect();
            Err(AppError::Fields(fields))
        }
    }
}

fn answer(r: Result<Response, AppError>, ctx: &Ctx) -> Response {
    match r {
        Ok(resp) => resp,
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_json_csv_or_xlsx() {
        assert_eq!(wants("").ok(), Some(None));
        assert_eq!(wants("xlsx").ok(), Some(Some("xlsx")));
        assert!(wants("pdf").is_err());
    }
}
