//! Stores: the list (with the create form for those who may), the edit page, close/reopen.

use super::{Flash, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::security::Principal;
use patron_app::stores::StoreRow;
use patron_domain::Capability;
use patron_domain::store::StoreStatus;
use serde::Deserialize;

pub struct StoreView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub timezone: String,
    pub open: bool,
    pub created: String,
    /// The service hours the SLA clock runs on, as written (the default when none set).
    pub opening_hours: String,
}

fn view(s: StoreRow, ctx: &Ctx, tz: &jiff::tz::TimeZone) -> StoreView {
    StoreView {
        id: s.id,
        open: s.status == StoreStatus::Open,
        created: when(s.created_at, ctx.lang, tz),
        opening_hours: s
            .opening_hours
            .unwrap_or_else(|| patron_domain::service::sla::OpeningHours::default().render()),
        code: s.code,
        name: s.name,
        timezone: s.timezone,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct StoreForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    opening_hours: String,
}

#[derive(Template)]
#[template(path = "stores.html")]
pub struct StoresPage {
    page: Page,
    stores: Vec<StoreView>,
    can_manage: bool,
    form: StoreForm,
}

async fn list(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    flash: &str,
    error: Option<&AppError>,
    form: StoreForm,
) -> Response {
    let tz = state.app.config().timezone();
    match state.app.stores(p.scope()).await {
        Ok(rows) => {
            let mut page =
                Page::console(ctx.lang, p, "stores.title", "/console/stores").with_flash(flash);
            if let Some(e) = error {
                page = page.with_error(e);
            }
            let stores = rows.into_iter().map(|s| view(s, ctx, &tz)).collect();
            render(&StoresPage {
                page,
                stores,
                can_manage: p.can(Capability::StoreManage),
                form,
            })
        }
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

pub async fn stores_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(flash): Query<Flash>,
) -> Response {
    let form = StoreForm {
        timezone: "Asia/Shanghai".into(),
        ..Default::default()
    };
    list(&state, &p, &ctx, &flash.ok, None, form).await
}

pub async fn create_store(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<StoreForm>,
) -> Response {
    match state
        .app
        .create_store(Some(&p), &form.code, &form.name, &form.timezone, ctx.rid())
        .await
    {
        Ok(_) => see_other("/console/stores?ok=store_created"),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                list(&state, &p, &ctx, "", Some(&e), form).await
            })
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "store_edit.html")]
pub struct StoreEditPage {
    page: Page,
    store: StoreView,
    can_manage: bool,
}

async fn edit(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: i64,
    flash: &str,
    error: Option<&AppError>,
    typed: Option<&StoreForm>,
) -> Response {
    let tz = state.app.config().timezone();
    match state.app.store(p.scope(), id).await {
        Ok(s) => {
            let mut page = Page::console(ctx.lang, p, "stores.edit_title", "/console/stores")
                .with_flash(flash);
            let mut store = view(s, ctx, &tz);
            if let Some(e) = error {
                page = page.with_error(e);
            }
            // What was typed stays in a refused form, so a slip costs nothing.
            if let Some(typed) = typed {
                store.name.clone_from(&typed.name);
                store.timezone.clone_from(&typed.timezone);
                store.opening_hours.clone_from(&typed.opening_hours);
            }
            render(&StoreEditPage {
                page,
                store,
                can_manage: p.can(Capability::StoreManage),
            })
        }
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

pub async fn store_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Query(flash): Query<Flash>,
) -> Response {
    edit(&state, &p, &ctx, id, &flash.ok, None, None).await
}

pub async fn update_store(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(form): Form<StoreForm>,
) -> Response {
    match state
        .app
        .update_store(
            &p,
            id,
            &form.name,
            &form.timezone,
            &form.opening_hours,
            ctx.rid(),
        )
        .await
    {
        Ok(()) => see_other(&format!("/console/stores/{id}?ok=store_saved")),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                edit(&state, &p, &ctx, id, "", Some(&e), Some(&form)).await
            })
            .await
        }
    }
}

async fn set_open(state: AppState, p: Principal, ctx: Ctx, id: i64, open: bool) -> Response {
    match state.app.set_store_open(&p, id, open, ctx.rid()).await {
        Ok(()) => see_other(&format!(
            "/console/stores/{id}?ok={}",
            if open {
                "store_reopened"
            } else {
                "store_closed"
            }
        )),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                edit(&state, &p, &ctx, id, "", Some(&e), None).await
            })
            .await
        }
    }
}

pub async fn close_store(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    set_open(state, p, ctx, id, false).await
}

pub async fn reopen_store(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    set_open(state, p, ctx, id, true).await
}
