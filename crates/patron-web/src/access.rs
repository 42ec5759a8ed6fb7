//! What each route requires, and the middleware that enforces it before the handler runs:
//! authentication, the sign-in stage, the capability, and CSRF protection for every
//! state-changing console request. Denied attempts are written to the audit log.

use crate::identity::{Ctx, Identity, cookie};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use patron_app::security::{Stage, Via};
use patron_domain::{AuditEvent, Capability, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: static files, health checks, sign-in and first-run set-up.
    Public,
    /// A session that is still in this sign-in stage (second factor, enrolment, new password).
    Stage(Stage),
    /// A staff session in any stage (logging out).
    AnySession,
    /// Any fully signed-in staff member (their own account pages).
    SignedIn,
    /// A fully signed-in staff member whose role holds this capability.
    Cap(Capability),
    /// A till, by its store-bound API key.
    Till,
    /// Anyone holding the secret in the address, checked by the handler (unsubscribe links in
    /// customers' mail, providers' callbacks). No session, so no CSRF token either.
    Secret,
}

impl Access {
    /// Whether the route answers visitors without any credentials.
    pub fn anonymous(self) -> bool {
        matches!(self, Access::Public | Access::Secret)
    }
}

impl Access {
    pub fn label(self) -> String {
        match self {
            Access::Public => "public".into(),
            Access::Stage(s) => format!("stage:{}", s.as_str()),
            Access::AnySession => "session".into(),
            Access::SignedIn => "signed-in".into(),
            Access::Cap(c) => c.as_str().into(),
            Access::Till => "till".into(),
            Access::Secret => "secret".into(),
        }
    }
}

const BODY_LIMIT: usize = 2 * 1024 * 1024;

fn stage_page(stage: Stage) -> &'static str {
    match stage {
        Stage::Totp => "/login/totp",
        Stage::Enrol => "/account/enrol",
        Stage::ChangePassword => "/account/password-required",
        Stage::Full => "/console",
    }
}

pub async fn enforce(
    State((state, access)): State<(AppState, Access)>,
    ctx: Ctx,
    mut req: Request,
    next: Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let path = req.uri().path().to_string();
    // The API takes bearer credentials only: a browser's cookie never authorises an API
    // call, so the API needs no CSRF defence. The console takes the session cookie only: a
    // personal token is for scripts, and must not open staff pages (nor post forms there,
    // where it would stand in for the CSRF-guarded session).
    let identity = match &ctx.identity {
        Identity::Staff(p) if api && matches!(p.via, Via::Session { .. }) => Identity::Anonymous,
        Identity::Staff(p) if !api && matches!(p.via, Via::Token { .. }) => Identity::Anonymous,
        Identity::Till(_) if !api => Identity::Anonymous,
        other => other.clone(),
    };
    // Handlers see the caller as this check saw them.
    req.extensions_mut().insert(identity.clone());
    if matches!(identity, Identity::BadBearer) && !access.anonymous() {
        return crate::error::problem(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            ctx.lang.t("error.unauthenticated"),
            None,
        );
    }
    let unauthenticated = || -> Response {
        if api {
            crate::error::problem(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                ctx.lang.t("error.unauthenticated"),
                None,
            )
        } else {
            Redirect::to("/login").into_response()
        }
    };
    let staff = match &identity {
        Identity::Staff(p) => Some(p),
        _ => None,
    };
    match access {
        Access::Public | Access::Secret => {}
        Access::Till => {
            if !matches!(identity, Identity::Till(_)) {
                return unauthenticated();
            }
        }
        Access::Stage(wanted) => match staff {
            Some(p) if p.stage() == wanted => {}
            Some(p) => return Redirect::to(stage_page(p.stage())).into_response(),
            None => return unauthenticated(),
        },
        Access::AnySession => {
            if staff.is_none() {
                return unauthenticated();
            }
        }
        Access::SignedIn | Access::Cap(_) => {
            let Some(p) = staff else {
                return unauthenticated();
            };
            if p.stage() != Stage::Full {
                return Redirect::to(stage_page(p.stage())).into_response();
            }
            if let Access::Cap(cap) = access
                && !p.can(cap)
            {
                let event = AuditEvent {
                    action: "access.denied".into(),
                    target_kind: Some("route".into()),
                    target_id: Some(format!("{} {}", req.method(), path)),
                    outcome: Outcome::Denied,
                    detail: cap.as_str().into(),
                };
                if let Err(e) = state.app.record_audit(&p.actor(ctx.rid()), &event).await {
                    return crate::error::internal(&e.to_string(), ctx.lang, api);
                }
                return crate::error::forbidden(ctx.lang, api);
            }
        }
    }
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !api && access != Access::Secret {
        let expected = match staff.map(|p| &p.via) {
            Some(Via::Session { csrf, .. }) => Some(csrf.clone()),
            _ => cookie(req.headers(), state.csrf_cookie()),
        };
        return match check_csrf(req, expected).await {
            Ok(req) => next.run(req).await,
            Err(()) => crate::error::page_error(StatusCode::FORBIDDEN, ctx.lang, "error.csrf"),
        };
    }
    next.run(req).await
}

/// Same-origin check plus the synchronizer token (header `X-CSRF-Token` or form field
/// `_csrf`). The body is buffered to read the field and handed on unchanged.
async fn check_csrf(req: Request, expected: Option<String>) -> Result<Request, ()> {
    if !same_origin(req.headers()) {
        return Err(());
    }
    let Some(expected) = expected.filter(|e| !e.is_empty()) else {
        return Err(());
    };
    // A file upload is multipart, which the field check below cannot read: such forms carry
    // the token in their action URL instead (logs record the route, never the query).
    let multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        let given = req
            .uri()
            .query()
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "_csrf"))
            .map(|(_, v)| v)
            .unwrap_or_default();
        return if constant_eq(&given, &expected) {
            Ok(req)
        } else {
            Err(())
        };
    }
    if let Some(h) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if constant_eq(h, &expected) {
            Ok(req)
        } else {
            Err(())
        };
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| ())?;
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let given = form
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if constant_eq(given, &expected) {
        Ok(Request::from_parts(parts, Body::from(bytes)))
    } else {
        Err(())
    }
}

/// Browsers send `Origin` (and `Sec-Fetch-Site`) on cross-site posts; refuse those outright.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin.split_once("://").map(|(_, h)| h) == Some(host)
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
