//! How a customer may be reached, over the API: consents granted and withdrawn, and the
//! WeChat openid template messages go to.

use super::bad_json;
use super::customers::{channel, purposes};
use crate::error::{Problem, WebError};
use crate::identity::Staff;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use patron_domain::customers::ConsentPurpose;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct ConsentBody {
    /// Purposes to grant.
    #[serde(default)]
    pub grant: Vec<String>,
    /// Purposes to withdraw.
    #[serde(default)]
    pub withdraw: Vec<String>,
    #[serde(default)]
    pub channel: String,
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/consents", tag = "customers", params(("id" = i64, Path)),
    request_body = ConsentBody,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn consents(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<ConsentBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let result = async {
        let mut decisions: Vec<(ConsentPurpose, bool)> =
            purposes(&b.grant)?.into_iter().map(|p| (p, true)).collect();
        decisions.extend(purposes(&b.withdraw)?.into_iter().map(|p| (p, false)));
        let ch = channel(&b.channel)?;
        state
            .app
            .set_consents(&p.actor(ctx.rid()), p.scope(), id, &decisions, ch)
            .await
    }
    .await;
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct WechatBody {
    /// The openid the customer follows the Official Account with; empty to unbind.
    #[serde(default)]
    pub openid: String,
}

/// Binds the WeChat openid (from the Official Account's own login or member-card callback)
/// that template messages go to.
#[utoipa::path(put, path = "/api/v1/customers/{id}/wechat", tag = "customers", params(("id" = i64, Path)),
    request_body = WechatBody,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn bind_wechat(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<WechatBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    match state
        .app
        .bind_wechat_openid(&p.actor(ctx.rid()), p.scope(), id, &b.openid)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}
