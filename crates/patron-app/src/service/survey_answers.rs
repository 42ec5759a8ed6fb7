//! Answering a survey by its link: opening it (without signing in) and taking the answers
//! once; a ticket's follow-up then closes the ticket, or reopens it when the customer is
//! not satisfied, in the transaction that stores the answers.

use super::surveys::Survey;
use super::tickets::Rating;
use crate::credentials::token_hash;
use crate::customers::sealing;
use crate::i18n::Phrase;
use crate::{App, AppError};
use patron_domain::audit::Actor;
use patron_domain::service::survey::{Answer, check_answers};
use patron_domain::service::ticket::{Action, Status};
use patron_store::Scope;
use patron_store::service::surveys::{FollowUp, InvitationRow, NewAnswer};
use patron_store::service::tickets::TicketRow;

/// What an answer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    Thanks,
    /// The ticket it followed up was closed (satisfied).
    Closed,
    /// The ticket was reopened (not satisfied).
    Reopened,
}

/// A survey opened by its link: what the answer page shows.
#[derive(Debug, Clone)]
pub struct OpenSurvey {
    pub survey: Survey,
    pub store: String,
    pub invitation: InvitationRow,
    /// Answered already, or the link ran out.
    pub closed: bool,
}

impl App {
    /// The survey a link opens; `NotFound` for an unknown link.
    pub async fn open_survey(&self, token: &str) -> Result<OpenSurvey, AppError> {
        let invitation = self
            .db
            .invitation_by_token(&token_hash(token))
            .await?
            .ok_or(AppError::NotFound)?;
        let survey = self.survey(invitation.survey_id).await?;
        let store = self
            .db
            .get_store(Scope::Chain, invitation.store_id)
            .await?
            .name;
        let closed = invitation.answered_at.is_some() || invitation.expires_at <= self.now();
        Ok(OpenSurvey {
            survey,
            store,
            invitation,
            closed,
        })
    }

    /// Takes a customer's answers through the link. `values(i)` gives what was posted for
    /// question `i`. A ticket's follow-up then closes the ticket, or reopens it when the
    /// rating is at or below the desk's threshold.
    pub async fn answer_survey<'a>(
        &self,
        token: &str,
        values: impl Fn(usize) -> Vec<&'a str>,
    ) -> Result<Answered, AppError> {
        let open = self.open_survey(token).await?;
        self.answer_opened(&open, values).await
    }

    /// `answer_survey` for a survey the caller has opened already.
    pub async fn answer_opened<'a>(
        &self,
        open: &OpenSurvey,
        values: impl Fn(usize) -> Vec<&'a str>,
    ) -> Result<Answered, AppError> {
        if open.closed {
            return Err(AppError::Conflict {
                key: "survey.closed",
                field: None,
            });
        }
        self.answer_at(open, values, self.now()).await
    }

    /// `answer_opened` as answered at `at` (the demo's history of answers), for an
    /// invitation still open then.
    pub(crate) async fn answer_at<'a>(
        &self,
        open: &OpenSurvey,
        values: impl Fn(usize) -> Vec<&'a str>,
        at: jiff::Timestamp,
    ) -> Result<Answered, AppError> {
        let answers = check_answers(&open.survey.questions, values)?;
        let inv = &open.invitation;
        let mut rows = Vec::new();
        let mut comment = String::new();
        for (i, (q, a)) in open.survey.questions.iter().zip(&answers).enumerate() {
            let (score, choices, text_enc) = match a {
                Answer::Score(s) => (Some(*s), None, None),
                Answer::Choices(c) => {
                    let list: Vec<String> = c.iter().map(|n| n.to_string()).collect();
                    (None, Some(list.join(",")), None)
                }
                Answer::Text(t) => {
                    if comment.is_empty() {
                        comment = t.clone();
                    }
                    let sealed = sealing::seal(&self.keys, "survey", inv.customer_id, t);
                    (None, None, Some(sealed))
                }
                Answer::Blank => continue,
            };
            rows.push(NewAnswer {
                question_no: i as i64,
                kind: q.kind.code(),
                score,
                choices,
                text_enc,
            });
        }
        // A ticket's follow-up: the step its rating causes is written with the answers.
        let rated = match (inv.ticket_id, open.survey.first_csat()) {
            (Some(ticket), Some(q)) => match answers.get(q) {
                Some(Answer::Score(score)) => Some((ticket, *score)),
                _ => None,
            },
            _ => None,
        };
        let customer = Actor::anonymous(None);
        let mut planned = None;
        if let Some((ticket, score)) = rated {
            let rules = self.service_rules().await?;
            let row = self.db.ticket(Scope::Chain, ticket).await?;
            let unhappy = score <= i64::from(rules.reopen_at_or_below);
            let (action, outcome, answered) = if unhappy {
                (Action::Reopen, "reopened", Answered::Reopened)
            } else {
                (Action::Close, "closed", Answered::Closed)
            };
            // Kept as a phrase: the timeline shows it in the reader's language.
            let note = if comment.is_empty() {
                Phrase::new("timeline.survey_score")
            } else {
                Phrase::new("timeline.survey_score_comment").arg("comment", &comment)
            }
            .arg("score", score)
            .to_stored();
            let rating = Rating {
                satisfaction: Some(score),
                unanswered: false,
            };
            let change = if row.status == Status::Resolved {
                let (change, _, _) = self
                    .plan_change(&customer, &row, action, &note, None, rating)
                    .await?;
                Some((change, row.customer_id))
            } else {
                None
            };
            planned = Some((change, outcome, answered));
        }
        let follow = planned.as_ref().map(|(change, outcome, _)| FollowUp {
            change: change.as_ref().map(|(c, customer_id)| (c, *customer_id)),
            outcome,
        });
        let Some(moved) = self.db.answer_survey(inv, &rows, follow, at).await? else {
            return Err(AppError::Conflict {
                key: "survey.closed",
                field: None,
            });
        };
        Ok(match planned {
            Some((_, _, answered)) if moved => answered,
            _ => Answered::Thanks,
        })
    }

    /// A step the customer's satisfaction follow-up takes: closing (with their rating, or
    /// flagged when they did not answer in time) or reopening.
    pub(crate) async fn customer_changes_ticket(
        &self,
        row: &TicketRow,
        action: Action,
        note: &str,
        satisfaction: Option<i64>,
        unanswered: bool,
    ) -> Result<(), AppError> {
        let rating = Rating {
            satisfaction,
            unanswered,
        };
        self.change(&Actor::anonymous(None), row, action, note, None, rating)
            .await
            .map(|_| ())
    }
}
