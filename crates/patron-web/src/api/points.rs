//! Manual points adjustments over the API (`points.adjust`): ask for one or many, list those
//! waiting for approval, approve or reject.

use crate::api::bad_json;
use crate::error::{Problem, WebError};
use crate::identity::Staff;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustBody {
    /// The customers, or give `segment_id`.
    #[serde(default)]
    pub customer_ids: Vec<i64>,
    /// Everyone in this saved segment (within the caller's scope) at the time of the call.
    #[serde(default)]
    pub segment_id: Option<i64>,
    /// Positive gives, negative takes away.
    pub points: i64,
    /// Shown to the member in the points history.
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct AdjustedBody {
    pub ids: Vec<i64>,
    /// `applied`, or `pending` (above the approval threshold).
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub struct PendingBody {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub points: i64,
    pub reason: String,
    pub requested_by: String,
    pub requested_at_ms: i64,
}

#[utoipa::path(post, path = "/api/v1/points/adjustments", tag = "points", request_body = AdjustBody,
    responses((status = 201, body = AdjustedBody), (status = 422, body = Problem)))]
pub async fn adjust(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    body: Result<Json<AdjustBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let adjusted = async {
        let customers =
            super::segments::recipients(&state.app, &p, b.customer_ids, b.segment_id).await?;
        state
            .app
            .adjust_points(
                &p.actor(ctx.rid()),
                p.scope(),
                &customers,
                b.points,
                &b.reason,
            )
            .await
    }
    .await;
    match adjusted {
        Ok(a) => (
            StatusCode::CREATED,
            Json(AdjustedBody {
                ids: a.ids,
                status: if a.applied { "applied" } else { "pending" }.into(),
            }),
        )
            .into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(get, path = "/api/v1/points/adjustments/pending", tag = "points",
    responses((status = 200, body = Vec<PendingBody>)))]
pub async fn pending(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
) -> Result<Json<Vec<PendingBody>>, WebError> {
    let rows = state
        .app
        .pending_adjustments(p.scope())
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(
        rows.into_iter()
            .map(|r| PendingBody {
                id: r.id,
                customer_id: r.customer_id,
                customer_name: r.customer_name,
                points: r.points,
                reason: ctx.lang.stored(&r.reason),
                requested_by: r.requested_by_name,
                requested_at_ms: r.requested_at.as_millisecond(),
            })
            .collect(),
    ))
}

async fn decide(state: AppState, staff: Staff, id: i64, approve: bool) -> Response {
    let Staff(p, ctx) = staff;
    match state
        .app
        .decide_adjustment(&p.actor(ctx.rid()), p.scope(), id, approve)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/points/adjustments/{id}/approve", tag = "points",
    responses((status = 204), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn approve(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    decide(state, staff, id, true).await
}

#[utoipa::path(post, path = "/api/v1/points/adjustments/{id}/reject", tag = "points",
    responses((status = 204), (status = 409, body = Problem)))]
pub async fn reject(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    decide(state, staff, id, false).await
}
