//! Signing in and out, first-run set-up, the second factor, the language switch, and the
//! invitation and password-reset links.

use super::{Flash, see_other};
use crate::identity::{Ctx, cookie};
use crate::state::AppState;
use crate::view::{Page, render, session_csrf};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use patron_app::AppError;
use patron_app::security::{LockNotice, Stage};
use patron_app::staff::StaffInput;
use serde::Deserialize;

/// The double-submit CSRF token for pages shown before sign-in: the cookie's value, or a
/// new one with the header that sets it.
fn anon_csrf(state: &AppState, headers: &HeaderMap) -> (String, Option<String>) {
    match cookie(headers, state.csrf_cookie()) {
        Some(v) if v.len() >= 16 => (v, None),
        _ => {
            let v = patron_app::credentials::random_token(20);
            let set = state.cookie(state.csrf_cookie(), &v, None);
            (v, Some(set))
        }
    }
}

fn with_cookie(mut res: Response, set: Option<String>) -> Response {
    if let Some(v) = set.and_then(|s| header::HeaderValue::from_str(&s).ok()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn bare_page(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    title: &str,
) -> (Page, Option<String>) {
    let (csrf, set) = anon_csrf(state, headers);
    let mut page = Page::bare(ctx.lang, title);
    page.csrf = csrf;
    (page, set)
}

pub async fn root(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, crate::error::WebError> {
    let done = state
        .app
        .setup_done()
        .await
        .map_err(|e| crate::error::WebError::page(e, ctx.lang))?;
    Ok(see_other(if done { "/console" } else { "/setup" }))
}

#[derive(Template)]
#[template(path = "setup.html")]
pub struct SetupPage {
    page: Page,
    form: SetupForm,
}

#[derive(Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn setup_page(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Response {
    match state.app.setup_done().await {
        Ok(true) => see_other("/login"),
        Ok(false) => {
            let (page, set) = bare_page(&state, &ctx, &headers, "setup.title");
            with_cookie(
                render(&SetupPage {
                    page,
                    form: SetupForm::default(),
                }),
                set,
            )
        }
        Err(e) => crate::error::internal(&e.to_string(), ctx.lang, false),
    }
}

pub async fn setup_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Response {
    let input = StaffInput {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        email: form.email.clone(),
        ..Default::default()
    };
    match state
        .app
        .create_first_admin(&input, &form.password, false, ctx.rid())
        .await
    {
        Ok(_) => see_other("/login?ok=setup_done"),
        Err(AppError::Conflict {
            key: "error.setup.done",
            ..
        }) => see_other("/login"),
        Err(e) => {
            let status = if matches!(e, AppError::Busy) {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::OK
            };
            let (page, set) = bare_page(&state, &ctx, &headers, "setup.title");
            let form = SetupForm {
                password: String::new(),
                ..form
            };
            let res = render(&SetupPage {
                page: page.with_error(&e),
                form,
            });
            with_cookie((status, res).into_response(), set)
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    page: Page,
    username: String,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn login_page(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(flash): Query<Flash>,
) -> Response {
    if ctx.principal().is_some_and(|p| p.stage() == Stage::Full) {
        return see_other("/console");
    }
    if let Ok(false) = state.app.setup_done().await {
        return see_other("/setup");
    }
    let (page, set) = bare_page(&state, &ctx, &headers, "login.title");
    with_cookie(
        render(&LoginPage {
            page: page.with_flash(&flash.ok),
            username: String::new(),
        }),
        set,
    )
}

pub async fn login_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    // A new session replaces any the browser had: the old one is ended, not reused.
    if let Some(p) = ctx.principal()
        && let Err(e) = state.app.logout(p, ctx.rid()).await
    {
        return crate::error::internal(&e.to_string(), ctx.lang, false);
    }
    match state
        .app
        .login(&form.username, &form.password, ctx.ip.as_deref(), ctx.rid())
        .await
    {
        Ok(issued) => {
            let max_age = state.app.config().security.session_absolute_hours * 3600;
            let set = state.cookie(state.session_cookie(), &issued.token, Some(max_age));
            let to = match issued.stage {
                Stage::Full => "/console",
                Stage::Totp => "/login/totp",
                Stage::Enrol => "/account/enrol",
                Stage::ChangePassword => "/account/password-required",
            };
            with_cookie(see_other(to), Some(set))
        }
        Err(e) => {
            let status = match e {
                AppError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
                AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
                AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::OK,
            };
            let shown = if matches!(e, AppError::Unauthenticated) {
                AppError::Field(patron_domain::FieldError::new(
                    "password",
                    "error.login.failed",
                ))
            } else {
                e
            };
            let (mut page, set) = bare_page(&state, &ctx, &headers, "login.title");
            page = page.with_error(&shown);
            if matches!(shown, AppError::Field(_)) {
                page.error = ctx.lang.t("error.login.failed").to_string();
            }
            let res = render(&LoginPage {
                page,
                username: form.username,
            });
            with_cookie((status, res).into_response(), set)
        }
    }
}

#[derive(Template)]
#[template(path = "login_totp.html")]
pub struct TotpPage {
    page: Page,
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    pub code: String,
}

pub async fn totp_page(ctx: Ctx) -> Response {
    let Some(p) = ctx.principal() else {
        return see_other("/login");
    };
    let mut page = Page::bare(ctx.lang, "totp.title");
    page.csrf = session_csrf(p);
    render(&TotpPage { page })
}

pub async fn totp_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<CodeForm>,
) -> Response {
    let Some(p) = ctx.principal() else {
        return see_other("/login");
    };
    match state
        .app
        .complete_totp(
            p,
            &form.code,
            &totp_lock_notice(state.app.config().security.totp_lock_minutes),
            ctx.rid(),
        )
        .await
    {
        Ok(Stage::ChangePassword) => see_other("/account/password-required"),
        Ok(_) => see_other("/console"),
        Err(e) => {
            let mut page = Page::bare(ctx.lang, "totp.title").with_error(&e);
            page.csrf = session_csrf(p);
            let status = if matches!(e, AppError::TooManyAttempts) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::OK
            };
            (status, render(&TotpPage { page })).into_response()
        }
    }
}

/// The e-mail to an account's owner when its second step locks, in both languages (the
/// reader's language is not known when it is sent), like the other staff e-mails.
fn totp_lock_notice(minutes: i64) -> LockNotice {
    use crate::i18n::Lang;
    let both = |key: &str, sep: &str| {
        format!("{}{sep}{}", Lang::Zh.t(key), Lang::En.t(key))
            .replace("{minutes}", &minutes.to_string())
    };
    LockNotice {
        subject: both("totp.locked_mail_subject", " / "),
        body: both("totp.locked_mail_body", "\n\n---\n\n"),
    }
}

pub async fn logout(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Some(p) = ctx.principal()
        && let Err(e) = state.app.logout(p, ctx.rid()).await
    {
        return crate::error::internal(&e.to_string(), ctx.lang, false);
    }
    let clear = state.cookie(state.session_cookie(), "", Some(0));
    with_cookie(see_other("/login?ok=logged_out"), Some(clear))
}

/// Switches the language and returns to the page the person came from (same site only).
pub async fn set_lang(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = crate::i18n::Lang::parse(&code).unwrap_or_default();
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/lang/"))
        .unwrap_or_else(|| "/console".into());
    let set = state.cookie(state.lang_cookie(), lang.code(), Some(365 * 24 * 3600));
    with_cookie(see_other(&back), Some(set))
}

#[derive(Template)]
#[template(path = "link.html")]
pub struct LinkPage {
    page: Page,
    username: String,
    action: String,
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

fn link_purpose(kind: &str) -> (&'static str, &'static str) {
    if kind == "invite" {
        ("invite", "link.invite_title")
    } else {
        ("reset", "link.reset_title")
    }
}

async fn link_page_for(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    kind: &str,
    token: &str,
    error: Option<&AppError>,
) -> Response {
    let (purpose, title) = link_purpose(kind);
    match state.app.peek_link(purpose, token).await {
        Ok(username) => {
            let (mut page, set) = bare_page(state, ctx, headers, title);
            if let Some(e) = error {
                page = page.with_error(e);
            }
            with_cookie(
                render(&LinkPage {
                    page,
                    username,
                    action: format!("/{purpose}/{token}"),
                }),
                set,
            )
        }
        Err(AppError::NotFound) => {
            crate::error::page_error(StatusCode::NOT_FOUND, ctx.lang, "error.link.invalid")
        }
        Err(e) => crate::error::internal(&e.to_string(), ctx.lang, false),
    }
}

pub async fn invite_page(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    link_page_for(&state, &ctx, &headers, "invite", &token, None).await
}

pub async fn reset_page(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    link_page_for(&state, &ctx, &headers, "reset", &token, None).await
}

async fn link_submit(
    state: AppState,
    ctx: Ctx,
    headers: HeaderMap,
    kind: &str,
    token: String,
    form: PasswordForm,
) -> Response {
    let (purpose, _) = link_purpose(kind);
    match state.app.accept_link(purpose, &token, &form.password).await {
        Ok(_) => see_other("/login?ok=password_set"),
        Err(AppError::NotFound) => {
            crate::error::page_error(StatusCode::NOT_FOUND, ctx.lang, "error.link.invalid")
        }
        Err(e) => link_page_for(&state, &ctx, &headers, kind, &token, Some(&e)).await,
    }
}

pub async fn invite_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Response {
    link_submit(state, ctx, headers, "invite", token, form).await
}

pub async fn reset_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Response {
    link_submit(state, ctx, headers, "reset", token, form).await
}
