//! Roles: what each role may do, editable by admins (the admin role itself is fixed, and no
//! one edits their own role).

use super::{Flash, see_other};
use crate::identity::Staff;
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_domain::{Capability, Role};
use std::collections::BTreeSet;

pub struct CapCheck {
    pub name: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

pub struct RoleView {
    pub code: &'static str,
    pub label: &'static str,
    pub editable: bool,
    pub caps: Vec<CapCheck>,
}

#[derive(Template)]
#[template(path = "roles.html")]
pub struct RolesPage {
    page: Page,
    roles: Vec<RoleView>,
}

pub async fn roles_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(flash): Query<Flash>,
) -> Response {
    let mut roles = Vec::new();
    for role in Role::ALL {
        let held = match state.app.role_capabilities(*role).await {
            Ok(h) => h,
            Err(e) => {
                return crate::error::WebError::page(e, ctx.lang).into_response_page();
            }
        };
        roles.push(RoleView {
            code: role.as_str(),
            label: ctx.lang.t(&format!("role.{}", role.as_str())),
            editable: role.is_editable(),
            caps: Capability::ALL
                .iter()
                .map(|c| CapCheck {
                    name: c.as_str(),
                    label: ctx.lang.t(&format!("cap.{}", c.as_str())),
                    checked: held.contains(c),
                })
                .collect(),
        });
    }
    render(&RolesPage {
        page: Page::console(ctx.lang, &p, "roles.title", "/console/roles").with_flash(&flash.ok),
        roles,
    })
}

/// The form posts one `cap` field per ticked box.
pub async fn update_role(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(code): Path<String>,
    body: Bytes,
) -> Response {
    let Some(role) = Role::parse(&code) else {
        return crate::error::WebError::page(AppError::NotFound, ctx.lang).into_response_page();
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let caps: BTreeSet<Capability> = pairs
        .iter()
        .filter(|(k, _)| k == "cap")
        .filter_map(|(_, v)| Capability::parse(v))
        .collect();
    match state
        .app
        .set_role_capabilities(&p, role, &caps, ctx.rid())
        .await
    {
        Ok(()) => see_other("/console/roles?ok=role_saved"),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}
