//! The shape every audited change has: open a write transaction, make the change (a
//! conditional update that may find nothing), append the audit row, commit. `AuditedTx`
//! holds the actor and the time from the start, and its `commit` takes the event, so an
//! audited change cannot be committed without its audit row, nor the row written with
//! another actor or time than the change. `found` turns "the conditional update changed no
//! row" into `NotFound`.

use crate::db::WriteTx;
use crate::{Db, StoreError, audit};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};
use sqlx::AnyConnection;
use std::ops::{Deref, DerefMut};

/// A write transaction that ends with one audit row (see the module). It derefs to the
/// connection, so statements run on `&mut *tx` as on a plain transaction. Dropped without
/// `commit`, it rolls back.
pub(crate) struct AuditedTx<'a> {
    tx: WriteTx,
    actor: &'a Actor,
    now: Timestamp,
}

impl Db {
    /// Opens an audited change made by `actor` at `now`.
    pub(crate) async fn begin_audited<'a>(
        &self,
        actor: &'a Actor,
        now: Timestamp,
    ) -> Result<AuditedTx<'a>, StoreError> {
        Ok(AuditedTx {
            tx: self.begin_write().await?,
            actor,
            now,
        })
    }
}

impl AuditedTx<'_> {
    /// Appends `event` and commits the change with it.
    pub(crate) async fn commit(mut self, event: &AuditEvent) -> Result<(), StoreError> {
        audit::append(&mut self.tx, self.actor, event, self.now).await?;
        self.tx.commit().await?;
        Ok(())
    }

    /// Commits with no audit row: for a change that turned out to change nothing (another
    /// request got there first), where the caller answers "nothing to do".
    pub(crate) async fn commit_unchanged(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Deref for AuditedTx<'_> {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for AuditedTx<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// `NotFound` when a conditional update or delete changed no row (the id is unknown, out of
/// the caller's scope, or no longer in the state the change starts from).
pub(crate) fn found(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
