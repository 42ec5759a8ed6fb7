//! Saved segments: named groups of list conditions shared by a store's staff (or the chain's).
//! The store keeps the definition only; members are found live through the customer list's
//! query, within the viewer's scope.

use crate::audited::found;
use crate::decode::Millis;
use crate::{Db, Scope, StoreError, ms};
use jiff::Timestamp;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SegmentRow {
    pub id: i64,
    /// `None`: the whole chain's.
    pub store_id: Option<i64>,
    pub name: String,
    /// JSON array of list query strings; a customer matching any one is in the segment.
    pub groups: String,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "id, store_id, name, groups, updated_at";

impl Db {
    /// Segments visible within `scope`: the chain's and, for a store, that store's.
    pub async fn segments(&self, scope: Scope) -> Result<Vec<SegmentRow>, StoreError> {
        let sql = match scope.store_filter() {
            Some(_) => format!(
                "SELECT {COLUMNS} FROM segments WHERE store_id IS NULL OR store_id = $1 ORDER BY name"
            ),
            None => format!("SELECT {COLUMNS} FROM segments WHERE $1 = $1 ORDER BY name"),
        };
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(scope.store_filter().unwrap_or(0))
            .fetch_all(self.pool())
            .await?)
    }

    /// One segment, when visible within `scope`.
    pub async fn segment(&self, scope: Scope, id: i64) -> Result<SegmentRow, StoreError> {
        self.segments(scope)
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// Creates a segment, or replaces the definition of the one with this id. The name is
    /// unique across the chain: `Conflict` when another segment has it.
    pub async fn save_segment(
        &self,
        id: Option<i64>,
        store_id: Option<i64>,
        name: &str,
        groups: &str,
        by: Option<i64>,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let clash: Option<i64> = sqlx::query_scalar("SELECT id FROM segments WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if clash.is_some_and(|c| Some(c) != id) {
            return Err(StoreError::Conflict {
                constraint: "uq_segments_name".into(),
            });
        }
        let id = match id {
            Some(id) => {
                let n = sqlx::query(
                    "UPDATE segments SET name = $1, groups = $2, store_id = $3, updated_at = $4 WHERE id = $5",
                )
                .bind(name)
                .bind(groups)
                .bind(store_id)
                .bind(ms(now))
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                found(n)?;
                id
            }
            None => sqlx::query_scalar(
                "INSERT INTO segments (store_id, name, groups, created_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(store_id)
            .bind(name)
            .bind(groups)
            .bind(by)
            .bind(ms(now))
            .fetch_one(&mut *tx)
            .await?,
        };
        tx.commit().await?;
        Ok(id)
    }

    /// Deletes a segment; refused (`Conflict`) while a playbook reaches it.
    pub async fn delete_segment(&self, id: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let used: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM winback_playbooks WHERE segment_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        if used > 0 {
            return Err(StoreError::Conflict {
                constraint: "fk_winback_playbooks_segment".into(),
            });
        }
        let n = sqlx::query("DELETE FROM segments WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        found(n)?;
        tx.commit().await?;
        Ok(())
    }
}
