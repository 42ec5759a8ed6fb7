//! What customers reach without signing in: the unsubscribe link in marketing e-mail (a page
//! to confirm, and the one-click POST mail programs send under RFC 8058), and the address the
//! SMS provider posts customers' replies to. Both are authorised by the secret in the
//! address; neither shows anything about the customer beyond the purpose being withdrawn.

use crate::identity::Ctx;
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use patron_app::AppError;
use patron_app::messages::ReplyOutcome;

#[derive(Template)]
#[template(path = "unsubscribe.html")]
pub struct UnsubscribePage {
    page: Page,
    action: String,
    purpose: String,
    done: bool,
}

fn invalid(ctx: &Ctx) -> Response {
    crate::error::page_error(StatusCode::NOT_FOUND, ctx.lang, "unsubscribe.invalid")
}

pub async fn unsubscribe_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Response {
    match state.app.check_unsubscribe(&token) {
        Ok((_, purpose)) => render(&UnsubscribePage {
            page: Page::bare(ctx.lang, "unsubscribe.title"),
            action: format!("/unsubscribe/{token}"),
            purpose: ctx
                .lang
                .t(&format!("purpose.{}", purpose.as_str()))
                .to_string(),
            done: false,
        }),
        Err(_) => invalid(&ctx),
    }
}

pub async fn unsubscribe_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Response {
    match state.app.unsubscribe(&token).await {
        Ok(purpose) => render(&UnsubscribePage {
            page: Page::bare(ctx.lang, "unsubscribe.title"),
            action: String::new(),
            purpose: ctx
                .lang
                .t(&format!("purpose.{}", purpose.as_str()))
                .to_string(),
            done: true,
        }),
        Err(AppError::NotFound) => invalid(&ctx),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

/// One reply as the provider reports it: Tencent Cloud posts `{"mobile", "text", ...}`,
/// Alibaba Cloud's HTTP push posts a list of `{"phone_number", "content", ...}`.
fn replies(body: &serde_json::Value) -> Vec<(String, String)> {
    let one = |v: &serde_json::Value| {
        let phone = v["mobile"].as_str().or(v["phone_number"].as_str())?;
        let text = v["text"].as_str().or(v["content"].as_str())?;
        Some((phone.to_string(), text.to_string()))
    };
    match body {
        serde_json::Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

pub async fn sms_reply(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Json(body): Json<serde_json::Value>,
) -> Response {
    if !state.app.sms_reply_token_ok(&token) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut withdrawn = 0;
    for (phone, text) in replies(&body) {
        match state.app.sms_reply(&phone, &text).await {
            Ok(ReplyOutcome::Withdrawn(n)) => withdrawn += n,
            Ok(ReplyOutcome::Ignored) => {}
            Err(e) => {
                tracing::error!(error = %e, "recording an SMS reply failed");
                // The provider retries a failed push.
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
    }
    tracing::info!(withdrawn, "SMS replies received");
    // Each provider reads its own success shape; both are given.
    Json(serde_json::json!({ "code": 0, "msg": "成功", "result": 0, "errmsg": "OK" }))
        .into_response()
}
