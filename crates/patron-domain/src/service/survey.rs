//! Surveys: the questions (written one per line in the builder), checking a customer's
//! answers, and the figures of the results (CSAT average and share satisfied, NPS).
//!
//! Builder lines are `kind: prompt`, choices after `|`:
//!
//! ```text
//! csat: 您对这次服务满意吗？
//! nps: 您有多大可能向朋友推荐本店？
//! single: 您是怎么知道我们的？ | 朋友介绍 | 小区广告 | 路过
//! multi: 您还想买哪些？ | 地板 | 瓷砖 | 橱柜
//! text: 还有什么想告诉我们的？
//! ```
//!
//! Scores and choices must be answered; free text may be left blank.

use crate::FieldError;
use serde::{Deserialize, Serialize};

/// At most this many questions in a survey (one form field name each).
pub const MAX_QUESTIONS: usize = 20;
/// The answer field of question `i` (`q0`, `q1`, ...).
pub const FIELDS: [&str; MAX_QUESTIONS] = [
    "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12", "q13", "q14",
    "q15", "q16", "q17", "q18", "q19",
];
const MAX_OPTIONS: usize = 12;
const MAX_TEXT: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Customer satisfaction, 1 (very unsatisfied) to 5 (very satisfied).
    Csat,
    /// Net promoter, 0 to 10.
    Nps,
    Single,
    Multi,
    Text,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 5] = [
        QuestionKind::Csat,
        QuestionKind::Nps,
        QuestionKind::Single,
        QuestionKind::Multi,
        QuestionKind::Text,
    ];

    pub fn code(self) -> &'static str {
        match self {
            QuestionKind::Csat => "csat",
            QuestionKind::Nps => "nps",
            QuestionKind::Single => "single",
            QuestionKind::Multi => "multi",
            QuestionKind::Text => "text",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// The score range of a scored question.
    pub fn scale(self) -> Option<(i64, i64)> {
        match self {
            QuestionKind::Csat => Some((1, 5)),
            QuestionKind::Nps => Some((0, 10)),
            _ => None,
        }
    }

    fn has_options(self) -> bool {
        matches!(self, QuestionKind::Single | QuestionKind::Multi)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub kind: QuestionKind,
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// Reads the builder's lines. Blank lines are skipped; any other line that is not a
/// question is refused on `questions`.
pub fn parse_questions(text: &str) -> Result<Vec<Question>, FieldError> {
    let bad = || FieldError::new("questions", "error.survey.questions");
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (kind, rest) = line
            .split_once(':')
            .or_else(|| line.split_once('：'))
            .ok_or_else(bad)?;
        let kind = QuestionKind::parse(&kind.trim().to_ascii_lowercase()).ok_or_else(bad)?;
        let mut parts = rest.split('|').map(str::trim);
        let prompt = parts.next().unwrap_or_default().to_string();
        let options: Vec<String> = parts.filter(|p| !p.is_empty()).map(String::from).collect();
        let count = prompt.chars().count();
        if count == 0 || count > 200 {
            return Err(bad());
        }
        if kind.has_options() {
            let distinct = options
                .iter()
                .enumerate()
                .all(|(i, o)| !options[..i].contains(o) && o.chars().count() <= 60);
            if options.len() < 2 || options.len() > MAX_OPTIONS || !distinct {
                return Err(FieldError::new("questions", "error.survey.options"));
            }
        } else if !options.is_empty() {
            return Err(FieldError::new("questions", "error.survey.options"));
        }
        out.push(Question {
            kind,
            prompt,
            options,
        });
    }
    if out.is_empty() || out.len() > MAX_QUESTIONS {
        return Err(bad());
    }
    Ok(out)
}

/// The builder's lines for `questions` (what `parse_questions` reads back the same).
pub fn render_questions(questions: &[Question]) -> String {
    questions
        .iter()
        .map(|q| {
            let mut line = format!("{}: {}", q.kind.code(), q.prompt);
            for o in &q.options {
                line.push_str(" | ");
                line.push_str(o);
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One checked answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Score(i64),
    /// Indexes into the question's options, ascending.
    Choices(Vec<usize>),
    Text(String),
    Blank,
}

/// Checks a form's answers: `values(i)` gives every value posted for question `i` (several
/// for a multiple choice). The first wrong answer is refused on its field.
pub fn check_answers<'a>(
    questions: &[Question],
    values: impl Fn(usize) -> Vec<&'a str>,
) -> Result<Vec<Answer>, FieldError> {
    let mut out = Vec::with_capacity(questions.len());
    for (i, q) in questions.iter().enumerate() {
        let field = FIELDS.get(i).copied().unwrap_or("questions");
        let posted: Vec<&str> = values(i)
            .into_iter()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        let answer = match q.kind {
            QuestionKind::Csat | QuestionKind::Nps => {
                let (lo, hi) = q.kind.scale().unwrap_or((0, 0));
                let score = match posted.as_slice() {
                    [one] => one.parse::<i64>().ok().filter(|s| (lo..=hi).contains(s)),
                    _ => None,
                };
                Answer::Score(score.ok_or(FieldError::new(field, "error.survey.score"))?)
            }
            QuestionKind::Single | QuestionKind::Multi => {
                let mut picked = Vec::new();
                for v in &posted {
                    let n = v
                        .parse::<usize>()
                        .ok()
                        .filter(|n| *n < q.options.len())
                        .ok_or(FieldError::new(field, "error.survey.choice"))?;
                    if !picked.contains(&n) {
                        picked.push(n);
                    }
                }
                let single = q.kind == QuestionKind::Single;
                if picked.is_empty() || (single && picked.len() > 1) {
                    return Err(FieldError::new(field, "error.survey.choice"));
                }
                picked.sort_unstable();
                Answer::Choices(picked)
            }
            QuestionKind::Text => match posted.as_slice() {
                [] => Answer::Blank,
                [one] if one.chars().count() <= MAX_TEXT => Answer::Text(one.to_string()),
                _ => return Err(FieldError::new(field, "error.survey.text")),
            },
        };
        out.push(answer);
    }
    Ok(out)
}

/// Figures of a set of scores.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ScoreSummary {
    pub count: i64,
    pub average: f64,
    /// CSAT: the share answering 4 or 5, in percent.
    pub satisfied_percent: f64,
    /// NPS: promoters (9-10) less detractors (0-6), in percent of all answers.
    pub nps: f64,
}

/// CSAT figures; `None` without answers.
pub fn csat(scores: &[i64]) -> Option<ScoreSummary> {
    summary(scores, |s| s >= 4, |_| false)
}

/// NPS figures; `None` without answers.
pub fn nps(scores: &[i64]) -> Option<ScoreSummary> {
    summary(scores, |s| s >= 9, |s| s <= 6)
}

fn summary(
    scores: &[i64],
    good: impl Fn(i64) -> bool,
    bad: impl Fn(i64) -> bool,
) -> Option<ScoreSummary> {
    if scores.is_empty() {
        return None;
    }
    let n = scores.len() as f64;
    let good = scores.iter().filter(|s| good(**s)).count() as f64;
    let bad = scores.iter().filter(|s| bad(**s)).count() as f64;
    Some(ScoreSummary {
        count: scores.len() as i64,
        average: scores.iter().sum::<i64>() as f64 / n,
        satisfied_percent: 100.0 * good / n,
        nps: 100.0 * (good - bad) / n,
    })
}

/// When a survey goes out by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Only when staff send it (to a segment).
    Manual,
    /// A set number of days after each purchase.
    AfterPurchase,
    /// When a ticket is resolved: the satisfaction follow-up that closes it.
    AfterResolution,
}

impl Trigger {
    pub const ALL: [Trigger; 3] = [
        Trigger::Manual,
        Trigger::AfterPurchase,
        Trigger::AfterResolution,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::AfterPurchase => "after_purchase",
            Trigger::AfterResolution => "after_resolution",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|t| t.code() == s)
            .ok_or(FieldError::new("trigger", "error.survey.trigger"))
    }
}
