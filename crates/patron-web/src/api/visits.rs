//! Delivery, installation and measuring visits over the API (`order.manage`): booking one
//! for an order, moving, cancelling and completing it (JSON, or multipart with a photo as
//! proof), and fetching a completed visit's photo. Times are the store's local day and
//! clock, as on the console. A retried cancel or completion answers with the visit as it is
//! instead of a conflict; a retried booking clashes with itself on the staff calendar.

use crate::api::bad_json;
use crate::console::service::orders::{photo_response, read_completion};
use crate::error::{Problem, WebError};
use crate::identity::Staff;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use patron_app::AppError;
use patron_app::security::Principal;
use patron_app::service::appointments::VisitForm;
use patron_domain::FieldError;
use patron_domain::service::order::AppointmentStatus;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct VisitBody {
    pub id: i64,
    /// `measure`, `delivery` or `installation`.
    pub kind: String,
    /// `scheduled`, `done` or `cancelled`.
    pub status: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub assignee_id: i64,
    pub address: String,
    pub proof_note: String,
    pub has_photo: bool,
    pub completed_at: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitInputBody {
    /// `measure`, `delivery` or `installation` (ignored when moving a visit).
    #[serde(default)]
    pub kind: String,
    /// The store's local day, `2026-11-25`.
    pub date: String,
    /// The store's local time, `09:00`.
    pub from: String,
    pub to: String,
    /// An active staff member of the order's store.
    pub assignee_id: i64,
    /// Absent: the order's address.
    #[serde(default)]
    pub address: String,
    /// Why the visit moves (required when moving).
    #[serde(default)]
    pub reason: String,
}

impl VisitInputBody {
    fn form(&self) -> VisitForm {
        VisitForm {
            kind: self.kind.clone(),
            date: self.date.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            assignee_id: self.assignee_id,
            address: self.address.clone(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    /// What was done (required). To send a photo as well, post `multipart/form-data` with
    /// the fields `note` and `photo` instead.
    pub note: String,
}

pub(crate) fn visit_body(v: &patron_app::service::orders::Visit) -> VisitBody {
    VisitBody {
        id: v.row.id,
        kind: v.kind.code().to_string(),
        status: v.status.code().to_string(),
        starts_at: v.row.starts_at.as_millisecond(),
        ends_at: v.row.ends_at.as_millisecond(),
        assignee_id: v.row.assignee_id,
        address: v.address.clone(),
        proof_note: v.proof_note.clone(),
        has_photo: v.row.proof_photo.is_some(),
        completed_at: v.row.completed_at.map(|t| t.as_millisecond()),
    }
}

/// Answers with the visit (`code`) after `change`, or at once when the visit already has
/// the status `settled` (a retried cancel or completion).
async fn settle(
    state: &AppState,
    p: &Principal,
    id: i64,
    settled: Option<AppointmentStatus>,
    code: StatusCode,
    change: impl Future<Output = Result<(), AppError>>,
) -> Result<Response, AppError> {
    let done = match settled {
        Some(s) => state.app.appointment(p.scope(), id).await?.status == s,
        None => false,
    };
    if !done {
        change.await?;
    }
    let v = state.app.visit(p.scope(), id).await?;
    Ok((code, Json(visit_body(&v))).into_response())
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/visits", tag = "service", request_body = VisitInputBody,
    responses((status = 201, body = VisitBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn book(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<VisitInputBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let booked = async {
        let visit = state
            .app
            .book_visit(&p.actor(ctx.rid()), p.scope(), id, &b.form())
            .await?;
        settle(&state, &p, visit, None, StatusCode::CREATED, async {
            Ok(())
        })
        .await
    }
    .await;
    booked.unwrap_or_else(|e| WebError::api(e, ctx.lang).into_response())
}

#[utoipa::path(post, path = "/api/v1/visits/{id}/reschedule", tag = "service", request_body = VisitInputBody,
    responses((status = 200, body = VisitBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn reschedule(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<VisitInputBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let (actor, form) = (p.actor(ctx.rid()), b.form());
    let change = state
        .app
        .reschedule_visit(&actor, p.scope(), id, &form, &b.reason);
    settle(&state, &p, id, None, StatusCode::OK, change)
        .await
        .unwrap_or_else(|e| WebError::api(e, ctx.lang).into_response())
}

#[utoipa::path(post, path = "/api/v1/visits/{id}/cancel", tag = "service", request_body = ReasonBody,
    responses((status = 200, body = VisitBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<ReasonBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let actor = p.actor(ctx.rid());
    let change = state.app.cancel_visit(&actor, p.scope(), id, &b.reason);
    settle(
        &state,
        &p,
        id,
        Some(AppointmentStatus::Cancelled),
        StatusCode::OK,
        change,
    )
    .await
    .unwrap_or_else(|e| WebError::api(e, ctx.lang).into_response())
}

#[utoipa::path(post, path = "/api/v1/visits/{id}/complete", tag = "service",
    request_body(content = CompleteBody, description = "JSON, or `multipart/form-data` with `note` and an optional `photo` (JPEG, PNG or WebP, at most 8 MB)",
        content_type = "application/json"),
    responses((status = 200, body = VisitBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn complete(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let read = if multipart {
        match Multipart::from_request(request, &state).await {
            Ok(mut m) => read_completion(&mut m, "note").await,
            Err(_) => Err(FieldError::new("photo", "error.appointment.photo_size")),
        }
    } else {
        match Json::<CompleteBody>::from_request(request, &state).await {
            Ok(Json(b)) => Ok((b.note, None)),
            Err(e) => return bad_json(e, ctx.lang),
        }
    };
    let (note, photo) = match read {
        Ok(read) => read,
        Err(e) => return WebError::api(AppError::from(e), ctx.lang).into_response(),
    };
    let actor = p.actor(ctx.rid());
    let change = state
        .app
        .complete_visit(&actor, p.scope(), id, &note, photo);
    settle(
        &state,
        &p,
        id,
        Some(AppointmentStatus::Done),
        StatusCode::OK,
        change,
    )
    .await
    .unwrap_or_else(|e| WebError::api(e, ctx.lang).into_response())
}

#[utoipa::path(get, path = "/api/v1/visits/{id}/photo", tag = "service",
    responses((status = 200, description = "the photo (JPEG, PNG or WebP)", content_type = "application/octet-stream"), (status = 404, body = Problem)))]
pub async fn photo(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .visit_photo(&p.actor(ctx.rid()), p.scope(), id)
        .await
    {
        Ok((bytes, kind)) => photo_response(bytes, kind),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}
