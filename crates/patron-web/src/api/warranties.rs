//! The warranty register over the API (`warranty.manage`): register a sold item (a retry
//! with the same serial number for the same customer returns the first registration),
//! look items up by serial number or the customer's phone, read one with its claims, and
//! file a claim as a ticket (retry-safe with an `Idempotency-Key`).

use crate::api::{bad_json, request_key};
use crate::error::{Problem, WebError};
use crate::identity::Staff;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use patron_app::service::warranties::{ClaimForm, WarrantyForm};
use patron_app::service::warranties::{ClaimRow, Registered, WarrantyRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWarrantyBody {
    /// Absent with a sale: the sale's customer.
    #[serde(default)]
    pub customer_id: Option<i64>,
    /// The sale the item was sold in; its line with this SKU names the product.
    #[serde(default)]
    pub sale_id: Option<i64>,
    #[serde(default)]
    pub order_id: Option<i64>,
    pub sku: String,
    /// Absent with a sale: the sale line's name.
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub serial: String,
    /// `2026-11-23`; absent: today in the store's time zone.
    #[serde(default)]
    pub starts_on: String,
    /// 1 to 120.
    pub months: u32,
    #[serde(default)]
    pub terms: String,
}

#[derive(Serialize, ToSchema)]
pub struct WarrantyBody {
    pub id: i64,
    pub customer_id: i64,
    pub store_id: i64,
    pub sale_id: Option<i64>,
    pub order_id: Option<i64>,
    pub sku: String,
    pub product: String,
    pub serial: Option<String>,
    /// First covered day.
    pub starts_on: String,
    /// Last covered day.
    pub ends_on: String,
    pub terms: String,
    pub created_at: i64,
    /// When the customer was reminded that it ends.
    pub notice_sent_at: Option<i64>,
    pub claims: Vec<ClaimBody>,
}

#[derive(Serialize, ToSchema)]
pub struct ClaimBody {
    pub id: i64,
    pub ticket_id: i64,
    /// `repair`, `replacement` or `refund`.
    pub kind: String,
    /// The ticket's status.
    pub status: String,
    pub created_at: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindQuery {
    /// A serial number, or the customer's mobile (that lookup is audited); blank finds
    /// nothing.
    #[serde(default)]
    pub q: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimInputBody {
    /// `repair`, `replacement` or `refund`.
    pub kind: String,
    pub description: String,
}

#[derive(Serialize, ToSchema)]
pub struct ClaimedBody {
    /// The ticket filed for the claim (see `/api/v1/tickets/{id}`).
    pub ticket_id: i64,
}

fn body_of(w: WarrantyRow, claims: Vec<ClaimRow>) -> WarrantyBody {
    WarrantyBody {
        id: w.id,
        customer_id: w.customer_id,
        store_id: w.store_id,
        sale_id: w.sale_id,
        order_id: w.order_id,
        sku: w.sku,
        product: w.product,
        serial: w.serial,
        starts_on: w.starts_on,
        ends_on: w.ends_on,
        terms: w.terms,
        created_at: w.created_at.as_millisecond(),
        notice_sent_at: w.notice_sent_at.map(|t| t.as_millisecond()),
        claims: claims
            .into_iter()
            .map(|c| ClaimBody {
                id: c.id,
                ticket_id: c.ticket_id,
                kind: c.kind,
                status: c.status.code().to_string(),
                created_at: c.created_at.as_millisecond(),
            })
            .collect(),
    }
}

#[utoipa::path(post, path = "/api/v1/warranties", tag = "service", request_body = NewWarrantyBody,
    responses((status = 201, body = WarrantyBody), (status = 200, description = "a retry: the item registered first", body = WarrantyBody),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    body: Result<Json<NewWarrantyBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let form = WarrantyForm {
        customer_id: b.customer_id.unwrap_or(0),
        sale_id: b.sale_id,
        order_id: b.order_id,
        sku: b.sku,
        product: b.product,
        serial: b.serial,
        starts_on: b.starts_on,
        months: b.months,
        terms: b.terms,
    };
    let actor = p.actor(ctx.rid());
    let shown = state
        .app
        .warranty_registered(&actor, p.scope(), &form)
        .await
        .map(|(r, w, claims)| match r {
            Registered::New(_) => (StatusCode::CREATED, w, claims),
            Registered::Again(_) => (StatusCode::OK, w, claims),
        });
    match shown {
        Ok((code, w, claims)) => (code, Json(body_of(w, claims))).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(get, path = "/api/v1/warranties", tag = "service", params(FindQuery),
    responses((status = 200, body = Vec<WarrantyBody>)))]
pub async fn find(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<FindQuery>,
) -> Result<Json<Vec<WarrantyBody>>, WebError> {
    let rows = state
        .app
        .find_warranties(&p.actor(ctx.rid()), p.scope(), &q.q)
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(
        rows.into_iter().map(|w| body_of(w, Vec::new())).collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/warranties/{id}", tag = "service",
    responses((status = 200, body = WarrantyBody), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state.app.warranty(p.scope(), id).await {
        Ok((w, claims)) => Json(body_of(w, claims)).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/warranties/{id}/claims", tag = "service", request_body = ClaimInputBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "retries with the same key return the first claim's ticket")),
    responses((status = 201, body = ClaimedBody), (status = 200, description = "a retry", body = ClaimedBody),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn claim(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Json<ClaimInputBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let key = request_key(&headers, p.staff_id);
    let form = ClaimForm {
        kind: b.kind,
        description: b.description,
    };
    match state
        .app
        .claim_warranty(&p.actor(ctx.rid()), p.scope(), id, &form, key.as_deref())
        .await
    {
        Ok((ticket_id, fresh)) => {
            let code = if fresh {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (code, Json(ClaimedBody { ticket_id })).into_response()
        }
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}
