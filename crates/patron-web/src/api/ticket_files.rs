//! A ticket's attachments over the API (`ticket.manage`): listing, adding (multipart with
//! a `file` field) and fetching one.

use crate::console::service::{file_response, read_upload};
use crate::error::{Problem, WebError};
use crate::identity::Staff;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct AttachmentBody {
    pub id: i64,
    pub name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub added_by: Option<i64>,
    /// Epoch milliseconds.
    pub added_at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AttachedBody {
    pub id: i64,
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/attachments", tag = "service",
    responses((status = 200, body = [AttachmentBody]), (status = 404, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state.app.attachments_of(p.scope(), id).await {
        Ok(list) => Json(
            list.into_iter()
                .map(|a| AttachmentBody {
                    id: a.id,
                    name: a.name,
                    media_type: a.media_type,
                    size_bytes: a.size_bytes,
                    added_by: a.added_by,
                    added_at: a.added_at.as_millisecond(),
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments", tag = "service",
    request_body(content_type = "multipart/form-data", description = "a `file` field: a JPEG, PNG, WebP picture or a PDF, at most 5 MB"),
    responses((status = 201, body = AttachedBody), (status = 404, body = Problem), (status = 409, description = "the ticket holds 10 files", body = Problem),
        (status = 422, body = Problem)))]
pub async fn add(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Response {
    let result = match read_upload(&mut multipart).await {
        Ok(upload) => {
            state
                .app
                .attach_to_ticket(&p.actor(ctx.rid()), p.scope(), id, &upload)
                .await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(id) => (StatusCode::CREATED, Json(AttachedBody { id })).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "service",
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .ticket_attachment(&p.actor(ctx.rid()), p.scope(), id)
        .await
    {
        Ok(f) => file_response(f),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}
