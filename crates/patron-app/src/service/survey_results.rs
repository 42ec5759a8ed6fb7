//! A survey's results: response rate, each question's spread (scores and options), CSAT
//! and NPS, their trend by month, and the latest comments (opened and audited).

use super::surveys::Survey;
use crate::customers::sealing;
use crate::{App, AppError};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};
use patron_domain::service::survey::{Question, QuestionKind, ScoreSummary, csat, nps};
use patron_store::Scope;
use patron_store::service::surveys::AnswerRow;
use std::collections::BTreeMap;

/// One bar of a question's spread.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub count: i64,
    /// Of those who answered the question.
    pub percent: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuestionResult {
    pub no: usize,
    pub question: Question,
    pub answers: i64,
    pub summary: Option<ScoreSummary>,
    pub bars: Vec<Bar>,
}

/// One month of the headline figures.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// `YYYY-MM` in the head office's time zone.
    pub month: String,
    pub answers: i64,
    pub csat: Option<ScoreSummary>,
    pub nps: Option<ScoreSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub at: Timestamp,
    pub customer_id: i64,
    pub prompt: String,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct SurveyResults {
    pub survey: Survey,
    pub sent: i64,
    pub answered: i64,
    pub response_percent: f64,
    pub questions: Vec<QuestionResult>,
    pub trend: Vec<TrendPoint>,
    pub comments: Vec<Comment>,
}

impl App {
    /// The results within `scope` (a store sees its own customers' answers). Reading the
    /// comments is audited: customers write what they like into them.
    pub async fn survey_results(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
    ) -> Result<SurveyResults, AppError> {
        let survey = self.survey(id).await?;
        let (sent, answered) = self.db.survey_counts(scope, id).await?;
        let rows = self.db.survey_answers(scope, id).await?;
        let questions = survey
            .questions
            .iter()
            .enumerate()
            .map(|(no, q)| question_result(no, q, &rows))
            .collect();
        let trend = trend(&survey.questions, &rows, &self.config.timezone());
        let mut comments = Vec::new();
        for t in self.db.survey_texts(scope, id, 50).await? {
            let prompt = usize::try_from(t.question_no)
                .ok()
                .and_then(|n| survey.questions.get(n))
                .map(|q| q.prompt.clone())
                .unwrap_or_default();
            comments.push(Comment {
                at: t.answered_at,
                customer_id: t.customer_id,
                prompt,
                text: sealing::open(&self.keys, "survey", t.customer_id, &t.text_enc)?,
            });
        }
        if !comments.is_empty() {
            let event = AuditEvent::ok("survey.comments.read", "survey", id)
                .with_detail(format!("{} comments", comments.len()));
            self.db.record_audit(actor, &event, self.now()).await?;
        }
        Ok(SurveyResults {
            survey,
            sent,
            answered,
            response_percent: percent(answered, sent),
            questions,
            trend,
            comments,
        })
    }
}

fn percent(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

fn question_result(no: usize, q: &Question, rows: &[AnswerRow]) -> QuestionResult {
    let mine: Vec<&AnswerRow> = rows
        .iter()
        .filter(|r| usize::try_from(r.question_no).ok() == Some(no))
        .collect();
    let answers = mine.len() as i64;
    let bar = |label: String, count: i64| Bar {
        label,
        count,
        percent: percent(count, answers),
    };
    let (summary, bars) = match q.kind.scale() {
        Some((lo, hi)) => {
            let scores: Vec<i64> = mine.iter().filter_map(|r| r.score).collect();
            let bars = (lo..=hi)
                .map(|s| {
                    bar(
                        s.to_string(),
                        scores.iter().filter(|x| **x == s).count() as i64,
                    )
                })
                .collect();
            let summary = if q.kind == QuestionKind::Nps {
                nps(&scores)
            } else {
                csat(&scores)
            };
            (summary, bars)
        }
        None => {
            let picked: Vec<Vec<usize>> = mine
                .iter()
                .filter_map(|r| r.choices.as_deref())
                .map(|c| c.split(',').filter_map(|n| n.parse().ok()).collect())
                .collect();
            let bars = q
                .options
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let n = picked.iter().filter(|p| p.contains(&i)).count() as i64;
                    bar(o.clone(), n)
                })
                .collect();
            (None, bars)
        }
    };
    QuestionResult {
        no,
        question: q.clone(),
        answers,
        summary,
        bars,
    }
}

/// The first CSAT and first NPS question's figures by month.
fn trend(questions: &[Question], rows: &[AnswerRow], tz: &jiff::tz::TimeZone) -> Vec<TrendPoint> {
    let first = |k: QuestionKind| questions.iter().position(|q| q.kind == k);
    let (c, n) = (first(QuestionKind::Csat), first(QuestionKind::Nps));
    let mut months: BTreeMap<String, (Vec<i64>, Vec<i64>)> = BTreeMap::new();
    for r in rows {
        let (Some(score), Ok(no)) = (r.score, usize::try_from(r.question_no)) else {
            continue;
        };
        let at = r.answered_at;
        let month = tz.to_datetime(at).strftime("%Y-%m").to_string();
        let entry = months.entry(month).or_default();
        if Some(no) == c {
            entry.0.push(score);
        } else if Some(no) == n {
            entry.1.push(score);
        }
    }
    months
        .into_iter()
        .filter(|(_, (cs, ns))| !cs.is_empty() || !ns.is_empty())
        .map(|(month, (cs, ns))| TrendPoint {
            month,
            answers: cs.len().max(ns.len()) as i64,
            csat: csat(&cs),
            nps: nps(&ns),
        })
        .collect()
}
