//! Customer files over the API: create, read (masked unless the request asks for whole values
//! with `reveal=true` and a reason, and the caller may reveal), partial update, search,
//! interactions, merge, and the till's member lookup by phone.

use super::bad_json;
use crate::error::{Problem, WebError};
use crate::identity::Staff;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use patron_app::customers::{
    CreateOptions, Customer, CustomerQuery, InteractionInput, RevealRequest,
};
use patron_domain::FieldError;
use patron_domain::customers::{ConsentChannel, ConsentPurpose, CustomerInput, Profile};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A customer file as the API shows it. Personal fields are masked unless the request asked
/// for whole values (`reveal=true` with a `reason`) and the caller's role may reveal them.
#[derive(Serialize, ToSchema)]
pub struct CustomerBody {
    pub id: i64,
    pub store_id: i64,
    pub archive_no: String,
    pub name: String,
    /// `unknown`, `female` or `male`.
    pub gender: String,
    pub birthday: Option<String>,
    /// Lunar month-day (`08-15`, `L04-07` for a leap month) if birthdays follow the lunar calendar.
    pub lunar_birthday: Option<String>,
    pub mobile: Option<String>,
    pub other_phones: Vec<String>,
    pub email: Option<String>,
    pub addresses: Vec<String>,
    pub id_number: Option<String>,
    pub notes: Option<String>,
    pub source: String,
    pub guardian_consent: bool,
    /// Employer, occupation, sizes, `preferred_channel`, `language` (`zh-CN` or `en`: what the
    /// customer is sent is written in it; empty for the store's default), `wechat`,
    /// `household` and `custom` fields.
    #[schema(value_type = Object)]
    pub profile: Profile,
    pub owner_staff_id: Option<i64>,
    pub tags: Vec<String>,
    /// Percentage of the handbook's fields present, and what is missing.
    pub completeness: i64,
    pub missing: Vec<String>,
    /// Whether the personal fields above are masked.
    pub masked: bool,
    pub verified_at_ms: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

fn opt(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

pub(crate) fn customer_body(c: Customer, reveal: bool) -> CustomerBody {
    let (mobile, others, email, addresses, id_number, birthday) = if reveal {
        (
            c.mobile.as_ref().map(|p| p.e164().to_string()),
            c.other_phones
                .iter()
                .map(|p| p.e164().to_string())
                .collect(),
            c.email.clone(),
            c.addresses.clone(),
            c.id_number.as_ref().map(|n| n.as_str().to_string()),
            c.birthday.map(|b| b.to_string()),
        )
    } else {
        (
            opt(c.masked_mobile()),
            c.other_phones.iter().map(|p| p.masked()).collect(),
            opt(c.masked_email()),
            c.masked_addresses(),
            opt(c.masked_id_number()),
            opt(c.masked_birthday()),
        )
    };
    CustomerBody {
        id: c.id,
        store_id: c.store_id,
        archive_no: c.archive_no,
        name: c.name,
        gender: c.gender.as_str().into(),
        birthday,
        lunar_birthday: c.lunar_birthday.map(|l| l.render()),
        mobile,
        other_phones: others,
        email,
        addresses,
        id_number,
        notes: if reveal { opt(c.notes) } else { None },
        source: c.source.as_str().into(),
        guardian_consent: c.guardian_consent,
        profile: c.profile,
        owner_staff_id: c.owner_staff_id,
        tags: c.tags,
        completeness: c.completeness,
        missing: c.missing,
        masked: !reveal,
        verified_at_ms: c.verified_at.as_millisecond(),
        created_at_ms: c.created_at.as_millisecond(),
        updated_at_ms: c.updated_at.as_millisecond(),
    }
}

/// A new customer. Only `name` and `mobile` are needed; refusing marketing never blocks it.
#[derive(Deserialize, ToSchema)]
pub struct NewCustomerBody {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub profile: CustomerInput,
    /// Home store; staff bound to a store may leave it out.
    pub store_id: Option<i64>,
    pub owner_staff_id: Option<i64>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Purposes consented to now: `service`, `marketing_sms`, `marketing_email`, `wechat`,
    /// `personalised`, `id_number` (needed to store an ID number), `third_party`.
    #[serde(default)]
    pub consents: Vec<String>,
    /// How consent was collected: `counter`, `paper_form`, `phone`, `online`, `api` (default).
    #[serde(default)]
    pub consent_channel: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedBody {
    pub id: i64,
    pub archive_no: String,
    /// Other files that may be the same person: `[id, reason]` with reason `id_number`,
    /// `name_birthday` or `name_address`.
    pub possible_duplicates: Vec<(i64, String)>,
}

pub(super) fn purposes(list: &[String]) -> Result<Vec<ConsentPurpose>, FieldError> {
    list.iter()
        .map(|p| {
            ConsentPurpose::parse(p).ok_or(FieldError::new("consents", "error.consent.purpose"))
        })
        .collect()
}

pub(super) fn channel(s: &str) -> Result<ConsentChannel, FieldError> {
    if s.trim().is_empty() {
        return Ok(ConsentChannel::Api);
    }
    ConsentChannel::parse(s).ok_or(FieldError::new("consent_channel", "error.consent.channel"))
}

#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = NewCustomerBody,
    responses((status = 201, body = CreatedBody), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    body: Result<Json<NewCustomerBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let result = async {
        let options = CreateOptions {
            store_id: b.store_id,
            owner_staff_id: b.owner_staff_id,
            tags: b.tags.clone(),
            consents: patron_app::customers::ConsentGrant {
                purposes: purposes(&b.consents)?,
                channel: Some(channel(&b.consent_channel)?),
            },
        };
        state
            .app
            .create_customer(&p.actor(ctx.rid()), p.scope(), &b.profile, &options)
            .await
    }
    .await;
    match result {
        Ok(c) => (
            StatusCode::CREATED,
            Json(CreatedBody {
                id: c.id,
                archive_no: c.archive_no,
                possible_duplicates: c
                    .possible_duplicates
                    .into_iter()
                    .map(|(id, r)| (id, r.to_string()))
                    .collect(),
            }),
        )
            .into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers",
    params(("id" = i64, Path),
           ("reveal" = Option<bool>, Query, description = "whole personal values instead of masked ones; needs the customer.pii.reveal capability and a reason, and is audited"),
           ("reason" = Option<String>, Query, description = "why whole values are needed (2 to 200 characters); required with reveal=true")),
    responses((status = 200, body = CustomerBody), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem, description = "reason missing or too long"),
              (status = 429, body = Problem, description = "too many customer reads by this token or session in the current minute; see Retry-After",
               headers(("Retry-After" = u64, description = "seconds until reads are taken again")))))]
pub async fn get_one(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Query(reveal): Query<RevealRequest>,
) -> Result<Json<CustomerBody>, WebError> {
    let (c, whole) = state
        .app
        .api_customer(&p, ctx.rid(), id, &reveal)
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(customer_body(c, whole)))
}

/// Fields to change; those left out keep their values. `null` or `""` clears a field.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct PatchCustomerBody {
    pub name: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<String>,
    pub lunar_birthday: Option<String>,
    pub mobile: Option<String>,
    pub other_phones: Option<Vec<String>>,
    pub email: Option<String>,
    pub addresses: Option<Vec<String>>,
    pub id_number: Option<String>,
    pub notes: Option<String>,
    pub source: Option<String>,
    pub guardian_consent: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub profile: Option<Profile>,
    pub tags: Option<Vec<String>>,
    /// `0` removes the owner.
    pub owner_staff_id: Option<i64>,
    /// The customer confirmed the file today (resets the re-verification clock).
    pub verified: bool,
}

#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = i64, Path)),
    request_body = PatchCustomerBody,
    responses((status = 200, body = CustomerBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn patch(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<PatchCustomerBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let patch = patron_app::customers::CustomerPatch {
        name: b.name,
        gender: b.gender,
        birthday: b.birthday,
        lunar_birthday: b.lunar_birthday,
        mobile: b.mobile,
        other_phones: b.other_phones,
        email: b.email,
        addresses: b.addresses,
        id_number: b.id_number,
        notes: b.notes,
        source: b.source,
        guardian_consent: b.guardian_consent,
        profile: b.profile,
        tags: b.tags,
        owner_staff_id: b.owner_staff_id.map(|o| (o != 0).then_some(o)),
        verified: b.verified,
    };
    let result = state.app.patch_customer(&p, ctx.rid(), id, patch).await;
    // The answer is masked: the caller knows what they sent, and whole values are read only
    // with a reason (GET with reveal=true).
    match result {
        Ok(c) => Json(customer_body(c, false)).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct CustomerListBody {
    pub customers: Vec<CustomerBody>,
    /// Matches, counted exactly up to 10,000; 10,001 means more.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[utoipa::path(get, path = "/api/v1/customers", tag = "customers",
    params(("q" = Option<String>, Query, description = "name, pinyin or initials; mobile or its last 4 digits; archive or ID number"),
           ("tag" = Option<String>, Query), ("owner" = Option<i64>, Query), ("store" = Option<i64>, Query),
           ("stale" = Option<bool>, Query, description = "only files due for re-verification"),
           ("incomplete" = Option<bool>, Query),
           ("sort" = Option<String>, Query, description = "newest, archive, name, completeness, verified"),
           ("page" = Option<i64>, Query),
           ("per_page" = Option<i64>, Query, description = "1 to 100 (default 50); more is refused with 422 naming per_page"),
           ("reveal" = Option<bool>, Query, description = "whole personal values instead of masked ones; needs the customer.pii.reveal capability and a reason; the ids returned are audited"),
           ("reason" = Option<String>, Query, description = "why whole values are needed (2 to 200 characters); required with reveal=true")),
    responses((status = 200, body = CustomerListBody), (status = 403, body = Problem),
              (status = 422, body = Problem, description = "per_page over 100, or reason missing or too long"),
              (status = 429, body = Problem, description = "too many customer reads by this token or session in the current minute; see Retry-After",
               headers(("Retry-After" = u64, description = "seconds until reads are taken again")))))]
pub async fn search(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<CustomerQuery>,
    Query(reveal): Query<RevealRequest>,
) -> Result<Json<CustomerListBody>, WebError> {
    let (page, whole) = state
        .app
        .api_customer_page(&p, ctx.rid(), &q, &reveal)
        .await
        .map_err(|e| WebError::api(e, ctx.lang))?;
    Ok(Json(CustomerListBody {
        customers: page
            .customers
            .into_iter()
            .map(|c| customer_body(c, whole))
            .collect(),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct InteractionBody {
    /// `visit`, `call`, `message` or `note`.
    pub kind: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub note: String,
    /// When it happened, epoch ms; default now.
    pub at_ms: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct IdBody {
    pub id: i64,
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/interactions", tag = "customers", params(("id" = i64, Path)),
    request_body = InteractionBody,
    responses((status = 201, body = IdBody), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_interaction(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<InteractionBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let input = InteractionInput {
        kind: b.kind,
        channel: b.channel,
        outcome: b.outcome,
        note: b.note,
        at_ms: b.at_ms,
    };
    match state
        .app
        .add_interaction(&p.actor(ctx.rid()), p.scope(), id, Some(p.staff_id), &input)
        .await
    {
        Ok(i) => (StatusCode::CREATED, Json(IdBody { id: i })).into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct MergeBody {
    /// The file that stays.
    pub survivor_id: i64,
    /// The file merged into it; it remains as a tombstone pointing at the survivor.
    pub merged_id: i64,
}

#[derive(Serialize, ToSchema)]
pub struct MergedBody {
    pub survivor_id: i64,
    /// Related rows moved, per table.
    pub moved: Vec<(String, u64)>,
}

#[utoipa::path(post, path = "/api/v1/customers/merge", tag = "customers", request_body = MergeBody,
    responses((status = 200, body = MergedBody), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn merge(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    body: Result<Json<MergeBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    match state
        .app
        .merge_customers(&p.actor(ctx.rid()), p.scope(), b.survivor_id, b.merged_id)
        .await
    {
        Ok(moved) => Json(MergedBody {
            survivor_id: b.survivor_id,
            moved: moved.into_iter().map(|(t, n)| (t.to_string(), n)).collect(),
        })
        .into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}
