//! The till page, for stores without a POS system, on a tablet at the counter: find the
//! member by phone, see tier, points and usable coupons, ring up a sale (redeeming points or
//! a coupon), and refund a receipt. Sales go through the same checkout as the API, with an
//! idempotency key in the form, so a double tap or a resent form records one sale.

use super::see_other;
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::credentials::random_token;
use patron_app::sales::SaleSource;
use patron_app::sales::refund::RefundRequest;
use patron_app::sales::{CheckoutRequest, Counter, MemberRef, Retry};
use patron_app::security::Principal;
use patron_domain::FieldError;
use patron_domain::money::{format_yuan, parse_yuan};
use patron_domain::sales::LineInput;
use patron_domain::store::StoreStatus;
use serde::Deserialize;
use std::collections::HashMap;

/// Line rows on the form.
const ROWS: usize = 5;

pub struct MemberView {
    pub id: i64,
    pub name: String,
    pub masked_mobile: String,
    pub tier: String,
    pub progress: String,
    pub usable: i64,
    pub discount: String,
    /// (code, label)
    pub coupons: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "till.html")]
pub struct TillPage {
    page: Page,
    store: String,
    phone: String,
    member: Option<MemberView>,
    rows: Vec<usize>,
    key: String,
    receipt: String,
    result: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct TillQuery {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    done: String,
}

/// The store the page rings up in: the staff member's own store. Chain-wide roles use the
/// first open store they can see (a store picker is not built yet).
async fn counter(state: &AppState, p: &Principal) -> Result<Counter, AppError> {
    let store = match p.store_id {
        Some(id) => state.app.store(p.scope(), id).await?,
        None => state
            .app
            .stores(p.scope())
            .await?
            .into_iter()
            .find(|s| s.status == StoreStatus::Open)
            .ok_or(AppError::NotFound)?,
    };
    Ok(Counter {
        store_id: store.id,
        store_code: store.code,
        timezone: store.timezone,
        name: p.display_name.clone(),
        staff_id: Some(p.staff_id),
        source: SaleSource::Console,
    })
}

async fn member_view(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    phone: &str,
) -> Result<Option<MemberView>, AppError> {
    if phone.trim().is_empty() {
        return Ok(None);
    }
    let t = state
        .app
        .till_member(&p.actor(ctx.rid()), patron_domain::Scope::Chain, phone)
        .await?;
    let (m, tier) = (t.member, t.tier);
    let usable = t.membership.usable;
    let panel = crate::console::customers::membership::MemberPanel::new(
        t.membership,
        ctx.lang,
        &state.app.config().timezone(),
        state.app.now().as_millisecond(),
    );
    let coupons = t
        .coupons
        .into_iter()
        .map(|c| (c.code.clone(), format!("{} · {}", c.name, c.code)))
        .collect();
    Ok(Some(MemberView {
        id: m.id,
        name: m.name,
        masked_mobile: m.masked_mobile,
        tier: panel.tier,
        progress: panel.progress,
        usable,
        discount: if tier.discount_permille < 1000 {
            format!("×{:.3}", tier.discount_permille as f64 / 1000.0)
        } else {
            String::new()
        },
        coupons,
    }))
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    phone: &str,
    result: String,
    error: Option<&AppError>,
) -> Response {
    let outcome = async {
        let c = counter(state, p).await?;
        let member = match member_view(state, p, ctx, phone).await {
            Ok(m) => m,
            Err(AppError::NotFound) => None,
            Err(e) => return Err(e),
        };
        let mut page = Page::console(ctx.lang, p, "till.title", "/console/till");
        if let Some(e) = error {
            page = page.with_error(e);
        }
        let now = state.app.now();
        Ok(render(&TillPage {
            page,
            store: c.store_code.clone(),
            phone: phone.to_string(),
            member,
            rows: (0..ROWS).collect(),
            key: random_token(10),
            receipt: format!("{}-{}", c.store_code, now.as_second()),
            result,
        }))
    }
    .await;
    outcome.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

pub async fn till_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<TillQuery>,
) -> Response {
    let result = if q.done.is_empty() {
        String::new()
    } else {
        q.done.clone()
    };
    show(&state, &p, &ctx, &q.phone, result, None).await
}

fn read_lines(form: &HashMap<String, String>) -> Result<Vec<LineInput>, FieldError> {
    let mut lines = Vec::new();
    for i in 0..ROWS {
        let get = |k: &str| {
            form.get(&format!("{k}_{i}"))
                .map_or("", |v| v.trim())
                .to_string()
        };
        let sku = get("sku");
        if sku.is_empty() {
            continue;
        }
        let quantity = get("qty")
            .parse()
            .map_err(|_| FieldError::new("lines", "error.sale.quantity"))?;
        let price =
            parse_yuan(&get("price")).ok_or(FieldError::new("lines", "error.sale.price"))?;
        lines.push(LineInput {
            sku,
            name: String::new(),
            category: String::new(),
            quantity,
            unit_price_fen: price,
            discount_fen: 0,
        });
    }
    Ok(lines)
}

pub async fn sale(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| form.get(k).map_or("", |v| v.trim()).to_string();
    let phone = get("phone");
    let result = async {
        let c = counter(&state, &p).await?;
        let lines = read_lines(&form)?;
        let member = match form.get("member_id").and_then(|v| v.parse::<i64>().ok()) {
            Some(id) => MemberRef::Customer(id),
            None => MemberRef::Anonymous,
        };
        let points = if get("points").is_empty() { 0 } else {
            get("points").parse().map_err(|_| FieldError::new("points", "error.checkout.points_need_member"))?
        };
        let coupons: Vec<String> = form
            .iter()
            .filter(|(k, v)| k.starts_with("coupon_") && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect();
        let canonical = serde_json::json!({"receipt": get("receipt_no"), "phone": phone, "points": points,
            "coupons": coupons, "lines": lines.iter().map(|l| (l.sku.clone(), l.quantity, l.unit_price_fen)).collect::<Vec<_>>()})
        .to_string();
        let retry = Retry::new(format!("staff:{}", p.staff_id), &get("key"), &canonical)?;
        let req = CheckoutRequest {
            store_code: c.store_code.clone(),
            member,
            receipt_no: get("receipt_no"),
            lines,
            points_to_redeem: points,
            coupons,
            sold_at: None,
        };
        let answer = state.app.checkout(&c, &retry, req).await?;
        let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
        Ok::<_, AppError>(format!(
            "{} {} · {} {} · {} {}",
            ctx.lang.t("till.paid"),
            format_yuan(v["paid_fen"].as_i64().unwrap_or(0)),
            ctx.lang.t("till.earned"),
            v["points_earned"],
            ctx.lang.t("till.balance"),
            v["balance"],
        ))
    }
    .await;
    match result {
        Ok(done) => see_other(&format!(
            "/console/till?{}",
            serde_urlencoded::to_string([("phone", phone.as_str()), ("done", done.as_str())])
                .unwrap_or_default()
        )),
        Err(e) => show(&state, &p, &ctx, &phone, String::new(), Some(&e)).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct RefundForm {
    #[serde(default)]
    receipt_no: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    key: String,
}

pub async fn refund(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<RefundForm>,
) -> Response {
    let result = async {
        let c = counter(&state, &p).await?;
        let canonical =
            serde_json::json!({"receipt": form.receipt_no, "reason": form.reason}).to_string();
        let retry = Retry::new(format!("staff:{}", p.staff_id), &form.key, &canonical)?;
        let req = RefundRequest {
            store_code: c.store_code.clone(),
            receipt_no: form.receipt_no.clone(),
            refund_no: format!(
                "{}-R{}",
                form.receipt_no.trim(),
                &form.key[..form.key.len().min(6)]
            ),
            lines: Vec::new(),
            reason: form.reason.clone(),
        };
        let answer = state.app.refund(&c, &retry, req).await?;
        let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
        Ok::<_, AppError>(format!(
            "{} {} · {} {}",
            ctx.lang.t("till.refunded"),
            format_yuan(v["paid_fen"].as_i64().unwrap_or(0)),
            ctx.lang.t("till.balance"),
            v["balance"],
        ))
    }
    .await;
    match result {
        Ok(done) => see_other(&format!(
            "/console/till?{}",
            serde_urlencoded::to_string([("done", done.as_str())]).unwrap_or_default()
        )),
        Err(e) => show(&state, &p, &ctx, "", String::new(), Some(&e)).await,
    }
}
