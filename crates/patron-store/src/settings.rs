//! Settings editable at run time (job schedules and the like), as key/value text. Values are
//! validated by the application layer before they reach this table.

use crate::{Db, StoreError, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};

impl Db {
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    pub async fn put_setting(
        &self,
        actor: &Actor,
        key: &str,
        value: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(key)
        .bind(value)
        .bind(ms(now))
        .bind(actor.id)
        .execute(&mut *tx)
        .await?;
        tx.commit(&AuditEvent::ok("settings.update", "setting", key).with_detail(value))
            .await?;
        Ok(())
    }
}
