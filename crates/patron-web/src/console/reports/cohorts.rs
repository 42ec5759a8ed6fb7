//! Cohort retention (a heat map of the share of each first-purchase month's members buying
//! k months later) and the lifecycle flow month by month.

use super::customers::{MonthsQuery, month_fields, months_or_default};
use super::{ReportView, ViewTable, axis_count, axis_share, query_of, store_field};
use crate::api::reports::{download, months, wants};
use crate::charts::{self, Chart, HeatMap, Series};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::Page;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::reports::table;
use patron_app::security::Principal;

pub async fn page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<MonthsQuery>,
) -> Response {
    let mut view = ReportView::new(
        Page::console(
            ctx.lang,
            &p,
            "reports.cohorts.title",
            "/console/reports/cohorts",
        ),
        "/console/reports/cohorts",
    );
    let built = build(&state, &p, &ctx, &q, &mut view).await;
    super::answer(built, &ctx, view)
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
    let c = app.cohort_report(p.scope(), from, to, store).await?;
    let l = app.lifecycle_report(p.scope(), from, to, store).await?;
    let ct = table::cohort_table(&c, lang);
    let lt = table::lifecycle_table(&l, lang);
    if let Some(kind) = wants(&q.format)? {
        return download(&ct, kind, &format!("cohorts-{from_text}-{to_text}")).map(Some);
    }
    let width = c.cohorts.first().map_or(0, |x| x.retention.len());
    let columns: Vec<String> = (0..width).map(|k| k.to_string()).collect();
    let rows: Vec<String> = c
        .cohorts
        .iter()
        .map(|x| format!("{} ({})", x.month, x.size))
        .collect();
    let cells: Vec<Vec<Option<f64>>> = c
        .cohorts
        .iter()
        .map(|x| {
            (0..width)
                .map(|k| x.retention.get(k).copied().flatten())
                .collect()
        })
        .collect();
    let any = c.cohorts.iter().any(|x| x.size > 0);
    view.charts.push(charts::heat_map(&HeatMap {
        title: lang.t("reports.cohorts.title"),
        x_label: lang.t("reports.axis.months_after"),
        y_label: lang.t("reports.col.cohort"),
        columns: if any { &columns } else { &[] },
        rows: if any { &rows } else { &[] },
        cells: if any { &cells } else { &[] },
        format: &axis_share,
        empty: lang.t("reports.no_data"),
    }));
    let n = l.lost_after_months.to_string();
    view.notes.push(lang.t("reports.cohort.note").to_string());
    view.notes
        .push(lang.format("reports.life.note", &[("n", &n)]));
    let categories: Vec<String> = l.months.iter().map(|m| m.month.clone()).collect();
    let series: Vec<Series> = [
        (
            "new",
            l.months.iter().map(|m| m.new as f64).collect::<Vec<_>>(),
        ),
        ("active", l.months.iter().map(|m| m.active as f64).collect()),
        (
            "returning",
            l.months.iter().map(|m| m.returning as f64).collect(),
        ),
        (
            "won_back",
            l.months.iter().map(|m| m.won_back as f64).collect(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| Series::new(lang.t(&format!("reports.life.{k}")), v))
    .collect();
    view.charts.push(charts::stacked_bars(&Chart {
        title: lang.t("reports.lifecycle.title"),
        x_label: lang.t("reports.axis.month"),
        y_label: lang.t("reports.axis.members"),
        categories: &categories,
        series: &series,
        format: &axis_count,
        empty: lang.t("reports.no_data"),
    }));
    let leaving: Vec<Series> = [
        (
            "lapsing",
            l.months
                .iter()
                .map(|m| m.lapsing as f64)
                .collect::<Vec<_>>(),
        ),
        ("lost", l.months.iter().map(|m| m.lost as f64).collect()),
    ]
    .into_iter()
    .map(|(k, v)| Series::new(lang.t(&format!("reports.life.{k}")), v))
    .collect();
    view.charts.push(charts::bars(&Chart {
        title: &format!(
            "{} / {}",
            lang.t("reports.life.lapsing"),
            lang.t("reports.life.lost")
        ),
        x_label: lang.t("reports.axis.month"),
        y_label: lang.t("reports.axis.members"),
        categories: &categories,
        series: &leaving,
        format: &axis_count,
        empty: lang.t("reports.no_data"),
    }));
    view.tables.push(ViewTable::of("cohort-table", &ct));
    view.tables.push(ViewTable::of("lifecycle-table", &lt));
    view.set_exports(&query_of(&[
        ("from_month", &from_text),
        ("to_month", &to_text),
        ("store", &q.store),
    ]));
    Ok(None)
}
