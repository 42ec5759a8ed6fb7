//! The page a survey link opens, for customers without signing in: the questions, and
//! the answers taken once. The secret in the address is the only authority; the page
//! shows the store and the survey, nothing of the customer's file.

use crate::identity::Ctx;
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use patron_app::AppError;
use patron_app::service::survey_answers::{Answered, OpenSurvey};
use patron_domain::service::survey::QuestionKind;

pub struct QuestionView {
    pub i: usize,
    pub n: usize,
    pub prompt: String,
    pub kind: &'static str,
    pub choices: Vec<(String, String)>,
    pub hint: String,
}

#[derive(Template)]
#[template(path = "survey_answer.html")]
pub struct AnswerPage {
    page: Page,
    name: String,
    store: String,
    action: String,
    questions: Vec<QuestionView>,
    done: String,
}

fn page_of(ctx: &Ctx, token: &str, open: &OpenSurvey, done: String, error: String) -> Response {
    let questions = open
        .survey
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let choices = match q.kind.scale() {
                Some((lo, hi)) => (lo..=hi).map(|s| (s.to_string(), s.to_string())).collect(),
                None => q
                    .options
                    .iter()
                    .enumerate()
                    .map(|(n, o)| (n.to_string(), o.clone()))
                    .collect(),
            };
            let hint = match q.kind {
                QuestionKind::Csat => ctx.lang.t("survey.csat_hint").to_string(),
                QuestionKind::Nps => ctx.lang.t("survey.nps_hint").to_string(),
                _ => String::new(),
            };
            QuestionView {
                i,
                n: i + 1,
                prompt: q.prompt.clone(),
                kind: q.kind.code(),
                choices,
                hint,
            }
        })
        .collect();
    let mut page = Page::bare(ctx.lang, "survey.answer_title");
    page.error = error;
    render(&AnswerPage {
        page,
        name: open.survey.row.name.clone(),
        store: open.store.clone(),
        action: format!("/s/{token}"),
        questions,
        done,
    })
}

fn invalid(ctx: &Ctx) -> Response {
    crate::error::page_error(StatusCode::NOT_FOUND, ctx.lang, "survey.invalid")
}

pub async fn answer_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Response {
    match state.app.open_survey(&token).await {
        Ok(open) if open.closed => {
            let done = ctx.lang.t("survey.closed").to_string();
            page_of(&ctx, &token, &open, done, String::new())
        }
        Ok(open) => page_of(&ctx, &token, &open, String::new(), String::new()),
        Err(_) => invalid(&ctx),
    }
}

pub async fn answer_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let values = |i: usize| {
        let key = format!("q{i}");
        pairs
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
            .collect::<Vec<&str>>()
    };
    let open = match state.app.open_survey(&token).await {
        Ok(o) => o,
        Err(_) => return invalid(&ctx),
    };
    let result = state.app.answer_opened(&open, values).await;
    match result {
        Ok(a) => {
            let key = match a {
                Answered::Reopened => "survey.thanks_reopened",
                Answered::Closed | Answered::Thanks => "survey.thanks",
            };
            page_of(
                &ctx,
                &token,
                &open,
                ctx.lang.t(key).to_string(),
                String::new(),
            )
        }
        Err(AppError::Conflict { .. }) => {
            let done = ctx.lang.t("survey.closed").to_string();
            page_of(&ctx, &token, &open, done, String::new())
        }
        Err(e) => match e.field_errors().first() {
            Some(f) => {
                let n = f
                    .field
                    .trim_start_matches('q')
                    .parse::<usize>()
                    .unwrap_or(0)
                    + 1;
                let msg = format!(
                    "{} {n}：{}",
                    ctx.lang.t("survey.question"),
                    ctx.lang.t(f.key)
                );
                page_of(&ctx, &token, &open, String::new(), msg)
            }
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}
