//! Stores (门店): create, rename, move time zone, close and reopen. Closing keeps the record and
//! its history; a closed store's till keys stop working.

use crate::audited::found;
use crate::decode::{Code, Millis, codes};
use crate::{Db, Scope, StoreError, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};
use patron_domain::store::{StoreCode, StoreName, StoreStatus, TimeZoneName};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoreRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub timezone: String,
    #[sqlx(try_from = "Code")]
    pub status: StoreStatus,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
    /// Service hours (`mon-sun 09:00-18:00; holidays closed`); `None`: the default.
    pub opening_hours: Option<String>,
}

/// A store's details as edited.
#[derive(Debug, Clone, Copy)]
pub struct StoreEdit<'a> {
    pub name: &'a StoreName,
    pub tz: &'a TimeZoneName,
    /// Checked and normalised by the caller; `None` for the default hours.
    pub opening_hours: Option<&'a str>,
}

codes! {
    StoreStatus, "stores.status", StoreStatus::parse;
}

const COLUMNS: &str = "id, code, name, timezone, status, created_at, updated_at, opening_hours";

impl Db {
    /// Sets a store's service hours (checked by the caller); `None` for the default.
    pub async fn set_opening_hours(
        &self,
        store_id: i64,
        hours: Option<&str>,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE stores SET opening_hours = $1, updated_at = $2 WHERE id = $3")
                .bind(hours)
                .bind(crate::db::ms(now))
                .bind(store_id)
                .execute(self.pool())
                .await?;
        found(done.rows_affected())?;
        self.directory_changed();
        Ok(())
    }

    pub async fn create_store(
        &self,
        actor: &Actor,
        scope: Scope,
        code: &StoreCode,
        name: &StoreName,
        tz: &TimeZoneName,
        now: Timestamp,
    ) -> Result<StoreRow, StoreError> {
        scope.chain_wide()?;
        let mut tx = self.begin_audited(actor, now).await?;
        let row: StoreRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO stores (code, name, timezone, status, created_at, updated_at) \
             VALUES ($1, $2, $3, 'open', $4, $4) RETURNING {COLUMNS}"
        )))
        .bind(code.as_str())
        .bind(name.as_str())
        .bind(tz.as_str())
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit(&AuditEvent::ok("store.create", "store", row.id).with_detail(&row.code))
            .await?;
        self.directory_changed();
        Ok(row)
    }

    pub async fn update_store(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        edit: &StoreEdit<'_>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let n = sqlx::query(
            "UPDATE stores SET name = $1, timezone = $2, updated_at = $3, opening_hours = $6 \
             WHERE id = $4 AND ($5 IS NULL OR id = $5)",
        )
        .bind(edit.name.as_str())
        .bind(edit.tz.as_str())
        .bind(ms(now))
        .bind(id)
        .bind(scope.store_filter())
        .bind(edit.opening_hours)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        found(n)?;
        tx.commit(&AuditEvent::ok("store.update", "store", id))
            .await?;
        self.directory_changed();
        Ok(())
    }

    /// Opens or closes a store.
    pub async fn set_store_status(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        status: StoreStatus,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let n = sqlx::query(
            "UPDATE stores SET status = $1, updated_at = $2 WHERE id = $3 AND ($4 IS NULL OR id = $4)",
        )
        .bind(status.code())
        .bind(ms(now))
        .bind(id)
        .bind(scope.store_filter())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        found(n)?;
        let action = if status == StoreStatus::Closed {
            "store.close"
        } else {
            "store.reopen"
        };
        tx.commit(&AuditEvent::ok(action, "store", id)).await?;
        self.directory_changed();
        Ok(())
    }

    pub async fn list_stores(&self, scope: Scope) -> Result<Vec<StoreRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM stores WHERE ($1 IS NULL OR id = $1) ORDER BY code"
        )))
        .bind(scope.store_filter())
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn get_store(&self, scope: Scope, id: i64) -> Result<StoreRow, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM stores WHERE id = $1 AND ($2 IS NULL OR id = $2)"
        )))
        .bind(id)
        .bind(scope.store_filter())
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn store_by_code(&self, code: &StoreCode) -> Result<StoreRow, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM stores WHERE code = $1"
        )))
        .bind(code.as_str())
        .fetch_one(self.pool())
        .await?)
    }
}
