//! Who is calling. A middleware resolves the session cookie or the bearer credential once
//! per request into an `Identity`; the extractors below hand it to handlers. Tills use keys
//! starting `pk_`, scripts personal tokens starting `pt_`; the console uses the session cookie.

use crate::i18n::Lang;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{HeaderMap, header, request::Parts};
use axum::middleware::Next;
use axum::response::Response;
use patron_app::security::{Principal, Till};
use std::net::SocketAddr;

#[derive(Clone, Debug)]
pub enum Identity {
    Anonymous,
    Staff(Principal),
    Till(Till),
    /// A bearer credential was sent but is unknown, revoked, or its account disabled.
    BadBearer,
}

#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The client's address as `security::client_address` found it (through trusted proxies).
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub std::net::IpAddr);

/// The value of cookie `name`, if present.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|line| {
            line.split(';').find_map(|pair| {
                let (k, v) = pair.trim().split_once('=')?;
                (k == name).then(|| v.to_string())
            })
        })
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Paths that never depend on who is asking: no session lookup for them.
fn anonymous_path(path: &str) -> bool {
    path.starts_with("/static/") || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(peer) = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        let client = patron_app::security::client_address(peer, forwarded, &state.trusted_proxies);
        req.extensions_mut().insert(ClientAddr(client));
    }
    if anonymous_path(req.uri().path()) {
        req.extensions_mut().insert(Identity::Anonymous);
        return next.run(req).await;
    }
    let headers = req.headers();
    let identity = match bearer(headers) {
        Some(token) => {
            let found = if token.starts_with("pk_") {
                state.app.till(&token).await.map(|t| t.map(Identity::Till))
            } else {
                state
                    .app
                    .token_principal(&token)
                    .await
                    .map(|p| p.map(Identity::Staff))
            };
            match found {
                Ok(Some(identity)) => identity,
                Ok(None) => Identity::BadBearer,
                Err(e) => {
                    return crate::error::internal(
                        &e.to_string(),
                        crate::i18n::request_lang(headers),
                        true,
                    );
                }
            }
        }
        None => match cookie(headers, state.session_cookie()) {
            Some(token) => match state.app.session_principal(&token).await {
                Ok(Some(p)) => Identity::Staff(p),
                Ok(None) => Identity::Anonymous,
                Err(e) => {
                    return crate::error::internal(
                        &e.to_string(),
                        crate::i18n::request_lang(headers),
                        false,
                    );
                }
            },
            None => Identity::Anonymous,
        },
    };
    req.extensions_mut().insert(identity);
    next.run(req).await
}

/// What most handlers need: language, request id, caller, client address.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub lang: Lang,
    pub request_id: String,
    pub identity: Identity,
    pub ip: Option<String>,
}

impl Ctx {
    pub fn rid(&self) -> Option<String> {
        Some(self.request_id.clone())
    }

    pub fn principal(&self) -> Option<&Principal> {
        match &self.identity {
            Identity::Staff(p) => Some(p),
            _ => None,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Ctx {
            lang: crate::i18n::request_lang(&parts.headers),
            request_id: parts
                .extensions
                .get::<RequestId>()
                .map(|r| r.0.clone())
                .unwrap_or_default(),
            identity: parts
                .extensions
                .get::<Identity>()
                .cloned()
                .unwrap_or(Identity::Anonymous),
            ip: parts
                .extensions
                .get::<ClientAddr>()
                .map(|c| c.0.to_string()),
        })
    }
}

/// A signed-in staff member. The route table guarantees it on routes that need it; the
/// rejection only fires if a route is misdeclared.
pub struct Staff(pub Principal, pub Ctx);

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Ok(ctx) = Ctx::from_request_parts(parts, state).await;
        match ctx.identity.clone() {
            Identity::Staff(p) => Ok(Staff(p, ctx)),
            _ => Err(crate::error::internal(
                "route declared without staff access",
                ctx.lang,
                false,
            )),
        }
    }
}

/// A till authenticated by its store key.
pub struct PosTerminal(pub Till);

impl<S: Send + Sync> FromRequestParts<S> for PosTerminal {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Ok(ctx) = Ctx::from_request_parts(parts, state).await;
        match ctx.identity.clone() {
            Identity::Till(t) => Ok(PosTerminal(t)),
            _ => Err(crate::error::internal(
                "route declared without till access",
                ctx.lang,
                true,
            )),
        }
    }
}
