//! Checkout and refunds for tills. Both require an `Idempotency-Key` header: a replay returns
//! the first answer unchanged (with `Idempotent-Replayed: true`), the same key with another
//! body is 422, and a duplicate arriving while the first is still being written is 409.

use crate::error::{Problem, WebError, problem};
use crate::identity::{Ctx, PosTerminal};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use patron_app::sales::refund::RefundRequest;
use patron_app::sales::{Answer, CheckoutRequest, MemberRef, Retry};
use patron_domain::sales::LineInput;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    pub store_code: String,
    pub receipt_no: String,
    /// The member's mobile; or give `card_no` or `customer_id` (one of the three); none for
    /// an anonymous sale. Redeeming points or using coupons needs the member present: the
    /// phone or card number as typed or scanned at the till.
    #[serde(default)]
    pub phone: Option<String>,
    /// The member's id: enough to earn points. A sale by id that redeems points or uses a
    /// coupon is refused (422, field `member`): send `phone` or `card_no` instead.
    #[serde(default)]
    pub customer_id: Option<i64>,
    /// Or the member card number, as typed or scanned. With the loyalty setting
    /// `till_own_store_only`, points and coupons of members of other stores are refused
    /// (422, field `member`).
    #[serde(default)]
    pub card_no: Option<String>,
    pub lines: Vec<LineBody>,
    /// Points paid as money (at the programme's rate, e.g. 100 points = ¥1).
    #[serde(default)]
    pub points_to_redeem: i64,
    /// Coupon codes of the member to apply, in order.
    #[serde(default)]
    pub coupons: Vec<String>,
    /// RFC 3339; when the sale happened, for a till syncing after an outage (at most 30
    /// days back). Now when absent. It sets the sale's reporting day only: coupons, bonus
    /// days and the pending window of the points earned are judged when the sale is
    /// recorded.
    #[serde(default)]
    pub sold_at: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    pub sku: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub category: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    #[serde(default)]
    pub discount_fen: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    pub store_code: String,
    /// The receipt of the sale being refunded.
    pub receipt_no: String,
    /// This refund's own number, unique in the store.
    pub refund_no: String,
    /// Lines and quantities to refund; omit to refund everything not yet refunded.
    #[serde(default)]
    pub lines: Vec<RefundLineBody>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundLineBody {
    /// 1-based, in the order the sale sent its lines.
    pub line_no: i64,
    pub quantity: i64,
}

/// The member a till names: by phone, card or id (at most one), or nobody.
pub(crate) fn member_ref(
    phone: Option<String>,
    card_no: Option<String>,
    customer_id: Option<i64>,
) -> Result<MemberRef, patron_app::AppError> {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|p| !p.trim().is_empty());
    match (given(&phone), given(&card_no), customer_id) {
        (false, false, None) => Ok(MemberRef::Anonymous),
        (true, false, None) => Ok(MemberRef::Phone(phone.unwrap_or_default())),
        (false, true, None) => Ok(MemberRef::Card(card_no.unwrap_or_default())),
        (false, false, Some(id)) => Ok(MemberRef::Customer(id)),
        _ => Err(patron_app::AppError::Field(patron_domain::FieldError::new(
            "member",
            "error.checkout.member_twice",
        ))),
    }
}

/// Reads the key and the body; the body's canonical form (keys sorted, no spaces) is what
/// the key is bound to.
pub(crate) fn prepare<T: serde::de::DeserializeOwned>(
    t: &patron_app::security::Till,
    headers: &HeaderMap,
    body: &Bytes,
    lang: crate::i18n::Lang,
) -> Result<(Retry, T), Box<Response>> {
    let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) else {
        return Err(Box::new(problem(
            StatusCode::BAD_REQUEST,
            "idempotency_key_required",
            lang.t("error.idempotency.required"),
            Some("Idempotency-Key"),
        )));
    };
    let invalid = |e: serde_json::Error| {
        Box::new(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            &format!("{}: {e}", lang.t("error.invalid_body")),
            None,
        ))
    };
    let value: serde_json::Value = serde_json::from_slice(body).map_err(invalid)?;
    let canonical = value.to_string();
    let parsed: T = serde_json::from_value(value).map_err(invalid)?;
    let retry = Retry::new(format!("till:{}", t.key_id), key, &canonical)
        .map_err(|e| Box::new(WebError::api(e, lang).into_response()))?;
    Ok((retry, parsed))
}

pub(crate) fn send(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut res = (status, answer.body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if answer.replayed {
        h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

#[utoipa::path(post, path = "/api/v1/checkout", tag = "till", request_body = CheckoutBody,
    params(("Idempotency-Key" = String, Header, description = "unique per sale attempt; retries reuse it")),
    responses((status = 201, body = super::receipts::CheckoutReceipt), (status = 400, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn checkout(
    State(state): State<AppState>,
    PosTerminal(t): PosTerminal,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (retry, b) = match prepare::<CheckoutBody>(&t, &headers, &body, ctx.lang) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let member = match member_ref(b.phone, b.card_no, b.customer_id) {
        Ok(m) => m,
        Err(e) => return WebError::api(e, ctx.lang).into_response(),
    };
    let sold_at = match b.sold_at.as_deref().map(str::parse::<jiff::Timestamp>) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(_)) => {
            return WebError::api(
                patron_app::AppError::Field(patron_domain::FieldError::new(
                    "sold_at",
                    "error.checkout.sold_at",
                )),
                ctx.lang,
            )
            .into_response();
        }
    };
    let req = CheckoutRequest {
        store_code: b.store_code,
        member,
        receipt_no: b.receipt_no,
        lines: b
            .lines
            .into_iter()
            .map(|l| LineInput {
                sku: l.sku,
                name: l.name,
                category: l.category,
                quantity: l.quantity,
                unit_price_fen: l.unit_price_fen,
                discount_fen: l.discount_fen,
            })
            .collect(),
        points_to_redeem: b.points_to_redeem,
        coupons: b.coupons,
        sold_at,
    };
    match state
        .app
        .checkout(&patron_app::sales::Counter::from(&t), &retry, req)
        .await
    {
        Ok(a) => send(a),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/refunds", tag = "till", request_body = RefundBody,
    params(("Idempotency-Key" = String, Header, description = "unique per refund attempt; retries reuse it")),
    responses((status = 201, body = super::receipts::RefundReceipt), (status = 400, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn refund(
    State(state): State<AppState>,
    PosTerminal(t): PosTerminal,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (retry, b) = match prepare::<RefundBody>(&t, &headers, &body, ctx.lang) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let req = RefundRequest {
        store_code: b.store_code,
        receipt_no: b.receipt_no,
        refund_no: b.refund_no,
        lines: b.lines.iter().map(|l| (l.line_no, l.quantity)).collect(),
        reason: b.reason,
    };
    match state
        .app
        .refund(&patron_app::sales::Counter::from(&t), &retry, req)
        .await
    {
        Ok(a) => send(a),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}
