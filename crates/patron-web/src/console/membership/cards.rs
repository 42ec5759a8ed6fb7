//! Membership actions from the customer page: issue a card (or replace a lost one), renew
//! it, end the membership (注销) and take a member back.

use crate::console::customers::profile::{Tab, show_with_error};
use crate::console::see_other;
use crate::identity::Staff;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;

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
        Ok(_) => see_other(&Tab::Points.after_save(id, "card_issued")),
        Err(e) => show_with_error(&state, &p, &ctx, id, Tab::Points, &e).await,
    }
}

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
        Ok(_) => see_other(&Tab::Points.after_save(id, "card_renewed")),
        Err(e) => show_with_error(&state, &p, &ctx, id, Tab::Points, &e).await,
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct EndForm {
    #[serde(default)]
    reason: String,
}

pub async fn end(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<EndForm>,
) -> Response {
    match state
        .app
        .end_membership(&p.actor(ctx.rid()), p.scope(), id, &form.reason)
        .await
    {
        Ok(_) => see_other(&Tab::Points.after_save(id, "membership_ended")),
        Err(e) => show_with_error(&state, &p, &ctx, id, Tab::Points, &e).await,
    }
}

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
        Ok(()) => see_other(&Tab::Points.after_save(id, "membership_rejoined")),
        Err(e) => show_with_error(&state, &p, &ctx, id, Tab::Points, &e).await,
    }
}
