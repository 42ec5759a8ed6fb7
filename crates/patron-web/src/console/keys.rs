//! Till API keys (one store each) and, for staff managers, the personal tokens of the staff
//! they manage. Secrets are shown once, right after creation, and never again.

use super::{Flash, opt_id, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when, when_opt};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::security::Principal;
use patron_domain::Capability;
use patron_domain::store::StoreStatus;
use serde::Deserialize;

pub struct KeyView {
    pub id: i64,
    pub store: String,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
}

pub struct TokenRow {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub prefix: String,
    pub expires: String,
    pub last_used: String,
    pub revoked: bool,
    pub expired: bool,
}

#[derive(Template)]
#[template(path = "keys.html")]
pub struct KeysPage {
    page: Page,
    keys: Vec<KeyView>,
    tokens: Vec<TokenRow>,
    stores: Vec<(i64, String)>,
    new_key: String,
    show_tokens: bool,
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    flash: &str,
    error: Option<&AppError>,
    new_key: String,
) -> Response {
    let result: Result<Response, AppError> = async {
        let app = &state.app;
        let tz = state.app.config().timezone();
        let keys = app
            .api_keys(p.scope())
            .await?
            .into_iter()
            .map(|k| KeyView {
                id: k.id,
                store: k.store_code,
                name: k.name,
                prefix: k.prefix,
                created: when(k.created_at, ctx.lang, &tz),
                last_used: when_opt(k.last_used_at, ctx.lang, &tz),
                revoked: k.revoked_at.is_some(),
            })
            .collect();
        let show_tokens = p.can(Capability::StaffManage);
        let now = state.app.now();
        let tokens = if show_tokens {
            app.api_tokens(p.scope(), None)
                .await?
                .into_iter()
                .map(|t| TokenRow {
                    id: t.id,
                    username: t.username,
                    name: t.name,
                    prefix: t.prefix,
                    expires: when(t.expires_at, ctx.lang, &tz),
                    last_used: when_opt(t.last_used_at, ctx.lang, &tz),
                    revoked: t.revoked_at.is_some(),
                    expired: t.expires_at <= now,
                })
                .collect()
        } else {
            Vec::new()
        };
        let stores = app
            .stores(p.scope())
            .await?
            .into_iter()
            .filter(|s| s.status == StoreStatus::Open)
            .map(|s| (s.id, format!("{} {}", s.code, s.name)))
            .collect();
        let mut page = Page::console(ctx.lang, p, "keys.title", "/console/keys").with_flash(flash);
        if let Some(e) = error {
            page = page.with_error(e);
        }
        Ok(render(&KeysPage {
            page,
            keys,
            tokens,
            stores,
            new_key,
            show_tokens,
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

pub async fn keys_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(flash): Query<Flash>,
) -> Response {
    show(&state, &p, &ctx, &flash.ok, None, String::new()).await
}

#[derive(Debug, Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    store_id: String,
    #[serde(default)]
    name: String,
}

pub async fn create_key(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<KeyForm>,
) -> Response {
    let Some(store_id) = opt_id(&form.store_id) else {
        let e = AppError::Field(patron_domain::FieldError::new(
            "store_id",
            "error.store.unknown",
        ));
        return show(&state, &p, &ctx, "", Some(&e), String::new()).await;
    };
    match state
        .app
        .create_api_key(Some(&p), store_id, &form.name, ctx.rid())
        .await
    {
        Ok(secret) => show(&state, &p, &ctx, "key_created", None, secret).await,
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e), String::new()).await
            })
            .await
        }
    }
}

pub async fn revoke_key(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .revoke_api_key(&p.actor(ctx.rid()), p.scope(), id)
        .await
    {
        Ok(()) => see_other("/console/keys?ok=key_revoked"),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e), String::new()).await
            })
            .await
        }
    }
}

pub async fn revoke_staff_token(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .revoke_api_token(&p.actor(ctx.rid()), p.scope(), id, None)
        .await
    {
        Ok(()) => see_other("/console/keys?ok=token_revoked"),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e), String::new()).await
            })
            .await
        }
    }
}
