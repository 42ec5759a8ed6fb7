//! The append-only audit log. `append` runs inside the caller's transaction, so an audited
//! change and its audit row commit or vanish together. The one-row `audit_head` is updated
//! first: its row lock (PostgreSQL) or the write lock (SQLite) orders concurrent appends, which
//! is what keeps the sequence gapless and the chain linear.

use crate::{Db, Scope, StoreError, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent, AuditRecord, ChainBreak, ChainVerifier, chain_hash};
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub seq: i64,
    pub at_ms: i64,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub role: Option<String>,
    pub store_id: Option<i64>,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub request_id: Option<String>,
    pub outcome: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    fn record(&self) -> AuditRecord {
        AuditRecord {
            seq: self.seq,
            at_ms: self.at_ms,
            actor_kind: self.actor_kind.clone(),
            actor_id: self.actor_id,
            actor_name: self.actor_name.clone(),
            role: self.role.clone(),
            store_id: self.store_id,
            action: self.action.clone(),
            target_kind: self.target_kind.clone(),
            target_id: self.target_id.clone(),
            request_id: self.request_id.clone(),
            outcome: self.outcome.clone(),
            detail: self.detail.clone(),
        }
    }
}

/// Appends one event within an open transaction and returns its sequence number.
pub async fn append(
    conn: &mut AnyConnection,
    actor: &Actor,
    event: &AuditEvent,
    at: Timestamp,
) -> Result<i64, StoreError> {
    let (seq, prev_hash): (i64, String) =
        sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *conn)
            .await?;
    let record = AuditRecord {
        seq,
        at_ms: ms(at),
        actor_kind: actor.kind.as_str().to_string(),
        actor_id: actor.id,
        actor_name: actor.name.clone(),
        role: actor.role.map(|r| r.as_str().to_string()),
        store_id: actor.store_id,
        action: event.action.clone(),
        target_kind: event.target_kind.clone(),
        target_id: event.target_id.clone(),
        request_id: actor.request_id.clone(),
        outcome: event.outcome.as_str().to_string(),
        detail: event.detail.clone(),
    };
    let hash = chain_hash(&prev_hash, &record);
    sqlx::query(
        "INSERT INTO audit_log (seq, at_ms, actor_kind, actor_id, actor_name, role, store_id, action, \
         target_kind, target_id, request_id, outcome, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(record.seq)
    .bind(record.at_ms)
    .bind(record.actor_kind)
    .bind(record.actor_id)
    .bind(record.actor_name)
    .bind(record.role)
    .bind(record.store_id)
    .bind(record.action)
    .bind(record.target_kind)
    .bind(record.target_id)
    .bind(record.request_id)
    .bind(record.outcome)
    .bind(record.detail)
    .bind(prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(hash)
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

/// Filters for the audit page and API. Empty strings mean "any".
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action_prefix: String,
    pub actor_name: String,
    pub outcome: String,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

impl Db {
    /// Records an event in its own transaction: reads of personal data and denied attempts,
    /// which change nothing else.
    pub async fn record_audit(
        &self,
        actor: &Actor,
        event: &AuditEvent,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let seq = append(&mut tx, actor, event, at).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Newest first. A store-bound viewer sees the events of their own store only.
    pub async fn list_audit(
        &self,
        scope: Scope,
        f: &AuditFilter,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let rows = sqlx::query_as::<_, AuditRow>(
            "SELECT seq, at_ms, actor_kind, actor_id, actor_name, role, store_id, action, target_kind, \
             target_id, request_id, outcome, detail, prev_hash, hash FROM audit_log \
             WHERE ($1 IS NULL OR store_id = $1) \
             AND ($2 = '' OR action LIKE $2 || '%') \
             AND ($3 = '' OR actor_name = $3) \
             AND ($4 = '' OR outcome = $4) \
             AND ($5 IS NULL OR at_ms >= $5) \
             AND ($6 IS NULL OR at_ms < $6) \
             ORDER BY seq DESC LIMIT $7 OFFSET $8",
        )
        .bind(scope.store_filter())
        .bind(&f.action_prefix)
        .bind(&f.actor_name)
        .bind(&f.outcome)
        .bind(f.from_ms)
        .bind(f.to_ms)
        .bind(f.limit.clamp(1, 500))
        .bind(f.offset.max(0))
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// Walks the whole chain in sequence order, a page at a time. The outer error is a
    /// database failure; the inner one names the first bad row.
    pub async fn verify_audit(&self) -> Result<Result<i64, ChainBreak>, StoreError> {
        let mut verifier = ChainVerifier::default();
        let mut after = 0_i64;
        loop {
            let page = sqlx::query_as::<_, AuditRow>(
                "SELECT seq, at_ms, actor_kind, actor_id, actor_name, role, store_id, action, target_kind, \
                 target_id, request_id, outcome, detail, prev_hash, hash FROM audit_log \
                 WHERE seq > $1 ORDER BY seq LIMIT 1000",
            )
            .bind(after)
            .fetch_all(self.pool())
            .await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for row in &page {
                if let Err(e) = verifier.push(&row.record(), &row.prev_hash, &row.hash) {
                    return Ok(Err(e));
                }
            }
        }
        let (head_seq, head_hash): (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(self.pool())
                .await?;
        Ok(verifier.finish(head_seq, &head_hash))
    }
}
