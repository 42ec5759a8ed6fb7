//! Server-side sessions. The cookie holds a random token; the database holds only its hash,
//! so a leaked database cannot be replayed as cookies. People see their own live sessions and
//! can end them; staff managers can end anyone's.

use crate::decode::{Code, Millis};
use crate::{Db, StoreError, ms};
use jiff::Timestamp;
use patron_domain::Role;
use patron_domain::audit::{Actor, AuditEvent};
use patron_domain::staff::StaffStatus;

/// One live session of an account, as its owner sees it in the list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionSummary {
    pub id: i64,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub last_seen_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub expires_at: Timestamp,
}

/// A session joined with the account it belongs to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub session_id: i64,
    pub csrf_token: String,
    /// How far signing in got: the application's `Stage` reads the code (its enum lives
    /// there, and an unknown code falls back to the most limited stage).
    pub stage: String,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub last_seen_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub expires_at: Timestamp,
    pub staff_id: i64,
    pub username: String,
    pub display_name: String,
    #[sqlx(try_from = "Code")]
    pub role: Role,
    pub store_id: Option<i64>,
    #[sqlx(try_from = "Code")]
    pub status: StaffStatus,
}

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub staff_id: i64,
    pub csrf_token: &'a str,
    pub stage: &'a str,
    pub expires_at: Timestamp,
}

impl Db {
    pub async fn create_session(
        &self,
        s: &NewSession<'_>,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO sessions (token_hash, staff_id, csrf_token, stage, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id",
        )
        .bind(s.token_hash)
        .bind(s.staff_id)
        .bind(s.csrf_token)
        .bind(s.stage)
        .bind(ms(now))
        .bind(ms(s.expires_at))
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn session_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT s.id AS session_id, s.csrf_token, s.stage, s.created_at, s.last_seen_at, s.expires_at, \
             st.id AS staff_id, st.username, st.display_name, st.role, st.store_id, st.status \
             FROM sessions s JOIN staff st ON st.id = s.staff_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn touch_session(&self, id: i64, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn set_session_stage(&self, id: i64, stage: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET stage = $1 WHERE id = $2")
            .bind(stage)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The account's sessions that are still live: not past their absolute expiry and seen
    /// since `idle_cutoff`. Newest first.
    pub async fn list_sessions(
        &self,
        staff_id: i64,
        now: Timestamp,
        idle_cutoff: Timestamp,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, created_at, last_seen_at, expires_at FROM sessions \
             WHERE staff_id = $1 AND expires_at > $2 AND last_seen_at >= $3 ORDER BY id DESC",
        )
        .bind(staff_id)
        .bind(ms(now))
        .bind(ms(idle_cutoff))
        .fetch_all(self.pool())
        .await?)
    }

    /// Ends every session of an account but `keep` (the caller's own, when they end their
    /// other sessions), with an audit row; returns how many ended.
    pub async fn end_sessions(
        &self,
        actor: &Actor,
        staff_id: i64,
        keep: Option<i64>,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let n =
            sqlx::query("DELETE FROM sessions WHERE staff_id = $1 AND ($2 IS NULL OR id <> $2)")
                .bind(staff_id)
                .bind(keep)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit(&AuditEvent::ok("session.end", "staff", staff_id).with_detail(n.to_string()))
            .await?;
        Ok(n)
    }

    /// Removes sessions past their absolute expiry or idle since `idle_cutoff`.
    pub async fn delete_expired_sessions(
        &self,
        now: Timestamp,
        idle_cutoff: Timestamp,
    ) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
                .bind(ms(now))
                .bind(ms(idle_cutoff))
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}
