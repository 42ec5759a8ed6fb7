//! What a ticket's resolution already gave: a resolution that failed after giving points
//! or a coupon (someone changed the ticket first) and is tried again must not give twice.
//! The reason written on the adjustment and the coupon names the ticket and its round.

use crate::{Db, StoreError};

/// Points or a coupon given under one reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Given {
    /// The adjustment's points and whether it is applied (not waiting for approval).
    pub points: Option<(i64, bool)>,
    /// The coupon's template and code.
    pub coupon: Option<(i64, String)>,
}

impl Db {
    /// The points adjustment and the coupon a customer was given with `reason`, if any
    /// (a rejected adjustment counts as none).
    pub async fn given_with_reason(
        &self,
        customer: i64,
        reason: &str,
    ) -> Result<Given, StoreError> {
        let points: Option<(i64, String)> = sqlx::query_as(
            "SELECT points, status FROM points_adjustments \
             WHERE customer_id = $1 AND reason = $2 AND status <> 'rejected' ORDER BY id LIMIT 1",
        )
        .bind(customer)
        .bind(reason)
        .fetch_optional(self.pool())
        .await?;
        let coupon: Option<(i64, String)> = sqlx::query_as(
            "SELECT template_id, code FROM coupons WHERE customer_id = $1 AND reason = $2 \
             ORDER BY issued_at_ms, code LIMIT 1",
        )
        .bind(customer)
        .bind(reason)
        .fetch_optional(self.pool())
        .await?;
        Ok(Given {
            points: points.map(|(p, s)| (p, s == "applied")),
            coupon,
        })
    }
}
