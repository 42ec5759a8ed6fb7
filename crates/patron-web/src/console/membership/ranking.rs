//! The leaderboard page (`report.read`) and the opt-out switch on the customer page.

use crate::console::customers::profile::{Tab, show_with_error};
use crate::console::see_other;
use crate::identity::Staff;
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::membership::ranking::{Period, RankLine};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "leaderboard.html")]
pub struct BoardPage {
    page: Page,
    rows: Vec<RankLine>,
    /// (id, code, selected)
    stores: Vec<(i64, String, bool)>,
    period: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct BoardQuery {
    #[serde(default)]
    store: Option<i64>,
    #[serde(default)]
    period: String,
}

pub async fn leaderboard_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<BoardQuery>,
) -> Response {
    let result = async {
        let rows = state
            .app
            .leaderboard(p.scope(), q.store, Period::parse(&q.period))
            .await?;
        let stores = state
            .app
            .stores(p.scope())
            .await?
            .into_iter()
            .map(|s| (s.id, s.code, Some(s.id) == q.store))
            .collect();
        let page = Page::console(
            ctx.lang,
            &p,
            "ranking.title",
            "/console/reports/leaderboard",
        );
        Ok::<_, AppError>(render(&BoardPage {
            page,
            rows,
            stores,
            period: if q.period.is_empty() {
                "12m".into()
            } else {
                q.period.clone()
            },
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

#[derive(Debug, Deserialize)]
pub struct OptOutForm {
    #[serde(default)]
    opt_out: String,
}

pub async fn opt_out(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(form): Form<OptOutForm>,
) -> Response {
    match state
        .app
        .set_ranking_opt_out(&p.actor(ctx.rid()), p.scope(), id, form.opt_out == "1")
        .await
    {
        Ok(()) => see_other(&Tab::Privacy.after_save(id, "ranking_saved")),
        Err(e) => show_with_error(&state, &p, &ctx, id, Tab::Privacy, &e).await,
    }
}
