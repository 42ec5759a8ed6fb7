//! What happened to a customer over time: consent decisions (an append-only ledger plus the
//! latest state per purpose), owner changes, and interactions. The timeline merges them.

use crate::decode::{Flag, Millis};
use crate::{Db, Scope, StoreError, audit, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};
use sqlx::AnyConnection;

/// One consent decision to record.
#[derive(Debug, Clone)]
pub struct ConsentEvent {
    pub purpose: String,
    pub granted: bool,
    pub notice_version: String,
    pub channel: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsentRow {
    pub id: i64,
    pub customer_id: i64,
    pub purpose: String,
    #[sqlx(try_from = "Flag")]
    pub granted: bool,
    pub notice_version: String,
    pub channel: String,
    pub actor_name: String,
    #[sqlx(rename = "at_ms", try_from = "Millis")]
    pub at: Timestamp,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnerLogRow {
    pub id: i64,
    pub customer_id: i64,
    pub from_staff_id: Option<i64>,
    pub to_staff_id: Option<i64>,
    pub reason: String,
    pub actor_name: String,
    #[sqlx(rename = "at_ms", try_from = "Millis")]
    pub at: Timestamp,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InteractionRow {
    pub id: i64,
    pub customer_id: i64,
    pub store_id: i64,
    pub kind: String,
    pub channel: String,
    pub outcome: String,
    pub note_enc: Option<String>,
    pub staff_id: Option<i64>,
    pub actor_name: String,
    #[sqlx(rename = "at_ms", try_from = "Millis")]
    pub at: Timestamp,
}

/// One line of the timeline, newest first. `note_enc` is sealed for interactions.
#[derive(Debug, Clone)]
pub enum TimelineEntry {
    Interaction(InteractionRow),
    Consent(ConsentRow),
    Owner(OwnerLogRow),
}

impl TimelineEntry {
    pub fn at(&self) -> Timestamp {
        match self {
            TimelineEntry::Interaction(r) => r.at,
            TimelineEntry::Consent(r) => r.at,
            TimelineEntry::Owner(r) => r.at,
        }
    }
}

pub(crate) async fn record_consent(
    conn: &mut AnyConnection,
    customer_id: i64,
    e: &ConsentEvent,
    actor: &Actor,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO customer_consents (customer_id, purpose, granted, notice_version, channel, \
         actor_kind, actor_id, actor_name, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(customer_id)
    .bind(&e.purpose)
    .bind(i64::from(e.granted))
    .bind(&e.notice_version)
    .bind(&e.channel)
    .bind(actor.kind.as_str())
    .bind(actor.id)
    .bind(&actor.name)
    .bind(ms(now))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO customer_consent_state (customer_id, purpose, granted, at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (customer_id, purpose) \
         DO UPDATE SET granted = excluded.granted, at_ms = excluded.at_ms",
    )
    .bind(customer_id)
    .bind(&e.purpose)
    .bind(i64::from(e.granted))
    .bind(ms(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn log_owner(
    conn: &mut AnyConnection,
    customer_id: i64,
    from: Option<i64>,
    to: Option<i64>,
    reason: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO customer_owner_log (customer_id, from_staff_id, to_staff_id, reason, \
         actor_name, at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(customer_id)
    .bind(from)
    .bind(to)
    .bind(reason)
    .bind(&actor.name)
    .bind(ms(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Fails with `NotFound` unless the customer is active and within `scope`.
pub(crate) async fn check_visible(
    conn: &mut AnyConnection,
    scope: Scope,
    id: i64,
) -> Result<i64, StoreError> {
    let store: Option<i64> = sqlx::query_scalar(
        "SELECT store_id FROM customers WHERE id = $1 AND status = 'active' \
         AND ($2 IS NULL OR store_id = $2)",
    )
    .bind(id)
    .bind(scope.store_filter())
    .fetch_optional(&mut *conn)
    .await?;
    store.ok_or(StoreError::NotFound)
}

impl Db {
    /// Records consent decisions for one customer in one transaction, audited.
    pub async fn record_consents(
        &self,
        actor: &Actor,
        scope: Scope,
        customer_id: i64,
        events: &[ConsentEvent],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        check_visible(&mut tx, scope, customer_id).await?;
        for e in events {
            record_consent(&mut tx, customer_id, e, actor, now).await?;
            let action = if e.granted {
                "consent.grant"
            } else {
                "consent.withdraw"
            };
            audit::append(
                &mut tx,
                actor,
                &AuditEvent::ok(action, "customer", customer_id).with_detail(&e.purpose),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The latest decision per purpose: `(purpose, granted, at_ms)`.
    pub async fn consent_state(
        &self,
        customer_id: i64,
    ) -> Result<Vec<(String, bool, i64)>, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT purpose, granted, at_ms FROM customer_consent_state WHERE customer_id = $1",
        )
        .bind(customer_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(p, g, t)| (p, g == 1, t)).collect())
    }

    /// Sets the owner of several customers (assignment, or a handover when staff leave).
    /// Returns how many changed.
    pub async fn assign_owner(
        &self,
        actor: &Actor,
        scope: Scope,
        customer_ids: &[i64],
        to: Option<i64>,
        reason: &str,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let mut changed = 0;
        for id in customer_ids {
            let before: Option<Option<i64>> = sqlx::query_scalar(
                "SELECT owner_staff_id FROM customers WHERE id = $1 AND status = 'active' \
                 AND ($2 IS NULL OR store_id = $2)",
            )
            .bind(id)
            .bind(scope.store_filter())
            .fetch_optional(&mut *tx)
            .await?;
            let Some(before) = before else {
                return Err(StoreError::NotFound);
            };
            if before == to {
                continue;
            }
            sqlx::query("UPDATE customers SET owner_staff_id = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(to)
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
            log_owner(&mut tx, *id, before, to, reason, actor, now).await?;
            changed += 1;
        }
        tx.commit(
            &AuditEvent::ok("customer.owner", "staff", to.unwrap_or_default())
                .with_detail(format!("{changed} customers")),
        )
        .await?;
        Ok(changed)
    }

    /// Active customers a staff member owns, within scope (for handover).
    pub async fn customers_owned_by(
        &self,
        scope: Scope,
        staff_id: i64,
    ) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM customers WHERE owner_staff_id = $1 AND status = 'active' \
             AND ($2 IS NULL OR store_id = $2) ORDER BY id",
        )
        .bind(staff_id)
        .bind(scope.store_filter())
        .fetch_all(self.pool())
        .await?)
    }

    /// Adds an interaction; `row.id` comes from `allocate_ids("interactions", 1)` because the
    /// sealed note is bound to it.
    pub async fn add_interaction(
        &self,
        actor: &Actor,
        scope: Scope,
        row: &InteractionRow,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        insert_interaction_in(&mut tx, actor, scope, row, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest `limit` entries of a customer's timeline.
    pub async fn timeline(
        &self,
        customer_id: i64,
        limit: i64,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        let interactions: Vec<InteractionRow> = sqlx::query_as(
            "SELECT id, customer_id, store_id, kind, channel, outcome, note_enc, staff_id, \
             actor_name, at_ms FROM customer_interactions WHERE customer_id = $1 \
             ORDER BY at_ms DESC, id DESC LIMIT $2",
        )
        .bind(customer_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let consents = self.consent_events(customer_id, limit).await?;
        let owners = self.owner_log(customer_id, limit).await?;
        let mut all: Vec<TimelineEntry> = interactions
            .into_iter()
            .map(TimelineEntry::Interaction)
            .chain(consents.into_iter().map(TimelineEntry::Consent))
            .chain(owners.into_iter().map(TimelineEntry::Owner))
            .collect();
        all.sort_by_key(|e| std::cmp::Reverse(e.at()));
        all.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(all)
    }

    pub async fn consent_events(
        &self,
        customer_id: i64,
        limit: i64,
    ) -> Result<Vec<ConsentRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, customer_id, purpose, granted, notice_version, channel, actor_name, at_ms \
             FROM customer_consents WHERE customer_id = $1 ORDER BY at_ms DESC, id DESC LIMIT $2",
        )
        .bind(customer_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn owner_log(
        &self,
        customer_id: i64,
        limit: i64,
    ) -> Result<Vec<OwnerLogRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, customer_id, from_staff_id, to_staff_id, reason, actor_name, at_ms \
             FROM customer_owner_log WHERE customer_id = $1 ORDER BY at_ms DESC, id DESC LIMIT $2",
        )
        .bind(customer_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}

/// Writes an interaction (and its audit row) inside the caller's transaction, once the
/// customer is known to be within `scope`. Returns the customer's store.
pub(crate) async fn insert_interaction_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    scope: Scope,
    row: &InteractionRow,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let store_id = check_visible(conn, scope, row.customer_id).await?;
    sqlx::query(
        "INSERT INTO customer_interactions (id, customer_id, store_id, kind, channel, outcome, \
         note_enc, staff_id, actor_name, at_ms, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(row.id)
    .bind(row.customer_id)
    .bind(store_id)
    .bind(&row.kind)
    .bind(&row.channel)
    .bind(&row.outcome)
    .bind(&row.note_enc)
    .bind(row.staff_id)
    .bind(&actor.name)
    .bind(ms(row.at))
    .bind(ms(now))
    .execute(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        &AuditEvent::ok("customer.interaction", "customer", row.customer_id).with_detail(&row.kind),
        now,
    )
    .await?;
    Ok(store_id)
}
