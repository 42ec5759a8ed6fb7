//! The signed-in person's own account: password, authenticator (TOTP), live sessions and
//! personal API tokens; plus the two forced steps of signing in (enrolment, new password).

use super::auth::CodeForm;
use super::{Flash, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, session_csrf, when, when_opt};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::security::{Principal, Stage, Via};
use patron_app::stores::IssuedToken;
use patron_domain::totp::otpauth_uri;
use serde::Deserialize;

/// The secret grouped in fours, as people type it into an app.
fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

pub struct TotpSetup {
    pub secret: String,
    pub uri: String,
}

fn setup_for(p: &Principal, secret: String) -> TotpSetup {
    TotpSetup {
        uri: otpauth_uri("Patron", &p.username, &secret),
        secret: grouped(&secret),
    }
}

#[derive(Template)]
#[template(path = "enrol.html")]
pub struct EnrolPage {
    page: Page,
    setup: TotpSetup,
}

pub async fn enrol_page(State(state): State<AppState>, Staff(p, ctx): Staff) -> Response {
    match state.app.totp_enrolment(&p, ctx.rid()).await {
        Ok(secret) => {
            let mut page = Page::bare(ctx.lang, "enrol.title");
            page.csrf = session_csrf(&p);
            render(&EnrolPage {
                page,
                setup: setup_for(&p, secret),
            })
        }
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

pub async fn enrol_submit(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<CodeForm>,
) -> Response {
    match state
        .app
        .confirm_totp_enrolment(&p, &form.code, ctx.rid())
        .await
    {
        Ok(_) => see_other("/console?ok=totp_enabled"),
        Err(e) => {
            let secret = state
                .app
                .pending_totp_secret(&p)
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            let mut page = Page::bare(ctx.lang, "enrol.title").with_error(&e);
            page.csrf = session_csrf(&p);
            render(&EnrolPage {
                page,
                setup: setup_for(&p, secret),
            })
        }
    }
}

#[derive(Template)]
#[template(path = "password_required.html")]
pub struct PasswordRequiredPage {
    page: Page,
}

#[derive(Debug, Deserialize)]
pub struct ChangePasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
}

pub async fn password_required_page(Staff(p, ctx): Staff) -> Response {
    let mut page = Page::bare(ctx.lang, "password_required.title");
    page.csrf = session_csrf(&p);
    render(&PasswordRequiredPage { page })
}

pub async fn password_required_submit(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<ChangePasswordForm>,
) -> Response {
    match state
        .app
        .change_password(&p, &form.current_password, &form.password, ctx.rid())
        .await
    {
        Ok(Stage::Enrol) => see_other("/account/enrol"),
        Ok(_) => see_other("/console?ok=password_changed"),
        Err(e) => {
            let mut page = Page::bare(ctx.lang, "password_required.title").with_error(&e);
            page.csrf = session_csrf(&p);
            render(&PasswordRequiredPage { page })
        }
    }
}

pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub revoked: bool,
    pub expired: bool,
}

pub struct SessionView {
    pub started: String,
    pub last_seen: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    page: Page,
    username: String,
    role: &'static str,
    totp_enabled: bool,
    totp_required: bool,
    setup: Option<TotpSetup>,
    sessions: Vec<SessionView>,
    tokens: Vec<TokenView>,
    new_token: String,
    new_token_expires: String,
}

async fn account_view(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    flash: &str,
) -> Result<AccountPage, AppError> {
    let account = state.app.my_account(p).await?;
    let staff = account.staff;
    let tz = state.app.config().timezone();
    let now = state.app.now();
    let current = match p.via {
        Via::Session { id, .. } => Some(id),
        Via::Token { .. } => None,
    };
    let sessions = account
        .sessions
        .into_iter()
        .map(|s| SessionView {
            started: when(s.created_at, ctx.lang, &tz),
            last_seen: when(s.last_seen_at, ctx.lang, &tz),
            current: Some(s.id) == current,
        })
        .collect();
    let tokens = account
        .tokens
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created: when(t.created_at, ctx.lang, &tz),
            expires: when(t.expires_at, ctx.lang, &tz),
            last_used: when_opt(t.last_used_at, ctx.lang, &tz),
            revoked: t.revoked_at.is_some(),
            expired: t.expires_at <= now,
        })
        .collect();
    Ok(AccountPage {
        page: Page::console(ctx.lang, p, "account.title", "/console/account").with_flash(flash),
        username: staff.username,
        role: ctx.lang.t(&format!("role.{}", p.role.as_str())),
        totp_enabled: staff.totp_enabled,
        totp_required: account.totp_required,
        setup: account.pending_totp.map(|s| setup_for(p, s)),
        sessions,
        tokens,
        new_token: String::new(),
        new_token_expires: String::new(),
    })
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    flash: &str,
    error: Option<&AppError>,
    new_token: Option<IssuedToken>,
) -> Response {
    match account_view(state, p, ctx, flash).await {
        Ok(mut view) => {
            if let Some(e) = error {
                view.page = view.page.with_error(e);
            }
            if let Some(t) = new_token {
                view.new_token = t.secret;
                view.new_token_expires = when(
                    t.expires_at.as_millisecond(),
                    ctx.lang,
                    &state.app.config().timezone(),
                );
            }
            render(&view)
        }
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

pub async fn account_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(flash): Query<Flash>,
) -> Response {
    show(&state, &p, &ctx, &flash.ok, None, None).await
}

pub async fn change_password(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<ChangePasswordForm>,
) -> Response {
    match state
        .app
        .change_password(&p, &form.current_password, &form.password, ctx.rid())
        .await
    {
        Ok(_) => see_other("/console/account?ok=password_changed"),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e), None).await
            })
            .await
        }
    }
}

pub async fn totp_begin(State(state): State<AppState>, Staff(p, ctx): Staff) -> Response {
    match state.app.begin_totp_enrolment(&p, ctx.rid()).await {
        Ok(_) => see_other("/console/account#totp"),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e), None).await
            })
            .await
        }
    }
}

pub async fn totp_confirm(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<CodeForm>,
) -> Response {
    match state
        .app
        .confirm_totp_enrolment(&p, &form.code, ctx.rid())
        .await
    {
        Ok(_) => see_other("/console/account?ok=totp_enabled"),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e), None).await
            })
            .await
        }
    }
}

pub async fn totp_disable(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<CodeForm>,
) -> Response {
    match state.app.disable_totp(&p, &form.code, ctx.rid()).await {
        Ok(_) => see_other("/console/account?ok=totp_disabled"),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e), None).await
            })
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct NameForm {
    #[serde(default)]
    pub name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<NameForm>,
) -> Response {
    match state
        .app
        .create_api_token(Some(&p), p.staff_id, &form.name, ctx.rid())
        .await
    {
        Ok(issued) => show(&state, &p, &ctx, "token_created", None, Some(issued)).await,
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e), None).await
            })
            .await
        }
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    let owner = Some(p.staff_id);
    match state
        .app
        .revoke_api_token(&p.actor(ctx.rid()), patron_domain::Scope::Chain, id, owner)
        .await
    {
        Ok(()) => see_other("/console/account?ok=token_revoked"),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e), None).await
            })
            .await
        }
    }
}

pub async fn end_other_sessions(State(state): State<AppState>, Staff(p, ctx): Staff) -> Response {
    match state.app.end_my_other_sessions(&p, ctx.rid()).await {
        Ok(_) => see_other("/console/account?ok=sessions_ended#sessions"),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}
