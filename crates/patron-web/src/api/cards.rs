//! Member cards over the API (`customer.write`): issue or replace, and renew.

use crate::error::{Problem, WebError};
use crate::identity::Staff;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use patron_store::sales::cards::CardRow;
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
        valid_until: c
            .valid_until_ms
            .and_then(|v| jiff::Timestamp::from_millisecond(v).ok())
            .map(|t| t.to_string()),
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
