//! Saved segments over the API: list them with live counts, read one, create, replace and
//! delete them (`segment.manage`), and page through a segment's members (customer ids).
//! Coupons and points adjustments take a `segment_id` in place of a list of customers.

use crate::api::bad_json;
use crate::error::{Problem, WebError};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use patron_app::AppError;
use patron_app::customers::CustomerQuery;
use patron_app::customers::segments::SegmentRow;
use patron_app::customers::segments::{SegmentInput, groups_of};
use patron_app::membership::recipients::MAX_RECIPIENTS;
use patron_app::security::Principal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentInputBody {
    /// Unique across the chain, at most 60 characters.
    pub name: String,
    /// The store the segment belongs to; absent: the whole chain's (admins only; store
    /// staff always save for their own store).
    #[serde(default)]
    pub store_id: Option<i64>,
    /// One to three groups; a customer is in the segment when every condition of at least
    /// one group holds. Groups with no condition are dropped.
    pub groups: Vec<Conditions>,
}

/// One group of conditions as the API takes and gives it: every condition set must hold.
/// Each is one of the customer list's filters; unset ones are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Conditions {
    /// Search text: a name, a mobile or its last four digits, an archive or ID number.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub q: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tag: String,
    /// Owner staff id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<i64>,
    /// Home store id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<i64>,
    /// Only files due for re-verification.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
    /// Only incomplete files.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
    /// Spend class: `key`, `major`, `ordinary` or `small`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub class: String,
    /// `new`, `active`, `dormant` or `lost`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub lifecycle: String,
    /// Tier code.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tier: String,
    /// A consent in force: `service`, `marketing_sms`, `marketing_email` or `wechat`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub consent: String,
    /// No purchase for at least this many days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_days: Option<i64>,
    /// A purchase within this many days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recent_days: Option<i64>,
    /// Bought in this category, ever.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub category: String,
    /// A churn score of at least this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub churn: Option<i64>,
    /// Bought this product (SKU), ever.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sku: String,
    /// Birthday (solar or lunar) in this month, 1-12, of the current year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_month: Option<i64>,
}

impl Conditions {
    /// The list query string a stored segment keeps for this group.
    pub fn to_query(&self) -> Result<String, AppError> {
        serde_urlencoded::to_string(self).map_err(|e| AppError::Internal(e.to_string()))
    }
}

impl From<CustomerQuery> for Conditions {
    fn from(q: CustomerQuery) -> Self {
        Self {
            q: q.q,
            tag: q.tag,
            owner: q.owner,
            store: q.store,
            stale: q.stale,
            incomplete: q.incomplete,
            class: q.class,
            lifecycle: q.lifecycle,
            tier: q.tier,
            consent: q.consent,
            idle_days: q.idle_days,
            recent_days: q.recent_days,
            category: q.category,
            churn: q.churn,
            sku: q.sku,
            birth_month: q.birth_month,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SegmentBody {
    pub id: i64,
    pub name: String,
    pub store_id: Option<i64>,
    pub groups: Vec<Conditions>,
    /// Members within the caller's scope, counted live; absent when there are more than
    /// `max_members`.
    pub members: Option<usize>,
    /// The most members a segment can feed into one action.
    pub max_members: usize,
    /// Epoch milliseconds.
    pub updated_at: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// Members with a larger id than this (the previous page's `next_after_id`).
    #[serde(default)]
    pub after_id: Option<i64>,
    /// Page size, 1 to 10,000 (default 1,000).
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct MembersBody {
    /// All members within the caller's scope.
    pub total: usize,
    /// This page's customer ids, ascending.
    pub customer_ids: Vec<i64>,
    /// Pass as `after_id` for the next page; absent on the last page.
    pub next_after_id: Option<i64>,
}

/// A segment with its members counted (`None`: more than the cap).
fn view_of(row: SegmentRow, members: Option<Vec<i64>>) -> Result<SegmentBody, AppError> {
    let groups = groups_of(&row)?.into_iter().map(Conditions::from).collect();
    Ok(SegmentBody {
        id: row.id,
        name: row.name,
        store_id: row.store_id,
        groups,
        members: members.map(|m| m.len()),
        max_members: MAX_RECIPIENTS,
        updated_at: row.updated_at.as_millisecond(),
    })
}

#[utoipa::path(get, path = "/api/v1/segments", tag = "segments",
    responses((status = 200, body = Vec<SegmentBody>), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
) -> Result<Json<Vec<SegmentBody>>, WebError> {
    let listed = async {
        let all = state.app.segments_with_members(p.scope()).await?;
        all.into_iter()
            .map(|(row, members)| view_of(row, members))
            .collect::<Result<Vec<_>, AppError>>()
    }
    .await;
    listed.map(Json).map_err(|e| WebError::api(e, ctx.lang))
}

#[utoipa::path(get, path = "/api/v1/segments/{id}", tag = "segments",
    responses((status = 200, body = SegmentBody), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Result<Json<SegmentBody>, WebError> {
    let found = async {
        let (row, members) = state.app.segment_with_members(p.scope(), id).await?;
        view_of(row, members)
    }
    .await;
    found.map(Json).map_err(|e| WebError::api(e, ctx.lang))
}

async fn save(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: Option<i64>,
    body: Result<Json<SegmentInputBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let saved = async {
        let groups = b
            .groups
            .iter()
            .map(Conditions::to_query)
            .collect::<Result<Vec<_>, _>>()?;
        let input = SegmentInput {
            name: b.name,
            store_id: b.store_id,
            groups,
        };
        let (row, members) = state.app.segment_saved(p, id, &input).await?;
        view_of(row, members)
    }
    .await;
    match saved {
        Ok(s) if id.is_none() => (StatusCode::CREATED, Json(s)).into_response(),
        Ok(s) => Json(s).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/segments", tag = "segments", request_body = SegmentInputBody,
    responses((status = 201, body = SegmentBody), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    body: Result<Json<SegmentInputBody>, JsonRejection>,
) -> Response {
    save(&state, &p, &ctx, None, body).await
}

#[utoipa::path(put, path = "/api/v1/segments/{id}", tag = "segments", request_body = SegmentInputBody,
    responses((status = 200, body = SegmentBody), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn replace(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<SegmentInputBody>, JsonRejection>,
) -> Response {
    save(&state, &p, &ctx, Some(id), body).await
}

#[utoipa::path(delete, path = "/api/v1/segments/{id}", tag = "segments",
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state.app.delete_segment(&p, id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(get, path = "/api/v1/segments/{id}/members", tag = "segments", params(MembersQuery),
    responses((status = 200, body = MembersBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn members(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Query(q): Query<MembersQuery>,
) -> Result<Json<MembersBody>, WebError> {
    let limit = q.limit.unwrap_or(1_000);
    if !(1..=10_000).contains(&limit) {
        let e = patron_domain::FieldError::new("limit", "error.segment.limit");
        return Err(WebError::api(AppError::from(e), ctx.lang));
    }
    let found = async {
        let (_, members) = state.app.segment_with_members(p.scope(), id).await?;
        members.ok_or_else(|| {
            AppError::from(patron_domain::FieldError::new(
                "segment",
                "error.coupon.customers",
            ))
        })
    }
    .await;
    let all = found.map_err(|e| WebError::api(e, ctx.lang))?;
    let after = q.after_id.unwrap_or(i64::MIN);
    let start = all.partition_point(|c| *c <= after);
    let page: Vec<i64> = all.iter().skip(start).take(limit).copied().collect();
    let next_after_id = (start + page.len() < all.len())
        .then(|| page.last().copied())
        .flatten();
    Ok(Json(MembersBody {
        total: all.len(),
        customer_ids: page,
        next_after_id,
    }))
}

/// The customers a bulk call names: its list, or its segment's members (not both).
pub(crate) async fn recipients(
    app: &patron_app::App,
    p: &Principal,
    customer_ids: Vec<i64>,
    segment_id: Option<i64>,
) -> Result<Vec<i64>, AppError> {
    match segment_id {
        None => Ok(customer_ids),
        Some(_) if !customer_ids.is_empty() => {
            Err(patron_domain::FieldError::new("segment_id", "error.segment.both").into())
        }
        Some(s) => app.segment_recipients(p.scope(), s).await,
    }
}
