//! Warranty search (by serial number or the customer's phone) with the form to register an
//! item, and the warranty page with its claims and the form to file one.

use crate::console::{form_error, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::security::Principal;
use patron_app::service::warranties::WarrantyRow;
use patron_app::service::warranties::{ClaimForm, WarrantyForm};
use serde::Deserialize;

pub struct WarrantyView {
    pub id: i64,
    pub product: String,
    pub sku: String,
    pub serial: String,
    pub customer: String,
    pub customer_id: i64,
    pub period: String,
    pub expired: bool,
}

pub(crate) fn warranty_view(w: &WarrantyRow, today: &str) -> WarrantyView {
    WarrantyView {
        id: w.id,
        product: w.product.clone(),
        sku: w.sku.clone(),
        serial: w.serial.clone().unwrap_or_else(|| "—".into()),
        customer: w.customer_name.clone(),
        customer_id: w.customer_id,
        period: format!("{} — {}", w.starts_on, w.ends_on),
        expired: w.ends_on.as_str() < today,
    }
}

#[derive(Template)]
#[template(path = "warranties.html")]
pub struct WarrantiesPage {
    page: Page,
    q: String,
    searched: bool,
    rows: Vec<WarrantyView>,
    form: RegisterBody,
}

#[derive(Deserialize, Default, Clone)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub customer_id: String,
    #[serde(default)]
    pub order_id: String,
    #[serde(default)]
    pub sale_id: String,
}

async fn show_search(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    q: &SearchQuery,
    form: RegisterBody,
    error: String,
) -> Response {
    let result: Result<Response, AppError> = async {
        let app = &state.app;
        let rows = app
            .find_warranties(&p.actor(ctx.rid()), p.scope(), &q.q)
            .await?;
        let today = app.config().timezone().to_datetime(app.now()).date();
        let mut page = Page::console(ctx.lang, p, "warranty.title", "/console/warranties");
        page.error = error;
        Ok(render(&WarrantiesPage {
            page,
            q: q.q.clone(),
            searched: !q.q.trim().is_empty(),
            rows: rows
                .iter()
                .map(|w| warranty_view(w, &today.to_string()))
                .collect(),
            form,
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

pub async fn search_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<SearchQuery>,
) -> Response {
    let form = RegisterBody {
        customer_id: q.customer_id.clone(),
        order_id: q.order_id.clone(),
        sale_id: q.sale_id.clone(),
        months: "12".into(),
        ..Default::default()
    };
    show_search(&state, &p, &ctx, &q, form, String::new()).await
}

#[derive(Deserialize, Default, Clone)]
pub struct RegisterBody {
    #[serde(default)]
    pub customer_id: String,
    #[serde(default)]
    pub sale_id: String,
    #[serde(default)]
    pub order_id: String,
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub serial: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub months: String,
    #[serde(default)]
    pub terms: String,
}

pub async fn register(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(b): Form<RegisterBody>,
) -> Response {
    let form = WarrantyForm {
        customer_id: b.customer_id.trim().parse().unwrap_or(0),
        sale_id: b.sale_id.trim().parse().ok(),
        order_id: b.order_id.trim().parse().ok(),
        sku: b.sku.clone(),
        product: b.product.clone(),
        serial: b.serial.clone(),
        starts_on: b.starts_on.clone(),
        months: b.months.trim().parse().unwrap_or(0),
        terms: b.terms.clone(),
    };
    match state
        .app
        .register_warranty(&p.actor(ctx.rid()), p.scope(), &form)
        .await
    {
        Ok(id) => see_other(&format!("/console/warranties/{id}?ok=warranty_registered")),
        Err(e) => match form_error(&ctx, &e) {
            Some(m) => show_search(&state, &p, &ctx, &SearchQuery::default(), b, m).await,
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}

pub struct ClaimView {
    pub ticket_id: i64,
    pub kind: &'static str,
    pub status: &'static str,
    pub at: String,
}

#[derive(Template)]
#[template(path = "warranty.html")]
pub struct WarrantyPage {
    page: Page,
    w: WarrantyView,
    terms: String,
    sale_id: String,
    order_id: String,
    notice: String,
    claims: Vec<ClaimView>,
    kinds: Vec<(&'static str, &'static str)>,
}

async fn show_warranty(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: i64,
    flash: &str,
    error: String,
) -> Response {
    let result: Result<Response, AppError> = async {
        let app = &state.app;
        let (w, claims) = app.warranty(p.scope(), id).await?;
        let tz = app.config().timezone();
        let today = tz.to_datetime(app.now()).date().to_string();
        let mut page =
            Page::console(ctx.lang, p, "warranty.one", "/console/warranties").with_flash(flash);
        page.error = error;
        Ok(render(&WarrantyPage {
            page,
            terms: w.terms.clone(),
            sale_id: w.sale_id.map(|s| s.to_string()).unwrap_or_default(),
            order_id: w.order_id.map(|s| s.to_string()).unwrap_or_default(),
            notice: match w.notice_sent_at {
                Some(at) => when(at, ctx.lang, &tz),
                None => String::new(),
            },
            claims: claims
                .iter()
                .map(|c| ClaimView {
                    ticket_id: c.ticket_id,
                    kind: ctx.lang.t(&format!("warranty.claim.{}", c.kind)),
                    status: ctx.lang.t(&format!("ticket.status.{}", c.status.code())),
                    at: when(c.created_at, ctx.lang, &tz),
                })
                .collect(),
            kinds: ["repair", "replacement", "refund"]
                .into_iter()
                .map(|k| (k, ctx.lang.t(&format!("warranty.claim.{k}"))))
                .collect(),
            w: warranty_view(&w, &today),
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

#[derive(Deserialize, Default)]
pub struct FlashQuery {
    #[serde(default)]
    pub ok: String,
}

pub async fn warranty_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Query(q): Query<FlashQuery>,
) -> Response {
    show_warranty(&state, &p, &ctx, id, &q.ok, String::new()).await
}

pub async fn claim(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(b): Form<ClaimForm>,
) -> Response {
    match state
        .app
        .claim_warranty(&p.actor(ctx.rid()), p.scope(), id, &b, None)
        .await
    {
        Ok((ticket, _)) => see_other(&format!(
            "/console/service/tickets/{ticket}?ok=ticket_filed"
        )),
        Err(e) => match form_error(&ctx, &e) {
            Some(m) => show_warranty(&state, &p, &ctx, id, "", m).await,
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}
