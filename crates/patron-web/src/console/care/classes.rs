//! The classes page: how many customers hold each class (spend share in the store and
//! chain-wide, frequency, value, lifecycle, label), the recent reclassification runs, and the
//! movement between spend classes in the latest; admins can reclassify at once.

use crate::console::see_other;
use crate::identity::Staff;
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_domain::Capability;

/// One dimension's classes with their counts and share of the customers counted.
pub struct DimensionView {
    pub title: &'static str,
    pub rows: Vec<(&'static str, i64, String)>,
}

pub struct RunView {
    pub at: String,
    pub customers: i64,
    pub changed: i64,
    pub took_ms: i64,
}

#[derive(Template)]
#[template(path = "classes.html")]
pub struct ClassesPage {
    page: Page,
    dimensions: Vec<DimensionView>,
    runs: Vec<RunView>,
    moves: Vec<(&'static str, &'static str, i64)>,
    can_run: bool,
}

const DIMENSIONS: [&str; 6] = [
    "spend",
    "spend_chain",
    "frequency",
    "value",
    "lifecycle",
    "label",
];

pub async fn classes_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(flash): Query<crate::console::Flash>,
) -> Response {
    let result: Result<Response, AppError> = async {
        let o = state.app.class_overview(p.scope()).await?;
        let t = |k: String| ctx.lang.t(&k);
        let dimensions = DIMENSIONS
            .iter()
            .map(|d| {
                let rows: Vec<_> = o.counts.iter().filter(|c| c.dimension == *d).collect();
                let total: i64 = rows.iter().map(|c| c.customers).sum();
                DimensionView {
                    title: t(format!("classes.{d}")),
                    rows: rows
                        .iter()
                        .map(|c| {
                            let share = if total > 0 {
                                format!("{:.1}%", c.customers as f64 * 100.0 / total as f64)
                            } else {
                                String::new()
                            };
                            (t(format!("classes.code.{}", c.code)), c.customers, share)
                        })
                        .collect(),
                }
            })
            .collect();
        let tz = state.app.config().timezone();
        let runs = o
            .runs
            .iter()
            .map(|r| RunView {
                at: when(r.at_ms, ctx.lang, &tz),
                customers: r.customers,
                changed: r.changed,
                took_ms: r.took_ms,
            })
            .collect();
        let moves = o
            .moves
            .iter()
            .map(|m| {
                let from = m.from.map_or("classes.first_time".to_string(), |f| {
                    format!("classes.code.{}", f.code())
                });
                (
                    t(from),
                    t(format!("classes.code.{}", m.to.code())),
                    m.customers,
                )
            })
            .collect();
        let page = Page::console(ctx.lang, &p, "classes.title", "/console/care/classes")
            .with_flash(&flash.ok);
        Ok(render(&ClassesPage {
            page,
            dimensions,
            runs,
            moves,
            can_run: p.can(Capability::SettingsManage),
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

/// Reclassifies now (after changing the rules, or before a campaign).
pub async fn run_now(State(state): State<AppState>, Staff(_p, ctx): Staff) -> Response {
    match state.app.reclassify(state.app.now()).await {
        Ok(_) => see_other("/console/care/classes?ok=reclassified"),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}
