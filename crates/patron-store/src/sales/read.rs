//! What the customer page and the till show of a member's purchases, points and tier.

use super::standing::{self, StatsRow};
use crate::{Db, StoreError};
use patron_domain::membership::TierLadder;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SaleSummary {
    pub id: i64,
    pub store_id: i64,
    pub receipt_no: String,
    pub sold_at_ms: i64,
    pub paid_fen: i64,
    pub refunded_paid_fen: i64,
    pub points_earned: i64,
    pub points_redeemed: i64,
    pub lines: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SaleLineRow {
    pub line_no: i64,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub discount_fen: i64,
    pub paid_fen: i64,
    pub refunded_qty: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TierChangeRow {
    pub from_code: String,
    pub to_code: String,
    pub reason: String,
    pub reference: String,
    pub at_ms: i64,
}

impl Db {
    /// A customer's newest sales.
    pub async fn sales_of(
        &self,
        customer_id: i64,
        limit: i64,
    ) -> Result<Vec<SaleSummary>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT s.id, s.store_id, s.receipt_no, s.sold_at_ms, s.paid_fen, s.refunded_paid_fen, \
             s.points_earned, s.points_redeemed, \
             (SELECT COUNT(*) FROM sale_lines l WHERE l.sale_id = s.id) AS lines \
             FROM sales s WHERE s.customer_id = $1 ORDER BY s.sold_at_ms DESC, s.id DESC LIMIT $2",
        )
        .bind(customer_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// The customer a sale was made to (`None` for an anonymous sale); `NotFound` when
    /// there is no such sale.
    pub async fn sale_customer(&self, sale_id: i64) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar::<_, Option<i64>>("SELECT customer_id FROM sales WHERE id = $1")
            .bind(sale_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn sale_lines(&self, sale_id: i64) -> Result<Vec<SaleLineRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT line_no, sku, name, category, quantity, unit_price_fen, discount_fen, paid_fen, \
             refunded_qty FROM sale_lines WHERE sale_id = $1 ORDER BY line_no",
        )
        .bind(sale_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// The running statistics, with the rolling twelve months from `window_from` (`yyyymm`).
    /// `None` for a customer who never bought.
    pub async fn customer_stats(
        &self,
        customer_id: i64,
        window_from: i64,
    ) -> Result<Option<StatsRow>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let row: Option<(i64, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT first_purchase_ms, last_purchase_ms, purchase_count, visit_count, \
             total_spend_fen FROM customer_stats WHERE customer_id = $1",
        )
        .bind(customer_id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((first, last, purchases, visits, total)) = row else {
            return Ok(None);
        };
        Ok(Some(StatsRow {
            first_purchase_ms: first,
            last_purchase_ms: last,
            purchase_count: purchases,
            visit_count: visits,
            total_spend_fen: total,
            standing: standing::standing(&mut conn, customer_id, window_from).await?,
        }))
    }

    /// The member's tier code (the entry tier for a customer who never bought) and when the
    /// member left the programme, if they did: one read for the checkout.
    pub async fn membership_state(
        &self,
        customer_id: i64,
        ladder: &TierLadder,
    ) -> Result<(String, Option<i64>), StoreError> {
        let row: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT tier_code, ended_at_ms FROM memberships WHERE customer_id = $1")
                .bind(customer_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.unwrap_or_else(|| (ladder.at(0).code.clone(), None)))
    }

    /// The member's tier code; the entry tier for a customer who never bought.
    pub async fn tier_code(
        &self,
        customer_id: i64,
        ladder: &TierLadder,
    ) -> Result<String, StoreError> {
        let code: Option<String> =
            sqlx::query_scalar("SELECT tier_code FROM memberships WHERE customer_id = $1")
                .bind(customer_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(code.unwrap_or_else(|| ladder.at(0).code.clone()))
    }

    /// Customers with this archive number within a scope (one, unless files were merged
    /// badly).
    pub async fn customer_ids_by_archive_no(
        &self,
        scope: crate::Scope,
        archive_no: &str,
    ) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM customers WHERE archive_no = $1 AND status = 'active' \
             AND ($2 IS NULL OR store_id = $2)",
        )
        .bind(archive_no)
        .bind(scope.store_filter())
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn tier_history(&self, customer_id: i64) -> Result<Vec<TierChangeRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT from_code, to_code, reason, reference, at_ms FROM tier_changes \
             WHERE customer_id = $1 ORDER BY id DESC",
        )
        .bind(customer_id)
        .fetch_all(self.pool())
        .await?)
    }
}
