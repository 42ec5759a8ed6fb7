//! Coupons over the API: templates, issuing and the usage report, for staff and scripts
//! (`coupon.manage`). A member's usable coupons for the till are in `members`.

use crate::api::bad_json;
use crate::error::{Problem, WebError};
use crate::identity::Staff;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use patron_app::membership::coupons::TemplateInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    pub name: String,
    /// Fen off (满减); or give `off_permille`.
    #[serde(default)]
    pub amount_fen: Option<i64>,
    /// Thousandths off (100 = 10% off, 9折).
    #[serde(default)]
    pub off_permille: Option<i64>,
    /// Most a percentage coupon takes off, fen.
    #[serde(default)]
    pub cap_fen: Option<i64>,
    #[serde(default)]
    pub min_spend_fen: i64,
    /// Only this category; empty for all.
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub first_purchase: bool,
    /// Usable only in the calendar month of the member's birthday.
    #[serde(default)]
    pub birthday_month: bool,
    pub valid_days: i64,
}

#[derive(Serialize, ToSchema)]
pub struct TemplateView {
    pub id: i64,
    pub name: String,
    pub amount_fen: Option<i64>,
    pub off_permille: Option<i64>,
    pub cap_fen: Option<i64>,
    pub min_spend_fen: i64,
    pub category: String,
    pub first_purchase: bool,
    pub birthday_month: bool,
    pub valid_days: i64,
    pub status: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    /// The customers, or give `segment_id`.
    #[serde(default)]
    pub customer_ids: Vec<i64>,
    /// Everyone in this saved segment (within the caller's scope) at the time of the call.
    #[serde(default)]
    pub segment_id: Option<i64>,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct IssuedBody {
    /// One code per customer, in the order given.
    pub codes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UsageView {
    pub template_id: i64,
    pub name: String,
    pub issued: i64,
    pub used: i64,
    pub usable: i64,
    pub expired: i64,
    pub discount_fen: i64,
}

#[utoipa::path(post, path = "/api/v1/coupon-templates", tag = "coupons", request_body = TemplateBody,
    responses((status = 201, body = TemplateView), (status = 422, body = Problem)))]
pub async fn create_template(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    body: Result<Json<TemplateBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let input = TemplateInput {
        name: b.name,
        amount_fen: b.amount_fen,
        off_permille: b.off_permille,
        cap_fen: b.cap_fen,
        min_spend_fen: b.min_spend_fen,
        category: b.category,
        first_purchase: b.first_purchase,
        birthday_month: b.birthday_month,
        valid_days: b.valid_days,
    };
    let made = async {
        state
            .app
            .coupon_template_created(&p.actor(ctx.rid()), p.scope(), &input)
            .await
    }
    .await;
    match made {
        Ok(t) => (StatusCode::CREATED, Json(template_view(t))).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

fn template_view(t: patron_app::membership::coupons::TemplateRow) -> TemplateView {
    TemplateView {
        id: t.id,
        name: t.name,
        amount_fen: t.amount_fen,
        off_permille: t.off_permille,
        cap_fen: t.cap_fen,
        min_spend_fen: t.min_spend_fen,
        category: t.category,
        first_purchase: t.first_purchase,
        birthday_month: t.birthday_month,
        valid_days: t.valid_days,
        status: t.status.code().to_string(),
    }
}

#[utoipa::path(get, path = "/api/v1/coupon-templates", tag = "coupons",
    responses((status = 200, body = Vec<TemplateView>)))]
pub async fn list_templates(
    State(state): State<AppState>,
    Staff(_staff, ctx): Staff,
) -> Result<Json<Vec<TemplateView>>, WebError> {
    let rows = state
        .app
        .coupon_templates()
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(rows.into_iter().map(template_view).collect()))
}

#[utoipa::path(post, path = "/api/v1/coupon-templates/{id}/issue", tag = "coupons", request_body = IssueBody,
    responses((status = 201, body = IssuedBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn issue(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<IssueBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let issued = async {
        let customers =
            super::segments::recipients(&state.app, &p, b.customer_ids, b.segment_id).await?;
        state
            .app
            .issue_coupons(&p.actor(ctx.rid()), p.scope(), id, &customers, &b.reason)
            .await
    }
    .await;
    match issued {
        Ok(codes) => (StatusCode::CREATED, Json(IssuedBody { codes })).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(get, path = "/api/v1/coupons/usage", tag = "coupons",
    responses((status = 200, body = Vec<UsageView>)))]
pub async fn usage(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
) -> Result<Json<Vec<UsageView>>, WebError> {
    let rows = state
        .app
        .coupon_usage(p.scope())
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(
        rows.into_iter()
            .map(|u| UsageView {
                template_id: u.template_id,
                name: u.name,
                issued: u.issued,
                used: u.used,
                usable: u.usable,
                expired: u.expired,
                discount_fen: u.discount_fen,
            })
            .collect(),
    ))
}
