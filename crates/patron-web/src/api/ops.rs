//! Operations endpoints: liveness, readiness (the database answers), Prometheus metrics,
//! and the static assets of the console.

use crate::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

#[utoipa::path(get, path = "/healthz", tag = "operations", security(), responses((status = 200, description = "The process is alive.")))]
pub async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/readyz", tag = "operations", security(),
    responses((status = 200, description = "Ready to serve."), (status = 503, description = "The database does not answer.")))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.app.database_ready().await {
        true => "ready".into_response(),
        false => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let body = crate::middleware::render_metrics(&state).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

pub async fn css() -> Response {
    static_file(
        "text/css; charset=utf-8",
        include_str!("../../static/app.css"),
    )
}

pub async fn js() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../static/app.js"),
    )
}

fn static_file(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
