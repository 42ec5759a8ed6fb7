//! Customer indicators over time: the period's figures against the period before and a year
//! earlier, and month by month the members active, first-time buyers and new files, with the
//! repeat-purchase and retention rates.

use super::{
    Card, Field, ReportView, ViewTable, axis_count, axis_share, change_for, query_of, store_field,
};
use crate::api::reports::{download, months, wants};
use crate::charts::{self, Chart, Series};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::Page;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::reports::Period;
use patron_app::reports::table::{Cell, ReportTable, figure_cell, figure_value};
use patron_app::security::Principal;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct MonthsQuery {
    #[serde(default)]
    pub from_month: String,
    #[serde(default)]
    pub to_month: String,
    #[serde(default)]
    pub store: String,
    #[serde(default)]
    pub format: String,
}

/// The figures this page follows month by month.
const TRACKED: [&str; 8] = [
    "active_customers",
    "first_time_buyers",
    "new_customers",
    "repeat_rate",
    "retention_rate",
    "churn_rate",
    "purchase_frequency",
    "member_sales_share",
];

pub async fn page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<MonthsQuery>,
) -> Response {
    let mut view = ReportView::new(
        Page::console(
            ctx.lang,
            &p,
            "reports.customers.title",
            "/console/reports/customers",
        ),
        "/console/reports/customers",
    );
    let built = build(&state, &p, &ctx, &q, &mut view).await;
    super::answer(built, &ctx, view)
}

/// The months typed, else the last twelve.
pub fn months_or_default(app: &patron_app::App, q: &MonthsQuery) -> (String, String) {
    if q.from_month.trim().is_empty() && q.to_month.trim().is_empty() {
        patron_app::reports::cohorts::recent_months(app.report_today(), 12)
    } else {
        (q.from_month.clone(), q.to_month.clone())
    }
}

pub fn month_fields(from: &str, to: &str) -> Vec<Field> {
    vec![
        Field::Month {
            name: "from_month",
            label: "reports.from_month",
            value: from.to_string(),
        },
        Field::Month {
            name: "to_month",
            label: "reports.to_month",
            value: to.to_string(),
        },
    ]
}

async fn build(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    q: &MonthsQuery,
    view: &mut ReportView,
) -> Result<Option<Response>, AppError> {
    let app = &state.app;
    let lang = ctx.lang;
    let (from_text, to_text) = months_or_default(app, q);
    view.fields = month_fields(&from_text, &to_text);
    view.fields
        .extend(store_field(app, p, lang, &q.store).await?);
    let (from, to) = months(&from_text, &to_text)?;
    let store = Some(q.store.as_str()).filter(|s| !s.is_empty());
    let monthly = app.monthly_figures(p.scope(), from, to, store).await?;
    let mut t = ReportTable {
        title: lang.t("reports.customers.title").to_string(),
        headers: std::iter::once(lang.t("reports.axis.month").to_string())
            .chain(
                TRACKED
                    .iter()
                    .map(|k| lang.t(&format!("reports.fig.{k}")).to_string()),
            )
            .collect(),
        rows: Vec::new(),
    };
    for f in &monthly {
        let mut row = vec![Cell::Text(f.from[..7].to_string())];
        row.extend(TRACKED.iter().map(|k| figure_cell(f, k)));
        t.rows.push(row);
    }
    if let Some(kind) = wants(&q.format)? {
        return download(&t, kind, &format!("customers-{from_text}-{to_text}")).map(Some);
    }
    if let (Some(first), Some(last)) = (monthly.first(), monthly.last()) {
        let period = Period::parse(&first.from, &last.to)?;
        let s = app.report_summary(p.scope(), period, store).await?;
        for key in TRACKED {
            let series: Vec<f64> = monthly
                .iter()
                .map(|f| figure_value(f, key).unwrap_or(f64::NAN))
                .collect();
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
                spark: charts::sparkline(&series, lang.t(&format!("reports.fig.{key}"))),
            });
        }
    }
    let categories: Vec<String> = monthly.iter().map(|f| f.from[..7].to_string()).collect();
    let counts: Vec<Series> = ["active_customers", "first_time_buyers", "new_customers"]
        .iter()
        .map(|k| {
            Series::new(
                lang.t(&format!("reports.fig.{k}")),
                monthly
                    .iter()
                    .map(|f| figure_value(f, k).unwrap_or(f64::NAN))
                    .collect(),
            )
        })
        .collect();
    view.charts.push(charts::bars(&Chart {
        title: lang.t("reports.customers.title"),
        x_label: lang.t("reports.axis.month"),
        y_label: lang.t("reports.axis.members"),
        categories: &categories,
        series: &counts,
        format: &axis_count,
        empty: lang.t("reports.no_data"),
    }));
    let rates: Vec<Series> = ["repeat_rate", "retention_rate", "member_sales_share"]
        .iter()
        .map(|k| {
            Series::new(
                lang.t(&format!("reports.fig.{k}")),
                monthly
                    .iter()
                    .map(|f| figure_value(f, k).unwrap_or(f64::NAN))
                    .collect(),
            )
        })
        .collect();
    view.charts.push(charts::line(&Chart {
        title: lang.t("reports.axis.share"),
        x_label: lang.t("reports.axis.month"),
        y_label: lang.t("reports.axis.share"),
        categories: &categories,
        series: &rates,
        format: &axis_share,
        empty: lang.t("reports.no_data"),
    }));
    view.tables.push(ViewTable::of("customers-table", &t));
    view.set_exports(&query_of(&[
        ("from_month", &from_text),
        ("to_month", &to_text),
        ("store", &q.store),
    ]));
    Ok(None)
}
