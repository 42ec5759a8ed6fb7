//! Staff console pages, server-rendered. Every form posts back with the CSRF token; a valid
//! post redirects (303) to a page that shows a flash message, an invalid one re-renders the
//! form with the error beside the data that was typed, so nothing is lost.

pub mod account;
pub mod audit;
pub mod auth;
pub mod home;
pub mod keys;
pub mod outbox;
pub mod roles;
pub mod settings;
pub mod staff;
pub mod stores;

use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// `?ok=<key>` after a redirect names the flash message to show.
#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    #[serde(default)]
    pub ok: String,
}

pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Checkbox and select values arrive as strings; an empty select means "none".
pub fn opt_id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}
