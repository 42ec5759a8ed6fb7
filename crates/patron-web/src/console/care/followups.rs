//! The follow-up list, the associate's home page: overdue, today and upcoming tasks with the
//! customer's context and a form to log each contact; the team view and cadence adherence
//! for managers; the cadence rules for admins.

use crate::console::see_other;
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::care::followups::{ContactInput, Task};
use patron_app::security::Principal;
use patron_domain::care::followup::{ContactOutcome, FollowupRules};
use patron_domain::{Capability, FieldError, Role};
use serde::Deserialize;
use std::collections::HashMap;

pub struct TaskView {
    pub id: i64,
    pub customer_id: i64,
    pub customer: String,
    pub class: &'static str,
    pub kind: &'static str,
    pub reason: String,
    pub due: String,
    pub last_purchase: String,
}

/// Overdue, today or upcoming.
pub struct SectionView {
    pub id: &'static str,
    pub title: &'static str,
    pub tasks: Vec<TaskView>,
}

pub struct AdherenceView {
    pub store: String,
    pub staff: String,
    pub due: i64,
    pub on_time: i64,
    pub late: i64,
    pub missed: i64,
    pub rate: String,
}

#[derive(Template)]
#[template(path = "followups.html")]
pub struct FollowupsPage {
    page: Page,
    team: bool,
    can_team: bool,
    can_log: bool,
    can_rules: bool,
    sections: Vec<SectionView>,
    outcomes: Vec<(&'static str, &'static str)>,
    adherence: Vec<AdherenceView>,
    rules: Vec<(&'static str, &'static str, u32)>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub ok: String,
}

/// Adherence covers the last 30 days.
const ADHERENCE_DAYS: i64 = 30;

fn view(t: Task, ctx: &Ctx) -> TaskView {
    let class = t
        .row
        .spend_class
        .as_deref()
        .map_or("", |c| ctx.lang.t(&format!("class.{c}")));
    let last_purchase = match t.days_since_purchase {
        Some(d) => ctx
            .lang
            .t("followup.days_ago")
            .replace("{n}", &d.to_string()),
        None => ctx.lang.t("followup.never_bought").to_string(),
    };
    TaskView {
        id: t.row.id,
        customer_id: t.row.customer_id,
        customer: t.row.customer_name,
        class,
        kind: ctx
            .lang
            .t(&format!("followup.kind.{}", t.row.kind.as_str())),
        reason: ctx.lang.stored(&t.row.reason),
        due: t.due.to_string(),
        last_purchase,
    }
}

fn rule_fields(r: &FollowupRules) -> Vec<(&'static str, &'static str, u32)> {
    vec![
        ("key_days", "field.key_days", r.key_days),
        ("major_days", "field.major_days", r.major_days),
        ("ordinary_days", "field.ordinary_days", r.ordinary_days),
        ("small_days", "field.small_days", r.small_days),
        (
            "after_purchase_days",
            "field.after_purchase_days",
            r.after_purchase_days,
        ),
        (
            "after_complaint_days",
            "field.after_complaint_days",
            r.after_complaint_days,
        ),
        (
            "after_visit_days",
            "field.after_visit_days",
            r.after_visit_days,
        ),
        ("expiry_days", "field.expiry_days", r.expiry_days),
        ("stale_days", "field.stale_days", r.stale_days),
        ("upcoming_days", "field.upcoming_days", r.upcoming_days),
    ]
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    team: bool,
    flash: &str,
    error: Option<&AppError>,
) -> Response {
    let result: Result<Response, AppError> = async {
        let app = &state.app;
        let can_team = p.role != Role::SalesAssociate;
        let team = team && can_team;
        let list = app.daily_list(p, team).await?;
        let names = crate::console::customers::Names::load(state).await?;
        let adherence = if can_team {
            app.followup_adherence(p, ADHERENCE_DAYS)
                .await?
                .into_iter()
                .map(|r| AdherenceView {
                    store: names.store(r.store_id),
                    staff: names.staff(r.staff_id),
                    rate: if r.due > 0 {
                        format!("{}%", r.on_time * 100 / r.due)
                    } else {
                        "—".into()
                    },
                    due: r.due,
                    on_time: r.on_time,
                    late: r.late,
                    missed: r.missed,
                })
                .collect()
        } else {
            Vec::new()
        };
        let rules = app.followup_rules().await?;
        let mut page =
            Page::console(ctx.lang, p, "followup.title", "/console/followups").with_flash(flash);
        if let Some(e) = error {
            page = page.with_error(e);
        }
        let views = |v: Vec<Task>| v.into_iter().map(|t| view(t, ctx)).collect();
        Ok(render(&FollowupsPage {
            page,
            team,
            can_team,
            can_log: p.can(Capability::CustomerWrite),
            can_rules: p.can(Capability::SettingsManage),
            sections: vec![
                SectionView {
                    id: "overdue",
                    title: "followup.overdue",
                    tasks: views(list.overdue),
                },
                SectionView {
                    id: "today",
                    title: "followup.today",
                    tasks: views(list.today),
                },
                SectionView {
                    id: "upcoming",
                    title: "followup.upcoming",
                    tasks: views(list.upcoming),
                },
            ],
            outcomes: ContactOutcome::ALL
                .iter()
                .map(|o| {
                    (
                        o.as_str(),
                        ctx.lang.t(&format!("followup.result.{}", o.as_str())),
                    )
                })
                .collect(),
            adherence,
            rules: rule_fields(&rules),
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

pub async fn list_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<ListQuery>,
) -> Response {
    let team = q.team.as_deref().is_some_and(|t| !t.is_empty());
    show(&state, &p, &ctx, team, &q.ok, None).await
}

pub async fn log_contact(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(input): Form<ContactInput>,
) -> Response {
    match state.app.log_followup(&p, ctx.rid(), id, &input).await {
        Ok(_) => see_other("/console/followups?ok=followup_logged"),
        Err(e) => {
            crate::console::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, false, "", Some(&e)).await
            })
            .await
        }
    }
}

pub async fn save_rules(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let result: Result<(), AppError> = async {
        let days = |field: &'static str| -> Result<u32, FieldError> {
            form.get(field)
                .map_or("", |v| v.trim())
                .parse()
                .map_err(|_| FieldError::new(field, "error.followup.days"))
        };
        let rules = FollowupRules {
            key_days: days("key_days")?,
            major_days: days("major_days")?,
            ordinary_days: days("ordinary_days")?,
            small_days: days("small_days")?,
            after_purchase_days: days("after_purchase_days")?,
            after_complaint_days: days("after_complaint_days")?,
            after_visit_days: days("after_visit_days")?,
            expiry_days: days("expiry_days")?,
            stale_days: days("stale_days")?,
            upcoming_days: days("upcoming_days")?,
        };
        state
            .app
            .save_followup_rules(&p.actor(ctx.rid()), &rules)
            .await
    }
    .await;
    match result {
        Ok(()) => see_other("/console/followups?ok=followup_rules_saved"),
        Err(e) => {
            crate::console::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, false, "", Some(&e)).await
            })
            .await
        }
    }
}
