//! The points liability: what members hold, what it would cost if redeemed, what expires soon,
//! and how much expires unused (breakage).

use crate::{Db, Scope, StoreError, ms};
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Liability {
    /// Points held by members with a positive balance.
    pub outstanding: i64,
    /// Points owed back by members whose balance a refund left negative.
    pub owed: i64,
    pub members: i64,
    pub expiring_30: i64,
    pub expiring_90: i64,
    /// Over the last 365 days.
    pub earned_year: i64,
    pub expired_year: i64,
    pub redeemed_year: i64,
}

impl Db {
    /// The liability of the members in `scope` (by their home store).
    pub async fn points_liability(
        &self,
        scope: Scope,
        now: Timestamp,
    ) -> Result<Liability, StoreError> {
        let day = |n: i64| ms(now + SignedDuration::from_hours(24 * n));
        let store = scope.store_filter();
        let (outstanding, owed, members): (i64, i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN balance > 0 THEN balance ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN balance < 0 THEN -balance ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN balance > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM points_accounts \
             WHERE ($1 IS NULL OR customer_id IN (SELECT id FROM customers WHERE store_id = $1))",
        )
        .bind(store)
        .fetch_one(self.pool())
        .await?;
        let (expiring_30, expiring_90): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN expires_at_ms <= $2 THEN remaining ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(remaining), 0) AS BIGINT) FROM points_lots \
             WHERE remaining > 0 AND expires_at_ms > $1 AND expires_at_ms <= $3 \
             AND ($4 IS NULL OR customer_id IN (SELECT id FROM customers WHERE store_id = $4))",
        )
        .bind(ms(now))
        .bind(day(30))
        .bind(day(90))
        .bind(store)
        .fetch_one(self.pool())
        .await?;
        let (earned_year, expired_year, redeemed_year): (i64, i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'earn' THEN points ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN kind = 'expire' THEN -points ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN kind = 'redeem' THEN -points ELSE 0 END), 0) AS BIGINT) \
             FROM points_entries WHERE at_ms > $1 \
             AND ($2 IS NULL OR customer_id IN (SELECT id FROM customers WHERE store_id = $2))",
        )
        .bind(day(-365))
        .bind(store)
        .fetch_one(self.pool())
        .await?;
        Ok(Liability {
            outstanding,
            owed,
            members,
            expiring_30,
            expiring_90,
            earned_year,
            expired_year,
            redeemed_year,
        })
    }
}
