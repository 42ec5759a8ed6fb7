//! One application error, rendered two ways: `application/problem+json` with a stable `code`
//! and a message in the caller's language for the API; an HTML page for the console.
//! Internal causes are logged with the request id and never shown.

use crate::i18n::Lang;
use crate::view::{ErrorPage, Page, render};
use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use patron_app::AppError;
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable machine-readable code, e.g. `invalid_field`, `forbidden`, `conflict`.
    pub code: String,
    pub title: String,
    pub status: u16,
    /// The input field at fault, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field at fault when a whole form was checked.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<FieldProblem>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

pub fn problem(status: StatusCode, code: &str, message: &str, field: Option<&str>) -> Response {
    let body = Problem {
        code: code.into(),
        title: message.into(),
        status: status.as_u16(),
        field: field.map(Into::into),
        errors: Vec::new(),
    };
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/problem+json"),
    );
    res
}

pub fn page_error(status: StatusCode, lang: Lang, key: &'static str) -> Response {
    let page = ErrorPage {
        page: Page::bare(lang, "error.title"),
        message: lang.t(key),
    };
    (status, render(&page)).into_response()
}

pub fn forbidden(lang: Lang, api: bool) -> Response {
    if api {
        problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            lang.t("error.forbidden"),
            None,
        )
    } else {
        page_error(StatusCode::FORBIDDEN, lang, "error.forbidden")
    }
}

pub fn internal(cause: &str, lang: Lang, api: bool) -> Response {
    tracing::error!(cause, "internal error");
    if api {
        problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            lang.t("error.internal"),
            None,
        )
    } else {
        page_error(StatusCode::INTERNAL_SERVER_ERROR, lang, "error.internal")
    }
}

/// An `AppError` with what is needed to render it.
pub struct WebError {
    pub error: AppError,
    pub lang: Lang,
    pub api: bool,
}

impl WebError {
    pub fn api(error: impl Into<AppError>, lang: Lang) -> Self {
        Self {
            error: error.into(),
            lang,
            api: true,
        }
    }

    pub fn page(error: impl Into<AppError>, lang: Lang) -> Self {
        Self {
            error: error.into(),
            lang,
            api: false,
        }
    }
}

/// The status and message key an error is shown with.
pub fn describe(e: &AppError) -> (StatusCode, &'static str, Option<&'static str>) {
    match e {
        AppError::Field(f) => (StatusCode::UNPROCESSABLE_ENTITY, f.key, Some(f.field)),
        AppError::Fields(v) => match v.first() {
            Some(f) => (StatusCode::UNPROCESSABLE_ENTITY, f.key, Some(f.field)),
            None => (StatusCode::UNPROCESSABLE_ENTITY, "error.invalid_body", None),
        },
        AppError::NotFound => (StatusCode::NOT_FOUND, "error.not_found", None),
        AppError::Conflict { key, field } => (StatusCode::CONFLICT, key, *field),
        AppError::Forbidden => (StatusCode::FORBIDDEN, "error.forbidden", None),
        AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "error.unauthenticated", None),
        AppError::TooManyAttempts => (
            StatusCode::TOO_MANY_REQUESTS,
            "error.too_many_attempts",
            None,
        ),
        AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "error.rate_limited", None),
        AppError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "error.busy", None),
        AppError::Unsupported(_) => (StatusCode::UNPROCESSABLE_ENTITY, "error.unsupported", None),
        AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "error.internal", None),
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self.error {
            return internal(cause, self.lang, self.api);
        }
        let (status, key, field) = describe(&self.error);
        if self.api {
            let mut res = problem(status, self.error.code(), self.lang.t(key), field);
            let all = self.error.field_errors();
            if all.len() > 1 {
                let body = Problem {
                    code: self.error.code().into(),
                    title: self.lang.t(key).into(),
                    status: status.as_u16(),
                    field: field.map(Into::into),
                    errors: all
                        .iter()
                        .map(|f| FieldProblem {
                            field: f.field.into(),
                            message: self.lang.t(f.key).into(),
                        })
                        .collect(),
                };
                res = (status, Json(body)).into_response();
                res.headers_mut().insert(
                    header::CONTENT_TYPE,
                    header::HeaderValue::from_static("application/problem+json"),
                );
            }
            if let AppError::RateLimited { retry_after_secs } = self.error {
                res.headers_mut().insert(
                    header::RETRY_AFTER,
                    header::HeaderValue::from(retry_after_secs),
                );
            }
            res
        } else {
            page_error(status, self.lang, key)
        }
    }
}

impl WebError {
    /// Renders as a console page whatever `api` says (for handlers that only serve pages).
    pub fn into_response_page(self) -> Response {
        WebError { api: false, ..self }.into_response()
    }
}
