//! The audit log's hash chain. Each record's hash covers its own fields and the previous
//! record's hash, so editing, deleting or reordering any row breaks every hash after it;
//! the stored head (last sequence number and hash) catches a truncated tail.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit event as stored. `seq` is gapless, starting at 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
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
}

/// The hash of `record` chained after `prev_hash`, as lower-case hex.
pub fn chain_hash(prev_hash: &str, record: &AuditRecord) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields make the encoding unambiguous: no choice of field values can
    // produce the same byte stream as a different record.
    let mut field = |value: Option<&str>| match value {
        None => h.update(b"~;"),
        Some(v) => {
            h.update(v.len().to_string().as_bytes());
            h.update(b":");
            h.update(v.as_bytes());
            h.update(b";");
        }
    };
    field(Some(prev_hash));
    field(Some(&record.seq.to_string()));
    field(Some(&record.at_ms.to_string()));
    field(Some(&record.actor_kind));
    field(record.actor_id.map(|v| v.to_string()).as_deref());
    field(Some(&record.actor_name));
    field(record.role.as_deref());
    field(record.store_id.map(|v| v.to_string()).as_deref());
    field(Some(&record.action));
    field(record.target_kind.as_deref());
    field(record.target_id.as_deref());
    field(record.request_id.as_deref());
    field(Some(&record.outcome));
    field(Some(&record.detail));
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why verification stopped, and at which record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// A sequence number is missing or out of order before this one (a deleted or moved row).
    Gap { seq: i64, expected: i64 },
    /// The row's `prev_hash` is not the previous row's hash.
    PrevMismatch { seq: i64 },
    /// The row's contents do not match its hash (an edited row).
    HashMismatch { seq: i64 },
    /// The chain ends before the recorded head (rows deleted at the end).
    Truncated { last_seq: i64, head_seq: i64 },
}

impl ChainBreak {
    /// The sequence number of the first bad row.
    pub fn first_bad_seq(&self) -> i64 {
        match self {
            ChainBreak::Gap { seq, .. }
            | ChainBreak::PrevMismatch { seq }
            | ChainBreak::HashMismatch { seq } => *seq,
            ChainBreak::Truncated { last_seq, .. } => last_seq + 1,
        }
    }
}

/// Incremental verifier: feed rows in `seq` order, then `finish` with the stored head.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS.to_string(),
        }
    }
}

impl ChainVerifier {
    pub fn push(
        &mut self,
        record: &AuditRecord,
        prev_hash: &str,
        hash: &str,
    ) -> Result<(), ChainBreak> {
        if record.seq != self.expected_seq {
            return Err(ChainBreak::Gap {
                seq: record.seq,
                expected: self.expected_seq,
            });
        }
        if prev_hash != self.prev_hash {
            return Err(ChainBreak::PrevMismatch { seq: record.seq });
        }
        if chain_hash(prev_hash, record) != hash {
            return Err(ChainBreak::HashMismatch { seq: record.seq });
        }
        self.expected_seq += 1;
        self.prev_hash = hash.to_string();
        Ok(())
    }

    /// Checks that the chain reaches the head; returns the number of records verified.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let last_seq = self.expected_seq - 1;
        if last_seq != head_seq || (head_seq > 0 && head_hash != self.prev_hash) {
            return Err(ChainBreak::Truncated { last_seq, head_seq });
        }
        Ok(last_seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: i64, action: &str) -> AuditRecord {
        AuditRecord {
            seq,
            at_ms: 1_700_000_000_000 + seq,
            actor_kind: "staff".into(),
            actor_id: Some(7),
            actor_name: "li.na".into(),
            role: Some("admin".into()),
            store_id: None,
            action: action.into(),
            target_kind: Some("store".into()),
            target_id: Some(seq.to_string()),
            request_id: None,
            outcome: "ok".into(),
            detail: String::new(),
        }
    }

    fn chain(n: i64) -> Vec<(AuditRecord, String, String)> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|i| {
                let r = record(i, "store.create");
                let h = chain_hash(&prev, &r);
                let row = (r, prev.clone(), h.clone());
                prev = h;
                row
            })
            .collect()
    }

    fn verify(
        rows: &[(AuditRecord, String, String)],
        head: (i64, &str),
    ) -> Result<i64, ChainBreak> {
        let mut v = ChainVerifier::default();
        for (r, p, h) in rows {
            v.push(r, p, h)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let rows = chain(5);
        let head = rows[4].2.clone();
        assert_eq!(verify(&rows, (5, &head)), Ok(5));
        assert_eq!(verify(&[], (0, GENESIS)), Ok(0));
    }

    #[test]
    fn edits_deletions_reorders_and_truncation_are_caught_at_the_right_row() {
        let rows = chain(5);
        let head = rows[4].2.clone();

        let mut edited = rows.clone();
        edited[2].0.outcome = "denied".into();
        assert_eq!(
            verify(&edited, (5, &head)).map_err(|e| e.first_bad_seq()),
            Err(3)
        );

        let mut deleted = rows.clone();
        deleted.remove(1);
        assert_eq!(
            verify(&deleted, (5, &head)).map_err(|e| e.first_bad_seq()),
            Err(3)
        );

        let mut swapped = rows.clone();
        swapped.swap(1, 3);
        assert_eq!(
            verify(&swapped, (5, &head)).map_err(|e| e.first_bad_seq()),
            Err(4)
        );

        let truncated = &rows[..4];
        assert_eq!(
            verify(truncated, (5, &head)).map_err(|e| e.first_bad_seq()),
            Err(5)
        );
    }

    #[test]
    fn none_and_empty_are_different() {
        let mut a = record(1, "x");
        let mut b = record(1, "x");
        a.target_id = None;
        b.target_id = Some(String::new());
        assert_ne!(chain_hash(GENESIS, &a), chain_hash(GENESIS, &b));
    }
}

/// Who performed an action, as recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    /// Staff id for staff, tokens and CLI users; API key id for tills.
    pub id: Option<i64>,
    pub name: String,
    pub role: Option<crate::Role>,
    pub store_id: Option<i64>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    Staff,
    ApiToken,
    ApiKey,
    Cli,
    System,
    Anonymous,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Staff => "staff",
            ActorKind::ApiToken => "api_token",
            ActorKind::ApiKey => "api_key",
            ActorKind::Cli => "cli",
            ActorKind::System => "system",
            ActorKind::Anonymous => "anonymous",
        }
    }
}

impl Actor {
    pub fn system(job: &str) -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
            name: job.to_string(),
            role: None,
            store_id: None,
            request_id: None,
        }
    }

    pub fn cli(operator: &str) -> Self {
        Self {
            kind: ActorKind::Cli,
            id: None,
            name: operator.to_string(),
            role: None,
            store_id: None,
            request_id: None,
        }
    }

    pub fn anonymous(request_id: Option<String>) -> Self {
        Self {
            kind: ActorKind::Anonymous,
            id: None,
            name: String::new(),
            role: None,
            store_id: None,
            request_id,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// What happened, to what. Personal data never goes into `detail`: ids and field names only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub outcome: Outcome,
    pub detail: String,
}

impl AuditEvent {
    pub fn ok(action: &str, target_kind: &str, target_id: impl ToString) -> Self {
        Self {
            action: action.to_string(),
            target_kind: Some(target_kind.to_string()),
            target_id: Some(target_id.to_string()),
            outcome: Outcome::Ok,
            detail: String::new(),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    pub fn with_outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }
}
