//! The loyalty programme's settings page: earning rate, category multipliers, bonus days,
//! pending window, expiry, redemption rate, refund policy, approval threshold and the tier
//! ladder with its benefits. Saved as a whole and checked as a whole.

use crate::console::{Flash, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::membership::loyalty::{Bonus, Expiry, Loyalty, RefundPolicy, TierSetting};
use patron_app::security::Principal;
use patron_domain::FieldError;
use patron_domain::money::parse_yuan;
use std::collections::{BTreeMap, HashMap};

/// Rows offered for tiers (empty rows are ignored).
const TIER_ROWS: usize = 6;

pub struct TierRow {
    pub i: usize,
    pub code: String,
    pub name: String,
    pub min_spend: String,
    pub min_visits: String,
    pub min_points: String,
    pub all: bool,
    pub points_permille: String,
    pub discount_permille: String,
    pub birthday_points: String,
    pub birthday_coupon: String,
    pub free_services: String,
}

#[derive(Template)]
#[template(path = "loyalty.html")]
pub struct LoyaltyPage {
    page: Page,
    l: Loyalty,
    expiry_rule: &'static str,
    expiry_n: u32,
    categories: String,
    bonuses: String,
    tiers: Vec<TierRow>,
    daily_coupon_yuan: String,
    /// Active coupon templates, for the birthday gift.
    templates: Vec<(i64, String)>,
}

fn yuan(fen: Option<i64>) -> String {
    fen.map(|f| format!("{}.{:02}", f / 100, f % 100))
        .unwrap_or_default()
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    flash: &str,
    error: Option<&AppError>,
    shown: Option<Loyalty>,
) -> Response {
    // One app call: the form as typed (shown again after an error) needs only the templates.
    let loaded = match shown {
        Some(l) => state.app.active_coupon_templates().await.map(|t| (l, t)),
        None => state.app.loyalty_page().await,
    };
    let (l, templates) = match loaded {
        Ok(both) => both,
        Err(e) => return crate::error::WebError::page(e, ctx.lang).into_response_page(),
    };
    let (expiry_rule, expiry_n) = match l.expiry {
        Expiry::AfterMonths { months } => ("after_months", months),
        Expiry::EndOfYearAfter { years } => ("end_of_year_after", years),
        Expiry::Never => ("never", 0),
    };
    let categories = l
        .categories
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n");
    let bonuses = l
        .bonuses
        .iter()
        .map(|b| format!("{}={}", b.days, b.multiplier_permille))
        .collect::<Vec<_>>()
        .join("\n");
    let mut tiers: Vec<TierRow> = l
        .tiers
        .iter()
        .enumerate()
        .map(|(i, t)| TierRow {
            i,
            code: t.code.clone(),
            name: t.name.clone(),
            min_spend: yuan(t.min_spend_fen),
            min_visits: opt(t.min_visits),
            min_points: opt(t.min_points),
            all: t.all,
            points_permille: t.points_permille.to_string(),
            discount_permille: t.discount_permille.to_string(),
            birthday_points: if t.birthday_points > 0 {
                t.birthday_points.to_string()
            } else {
                String::new()
            },
            birthday_coupon: opt(t.birthday_coupon_template),
            free_services: t.free_services.clone(),
        })
        .collect();
    for i in tiers.len()..TIER_ROWS {
        tiers.push(TierRow {
            i,
            code: String::new(),
            name: String::new(),
            min_spend: String::new(),
            min_visits: String::new(),
            min_points: String::new(),
            all: false,
            points_permille: String::new(),
            discount_permille: String::new(),
            birthday_points: String::new(),
            birthday_coupon: String::new(),
            free_services: String::new(),
        });
    }
    let mut page =
        Page::console(ctx.lang, p, "loyalty.title", "/console/loyalty").with_flash(flash);
    if let Some(e) = error {
        page = page.with_error(e);
    }
    render(&LoyaltyPage {
        daily_coupon_yuan: yuan(Some(l.daily_coupon_fen_per_staff)),
        templates,
        page,
        expiry_rule,
        expiry_n,
        categories,
        bonuses,
        tiers,
        l,
    })
}

pub async fn loyalty_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(flash): Query<Flash>,
) -> Response {
    show(&state, &p, &ctx, &flash.ok, None, None).await
}

/// Reads the form into settings; the programme's own check runs when saving.
fn read(form: &HashMap<String, String>) -> Result<Loyalty, FieldError> {
    let get = |k: &str| form.get(k).map_or("", |v| v.trim());
    let int = |k: &'static str| -> Result<i64, FieldError> {
        get(k)
            .parse()
            .map_err(|_| FieldError::new(k, "error.loyalty.number"))
    };
    let small = |k: &'static str| -> Result<u32, FieldError> {
        get(k)
            .parse()
            .map_err(|_| FieldError::new(k, "error.loyalty.number"))
    };
    let pairs = |k: &'static str| -> Result<Vec<(String, i64)>, FieldError> {
        get(k)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (a, b) = l
                    .split_once('=')
                    .ok_or(FieldError::new(k, "error.loyalty.pairs"))?;
                let v = b
                    .trim()
                    .parse()
                    .map_err(|_| FieldError::new(k, "error.loyalty.pairs"))?;
                Ok((a.trim().to_string(), v))
            })
            .collect()
    };
    let expiry = match get("expiry_rule") {
        "after_months" => Expiry::AfterMonths {
            months: small("expiry_n")?,
        },
        "end_of_year_after" => Expiry::EndOfYearAfter {
            years: small("expiry_n")?,
        },
        _ => Expiry::Never,
    };
    let mut tiers = Vec::new();
    for i in 0..TIER_ROWS {
        let f = |name: &str| get(&format!("tier_{name}_{i}")).to_string();
        if f("code").is_empty() && f("name").is_empty() {
            continue;
        }
        let opt_int = |name: &str| -> Result<Option<i64>, FieldError> {
            let v = f(name);
            if v.is_empty() {
                Ok(None)
            } else {
                v.parse()
                    .map(Some)
                    .map_err(|_| FieldError::new("tiers", "error.loyalty.number"))
            }
        };
        let spend = f("min_spend");
        tiers.push(TierSetting {
            code: f("code"),
            name: f("name"),
            min_spend_fen: if spend.is_empty() {
                None
            } else {
                Some(parse_yuan(&spend).ok_or(FieldError::new("tiers", "error.products.price"))?)
            },
            min_visits: opt_int("min_visits")?,
            min_points: opt_int("min_points")?,
            all: !f("all").is_empty(),
            points_permille: opt_int("points_permille")?.unwrap_or(1000),
            discount_permille: opt_int("discount_permille")?.unwrap_or(1000),
            birthday_points: opt_int("birthday_points")?.unwrap_or(0),
            birthday_coupon_template: opt_int("birthday_coupon")?,
            free_services: f("free_services").trim().to_string(),
        });
    }
    Ok(Loyalty {
        per_yuan_permille: int("per_yuan_permille")?,
        categories: pairs("categories")?.into_iter().collect::<BTreeMap<_, _>>(),
        bonuses: pairs("bonuses")?
            .into_iter()
            .map(|(days, multiplier_permille)| Bonus {
                days,
                multiplier_permille,
            })
            .collect(),
        pending_days: small("pending_days")?,
        expiry,
        redeem_points_per_yuan: int("redeem_points_per_yuan")?,
        refund_when_spent: if get("refund_when_spent") == "block" {
            RefundPolicy::Block
        } else {
            RefundPolicy::Negative
        },
        approval_above: int("approval_above")?,
        // Forms saved before the daily limits existed keep the defaults.
        daily_points_per_staff: if get("daily_points").is_empty() {
            patron_app::membership::loyalty::default_daily_points()
        } else {
            int("daily_points")?
        },
        daily_coupon_fen_per_staff: match get("daily_coupon_yuan") {
            "" => patron_app::membership::loyalty::default_daily_coupon_fen(),
            y => {
                parse_yuan(y).ok_or(FieldError::new("daily_coupon_yuan", "error.products.price"))?
            }
        },
        till_own_store_only: !get("till_own_store_only").is_empty(),
        card_format: get("card_format").to_string(),
        card_valid_months: small("card_valid_months")?,
        notice_days: if get("notice_days").is_empty() {
            30
        } else {
            small("notice_days")?
        },
        tiers,
    })
}

pub async fn save_loyalty(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let settings = match read(&form) {
        Ok(s) => s,
        Err(e) => {
            let e = AppError::Field(e);
            return show(&state, &p, &ctx, "", Some(&e), None).await;
        }
    };
    match state
        .app
        .save_loyalty(&p.actor(ctx.rid()), settings.clone())
        .await
    {
        Ok(()) => see_other("/console/loyalty?ok=loyalty_saved"),
        Err(e) => show(&state, &p, &ctx, "", Some(&e), Some(settings)).await,
    }
}
