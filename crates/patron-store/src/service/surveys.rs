//! Surveys, their invitations (one customer asked once per occasion, the link's secret kept
//! as a hash) and the answers. An invitation and its message go into the outbox together;
//! an answer is taken once, under a conditional update, whatever the number of clicks.

use crate::decode::{Code, Flag, Millis, OptMillis, codes};
use crate::messages::outbox::{NewMessage, enqueue};
use crate::service::tickets::TicketChange;
use crate::{Db, Scope, StoreError, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};
use patron_domain::service::survey::Trigger;

const COLUMNS: &str =
    "id, name, questions, trigger_kind, delay_days, message, active, created_at, updated_at";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SurveyRow {
    pub id: i64,
    pub name: String,
    /// The questions as JSON.
    pub questions: String,
    #[sqlx(try_from = "Code")]
    pub trigger_kind: Trigger,
    pub delay_days: i64,
    pub message: String,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

codes! {
    Trigger, "surveys.trigger_kind", |s| Trigger::parse(s).ok();
}

/// A survey as saved from the builder.
#[derive(Debug, Clone)]
pub struct NewSurvey<'a> {
    pub name: &'a str,
    pub questions: &'a str,
    pub trigger_kind: &'a str,
    pub delay_days: i64,
    pub message: &'a str,
    pub active: bool,
}

/// One customer's invitation to answer a survey.
#[derive(Debug, Clone)]
pub struct NewInvitation<'a> {
    pub survey_id: i64,
    pub customer_id: i64,
    pub store_id: i64,
    pub occasion: &'a str,
    pub token_hash: &'a str,
    pub ticket_id: Option<i64>,
    pub sale_id: Option<i64>,
    pub channel: Option<&'a str>,
    pub expires_at: Timestamp,
}

/// What a ticket's satisfaction follow-up does when it is answered.
#[derive(Debug, Clone, Copy)]
pub struct FollowUp<'a> {
    /// The ticket's step and its customer; `None` when the ticket is no longer resolved.
    pub change: Option<(&'a TicketChange<'a>, i64)>,
    /// The invitation's outcome when the ticket moves (`closed`, `reopened`).
    pub outcome: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvitationRow {
    pub id: i64,
    pub survey_id: i64,
    pub customer_id: i64,
    pub store_id: i64,
    pub ticket_id: Option<i64>,
    #[sqlx(try_from = "Millis")]
    pub sent_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub expires_at: Timestamp,
    #[sqlx(try_from = "OptMillis")]
    pub answered_at: Option<Timestamp>,
    pub outcome: Option<String>,
}

/// One answer as stored.
#[derive(Debug, Clone)]
pub struct NewAnswer {
    pub question_no: i64,
    pub kind: &'static str,
    pub score: Option<i64>,
    pub choices: Option<String>,
    pub text_enc: Option<String>,
}

/// A scored or chosen answer, for the results.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AnswerRow {
    pub question_no: i64,
    pub score: Option<i64>,
    pub choices: Option<String>,
    #[sqlx(try_from = "Millis")]
    pub answered_at: Timestamp,
    pub store_id: i64,
}

/// A free-text answer, newest first.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TextAnswer {
    pub customer_id: i64,
    pub question_no: i64,
    pub text_enc: String,
    #[sqlx(try_from = "Millis")]
    pub answered_at: Timestamp,
}

/// A sale to ask about (after-purchase surveys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct SurveyedSale {
    pub id: i64,
    pub customer_id: i64,
    pub store_id: i64,
}

/// Records what an answered (or unanswered) ticket follow-up did.
async fn set_outcome_in(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    outcome: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE survey_invitations SET outcome = $1 WHERE id = $2")
        .bind(outcome)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Db {
    pub async fn surveys(&self) -> Result<Vec<SurveyRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM surveys ORDER BY id"
        )))
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn survey(&self, id: i64) -> Result<SurveyRow, StoreError> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM surveys WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// The active survey that goes out by itself on `trigger` (at most one is kept active).
    pub async fn active_survey(&self, trigger: &str) -> Result<Option<SurveyRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM surveys WHERE trigger_kind = $1 AND active = 1 ORDER BY id LIMIT 1"
        )))
        .bind(trigger)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Creates a survey (`id` none) or replaces one's definition; audited.
    pub async fn save_survey(
        &self,
        actor: &Actor,
        id: Option<i64>,
        s: &NewSurvey<'_>,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let active = i64::from(s.active);
        let id = match id {
            None => sqlx::query_scalar(
                "INSERT INTO surveys (name, questions, trigger_kind, delay_days, message, active, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(s.name)
            .bind(s.questions)
            .bind(s.trigger_kind)
            .bind(s.delay_days)
            .bind(s.message)
            .bind(active)
            .bind(ms(now))
            .fetch_one(&mut *tx)
            .await?,
            Some(id) => {
                let done = sqlx::query(
                    "UPDATE surveys SET name = $1, questions = $2, trigger_kind = $3, delay_days = $4, \
                     message = $5, active = $6, updated_at = $7 WHERE id = $8",
                )
                .bind(s.name)
                .bind(s.questions)
                .bind(s.trigger_kind)
                .bind(s.delay_days)
                .bind(s.message)
                .bind(active)
                .bind(ms(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::NotFound);
                }
                id
            }
        };
        tx.commit(&AuditEvent::ok("survey.save", "survey", id).with_detail(s.trigger_kind))
            .await?;
        Ok(id)
    }

    /// Records an invitation and queues its message in one transaction. `None` when the
    /// customer was already asked on this occasion (nothing is queued then).
    pub async fn invite_to_survey(
        &self,
        inv: &NewInvitation<'_>,
        message: Option<&NewMessage<'_>>,
        now: Timestamp,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO survey_invitations (survey_id, customer_id, store_id, occasion, token_hash, \
             ticket_id, sale_id, channel, sent_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (survey_id, customer_id, occasion) DO NOTHING RETURNING id",
        )
        .bind(inv.survey_id)
        .bind(inv.customer_id)
        .bind(inv.store_id)
        .bind(inv.occasion)
        .bind(inv.token_hash)
        .bind(inv.ticket_id)
        .bind(inv.sale_id)
        .bind(inv.channel)
        .bind(ms(now))
        .bind(ms(inv.expires_at))
        .fetch_optional(&mut *tx)
        .await?;
        if id.is_some()
            && let Some(m) = message
        {
            enqueue(&mut tx, m, now).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn invitation_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<InvitationRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, survey_id, customer_id, store_id, ticket_id, sent_at, expires_at, answered_at, outcome \
             FROM survey_invitations WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Takes the answers of a live invitation and, for a ticket's follow-up, the step the
    /// rating causes, in one transaction: an answer is never stored without its effect on
    /// the ticket. `None` when the invitation was answered already or has expired (a second
    /// click or a late one records nothing); else whether the ticket moved (it does not when
    /// someone moved it first, and the outcome is then `ignored`).
    pub async fn answer_survey(
        &self,
        inv: &InvitationRow,
        answers: &[NewAnswer],
        follow: Option<FollowUp<'_>>,
        now: Timestamp,
    ) -> Result<Option<bool>, StoreError> {
        let mut tx = self.begin_write().await?;
        let at = ms(now);
        let done = sqlx::query(
            "UPDATE survey_invitations SET answered_at = $1 \
             WHERE id = $2 AND answered_at IS NULL AND expires_at > $1",
        )
        .bind(at)
        .bind(inv.id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        for a in answers {
            sqlx::query(
                "INSERT INTO survey_answers (invitation_id, survey_id, customer_id, store_id, question_no, \
                 kind, score, choices, text_enc, answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(inv.id)
            .bind(inv.survey_id)
            .bind(inv.customer_id)
            .bind(inv.store_id)
            .bind(a.question_no)
            .bind(a.kind)
            .bind(a.score)
            .bind(a.choices.as_deref())
            .bind(a.text_enc.as_deref())
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        let mut moved = false;
        if let Some(f) = follow {
            if let Some((change, customer_id)) = f.change {
                moved =
                    crate::service::tickets::change_in(&mut tx, change, customer_id, now).await?;
            }
            let outcome = if moved { f.outcome } else { "ignored" };
            set_outcome_in(&mut tx, inv.id, outcome).await?;
        }
        tx.commit().await?;
        Ok(Some(moved))
    }

    /// Replaces the secret of the latest unanswered invitation about a ticket.
    pub async fn renew_ticket_survey_token(
        &self,
        ticket_id: i64,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE survey_invitations SET token_hash = $1 WHERE id = (SELECT MAX(id) FROM \
             survey_invitations WHERE ticket_id = $2) AND answered_at IS NULL",
        )
        .bind(token_hash)
        .bind(ticket_id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Records what an answer (or its absence) did: `closed`, `reopened`, `closed_unanswered`.
    pub async fn set_invitation_outcome(&self, id: i64, outcome: &str) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        set_outcome_in(&mut conn, id, outcome).await
    }

    /// Resolved tickets not yet asked about their latest resolution.
    pub async fn tickets_awaiting_survey(&self, limit: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT t.id FROM tickets t WHERE t.status = 'resolved' AND NOT EXISTS \
             (SELECT 1 FROM survey_invitations i WHERE i.ticket_id = t.id AND i.sent_at >= t.resolved_at) \
             ORDER BY t.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Invitations about a still-resolved ticket that ran out unanswered: `(invitation,
    /// ticket)`.
    pub async fn unanswered_ticket_surveys(
        &self,
        now: Timestamp,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT i.id, i.ticket_id FROM survey_invitations i JOIN tickets t ON t.id = i.ticket_id \
             WHERE i.answered_at IS NULL AND i.outcome IS NULL AND i.expires_at <= $1 \
             AND t.status = 'resolved' AND i.sent_at >= t.resolved_at ORDER BY i.id",
        )
        .bind(ms(now))
        .fetch_all(self.pool())
        .await?)
    }

    /// Sales to members made in `[from, to)`, not wholly refunded, after `after_id`.
    pub async fn sales_to_survey(
        &self,
        from: Timestamp,
        to: Timestamp,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<SurveyedSale>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, customer_id, store_id FROM sales WHERE sold_at_ms >= $1 AND sold_at_ms < $2 \
             AND customer_id IS NOT NULL AND refunded_net_fen < net_fen AND id > $3 ORDER BY id LIMIT $4",
        )
        .bind(ms(from))
        .bind(ms(to))
        .bind(after_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Complaints resolved in `[from, to)` and still resolved or closed: `(ticket,
    /// customer)`.
    pub async fn complaints_resolved_between(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, customer_id FROM tickets WHERE ticket_type = 'complaint' \
             AND (status = 'resolved' OR status = 'closed') AND resolved_at >= $1 AND resolved_at < $2 \
             ORDER BY id",
        )
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(self.pool())
        .await?)
    }

    /// Invitations sent and answered, in the scope.
    pub async fn survey_counts(&self, scope: Scope, id: i64) -> Result<(i64, i64), StoreError> {
        Ok(sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COUNT(answered_at) AS BIGINT) FROM survey_invitations \
             WHERE survey_id = $1 AND ($2 IS NULL OR store_id = $2)",
        )
        .bind(id)
        .bind(scope.store_filter())
        .fetch_one(self.pool())
        .await?)
    }

    /// The scored and chosen answers of a survey, in the scope.
    pub async fn survey_answers(
        &self,
        scope: Scope,
        id: i64,
    ) -> Result<Vec<AnswerRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT question_no, score, choices, answered_at, store_id FROM survey_answers \
             WHERE survey_id = $1 AND ($2 IS NULL OR store_id = $2) AND text_enc IS NULL \
             ORDER BY answered_at",
        )
        .bind(id)
        .bind(scope.store_filter())
        .fetch_all(self.pool())
        .await?)
    }

    /// The latest free-text answers of a survey, in the scope.
    pub async fn survey_texts(
        &self,
        scope: Scope,
        id: i64,
        limit: i64,
    ) -> Result<Vec<TextAnswer>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT customer_id, question_no, text_enc, answered_at FROM survey_answers \
             WHERE survey_id = $1 AND ($2 IS NULL OR store_id = $2) AND text_enc IS NOT NULL \
             ORDER BY answered_at DESC, id DESC LIMIT $3",
        )
        .bind(id)
        .bind(scope.store_filter())
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
