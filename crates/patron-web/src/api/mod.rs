//! JSON API v1. Tills authenticate with their store key, scripts with a personal token, both
//! as `Authorization: Bearer …`. Errors are `application/problem+json`. The OpenAPI document
//! is generated from these handlers and served at `/api/v1/openapi.json`.

pub mod calendar;
pub mod cards;
pub mod contact;
pub mod coupons;
pub mod customers;
pub mod mall;
pub mod members;
pub mod ops;
pub mod orders;
pub mod points;
pub mod ranking;
pub mod receipts;
pub mod reports;
pub mod sales;
pub mod segments;
pub mod targets;
pub mod ticket_files;
pub mod ticket_resolution;
pub mod tickets;
pub mod visits;
pub mod warranties;

use crate::console::audit::AuditQuery;
use crate::error::{Problem, WebError, problem};
use crate::identity::{PosTerminal, Staff};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(title = "Patron API", version = "1", description = "Customer management for physical stores."),
    paths(me, till, list_stores, create_store, list_staff, end_staff_sessions, list_audit, ops::healthz, ops::readyz,
        customers::create, customers::get_one, customers::patch, customers::search,
        customers::add_interaction, customers::merge, contact::consents, contact::bind_wechat, members::lookup,
        sales::checkout, sales::refund, coupons::create_template, coupons::list_templates,
        coupons::issue, coupons::usage, members::member_coupons, points::adjust, points::pending,
        points::approve, points::reject, cards::issue, cards::renew, cards::end,
        cards::rejoin, ranking::leaderboard, ranking::opt_out, reports::summary, reports::sales, reports::cohorts, reports::lifecycle, targets::targets, targets::set_target, mall::offered, mall::redeem, calendar::festivals,
        tickets::create, tickets::get_one, tickets::act, segments::list, segments::get_one,
        segments::create, segments::replace, segments::delete, segments::members,
        orders::create, orders::list, orders::get_one, orders::stage, visits::book, visits::reschedule,
        visits::cancel, visits::complete, visits::photo, warranties::register, warranties::find, warranties::get_one,
        warranties::claim, ticket_resolution::resolve, ticket_resolution::approve,
        ticket_resolution::reject, ticket_resolution::withdraw, ticket_files::list, ticket_files::add, ticket_files::get_one),
    components(schemas(Problem, crate::error::FieldProblem, Me, TillInfo, StoreBody, NewStoreBody, StaffBody, SessionsEndedBody, AuditBody,
        customers::CustomerBody, customers::NewCustomerBody, customers::CreatedBody, customers::PatchCustomerBody,
        customers::CustomerListBody, customers::InteractionBody, customers::IdBody, customers::MergeBody,
        customers::MergedBody, contact::ConsentBody, contact::WechatBody, members::MemberBody,
        sales::CheckoutBody, sales::LineBody, sales::RefundBody, sales::RefundLineBody,
        receipts::CheckoutReceipt, receipts::CouponUsed, receipts::RefundReceipt,
        coupons::TemplateBody, coupons::TemplateView, coupons::IssueBody, coupons::IssuedBody,
        members::CouponView, coupons::UsageView, points::AdjustBody, points::AdjustedBody,
        points::PendingBody, cards::CardBody, cards::EndBody, cards::EndedBody,
        ranking::RankBody, ranking::OptOutBody, reports::FiguresBody, reports::SummaryBody, reports::SalesRowBody, reports::SalesBody, reports::CohortBody, reports::CohortsBody, reports::LifecycleMonthBody, reports::LifecycleBody, targets::TargetMonthBody, targets::TargetLineBody, targets::TargetsBody, targets::TargetBody, mall::RewardView, mall::RedeemBody,
        receipts::RedeemReceipt, calendar::CalendarBody, calendar::FestivalBody,
        calendar::OfficialDayBody, tickets::NewTicketBody, tickets::TicketBody, tickets::EventBody,
        tickets::ActionBody, tickets::StatusBody, segments::SegmentInputBody, segments::SegmentBody,
        segments::MembersBody, segments::Conditions, orders::LineBody,
        orders::NewOrderBody, orders::OrderSummary, orders::OrderBody, visits::VisitBody, orders::OrderEventBody,
        orders::StageBody, orders::MovedBody, visits::VisitInputBody, visits::ReasonBody, visits::CompleteBody,
        warranties::NewWarrantyBody, warranties::WarrantyBody, warranties::ClaimBody, warranties::ClaimInputBody,
        warranties::ClaimedBody, ticket_resolution::ResolveBody, ticket_resolution::CompensationBody,
        ticket_resolution::ResolvedBody, ticket_resolution::RejectBody, ticket_files::AttachmentBody,
        ticket_files::AttachedBody)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A till key (pk_…) or a personal token (pt_…)."))
                    .build(),
            ),
        );
    }
}

pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The caller's `Idempotency-Key`, made theirs alone (two clients cannot collide); a blank
/// key is no key.
pub(crate) fn request_key(headers: &axum::http::HeaderMap, staff_id: i64) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| format!("{staff_id}:{k}"))
}

pub(crate) fn bad_json(e: JsonRejection, lang: crate::i18n::Lang) -> Response {
    problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
        &format!("{}: {}", lang.t("error.invalid_body"), e.body_text()),
        None,
    )
}

/// The caller, as the API sees it.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub store_id: Option<i64>,
    pub capabilities: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "account", responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(Staff(p, _): Staff) -> Json<Me> {
    Json(Me {
        id: p.staff_id,
        username: p.username.clone(),
        display_name: p.display_name.clone(),
        role: p.role.as_str().into(),
        store_id: p.store_id,
        capabilities: p
            .capabilities
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct TillInfo {
    pub store_id: i64,
    pub store_code: String,
    pub key_name: String,
}

#[utoipa::path(get, path = "/api/v1/till", tag = "till", responses((status = 200, body = TillInfo), (status = 401, body = Problem)))]
pub async fn till(PosTerminal(t): PosTerminal) -> Json<TillInfo> {
    Json(TillInfo {
        store_id: t.store_id,
        store_code: t.store_code,
        key_name: t.key_name,
    })
}

#[derive(Serialize, ToSchema)]
pub struct StoreBody {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub timezone: String,
    /// `open` or `closed`.
    pub status: String,
}

impl From<patron_app::stores::StoreRow> for StoreBody {
    fn from(s: patron_app::stores::StoreRow) -> Self {
        Self {
            id: s.id,
            code: s.code,
            name: s.name,
            timezone: s.timezone,
            status: s.status.code().into(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/stores", tag = "stores", responses((status = 200, body = Vec<StoreBody>), (status = 403, body = Problem)))]
pub async fn list_stores(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
) -> Result<Json<Vec<StoreBody>>, WebError> {
    let rows = state
        .app
        .stores(p.scope())
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(rows.into_iter().map(StoreBody::from).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct NewStoreBody {
    pub code: String,
    pub name: String,
    /// IANA time zone; default `Asia/Shanghai`.
    #[serde(default)]
    pub timezone: String,
}

#[utoipa::path(post, path = "/api/v1/stores", tag = "stores", request_body = NewStoreBody,
    responses((status = 201, body = StoreBody), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_store(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    body: Result<Json<NewStoreBody>, JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    match state
        .app
        .create_store(Some(&p), &body.code, &body.name, &body.timezone, ctx.rid())
        .await
    {
        Ok(s) => (StatusCode::CREATED, Json(StoreBody::from(s))).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct StaffBody {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub store_id: Option<i64>,
    /// `active`, `invited` or `disabled`.
    pub status: String,
}

#[utoipa::path(get, path = "/api/v1/staff", tag = "staff", responses((status = 200, body = Vec<StaffBody>), (status = 403, body = Problem)))]
pub async fn list_staff(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
) -> Result<Json<Vec<StaffBody>>, WebError> {
    let rows = state
        .app
        .staff_accounts(p.scope())
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(
        rows.into_iter()
            .map(|s| StaffBody {
                id: s.id,
                username: s.username,
                display_name: s.display_name,
                role: s.role.as_str().into(),
                store_id: s.store_id,
                status: s.status.code().into(),
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct SessionsEndedBody {
    /// How many sessions ended.
    pub ended: u64,
}

/// Ends every console session of a staff account (an HR system off-boarding someone, a lost
/// tablet): they must sign in again. Their personal tokens are not touched (revoke or disable
/// for that).
#[utoipa::path(delete, path = "/api/v1/staff/{id}/sessions", tag = "staff",
    responses((status = 200, body = SessionsEndedBody), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn end_staff_sessions(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    match state.app.end_staff_sessions(Some(&p), id, ctx.rid()).await {
        Ok(ended) => Json(SessionsEndedBody { ended }).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditBody {
    pub seq: i64,
    /// UTC, epoch milliseconds.
    pub at_ms: i64,
    pub actor_kind: String,
    pub actor_name: String,
    pub role: Option<String>,
    pub store_id: Option<i64>,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub outcome: String,
    pub request_id: Option<String>,
    pub hash: String,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(("action" = Option<String>, Query, description = "action prefix"), ("actor" = Option<String>, Query), ("outcome" = Option<String>, Query),
           ("from" = Option<String>, Query, description = "local date YYYY-MM-DD"), ("to" = Option<String>, Query), ("page" = Option<i64>, Query)),
    responses((status = 200, body = Vec<AuditBody>), (status = 403, body = Problem)))]
pub async fn list_audit(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditBody>>, WebError> {
    let mut f = q
        .filter(&state.app.config().timezone())
        .map_err(|e| WebError::api(e, ctx.lang))?;
    f.limit = crate::console::audit::PAGE_SIZE;
    let rows = state
        .app
        .audit_log(p.scope(), &f)
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditBody {
                seq: r.seq,
                at_ms: r.at_ms,
                actor_kind: r.actor_kind,
                actor_name: r.actor_name,
                role: r.role,
                store_id: r.store_id,
                action: r.action,
                target_kind: r.target_kind,
                target_id: r.target_id,
                outcome: r.outcome,
                request_id: r.request_id,
                hash: r.hash,
            })
            .collect(),
    ))
}
