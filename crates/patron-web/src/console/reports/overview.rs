//! The overview: the period's headline figures against the previous period and a year
//! earlier, and the period's net sales day by day beside the same days a year before.

use super::{
    Card, Field, ReportView, ViewTable, axis_yuan, change_for, period_or_default, query_of,
    store_field,
};
use crate::api::reports::{download, wants};
use crate::charts::{self, Chart, Series};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::Page;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::reports::sales::{GroupBy, SalesAsk};
use patron_app::reports::table::{self, FIGURES, figure_cell, figure_value};
use patron_app::security::Principal;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct OverviewQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub store: String,
    #[serde(default)]
    pub format: String,
}

/// The other reports, linked from the overview.
pub const REPORT_LINKS: [(&str, &str); 7] = [
    ("reports.sales.title", "/console/reports/sales"),
    ("reports.customers.title", "/console/reports/customers"),
    ("reports.cohorts.title", "/console/reports/cohorts"),
    ("reports.loyalty.title", "/console/reports/loyalty"),
    ("nav.points_report", "/console/reports/points"),
    ("nav.service_reports", "/console/service/reports"),
    ("nav.surveys", "/console/surveys"),
];

pub async fn page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<OverviewQuery>,
) -> Response {
    let mut view = ReportView::new(
        Page::console(ctx.lang, &p, "reports.summary.title", "/console/reports"),
        "/console/reports",
    );
    view.links = REPORT_LINKS.to_vec();
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
    view.fields = vec![
        Field::Date {
            name: "from",
            label: "reports.from",
            value: q.from.clone(),
        },
        Field::Date {
            name: "to",
            label: "reports.to",
            value: q.to.clone(),
        },
    ];
    view.fields
        .extend(store_field(app, p, lang, &q.store).await?);
    let period = period_or_default(app, &q.from, &q.to)?;
    let (from, to) = (period.from.to_string(), period.to.to_string());
    view.fields[0] = Field::Date {
        name: "from",
        label: "reports.from",
        value: from.clone(),
    };
    view.fields[1] = Field::Date {
        name: "to",
        label: "reports.to",
        value: to.clone(),
    };
    let store = Some(q.store.as_str()).filter(|s| !s.is_empty());
    let s = app.report_summary(p.scope(), period, store).await?;
    let t = table::summary_table(&s, lang);
    if let Some(kind) = wants(&q.format)? {
        return download(&t, kind, &format!("summary-{from}-{to}")).map(Some);
    }
    let ask = SalesAsk {
        store: store.map(String::from),
        ..SalesAsk::default()
    };
    let days = app
        .sales_report(p.scope(), period, GroupBy::Day, &ask)
        .await?;
    let year_ago = app
        .sales_report(p.scope(), period.year_ago(), GroupBy::Day, &ask)
        .await?;
    for key in FIGURES {
        view.cards.push(Card {
            id: key,
            label: lang.t(&format!("reports.fig.{key}")).to_string(),
            definition: lang.t(&format!("reports.def.{key}")).to_string(),
            value: figure_cell(&s.figures, key).display(),
            vs_previous: change_for(
                key,
                figure_value(&s.figures, key),
                figure_value(&s.previous, key),
            ),
            vs_year_ago: change_for(
                key,
                figure_value(&s.figures, key),
                figure_value(&s.year_ago, key),
            ),
            spark: String::new(),
        });
    }
    let categories: Vec<String> = days.rows.iter().map(|r| r.key.clone()).collect();
    let series = [
        Series::new(
            format!("{from} ~ {to}"),
            days.rows.iter().map(|r| r.net_sales_fen as f64).collect(),
        ),
        Series::new(
            lang.t("reports.col.year_ago"),
            year_ago
                .rows
                .iter()
                .map(|r| r.net_sales_fen as f64)
                .collect(),
        ),
    ];
    view.charts.push(charts::line(&Chart {
        title: lang.t("reports.col.net_sales"),
        x_label: lang.t("reports.axis.day"),
        y_label: lang.t("reports.axis.amount"),
        categories: &categories,
        series: &series,
        format: &axis_yuan,
        empty: lang.t("reports.no_data"),
    }));
    view.tables.push(ViewTable::of("summary-table", &t));
    let query = query_of(&[("from", &from), ("to", &to), ("store", &q.store)]);
    view.set_exports(&query);
    Ok(None)
}
