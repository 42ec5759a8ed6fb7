//! The durable message outbox. Rows are written by `enqueue` inside the transaction of the
//! change that causes them; dispatchers claim due rows with a lease, send, and record the
//! attempt. A row whose lease ran out (its dispatcher died) becomes claimable again.
//!
//! Whom a message goes to and what it says are personal data: recipient, subject, body and
//! the provider payload are sealed for their row (`*_enc`) and erased once the message is
//! delivered or has failed for good; channel, purpose, customer, status and times stay for
//! the figures until the retention sweep deletes the row.

use crate::decode::{Code, Flag, Millis, OptMillis, codes};
use crate::sealed::Sealer;
use crate::{Db, Scope, StoreError, ms};
use jiff::{SignedDuration, Timestamp};
pub use patron_domain::messages::OutboxStatus;

codes!(
    OutboxStatus, "outbox.status", OutboxStatus::parse;
);

#[derive(Clone)]
pub struct NewMessage<'a> {
    pub channel: &'a str,
    pub purpose: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// Seals recipient, subject, body and payload for the new row.
    pub sealer: &'a dyn Sealer,
    pub max_attempts: i64,
    pub staff_id: Option<i64>,
    /// The customer a message is for: the dispatcher checks their consent, the quiet hours
    /// of `store_id` and the frequency caps before it sends.
    pub customer_id: Option<i64>,
    pub store_id: Option<i64>,
    /// Marketing needs the channel's marketing consent and counts towards the caps.
    pub marketing: bool,
    /// A campaign or playbook key, for delivery figures per campaign.
    pub campaign: Option<&'a str>,
    /// What a provider needs besides the text (SMS template code and parameters, WeChat
    /// template data), as JSON.
    pub payload: Option<&'a str>,
}

impl<'a> NewMessage<'a> {
    /// A message with no customer, store, campaign or payload (mail to staff, tests).
    pub fn plain(
        sealer: &'a dyn Sealer,
        channel: &'a str,
        purpose: &'a str,
        recipient: &'a str,
        subject: &'a str,
        body: &'a str,
        max_attempts: i64,
    ) -> Self {
        Self {
            channel,
            purpose,
            recipient,
            subject,
            body,
            sealer,
            max_attempts,
            staff_id: None,
            customer_id: None,
            store_id: None,
            marketing: false,
            campaign: None,
            payload: None,
        }
    }
}

impl std::fmt::Debug for NewMessage<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Recipient, subject, body and payload are personal data.
        f.debug_struct("NewMessage")
            .field("channel", &self.channel)
            .field("purpose", &self.purpose)
            .field("customer_id", &self.customer_id)
            .finish_non_exhaustive()
    }
}

/// An outbox row as stored: the personal fields sealed (`None` once erased). Not `Debug`.
#[derive(Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: String,
    pub purpose: String,
    pub recipient_enc: Option<String>,
    pub subject_enc: Option<String>,
    pub body_enc: Option<String>,
    pub payload_enc: Option<String>,
    #[sqlx(try_from = "Code")]
    pub status: OutboxStatus,
    pub attempts: i64,
    pub max_attempts: i64,
    #[sqlx(try_from = "Millis")]
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "OptMillis")]
    pub sent_at: Option<Timestamp>,
    pub customer_id: Option<i64>,
    pub store_id: Option<i64>,
    #[sqlx(try_from = "Flag")]
    pub marketing: bool,
    pub campaign: Option<String>,
    /// Why the dispatcher held the message back for good (`consent`, `frequency_cap`).
    pub suppressed: Option<String>,
}

const COLUMNS: &str = "id, channel, purpose, recipient_enc, subject_enc, body_enc, payload_enc, status, attempts, \
    max_attempts, next_attempt_at, last_error, created_at, sent_at, customer_id, store_id, marketing, campaign, \
    suppressed";

/// What a finished row keeps of its message: nothing personal.
const ERASE: &str = "recipient_enc = NULL, subject_enc = NULL, body_enc = NULL, payload_enc = NULL";

/// Queues a message within the caller's transaction. The row's id binds the seals, so the
/// row is written first and its sealed fields right after, in the same transaction.
pub async fn enqueue(
    conn: &mut sqlx::AnyConnection,
    m: &NewMessage<'_>,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (channel, purpose, recipient, subject, body, redact_after_send, status, attempts, \
         max_attempts, next_attempt_at, staff_id, created_at, customer_id, store_id, marketing, campaign) \
         VALUES ($1, $2, '', '', '', 1, 'pending', 0, $3, $4, $5, $4, $6, $7, $8, $9) RETURNING id",
    )
    .bind(m.channel)
    .bind(m.purpose)
    .bind(m.max_attempts)
    .bind(ms(now))
    .bind(m.staff_id)
    .bind(m.customer_id)
    .bind(m.store_id)
    .bind(i64::from(m.marketing))
    .bind(m.campaign)
    .fetch_one(&mut *conn)
    .await?;
    let seal =
        |column: &str, plain: &str| m.sealer.seal_text("outbox", column, id, plain.as_bytes());
    sqlx::query(
        "UPDATE outbox SET recipient_enc = $1, subject_enc = $2, body_enc = $3, payload_enc = $4 WHERE id = $5",
    )
    .bind(seal("recipient", m.recipient))
    .bind(seal("subject", m.subject))
    .bind(seal("body", m.body))
    .bind(m.payload.map(|p| seal("payload", p)))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// A message written before the outbox sealed its fields, still waiting to be sent.
pub struct ClearMessage {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub payload: Option<String>,
}

impl Db {
    pub async fn enqueue_message(
        &self,
        m: &NewMessage<'_>,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = enqueue(&mut tx, m, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Claims up to `limit` due rows for `instance` until `now + lease`. Dialect-specific:
    /// PostgreSQL skips rows another instance has locked; SQLite's write lock already
    /// serialises claimers.
    pub async fn claim_messages(
        &self,
        instance: &str,
        now: Timestamp,
        lease: SignedDuration,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = self.dialect(
            "UPDATE outbox SET status = 'sending', claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE (status = 'pending' AND next_attempt_at <= $3) \
             OR (status = 'sending' AND claimed_until < $3) ORDER BY id LIMIT $4) \
             RETURNING id, channel, purpose, recipient_enc, subject_enc, body_enc, payload_enc, status, attempts, \
             max_attempts, next_attempt_at, last_error, created_at, sent_at, customer_id, store_id, marketing, \
             campaign, suppressed",
            "UPDATE outbox SET status = 'sending', claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE (status = 'pending' AND next_attempt_at <= $3) \
             OR (status = 'sending' AND claimed_until < $3) ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING id, channel, purpose, recipient_enc, subject_enc, body_enc, payload_enc, status, attempts, \
             max_attempts, next_attempt_at, last_error, created_at, sent_at, customer_id, store_id, marketing, \
             campaign, suppressed",
        );
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query_as(sql)
            .bind(instance)
            .bind(ms(now) + lease.as_millis() as i64)
            .bind(ms(now))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Records a delivery. Only the instance holding the lease may do so.
    pub async fn mark_sent(
        &self,
        id: i64,
        instance: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            sqlx::AssertSqlSafe(format!(
                "UPDATE outbox SET status = 'sent', sent_at = $1, claimed_by = NULL, claimed_until = NULL, \
                 last_error = NULL, {ERASE} WHERE id = $2 AND claimed_by = $3"
            )),
        )
        .bind(ms(now))
        .bind(id)
        .bind(instance)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        insert_attempt(&mut tx, id, "sent", None, now).await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Records a failed attempt: back to `pending` at `retry_at`, or `dead` (and erased) when
    /// `None`. `error` must name no recipient (the dispatcher masks it).
    pub async fn mark_failed(
        &self,
        id: i64,
        instance: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let status = if retry_at.is_some() {
            "pending"
        } else {
            "dead"
        };
        sqlx::query(
            "UPDATE outbox SET status = $1, next_attempt_at = $2, last_error = $3, claimed_by = NULL, \
             claimed_until = NULL, recipient_enc = CASE WHEN $1 = 'dead' THEN NULL ELSE recipient_enc END, \
             subject_enc = CASE WHEN $1 = 'dead' THEN NULL ELSE subject_enc END, \
             body_enc = CASE WHEN $1 = 'dead' THEN NULL ELSE body_enc END, \
             payload_enc = CASE WHEN $1 = 'dead' THEN NULL ELSE payload_enc END \
             WHERE id = $4 AND claimed_by = $5",
        )
        .bind(status)
        .bind(retry_at.map(ms).unwrap_or(ms(now)))
        .bind(error)
        .bind(id)
        .bind(instance)
        .execute(&mut *tx)
        .await?;
        insert_attempt(&mut tx, id, status, Some(error), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts a claimed message back until `until` without counting the attempt (quiet hours).
    pub async fn defer_message(
        &self,
        id: i64,
        instance: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE outbox SET status = 'pending', next_attempt_at = $1, attempts = attempts - 1, \
             claimed_by = NULL, claimed_until = NULL WHERE id = $2 AND claimed_by = $3",
        )
        .bind(ms(until))
        .bind(id)
        .bind(instance)
        .execute(&mut *tx)
        .await?;
        insert_attempt(&mut tx, id, "deferred", None, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Holds a claimed message back for good, saying why (no consent, over the caps), and
    /// erases what it would have said.
    pub async fn suppress_message(
        &self,
        id: i64,
        instance: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE outbox SET status = 'dead', suppressed = $1, claimed_by = NULL, claimed_until = NULL, {ERASE} \
             WHERE id = $2 AND claimed_by = $3"
        )))
        .bind(reason)
        .bind(id)
        .bind(instance)
        .execute(&mut *tx)
        .await?;
        insert_attempt(&mut tx, id, "suppressed", Some(reason), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marketing messages sent to a customer since `since`, for the frequency caps.
    pub async fn marketing_sent_since(
        &self,
        customer_id: i64,
        since: Timestamp,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE customer_id = $1 AND marketing = 1 \
             AND status = 'sent' AND sent_at >= $2",
        )
        .bind(customer_id)
        .bind(ms(since))
        .fetch_one(self.pool())
        .await?)
    }

    /// A customer's messages, newest first.
    pub async fn messages_of(
        &self,
        customer_id: i64,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM outbox WHERE customer_id = $1 ORDER BY id DESC LIMIT $2"
        )))
        .bind(customer_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Delivery per campaign, within a store when the viewer is scoped to one: campaign,
    /// state (`pending`, `sent`, `failed`, or the suppression reason) and count.
    pub async fn campaign_delivery(
        &self,
        store: Option<i64>,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT campaign, CASE WHEN suppressed IS NOT NULL THEN suppressed \
             WHEN status = 'dead' THEN 'failed' WHEN status = 'sending' THEN 'pending' ELSE status END AS state, \
             CAST(COUNT(*) AS BIGINT) FROM outbox WHERE campaign IS NOT NULL AND ($1 IS NULL OR store_id = $1) \
             GROUP BY campaign, CASE WHEN suppressed IS NOT NULL THEN suppressed \
             WHEN status = 'dead' THEN 'failed' WHEN status = 'sending' THEN 'pending' ELSE status END \
             ORDER BY campaign, state",
        )
        .bind(store)
        .fetch_all(self.pool())
        .await?)
    }

    /// The latest messages of the whole chain (operators' tools and tests).
    pub async fn list_outbox(
        &self,
        status: &str,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        self.list_outbox_in(Scope::Chain, status, limit).await
    }

    /// The latest messages within `scope`: a store-bound role sees its store's messages, not
    /// the chain's nor staff mail (which has no store).
    pub async fn list_outbox_in(
        &self,
        scope: Scope,
        status: &str,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM outbox WHERE ($1 = '' OR status = $1) \
             AND ($3 IS NULL OR store_id = $3) ORDER BY id DESC LIMIT $2"
        )))
        .bind(status)
        .bind(limit)
        .bind(scope.store_filter())
        .fetch_all(self.pool())
        .await?)
    }

    /// Deletes messages finished (sent or dead) and created before `before`, with their
    /// attempts; the retention sweep. Returns how many messages went.
    pub async fn sweep_outbox(&self, before: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "DELETE FROM outbox_attempts WHERE outbox_id IN (SELECT id FROM outbox \
             WHERE status IN ('sent', 'dead') AND created_at < $1)",
        )
        .bind(ms(before))
        .execute(&mut *tx)
        .await?;
        let n =
            sqlx::query("DELETE FROM outbox WHERE status IN ('sent', 'dead') AND created_at < $1")
                .bind(ms(before))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// Messages still holding clear personal fields (queued before the outbox sealed them).
    pub async fn clear_messages(&self, limit: i64) -> Result<Vec<ClearMessage>, StoreError> {
        let rows: Vec<(i64, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, recipient, subject, body, payload FROM outbox \
             WHERE recipient <> '' OR subject <> '' OR body <> '' OR payload IS NOT NULL ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, recipient, subject, body, payload)| ClearMessage {
                id,
                recipient,
                subject,
                body,
                payload,
            })
            .collect())
    }

    /// Replaces a message's clear fields by their sealed values (`sealer` binds them to the
    /// row), or only erases them when the message is already finished.
    pub async fn seal_clear_message(
        &self,
        m: &ClearMessage,
        sealer: &dyn Sealer,
    ) -> Result<(), StoreError> {
        let seal =
            |column: &str, plain: &str| sealer.seal_text("outbox", column, m.id, plain.as_bytes());
        sqlx::query(
            "UPDATE outbox SET recipient = '', subject = '', body = '', payload = NULL, \
             recipient_enc = CASE WHEN status IN ('sent', 'dead') THEN NULL ELSE $1 END, \
             subject_enc = CASE WHEN status IN ('sent', 'dead') THEN NULL ELSE $2 END, \
             body_enc = CASE WHEN status IN ('sent', 'dead') THEN NULL ELSE $3 END, \
             payload_enc = CASE WHEN status IN ('sent', 'dead') THEN NULL ELSE $4 END WHERE id = $5",
        )
        .bind(seal("recipient", &m.recipient))
        .bind(seal("subject", &m.subject))
        .bind(seal("body", &m.body))
        .bind(m.payload.as_deref().map(|p| seal("payload", p)))
        .bind(m.id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Row counts per status within `scope`, for `/metrics` (the chain) and the console.
    pub async fn outbox_counts(&self, scope: Scope) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT status, COUNT(*) FROM outbox WHERE ($1 IS NULL OR store_id = $1) \
             GROUP BY status ORDER BY status",
        )
        .bind(scope.store_filter())
        .fetch_all(self.pool())
        .await?)
    }
}

async fn insert_attempt(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    outcome: &str,
    error: Option<&str>,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO outbox_attempts (outbox_id, at_ms, outcome, error) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(ms(now))
    .bind(outcome)
    .bind(error)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
