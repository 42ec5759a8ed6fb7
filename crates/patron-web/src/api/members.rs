//! What a till asks about a member: who they are (by phone or card, masked) and which
//! coupons they can use.

use crate::error::{Problem, WebError};
use crate::identity::{Ctx, PosTerminal};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct LookupQuery {
    #[serde(default)]
    pub phone: String,
    /// A member card number, as an alternative to the phone.
    #[serde(default)]
    pub card: String,
}

/// What the till sees of a member: enough to greet and confirm, nothing more.
#[derive(Serialize, ToSchema)]
pub struct MemberBody {
    pub id: i64,
    pub name: String,
    pub masked_mobile: String,
    pub archive_no: String,
}

#[utoipa::path(get, path = "/api/v1/members/lookup", tag = "till",
    params(("phone" = Option<String>, Query, description = "the member's mobile, any common spelling"),
           ("card" = Option<String>, Query, description = "or the member card number")),
    responses((status = 200, body = MemberBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn lookup(
    State(state): State<AppState>,
    PosTerminal(t): PosTerminal,
    ctx: Ctx,
    Query(q): Query<LookupQuery>,
) -> Result<Json<MemberBody>, WebError> {
    let actor = t.actor(ctx.rid());
    let m = if q.card.trim().is_empty() {
        state
            .app
            .lookup_member(&actor, patron_domain::Scope::Chain, &q.phone)
            .await
    } else {
        state.app.lookup_member_by_card(&actor, &q.card).await
    }
    .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(MemberBody {
        id: m.id,
        name: m.name,
        masked_mobile: m.masked_mobile,
        archive_no: m.archive_no,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CouponView {
    pub code: String,
    pub name: String,
    pub amount_fen: Option<i64>,
    pub off_permille: Option<i64>,
    pub cap_fen: Option<i64>,
    pub min_spend_fen: i64,
    pub category: String,
    /// UTC, RFC 3339: usable until just before this moment.
    pub valid_until: String,
}

#[utoipa::path(get, path = "/api/v1/members/{id}/coupons", tag = "till",
    responses((status = 200, body = Vec<CouponView>)))]
pub async fn member_coupons(
    State(state): State<AppState>,
    PosTerminal(_till): PosTerminal,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Vec<CouponView>>, WebError> {
    let rows = state
        .app
        .usable_coupons(id)
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(
        rows.into_iter()
            .map(|c| CouponView {
                valid_until: c.valid_until.to_string(),
                code: c.code,
                name: c.name,
                amount_fen: c.amount_fen,
                off_permille: c.off_permille,
                cap_fen: c.cap_fen,
                min_spend_fen: c.min_spend_fen,
                category: c.category,
            })
            .collect(),
    ))
}
