//! Staff console pages, server-rendered. Every form posts back with the CSRF token; a valid
//! post redirects (303) to a page that shows a flash message, an invalid one re-renders the
//! form with the error beside the data that was typed, so nothing is lost.

pub mod account;
pub mod audit;
pub mod auth;
pub mod care;
pub mod customers;
pub mod home;
pub mod keys;
pub mod membership;
pub mod messages;
pub mod optout;
pub mod outbox;
pub mod reports;
pub mod roles;
pub mod service;
pub mod settings;
pub mod staff;
pub mod stores;
pub mod till;

use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// `?ok=<key>` after a redirect names the flash message to show.
#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    #[serde(default)]
    pub ok: String,
}

/// A field error as shown above a form: "the field's label：what is wrong".
pub fn field_message(ctx: &crate::identity::Ctx, e: &patron_domain::FieldError) -> String {
    match ctx.lang.try_t(&format!("field.{}", e.field)) {
        Some(l) => format!("{l}：{}", ctx.lang.t(e.key)),
        None => ctx.lang.t(e.key).to_string(),
    }
}

/// The message a form shows for a refused post: its field errors, or a conflict ("this
/// installer is busy then"); `None` for errors that get their own page.
pub fn form_error(ctx: &crate::identity::Ctx, e: &patron_app::AppError) -> Option<String> {
    use patron_app::AppError;
    match e {
        AppError::Field(_) | AppError::Fields(_) => {
            e.field_errors().first().map(|f| field_message(ctx, f))
        }
        AppError::Conflict { key, field } => Some(match field {
            Some(f) => field_message(ctx, &patron_domain::FieldError::new(f, key)),
            None => ctx.lang.t(key).to_string(),
        }),
        _ => None,
    }
}

pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Checkbox and select values arrive as strings; an empty select means "none".
pub fn opt_id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

/// A failed form post: refusals and missing objects get their own status page; anything
/// else (bad input, conflicts) re-renders the form with the message beside what was typed.
pub async fn on_form_error<F>(
    e: &patron_app::AppError,
    lang: crate::i18n::Lang,
    rerender: F,
) -> Response
where
    F: std::future::Future<Output = Response>,
{
    use patron_app::AppError;
    match e {
        AppError::Forbidden => {
            crate::error::WebError::page(AppError::Forbidden, lang).into_response_page()
        }
        AppError::NotFound => {
            crate::error::WebError::page(AppError::NotFound, lang).into_response_page()
        }
        _ => rerender.await,
    }
}
