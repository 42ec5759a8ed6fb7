//! Coupons in the back office: templates with their usage (issued, used, still usable,
//! expired unused, discount given), a form for a new template, and issuing a template to a
//! pasted list of customers (phones or archive numbers).

use crate::console::{Flash, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::membership::coupons::TemplateInput;
use patron_app::security::Principal;
use patron_domain::FieldError;
use patron_domain::money::{format_yuan, parse_yuan};
use serde::Deserialize;

pub struct TemplateLine {
    pub id: i64,
    pub name: String,
    pub value: String,
    pub condition: String,
    pub valid_days: i64,
    pub issued: i64,
    pub used: i64,
    pub usable: i64,
    pub expired: i64,
    pub discount: String,
}

#[derive(Template)]
#[template(path = "coupons.html")]
pub struct CouponsPage {
    page: Page,
    templates: Vec<TemplateLine>,
    views: Vec<(String, String)>,
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    flash: &str,
    error: Option<&AppError>,
) -> Response {
    let t = |k: &str| ctx.lang.t(k);
    let result = async {
        let data = state.app.coupons_page(p).await?;
        let mut templates = Vec::new();
        for (row, u) in data.templates {
            let u = u.as_ref();
            let value = match (row.amount_fen, row.off_permille) {
                (Some(fen), _) => format!("{} {}", t("coupons.minus"), format_yuan(fen)),
                (None, Some(off)) => {
                    let cap = row
                        .cap_fen
                        .map(|c| format!(" ≤ {}", format_yuan(c)))
                        .unwrap_or_default();
                    format!("{} {:.1}%{cap}", t("coupons.off"), off as f64 / 10.0)
                }
                _ => String::new(),
            };
            let mut conditions = Vec::new();
            if row.min_spend_fen > 0 {
                conditions.push(format!(
                    "{} {}",
                    t("coupons.min_spend"),
                    format_yuan(row.min_spend_fen)
                ));
            }
            if !row.category.is_empty() {
                conditions.push(format!("{} {}", t("coupons.category"), row.category));
            }
            if row.first_purchase {
                conditions.push(t("coupons.first_purchase").to_string());
            }
            if row.birthday_month {
                conditions.push(t("coupons.birthday_month").to_string());
            }
            templates.push(TemplateLine {
                id: row.id,
                name: row.name,
                value,
                condition: conditions.join(" · "),
                valid_days: row.valid_days,
                issued: u.map_or(0, |u| u.issued),
                used: u.map_or(0, |u| u.used),
                usable: u.map_or(0, |u| u.usable),
                expired: u.map_or(0, |u| u.expired),
                discount: format_yuan(u.map_or(0, |u| u.discount_fen)),
            });
        }
        let mut page =
            Page::console(ctx.lang, p, "coupons.title", "/console/coupons").with_flash(flash);
        if let Some(e) = error {
            page = page.with_error(e);
        }
        let views = super::recipients::labelled(data.choices, ctx.lang.t("segment.prefix"));
        Ok::<_, AppError>(render(&CouponsPage {
            page,
            templates,
            views,
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

pub async fn coupons_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(flash): Query<Flash>,
) -> Response {
    show(&state, &p, &ctx, &flash.ok, None).await
}

#[derive(Debug, Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    name: String,
    /// `amount` or `percent`.
    #[serde(default)]
    kind: String,
    /// Yuan off, or percent off (10 = 10% off).
    #[serde(default)]
    value: String,
    #[serde(default)]
    cap: String,
    #[serde(default)]
    min_spend: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    first_purchase: String,
    #[serde(default)]
    birthday_month: String,
    #[serde(default)]
    valid_days: String,
}

fn read(f: &TemplateForm) -> Result<TemplateInput, FieldError> {
    let yuan = |v: &str, field| parse_yuan(v).ok_or(FieldError::new(field, "error.products.price"));
    let (amount_fen, off_permille) = if f.kind == "percent" {
        let pct: f64 = f
            .value
            .trim()
            .parse()
            .map_err(|_| FieldError::new("percent", "error.coupon.percent"))?;
        (None, Some((pct * 10.0).round() as i64))
    } else {
        (Some(yuan(&f.value, "amount")?), None)
    };
    Ok(TemplateInput {
        name: f.name.clone(),
        amount_fen,
        off_permille,
        cap_fen: if f.cap.trim().is_empty() {
            None
        } else {
            Some(yuan(&f.cap, "cap")?)
        },
        min_spend_fen: if f.min_spend.trim().is_empty() {
            0
        } else {
            yuan(&f.min_spend, "min_spend")?
        },
        category: f.category.clone(),
        first_purchase: !f.first_purchase.is_empty(),
        birthday_month: !f.birthday_month.is_empty(),
        valid_days: f
            .valid_days
            .trim()
            .parse()
            .map_err(|_| FieldError::new("valid_days", "error.coupon.valid_days"))?,
    })
}

pub async fn create_template(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<TemplateForm>,
) -> Response {
    let result = async {
        let input = read(&form)?;
        state
            .app
            .create_coupon_template(&p.actor(ctx.rid()), p.scope(), &input)
            .await
    }
    .await;
    match result {
        Ok(_) => see_other("/console/coupons?ok=coupon_template_saved"),
        Err(e) => {
            crate::console::on_form_error(&e, ctx.lang, show(&state, &p, &ctx, "", Some(&e))).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    template_id: i64,
    #[serde(default)]
    customers: String,
    /// A saved customer view to issue to instead of a pasted list.
    #[serde(default)]
    view_id: String,
    #[serde(default)]
    reason: String,
}

pub async fn issue(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<IssueForm>,
) -> Response {
    let result = async {
        let ids = state
            .app
            .bulk_recipients(&p, &form.customers, &form.view_id)
            .await?;
        state
            .app
            .issue_coupons(
                &p.actor(ctx.rid()),
                p.scope(),
                form.template_id,
                &ids,
                &form.reason,
            )
            .await
    }
    .await;
    match result {
        Ok(_) => see_other("/console/coupons?ok=coupons_issued"),
        Err(e) => {
            crate::console::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e)).await
            })
            .await
        }
    }
}
