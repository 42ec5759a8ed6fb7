//! The route table: every route, its method, and what it requires. The router is built from
//! this table and nothing else, and the role × route test walks it, so a route cannot exist
//! without a declared access rule.

use crate::access::{Access, enforce};
use crate::console::customers::{dupes, fields, form as cform, profile, transfer};
use crate::console::{
    account, audit, auth, coupons, customers, home, keys, loyalty, outbox, points, roles, settings,
    staff, stores, till,
};
use crate::state::AppState;
use crate::{api, identity, middleware};
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{MethodRouter, get, patch, post};
use patron_app::security::Stage;
use patron_domain::Capability as C;

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
    use Access::{AnySession, Cap, Public, SignedIn, Stage as InStage, Till};
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
        // Console.
        r("GET", "/console", SignedIn, get(home::home)),
        r(
            "GET",
            "/console/account",
            SignedIn,
            get(account::account_page),
        ),
        r(
            "POST",
            "/console/account/password",
            SignedIn,
            post(account::change_password),
        ),
        r(
            "POST",
            "/console/account/totp/begin",
            SignedIn,
            post(account::totp_begin),
        ),
        r(
            "POST",
            "/console/account/totp/confirm",
            SignedIn,
            post(account::totp_confirm),
        ),
        r(
            "POST",
            "/console/account/totp/disable",
            SignedIn,
            post(account::totp_disable),
        ),
        r(
            "POST",
            "/console/account/tokens",
            SignedIn,
            post(account::create_token),
        ),
        r(
            "POST",
            "/console/account/tokens/{id}/revoke",
            SignedIn,
            post(account::revoke_token),
        ),
        r(
            "GET",
            "/console/customers",
            Cap(C::CustomerRead),
            get(customers::customers_page),
        ),
        r(
            "GET",
            "/console/customers/mine",
            Cap(C::CustomerRead),
            get(customers::mine_page),
        ),
        r(
            "POST",
            "/console/customers/views",
            Cap(C::CustomerRead),
            post(customers::save_view),
        ),
        r(
            "POST",
            "/console/customers/views/{id}/delete",
            Cap(C::CustomerRead),
            post(customers::delete_view),
        ),
        r(
            "GET",
            "/console/customers/new",
            Cap(C::CustomerWrite),
            get(cform::new_page),
        ),
        r(
            "POST",
            "/console/customers",
            Cap(C::CustomerWrite),
            post(cform::create),
        ),
        r(
            "GET",
            "/console/customers/import",
            Cap(C::CustomerImport),
            get(transfer::import_page),
        ),
        r(
            "POST",
            "/console/customers/import",
            Cap(C::CustomerImport),
            post(transfer::upload)
                .layer(axum::extract::DefaultBodyLimit::max(transfer::UPLOAD_LIMIT)),
        ),
        r(
            "GET",
            "/console/customers/import/{token}",
            Cap(C::CustomerImport),
            get(transfer::mapping_page),
        ),
        r(
            "POST",
            "/console/customers/import/{token}",
            Cap(C::CustomerImport),
            post(transfer::start),
        ),
        r(
            "GET",
            "/console/customers/import/{token}/status",
            Cap(C::CustomerImport),
            get(transfer::status),
        ),
        r(
            "GET",
            "/console/customers/export",
            Cap(C::CustomerExport),
            get(transfer::export_page),
        ),
        r(
            "POST",
            "/console/customers/export",
            Cap(C::CustomerExport),
            post(transfer::export),
        ),
        r(
            "GET",
            "/console/customers/duplicates",
            Cap(C::CustomerMerge),
            get(dupes::dupes_page),
        ),
        r(
            "POST",
            "/console/customers/merge",
            Cap(C::CustomerMerge),
            post(dupes::merge),
        ),
        r(
            "GET",
            "/console/customers/handover",
            Cap(C::StaffManage),
            get(dupes::handover_page),
        ),
        r(
            "POST",
            "/console/customers/handover",
            Cap(C::StaffManage),
            post(dupes::handover),
        ),
        r(
            "GET",
            "/console/customers/{id}",
            Cap(C::CustomerRead),
            get(profile::customer_page),
        ),
        r(
            "POST",
            "/console/customers/{id}",
            Cap(C::CustomerWrite),
            post(cform::update),
        ),
        r(
            "GET",
            "/console/customers/{id}/edit",
            Cap(C::CustomerWrite),
            get(cform::edit_page),
        ),
        r(
            "POST",
            "/console/customers/{id}/reveal",
            Cap(C::CustomerPiiReveal),
            post(profile::reveal),
        ),
        r(
            "POST",
            "/console/customers/{id}/consents",
            Cap(C::CustomerWrite),
            post(profile::consent),
        ),
        r(
            "POST",
            "/console/customers/{id}/interactions",
            Cap(C::CustomerWrite),
            post(profile::interaction),
        ),
        r(
            "POST",
            "/console/customers/{id}/household",
            Cap(C::CustomerWrite),
            post(profile::household),
        ),
        r(
            "POST",
            "/console/customers/{id}/owner",
            Cap(C::CustomerWrite),
            post(profile::owner),
        ),
        r(
            "POST",
            "/console/customers/{id}/verify",
            Cap(C::CustomerWrite),
            post(profile::verify),
        ),
        r(
            "GET",
            "/console/custom-fields",
            Cap(C::SettingsManage),
            get(fields::fields_page),
        ),
        r(
            "POST",
            "/console/custom-fields",
            Cap(C::SettingsManage),
            post(fields::create_field),
        ),
        r(
            "POST",
            "/console/custom-fields/{id}/retire",
            Cap(C::SettingsManage),
            post(fields::retire_field),
        ),
        r(
            "POST",
            "/console/custom-fields/{id}/restore",
            Cap(C::SettingsManage),
            post(fields::restore_field),
        ),
        r(
            "GET",
            "/console/stores",
            Cap(C::StoreRead),
            get(stores::stores_page),
        ),
        r(
            "POST",
            "/console/stores",
            Cap(C::StoreManage),
            post(stores::create_store),
        ),
        r(
            "GET",
            "/console/stores/{id}",
            Cap(C::StoreRead),
            get(stores::store_page),
        ),
        r(
            "POST",
            "/console/stores/{id}",
            Cap(C::StoreManage),
            post(stores::update_store),
        ),
        r(
            "POST",
            "/console/stores/{id}/close",
            Cap(C::StoreManage),
            post(stores::close_store),
        ),
        r(
            "POST",
            "/console/stores/{id}/reopen",
            Cap(C::StoreManage),
            post(stores::reopen_store),
        ),
        r(
            "GET",
            "/console/staff",
            Cap(C::StaffRead),
            get(staff::staff_page),
        ),
        r(
            "GET",
            "/console/staff/new",
            Cap(C::StaffManage),
            get(staff::new_staff_page),
        ),
        r(
            "POST",
            "/console/staff",
            Cap(C::StaffManage),
            post(staff::create_staff),
        ),
        r(
            "GET",
            "/console/staff/{id}",
            Cap(C::StaffRead),
            get(staff::staff_member_page),
        ),
        r(
            "POST",
            "/console/staff/{id}",
            Cap(C::StaffManage),
            post(staff::update_staff),
        ),
        r(
            "POST",
            "/console/staff/{id}/disable",
            Cap(C::StaffManage),
            post(staff::disable_staff),
        ),
        r(
            "POST",
            "/console/staff/{id}/enable",
            Cap(C::StaffManage),
            post(staff::enable_staff),
        ),
        r(
            "POST",
            "/console/staff/{id}/reset-link",
            Cap(C::StaffManage),
            post(staff::send_reset),
        ),
        r(
            "GET",
            "/console/roles",
            Cap(C::RoleManage),
            get(roles::roles_page),
        ),
        r(
            "POST",
            "/console/roles/{role}",
            Cap(C::RoleManage),
            post(roles::update_role),
        ),
        r(
            "GET",
            "/console/keys",
            Cap(C::ApiKeyManage),
            get(keys::keys_page),
        ),
        r(
            "POST",
            "/console/keys",
            Cap(C::ApiKeyManage),
            post(keys::create_key),
        ),
        r(
            "POST",
            "/console/keys/{id}/revoke",
            Cap(C::ApiKeyManage),
            post(keys::revoke_key),
        ),
        r(
            "POST",
            "/console/tokens/{id}/revoke",
            Cap(C::StaffManage),
            post(keys::revoke_staff_token),
        ),
        r(
            "GET",
            "/console/audit",
            Cap(C::AuditRead),
            get(audit::audit_page),
        ),
        r(
            "GET",
            "/console/outbox",
            Cap(C::OutboxRead),
            get(outbox::outbox_page),
        ),
        r(
            "GET",
            "/console/till",
            Cap(C::SaleRecord),
            get(till::till_page),
        ),
        r(
            "POST",
            "/console/till/sale",
            Cap(C::SaleRecord),
            post(till::sale),
        ),
        r(
            "POST",
            "/console/till/refund",
            Cap(C::SaleRecord),
            post(till::refund),
        ),
        r(
            "GET",
            "/console/loyalty",
            Cap(C::SettingsManage),
            get(loyalty::loyalty_page),
        ),
        r(
            "POST",
            "/console/loyalty",
            Cap(C::SettingsManage),
            post(loyalty::save_loyalty),
        ),
        r(
            "GET",
            "/console/coupons",
            Cap(C::CouponManage),
            get(coupons::coupons_page),
        ),
        r(
            "POST",
            "/console/coupons/templates",
            Cap(C::CouponManage),
            post(coupons::create_template),
        ),
        r(
            "POST",
            "/console/coupons/issue",
            Cap(C::CouponManage),
            post(coupons::issue),
        ),
        r(
            "GET",
            "/console/points",
            Cap(C::PointsAdjust),
            get(points::points_page),
        ),
        r(
            "POST",
            "/console/points/adjustments/{id}/approve",
            Cap(C::PointsAdjust),
            post(points::approve),
        ),
        r(
            "POST",
            "/console/points/adjustments/{id}/reject",
            Cap(C::PointsAdjust),
            post(points::reject),
        ),
        r(
            "POST",
            "/console/customers/{id}/points",
            Cap(C::PointsAdjust),
            post(points::adjust),
        ),
        r(
            "GET",
            "/console/reports/points",
            Cap(C::ReportRead),
            get(points::liability_page),
        ),
        r(
            "GET",
            "/console/settings",
            Cap(C::SettingsManage),
            get(settings::settings_page),
        ),
        r(
            "POST",
            "/console/settings",
            Cap(C::SettingsManage),
            post(settings::save_settings),
        ),
        r(
            "POST",
            "/console/settings/jobs/{job}/run",
            Cap(C::SettingsManage),
            post(settings::run_job),
        ),
        // API.
        r("GET", "/api/v1/me", SignedIn, get(api::me)),
        r("GET", "/api/v1/till", Till, get(api::till)),
        r(
            "GET",
            "/api/v1/stores",
            Cap(C::StoreRead),
            get(api::list_stores),
        ),
        r(
            "POST",
            "/api/v1/stores",
            Cap(C::StoreManage),
            post(api::create_store),
        ),
        r(
            "GET",
            "/api/v1/staff",
            Cap(C::StaffRead),
            get(api::list_staff),
        ),
        r(
            "POST",
            "/api/v1/customers",
            Cap(C::CustomerWrite),
            post(api::customers::create),
        ),
        r(
            "GET",
            "/api/v1/customers",
            Cap(C::CustomerRead),
            get(api::customers::search),
        ),
        r(
            "POST",
            "/api/v1/customers/merge",
            Cap(C::CustomerMerge),
            post(api::customers::merge),
        ),
        r(
            "GET",
            "/api/v1/customers/{id}",
            Cap(C::CustomerRead),
            get(api::customers::get_one),
        ),
        r(
            "PATCH",
            "/api/v1/customers/{id}",
            Cap(C::CustomerWrite),
            patch(api::customers::patch),
        ),
        r(
            "POST",
            "/api/v1/customers/{id}/interactions",
            Cap(C::CustomerWrite),
            post(api::customers::add_interaction),
        ),
        r(
            "POST",
            "/api/v1/customers/{id}/consents",
            Cap(C::CustomerWrite),
            post(api::customers::consents),
        ),
        r(
            "GET",
            "/api/v1/members/lookup",
            Till,
            get(api::customers::lookup),
        ),
        r("POST", "/api/v1/checkout", Till, post(api::sales::checkout)),
        r("POST", "/api/v1/refunds", Till, post(api::sales::refund)),
        r(
            "GET",
            "/api/v1/members/{id}/coupons",
            Till,
            get(api::coupons::member_coupons),
        ),
        r(
            "GET",
            "/api/v1/coupon-templates",
            Cap(C::CouponManage),
            get(api::coupons::list_templates),
        ),
        r(
            "POST",
            "/api/v1/coupon-templates",
            Cap(C::CouponManage),
            post(api::coupons::create_template),
        ),
        r(
            "POST",
            "/api/v1/coupon-templates/{id}/issue",
            Cap(C::CouponManage),
            post(api::coupons::issue),
        ),
        r(
            "POST",
            "/api/v1/points/adjustments",
            Cap(C::PointsAdjust),
            post(api::points::adjust),
        ),
        r(
            "GET",
            "/api/v1/points/adjustments/pending",
            Cap(C::PointsAdjust),
            get(api::points::pending),
        ),
        r(
            "POST",
            "/api/v1/points/adjustments/{id}/approve",
            Cap(C::PointsAdjust),
            post(api::points::approve),
        ),
        r(
            "POST",
            "/api/v1/points/adjustments/{id}/reject",
            Cap(C::PointsAdjust),
            post(api::points::reject),
        ),
        r(
            "GET",
            "/api/v1/coupons/usage",
            Cap(C::CouponManage),
            get(api::coupons::usage),
        ),
        r(
            "GET",
            "/api/v1/audit",
            Cap(C::AuditRead),
            get(api::list_audit),
        ),
    ]
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
    let lang = crate::i18n::Lang::from_headers(req.headers());
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
