//! Points and coupon cost against the sales they went with, month by month.

use super::overview::OverviewQuery;
use super::{Field, ReportView, ViewTable, axis_yuan, query_of, store_field};
use crate::api::reports::{download, wants};
use crate::charts::{self, Chart, Series};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::Page;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::reports::Period;
use patron_app::reports::table;
use patron_app::security::Principal;

pub async fn page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<OverviewQuery>,
) -> Response {
    let mut view = ReportView::new(
        Page::console(
            ctx.lang,
            &p,
            "reports.loyalty.title",
            "/console/reports/loyalty",
        ),
        "/console/reports/loyalty",
    );
    let built = build(&state, &p, &ctx, &q, &mut view).await;
    super::answer(built, &ctx, view)
}

async fn build(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    q: &OverviewQuery,
    view: &mut ReportView,
) -> Result<Option<Response>, AppError> {
    let app = &state.app;
    let lang = ctx.lang;
    let period = if q.from.trim().is_empty() && q.to.trim().is_empty() {
        let today = app.report_today();
        let (from, _) = patron_app::reports::cohorts::recent_months(today, 12);
        Period::parse(&format!("{from}-01"), &today.to_string())?
    } else {
        Period::parse(&q.from, &q.to)?
    };
    let (from, to) = (period.from.to_string(), period.to.to_string());
    view.fields = vec![
        Field::Date {
            name: "from",
            label: "reports.from",
            value: from.clone(),
        },
        Field::Date {
            name: "to",
            label: "reports.to",
            value: to.clone(),
        },
    ];
    view.fields
        .extend(store_field(app, p, lang, &q.store).await?);
    let store = Some(q.store.as_str()).filter(|s| !s.is_empty());
    let r = app.loyalty_cost_report(p.scope(), period, store).await?;
    let t = table::loyalty_table(&r, lang);
    if let Some(kind) = wants(&q.format)? {
        return download(&t, kind, &format!("loyalty-{from}-{to}")).map(Some);
    }
    let categories: Vec<String> = r.months.iter().map(|m| m.month.clone()).collect();
    let cost = [
        Series::new(
            lang.t("reports.col.points_value"),
            r.months.iter().map(|m| m.points_value_fen as f64).collect(),
        ),
        Series::new(
            lang.t("reports.col.coupon"),
            r.months.iter().map(|m| m.coupon_fen as f64).collect(),
        ),
    ];
    view.charts.push(charts::stacked_bars(&Chart {
        title: lang.t("reports.loyalty.title"),
        x_label: lang.t("reports.axis.month"),
        y_label: lang.t("reports.axis.amount"),
        categories: &categories,
        series: &cost,
        format: &axis_yuan,
        empty: lang.t("reports.no_data"),
    }));
    let driven = [
        Series::new(
            lang.t("reports.col.points_sales"),
            r.months.iter().map(|m| m.points_sales_fen as f64).collect(),
        ),
        Series::new(
            lang.t("reports.col.coupon_sales"),
            r.months.iter().map(|m| m.coupon_sales_fen as f64).collect(),
        ),
        Series::new(
            lang.t("reports.col.net_sales"),
            r.months.iter().map(|m| m.net_sales_fen as f64).collect(),
        ),
    ];
    view.charts.push(charts::line(&Chart {
        title: lang.t("reports.col.net_sales"),
        x_label: lang.t("reports.axis.month"),
        y_label: lang.t("reports.axis.amount"),
        categories: &categories,
        series: &driven,
        format: &axis_yuan,
        empty: lang.t("reports.no_data"),
    }));
    view.tables.push(ViewTable::of("loyalty-table", &t));
    view.set_exports(&query_of(&[
        ("from", &from),
        ("to", &to),
        ("store", &q.store),
    ]));
    Ok(None)
}
