//! Tickets over the API (`ticket.manage`): filing (retry-safe with an `Idempotency-Key`
//! header: a retry returns the ticket filed the first time), reading one with its SLA
//! deadlines and timeline, and moving it through the workflow.

use crate::api::bad_json;
use crate::error::{Problem, WebError};
use crate::identity::Staff;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use patron_app::service::tickets::TicketForm;
use patron_domain::service::ticket::Action;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicketBody {
    pub customer_id: i64,
    /// phone, in_store, wechat, email, sms, web, api (default api)
    #[serde(default)]
    pub channel: Option<String>,
    /// complaint, suggestion, inquiry, praise
    pub ticket_type: String,
    /// One of the desk's categories (product_quality, logistics, installation, ...).
    pub category: String,
    /// low, normal, high, critical
    pub severity: String,
    pub subject: String,
    pub description: String,
    #[serde(default)]
    pub sale_id: Option<i64>,
    /// The product or serial number concerned.
    #[serde(default)]
    pub item_ref: String,
    /// A handler; absent: by the desk's assignment rule.
    #[serde(default)]
    pub assignee_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct TicketBody {
    pub id: i64,
    pub customer_id: i64,
    pub store_id: i64,
    pub ticket_type: String,
    pub category: String,
    pub severity: String,
    pub status: String,
    pub subject: String,
    pub description: String,
    pub assignee_id: Option<i64>,
    /// Epoch milliseconds.
    pub created_at: i64,
    pub response_due_at: i64,
    pub responded_at: Option<i64>,
    /// Absent while the clock stands still (waiting on the customer) or after resolving.
    pub resolution_due_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub breached_response: bool,
    pub breached_resolution: bool,
    pub root_cause: Option<String>,
    pub timeline: Vec<EventBody>,
}

#[derive(Serialize, ToSchema)]
pub struct EventBody {
    pub at: i64,
    pub kind: String,
    pub staff_id: Option<i64>,
    pub to_status: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// acknowledge, start, wait, customer_replied, close, reopen (resolving is
    /// `POST /api/v1/tickets/{id}/resolve`, with the root cause and compensation)
    pub action: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct StatusBody {
    pub status: String,
}

#[utoipa::path(post, path = "/api/v1/tickets", tag = "service", request_body = NewTicketBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "retries with the same key return the first ticket")),
    responses((status = 201, body = TicketBody), (status = 200, description = "a retry: the ticket filed first", body = TicketBody),
        (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    headers: HeaderMap,
    body: Result<Json<NewTicketBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let key = crate::api::request_key(&headers, p.staff_id);
    let form = TicketForm {
        customer_id: b.customer_id,
        channel: b.channel.unwrap_or_else(|| "api".into()),
        ticket_type: b.ticket_type,
        category: b.category,
        severity: b.severity,
        subject: b.subject,
        description: b.description,
        sale_id: b.sale_id,
        item_ref: b.item_ref,
        assignee_id: b.assignee_id,
    };
    let actor = p.actor(ctx.rid());
    let result = async {
        let (view, fresh) = state
            .app
            .ticket_filed(&actor, p.scope(), &form, key.as_deref())
            .await?;
        Ok::<_, patron_app::AppError>((fresh, view))
    }
    .await;
    match result {
        Ok((fresh, v)) => {
            let code = if fresh {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (code, Json(body_of(v))).into_response()
        }
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

fn body_of(v: patron_app::service::tickets::TicketView) -> TicketBody {
    let r = v.row;
    TicketBody {
        id: r.id,
        customer_id: r.customer_id,
        store_id: r.store_id,
        ticket_type: r.ticket_type.code().to_string(),
        category: r.category,
        severity: r.severity.code().to_string(),
        status: r.status.code().to_string(),
        subject: r.subject,
        description: v.description,
        assignee_id: r.assignee_id,
        created_at: r.created_at.as_millisecond(),
        response_due_at: r.response_due_at.as_millisecond(),
        responded_at: r.responded_at.map(|t| t.as_millisecond()),
        resolution_due_at: r.resolution_due_at.map(|t| t.as_millisecond()),
        resolved_at: r.resolved_at.map(|t| t.as_millisecond()),
        closed_at: r.closed_at.map(|t| t.as_millisecond()),
        breached_response: r.breached_response,
        breached_resolution: r.breached_resolution,
        root_cause: r.root_cause,
        timeline: v
            .timeline
            .into_iter()
            .map(|e| EventBody {
                at: e.at.as_millisecond(),
                kind: e.kind,
                staff_id: e.staff_id,
                to_status: e.to.map(|s| s.code().to_string()),
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "service",
    responses((status = 200, body = TicketBody), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .view_ticket(&p.actor(ctx.rid()), p.scope(), id)
        .await
    {
        Ok(v) => Json(body_of(v)).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/actions", tag = "service", request_body = ActionBody,
    responses((status = 200, body = StatusBody), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn act(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<ActionBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let result = match Action::parse(&b.action) {
        Ok(a) => {
            state
                .app
                .act_on_ticket(&p.actor(ctx.rid()), p.scope(), id, a, &b.note)
                .await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(s) => Json(StatusBody {
            status: s.code().to_string(),
        })
        .into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}
