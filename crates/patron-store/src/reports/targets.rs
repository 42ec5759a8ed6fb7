//! Monthly sales targets by store (`sales_targets`): set (audited) and read for a range of
//! months. A target of 0 is kept as set; a month without a row has no target.

use crate::db::{ms, numbered};
use crate::{Db, StoreError};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};

/// One store's target for one month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Target {
    pub store_id: i64,
    /// `yyyymm`.
    pub month: i64,
    pub target_fen: i64,
}

impl Db {
    /// Sets (or replaces) a store's target for a month, with its audit row.
    pub async fn set_sales_target(
        &self,
        actor: &Actor,
        t: &Target,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        sqlx::query(
            "INSERT INTO sales_targets (store_id, month, target_fen, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (store_id, month) \
             DO UPDATE SET target_fen = excluded.target_fen, updated_at = excluded.updated_at",
        )
        .bind(t.store_id)
        .bind(t.month)
        .bind(t.target_fen)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        tx.commit(
            &AuditEvent::ok("report.target.set", "store", t.store_id)
                .with_detail(format!("month={} target_fen={}", t.month, t.target_fen)),
        )
        .await?;
        Ok(())
    }

    /// The targets of some stores (or all) for the months `from..=to`, by store and month.
    pub async fn sales_targets(
        &self,
        stores: Option<&[i64]>,
        from_month: i64,
        to_month: i64,
    ) -> Result<Vec<Target>, StoreError> {
        let mut sql = String::from(
            "SELECT store_id, month, target_fen FROM sales_targets WHERE month BETWEEN $1 AND $2",
        );
        if let Some(stores) = stores {
            if stores.is_empty() {
                return Ok(Vec::new());
            }
            sql.push_str(&format!(" AND store_id IN ({})", numbered(3, stores.len())));
        }
        sql.push_str(" ORDER BY store_id, month");
        let mut q = sqlx::query_as::<_, Target>(sqlx::AssertSqlSafe(sql))
            .bind(from_month)
            .bind(to_month);
        for s in stores.unwrap_or(&[]) {
            q = q.bind(*s);
        }
        Ok(q.fetch_all(self.pool()).await?)
    }
}
