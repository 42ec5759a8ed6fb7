//! The audit log's hash chain. Each record's hash covers its own fields and the previous
//! record's hash, so editing, deleting or reordering any row breaks every hash after it.
//! The hash is an HMAC under the audit key (kept in the key file, never in the database), so
//! someone holding only the database cannot recompute it after an edit. Rows written before
//! the key existed keep their plain SHA-256 hashes: the head records, sealed with the key, the
//! sequence number from which the chain is keyed. Checkpoints written outside the database
//! (see `checkpoint`) catch a truncated tail that the head, being in the database, cannot.

pub mod checkpoint;

use checkpoint::Checkpoint;
use hmac::{Hmac, KeyInit, Mac};
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

/// The secret the chain and the checkpoints are authenticated with. Its `Debug` shows the
/// key's id only.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; 32]);

impl AuditKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("HMAC takes any key length")
    }

    /// HMAC-SHA256 of `message` under the key, as lower-case hex.
    pub(crate) fn sign(&self, message: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(message);
        hex(&mac.finalize().into_bytes())
    }

    /// A name for the key that tells nothing about it. The audit head records it, so that a
    /// process holding several keys (or the wrong key file) knows which one the chain needs.
    pub fn id(&self) -> String {
        self.sign(b"patron audit key id")[..16].to_string()
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({})", self.id())
    }
}

/// The bytes a record's hash covers, after the previous record's hash.
fn encode(prev_hash: &str, record: &AuditRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    // Length-prefixed fields make the encoding unambiguous: no choice of field values can
    // produce the same byte stream as a different record.
    let mut field = |value: Option<&str>| match value {
        None => out.extend_from_slice(b"~;"),
        Some(v) => {
            out.extend_from_slice(v.len().to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(v.as_bytes());
            out.push(b';');
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
    out
}

/// The unkeyed hash of `record` chained after `prev_hash`, as lower-case hex: how rows were
/// hashed before the audit key existed.
pub fn chain_hash(prev_hash: &str, record: &AuditRecord) -> String {
    hex(&Sha256::digest(encode(prev_hash, record)))
}

/// The keyed hash (HMAC-SHA256) of `record` chained after `prev_hash`, as lower-case hex.
pub fn chain_mac(key: &AuditKey, prev_hash: &str, record: &AuditRecord) -> String {
    key.sign(&encode(prev_hash, record))
}

/// The seal on the head's `keyed_from`: without the key, nobody can move the point where the
/// keyed chain begins (which would let them rewrite keyed rows with plain hashes).
pub fn keyed_from_seal(key: &AuditKey, keyed_from: i64) -> String {
    key.sign(format!("patron audit keyed from;{keyed_from}").as_bytes())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why verification stopped, and at which record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// A sequence number is missing or out of order before this one (a deleted or moved row).
    Gap { seq: i64, expected: i64 },
    /// The row's `prev_hash` is not the previous row's hash.
    PrevMismatch { seq: i64 },
    /// The row's contents do not match its hash (an edited row, or one re-hashed without
    /// the key).
    HashMismatch { seq: i64 },
    /// The chain ends before the recorded head (rows deleted at the end).
    Truncated { last_seq: i64, head_seq: i64 },
    /// The row's hash differs from the one a checkpoint recorded for it.
    CheckpointMismatch { seq: i64, at_ms: i64 },
    /// A checkpoint saw the log reach `checkpoint_seq`; the database ends at `last_seq`.
    MissingTail {
        last_seq: i64,
        checkpoint_seq: i64,
        at_ms: i64,
    },
    /// The head's keyed-from mark is not sealed with this key: the head was edited, or this
    /// is not the key file the log was written with.
    HeadNotSigned,
    /// A line of the checkpoint file does not read, or is not signed with this key.
    BadCheckpoint { line: usize },
}

impl ChainBreak {
    /// The sequence number of the first bad row, where one can be named.
    pub fn first_bad_seq(&self) -> Option<i64> {
        match self {
            ChainBreak::Gap { seq, .. }
            | ChainBreak::PrevMismatch { seq }
            | ChainBreak::HashMismatch { seq }
            | ChainBreak::CheckpointMismatch { seq, .. } => Some(*seq),
            ChainBreak::Truncated { last_seq, .. } | ChainBreak::MissingTail { last_seq, .. } => {
                Some(last_seq + 1)
            }
            ChainBreak::HeadNotSigned | ChainBreak::BadCheckpoint { .. } => None,
        }
    }
}

/// For operators (`patron audit verify`).
impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let when = |ms: &i64| {
            jiff::Timestamp::from_millisecond(*ms)
                .map(|t| t.to_string())
                .unwrap_or_else(|_| ms.to_string())
        };
        match self {
            ChainBreak::Gap { seq, expected } => write!(
                f,
                "first bad record is #{seq}: record #{expected} is missing or moved"
            ),
            ChainBreak::PrevMismatch { seq } => write!(
                f,
                "first bad record is #{seq}: it does not follow the record before it"
            ),
            ChainBreak::HashMismatch { seq } => write!(
                f,
                "first bad record is #{seq}: its contents do not match its keyed hash"
            ),
            ChainBreak::Truncated { last_seq, head_seq } => write!(
                f,
                "first bad record is #{}: the log ends at #{last_seq} but its head says #{head_seq}",
                last_seq + 1
            ),
            ChainBreak::CheckpointMismatch { seq, at_ms } => write!(
                f,
                "first bad record is #{seq}: it differs from the checkpoint of {}",
                when(at_ms)
            ),
            ChainBreak::MissingTail {
                last_seq,
                checkpoint_seq,
                at_ms,
            } => write!(
                f,
                "first bad record is #{}: records #{}..#{checkpoint_seq} are missing (the checkpoint of {} saw them; the log ends at #{last_seq})",
                last_seq + 1,
                last_seq + 1,
                when(at_ms)
            ),
            ChainBreak::HeadNotSigned => write!(
                f,
                "the audit head is not signed with this key (the head was edited, or this is not the key file the log was written with)"
            ),
            ChainBreak::BadCheckpoint { line } => write!(
                f,
                "line {line} of the checkpoint file does not read or is not signed with this key"
            ),
        }
    }
}

/// Incremental verifier: feed rows in `seq` order, then `finish` with the stored head.
/// Rows before `keyed_from` carry plain hashes (written before the key existed); the first
/// keyed row's MAC covers its `prev_hash`, so it seals every row before it too.
#[derive(Debug)]
pub struct ChainVerifier<'k> {
    key: &'k AuditKey,
    keyed_from: i64,
    expected_seq: i64,
    prev_hash: String,
    /// Checkpoints in force, by sequence number; `next` is the first not yet reached.
    checkpoints: Vec<Checkpoint>,
    next: usize,
}

impl<'k> ChainVerifier<'k> {
    pub fn new(key: &'k AuditKey, keyed_from: i64, mut checkpoints: Vec<Checkpoint>) -> Self {
        checkpoints.sort_by_key(|c| c.seq);
        // A checkpoint of an empty log says nothing a row could contradict.
        checkpoints.retain(|c| c.seq > 0);
        Self {
            key,
            keyed_from,
            expected_seq: 1,
            prev_hash: GENESIS.to_string(),
            checkpoints,
            next: 0,
        }
    }

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
        let expected = if record.seq < self.keyed_from {
            chain_hash(prev_hash, record)
        } else {
            chain_mac(self.key, prev_hash, record)
        };
        if expected != hash {
            return Err(ChainBreak::HashMismatch { seq: record.seq });
        }
        while let Some(c) = self.checkpoints.get(self.next)
            && c.seq == record.seq
        {
            if c.hash != hash {
                return Err(ChainBreak::CheckpointMismatch {
                    seq: record.seq,
                    at_ms: c.at_ms,
                });
            }
            self.next += 1;
        }
        self.expected_seq += 1;
        self.prev_hash = hash.to_string();
        Ok(())
    }

    /// Checks that the chain reaches the head and every checkpoint; returns the number of
    /// records verified.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let last_seq = self.expected_seq - 1;
        if last_seq != head_seq || (head_seq > 0 && head_hash != self.prev_hash) {
            return Err(ChainBreak::Truncated { last_seq, head_seq });
        }
        let beyond = self.checkpoints[self.next..].iter().max_by_key(|c| c.seq);
        if let Some(c) = beyond {
            return Err(ChainBreak::MissingTail {
                last_seq,
                checkpoint_seq: c.seq,
                at_ms: c.at_ms,
            });
        }
        // The chain was keyed when the log held `keyed_from - 1` rows; it never shrinks.
        if last_seq < self.keyed_from - 1 {
            return Err(ChainBreak::Truncated {
                last_seq,
                head_seq: self.keyed_from - 1,
            });
        }
        Ok(last_seq)
    }
}

#[cfg(test)]
mod tests {
    use super::checkpoint::{Checkpoint, CheckpointKind};
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

    fn key(byte: u8) -> AuditKey {
        AuditKey::from_bytes([byte; 32])
    }

    type Row = (AuditRecord, String, String);

    /// `n` rows, plain hashes before `keyed_from`, keyed from there on.
    fn chain(n: i64, key: &AuditKey, keyed_from: i64) -> Vec<Row> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|i| {
                let r = record(i, "store.create");
                let h = if i < keyed_from {
                    chain_hash(&prev, &r)
                } else {
                    chain_mac(key, &prev, &r)
                };
                let row = (r, prev.clone(), h.clone());
                prev = h;
                row
            })
            .collect()
    }

    /// Recomputes the hashes from row `from` (1-based) on, as someone without the key would.
    fn rehash_from(rows: &mut [Row], from: usize, hash: impl Fn(&str, &AuditRecord) -> String) {
        for i in from - 1..rows.len() {
            let prev = if i == 0 {
                GENESIS.to_string()
            } else {
                rows[i - 1].2.clone()
            };
            rows[i].1 = prev.clone();
            rows[i].2 = hash(&prev, &rows[i].0);
        }
    }

    fn verify_with(
        rows: &[Row],
        key: &AuditKey,
        keyed_from: i64,
        checkpoints: Vec<Checkpoint>,
    ) -> Result<i64, ChainBreak> {
        let mut v = ChainVerifier::new(key, keyed_from, checkpoints);
        for (r, p, h) in rows {
            v.push(r, p, h)?;
        }
        let head = rows.last().map_or(GENESIS.to_string(), |r| r.2.clone());
        v.finish(rows.len() as i64, &head)
    }

    fn verify(rows: &[Row], head: (i64, &str)) -> Result<i64, ChainBreak> {
        let k = key(1);
        let mut v = ChainVerifier::new(&k, 1, Vec::new());
        for (r, p, h) in rows {
            v.push(r, p, h)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let rows = chain(5, &key(1), 1);
        let head = rows[4].2.clone();
        assert_eq!(verify(&rows, (5, &head)), Ok(5));
        assert_eq!(verify(&[], (0, GENESIS)), Ok(0));
        let legacy = chain(5, &key(1), 4);
        assert_eq!(verify_with(&legacy, &key(1), 4, Vec::new()), Ok(5));
    }

    #[test]
    fn edits_deletions_reorders_and_truncation_are_caught_at_the_right_row() {
        let rows = chain(5, &key(1), 1);
        let head = rows[4].2.clone();
        let first_bad = |r: Result<i64, ChainBreak>| r.map_err(|e| e.first_bad_seq());

        let mut edited = rows.clone();
        edited[2].0.outcome = "denied".into();
        assert_eq!(first_bad(verify(&edited, (5, &head))), Err(Some(3)));

        let mut deleted = rows.clone();
        deleted.remove(1);
        assert_eq!(first_bad(verify(&deleted, (5, &head))), Err(Some(3)));

        let mut swapped = rows.clone();
        swapped.swap(1, 3);
        assert_eq!(first_bad(verify(&swapped, (5, &head))), Err(Some(4)));

        let truncated = &rows[..4];
        assert_eq!(first_bad(verify(truncated, (5, &head))), Err(Some(5)));
    }

    #[test]
    fn a_chain_recomputed_without_the_key_is_caught_at_the_edited_row() {
        let k = key(1);
        let mut plain = chain(6, &k, 1);
        plain[3].0.detail = "changed".into();
        rehash_from(&mut plain, 4, chain_hash);
        assert_eq!(
            verify_with(&plain, &k, 1, Vec::new()),
            Err(ChainBreak::HashMismatch { seq: 4 })
        );
        let mut wrong_key = chain(6, &k, 1);
        wrong_key[3].0.detail = "changed".into();
        rehash_from(&mut wrong_key, 4, |p, r| chain_mac(&key(2), p, r));
        assert_eq!(
            verify_with(&wrong_key, &k, 1, Vec::new()),
            Err(ChainBreak::HashMismatch { seq: 4 })
        );
    }

    #[test]
    fn the_first_keyed_row_seals_the_plain_rows_before_it() {
        let k = key(1);
        let mut legacy = chain(6, &k, 4);
        legacy[1].0.detail = "changed".into();
        rehash_from(&mut legacy, 2, chain_hash);
        // Rows 2 and 3 re-hash cleanly without a key; row 4's MAC covers row 3's hash.
        assert_eq!(
            verify_with(&legacy, &k, 4, Vec::new()),
            Err(ChainBreak::HashMismatch { seq: 4 })
        );
        // Rows can no more vanish below the point where the chain was keyed than above.
        let short = chain(2, &k, 4);
        assert_eq!(
            verify_with(&short, &k, 4, Vec::new()).map_err(|e| e.first_bad_seq()),
            Err(Some(3))
        );
    }

    #[test]
    fn checkpoints_catch_a_missing_tail_and_a_different_head() {
        let k = key(1);
        let rows = chain(6, &k, 1);
        let at = |seq: i64, hash: &str| Checkpoint {
            kind: CheckpointKind::Daily,
            seq,
            hash: hash.to_string(),
            at_ms: 1_800_000_000_000 + seq,
        };
        let cps = vec![at(3, &rows[2].2), at(6, &rows[5].2)];
        assert_eq!(verify_with(&rows, &k, 1, cps.clone()), Ok(6));
        assert_eq!(
            verify_with(&rows[..4], &k, 1, cps.clone()),
            Err(ChainBreak::MissingTail {
                last_seq: 4,
                checkpoint_seq: 6,
                at_ms: 1_800_000_000_006
            })
        );
        let other = vec![at(3, &rows[1].2)];
        assert_eq!(
            verify_with(&rows, &k, 1, other),
            Err(ChainBreak::CheckpointMismatch {
                seq: 3,
                at_ms: 1_800_000_000_003
            })
        );
    }

    #[test]
    fn none_and_empty_are_different() {
        let mut a = record(1, "x");
        let mut b = record(1, "x");
        a.target_id = None;
        b.target_id = Some(String::new());
        assert_ne!(chain_hash(GENESIS, &a), chain_hash(GENESIS, &b));
        assert_ne!(
            chain_mac(&key(1), GENESIS, &a),
            chain_mac(&key(1), GENESIS, &b)
        );
    }

    #[test]
    fn the_key_id_and_debug_reveal_nothing() {
        let k = key(9);
        assert_eq!(k.id().len(), 16);
        assert_ne!(k.id(), key(8).id());
        assert!(!format!("{k:?}").contains("0909"));
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
