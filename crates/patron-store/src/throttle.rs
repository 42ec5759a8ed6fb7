//! Login throttling counters, kept in the database so several server instances share them.
//! A key is `user:<name>` or `ip:<address>`; after `max_failures` within `window`, the key is
//! locked for `lock_for`.

use crate::{Db, StoreError, ms};
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, Copy)]
pub struct ThrottleRule {
    pub max_failures: i64,
    pub window: SignedDuration,
    pub lock_for: SignedDuration,
}

impl Db {
    /// When the key is locked until, if it is locked now.
    pub async fn throttle_locked_until(
        &self,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<i64>, StoreError> {
        let until: Option<Option<i64>> =
            sqlx::query_scalar("SELECT locked_until FROM login_throttle WHERE scope_key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await?;
        Ok(until.flatten().filter(|u| *u > ms(now)))
    }

    /// Counts one failure; returns whether the key is now locked.
    pub async fn throttle_fail(
        &self,
        key: &str,
        rule: ThrottleRule,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let now_ms = ms(now);
        let window_start = now_ms - rule.window.as_millis() as i64;
        let mut tx = self.begin_write().await?;
        // One upsert: a failure outside the window starts a new count.
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO login_throttle (scope_key, failures, window_start, locked_until) VALUES ($1, 1, $2, NULL) \
             ON CONFLICT (scope_key) DO UPDATE SET \
             failures = CASE WHEN login_throttle.window_start < $3 THEN 1 ELSE login_throttle.failures + 1 END, \
             window_start = CASE WHEN login_throttle.window_start < $3 THEN $2 ELSE login_throttle.window_start END \
             RETURNING failures",
        )
        .bind(key)
        .bind(now_ms)
        .bind(window_start)
        .fetch_one(&mut *tx)
        .await?;
        let locked = failures >= rule.max_failures;
        if locked {
            sqlx::query("UPDATE login_throttle SET locked_until = $1, failures = 0, window_start = $2 WHERE scope_key = $3")
                .bind(now_ms + rule.lock_for.as_millis() as i64)
                .bind(now_ms)
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(locked)
    }

    pub async fn throttle_clear(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_throttle WHERE scope_key = $1")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
