//! Sales targets: each store's net sales month by month against its target for a year (a
//! chart of the chosen store or the chain, the table, xlsx and CSV), and the form with which
//! the head office sets a store's target for a month (`store.manage`).

use super::{Field, ReportView, TargetForm, ViewTable, axis_yuan, query_of, store_field};
use crate::api::reports::{download, wants};
use crate::charts::{self, Chart, Series};
use crate::console::see_other;
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::Page;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::reports::table;
use patron_app::reports::targets::TargetInput;
use patron_app::security::Principal;
use patron_domain::Capability;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct TargetsQuery {
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub store: String,
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub ok: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct TargetPost {
    #[serde(default)]
    pub store: String,
    #[serde(default)]
    pub month: String,
    #[serde(default)]
    pub target: String,
}

const PATH: &str = "/console/reports/targets";

fn view(ctx: &Ctx, p: &Principal, flash: &str) -> ReportView {
    ReportView::new(
        Page::console(ctx.lang, p, "reports.targets.title", PATH).with_flash(flash),
        PATH,
    )
}

pub async fn page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<TargetsQuery>,
) -> Response {
    let mut view = view(&ctx, &p, &q.ok);
    let built = build(&state, &p, &ctx, &q, None, &mut view).await;
    super::answer(built, &ctx, view)
}

/// Sets a target, then shows the year it is in.
pub async fn set(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<TargetPost>,
) -> Response {
    let input = TargetInput {
        store: form.store.clone(),
        month: form.month.clone(),
        target_fen: patron_domain::money::parse_yuan(&form.target),
    };
    let year = form.month.get(..4).unwrap_or_default().to_string();
    match state
        .app
        .set_sales_target(&p.actor(ctx.rid()), p.scope(), &input)
        .await
    {
        Ok(()) => see_other(&format!(
            "{PATH}?{}",
            query_of(&[
                ("year", &year),
                ("store", &form.store),
                ("ok", "target_saved")
            ])
        )),
        Err(e) => {
            let q = TargetsQuery {
                year,
                store: form.store.clone(),
                ..TargetsQuery::default()
            };
            let mut view = view(&ctx, &p, "");
            let shown = build(&state, &p, &ctx, &q, Some(&form), &mut view).await;
            match shown {
                Ok(_) => super::failed(e, &ctx, view),
                Err(other) => super::failed(other, &ctx, view),
            }
        }
    }
}

async fn build(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    q: &TargetsQuery,
    typed: Option<&TargetPost>,
    view: &mut ReportView,
) -> Result<Option<Response>, AppError> {
    let app = &state.app;
    let lang = ctx.lang;
    let today = app.report_today();
    let year = match q.year.trim() {
        "" => today.year(),
        y => y
            .parse::<i16>()
            .ok()
            .filter(|y| (2000..=9999).contains(y))
            .ok_or(patron_domain::FieldError::new("year", "error.report.year"))?,
    };
    let years: Vec<(String, String, bool)> = (today.year() - 3..=today.year() + 1)
        .map(|y| (y.to_string(), y.to_string(), y == year))
        .collect();
    view.fields = vec![Field::Select {
        name: "year",
        label: "reports.targets.year",
        options: years,
    }];
    view.fields
        .extend(store_field(app, p, lang, &q.store).await?);
    let store = Some(q.store.as_str()).filter(|s| !s.is_empty());
    let r = app.sales_targets(p.scope(), year, store).await?;
    let t = table::targets_table(&r, lang);
    if let Some(kind) = wants(&q.format)? {
        return download(&t, kind, &format!("targets-{year}")).map(Some);
    }
    // The chart: the chain's total when there is one, else the one store.
    if let Some(line) = r.lines.last() {
        let categories: Vec<String> = line.months.iter().map(|m| m.month.clone()).collect();
        let series = [
            Series::new(
                lang.t("reports.col.target"),
                line.months
                    .iter()
                    .map(|m| m.target_fen.unwrap_or(0) as f64)
                    .collect(),
            ),
            Series::new(
                lang.t("reports.col.net_sales"),
                line.months.iter().map(|m| m.net_sales_fen as f64).collect(),
            ),
        ];
        view.charts.push(charts::bars(&Chart {
            title: lang.t("reports.targets.title"),
            x_label: lang.t("reports.axis.month"),
            y_label: lang.t("reports.axis.amount"),
            categories: &categories,
            series: &series,
            format: &axis_yuan,
            empty: lang.t("reports.no_data"),
        }));
    }
    view.notes.push(lang.t("reports.targets.note").to_string());
    view.tables.push(ViewTable::of("targets-table", &t));
    view.set_exports(&query_of(&[
        ("year", &year.to_string()),
        ("store", &q.store),
    ]));
    if p.can(Capability::StoreManage) {
        let dir = app.directory().await?;
        let stores: Vec<(String, String)> = dir
            .stores(p.scope())
            .map(|s| (s.code.clone(), s.name.clone()))
            .collect();
        let month = format!("{:04}-{:02}", today.year(), today.month());
        view.target_form = Some(TargetForm {
            stores,
            store: typed.map_or_else(|| q.store.clone(), |t| t.store.clone()),
            month: typed.map_or(month, |t| t.month.clone()),
            target: typed.map(|t| t.target.clone()).unwrap_or_default(),
        });
    }
    Ok(None)
}
