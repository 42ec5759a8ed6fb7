//! Checkpoints of the audit log: the head (sequence number and hash) at a moment, signed with
//! the audit key and kept outside the database, one line each. A log cut short and given a
//! matching head in the database still disagrees with the last checkpoint that saw it longer.

use super::AuditKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointKind {
    /// Written by the daily job.
    Daily,
    /// Written on an operator's request (`patron audit checkpoint`).
    Manual,
    /// Written when a backup replaced the database: the log was set back on purpose, so the
    /// checkpoints before it that saw a longer log no longer apply.
    Restore,
}

impl CheckpointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckpointKind::Daily => "daily",
            CheckpointKind::Manual => "manual",
            CheckpointKind::Restore => "restore",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "daily" => Some(CheckpointKind::Daily),
            "manual" => Some(CheckpointKind::Manual),
            "restore" => Some(CheckpointKind::Restore),
            _ => None,
        }
    }
}

/// The head of the log at `at_ms`: `seq` records (the sequence is gapless from 1, so it is
/// also the count), the last with hash `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub kind: CheckpointKind,
    pub seq: i64,
    pub hash: String,
    pub at_ms: i64,
}

const VERSION: &str = "v1";

impl Checkpoint {
    fn mac(&self, key: &AuditKey) -> String {
        key.sign(
            format!(
                "patron audit checkpoint;{VERSION};{};{};{};{}",
                self.kind.as_str(),
                self.seq,
                self.hash,
                self.at_ms
            )
            .as_bytes(),
        )
    }

    /// One line of the checkpoint file (without the newline), readable by a person:
    /// `v1 daily seq=42 hash=… at=2026-11-23T20:00:00Z mac=…`.
    pub fn line(&self, key: &AuditKey) -> String {
        let at = jiff::Timestamp::from_millisecond(self.at_ms)
            .map(|t| t.to_string())
            .unwrap_or_default();
        format!(
            "{VERSION} {} seq={} hash={} at={at} mac={}",
            self.kind.as_str(),
            self.seq,
            self.hash,
            self.mac(key)
        )
    }

    /// Reads a line that `line` wrote with the same key; `None` if it does not read or its
    /// signature does not match (edited, or written with another key).
    pub fn parse(line: &str, key: &AuditKey) -> Option<Checkpoint> {
        let mut parts = line.split_whitespace();
        if parts.next()? != VERSION {
            return None;
        }
        let kind = CheckpointKind::parse(parts.next()?)?;
        let mut value = |name: &str| {
            parts
                .next()
                .and_then(|p| p.strip_prefix(name))
                .and_then(|p| p.strip_prefix('='))
                .map(str::to_string)
        };
        let seq = value("seq")?.parse().ok()?;
        let hash = value("hash")?;
        let at: jiff::Timestamp = value("at")?.parse().ok()?;
        let mac = value("mac")?;
        if parts.next().is_some() {
            return None;
        }
        let c = Checkpoint {
            kind,
            seq,
            hash,
            at_ms: at.as_millisecond(),
        };
        (c.mac(key) == mac).then_some(c)
    }
}

/// The checkpoints that still bind the log, from all of them in the order they were written:
/// a restore line sets the log back to its own head, so earlier checkpoints beyond it no
/// longer apply (those at or before it still do: the restored log contains those rows).
pub fn in_force(written: Vec<Checkpoint>) -> Vec<Checkpoint> {
    let mut kept: Vec<Checkpoint> = Vec::new();
    for c in written {
        if c.kind == CheckpointKind::Restore {
            kept.retain(|k| k.seq <= c.seq);
        }
        kept.push(c);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(kind: CheckpointKind, seq: i64) -> Checkpoint {
        Checkpoint {
            kind,
            seq,
            hash: format!("{seq:064x}"),
            at_ms: 1_795_000_000_000 + seq,
        }
    }

    #[test]
    fn lines_read_back_only_unchanged_and_with_the_same_key() {
        let key = AuditKey::from_bytes([3; 32]);
        let c = cp(CheckpointKind::Daily, 42);
        let line = c.line(&key);
        assert!(line.starts_with("v1 daily seq=42 hash="), "{line}");
        assert_eq!(Checkpoint::parse(&line, &key), Some(c));
        assert_eq!(
            Checkpoint::parse(&line, &AuditKey::from_bytes([4; 32])),
            None
        );
        assert_eq!(
            Checkpoint::parse(&line.replace("seq=42", "seq=41"), &key),
            None
        );
        assert_eq!(Checkpoint::parse("v1 daily seq=42", &key), None);
    }

    #[test]
    fn a_restore_retires_the_checkpoints_beyond_it() {
        use CheckpointKind::*;
        let kept = in_force(vec![
            cp(Daily, 5),
            cp(Daily, 9),
            cp(Restore, 6),
            cp(Daily, 8),
        ]);
        let seqs: Vec<i64> = kept.iter().map(|c| c.seq).collect();
        assert_eq!(seqs, vec![5, 6, 8]);
    }
}
