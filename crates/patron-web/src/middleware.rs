//! Cross-cutting layers: request ids, security headers, request metrics and access logs.
//! Logs carry method, route, status and timing, never query strings or bodies, so no
//! personal data reaches them.

use crate::identity::RequestId;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(Default)]
pub struct Metrics {
    pub requests: Mutex<BTreeMap<(String, u16), u64>>,
    pub in_flight: AtomicU64,
    pub duration_ms_sum: AtomicU64,
    pub duration_count: AtomicU64,
}

pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_string)
        .unwrap_or_else(|| patron_app::credentials::random_token(10));
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let docs = req.uri().path().starts_with("/api/docs");
    let is_static = req.uri().path().starts_with("/static/");
    let started = Instant::now();
    state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let mut res = next.run(req).await;
    state.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    if let Ok(mut m) = state.metrics.requests.lock() {
        *m.entry((method.clone(), status)).or_default() += 1;
    }
    state
        .metrics
        .duration_ms_sum
        .fetch_add(elapsed.as_millis() as u64, Ordering::Relaxed);
    state.metrics.duration_count.fetch_add(1, Ordering::Relaxed);
    tracing::info!(request_id = %id, %method, %route, status, ms = elapsed.as_millis() as u64, "request");
    let h = res.headers_mut();
    let style = if docs {
        "style-src 'self' 'unsafe-inline'"
    } else {
        "style-src 'self'"
    };
    let csp = format!(
        "default-src 'self'; script-src 'self'; {style}; img-src 'self' data:; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if state.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    // Pages and API answers may carry personal data: never let a shared computer's cache keep them.
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert("x-request-id", v);
    }
    res
}

/// Prometheus text exposition.
pub async fn render_metrics(state: &AppState) -> String {
    let mut out = String::new();
    out.push_str("# HELP patron_http_requests_total HTTP requests by method and status.\n");
    out.push_str("# TYPE patron_http_requests_total counter\n");
    if let Ok(m) = state.metrics.requests.lock() {
        for ((method, status), n) in m.iter() {
            out.push_str(&format!(
                "patron_http_requests_total{{method=\"{method}\",status=\"{status}\"}} {n}\n"
            ));
        }
    }
    out.push_str("# HELP patron_http_requests_in_flight Requests being served.\n# TYPE patron_http_requests_in_flight gauge\n");
    out.push_str(&format!(
        "patron_http_requests_in_flight {}\n",
        state.metrics.in_flight.load(Ordering::Relaxed)
    ));
    out.push_str("# HELP patron_http_request_duration_ms Total and count of request durations.\n# TYPE patron_http_request_duration_ms summary\n");
    out.push_str(&format!(
        "patron_http_request_duration_ms_sum {}\n",
        state.metrics.duration_ms_sum.load(Ordering::Relaxed)
    ));
    out.push_str(&format!(
        "patron_http_request_duration_ms_count {}\n",
        state.metrics.duration_count.load(Ordering::Relaxed)
    ));
    out.push_str("# HELP patron_outbox_messages Outbox messages by status.\n# TYPE patron_outbox_messages gauge\n");
    // As of the dispatcher's last pass: a scrape never reads the outbox table.
    for (status, n) in state.app.outbox_figures() {
        out.push_str(&format!(
            "patron_outbox_messages{{status=\"{status}\"}} {n}\n"
        ));
    }
    let up = i32::from(state.app.database_ready().await);
    out.push_str(&format!("# HELP patron_database_up Whether the database answers.\n# TYPE patron_database_up gauge\npatron_database_up {up}\n"));
    out
}
