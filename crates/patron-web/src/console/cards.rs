//! Member card actions from the customer page: issue (or replace a lost card) and renew.

use super::see_other;
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
        Ok(_) => see_other(&format!(
            "/console/customers/{id}?ok=card_issued#membership"
        )),
        Err(e) => {
            crate::console::customers::profile::show_with_error(&state, &p, &ctx, id, &e).await
        }
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
        Ok(_) => see_other(&format!(
            "/console/customers/{id}?ok=card_renewed#membership"
        )),
        Err(e) => {
            crate::console::customers::profile::show_with_error(&state, &p, &ctx, id, &e).await
        }
    }
}
