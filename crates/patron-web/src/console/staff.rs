//! Staff: a filterable list, the create/invite form, the account page with role and store,
//! disable/enable, and sending a password-reset link.

use super::{Flash, opt_id, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when_opt};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::security::Principal;
use patron_app::staff::StaffRow;
use patron_app::staff::{FirstPassword, StaffInput};
use patron_app::stores::StoreRow;
use patron_domain::store::StoreStatus;
use patron_domain::{Capability, Role};
use serde::Deserialize;

pub struct StaffView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: String,
    pub role_label: &'static str,
    pub store: String,
    pub store_value: String,
    pub status: String,
    pub status_label: &'static str,
    pub last_login: String,
}

fn view(s: StaffRow, stores: &[StoreRow], ctx: &Ctx, tz: &jiff::tz::TimeZone) -> StaffView {
    let store = s
        .store_id
        .and_then(|id| stores.iter().find(|st| st.id == id))
        .map(|st| format!("{} {}", st.code, st.name));
    StaffView {
        id: s.id,
        role_label: ctx.lang.t(&format!("role.{}", s.role.as_str())),
        status_label: ctx.lang.t(&format!("status.{}", s.status.code())),
        last_login: when_opt(s.last_login_at, ctx.lang, tz),
        store: store.unwrap_or_else(|| ctx.lang.t("staff.chain_wide").to_string()),
        store_value: s.store_id.map(|i| i.to_string()).unwrap_or_default(),
        username: s.username,
        display_name: s.display_name,
        email: s.email.unwrap_or_default(),
        role: s.role.as_str().into(),
        status: s.status.code().into(),
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

fn role_choices(ctx: &Ctx) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().into(),
            label: ctx.lang.t(&format!("role.{}", r.as_str())).into(),
        })
        .collect()
}

fn store_choices(stores: &[StoreRow]) -> Vec<Choice> {
    stores
        .iter()
        .filter(|s| s.status == StoreStatus::Open)
        .map(|s| Choice {
            value: s.id.to_string(),
            label: format!("{} {}", s.code, s.name),
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct StaffFilter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    store: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    ok: String,
}

#[derive(Template)]
#[template(path = "staff_list.html")]
pub struct StaffListPage {
    page: Page,
    staff: Vec<StaffView>,
    filter: StaffFilter,
    roles: Vec<Choice>,
    stores: Vec<Choice>,
    can_manage: bool,
}

pub async fn staff_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(filter): Query<StaffFilter>,
) -> Response {
    let result: Result<Response, AppError> = async {
        let stores = state.app.stores(p.scope()).await?;
        let tz = state.app.config().timezone();
        let q = filter.q.trim().to_lowercase();
        let staff = state
            .app
            .staff_accounts(p.scope())
            .await?
            .into_iter()
            .filter(|s| {
                q.is_empty()
                    || s.username.contains(&q)
                    || s.display_name.to_lowercase().contains(&q)
            })
            .filter(|s| filter.role.is_empty() || s.role.as_str() == filter.role)
            .filter(|s| filter.status.is_empty() || s.status.code() == filter.status)
            .filter(|s| filter.store.is_empty() || s.store_id == opt_id(&filter.store))
            .map(|s| view(s, &stores, &ctx, &tz))
            .collect();
        let page =
            Page::console(ctx.lang, &p, "staff.title", "/console/staff").with_flash(&filter.ok);
        Ok(render(&StaffListPage {
            page,
            staff,
            roles: role_choices(&ctx),
            stores: store_choices(&stores),
            can_manage: p.can(Capability::StaffManage),
            filter,
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

#[derive(Debug, Default, Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    store_id: String,
    /// `invite` or `password`.
    #[serde(default)]
    mode: String,
    #[serde(default)]
    password: String,
}

impl StaffForm {
    fn input(&self) -> StaffInput {
        StaffInput {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            role: self.role.clone(),
            store_id: opt_id(&self.store_id),
        }
    }
}

#[derive(Template)]
#[template(path = "staff_new.html")]
pub struct StaffNewPage {
    page: Page,
    form: StaffForm,
    roles: Vec<Choice>,
    stores: Vec<Choice>,
}

async fn new_form(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    form: StaffForm,
    error: Option<&AppError>,
) -> Response {
    match state.app.stores(p.scope()).await {
        Ok(stores) => {
            let mut page = Page::console(ctx.lang, p, "staff.new_title", "/console/staff");
            if let Some(e) = error {
                page = page.with_error(e);
            }
            let form = StaffForm {
                password: String::new(),
                ..form
            };
            render(&StaffNewPage {
                page,
                form,
                roles: role_choices(ctx),
                stores: store_choices(&stores),
            })
        }
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

pub async fn new_staff_page(State(state): State<AppState>, Staff(p, ctx): Staff) -> Response {
    let form = StaffForm {
        mode: "invite".into(),
        role: Role::SalesAssociate.as_str().into(),
        ..Default::default()
    };
    new_form(&state, &p, &ctx, form, None).await
}

pub async fn create_staff(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<StaffForm>,
) -> Response {
    let first = if form.mode == "password" {
        FirstPassword::Set(form.password.clone())
    } else {
        FirstPassword::Invite
    };
    match state
        .app
        .create_staff(Some(&p), &form.input(), first, ctx.rid())
        .await
    {
        Ok(id) => see_other(&format!("/console/staff/{id}?ok=staff_created")),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                new_form(&state, &p, &ctx, form, Some(&e)).await
            })
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "staff_edit.html")]
pub struct StaffEditPage {
    page: Page,
    staff: StaffView,
    roles: Vec<Choice>,
    stores: Vec<Choice>,
    can_manage: bool,
    is_self: bool,
}

async fn edit(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: i64,
    flash: &str,
    error: Option<&AppError>,
) -> Response {
    let result: Result<Response, AppError> = async {
        let stores = state.app.stores(p.scope()).await?;
        let row = state.app.staff_member(p.scope(), id).await?;
        let tz = state.app.config().timezone();
        let mut page =
            Page::console(ctx.lang, p, "staff.edit_title", "/console/staff").with_flash(flash);
        if let Some(e) = error {
            page = page.with_error(e);
        }
        Ok(render(&StaffEditPage {
            page,
            staff: view(row, &stores, ctx, &tz),
            roles: role_choices(ctx),
            stores: store_choices(&stores),
            can_manage: p.can(Capability::StaffManage),
            is_self: p.staff_id == id,
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

pub async fn staff_member_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Query(flash): Query<Flash>,
) -> Response {
    edit(&state, &p, &ctx, id, &flash.ok, None).await
}

pub async fn update_staff(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(form): Form<StaffForm>,
) -> Response {
    match state
        .app
        .update_staff(Some(&p), id, &form.input(), ctx.rid())
        .await
    {
        Ok(()) => see_other(&format!("/console/staff/{id}?ok=staff_saved")),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                edit(&state, &p, &ctx, id, "", Some(&e)).await
            })
            .await
        }
    }
}

async fn set_active(state: AppState, p: Principal, ctx: Ctx, id: i64, active: bool) -> Response {
    match state
        .app
        .set_staff_active(Some(&p), id, active, ctx.rid())
        .await
    {
        Ok(()) => see_other(&format!(
            "/console/staff/{id}?ok={}",
            if active {
                "staff_enabled"
            } else {
                "staff_disabled"
            }
        )),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                edit(&state, &p, &ctx, id, "", Some(&e)).await
            })
            .await
        }
    }
}

pub async fn disable_staff(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    set_active(state, p, ctx, id, false).await
}

pub async fn enable_staff(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    set_active(state, p, ctx, id, true).await
}

pub async fn send_reset(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state.app.send_reset_link(Some(&p), id, ctx.rid()).await {
        Ok(()) => see_other(&format!("/console/staff/{id}?ok=reset_sent")),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                edit(&state, &p, &ctx, id, "", Some(&e)).await
            })
            .await
        }
    }
}

/// Ends every session of the account (a lost tablet, a person leaving): they sign in again.
pub async fn end_sessions(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state.app.end_staff_sessions(Some(&p), id, ctx.rid()).await {
        Ok(_) => see_other(&format!("/console/staff/{id}?ok=staff_sessions_ended")),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                edit(&state, &p, &ctx, id, "", Some(&e)).await
            })
            .await
        }
    }
}
