//! Sales by day, week, month, store, category, product, staff, hour, weekday or member: a
//! chart suited to the grouping (a line over time, bars for the rest, the top and bottom
//! sellers for products, the weekday by hour heat map beside hours and weekdays) and the
//! table.

use super::{Field, ReportView, ViewTable, axis_yuan, period_or_default, query_of, store_field};
use crate::api::reports::{download, wants};
use crate::charts::{self, Chart, HeatMap, Series};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::Page;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::reports::sales::{GroupBy, SalesReport};
use patron_app::reports::table::{self, sales_label};
use patron_app::security::Principal;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct SalesQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub store: String,
    #[serde(default)]
    pub group_by: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub staff: String,
    #[serde(default)]
    pub format: String,
}

pub async fn page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<SalesQuery>,
) -> Response {
    let mut view = ReportView::new(
        Page::console(
            ctx.lang,
            &p,
            "reports.sales.title",
            "/console/reports/sales",
        ),
        "/console/reports/sales",
    );
    let built = build(&state, &p, &ctx, &q, &mut view).await;
    super::answer(built, &ctx, view)
}

async fn build(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    q: &SalesQuery,
    view: &mut ReportView,
) -> Result<Option<Response>, AppError> {
    let app = &state.app;
    let lang = ctx.lang;
    let by = if q.group_by.trim().is_empty() {
        GroupBy::Day
    } else {
        GroupBy::parse(&q.group_by).unwrap_or(GroupBy::Day)
    };
    let period = period_or_default(app, &q.from, &q.to);
    let (from, to) = match &period {
        Ok(p) => (p.from.to_string(), p.to.to_string()),
        Err(_) => (q.from.clone(), q.to.clone()),
    };
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
        Field::Select {
            name: "group_by",
            label: "reports.group_by",
            options: GroupBy::ALL
                .iter()
                .map(|g| {
                    (
                        g.code().to_string(),
                        lang.t(&format!("reports.group.{}", g.code())).to_string(),
                        *g == by,
                    )
                })
                .collect(),
        },
    ];
    view.fields
        .extend(store_field(app, p, lang, &q.store).await?);
    let categories = app.product_categories().await?;
    let mut options = vec![(
        String::new(),
        lang.t("reports.all_categories").to_string(),
        q.category.is_empty(),
    )];
    options.extend(categories.into_iter().map(|(code, name)| {
        let chosen = code == q.category;
        (code, name, chosen)
    }));
    view.fields.push(Field::Select {
        name: "category",
        label: "reports.category",
        options,
    });
    view.fields.push(Field::Text {
        name: "staff",
        label: "reports.staff",
        value: q.staff.clone(),
    });
    let period = period?;
    let ask = crate::api::reports::sales_ask(
        &Some(q.store.clone()),
        &Some(q.category.clone()),
        &Some(q.staff.clone()),
    );
    let r = app.sales_report(p.scope(), period, by, &ask).await?;
    let t = table::sales_table(&r, lang);
    if let Some(kind) = wants(&q.format)? {
        return download(&t, kind, &format!("sales-{}-{from}-{to}", by.code())).map(Some);
    }
    chart(view, &r, lang);
    if matches!(by, GroupBy::Hour | GroupBy::Weekday)
        && ask.category.is_none()
        && ask.staff.is_none()
    {
        let heat = app
            .sales_heat_map(p.scope(), period, ask.store.as_deref())
            .await?;
        let hours: Vec<usize> = (0..24)
            .filter(|h| heat.iter().any(|w| w[*h] != 0))
            .collect();
        let columns: Vec<String> = hours.iter().map(|h| format!("{h}")).collect();
        let rows: Vec<String> = (1..=7)
            .map(|d| lang.t(&format!("reports.weekday.{d}")).to_string())
            .collect();
        let cells: Vec<Vec<Option<f64>>> = heat
            .iter()
            .map(|w| hours.iter().map(|h| Some(w[*h] as f64)).collect())
            .collect();
        view.charts.push(charts::heat_map(&HeatMap {
            title: lang.t("reports.heat.title"),
            x_label: lang.t("reports.axis.hour"),
            y_label: lang.t("reports.axis.weekday"),
            columns: &columns,
            rows: &rows,
            cells: &cells,
            format: &axis_yuan,
            empty: lang.t("reports.no_data"),
        }));
    }
    view.tables.push(ViewTable::of("sales-table", &t));
    view.set_exports(&query_of(&[
        ("from", &from),
        ("to", &to),
        ("group_by", by.code()),
        ("store", &q.store),
        ("category", &q.category),
        ("staff", &q.staff),
    ]));
    Ok(None)
}

/// The chart that suits the grouping.
fn chart(view: &mut ReportView, r: &SalesReport, lang: crate::i18n::Lang) {
    let title = format!(
        "{} · {}",
        lang.t("reports.col.net_sales"),
        lang.t(&format!("reports.group.{}", r.group_by.code()))
    );
    let empty = lang.t("reports.no_data");
    let y_label = lang.t("reports.axis.amount");
    let label = |row: &patron_app::reports::sales::SalesRow| {
        sales_label(r.group_by, &row.key, &row.name, lang)
    };
    let x_label = match r.group_by {
        GroupBy::Day | GroupBy::Week => lang.t("reports.axis.day"),
        GroupBy::Month => lang.t("reports.axis.month"),
        GroupBy::Hour => lang.t("reports.axis.hour"),
        GroupBy::Weekday => lang.t("reports.axis.weekday"),
        _ => lang.t(&format!("reports.group.{}", r.group_by.code())),
    };
    match r.group_by {
        GroupBy::Day | GroupBy::Week | GroupBy::Month => {
            let categories: Vec<String> = r.rows.iter().map(label).collect();
            let series = [
                Series::new(
                    lang.t("reports.col.net_sales"),
                    r.rows.iter().map(|x| x.net_sales_fen as f64).collect(),
                ),
                Series::new(
                    lang.t("reports.col.refund"),
                    r.rows.iter().map(|x| x.refund_fen as f64).collect(),
                ),
            ];
            view.charts.push(charts::line(&Chart {
                title: &title,
                x_label,
                y_label,
                categories: &categories,
                series: &series,
                format: &axis_yuan,
                empty,
            }));
        }
        GroupBy::Product => {
            let top: Vec<_> = r.rows.iter().take(10).collect();
            let mut bottom: Vec<_> = r.rows.iter().rev().take(10).collect();
            bottom.reverse();
            for (key, rows) in [("reports.top", top), ("reports.bottom", bottom)] {
                let categories: Vec<String> = rows.iter().map(|x| label(x)).collect();
                let series = [Series::new(
                    lang.t("reports.col.net_sales"),
                    rows.iter().map(|x| x.net_sales_fen as f64).collect(),
                )];
                let t = format!("{} · {}", lang.t("reports.col.net_sales"), lang.t(key));
                view.charts.push(charts::horizontal_bars(&Chart {
                    title: &t,
                    x_label,
                    y_label,
                    categories: &categories,
                    series: &series,
                    format: &axis_yuan,
                    empty,
                }));
            }
        }
        GroupBy::Store | GroupBy::Category | GroupBy::Staff => {
            let categories: Vec<String> = r.rows.iter().map(label).collect();
            let series = [Series::new(
                lang.t("reports.col.net_sales"),
                r.rows.iter().map(|x| x.net_sales_fen as f64).collect(),
            )];
            view.charts.push(charts::horizontal_bars(&Chart {
                title: &title,
                x_label,
                y_label,
                categories: &categories,
                series: &series,
                format: &axis_yuan,
                empty,
            }));
        }
        GroupBy::Hour | GroupBy::Weekday | GroupBy::Member => {
            let categories: Vec<String> = r.rows.iter().map(label).collect();
            let series = [Series::new(
                lang.t("reports.col.net_sales"),
                r.rows.iter().map(|x| x.net_sales_fen as f64).collect(),
            )];
            view.charts.push(charts::bars(&Chart {
                title: &title,
                x_label,
                y_label,
                categories: &categories,
                series: &series,
                format: &axis_yuan,
                empty,
            }));
        }
    }
}
