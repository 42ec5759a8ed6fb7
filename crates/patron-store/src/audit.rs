//! The append-only audit log. `append` runs inside the caller's transaction, so an audited
//! change and its audit row commit or vanish together. The one-row `audit_head` is updated
//! first: its row lock (PostgreSQL) or the write lock (SQLite) orders concurrent appends, which
//! is what keeps the sequence gapless and the chain linear.
//!
//! Rows are MAC'd with the audit key. The head names the key by its id, and `append` finds
//! the key among those this process registered (`register_key`, done when the key file is
//! loaded): so the many store functions that append within their own transactions need no key
//! parameter, and a database whose key this process does not hold gets no row at all.

use crate::{Db, Scope, StoreError, ms};
use jiff::Timestamp;
use patron_domain::audit::checkpoint::Checkpoint;
use patron_domain::audit::{
    Actor, AuditEvent, AuditKey, AuditRecord, ChainBreak, ChainVerifier, chain_mac, keyed_from_seal,
};
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};

/// The audit keys this process holds, by key id.
static KEYS: LazyLock<RwLock<HashMap<String, AuditKey>>> = LazyLock::new(Default::default);

/// Makes `key` available to `append` for every database whose head names it.
pub fn register_key(key: &AuditKey) {
    KEYS.write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key.id(), key.clone());
}

fn registered_key(id: &str) -> Option<AuditKey> {
    KEYS.read()
        .unwrap_or_else(|p| p.into_inner())
        .get(id)
        .cloned()
}

/// The head as stored: where the log ends, and from where (and with which key) it is keyed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
    pub key_id: Option<String>,
    pub keyed_from: Option<i64>,
    pub keyed_seal: Option<String>,
}

/// What binding a key to the log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyBinding {
    /// The log was already keyed with this key.
    Bound,
    /// The log is keyed from now on; rows before `keyed_from` keep their plain hashes.
    Keyed { keyed_from: i64 },
    /// The log is keyed with another key (its id); this process must not write to it.
    OtherKey(String),
}

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
    /// The fields the hash covers.
    pub fn record(&self) -> AuditRecord {
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
    let (seq, prev_hash, key_id): (i64, String, Option<String>) = sqlx::query_as(
        "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash, key_id",
    )
    .fetch_one(&mut *conn)
    .await?;
    let key = key_id.as_deref().and_then(registered_key).ok_or_else(|| {
        StoreError::Unsupported(format!(
            "the audit log is keyed with key {} but this process does not hold it; start Patron with the data folder's key file",
            key_id.as_deref().unwrap_or("(none yet)")
        ))
    })?;
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
    let hash = chain_mac(&key, &prev_hash, &record);
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

    /// The head: the log's last sequence number and hash, and how it is keyed.
    pub async fn audit_head(&self) -> Result<AuditHead, StoreError> {
        Ok(sqlx::query_as::<_, AuditHead>(
            "SELECT seq, hash, key_id, keyed_from, keyed_seal FROM audit_head WHERE id = 1",
        )
        .fetch_one(self.pool())
        .await?)
    }

    /// Where the log ends: its last sequence number and hash (any schema version, so a
    /// backup about to be restored can be read too).
    pub async fn audit_end(&self) -> Result<(i64, String), StoreError> {
        Ok(
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Keys the log with `key` if it is not keyed yet: rows appended from now on are MAC'd,
    /// those already there keep their plain hashes, and the head records (sealed) where the
    /// keyed part begins. Registers the key for `append` unless the log wants another.
    pub async fn bind_audit_key(&self, key: &AuditKey) -> Result<KeyBinding, StoreError> {
        let mut tx = self.begin_write().await?;
        // The head's row lock (write lock on SQLite) makes one of several starting servers
        // key the log; the others find it keyed.
        let head: AuditHead = sqlx::query_as(
            "UPDATE audit_head SET seq = seq WHERE id = 1 \
             RETURNING seq, hash, key_id, keyed_from, keyed_seal",
        )
        .fetch_one(&mut *tx)
        .await?;
        let binding = match head.key_id {
            Some(id) if id == key.id() => KeyBinding::Bound,
            Some(id) => KeyBinding::OtherKey(id),
            None => {
                let keyed_from = head.seq + 1;
                sqlx::query(
                    "UPDATE audit_head SET key_id = $1, keyed_from = $2, keyed_seal = $3 WHERE id = 1",
                )
                .bind(key.id())
                .bind(keyed_from)
                .bind(keyed_from_seal(key, keyed_from))
                .execute(&mut *tx)
                .await?;
                KeyBinding::Keyed { keyed_from }
            }
        };
        tx.commit().await?;
        if !matches!(binding, KeyBinding::OtherKey(_)) {
            register_key(key);
        }
        Ok(binding)
    }

    /// Walks the whole chain in sequence order, a page at a time, checking plain hashes
    /// before the keyed-from mark, MACs under `key` from it on, and the `checkpoints` in
    /// force. The outer error is a database failure; the inner one names the first bad row.
    pub async fn verify_audit(
        &self,
        key: &AuditKey,
        checkpoints: Vec<Checkpoint>,
    ) -> Result<Result<i64, ChainBreak>, StoreError> {
        let head = self.audit_head().await?;
        let keyed_from = match (head.keyed_from, head.keyed_seal.as_deref()) {
            (Some(from), Some(seal)) if seal == keyed_from_seal(key, from) => from,
            _ => return Ok(Err(ChainBreak::HeadNotSigned)),
        };
        // Rows appended while the walk runs lie beyond the head read here and are left out
        // (a head commits with its row, so every row up to it is there).
        let mut verifier = ChainVerifier::new(key, keyed_from, checkpoints);
        let mut after = 0_i64;
        loop {
            let page = sqlx::query_as::<_, AuditRow>(
                "SELECT seq, at_ms, actor_kind, actor_id, actor_name, role, store_id, action, target_kind, \
                 target_id, request_id, outcome, detail, prev_hash, hash FROM audit_log \
                 WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 1000",
            )
            .bind(after)
            .bind(head.seq)
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
        Ok(verifier.finish(head.seq, &head.hash))
    }
}
