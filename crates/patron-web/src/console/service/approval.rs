//! Approving or rejecting a resolution whose compensation waits for a second person.

use super::ticket::after;
use crate::identity::Staff;
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

/// Approves the ticket's pending compensation: it is given and the ticket resolved.
pub async fn approve(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    let result = state
        .app
        .approve_compensation(&p.actor(ctx.rid()), p.scope(), id)
        .await
        .map(|_| ());
    after(&state, &p, &ctx, id, result).await
}

#[derive(Deserialize, Default)]
pub struct RejectBody {
    #[serde(default)]
    pub reason: String,
}

/// Rejects (or withdraws) the ticket's pending compensation, with a reason.
pub async fn reject(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(b): Form<RejectBody>,
) -> Response {
    let result = state
        .app
        .reject_compensation(&p.actor(ctx.rid()), p.scope(), id, &b.reason)
        .await;
    after(&state, &p, &ctx, id, result).await
}
