//! Orders over the API (`order.manage`), for shop systems: create an order (retry-safe with
//! an `Idempotency-Key`), list and read orders, and move one along its pipeline (a retried
//! move changes nothing). Visits are in `visits`; everything returned is epoch
//! milliseconds.
use crate::api::visits::{VisitBody, visit_body};
use crate::api::{bad_json, request_key};
use crate::error::{Problem, WebError};
use crate::identity::Staff;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use patron_app::AppError;
use patron_app::service::orders::{OrderFilter, OrderLine};
use patron_app::service::orders::{OrderForm, OrderView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderBody {
    /// Absent with a sale: the sale's customer.
    #[serde(default)]
    pub customer_id: Option<i64>,
    #[serde(default)]
    pub sale_id: Option<i64>,
    /// A pipeline name (`delivery_installation`, `delivery`, `pickup` or one of the
    /// settings'); absent: the customer's store's default.
    #[serde(default)]
    pub pipeline: String,
    /// Absent: the first address in the customer's file.
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub note: String,
    /// Absent with a sale: the sale's lines less refunds.
    #[serde(default)]
    pub lines: Vec<LineBody>,
    /// Tell the customer the order is confirmed (default true).
    #[serde(default = "yes")]
    pub notify: bool,
}

fn yes() -> bool {
    true
}

#[derive(Serialize, ToSchema)]
pub struct OrderSummary {
    pub id: i64,
    pub order_no: String,
    pub customer_id: i64,
    pub store_id: i64,
    pub sale_id: Option<i64>,
    pub status: String,
    pub total_fen: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct OrderBody {
    #[serde(flatten)]
    pub summary: OrderSummary,
    /// The order's pipeline, in order.
    pub stages: Vec<String>,
    /// Where the order may move next.
    pub next: Vec<String>,
    pub address: String,
    pub note: String,
    pub lines: Vec<LineBody>,
    pub visits: Vec<VisitBody>,
    pub timeline: Vec<OrderEventBody>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderEventBody {
    pub at: i64,
    pub kind: String,
    pub staff_id: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub visit_id: Option<i64>,
    pub note: String,
    /// Whether the customer was told; absent when not asked.
    pub notified: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[serde(default)]
    pub customer_id: Option<i64>,
    /// Only orders not completed or cancelled.
    #[serde(default)]
    pub open: bool,
    /// At most this many, newest first (1 to 500, default 100).
    #[serde(default)]
    pub limit: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageBody {
    /// The stage to move to (forward along the pipeline, or `cancelled`).
    pub to: String,
    #[serde(default)]
    pub note: String,
    /// Tell the customer (default true).
    #[serde(default = "yes")]
    pub notify: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MovedBody {
    pub status: String,
    /// False when the order was already at that stage (a retry): nothing was done.
    pub changed: bool,
}

fn summary_of(r: &patron_app::service::orders::OrderRow) -> OrderSummary {
    OrderSummary {
        id: r.id,
        order_no: r.order_no.clone(),
        customer_id: r.customer_id,
        store_id: r.store_id,
        sale_id: r.sale_id,
        status: r.status.code().to_string(),
        total_fen: r.total_fen,
        created_at: r.created_at.as_millisecond(),
        updated_at: r.updated_at.as_millisecond(),
    }
}

fn body_of(v: OrderView) -> OrderBody {
    let line = |l: &OrderLine| LineBody {
        sku: l.sku.clone(),
        name: l.name.clone(),
        quantity: l.quantity,
        unit_price_fen: l.unit_price_fen,
    };
    OrderBody {
        summary: summary_of(&v.row),
        stages: v
            .pipeline
            .stages()
            .iter()
            .map(|s| s.code().to_string())
            .collect(),
        next: v
            .pipeline
            .moves_from(v.status)
            .iter()
            .map(|s| s.code().to_string())
            .collect(),
        address: v.address,
        note: v.note,
        lines: v.lines.iter().map(line).collect(),
        visits: v.visits.iter().map(visit_body).collect(),
        timeline: v
            .timeline
            .into_iter()
            .map(|e| OrderEventBody {
                at: e.at.as_millisecond(),
                kind: e.kind,
                staff_id: e.staff_id,
                from: e.from.map(|s| s.code().to_string()),
                to: e.to.map(|s| s.code().to_string()),
                visit_id: e.appointment_id,
                note: e.note,
                notified: e.notified,
            })
            .collect(),
    }
}

#[utoipa::path(post, path = "/api/v1/orders", tag = "service", request_body = NewOrderBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "retries with the same key return the first order")),
    responses((status = 201, body = OrderBody), (status = 200, description = "a retry: the order created first", body = OrderBody),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    headers: HeaderMap,
    body: Result<Json<NewOrderBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let key = request_key(&headers, p.staff_id);
    let form = OrderForm {
        customer_id: b.customer_id.unwrap_or(0),
        sale_id: b.sale_id,
        pipeline: b.pipeline,
        address: b.address,
        note: b.note,
        lines: b
            .lines
            .into_iter()
            .map(|l| OrderLine {
                sku: l.sku,
                name: l.name,
                quantity: l.quantity,
                unit_price_fen: l.unit_price_fen,
            })
            .collect(),
        notify: b.notify,
    };
    let actor = p.actor(ctx.rid());
    let made = async {
        let (view, fresh) = state
            .app
            .order_created(&actor, p.scope(), &form, key.as_deref())
            .await?;
        Ok::<_, AppError>((fresh, view))
    }
    .await;
    match made {
        Ok((true, v)) => (StatusCode::CREATED, Json(body_of(v))).into_response(),
        Ok((false, v)) => Json(body_of(v)).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(get, path = "/api/v1/orders", tag = "service", params(ListQuery),
    responses((status = 200, body = Vec<OrderSummary>), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<OrderSummary>>, WebError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        let e = patron_domain::FieldError::new("limit", "error.order.limit");
        return Err(WebError::api(AppError::from(e), ctx.lang));
    }
    let filter = OrderFilter {
        customer: q.customer_id,
        open_only: q.open,
    };
    let rows = state
        .app
        .orders(p.scope(), &filter, limit)
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(rows.iter().map(summary_of).collect()))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "service",
    responses((status = 200, body = OrderBody), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .view_order(&p.actor(ctx.rid()), p.scope(), id)
        .await
    {
        Ok(v) => Json(body_of(v)).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/stage", tag = "service", request_body = StageBody,
    responses((status = 200, body = MovedBody), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn stage(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<StageBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    match state
        .app
        .move_order(&p.actor(ctx.rid()), p.scope(), id, &b.to, &b.note, b.notify)
        .await
    {
        Ok(changed) => Json(MovedBody {
            status: b.to.trim().to_string(),
            changed,
        })
        .into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}
