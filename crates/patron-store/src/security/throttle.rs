//! Sign-in throttling counters, kept in the database so several server instances share them.
//! An attempt is reserved (counted as a failure) before its password or code is checked, in
//! one conditional upsert, so parallel guesses can never pass a key's limit; a right answer
//! then releases its reservation or clears the key.

use crate::{Db, StoreError, ms};
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterLock {
    /// When a lock ends, `max_failures` more attempts are allowed before the next lock.
    Restart,
    /// Once over the limit, every further attempt in the window locks the key again: a
    /// ceiling that spaces attempts out rather than shutting the door.
    Ceiling,
}

#[derive(Debug, Clone, Copy)]
pub struct ThrottleRule {
    pub max_failures: i64,
    pub window: SignedDuration,
    /// The first lock; each further lock of the key doubles it, up to `lock_cap`.
    pub lock_for: SignedDuration,
    pub lock_cap: SignedDuration,
    pub after_lock: AfterLock,
}

/// An attempt counted against a key before its secret was checked.
#[derive(Debug, Clone)]
pub struct Reservation {
    pub key: String,
    /// The lock this attempt set by reaching the limit (released with it if it succeeds).
    pub set_lock: Option<i64>,
}

#[derive(Debug)]
pub enum Reserved {
    Granted(Reservation),
    /// The key is locked until this epoch ms; nothing was counted.
    Locked(i64),
}

// Fragments of the reservation, as macros so the statement is one constant text.
// `$2` now, `$3` the window's start, `$4` the limit, `$5` the first lock, `$6` the cap,
// `$7` 1 when a lock's end restarts the count, `$8` the end of a quiet spell that forgets
// the back-off.
macro_rules! fresh {
    () => {
        "(login_throttle.window_start < $3 OR ($7 = 1 AND login_throttle.locked_until IS NOT NULL))"
    };
}
macro_rules! count {
    () => {
        concat!(
            "(CASE WHEN ",
            fresh!(),
            " THEN 1 ELSE login_throttle.failures + 1 END)"
        )
    };
}
macro_rules! lock {
    () => {
        "(CASE WHEN login_throttle.next_lock_ms < $5 OR login_throttle.window_start < $8 \
         THEN $5 ELSE login_throttle.next_lock_ms END)"
    };
}

const RESERVE: &str = concat!(
    "INSERT INTO login_throttle (scope_key, failures, window_start, locked_until, next_lock_ms, succeeded_at) \
     VALUES ($1, 1, $2, CASE WHEN 1 >= $4 THEN $2 + $5 ELSE NULL END, \
     CASE WHEN 1 >= $4 THEN (CASE WHEN $5 * 2 > $6 THEN $6 ELSE $5 * 2 END) ELSE $5 END, NULL) \
     ON CONFLICT (scope_key) DO UPDATE SET failures = ",
    count!(),
    ", window_start = CASE WHEN ",
    fresh!(),
    " THEN $2 ELSE login_throttle.window_start END, locked_until = CASE WHEN ",
    count!(),
    " >= $4 THEN $2 + ",
    lock!(),
    " ELSE NULL END, next_lock_ms = CASE WHEN ",
    count!(),
    " >= $4 THEN (CASE WHEN ",
    lock!(),
    " * 2 > $6 THEN $6 ELSE ",
    lock!(),
    " * 2 END) ELSE ",
    lock!(),
    " END WHERE login_throttle.locked_until IS NULL OR login_throttle.locked_until <= $2 \
     RETURNING failures, locked_until"
);

impl Db {
    /// Counts one attempt against `key` unless it is locked, in one statement: the upsert's
    /// condition is the lock, so concurrent callers are serialised by the row and at most
    /// `max_failures` of them get through per lock round. The attempt that reaches the limit
    /// sets the lock itself (and is still let through to be checked).
    pub async fn throttle_reserve(
        &self,
        key: &str,
        rule: ThrottleRule,
        now: Timestamp,
    ) -> Result<Reserved, StoreError> {
        let now_ms = ms(now);
        let window_ms = rule.window.as_millis() as i64;
        let lock_ms = rule.lock_for.as_millis() as i64;
        let cap_ms = (rule.lock_cap.as_millis() as i64).max(lock_ms);
        let restart = i64::from(rule.after_lock == AfterLock::Restart);
        // A ceiling forgets its back-off with its window; a lock after a quiet spell of a
        // window plus the longest lock.
        let quiet_before = match rule.after_lock {
            AfterLock::Restart => now_ms - window_ms - cap_ms,
            AfterLock::Ceiling => now_ms - window_ms,
        };
        let mut tx = self.begin_write().await?;
        let row: Option<(i64, Option<i64>)> = sqlx::query_as(RESERVE)
            .bind(key)
            .bind(now_ms)
            .bind(now_ms - window_ms)
            .bind(rule.max_failures)
            .bind(lock_ms)
            .bind(cap_ms)
            .bind(restart)
            .bind(quiet_before)
            .fetch_optional(&mut *tx)
            .await?;
        let reserved = match row {
            Some((_, set_lock)) => Reserved::Granted(Reservation {
                key: key.to_string(),
                set_lock,
            }),
            None => {
                let until: Option<i64> = sqlx::query_scalar(
                    "SELECT locked_until FROM login_throttle WHERE scope_key = $1",
                )
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
                Reserved::Locked(until.unwrap_or(now_ms))
            }
        };
        tx.commit().await?;
        Ok(reserved)
    }

    /// Gives back an attempt that turned out right (or was never checked): it no longer
    /// counts, and a lock it set is lifted.
    pub async fn throttle_release(&self, r: &Reservation) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE login_throttle SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END, \
             locked_until = CASE WHEN locked_until = $2 THEN NULL ELSE locked_until END \
             WHERE scope_key = $1",
        )
        .bind(&r.key)
        .bind(r.set_lock.unwrap_or(-1))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A right answer on `key`: its count and back-off start again, and the key is marked
    /// as one the account has signed in from.
    pub async fn throttle_succeed(&self, key: &str, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO login_throttle (scope_key, failures, window_start, locked_until, next_lock_ms, succeeded_at) \
             VALUES ($1, 0, $2, NULL, 0, $2) ON CONFLICT (scope_key) DO UPDATE SET \
             failures = 0, window_start = $2, locked_until = NULL, next_lock_ms = 0, succeeded_at = $2",
        )
        .bind(key)
        .bind(ms(now))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// When the last right answer on `key` was given, if ever.
    pub async fn throttle_succeeded_at(&self, key: &str) -> Result<Option<i64>, StoreError> {
        let at: Option<Option<i64>> =
            sqlx::query_scalar("SELECT succeeded_at FROM login_throttle WHERE scope_key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await?;
        Ok(at.flatten())
    }
}
