//! The service desk's settings (`settings.manage`): ticket categories and root causes, SLA
//! targets in working hours, how tickets are assigned, the satisfaction follow-up, order
//! pipelines with each store's default, and warranty reminders. A refused form shows the
//! message beside what was typed, and nothing is saved.

use crate::console::{field_message, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::security::Principal;
use patron_app::service::rules_form::RulesForm;
use patron_domain::Scope;
use serde::Deserialize;
use std::collections::HashMap;

pub struct StoreChoice {
    pub id: i64,
    pub name: String,
    /// The pipeline chosen for the store; blank: the default.
    pub pipeline: String,
}

#[derive(Template)]
#[template(path = "service_settings.html")]
pub struct SettingsPage {
    page: Page,
    form: RulesForm,
    stores: Vec<StoreChoice>,
    /// Pipeline names as typed, for the store choices.
    pipeline_names: Vec<String>,
    assignments: Vec<(&'static str, &'static str)>,
}

impl SettingsPage {
    fn chosen(&self, store: &StoreChoice, name: &String) -> bool {
        store.pipeline == *name
    }

    fn assignment_is(&self, code: &&str) -> bool {
        self.form.assignment == *code
    }
}

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    #[serde(default)]
    pub ok: String,
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    form: Option<RulesForm>,
    flash: &str,
    error: String,
) -> Response {
    let result: Result<Response, AppError> = async {
        let form = match form {
            Some(f) => f,
            None => RulesForm::of(&state.app.service_rules().await?),
        };
        let stores = state
            .app
            .stores(Scope::Chain)
            .await?
            .into_iter()
            .map(|s| StoreChoice {
                pipeline: form.store_pipelines.get(&s.id).cloned().unwrap_or_default(),
                id: s.id,
                name: s.name,
            })
            .collect();
        let pipeline_names = form.pipeline_names();
        let mut page = Page::console(ctx.lang, p, "service.settings", "/console/service/settings")
            .with_flash(flash);
        page.error = error;
        Ok(render(&SettingsPage {
            page,
            form,
            stores,
            pipeline_names,
            assignments: vec![
                ("least_busy", "service.assign.least_busy"),
                ("round_robin", "service.assign.round_robin"),
                ("manual", "service.assign.manual"),
            ],
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

pub async fn settings_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<SettingsQuery>,
) -> Response {
    show(&state, &p, &ctx, None, &q.ok, String::new()).await
}

/// The form's fields: the rules' own names, and `store_<id>` for each store's pipeline.
fn form_of(fields: &HashMap<String, String>) -> RulesForm {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    RulesForm {
        categories: get("categories"),
        root_causes: get("root_causes"),
        sla: get("sla"),
        assignment: get("assignment"),
        csat_wait_days: get("csat_wait_days"),
        reopen_at_or_below: get("reopen_at_or_below"),
        pipelines: get("pipelines"),
        default_pipeline: get("default_pipeline"),
        store_pipelines: fields
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("store_")?.parse().ok()?, v.clone())))
            .collect(),
        warranty_notice_days: get("warranty_notice_days"),
        approval_above: get("approval_above"),
        daily_approval_above: get("daily_approval_above"),
    }
}

pub async fn save(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    let form = form_of(&fields);
    let saved = async {
        let rules = form.read()?;
        state
            .app
            .save_service_rules(&p.actor(ctx.rid()), &rules)
            .await
    }
    .await;
    match saved {
        Ok(()) => see_other("/console/service/settings?ok=settings_saved"),
        Err(e) => match e.field_errors().first() {
            Some(f) => show(&state, &p, &ctx, Some(form), "", field_message(&ctx, f)).await,
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}
