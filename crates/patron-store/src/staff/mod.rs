//! Staff accounts (员工): creation, role and store assignment, passwords, TOTP, disabling.
//! Disabling deletes the account's sessions and revokes its personal tokens in the same
//! transaction, so a disabled account loses access at once (and re-enabling revives nothing).

pub mod day_totals;
pub mod links;
pub mod roles;

use crate::audited::found;
use crate::decode::{Code, Flag, Millis, OptMillis, codes};
use crate::{Db, Scope, StoreError, ms};
use jiff::Timestamp;
use patron_domain::Role;
use patron_domain::audit::{Actor, AuditEvent};
use patron_domain::staff::StaffStatus;

/// A staff row. Deliberately not `Debug`: it carries the password hash and TOTP secret.
#[derive(Clone, sqlx::FromRow)]
pub struct StaffRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    #[sqlx(try_from = "Code")]
    pub role: Role,
    pub store_id: Option<i64>,
    pub password_hash: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub must_change_password: bool,
    pub totp_secret: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub totp_enabled: bool,
    pub totp_last_step: Option<i64>,
    #[sqlx(try_from = "Code")]
    pub status: StaffStatus,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
    #[sqlx(try_from = "OptMillis")]
    pub last_login_at: Option<Timestamp>,
}

codes! {
    Role, "staff.role", Role::parse;
    StaffStatus, "staff.status", StaffStatus::parse;
}

pub(crate) const STAFF_COLUMNS: &str = "id, username, display_name, email, role, store_id, password_hash, \
    must_change_password, totp_secret, totp_enabled, totp_last_step, status, created_at, updated_at, last_login_at";

/// What the caller has already validated for a new account.
pub struct NewStaff<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub role: Role,
    pub store_id: Option<i64>,
    pub password_hash: Option<&'a str>,
    pub must_change_password: bool,
    pub status: StaffStatus,
}

pub(crate) async fn insert_staff(
    conn: &mut sqlx::AnyConnection,
    s: &NewStaff<'_>,
    now: Timestamp,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO staff (username, display_name, email, role, store_id, password_hash, must_change_password, \
         totp_enabled, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $9) RETURNING id",
    )
    .bind(s.username)
    .bind(s.display_name)
    .bind(s.email)
    .bind(s.role.as_str())
    .bind(s.store_id)
    .bind(s.password_hash)
    .bind(i64::from(s.must_change_password))
    .bind(s.status.code())
    .bind(ms(now))
    .fetch_one(&mut *conn)
    .await?)
}

impl Db {
    /// Whether first-run set-up has been completed (an administrator was created).
    pub async fn setup_done(&self) -> Result<bool, StoreError> {
        let v: Option<String> =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'setup.done'")
                .fetch_optional(self.pool())
                .await?;
        Ok(v.is_some())
    }

    /// Creates the first administrator. The `setup.done` settings key is inserted in the same
    /// transaction; its primary key makes a second, concurrent set-up fail instead of creating
    /// a second "first" admin.
    pub async fn create_first_admin(
        &self,
        actor: &Actor,
        s: &NewStaff<'_>,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ('setup.done', '1', $1)")
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict { .. } => StoreError::Conflict {
                    constraint: "setup_done".into(),
                },
                other => other,
            })?;
        let id = insert_staff(&mut tx, s, now).await?;
        tx.commit(&AuditEvent::ok("setup.first_admin", "staff", id))
            .await?;
        self.directory_changed();
        Ok(id)
    }

    pub async fn create_staff(
        &self,
        actor: &Actor,
        s: &NewStaff<'_>,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let id = insert_staff(&mut tx, s, now).await?;
        tx.commit(&AuditEvent::ok("staff.create", "staff", id).with_detail(s.role.as_str()))
            .await?;
        self.directory_changed();
        Ok(id)
    }

    pub async fn staff_by_username(&self, username: &str) -> Result<Option<StaffRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE username = $1"
        )))
        .bind(username)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn get_staff(&self, scope: Scope, id: i64) -> Result<StaffRow, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1 AND ($2 IS NULL OR store_id = $2)"
        )))
        .bind(id)
        .bind(scope.store_filter())
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn list_staff(&self, scope: Scope) -> Result<Vec<StaffRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE ($1 IS NULL OR store_id = $1) ORDER BY username"
        )))
        .bind(scope.store_filter())
        .fetch_all(self.pool())
        .await?)
    }

    /// Changes name, e-mail, role and store. Scoped: a store manager can only touch staff of
    /// their own store, and the caller checks which roles they may hand out.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_staff(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        display_name: &str,
        email: Option<&str>,
        role: Role,
        store_id: Option<i64>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let n = sqlx::query(
            "UPDATE staff SET display_name = $1, email = $2, role = $3, store_id = $4, updated_at = $5 \
             WHERE id = $6 AND ($7 IS NULL OR store_id = $7)",
        )
        .bind(display_name)
        .bind(email)
        .bind(role.as_str())
        .bind(store_id)
        .bind(ms(now))
        .bind(id)
        .bind(scope.store_filter())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        found(n)?;
        // A new role or store changes what the sessions may see: make them log in again.
        sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit(&AuditEvent::ok("staff.update", "staff", id).with_detail(role.as_str()))
            .await?;
        self.directory_changed();
        Ok(())
    }

    /// Enables or disables an account. Disabling ends every session of the account in the same commit.
    pub async fn set_staff_status(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        status: StaffStatus,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let n = sqlx::query(
            "UPDATE staff SET status = $1, updated_at = $2 WHERE id = $3 AND ($4 IS NULL OR store_id = $4)",
        )
        .bind(status.code())
        .bind(ms(now))
        .bind(id)
        .bind(scope.store_filter())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        found(n)?;
        if status == StaffStatus::Disabled {
            sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            crate::security::credentials::revoke_tokens_of(&mut tx, id, now).await?;
        }
        let action = if status == StaffStatus::Disabled {
            "staff.disable"
        } else {
            "staff.enable"
        };
        tx.commit(&AuditEvent::ok(action, "staff", id)).await?;
        self.directory_changed();
        Ok(())
    }

    /// Sets a new password hash, ends the account's other sessions (`keep_session` is the id
    /// of the session that made the change, if any) and revokes its personal tokens.
    pub async fn set_password(
        &self,
        actor: &Actor,
        id: i64,
        hash: &str,
        must_change: bool,
        keep_session: Option<i64>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let n = sqlx::query("UPDATE staff SET password_hash = $1, must_change_password = $2, updated_at = $3 WHERE id = $4")
            .bind(hash)
            .bind(i64::from(must_change))
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        found(n)?;
        sqlx::query("DELETE FROM sessions WHERE staff_id = $1 AND ($2 IS NULL OR id <> $2)")
            .bind(id)
            .bind(keep_session)
            .execute(&mut *tx)
            .await?;
        crate::security::credentials::revoke_tokens_of(&mut tx, id, now).await?;
        tx.commit(&AuditEvent::ok("staff.password", "staff", id))
            .await?;
        Ok(())
    }

    /// Stores a TOTP secret (pending or confirmed) or clears it.
    pub async fn set_totp(
        &self,
        actor: &Actor,
        id: i64,
        secret: Option<&str>,
        enabled: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        sqlx::query("UPDATE staff SET totp_secret = $1, totp_enabled = $2, totp_last_step = NULL, updated_at = $3 WHERE id = $4")
            .bind(secret)
            .bind(i64::from(enabled))
            .bind(ms(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let action = match (secret.is_some(), enabled) {
            (true, true) => "staff.totp.enable",
            (true, false) => "staff.totp.begin",
            (false, _) => "staff.totp.disable",
        };
        tx.commit(&AuditEvent::ok(action, "staff", id)).await?;
        Ok(())
    }

    /// Marks a TOTP step as used. The conditional update makes a replayed code fail even when
    /// two logins race with it.
    pub async fn use_totp_step(&self, id: i64, step: i64) -> Result<bool, StoreError> {
        let n = sqlx::query("UPDATE staff SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)")
            .bind(step)
            .bind(id)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    pub async fn record_login(&self, id: i64, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE staff SET last_login_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

impl Db {
    pub async fn count_active_admins(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM staff WHERE role = 'admin' AND status = 'active'",
        )
        .fetch_one(self.pool())
        .await?)
    }
}

impl Db {
    /// How many values in the database are sealed with the key file. A missing key file may
    /// only be replaced by a new one while this is zero. Every encrypted column is counted.
    pub async fn count_sealed_values(&self) -> Result<i64, StoreError> {
        let totp: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM staff WHERE totp_secret IS NOT NULL")
                .fetch_one(self.pool())
                .await?;
        Ok(totp + self.count_sealed_customer_values().await?)
    }
}
