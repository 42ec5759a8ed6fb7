//! The points mall: rewards (this file: the catalogue) and the orders that redeem them
//! (`orders`). A reward is a reference table like products; orders carry the customer.

mod orders;

pub use orders::{NewOrder, OrderRow, RedeemRefused, Redeemed};

use crate::decode::{Code, Millis, OptMillis, codes};
use crate::{Db, Scope, StoreError, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};
pub use patron_domain::membership::{RewardKind, RewardOrderStatus, RewardStatus};

codes!(
    RewardKind, "rewards.kind", RewardKind::parse;
    RewardStatus, "rewards.status", RewardStatus::parse;
    RewardOrderStatus, "reward_orders.status", RewardOrderStatus::parse;
);

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RewardRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    #[sqlx(try_from = "Code")]
    pub kind: RewardKind,
    pub coupon_template_id: Option<i64>,
    pub points_price: i64,
    pub cash_fen: i64,
    pub stock: Option<i64>,
    pub per_member_limit: Option<i64>,
    #[sqlx(rename = "valid_from_ms", try_from = "Millis")]
    pub valid_from: Timestamp,
    #[sqlx(rename = "valid_until_ms", try_from = "OptMillis")]
    pub valid_until: Option<Timestamp>,
    #[sqlx(try_from = "Code")]
    pub status: RewardStatus,
    pub redeemed: i64,
}

impl RewardRow {
    /// Whether members can redeem it at `at` (stock aside).
    pub fn offered_at(&self, at: Timestamp) -> bool {
        self.status == RewardStatus::Active
            && self.valid_from <= at
            && self.valid_until.is_none_or(|until| at < until)
    }
}

const REWARD_COLUMNS: &str = "id, name, description, kind, coupon_template_id, points_price, \
    cash_fen, stock, per_member_limit, valid_from_ms, valid_until_ms, status, redeemed";

impl Db {
    pub async fn create_reward(
        &self,
        actor: &Actor,
        scope: Scope,
        r: &RewardRow,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        scope.chain_wide()?;
        let mut tx = self.begin_audited(actor, now).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO rewards (name, description, kind, coupon_template_id, points_price, cash_fen, \
             stock, per_member_limit, valid_from_ms, valid_until_ms, status, redeemed, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', 0, $11) RETURNING id",
        )
        .bind(&r.name)
        .bind(&r.description)
        .bind(r.kind.code())
        .bind(r.coupon_template_id)
        .bind(r.points_price)
        .bind(r.cash_fen)
        .bind(r.stock)
        .bind(r.per_member_limit)
        .bind(ms(r.valid_from))
        .bind(r.valid_until.map(ms))
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let event = AuditEvent::ok("reward.create", "reward", id).with_detail(r.name.clone());
        tx.commit(&event).await?;
        Ok(id)
    }

    /// Adds `more` to a limited stock; retires or re-activates. False for an unknown reward.
    pub async fn update_reward(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        more_stock: i64,
        status: Option<RewardStatus>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        scope.chain_wide()?;
        let mut tx = self.begin_audited(actor, now).await?;
        let n = sqlx::query(
            "UPDATE rewards SET stock = stock + $1, status = COALESCE($2, status) WHERE id = $3",
        )
        .bind(more_stock)
        .bind(status.map(RewardStatus::code))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            let detail = format!(
                "stock +{more_stock}; status {}",
                status.map_or("kept", RewardStatus::code)
            );
            let event = AuditEvent::ok("reward.update", "reward", id).with_detail(detail);
            tx.commit(&event).await?;
        } else {
            tx.commit_unchanged().await?;
        }
        Ok(n == 1)
    }

    /// Every reward, newest first.
    pub async fn rewards(&self) -> Result<Vec<RewardRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {REWARD_COLUMNS} FROM rewards ORDER BY id DESC"
        )))
        .fetch_all(self.pool())
        .await?)
    }

    /// Rewards members can redeem at `now`, cheapest first; sold-out ones included (shown
    /// as such).
    pub async fn rewards_offered(&self, now: Timestamp) -> Result<Vec<RewardRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {REWARD_COLUMNS} FROM rewards WHERE status = 'active' AND valid_from_ms <= $1 \
             AND (valid_until_ms IS NULL OR valid_until_ms > $1) ORDER BY points_price, id"
        )))
        .bind(ms(now))
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn reward(&self, id: i64) -> Result<RewardRow, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {REWARD_COLUMNS} FROM rewards WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(self.pool())
        .await?)
    }

    /// How many of a reward the member holds in orders not cancelled.
    pub async fn reward_claimed(
        &self,
        customer_id: i64,
        reward_id: i64,
    ) -> Result<i64, StoreError> {
        let q: Option<i64> = sqlx::query_scalar(
            "SELECT quantity FROM reward_claims WHERE customer_id = $1 AND reward_id = $2",
        )
        .bind(customer_id)
        .bind(reward_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(q.unwrap_or(0))
    }
}
