//! Tickets and their timelines. Every change of a ticket is a conditional update on the
//! status it was read in, written with its timeline event in one transaction, so two staff
//! acting at once cannot both move it; filing through the API is retry-safe by request key.

use crate::db::ms;
use crate::decode::{Code, Flag, Millis, OptCode, OptMillis, codes};
use crate::service::compensation::Gift;
use crate::service::ticket_events::Event;
use crate::{Db, Scope, StoreError};
use jiff::Timestamp;
use patron_domain::audit::Actor;
use patron_domain::service::ticket::{Severity, Status, TicketChannel, TicketType};
use sqlx::AnyConnection;

pub(crate) const COLUMNS: &str = "id, customer_id, store_id, channel, ticket_type, category, severity, status, subject, \
     description_enc, sale_id, item_ref, assignee_id, created_by, created_at, updated_at, response_due_at, \
     responded_at, resolution_target_min, sla_used_min, sla_running_since, resolution_due_at, resolved_at, \
     closed_at, breached_response, breached_resolution, escalation_level, reopen_count, root_cause, \
     corrective_action, compensation, satisfaction, closed_unanswered, \
     (SELECT c.name FROM customers c WHERE c.id = tickets.customer_id) AS customer_name";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketRow {
    pub id: i64,
    pub customer_id: i64,
    pub store_id: i64,
    #[sqlx(try_from = "Code")]
    pub channel: TicketChannel,
    #[sqlx(try_from = "Code")]
    pub ticket_type: TicketType,
    /// One of the configurable categories (kept in settings).
    pub category: String,
    #[sqlx(try_from = "Code")]
    pub severity: Severity,
    #[sqlx(try_from = "Code")]
    pub status: Status,
    pub subject: String,
    pub description_enc: String,
    pub sale_id: Option<i64>,
    pub item_ref: Option<String>,
    pub assignee_id: Option<i64>,
    pub created_by: Option<i64>,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub response_due_at: Timestamp,
    #[sqlx(try_from = "OptMillis")]
    pub responded_at: Option<Timestamp>,
    pub resolution_target_min: i64,
    pub sla_used_min: i64,
    #[sqlx(try_from = "OptMillis")]
    pub sla_running_since: Option<Timestamp>,
    #[sqlx(try_from = "OptMillis")]
    pub resolution_due_at: Option<Timestamp>,
    #[sqlx(try_from = "OptMillis")]
    pub resolved_at: Option<Timestamp>,
    #[sqlx(try_from = "OptMillis")]
    pub closed_at: Option<Timestamp>,
    #[sqlx(try_from = "Flag")]
    pub breached_response: bool,
    #[sqlx(try_from = "Flag")]
    pub breached_resolution: bool,
    pub escalation_level: i64,
    pub reopen_count: i64,
    pub root_cause: Option<String>,
    pub corrective_action: Option<String>,
    /// The settled compensation as JSON (the application reads it).
    pub compensation: Option<String>,
    /// The customer's rating of the resolution (CSAT 1-5), and closing for want of one.
    pub satisfaction: Option<i64>,
    #[sqlx(try_from = "Flag")]
    pub closed_unanswered: bool,
    /// The customer's name (from the file), for lists.
    pub customer_name: String,
}

/// A ticket as filed.
#[derive(Debug, Clone)]
pub struct NewTicket<'a> {
    pub customer_id: i64,
    pub store_id: i64,
    pub channel: &'a str,
    pub ticket_type: &'a str,
    pub category: &'a str,
    pub severity: &'a str,
    pub subject: &'a str,
    pub description_enc: &'a str,
    pub sale_id: Option<i64>,
    pub item_ref: Option<&'a str>,
    pub assignee_id: Option<i64>,
    pub created_by: Option<i64>,
    pub response_due_at: Timestamp,
    pub resolution_target_min: i64,
    pub resolution_due_at: Timestamp,
    pub request_key: Option<&'a str>,
    /// A warranty claim (warranty, kind) this ticket handles, linked in the same
    /// transaction.
    pub claim: Option<(i64, &'a str)>,
}

/// A change of a ticket read in status `from`: the new SLA state and what else it sets.
#[derive(Debug, Clone)]
pub struct TicketChange<'a> {
    pub id: i64,
    pub from: &'a str,
    pub to: &'a str,
    pub staff_id: Option<i64>,
    /// Timeline kind (`acknowledge`, `resolve` ...) and its sealed note.
    pub kind: &'a str,
    pub note_enc: Option<String>,
    pub responded: bool,
    pub sla_used_min: i64,
    pub sla_running_since: Option<Timestamp>,
    pub resolution_due_at: Option<Timestamp>,
    pub resolved: bool,
    pub closed: bool,
    pub reopened: bool,
    /// Root cause, corrective action and compensation (JSON), set on resolving.
    pub resolution: Option<(&'a str, &'a str, &'a str)>,
    /// The customer's rating that made this change (closing or reopening after the
    /// satisfaction survey).
    pub satisfaction: Option<i64>,
    /// Closed because the customer did not answer the survey in time.
    pub unanswered: bool,
    /// The pending compensation request this change carries out (marked approved by
    /// `decided_by` in the same transaction).
    pub approves: Option<(i64, Option<i64>)>,
    /// What the resolution gives, and who gives it: written only if the ticket moves.
    pub gift: Option<(&'a Actor, Gift<'a>)>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketEvent {
    pub id: i64,
    #[sqlx(try_from = "Millis")]
    pub at: Timestamp,
    pub staff_id: Option<i64>,
    /// What happened (an action's code, `note`, `file`, ...): an open set of timeline codes.
    pub kind: String,
    #[sqlx(try_from = "OptCode")]
    pub from_status: Option<Status>,
    #[sqlx(try_from = "OptCode")]
    pub to_status: Option<Status>,
    pub note_enc: Option<String>,
}

codes! {
    TicketChannel, "tickets.channel", |s| TicketChannel::parse(s).ok();
    TicketType, "tickets.ticket_type", |s| TicketType::parse(s).ok();
    Severity, "tickets.severity", |s| Severity::parse(s).ok();
    Status, "tickets.status", |s| Status::parse(s).ok();
}

/// Which tickets a queue shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Queue {
    pub assignee: Option<i64>,
    pub customer: Option<i64>,
    pub open_only: bool,
    /// Open tickets with a deadline (response or resolution) before this instant.
    pub due_before: Option<Timestamp>,
}

const OPEN: &str = "status <> 'resolved' AND status <> 'closed'";

/// A ticket's status change within the caller's transaction (see `Db::change_ticket`); false,
/// with nothing written, when the ticket is no longer in `c.from`.
pub(crate) async fn change_in(
    conn: &mut AnyConnection,
    c: &TicketChange<'_>,
    customer_id: i64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let at = ms(now);
    let (cause, action, compensation) = match c.resolution {
        Some((a, b, d)) => (Some(a), Some(b), Some(d)),
        None => (None, None, None),
    };
    let done = sqlx::query(
        "UPDATE tickets SET status = $1, updated_at = $2, \
         responded_at = CASE WHEN $3 = 1 AND responded_at IS NULL THEN $2 ELSE responded_at END, \
         sla_used_min = $4, sla_running_since = $5, resolution_due_at = $6, \
         resolved_at = CASE WHEN $7 = 1 THEN $2 WHEN $9 = 1 THEN NULL ELSE resolved_at END, \
         closed_at = CASE WHEN $8 = 1 THEN $2 WHEN $9 = 1 THEN NULL ELSE closed_at END, \
         reopen_count = reopen_count + $9, \
         root_cause = COALESCE($10, root_cause), corrective_action = COALESCE($11, corrective_action), \
         compensation = COALESCE($12, compensation), satisfaction = COALESCE($15, satisfaction), \
         closed_unanswered = CASE WHEN $16 = 1 THEN 1 WHEN $9 = 1 THEN 0 ELSE closed_unanswered END \
         WHERE id = $13 AND status = $14",
    )
    .bind(c.to)
    .bind(at)
    .bind(i64::from(c.responded))
    .bind(c.sla_used_min)
    .bind(c.sla_running_since.map(ms))
    .bind(c.resolution_due_at.map(ms))
    .bind(i64::from(c.resolved))
    .bind(i64::from(c.closed))
    .bind(i64::from(c.reopened))
    .bind(cause)
    .bind(action)
    .bind(compensation)
    .bind(c.id)
    .bind(c.from)
    .bind(c.satisfaction)
    .bind(i64::from(c.unanswered))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    if let Some((actor, gift)) = &c.gift {
        gift.give(conn, actor, now).await?;
    }
    if let Some((request, decided_by)) = c.approves {
        crate::service::compensation::decide(conn, request, decided_by, true, at).await?;
    }
    Event {
        from: Some(c.from),
        to: Some(c.to),
        note_enc: c.note_enc.as_deref(),
        ..Event::new(c.id, customer_id, c.staff_id, c.kind)
    }
    .insert(conn, now)
    .await?;
    Ok(true)
}

impl Db {
    /// Files a ticket with its first timeline event. With a request key already used, the
    /// ticket filed then: `(id, false)`.
    pub async fn file_ticket(
        &self,
        t: &NewTicket<'_>,
        now: Timestamp,
    ) -> Result<(i64, bool), StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(key) = t.request_key {
            let seen: Option<i64> =
                sqlx::query_scalar("SELECT id FROM tickets WHERE request_key = $1")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(id) = seen {
                return Ok((id, false));
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tickets (customer_id, store_id, channel, ticket_type, category, severity, status, \
             subject, description_enc, sale_id, item_ref, assignee_id, created_by, created_at, updated_at, \
             response_due_at, resolution_target_min, sla_used_min, sla_running_since, resolution_due_at, \
             breached_response, breached_resolution, escalation_level, reopen_count, request_key) \
             VALUES ($1, $2, $3, $4, $5, $6, 'new', $7, $8, $9, $10, $11, $12, $13, $13, $14, $15, 0, $13, \
             $16, 0, 0, 0, 0, $17) RETURNING id",
        )
        .bind(t.customer_id)
        .bind(t.store_id)
        .bind(t.channel)
        .bind(t.ticket_type)
        .bind(t.category)
        .bind(t.severity)
        .bind(t.subject)
        .bind(t.description_enc)
        .bind(t.sale_id)
        .bind(t.item_ref)
        .bind(t.assignee_id)
        .bind(t.created_by)
        .bind(ms(now))
        .bind(ms(t.response_due_at))
        .bind(t.resolution_target_min)
        .bind(ms(t.resolution_due_at))
        .bind(t.request_key)
        .fetch_one(&mut *tx)
        .await?;
        Event {
            to: Some("new"),
            ..Event::new(id, t.customer_id, t.created_by, "created")
        }
        .insert(&mut tx, now)
        .await?;
        if let Some(claim) = t.claim {
            crate::service::warranties::link_claim(&mut tx, claim, id, t.created_by, now).await?;
        }
        if t.assignee_id.is_some() {
            Event::new(id, t.customer_id, t.created_by, "assigned")
                .insert(&mut tx, now)
                .await?;
        }
        tx.commit().await?;
        Ok((id, true))
    }

    pub async fn ticket(&self, scope: Scope, id: i64) -> Result<TicketRow, StoreError> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tickets WHERE id = $1 AND ($2 IS NULL OR store_id = $2)"
        )))
        .bind(id)
        .bind(scope.store_filter())
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Tickets within `scope` for a queue, most urgent first (open before done, then the
    /// nearest deadline), at most `limit`.
    pub async fn tickets(
        &self,
        scope: Scope,
        q: &Queue,
        limit: i64,
    ) -> Result<Vec<TicketRow>, StoreError> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tickets WHERE ($1 IS NULL OR store_id = $1) \
             AND ($2 IS NULL OR assignee_id = $2) AND ($3 IS NULL OR customer_id = $3) \
             AND ($4 = 0 OR ({OPEN})) \
             AND ($5 IS NULL OR (({OPEN}) AND ((responded_at IS NULL AND response_due_at < $5) \
                  OR resolution_due_at < $5))) \
             ORDER BY CASE WHEN {OPEN} THEN 0 ELSE 1 END, \
             COALESCE(CASE WHEN responded_at IS NULL THEN response_due_at END, resolution_due_at, created_at), id \
             LIMIT $6"
        )))
        .bind(scope.store_filter())
        .bind(q.assignee)
        .bind(q.customer)
        .bind(i64::from(q.open_only))
        .bind(q.due_before.map(ms))
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(Into::into)
    }

    /// Open tickets in a scope, and how many of them are past a deadline at `now` (a response
    /// not given in time, or the resolution's), counted where they are stored.
    pub async fn ticket_counts(
        &self,
        scope: Scope,
        now: Timestamp,
    ) -> Result<(i64, i64), StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN (responded_at IS NULL \
             AND response_due_at < $2) OR resolution_due_at < $2 THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM tickets WHERE ($1 IS NULL OR store_id = $1) AND ({OPEN})"
        )))
        .bind(scope.store_filter())
        .bind(ms(now))
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn ticket_events(&self, id: i64) -> Result<Vec<TicketEvent>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, at, staff_id, kind, from_status, to_status, note_enc FROM ticket_events \
             WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Applies a change if the ticket is still in `from`; `Conflict` when someone moved it.
    pub async fn change_ticket(
        &self,
        c: &TicketChange<'_>,
        customer_id: i64,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        if !change_in(&mut tx, c, customer_id, now).await? {
            return Err(StoreError::Conflict {
                constraint: "ck_tickets_status".into(),
            });
        }
        tx.commit().await?;
        Ok(())
    }

    /// Adds a note (or any event without a status change) to the timeline.
    pub async fn ticket_note(
        &self,
        t: &TicketRow,
        staff_id: Option<i64>,
        kind: &str,
        note_enc: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        Event {
            note_enc,
            ..Event::new(t.id, t.customer_id, staff_id, kind)
        }
        .add(&mut tx, now)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn assign_ticket(
        &self,
        t: &TicketRow,
        assignee: i64,
        by: Option<i64>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE tickets SET assignee_id = $1, updated_at = $2 WHERE id = $3")
            .bind(assignee)
            .bind(ms(now))
            .bind(t.id)
            .execute(&mut *tx)
            .await?;
        Event::new(t.id, t.customer_id, by, "assigned")
            .insert(&mut tx, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Open tickets per active staff member of the store who may handle tickets (their
    /// ids given), fewest first, then by id: the least busy is first.
    pub async fn open_ticket_counts(
        &self,
        staff_ids: &[i64],
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        if staff_ids.is_empty() {
            return Ok(Vec::new());
        }
        // Ids are integers, so listing them in the statement is safe.
        let list = staff_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let counted: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT assignee_id, CAST(COUNT(*) AS BIGINT) FROM tickets \
             WHERE assignee_id IN ({list}) AND {OPEN} GROUP BY assignee_id"
        )))
        .fetch_all(self.pool())
        .await?;
        let mut out: Vec<(i64, i64)> = staff_ids
            .iter()
            .map(|id| {
                let n = counted.iter().find(|(a, _)| a == id).map_or(0, |(_, n)| *n);
                (*id, n)
            })
            .collect();
        out.sort_by_key(|(id, n)| (*n, *id));
        Ok(out)
    }

    /// The staff member last given a ticket of this store (for round-robin).
    pub async fn last_ticket_assignee(&self, store_id: i64) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT assignee_id FROM tickets WHERE store_id = $1 AND assignee_id IS NOT NULL \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(store_id)
        .fetch_optional(self.pool())
        .await?
        .flatten())
    }

    /// Open tickets whose response or resolution deadline has passed and is not yet marked.
    pub async fn tickets_breaching(&self, now: Timestamp) -> Result<Vec<TicketRow>, StoreError> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tickets WHERE ({OPEN}) AND \
             ((responded_at IS NULL AND response_due_at <= $1 AND breached_response = 0) \
              OR (resolution_due_at <= $1 AND breached_resolution = 0)) ORDER BY id"
        )))
        .bind(ms(now))
        .fetch_all(self.pool())
        .await
        .map_err(Into::into)
    }

    /// Marks a breach (response or resolution) and raises the escalation level, with its
    /// timeline event and the messages to the people it goes to; false when another run
    /// marked it first.
    pub async fn mark_breach(
        &self,
        t: &TicketRow,
        resolution: bool,
        level: i64,
        messages: &[crate::messages::outbox::NewMessage<'_>],
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let sql = if resolution {
            "UPDATE tickets SET breached_resolution = 1, escalation_level = $1 \
             WHERE id = $2 AND breached_resolution = 0"
        } else {
            "UPDATE tickets SET breached_response = 1, escalation_level = $1 \
             WHERE id = $2 AND breached_response = 0"
        };
        let done = sqlx::query(sql)
            .bind(level)
            .bind(t.id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        let kind = if resolution {
            "breach_resolution"
        } else {
            "breach_response"
        };
        Event::new(t.id, t.customer_id, None, kind)
            .insert(&mut tx, now)
            .await?;
        for m in messages {
            crate::messages::outbox::enqueue(&mut tx, m, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
