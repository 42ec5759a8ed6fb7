//! Run-time settings: job schedules (blank disables), how many backups to keep, the recent
//! job runs, and "run now" for each job.

use super::{Flash, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when, when_opt};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::jobs::Job;
use patron_app::security::Principal;

pub struct JobView {
    pub name: &'static str,
    pub label: &'static str,
    pub schedule: String,
}

pub struct RunView {
    pub job: String,
    pub period: String,
    pub started: String,
    pub finished: String,
    pub outcome: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    page: Page,
    jobs: Vec<JobView>,
    keep: String,
    runs: Vec<RunView>,
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    flash: &str,
    error: Option<&AppError>,
) -> Response {
    let result: Result<Response, AppError> = async {
        let data = state.app.settings_page(20).await?;
        let views = data
            .schedules
            .iter()
            .map(|(job, schedule)| JobView {
                name: job.name(),
                label: ctx.lang.t(&format!("job.{}", job.name())),
                schedule: schedule.to_string(),
            })
            .collect();
        let keep = data.backup_keep;
        let tz = state.app.config().timezone();
        let runs = data
            .runs
            .into_iter()
            .map(|r| RunView {
                started: when(r.started_at, ctx.lang, &tz),
                finished: when_opt(r.finished_at, ctx.lang, &tz),
                job: r.job,
                period: r.period_key,
                outcome: r.outcome.unwrap_or_default(),
                detail: r.detail.unwrap_or_default(),
            })
            .collect();
        let mut page =
            Page::console(ctx.lang, p, "settings.title", "/console/settings").with_flash(flash);
        if let Some(e) = error {
            page = page.with_error(e);
        }
        Ok(render(&SettingsPage {
            page,
            jobs: views,
            keep,
            runs,
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

pub async fn settings_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(flash): Query<Flash>,
) -> Response {
    show(&state, &p, &ctx, &flash.ok, None).await
}

pub async fn save_settings(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let result = state
        .app
        .save_job_settings(&p.actor(ctx.rid()), field)
        .await;
    match result {
        Ok(()) => see_other("/console/settings?ok=settings_saved"),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e)).await
            })
            .await
        }
    }
}

/// Runs a job immediately, outside its schedule (a manual backup before a risky change).
pub async fn run_job(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(name): Path<String>,
) -> Response {
    let Some(job) = Job::ALL.iter().copied().find(|j| j.name() == name) else {
        return crate::error::WebError::page(AppError::NotFound, ctx.lang).into_response_page();
    };
    match state.app.run_job_now(&p.actor(ctx.rid()), job).await {
        Ok(_) => see_other("/console/settings?ok=job_ran"),
        Err(e) => {
            super::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e)).await
            })
            .await
        }
    }
}
