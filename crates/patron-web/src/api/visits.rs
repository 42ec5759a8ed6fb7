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
use patron_app::service::appointments::{VisitChange, VisitForm};
use patron_app::service::orders::Visit;
use patron_domain::FieldError;
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

/// The visit as the API answers it, with `code`.
fn answer(code: StatusCode, v: Result<Visit, AppError>, lang: crate::i18n::Lang) -> Response {
    match v {
        Ok(v) => (code, Json(visit_body(&v))).into_response(),
        Err(e) => WebError::api(e, lang).into_response(),
    }
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
    let booked = state
        .app
        .visit_booked(&p.actor(ctx.rid()), p.scope(), id, &b.form())
        .await;
    answer(StatusCode::CREATED, booked, ctx.lang)
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
    let form = b.form();
    let change = VisitChange::Reschedule {
        form: &form,
        reason: &b.reason,
    };
    let moved = state
        .app
        .visit_changed(&p.actor(ctx.rid()), p.scope(), id, change)
        .await;
    answer(StatusCode::OK, moved, ctx.lang)
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
    let change = VisitChange::Cancel { reason: &b.reason };
    let cancelled = state
        .app
        .visit_changed(&p.actor(ctx.rid()), p.scope(), id, change)
        .await;
    answer(StatusCode::OK, cancelled, ctx.lang)
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
    let change = VisitChange::Complete { note: &note, photo };
    let completed = state
        .app
        .visit_changed(&p.actor(ctx.rid()), p.scope(), id, change)
        .await;
    answer(StatusCode::OK, completed, ctx.lang)
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
