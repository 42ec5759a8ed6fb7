//! The route table: every route, its method, and what it requires. The router is built from
//! this table and nothing else, and the role × route test walks it, so a route cannot exist
//! without a declared access rule.

mod api_routes;
mod care_routes;
mod console_routes;
mod loyalty_routes;

use crate::access::{Access, enforce};
use crate::console::{account, auth};
use crate::state::AppState;
use crate::{api, identity, middleware};
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use patron_app::security::Stage;

struct Route {
    method: &'static str,
    path: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
}

/// A route as tests and documentation see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

fn r(
    method: &'static str,
    path: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
) -> Route {
    Route {
        method,
        path,
        access,
        handler,
    }
}

fn table() -> Vec<Route> {
    use Access::{AnySession, Public, Secret, Stage as InStage};
    vec![
        // Operations and assets.
        r("GET", "/healthz", Public, get(api::ops::healthz)),
        r("GET", "/readyz", Public, get(api::ops::readyz)),
        r("GET", "/metrics", Public, get(api::ops::metrics)),
        r("GET", "/static/app.css", Public, get(api::ops::css)),
        r("GET", "/static/app.js", Public, get(api::ops::js)),
        r("GET", "/api/v1/openapi.json", Public, get(api::openapi)),
        // Signing in and out.
        r("GET", "/", Public, get(auth::root)),
        r("GET", "/setup", Public, get(auth::setup_page)),
        r("POST", "/setup", Public, post(auth::setup_submit)),
        r("GET", "/login", Public, get(auth::login_page)),
        r("POST", "/login", Public, post(auth::login_submit)),
        r(
            "GET",
            "/login/totp",
            InStage(Stage::Totp),
            get(auth::totp_page),
        ),
        r(
            "POST",
            "/login/totp",
            InStage(Stage::Totp),
            post(auth::totp_submit),
        ),
        r(
            "GET",
            "/account/enrol",
            InStage(Stage::Enrol),
            get(account::enrol_page),
        ),
        r(
            "POST",
            "/account/enrol",
            InStage(Stage::Enrol),
            post(account::enrol_submit),
        ),
        r(
            "GET",
            "/account/password-required",
            InStage(Stage::ChangePassword),
            get(account::password_required_page),
        ),
        r(
            "POST",
            "/account/password-required",
            InStage(Stage::ChangePassword),
            post(account::password_required_submit),
        ),
        r("POST", "/logout", AnySession, post(auth::logout)),
        r("GET", "/lang/{code}", Public, get(auth::set_lang)),
        r("GET", "/invite/{token}", Public, get(auth::invite_page)),
        r("POST", "/invite/{token}", Public, post(auth::invite_submit)),
        r("GET", "/reset/{token}", Public, get(auth::reset_page)),
        r("POST", "/reset/{token}", Public, post(auth::reset_submit)),
        // Customers' refusals: unsubscribe links and SMS replies (secret in the address).
        r(
            "GET",
            "/unsubscribe/{token}",
            Secret,
            get(crate::console::optout::unsubscribe_page),
        ),
        r(
            "POST",
            "/unsubscribe/{token}",
            Secret,
            post(crate::console::optout::unsubscribe_submit),
        ),
        // Survey links (secret in the address).
        r(
            "GET",
            "/s/{token}",
            Secret,
            get(crate::console::service::survey_answer::answer_page),
        ),
        r(
            "POST",
            "/s/{token}",
            Secret,
            post(crate::console::service::survey_answer::answer_submit),
        ),
        r(
            "POST",
            "/hooks/sms/{token}",
            Secret,
            post(crate::console::optout::sms_reply),
        ),
        // Console (console_routes.rs, care_routes.rs, loyalty_routes.rs) and the API
        // (api_routes.rs).
    ]
    .into_iter()
    .chain(console_routes::routes())
    .chain(care_routes::routes())
    .chain(loyalty_routes::routes())
    .chain(api_routes::routes())
    .collect()
}

/// The offline Swagger UI is mounted as a whole; it is public like the document it shows.
const DOCS: RouteInfo = RouteInfo {
    method: "GET",
    path: "/api/docs/",
    access: Access::Public,
};

pub fn route_table() -> Vec<RouteInfo> {
    let mut v: Vec<RouteInfo> = table()
        .into_iter()
        .map(|r| RouteInfo {
            method: r.method,
            path: r.path,
            access: r.access,
        })
        .collect();
    v.push(DOCS);
    v
}

pub fn build(state: AppState) -> Router {
    let mut router: Router<AppState> = Router::new();
    for route in table() {
        let guard = axum::middleware::from_fn_with_state((state.clone(), route.access), enforce);
        router = router.route(route.path, route.handler.route_layer(guard));
    }
    let docs: Router<AppState> = utoipa_swagger_ui::SwaggerUi::new("/api/docs")
        .config(utoipa_swagger_ui::Config::from("/api/v1/openapi.json"))
        .into();
    router
        .merge(docs)
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            identity::resolve,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe,
        ))
        .with_state(state)
}

async fn not_found(req: Request) -> Response {
    let lang = crate::i18n::request_lang(req.headers());
    if req.uri().path().starts_with("/api/") {
        crate::error::problem(
            StatusCode::NOT_FOUND,
            "not_found",
            lang.t("error.not_found"),
            None,
        )
    } else {
        crate::error::page_error(StatusCode::NOT_FOUND, lang, "error.not_found")
    }
}
