//! The points leaderboard (`report.read`) and a member's opt-out (`customer.write`).

use crate::api::bad_json;
use crate::error::{Problem, WebError};
use crate::identity::Staff;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use patron_app::membership::ranking::Period;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema, Default)]
pub struct BoardQuery {
    /// A store id; the whole chain when absent (store-bound roles always get their store).
    #[serde(default)]
    pub store: Option<i64>,
    /// `month`, `year` or `12m` (default).
    #[serde(default)]
    pub period: String,
}

#[derive(Serialize, ToSchema)]
pub struct RankBody {
    pub rank: usize,
    /// Masked: the first character only.
    pub name: String,
    pub store_id: i64,
    pub points: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptOutBody {
    pub opt_out: bool,
}

#[utoipa::path(get, path = "/api/v1/reports/leaderboard", tag = "reports",
    params(("store" = Option<i64>, Query), ("period" = Option<String>, Query, description = "month, year or 12m")),
    responses((status = 200, body = Vec<RankBody>), (status = 403, body = Problem)))]
pub async fn leaderboard(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<BoardQuery>,
) -> Result<Json<Vec<RankBody>>, WebError> {
    let rows = state
        .app
        .leaderboard(p.scope(), q.store, Period::parse(&q.period))
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(
        rows.into_iter()
            .map(|r| RankBody {
                rank: r.rank,
                name: r.name,
                store_id: r.store_id,
                points: r.points,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/ranking", tag = "customers", request_body = OptOutBody,
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn opt_out(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<OptOutBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    match state
        .app
        .set_ranking_opt_out(&p.actor(ctx.rid()), p.scope(), id, b.opt_out)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}
