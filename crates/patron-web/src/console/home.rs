//! The console home: who you are, what the chain looks like, what to do next. Later issues
//! add the counter, follow-up and service widgets here.

use super::Flash;
use crate::identity::Staff;
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::audit::AuditFilter;
use patron_domain::Capability;

pub struct RecentEvent {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub outcome: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    page: Page,
    stores: usize,
    staff: usize,
    keys: usize,
    outbox: Vec<(String, i64)>,
    recent: Vec<RecentEvent>,
    todo: Vec<(&'static str, &'static str)>,
    /// Follow-ups of the signed-in person: overdue and due today.
    followups: Option<(usize, usize)>,
}

pub async fn home(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(flash): Query<Flash>,
) -> Response {
    let result: Result<HomePage, AppError> = async {
        let app = &state.app;
        let scope = p.scope();
        let directory = app.directory().await?;
        let stores = directory.stores(scope).count();
        let staff = if p.can(Capability::StaffRead) {
            directory.staff(scope).count()
        } else {
            0
        };
        let keys = if p.can(Capability::ApiKeyManage) {
            app.api_keys(scope).await?
        } else {
            Vec::new()
        };
        let outbox = if p.can(Capability::OutboxRead) {
            app.outbox_counts(scope).await?
        } else {
            Vec::new()
        };
        let tz = state.app.config().timezone();
        let recent = if p.can(Capability::AuditRead) {
            app.audit_log(
                scope,
                &AuditFilter {
                    limit: 8,
                    ..Default::default()
                },
            )
            .await?
            .into_iter()
            .map(|r| RecentEvent {
                at: when(r.at_ms, ctx.lang, &tz),
                actor: r.actor_name,
                action: r.action,
                outcome: r.outcome,
            })
            .collect()
        } else {
            Vec::new()
        };
        let mut todo = Vec::new();
        if p.can(Capability::StoreManage) && stores == 0 {
            todo.push(("/console/stores", ctx.lang.t("home.todo_store")));
        }
        if p.can(Capability::StaffManage) && staff <= 1 {
            todo.push(("/console/staff/new", ctx.lang.t("home.todo_staff")));
        }
        if p.can(Capability::ApiKeyManage) && keys.is_empty() {
            todo.push(("/console/keys", ctx.lang.t("home.todo_key")));
        }
        let followups = if p.can(Capability::CustomerRead) {
            let list = state.app.daily_list(&p, false).await?;
            Some((list.overdue.len(), list.today.len()))
        } else {
            None
        };
        Ok(HomePage {
            followups,
            page: Page::console(ctx.lang, &p, "home.title", "/console").with_flash(&flash.ok),
            stores,
            staff,
            keys: keys.iter().filter(|k| k.revoked_at.is_none()).count(),
            outbox,
            recent,
            todo,
        })
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}
