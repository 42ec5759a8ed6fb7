//! The churn warning list (per store by the viewer's scope, per owner with "mine"), each
//! customer with the signs behind the score; win-back playbooks with their results against
//! the control group; and the score's thresholds for admins.

use crate::console::{field_message as message, opt_id, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::care::churn::PlaybookForm;
use patron_app::security::Principal;
use patron_domain::care::churn::{ChurnRules, Reason, Sign};
use patron_domain::{Capability, FieldError};
use serde::Deserialize;

pub struct RiskView {
    pub id: i64,
    pub name: String,
    pub score: i64,
    pub signs: Vec<String>,
    pub last: String,
}

pub struct PlaybookView {
    pub id: i64,
    pub name: String,
    pub min_score: i64,
    pub actions: String,
    pub reached: i64,
    pub returned: String,
    pub spend: String,
    pub control: i64,
    pub control_returned: String,
}

#[derive(Template)]
#[template(path = "churn.html")]
pub struct ChurnPage {
    page: Page,
    risks: Vec<RiskView>,
    mine: bool,
    playbooks: Vec<PlaybookView>,
    templates: Vec<(i64, String)>,
    segments: Vec<(i64, String)>,
    can_run: bool,
    can_rules: bool,
    rules: ChurnRules,
}

#[derive(Deserialize, Default)]
pub struct ChurnQuery {
    #[serde(default)]
    pub mine: Option<String>,
    #[serde(default)]
    pub ok: String,
}

fn yuan(fen: i64) -> String {
    format!("¥{}.{:02}", fen / 100, (fen % 100).abs())
}

/// A sign in words, e.g. "已 95 天未到店（平时约 30 天一次）".
pub fn sign_text(ctx: &Ctx, s: &Sign) -> String {
    let t = |k: &str| ctx.lang.t(k).to_string();
    let text = match &s.reason {
        Reason::Overdue { days, usual } => t("churn.sign.overdue")
            .replace("{days}", &days.to_string())
            .replace("{usual}", &usual.to_string()),
        Reason::FewerVisits { recent, before } => t("churn.sign.visits")
            .replace("{recent}", &recent.to_string())
            .replace("{before}", &before.to_string()),
        Reason::LessSpend {
            recent_fen,
            before_fen,
        } => t("churn.sign.spend")
            .replace("{recent}", &yuan(*recent_fen))
            .replace("{before}", &yuan(*before_fen)),
        Reason::OpenComplaints { count } => {
            t("churn.sign.complaints").replace("{count}", &count.to_string())
        }
        Reason::LowRating => t("churn.sign.rating"),
    };
    format!("{text} +{}", s.points)
}

fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!("{:.0}%", part as f64 * 100.0 / whole as f64)
    }
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    mine: bool,
    flash: &str,
    error: String,
) -> Response {
    let result: Result<Response, AppError> = async {
        let app = &state.app;
        let tz = app.config().timezone();
        let owner = mine.then_some(p.staff_id);
        let risks = app
            .at_risk(p.scope(), owner, 200)
            .await?
            .into_iter()
            .map(|(r, signs)| RiskView {
                id: r.customer_id,
                name: r.name,
                score: r.score,
                signs: signs.iter().map(|s| sign_text(ctx, s)).collect(),
                last: r
                    .last_purchase
                    .map(|t| when(t, ctx.lang, &tz))
                    .unwrap_or_default(),
            })
            .collect();
        let templates: Vec<(i64, String)> = app
            .coupon_templates()
            .await?
            .into_iter()
            .filter(|t| t.status == patron_domain::membership::coupon::TemplateStatus::Active)
            .map(|t| (t.id, t.name))
            .collect();
        let segments: Vec<(i64, String)> = app
            .segments(p.scope())
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let mut playbooks = Vec::new();
        for pb in app.playbooks().await? {
            let results = app.playbook_results(pb.id).await?;
            let group = |control: i64| {
                results
                    .iter()
                    .find(|r| r.control == control)
                    .copied()
                    .unwrap_or(patron_app::care::churn::PlaybookResult {
                        control,
                        customers: 0,
                        returned: 0,
                        spend_fen: 0,
                    })
            };
            let (reached, held) = (group(0), group(1));
            let mut actions = Vec::new();
            if pb.make_task {
                actions.push(ctx.lang.t("churn.action.task").to_string());
            }
            if let Some(t) = pb.coupon_template_id {
                let name = templates
                    .iter()
                    .find(|(id, _)| *id == t)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_else(|| format!("#{t}"));
                actions.push(format!("{} {name}", ctx.lang.t("churn.action.coupon")));
            }
            if let Some(m) = &pb.message_template {
                actions.push(format!("{} {m}", ctx.lang.t("churn.action.message")));
            }
            if let Some(s) = pb.segment_id {
                let name = segments
                    .iter()
                    .find(|(id, _)| *id == s)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_else(|| format!("#{s}"));
                actions.push(format!("{}{name}", ctx.lang.t("segment.prefix")));
            }
            match (&pb.run_on, &pb.ran_on) {
                (Some(_), Some(ran)) => {
                    actions.push(format!("{} {ran}", ctx.lang.t("churn.ran_on")))
                }
                (Some(on), None) => {
                    actions.push(format!("{} {on}", ctx.lang.t("churn.scheduled_on")))
                }
                _ => {}
            }
            playbooks.push(PlaybookView {
                id: pb.id,
                name: pb.name,
                min_score: pb.min_score,
                actions: actions.join(" · "),
                reached: reached.customers,
                returned: percent(reached.returned, reached.customers),
                spend: yuan(reached.spend_fen),
                control: held.customers,
                control_returned: percent(held.returned, held.customers),
            });
        }
        let mut page =
            Page::console(ctx.lang, p, "churn.title", "/console/care/churn").with_flash(flash);
        page.error = error;
        Ok(render(&ChurnPage {
            page,
            risks,
            mine,
            playbooks,
            templates,
            segments,
            can_run: p.can(Capability::CampaignManage),
            can_rules: p.can(Capability::SettingsManage),
            rules: app.churn_rules().await?,
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

pub async fn churn_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<ChurnQuery>,
) -> Response {
    show(&state, &p, &ctx, q.mine.is_some(), &q.ok, String::new()).await
}

#[derive(Deserialize)]
pub struct PlaybookBody {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub min_score: String,
    #[serde(default)]
    pub make_task: Option<String>,
    #[serde(default)]
    pub coupon_template_id: String,
    #[serde(default)]
    pub message_template: String,
    #[serde(default)]
    pub control_percent: String,
    #[serde(default)]
    pub cooldown_days: String,
    #[serde(default)]
    pub segment_id: String,
    #[serde(default)]
    pub run_on: String,
}

fn number(field: &'static str, v: &str) -> Result<i64, FieldError> {
    v.trim()
        .parse()
        .map_err(|_| FieldError::new(field, "error.churn.percent"))
}

pub async fn create_playbook(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(b): Form<PlaybookBody>,
) -> Response {
    let form = (|| -> Result<PlaybookForm, FieldError> {
        Ok(PlaybookForm {
            name: b.name.clone(),
            min_score: number("min_score", &b.min_score)?,
            make_task: b.make_task.is_some(),
            coupon_template_id: opt_id(&b.coupon_template_id),
            message_template: b.message_template.clone(),
            control_percent: number("control_percent", &b.control_percent)?,
            cooldown_days: number("cooldown_days", &b.cooldown_days)
                .map_err(|_| FieldError::new("cooldown_days", "error.churn.cooldown"))?,
            segment_id: opt_id(&b.segment_id),
            run_on: match b.run_on.trim() {
                "" => None,
                d => Some(
                    d.parse()
                        .map_err(|_| FieldError::new("run_on", "error.churn.run_on"))?,
                ),
            },
        })
    })();
    let result = match form {
        Ok(f) => {
            state
                .app
                .create_playbook(&p.actor(ctx.rid()), p.scope(), &f)
                .await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => see_other("/console/care/churn?ok=playbook_saved"),
        Err(e) => match e.field_errors().first() {
            Some(f) => show(&state, &p, &ctx, false, "", message(&ctx, f)).await,
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}

pub async fn run_playbook(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .run_playbook(&p.actor(ctx.rid()), p.scope(), id)
        .await
    {
        Ok(_) => see_other("/console/care/churn?ok=playbook_run"),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

#[derive(Deserialize)]
pub struct RulesBody {
    #[serde(default)]
    pub warn_at: String,
    #[serde(default)]
    pub overdue_weight: String,
    #[serde(default)]
    pub overdue_full_times: String,
    #[serde(default)]
    pub default_interval_days: String,
    #[serde(default)]
    pub frequency_weight: String,
    #[serde(default)]
    pub spend_weight: String,
    #[serde(default)]
    pub drop_from_percent: String,
    #[serde(default)]
    pub complaint_weight: String,
}

pub async fn save_rules(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(b): Form<RulesBody>,
) -> Response {
    let n = |field: &'static str, v: &str| -> Result<u32, FieldError> {
        v.trim()
            .parse()
            .map_err(|_| FieldError::new(field, "error.churn.percent"))
    };
    let rules = (|| -> Result<ChurnRules, FieldError> {
        Ok(ChurnRules {
            warn_at: n("warn_at", &b.warn_at)?,
            overdue_weight: n("overdue_weight", &b.overdue_weight)?,
            overdue_full_times: n("overdue_full_times", &b.overdue_full_times)?,
            default_interval_days: n("default_interval_days", &b.default_interval_days)?,
            frequency_weight: n("frequency_weight", &b.frequency_weight)?,
            spend_weight: n("spend_weight", &b.spend_weight)?,
            drop_from_percent: n("drop_from_percent", &b.drop_from_percent)?,
            complaint_weight: n("complaint_weight", &b.complaint_weight)?,
        })
    })();
    let result = match rules {
        Ok(r) => state.app.save_churn_rules(&p.actor(ctx.rid()), &r).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => see_other("/console/care/churn?ok=churn_rules_saved"),
        Err(e) => match e.field_errors().first() {
            Some(f) => show(&state, &p, &ctx, false, "", message(&ctx, f)).await,
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}
