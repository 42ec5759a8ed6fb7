//! Compensation on tickets: what a resolution gives (points or a coupon, written in the
//! transaction that resolves the ticket, so a resolution that loses a race gives nothing),
//! and resolutions waiting for a second person's approval.

use crate::db::ms;
use crate::decode::{Code, Millis, OptMillis, codes};
use crate::membership::coupons::{CouponIssue, issue_in};
use crate::membership::points::adjust::{AdjustBatch, AdjustRefused, adjust_in};
use crate::service::ticket_events::Event;
use crate::{Db, Scope, StoreError};
use jiff::Timestamp;
use patron_domain::audit::Actor;
use patron_domain::service::ticket::ApprovalStatus;
use sqlx::AnyConnection;

/// What a resolution gives through the ledger or the coupon register.
#[derive(Debug, Clone, Copy)]
pub enum Gift<'a> {
    Points(AdjustBatch<'a>),
    Coupon(CouponIssue<'a>),
}

impl Gift<'_> {
    pub(crate) async fn give(
        &self,
        conn: &mut AnyConnection,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        match self {
            Gift::Points(batch) => match adjust_in(conn, actor, batch, now).await {
                Ok(_) => Ok(()),
                Err(AdjustRefused::Store(e)) => Err(e),
                // Compensation only adds points, so nothing else can refuse it.
                Err(other) => Err(StoreError::Unsupported(other.to_string())),
            },
            Gift::Coupon(issue) => issue_in(conn, actor, issue, now).await,
        }
    }
}

/// A resolution waiting for approval because its compensation is worth more than the
/// service desk's threshold.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    pub ticket_id: i64,
    pub customer_id: i64,
    pub store_id: i64,
    pub round: i64,
    pub root_cause: &'a str,
    pub corrective_action: &'a str,
    /// What it gives, as JSON.
    pub compensation: &'a str,
    pub value_fen: i64,
    pub note_enc: Option<&'a str>,
    pub requested_by: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    pub id: i64,
    pub ticket_id: i64,
    pub customer_id: i64,
    pub store_id: i64,
    pub round: i64,
    pub root_cause: String,
    pub corrective_action: String,
    pub compensation: String,
    pub value_fen: i64,
    pub note_enc: Option<String>,
    #[sqlx(try_from = "Code")]
    pub status: ApprovalStatus,
    pub requested_by: Option<i64>,
    #[sqlx(try_from = "Millis")]
    pub requested_at: Timestamp,
    pub decided_by: Option<i64>,
    #[sqlx(try_from = "OptMillis")]
    pub decided_at: Option<Timestamp>,
}

codes! {
    ApprovalStatus, "compensation_requests.status", |s| ApprovalStatus::parse(s).ok();
}

const COLUMNS: &str = "id, ticket_id, customer_id, store_id, round, root_cause, corrective_action, \
     compensation, value_fen, note_enc, status, requested_by, requested_at, decided_by, decided_at";

/// Marks a pending request approved or rejected; a request already decided is a conflict.
pub(crate) async fn decide(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    decided_by: Option<i64>,
    approve: bool,
    at: i64,
) -> Result<(), StoreError> {
    let n = sqlx::query(
        "UPDATE compensation_requests SET status = $1, decided_by = $2, decided_at = $3 \
         WHERE id = $4 AND status = 'pending'",
    )
    .bind(if approve { "approved" } else { "rejected" })
    .bind(decided_by)
    .bind(at)
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(StoreError::Conflict {
            constraint: "ck_compensation_requests_status".into(),
        });
    }
    Ok(())
}

impl Db {
    /// Records a request with its timeline entry; a ticket with a request already pending
    /// is refused (`uq_compensation_requests_ticket_id`).
    pub async fn request_compensation(
        &self,
        r: &NewRequest<'_>,
        messages: &[crate::messages::outbox::NewMessage<'_>],
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO compensation_requests (ticket_id, customer_id, store_id, round, \
             root_cause, corrective_action, compensation, value_fen, note_enc, status, \
             requested_by, requested_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11) RETURNING id",
        )
        .bind(r.ticket_id)
        .bind(r.customer_id)
        .bind(r.store_id)
        .bind(r.round)
        .bind(r.root_cause)
        .bind(r.corrective_action)
        .bind(r.compensation)
        .bind(r.value_fen)
        .bind(r.note_enc)
        .bind(r.requested_by)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        Event::new(
            r.ticket_id,
            r.customer_id,
            r.requested_by,
            "compensation_requested",
        )
        .add(&mut tx, now)
        .await?;
        for m in messages {
            crate::messages::outbox::enqueue(&mut tx, m, now).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Closes a pending request unapproved, with the reason on the ticket's timeline; `kind`
    /// names the entry (`compensation_rejected` by an approver, `compensation_withdrawn` by
    /// the desk).
    pub async fn close_compensation(
        &self,
        r: &RequestRow,
        decided_by: Option<i64>,
        kind: &str,
        note_enc: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        decide(&mut tx, r.id, decided_by, false, ms(now)).await?;
        Event {
            note_enc,
            ..Event::new(r.ticket_id, r.customer_id, decided_by, kind)
        }
        .add(&mut tx, now)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The request pending on a ticket, if any.
    pub async fn pending_compensation(
        &self,
        ticket_id: i64,
    ) -> Result<Option<RequestRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM compensation_requests \
             WHERE ticket_id = $1 AND status = 'pending'"
        )))
        .bind(ticket_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Requests pending within `scope`, oldest first (the approvers' list).
    pub async fn pending_compensations(
        &self,
        scope: Scope,
        limit: i64,
    ) -> Result<Vec<RequestRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM compensation_requests \
             WHERE status = 'pending' AND ($1 IS NULL OR store_id = $1) ORDER BY id LIMIT $2"
        )))
        .bind(scope.store_filter())
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
