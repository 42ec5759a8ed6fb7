//! The audit log's anchors outside the database. The chain is MAC'd with the audit key from
//! the key file; a checkpoint of its head, signed with the same key, is appended each day to
//! `audit-checkpoints/checkpoints.log` in the data folder (and e-mailed to the admins when
//! mail goes out by SMTP). Verification checks the keyed chain against those checkpoints, so
//! rows cut off the end with the head set back to match are found too.

use crate::i18n::both;
use crate::keyring::Keyring;
use crate::{App, AppError, Config, datadir};
use jiff::Timestamp;
use patron_domain::audit::AuditKey;
use patron_domain::audit::ChainBreak;
use patron_domain::audit::checkpoint::{Checkpoint, CheckpointKind, in_force};
use patron_domain::staff::StaffStatus;
use patron_store::Db;
use patron_store::audit::KeyBinding;
pub use patron_store::audit::{AuditFilter, AuditRow};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const CHECKPOINT_DIR: &str = "audit-checkpoints";

pub fn checkpoint_file(data_dir: &Path) -> PathBuf {
    data_dir.join(CHECKPOINT_DIR).join("checkpoints.log")
}

/// Keys the audit log with the key file's audit key (the first time a database meets it),
/// and refuses a database whose log was keyed with another: this process could neither
/// verify nor extend it.
pub async fn bind_key(db: &Db, keys: &Keyring) -> Result<(), AppError> {
    let key = keys.audit_key();
    match db.bind_audit_key(&key).await? {
        KeyBinding::Bound => Ok(()),
        KeyBinding::Keyed { keyed_from } => {
            if keyed_from > 1 {
                tracing::info!(
                    keyed_from,
                    "audit log keyed from this record on; the ones before it keep their plain hashes"
                );
            }
            Ok(())
        }
        KeyBinding::OtherKey(id) => Err(AppError::Unsupported(format!(
            "the audit log was written with audit key {id}, but the key file holds key {}: \
             start Patron with the key file this database was written with",
            key.id()
        ))),
    }
}

/// The checkpoints as written, in order; the first line that does not read or is not signed
/// with `key` is the break.
pub fn read_checkpoints(
    data_dir: &Path,
    key: &AuditKey,
) -> Result<Result<Vec<Checkpoint>, ChainBreak>, AppError> {
    let path = checkpoint_file(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ok(Vec::new())),
        Err(e) => return Err(io(&path, e)),
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match Checkpoint::parse(line, key) {
            Some(c) => out.push(c),
            None => return Ok(Err(ChainBreak::BadCheckpoint { line: i + 1 })),
        }
    }
    Ok(Ok(out))
}

/// Appends one line to the checkpoint file (created owner-only) and makes it durable.
pub fn append_checkpoint(data_dir: &Path, key: &AuditKey, c: &Checkpoint) -> Result<(), AppError> {
    let path = checkpoint_file(data_dir);
    if let Some(dir) = path.parent() {
        datadir::ensure(dir).map_err(|e| AppError::Internal(e.to_string()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&path).map_err(|e| io(&path, e))?;
    // One write per line: an append of a few hundred bytes lands whole.
    f.write_all(format!("{}\n", c.line(key)).as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| io(&path, e))
}

/// After a backup replaced the database: records the restored log's head as a `restore`
/// checkpoint, which retires the earlier checkpoints that saw the log go further.
pub fn record_restore(
    config: &Config,
    keys: &Keyring,
    head: (i64, String),
    now: Timestamp,
) -> Result<(), AppError> {
    let c = Checkpoint {
        kind: CheckpointKind::Restore,
        seq: head.0,
        hash: head.1,
        at_ms: now.as_millisecond(),
    };
    append_checkpoint(&config.data_dir, &keys.audit_key(), &c)
}

fn io(path: &Path, e: std::io::Error) -> AppError {
    AppError::Internal(format!("{}: {e}", path.display()))
}

impl App {
    /// Checks the keyed chain and the checkpoints in force. The outer error is a failure to
    /// read; the inner one names the first bad row, the missing tail, or the bad checkpoint.
    pub async fn verify_audit(&self) -> Result<Result<i64, ChainBreak>, AppError> {
        let key = self.keys.audit_key();
        // Read before the database's head: a checkpoint written meanwhile is then never
        // ahead of the head the walk ends at.
        let checkpoints = match read_checkpoints(&self.config.data_dir, &key)? {
            Ok(c) => in_force(c),
            Err(b) => return Ok(Err(b)),
        };
        Ok(self.db.verify_audit(&key, checkpoints).await?)
    }

    /// Writes a checkpoint of the log's head now; e-mails it to the active admins who have
    /// an address when mail goes out by SMTP (the file transport would only put it back in
    /// the data folder). Returns it and the number of e-mails queued.
    pub async fn write_audit_checkpoint(
        &self,
        kind: CheckpointKind,
        now: Timestamp,
    ) -> Result<(Checkpoint, usize), AppError> {
        let key = self.keys.audit_key();
        let (seq, hash) = self.db.audit_end().await?;
        let c = Checkpoint {
            kind,
            seq,
            hash,
            at_ms: now.as_millisecond(),
        };
        append_checkpoint(&self.config.data_dir, &key, &c)?;
        let mut mailed = 0;
        if self.config.mail.transport == "smtp" {
            let line = c.line(&key);
            // In both languages, like the other mail about the installation itself.
            let body = format!(
                "{}\n\n{line}\n\n{}: {seq}\n",
                both("mail.checkpoint_intro", "\n", &[]),
                both("mail.checkpoint_records", " / ", &[]),
            );
            let staff = self.db.list_staff(patron_store::Scope::Chain).await?;
            for s in staff
                .iter()
                .filter(|s| s.status == StaffStatus::Active && s.role == patron_domain::Role::Admin)
            {
                let Some(email) = s.email.as_deref().filter(|e| !e.trim().is_empty()) else {
                    continue;
                };
                let subject = both("mail.checkpoint_subject", " / ", &[]);
                let message = patron_store::messages::outbox::NewMessage {
                    staff_id: Some(s.id),
                    ..self.staff_mail(email, "audit_checkpoint", &subject, &body)
                };
                self.db.enqueue_message(&message, now).await?;
                mailed += 1;
            }
        }
        Ok((c, mailed))
    }
}

impl App {
    /// The audit log as the filter asks, within the caller's scope.
    pub async fn audit_log(
        &self,
        scope: patron_domain::Scope,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditRow>, AppError> {
        Ok(self.db.list_audit(scope, filter).await?)
    }

    /// Appends one event to the audit log, now.
    pub async fn record_audit(
        &self,
        actor: &patron_domain::Actor,
        event: &patron_domain::AuditEvent,
    ) -> Result<i64, AppError> {
        Ok(self.db.record_audit(actor, event, self.now()).await?)
    }
}
