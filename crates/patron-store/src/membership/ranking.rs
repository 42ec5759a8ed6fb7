//! The points leaderboard: members ranked by points earned over whole local months, per store
//! or chain-wide, leaving out members who opted out or left the programme.

use crate::{Db, StoreError, ms};
use jiff::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RankRow {
    pub customer_id: i64,
    pub name: String,
    pub store_id: i64,
    pub points: i64,
}

impl Db {
    /// Top members by points earned in months `from..=to` (`yyyymm`), optionally of one
    /// store (the member's home store).
    pub async fn leaderboard(
        &self,
        store_id: Option<i64>,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<RankRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT m.customer_id, c.name, c.store_id, \
             CAST(SUM(m.points_earned) AS BIGINT) AS points \
             FROM customer_months m JOIN customers c ON c.id = m.customer_id \
             LEFT JOIN memberships ms ON ms.customer_id = m.customer_id \
             WHERE m.month >= $1 AND m.month <= $2 AND c.status = 'active' \
             AND ($3 IS NULL OR c.store_id = $3) \
             AND COALESCE(ms.ranking_opt_out, 0) = 0 AND ms.ended_at_ms IS NULL \
             GROUP BY m.customer_id, c.name, c.store_id \
             HAVING SUM(m.points_earned) > 0 \
             ORDER BY points DESC, m.customer_id LIMIT $4",
        )
        .bind(from)
        .bind(to)
        .bind(store_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Records a member's choice to be left out of (or back in) the leaderboard.
    pub async fn set_ranking_opt_out(
        &self,
        customer_id: i64,
        entry_tier: &str,
        opt_out: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO memberships (customer_id, tier_code, tier_since_ms, ranking_opt_out, updated_at) \
             VALUES ($1, $2, $3, $4, $3) ON CONFLICT (customer_id) DO UPDATE SET \
             ranking_opt_out = excluded.ranking_opt_out, updated_at = excluded.updated_at",
        )
        .bind(customer_id)
        .bind(entry_tier)
        .bind(ms(now))
        .bind(i64::from(opt_out))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn ranking_opt_out(&self, customer_id: i64) -> Result<bool, StoreError> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT ranking_opt_out FROM memberships WHERE customer_id = $1")
                .bind(customer_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(v.unwrap_or(0) != 0)
    }
}
