//! Approving, rejecting or withdrawing a resolution whose compensation waits for a second
//! person.

use super::ticket::after;
use crate::identity::Ctx;
use crate::identity::Staff;
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use patron_app::security::Principal;
use patron_app::service::resolution::Closing;
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

/// Rejects the ticket's pending compensation, with a reason (approvers).
pub async fn reject(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(b): Form<RejectBody>,
) -> Response {
    close(&state, &p, &ctx, id, &b.reason, Closing::Reject).await
}

/// Withdraws the ticket's pending compensation, with a reason (the service desk).
pub async fn withdraw(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(b): Form<RejectBody>,
) -> Response {
    close(&state, &p, &ctx, id, &b.reason, Closing::Withdraw).await
}

async fn close(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: i64,
    reason: &str,
    how: Closing,
) -> Response {
    let result = state
        .app
        .close_compensation(&p.actor(ctx.rid()), p.scope(), id, reason, how)
        .await;
    after(state, p, ctx, id, result).await
}
