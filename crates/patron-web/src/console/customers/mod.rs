//! Customer pages: the list with its search box, filters and saved views; "my customers";
//! the create and edit forms; the customer page; duplicates; handover; import and export.

pub mod dupes;
pub mod fields;
pub mod form;
pub mod membership;
pub mod profile;
pub mod service_panel;
pub mod transfer;

use crate::console::see_other;
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::customers::{Customer, CustomerQuery};
use patron_app::directory::Directory;
use patron_app::security::Principal;
use patron_domain::Capability;
use patron_domain::Scope;
use patron_domain::staff::StaffStatus;
use patron_domain::store::StoreStatus;
use std::sync::Arc;

/// An option of a select.
#[derive(Debug, Clone)]
pub struct Choices {
    pub value: String,
    pub label: String,
}

/// Stores and active staff within the caller's scope, for selects.
pub(crate) async fn choices(
    state: &AppState,
    p: &Principal,
) -> Result<(Vec<Choices>, Vec<Choices>), AppError> {
    Ok(choices_in(&*state.app.directory().await?, p.scope()))
}

/// Open stores and active staff of the directory within `scope`, for selects.
pub(crate) fn choices_in(directory: &Directory, scope: Scope) -> (Vec<Choices>, Vec<Choices>) {
    let stores = directory
        .stores(scope)
        .filter(|s| s.status == StoreStatus::Open)
        .map(|s| Choices {
            value: s.id.to_string(),
            label: format!("{} {}", s.code, s.name),
        })
        .collect();
    let staff = directory
        .staff(scope)
        .filter(|s| s.status == StaffStatus::Active)
        .map(|s| Choices {
            value: s.id.to_string(),
            label: s.display_name.clone(),
        })
        .collect();
    (stores, staff)
}

/// Names for ids in lists: store codes and staff names.
pub(crate) struct Names(Arc<Directory>);

impl Names {
    pub(crate) async fn load(state: &AppState) -> Result<Names, AppError> {
        Ok(Names(state.app.directory().await?))
    }

    pub(crate) fn store(&self, id: i64) -> String {
        self.0.store(id).map(|s| s.code.clone()).unwrap_or_default()
    }

    pub(crate) fn staff(&self, id: Option<i64>) -> String {
        id.and_then(|i| self.0.staff_name(i))
            .map_or_else(|| "—".into(), str::to_string)
    }
}

/// A line of the list. Phones are always masked here; the customer page reveals.
pub struct CustomerRow {
    pub id: i64,
    pub archive_no: String,
    pub name: String,
    pub mobile: String,
    pub store: String,
    pub owner: String,
    pub tags: Vec<String>,
    pub completeness: i64,
    pub verified: String,
    pub stale: bool,
}

pub(crate) fn row(c: &Customer, names: &Names, ctx: &Ctx, state: &AppState) -> CustomerRow {
    let tz = state.app.config().timezone();
    CustomerRow {
        id: c.id,
        archive_no: c.archive_no.clone(),
        name: c.name.clone(),
        mobile: c.masked_mobile(),
        store: names.store(c.store_id),
        owner: names.staff(c.owner_staff_id),
        tags: c.tags.clone(),
        completeness: c.completeness,
        verified: when(c.verified_at, ctx.lang, &tz)
            .split(' ')
            .next()
            .unwrap_or("")
            .to_string(),
        stale: state.app.reverification_due(c.verified_at),
    }
}

#[derive(Template)]
#[template(path = "customers.html")]
pub struct CustomersPage {
    page: Page,
    q: CustomerQuery,
    rows: Vec<CustomerRow>,
    total: String,
    prev: String,
    next: String,
    stores: Vec<Choices>,
    owners: Vec<Choices>,
    views: Vec<(i64, String, String)>,
    query_string: String,
    owner_sel: String,
    store_sel: String,
    sorts: Vec<Choices>,
    mine: bool,
    can_write: bool,
    can_import: bool,
    can_export: bool,
    can_merge: bool,
    can_fields: bool,
    can_handover: bool,
}

fn query_string(q: &CustomerQuery, page: i64) -> String {
    let mut parts: Vec<(&str, String)> = Vec::new();
    if !q.q.is_empty() {
        parts.push(("q", q.q.clone()));
    }
    if !q.tag.is_empty() {
        parts.push(("tag", q.tag.clone()));
    }
    if let Some(o) = q.owner {
        parts.push(("owner", o.to_string()));
    }
    if let Some(s) = q.store {
        parts.push(("store", s.to_string()));
    }
    if q.stale {
        parts.push(("stale", "true".into()));
    }
    if q.incomplete {
        parts.push(("incomplete", "true".into()));
    }
    for (k, v) in [
        ("class", &q.class),
        ("lifecycle", &q.lifecycle),
        ("tier", &q.tier),
        ("consent", &q.consent),
        ("category", &q.category),
    ] {
        if !v.is_empty() {
            parts.push((k, v.clone()));
        }
    }
    for (k, v) in [
        ("idle_days", q.idle_days),
        ("recent_days", q.recent_days),
        ("churn", q.churn),
    ] {
        if let Some(v) = v {
            parts.push((k, v.to_string()));
        }
    }
    if !q.sort.is_empty() {
        parts.push(("sort", q.sort.clone()));
    }
    if page > 1 {
        parts.push(("page", page.to_string()));
    }
    serde_urlencoded::to_string(&parts).unwrap_or_default()
}

async fn list(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    q: CustomerQuery,
    flash: &str,
    mine: bool,
) -> Response {
    let lang = ctx.lang;
    let result = async {
        let list = state
            .app
            .customer_list(&p.actor(ctx.rid()), p.scope(), p.staff_id, &q)
            .await?;
        let (stores, owners) = choices_in(&list.directory, p.scope());
        let names = Names(list.directory);
        let page = list.page;
        let views = list
            .views
            .into_iter()
            .map(|v| (v.id, v.name, v.query))
            .collect();
        Ok::<_, AppError>((page, names, stores, owners, views))
    }
    .await;
    let (page, names, stores, owners, views) = match result {
        Ok(x) => x,
        Err(e) => return crate::error::WebError::page(e, lang).into_response_page(),
    };
    let title = if mine {
        "customers.mine_title"
    } else {
        "customers.title"
    };
    let base = if mine {
        "/console/customers/mine"
    } else {
        "/console/customers"
    };
    let cap = patron_app::customers::COUNT_CAP;
    let total = if page.total > cap {
        format!("{cap}+")
    } else {
        page.total.to_string()
    };
    let has_next = page.page * page.per_page < page.total;
    let rows = page
        .customers
        .iter()
        .map(|c| row(c, &names, ctx, state))
        .collect();
    render(&CustomersPage {
        page: Page::console(lang, p, title, base).with_flash(flash),
        rows,
        total,
        prev: if page.page > 1 {
            format!("{base}?{}", query_string(&q, page.page - 1))
        } else {
            String::new()
        },
        next: if has_next {
            format!("{base}?{}", query_string(&q, page.page + 1))
        } else {
            String::new()
        },
        stores,
        owners,
        views,
        query_string: query_string(&q, 1),
        owner_sel: q.owner.map(|x| x.to_string()).unwrap_or_default(),
        store_sel: q.store.map(|x| x.to_string()).unwrap_or_default(),
        sorts: ["newest", "archive", "name", "completeness", "verified"]
            .iter()
            .map(|v| Choices {
                value: v.to_string(),
                label: lang.t(&format!("customers.sort_{v}")).to_string(),
            })
            .collect(),
        mine,
        can_write: p.can(Capability::CustomerWrite),
        can_import: p.can(Capability::CustomerImport),
        can_export: p.can(Capability::CustomerExport),
        can_merge: p.can(Capability::CustomerMerge),
        can_fields: p.can(Capability::SettingsManage),
        can_handover: p.can(Capability::StaffManage),
        q,
    })
}

pub async fn customers_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<CustomerQuery>,
    Query(flash): Query<crate::console::Flash>,
) -> Response {
    list(&state, &p, &ctx, q, &flash.ok, false).await
}

/// The owner's own customers (我的客户).
pub async fn mine_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(mut q): Query<CustomerQuery>,
    Query(flash): Query<crate::console::Flash>,
) -> Response {
    q.owner = Some(p.staff_id);
    list(&state, &p, &ctx, q, &flash.ok, true).await
}

#[derive(Debug, serde::Deserialize)]
pub struct SaveView {
    name: String,
    query: String,
}

/// Saves the current filters under a name, for this staff member.
pub async fn save_view(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<SaveView>,
) -> Response {
    let name = form.name.trim();
    let query = form.query.trim_start_matches('?');
    if name.is_empty() || name.chars().count() > 30 {
        let e = AppError::from(patron_domain::FieldError::new(
            "name",
            "error.view_name.invalid",
        ));
        return crate::error::WebError::page(e, ctx.lang).into_response_page();
    }
    match state.app.save_customer_view(p.staff_id, name, query).await {
        Ok(()) => see_other(&format!("/console/customers?{query}&ok=view_saved")),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

pub async fn delete_view(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    match state.app.delete_customer_view(p.staff_id, id).await {
        Ok(()) => see_other("/console/customers?ok=view_deleted"),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}
