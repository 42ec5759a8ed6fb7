//! Running totals of what each member of staff gives on their own in a store day (points,
//! coupon face value, compensation value), for the daily limits above the per-request
//! approval thresholds. Adding is one conditional upsert, so parallel requests cannot pass
//! a limit together.

use crate::{Db, StoreError};

/// Which daily total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tally {
    Points,
    CouponFen,
    CompensationFen,
}

impl Tally {
    pub fn as_str(self) -> &'static str {
        match self {
            Tally::Points => "points",
            Tally::CouponFen => "coupon_fen",
            Tally::CompensationFen => "compensation_fen",
        }
    }
}

impl Db {
    /// Adds `amount` to the staff member's total for `day` (yyyymmdd) if the total stays
    /// within `limit`; returns the new total, or `None` (nothing added) past the limit.
    pub async fn add_to_day_total(
        &self,
        staff_id: i64,
        day: i64,
        tally: Tally,
        amount: i64,
        limit: i64,
    ) -> Result<Option<i64>, StoreError> {
        if amount > limit {
            return Ok(None);
        }
        let mut tx = self.begin_write().await?;
        let total: Option<i64> = sqlx::query_scalar(
            "INSERT INTO staff_day_totals (staff_id, day, tally, amount) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (staff_id, day, tally) DO UPDATE SET amount = staff_day_totals.amount + $4 \
             WHERE staff_day_totals.amount + $4 <= $5 RETURNING amount",
        )
        .bind(staff_id)
        .bind(day)
        .bind(tally.as_str())
        .bind(amount)
        .bind(limit)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(total)
    }

    /// Takes back an amount added for a request that was then not carried out.
    pub async fn take_from_day_total(
        &self,
        staff_id: i64,
        day: i64,
        tally: Tally,
        amount: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE staff_day_totals SET amount = amount - $4 \
             WHERE staff_id = $1 AND day = $2 AND tally = $3 AND amount >= $4",
        )
        .bind(staff_id)
        .bind(day)
        .bind(tally.as_str())
        .bind(amount)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The staff member's total for `day`; 0 when nothing was added.
    pub async fn day_total(
        &self,
        staff_id: i64,
        day: i64,
        tally: Tally,
    ) -> Result<i64, StoreError> {
        let total: Option<i64> = sqlx::query_scalar(
            "SELECT amount FROM staff_day_totals WHERE staff_id = $1 AND day = $2 AND tally = $3",
        )
        .bind(staff_id)
        .bind(day)
        .bind(tally.as_str())
        .fetch_optional(self.pool())
        .await?;
        Ok(total.unwrap_or(0))
    }
}
