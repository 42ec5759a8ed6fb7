//! The points mall in the back office: orders to prepare and hand over (ready, fulfilled,
//! cancel with points back), the reward catalogue with stock and redemptions, a form for a new
//! reward, and redeeming a reward for a member from the customer page.

use crate::console::customers::membership::day;
use crate::console::customers::profile::{Tab, show_with_error};
use crate::console::see_other;
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use jiff::tz::TimeZone;
use patron_app::AppError;
use patron_app::membership::mall::{OrderRow, RewardRow};
use patron_app::membership::mall::{RedeemRequest, RewardInput};
use patron_app::security::Principal;
use patron_domain::FieldError;
use patron_domain::membership::{RewardKind, RewardOrderStatus, RewardStatus};
use patron_domain::money::{format_yuan, parse_yuan};
use serde::Deserialize;

pub struct RewardLine {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub price: String,
    pub stock: String,
    pub limit: String,
    pub window: String,
    pub redeemed: i64,
    pub active: bool,
    pub limited: bool,
}

pub struct OrderLine {
    pub id: i64,
    pub customer_id: i64,
    pub reward: String,
    pub quantity: i64,
    pub price: String,
    pub status: &'static str,
    /// Placed, not yet ready: it may be marked ready.
    pub placed: bool,
    /// Placed or ready: it may be handed over or cancelled.
    pub open: bool,
    pub at: String,
    pub by: String,
    pub coupons: String,
    pub note: String,
}

/// "500 积分 + ¥10.00": what one unit costs.
pub fn price_label(points: i64, cash_fen: i64, lang: crate::i18n::Lang) -> String {
    let pts = format!("{points} {}", lang.t("mall.points"));
    if cash_fen > 0 {
        format!("{pts} + {}", format_yuan(cash_fen))
    } else {
        pts
    }
}

pub fn reward_line(r: RewardRow, lang: crate::i18n::Lang, tz: &TimeZone) -> RewardLine {
    let t = |k: &str| lang.t(k);
    let until = r.valid_until.map_or_else(
        || "…".to_string(),
        |u| day(u.as_millisecond() - 1, lang, tz),
    );
    RewardLine {
        id: r.id,
        kind: if r.kind == RewardKind::Coupon {
            t("mall.kind_coupon")
        } else {
            t("mall.kind_goods")
        },
        price: price_label(r.points_price, r.cash_fen, lang),
        stock: r
            .stock
            .map_or_else(|| t("mall.unlimited").to_string(), |s| s.to_string()),
        limit: r
            .per_member_limit
            .map_or_else(|| "—".to_string(), |l| l.to_string()),
        window: format!("{} – {until}", day(r.valid_from.as_millisecond(), lang, tz)),
        redeemed: r.redeemed,
        active: r.status == RewardStatus::Active,
        limited: r.stock.is_some(),
        name: r.name,
    }
}

pub fn order_line(o: OrderRow, lang: crate::i18n::Lang, tz: &TimeZone) -> OrderLine {
    OrderLine {
        id: o.id,
        customer_id: o.customer_id,
        price: price_label(o.points, o.cash_fen, lang),
        status: lang.t(&format!("mall.status_{}", o.status.code())),
        at: when(o.placed_at, lang, tz),
        by: o.placed_by_name,
        coupons: o.coupon_codes.replace(',', " "),
        note: o.note,
        reward: o.reward_name,
        quantity: o.quantity,
        placed: o.status == RewardOrderStatus::Placed,
        open: matches!(
            o.status,
            RewardOrderStatus::Placed | RewardOrderStatus::Ready
        ),
    }
}

#[derive(Template)]
#[template(path = "mall.html")]
pub struct MallPage {
    page: Page,
    orders: Vec<OrderLine>,
    rewards: Vec<RewardLine>,
    templates: Vec<(i64, String)>,
    can_manage: bool,
    status: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct MallQuery {
    #[serde(default)]
    ok: String,
    /// Orders in this state; empty: those still to hand over.
    #[serde(default)]
    status: String,
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    q: &MallQuery,
    error: Option<&AppError>,
) -> Response {
    let result = async {
        let tz = state.app.config().timezone();
        let status = match q.status.as_str() {
            "placed" | "ready" | "fulfilled" | "cancelled" | "all" => q.status.clone(),
            _ => String::new(),
        };
        let wanted = match status.as_str() {
            "" => "open",
            "all" => "",
            one => one,
        };
        let m = state.app.mall_page(p, wanted, 200).await?;
        let mut page = Page::console(ctx.lang, p, "mall.title", "/console/mall").with_flash(&q.ok);
        if let Some(e) = error {
            page = page.with_error(e);
        }
        Ok::<_, AppError>(render(&MallPage {
            page,
            orders: m
                .orders
                .into_iter()
                .map(|o| order_line(o, ctx.lang, &tz))
                .collect(),
            rewards: m
                .rewards
                .into_iter()
                .map(|r| reward_line(r, ctx.lang, &tz))
                .collect(),
            templates: m.coupon_templates,
            can_manage: m.can_manage,
            status,
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

async fn rerender(state: &AppState, p: &Principal, ctx: &Ctx, e: AppError) -> Response {
    crate::console::on_form_error(&e, ctx.lang, async {
        show(state, p, ctx, &MallQuery::default(), Some(&e)).await
    })
    .await
}

pub async fn mall_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<MallQuery>,
) -> Response {
    show(&state, &p, &ctx, &q, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct RewardForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    /// Empty: goods; otherwise a coupon template id.
    #[serde(default)]
    coupon_template_id: String,
    #[serde(default)]
    points_price: String,
    #[serde(default)]
    cash: String,
    /// Empty: unlimited.
    #[serde(default)]
    stock: String,
    #[serde(default)]
    per_member_limit: String,
    /// Local dates (YYYY-MM-DD) in the server's zone; from today when empty.
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_until: String,
}

/// A whole number, or `None` when left empty.
fn optional_count(
    text: &str,
    field: &'static str,
    key: &'static str,
) -> Result<Option<i64>, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse().map(Some).map_err(|_| FieldError::new(field, key))
}

/// The start of a local day, or of the day after (`end`): validity runs through the last day.
fn local_day(
    text: &str,
    field: &'static str,
    tz: &TimeZone,
    end: bool,
) -> Result<Option<jiff::Timestamp>, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || FieldError::new(field, "error.mall.date");
    let d: jiff::civil::Date = t.parse().map_err(|_| bad())?;
    let d = if end {
        d.tomorrow().map_err(|_| bad())?
    } else {
        d
    };
    let at = d.to_zoned_datetime(tz.clone()).map_err(|_| bad())?;
    Ok(Some(at.timestamp()))
}

fn read_reward(
    f: &RewardForm,
    now: jiff::Timestamp,
    tz: &TimeZone,
) -> Result<RewardInput, AppError> {
    let mut errors = Vec::new();
    let mut keep = |r: Result<Option<i64>, FieldError>| match r {
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let points_price = keep(optional_count(
        &f.points_price,
        "points_price",
        "error.mall.points_price",
    ));
    let stock = keep(optional_count(&f.stock, "stock", "error.mall.stock"));
    let per_member_limit = keep(optional_count(
        &f.per_member_limit,
        "per_member_limit",
        "error.mall.limit",
    ));
    let cash_fen = if f.cash.trim().is_empty() {
        0
    } else {
        parse_yuan(&f.cash).unwrap_or_else(|| {
            errors.push(FieldError::new("cash", "error.mall.cash"));
            0
        })
    };
    let valid_from = local_day(&f.valid_from, "valid_from", tz, false);
    let valid_until = local_day(&f.valid_until, "valid_until", tz, true);
    let (valid_from, valid_until) = match (valid_from, valid_until) {
        (Ok(a), Ok(b)) => (a.unwrap_or(now), b),
        (a, b) => {
            errors.extend(a.err());
            errors.extend(b.err());
            (now, None)
        }
    };
    if points_price.is_none() && !errors.iter().any(|e| e.field == "points_price") {
        errors.push(FieldError::new("points_price", "error.mall.points_price"));
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(RewardInput {
        name: f.name.clone(),
        description: f.description.clone(),
        coupon_template_id: crate::console::opt_id(&f.coupon_template_id),
        points_price: points_price.unwrap_or(0),
        cash_fen,
        stock,
        per_member_limit,
        valid_from,
        valid_until,
    })
}

pub async fn create_reward(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<RewardForm>,
) -> Response {
    let tz = state.app.config().timezone();
    let result = async {
        let input = read_reward(&form, state.app.now(), &tz)?;
        state
            .app
            .create_reward(&p.actor(ctx.rid()), p.scope(), &input)
            .await
    }
    .await;
    match result {
        Ok(_) => see_other("/console/mall?ok=reward_saved"),
        Err(e) => rerender(&state, &p, &ctx, e).await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct UpdateForm {
    #[serde(default)]
    more_stock: String,
    /// `retire`, `offer`, or empty to keep.
    #[serde(default)]
    action: String,
}

pub async fn update_reward(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(form): Form<UpdateForm>,
) -> Response {
    let result = async {
        let more = optional_count(&form.more_stock, "stock", "error.mall.stock")?.unwrap_or(0);
        let active = match form.action.as_str() {
            "retire" => Some(false),
            "offer" => Some(true),
            _ => None,
        };
        state
            .app
            .update_reward(&p.actor(ctx.rid()), p.scope(), id, more, active)
            .await
    }
    .await;
    match result {
        Ok(()) => see_other("/console/mall?ok=reward_saved"),
        Err(e) => rerender(&state, &p, &ctx, e).await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct OrderForm {
    /// `ready`, `fulfilled` or `cancel`.
    #[serde(default)]
    to: String,
    #[serde(default)]
    reason: String,
}

pub async fn order_action(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(form): Form<OrderForm>,
) -> Response {
    let actor = p.actor(ctx.rid());
    let result = if form.to == "cancel" {
        state
            .app
            .cancel_reward_order(&actor, p.scope(), id, &form.reason)
            .await
    } else {
        state
            .app
            .move_reward_order(&actor, p.scope(), id, &form.to)
            .await
    };
    match result {
        Ok(()) => see_other("/console/mall?ok=order_saved"),
        Err(e) => rerender(&state, &p, &ctx, e).await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RedeemForm {
    #[serde(default)]
    reward_id: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    note: String,
}

/// Redeems from the customer page; the member collects at the staff member's store.
pub async fn redeem_for_customer(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(form): Form<RedeemForm>,
) -> Response {
    let result = async {
        let req = RedeemRequest {
            reward_id: crate::console::opt_id(&form.reward_id)
                .ok_or(FieldError::new("reward_id", "error.mall.not_offered"))?,
            quantity: optional_count(&form.quantity, "quantity", "error.mall.quantity")?
                .unwrap_or(1),
            note: form.note.clone(),
        };
        state
            .app
            .redeem_reward(&p.actor(ctx.rid()), p.scope(), id, &req)
            .await
    }
    .await;
    match result {
        Ok(_) => see_other(&Tab::Points.after_save(id, "reward_redeemed")),
        Err(e) => show_with_error(&state, &p, &ctx, id, Tab::Points, &e).await,
    }
}
