//! Files attached to a ticket: adding one (a multipart form with `file`) and opening one.

use super::ticket::after;
use crate::identity::Staff;
use crate::state::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use patron_app::service::ticket_files::{MAX_ATTACHMENT_BYTES, Upload};
use patron_domain::FieldError;

/// The largest upload form: one file and the form's own overhead.
pub const UPLOAD_LIMIT: usize = MAX_ATTACHMENT_BYTES + 64 * 1024;

/// Reads the `file` field of a multipart form; a form too large or unreadable is refused
/// on the file.
pub async fn read_upload(multipart: &mut Multipart) -> Result<Upload, FieldError> {
    let too_large = || FieldError::new("file", "error.attachment.size");
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let name = field.file_name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(|_| too_large())?;
                return Ok(Upload {
                    name,
                    bytes: bytes.to_vec(),
                });
            }
            Ok(Some(_)) => {}
            Ok(None) => return Err(FieldError::new("file", "error.attachment.empty")),
            Err(_) => return Err(too_large()),
        }
    }
}

pub async fn add(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Response {
    let result = match read_upload(&mut multipart).await {
        Ok(upload) => state
            .app
            .attach_to_ticket(&p.actor(ctx.rid()), p.scope(), id, &upload)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    after(&state, &p, &ctx, id, result).await
}

/// The file (audited), as a download unless it is a picture or a PDF the browser shows;
/// never cached.
pub async fn open(
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
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

/// An attachment as an HTTP response, named for saving (RFC 6266 with a UTF-8 name);
/// `middleware::observe` marks every answer `no-store` and `nosniff`.
pub fn file_response(f: patron_app::service::ticket_files::AttachmentFile) -> Response {
    let encoded: String = f
        .name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let disposition = format!("inline; filename*=UTF-8''{encoded}");
    (
        [
            (header::CONTENT_TYPE, f.media_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        f.bytes,
    )
        .into_response()
}
