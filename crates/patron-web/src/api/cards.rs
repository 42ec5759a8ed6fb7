//! Member cards over the API (`customer.write`): issue or replace, and renew.

use crate::error::{Problem, WebError};
use crate::identity::Staff;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use patron_app::membership::cards::CardRow;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CardBody {
    pub card_no: String,
    /// UTC, RFC 3339; absent when the card does not expire.
    pub valid_until: Option<String>,
}

fn body(c: CardRow) -> CardBody {
    CardBody {
        card_no: c.card_no,
        valid_until: c.valid_until.map(|t| t.to_string()),
    }
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/card", tag = "customers",
    responses((status = 201, body = CardBody), (status = 404, body = Problem)))]
pub async fn issue(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .issue_card(&p.actor(ctx.rid()), p.scope(), id)
        .await
    {
        Ok(c) => (StatusCode::CREATED, Json(body(c))).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/card/renew", tag = "customers",
    responses((status = 200, body = CardBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn renew(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .renew_card(&p.actor(ctx.rid()), p.scope(), id)
        .await
    {
        Ok(c) => Json(body(c)).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndBody {
    /// Why the member leaves; recorded with the forfeited points.
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct EndedBody {
    pub points_forfeited: i64,
    pub coupons_voided: u64,
    pub cards_cancelled: u64,
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/membership/end", tag = "customers", request_body = EndBody,
    responses((status = 200, body = EndedBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn end(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<EndBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return crate::api::bad_json(e, ctx.lang),
    };
    match state
        .app
        .end_membership(&p.actor(ctx.rid()), p.scope(), id, &b.reason)
        .await
    {
        Ok(e) => Json(EndedBody {
            points_forfeited: e.points_forfeited,
            coupons_voided: e.coupons_voided,
            cards_cancelled: e.cards_cancelled,
        })
        .into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/membership/rejoin", tag = "customers",
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn rejoin(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .rejoin_membership(&p.actor(ctx.rid()), p.scope(), id)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}
