//! The points mall for tills: the rewards on offer, and redeeming one for a member with an
//! `Idempotency-Key` (the same rules as checkout).

use super::sales::{member_ref, prepare, send};
use crate::error::{Problem, WebError};
use crate::identity::{Ctx, PosTerminal};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use patron_app::membership::mall::RedeemRequest;
use patron_app::sales::{Counter, MemberRef};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct RewardView {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// `goods` (handed over in a store) or `coupon` (issued at once).
    pub kind: String,
    pub points_price: i64,
    /// Cash paid on top, fen (0: points only).
    pub cash_fen: i64,
    /// Left in stock; absent when unlimited.
    pub stock: Option<i64>,
    pub per_member_limit: Option<i64>,
    /// UTC, RFC 3339; absent when open-ended.
    pub valid_until: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/rewards", tag = "till",
    responses((status = 200, body = Vec<RewardView>)))]
pub async fn offered(
    State(state): State<AppState>,
    PosTerminal(_till): PosTerminal,
    ctx: Ctx,
) -> Result<Json<Vec<RewardView>>, WebError> {
    let rows = state
        .app
        .rewards_offered()
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(
        rows.into_iter()
            .map(|r| RewardView {
                id: r.id,
                name: r.name,
                description: r.description,
                kind: r.kind.code().to_string(),
                points_price: r.points_price,
                cash_fen: r.cash_fen,
                stock: r.stock,
                per_member_limit: r.per_member_limit,
                valid_until: r.valid_until.map(|t| t.to_string()),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemBody {
    pub store_code: String,
    /// The member's mobile as typed at the till; or give `card_no` (exactly one). A
    /// redemption spends the member's points, so the member must be present.
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub card_no: Option<String>,
    /// Accepted for the body's shape but refused (422, field `member`): a bare id does not
    /// show the member is at the till.
    #[serde(default)]
    pub customer_id: Option<i64>,
    pub reward_id: i64,
    /// 1 to 99; 1 when absent.
    #[serde(default = "one")]
    pub quantity: i64,
    #[serde(default)]
    pub note: String,
}

fn one() -> i64 {
    1
}

#[utoipa::path(post, path = "/api/v1/rewards/redeem", tag = "till", request_body = RedeemBody,
    params(("Idempotency-Key" = String, Header, description = "unique per redemption attempt; retries reuse it")),
    responses((status = 201, body = super::receipts::RedeemReceipt), (status = 400, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn redeem(
    State(state): State<AppState>,
    PosTerminal(t): PosTerminal,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (retry, b) = match prepare::<RedeemBody>(&t, &headers, &body, ctx.lang) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let member = match member_ref(b.phone, b.card_no, b.customer_id) {
        Ok(MemberRef::Anonymous) => {
            let e = patron_domain::FieldError::new("member", "error.mall.needs_member");
            return WebError::api(patron_app::AppError::Field(e), ctx.lang).into_response();
        }
        Ok(m) => m,
        Err(e) => return WebError::api(e, ctx.lang).into_response(),
    };
    let req = RedeemRequest {
        reward_id: b.reward_id,
        quantity: b.quantity,
        note: b.note,
    };
    let actor = t.actor(ctx.rid());
    match state
        .app
        .redeem_at_till(
            &actor,
            &Counter::from(&t),
            &retry,
            &b.store_code,
            &member,
            &req,
        )
        .await
    {
        Ok(a) => send(a),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}
