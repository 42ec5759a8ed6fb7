//! Surveys: the list with response figures, the builder (one question per line), and one
//! survey's results (CSAT, NPS, each question's spread, the trend by month, comments)
//! with sending to a segment.

use crate::console::{field_message as message, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::security::Principal;
use patron_app::service::survey_results::SurveyResults;
use patron_app::service::surveys::SurveyForm;
use patron_domain::Capability;
use patron_domain::service::survey::{ScoreSummary, Trigger};
use serde::Deserialize;

pub struct SurveyView {
    pub id: i64,
    pub name: String,
    pub trigger: String,
    pub active: bool,
    pub sent: i64,
    pub answered: i64,
}

pub struct TrendView {
    pub month: String,
    pub answers: i64,
    pub csat: String,
    pub nps: String,
}

#[derive(Template)]
#[template(path = "surveys.html")]
pub struct SurveysPage {
    page: Page,
    surveys: Vec<SurveyView>,
    can_manage: bool,
    /// The survey open (results and builder), if any.
    open: Option<SurveyResults>,
    trend: Vec<TrendView>,
    comments: Vec<(String, String, String)>,
    form: SurveyForm,
    triggers: Vec<(&'static str, &'static str)>,
    segments: Vec<(i64, String)>,
    batch: String,
}

impl SurveysPage {
    fn trigger_selected(&self, code: &&str) -> bool {
        self.form.trigger == *code
    }

    fn pct(&self, v: &f64) -> String {
        format!("{v:.1}%")
    }

    fn headline(&self, s: &Option<ScoreSummary>, nps: bool) -> String {
        figure(s, nps)
    }
}

fn figure(s: &Option<ScoreSummary>, nps: bool) -> String {
    match s {
        None => "—".into(),
        Some(s) if nps => format!("{:+.0}", s.nps),
        Some(s) => format!("{:.2}（{:.0}%）", s.average, s.satisfied_percent),
    }
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    pub ok: String,
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    open: Option<i64>,
    form: Option<SurveyForm>,
    flash: String,
    error: String,
) -> Response {
    let result: Result<Response, AppError> = async {
        let app = &state.app;
        let tz = app.config().timezone();
        let mut surveys = Vec::new();
        for s in app.surveys().await? {
            let (sent, answered) = app.survey_counts(p.scope(), s.row.id).await?;
            surveys.push(SurveyView {
                id: s.row.id,
                name: s.row.name.clone(),
                trigger: ctx
                    .lang
                    .t(&format!("survey.trigger.{}", s.row.trigger_kind.code()))
                    .to_string(),
                active: s.row.active,
                sent,
                answered,
            });
        }
        let open = match open {
            Some(id) => Some(
                app.survey_results(&p.actor(ctx.rid()), p.scope(), id)
                    .await?,
            ),
            None => None,
        };
        let form = form.unwrap_or_else(|| match &open {
            Some(r) => SurveyForm {
                name: r.survey.row.name.clone(),
                questions: r.survey.builder_text(),
                trigger: r.survey.row.trigger_kind.code().into(),
                delay_days: r.survey.row.delay_days,
                message: r.survey.row.message.clone(),
                active: r.survey.row.active,
            },
            None => SurveyForm {
                trigger: Trigger::Manual.code().into(),
                active: true,
                ..SurveyForm::default()
            },
        });
        let trend = open
            .as_ref()
            .map(|r| {
                r.trend
                    .iter()
                    .map(|t| TrendView {
                        month: t.month.clone(),
                        answers: t.answers,
                        csat: figure(&t.csat, false),
                        nps: figure(&t.nps, true),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let comments = open
            .as_ref()
            .map(|r| {
                r.comments
                    .iter()
                    .map(|c| (when(c.at, ctx.lang, &tz), c.prompt.clone(), c.text.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let segments = app
            .segments(p.scope())
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let title = "survey.title";
        let mut page = Page::console(ctx.lang, p, title, "/console/surveys");
        page.flash = flash;
        page.error = error;
        Ok(render(&SurveysPage {
            page,
            surveys,
            can_manage: p.can(Capability::CampaignManage),
            open,
            trend,
            comments,
            form,
            triggers: Trigger::ALL
                .iter()
                .map(|t| {
                    (
                        t.code(),
                        ctx.lang.t(&format!("survey.trigger.{}", t.code())),
                    )
                })
                .collect(),
            segments,
            batch: patron_app::credentials::random_token(12),
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

fn flash(ctx: &Ctx, key: &str) -> String {
    ctx.lang
        .try_t(&format!("flash.{key}"))
        .unwrap_or_default()
        .to_string()
}

pub async fn list_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<PageQuery>,
) -> Response {
    let f = flash(&ctx, &q.ok);
    show(&state, &p, &ctx, None, None, f, String::new()).await
}

pub async fn survey_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Response {
    let f = flash(&ctx, &q.ok);
    show(&state, &p, &ctx, Some(id), None, f, String::new()).await
}

/// The builder as posted (the checkbox `active` is present only when ticked), with the
/// refusal of a delay that is not a number.
fn form_of(pairs: &[(String, String)]) -> (SurveyForm, Option<patron_domain::FieldError>) {
    let mut f = SurveyForm::default();
    let mut bad = None;
    for (k, v) in pairs {
        match k.as_str() {
            "name" => f.name = v.clone(),
            "questions" => f.questions = v.clone(),
            "trigger" => f.trigger = v.clone(),
            "message" => f.message = v.clone(),
            "active" => f.active = true,
            "delay_days" if !v.trim().is_empty() => match v.trim().parse() {
                Ok(n) => f.delay_days = n,
                Err(_) => {
                    bad = Some(patron_domain::FieldError::new(
                        "delay_days",
                        "error.survey.delay",
                    ))
                }
            },
            _ => {}
        }
    }
    (f, bad)
}

async fn save(
    state: AppState,
    p: Principal,
    ctx: Ctx,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> Response {
    let (form, bad) = form_of(&pairs);
    let result = match bad {
        None => {
            state
                .app
                .save_survey(&p.actor(ctx.rid()), p.scope(), id, &form)
                .await
        }
        Some(e) => Err(e.into()),
    };
    match result {
        Ok(id) => see_other(&format!("/console/surveys/{id}?ok=survey_saved")),
        Err(e) => match e.field_errors().first() {
            Some(f) => {
                let text = message(&ctx, f);
                show(&state, &p, &ctx, id, Some(form), String::new(), text).await
            }
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}

pub async fn create(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    save(state, p, ctx, None, pairs).await
}

pub async fn update(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    save(state, p, ctx, Some(id), pairs).await
}

#[derive(Deserialize)]
pub struct SendForm {
    #[serde(default)]
    pub segment_id: String,
    /// Names this sending, so a resubmitted form asks nobody twice.
    #[serde(default)]
    pub batch: String,
}

pub async fn send(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(f): Form<SendForm>,
) -> Response {
    let segment = crate::console::opt_id(&f.segment_id);
    let batch = f.batch.trim();
    let result = match segment {
        Some(seg) if !batch.is_empty() && batch.len() <= 40 => {
            state
                .app
                .send_survey_to_segment(p.scope(), id, seg, batch)
                .await
        }
        _ => Err(patron_domain::FieldError::new("segment_id", "error.survey.segment").into()),
    };
    match result {
        Ok(r) => {
            let text = ctx
                .lang
                .t("survey.sent")
                .replace("{invited}", &r.invited.to_string())
                .replace("{unreachable}", &r.unreachable.to_string())
                .replace("{already}", &r.already.to_string());
            show(&state, &p, &ctx, Some(id), None, text, String::new()).await
        }
        Err(e) => match e.field_errors().first() {
            Some(fe) => {
                show(
                    &state,
                    &p,
                    &ctx,
                    Some(id),
                    None,
                    String::new(),
                    message(&ctx, fe),
                )
                .await
            }
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}
