//! Redemption orders. One redemption is one transaction: the reward's stock and the
//! member's claim are taken by conditional updates, the order is written, the points are
//! redeemed against it (`reward_order:<id>`), a coupon reward issues its coupons, and a till's
//! idempotency key is stored with the answer. Any refusal rolls all of it back.

use super::{REWARD_COLUMNS, RewardKind, RewardOrderStatus, RewardRow};
use crate::decode::{Code, Millis};
use crate::membership::coupons::issue_one_in;
use crate::membership::points::correction::restore_in;
use crate::membership::points::{EntryNote, PointsRefused, redeem_in};
use crate::sales::{Idempotency, Stored};
use crate::{Db, Scope, StoreError, ms};
use jiff::{SignedDuration, Timestamp};
use patron_domain::audit::{Actor, AuditEvent};
use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderRow {
    pub id: i64,
    pub customer_id: i64,
    pub reward_id: i64,
    pub reward_name: String,
    pub store_id: Option<i64>,
    pub quantity: i64,
    pub points: i64,
    pub cash_fen: i64,
    #[sqlx(try_from = "Code")]
    pub status: RewardOrderStatus,
    pub coupon_codes: String,
    pub note: String,
    pub placed_by_name: String,
    #[sqlx(rename = "placed_at_ms", try_from = "Millis")]
    pub placed_at: Timestamp,
    pub updated_by_name: String,
    #[sqlx(rename = "updated_at_ms", try_from = "Millis")]
    pub updated_at: Timestamp,
}

const ORDER_COLUMNS: &str = "o.id, o.customer_id, o.reward_id, r.name AS reward_name, o.store_id, \
    o.quantity, o.points, o.cash_fen, o.status, o.coupon_codes, o.note, o.placed_by_name, \
    o.placed_at_ms, o.updated_by_name, o.updated_at_ms";

/// What a redemption reads back from the reward row it took stock from.
#[derive(sqlx::FromRow)]
struct Taken {
    name: String,
    #[sqlx(try_from = "Code")]
    kind: RewardKind,
    coupon_template_id: Option<i64>,
    points_price: i64,
    cash_fen: i64,
    per_member_limit: Option<i64>,
}

/// A redemption to write.
pub struct NewOrder<'a> {
    pub customer_id: i64,
    pub reward_id: i64,
    /// Where the member collects it (the till's or the staff member's store).
    pub store_id: Option<i64>,
    pub quantity: i64,
    pub note: &'a str,
    /// One fresh code per unit, used when the reward is a coupon.
    pub coupon_codes: &'a [String],
    pub now: Timestamp,
}

/// What a redemption did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeemed {
    pub order_id: i64,
    pub reward_name: String,
    pub points: i64,
    /// Cash the member pays on top, fen.
    pub cash_fen: i64,
    pub status: String,
    pub coupon_codes: Vec<String>,
    pub balance: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum RedeemRefused {
    #[error("no such reward on offer")]
    NotOffered,
    #[error("out of stock")]
    OutOfStock,
    #[error("over the per-member limit")]
    OverLimit,
    #[error("not enough usable points")]
    NotEnoughPoints,
    /// A concurrent redemption took the same points; nothing was changed.
    #[error("points were spent meanwhile")]
    Raced,
    #[error("idempotency key already used")]
    Replayed(Stored),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RedeemRefused {
    fn from(e: sqlx::Error) -> Self {
        RedeemRefused::Store(e.into())
    }
}

impl From<Stored> for RedeemRefused {
    fn from(s: Stored) -> Self {
        RedeemRefused::Replayed(s)
    }
}

impl From<PointsRefused> for RedeemRefused {
    fn from(e: PointsRefused) -> Self {
        match e {
            PointsRefused::Rule(_) => RedeemRefused::NotEnoughPoints,
            PointsRefused::Raced => RedeemRefused::Raced,
            PointsRefused::Store(e) => RedeemRefused::Store(e),
        }
    }
}

impl Db {
    /// Redeems a reward for a member (see the module note). `valid_days` is the coupon
    /// template's, for a coupon reward.
    pub async fn redeem_reward(
        &self,
        actor: &Actor,
        o: &NewOrder<'_>,
        coupon_valid_days: i64,
        idem: Option<&Idempotency<'_, Redeemed>>,
    ) -> Result<(Redeemed, Option<String>), RedeemRefused> {
        let now = o.now;
        let mut tx = self.begin_audited(actor, now).await?;
        let taken: Option<Taken> = sqlx::query_as(
            "UPDATE rewards SET stock = stock - $1, redeemed = redeemed + $1 \
             WHERE id = $2 AND status = 'active' AND valid_from_ms <= $3 \
             AND (valid_until_ms IS NULL OR valid_until_ms > $3) AND (stock IS NULL OR stock >= $1) \
             RETURNING name, kind, coupon_template_id, points_price, cash_fen, per_member_limit",
        )
        .bind(o.quantity)
        .bind(o.reward_id)
        .bind(ms(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(Taken {
            name,
            kind,
            coupon_template_id: template_id,
            points_price: price,
            cash_fen: cash,
            per_member_limit: limit,
        }) = taken
        else {
            let offered: Option<RewardRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {REWARD_COLUMNS} FROM rewards WHERE id = $1"
            )))
            .bind(o.reward_id)
            .fetch_optional(&mut *tx)
            .await?;
            return Err(match offered {
                Some(r) if r.offered_at(now) => RedeemRefused::OutOfStock,
                _ => RedeemRefused::NotOffered,
            });
        };
        claim(&mut tx, o.customer_id, o.reward_id, o.quantity, limit).await?;
        let points = price * o.quantity;
        let codes: Vec<String> = match template_id {
            Some(_) => o
                .coupon_codes
                .iter()
                .take(o.quantity as usize)
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        let status = match kind {
            RewardKind::Coupon => RewardOrderStatus::Fulfilled,
            RewardKind::Goods => RewardOrderStatus::Placed,
        };
        let order_id: i64 = sqlx::query_scalar(
            "INSERT INTO reward_orders (customer_id, reward_id, store_id, quantity, points, cash_fen, \
             status, coupon_codes, note, placed_by_name, placed_at_ms, updated_by_name, updated_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $11) RETURNING id",
        )
        .bind(o.customer_id)
        .bind(o.reward_id)
        .bind(o.store_id)
        .bind(o.quantity)
        .bind(points)
        .bind(cash * o.quantity)
        .bind(status.code())
        .bind(codes.join(","))
        .bind(o.note)
        .bind(&actor.name)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let note = EntryNote {
            reason: name.clone(),
            reference: format!("reward_order:{order_id}"),
            actor_name: actor.name.clone(),
        };
        let (_, balance) = redeem_in(&mut tx, o.customer_id, points, &note, now).await?;
        if let Some(template_id) = template_id {
            if codes.len() as i64 != o.quantity {
                return Err(
                    StoreError::Unsupported("one coupon code per unit is needed".into()).into(),
                );
            }
            let until = now + SignedDuration::from_hours(24 * coupon_valid_days);
            for code in &codes {
                issue_one_in(&mut tx, code, template_id, o.customer_id, &name, until, now).await?;
            }
        }
        let outcome = Redeemed {
            order_id,
            reward_name: name,
            points,
            cash_fen: cash * o.quantity,
            status: status.code().to_string(),
            coupon_codes: codes,
            balance,
        };
        let body = match idem {
            Some(i) => Some(i.record::<RedeemRefused>(&mut tx, &outcome, now).await?),
            None => None,
        };
        let event =
            AuditEvent::ok("reward.redeem", "customer", o.customer_id).with_detail(format!(
                "order {order_id}: {} × reward {}, {points} points",
                o.quantity, o.reward_id
            ));
        tx.commit(&event).await?;
        Ok((outcome, body))
    }

    /// Moves an order along (placed → ready → fulfilled). False when the order is not in a
    /// state that allows it, or not in the caller's scope.
    pub async fn move_reward_order(
        &self,
        actor: &Actor,
        scope: Scope,
        order_id: i64,
        to: RewardOrderStatus,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let from: Option<(Code, Option<i64>)> =
            sqlx::query_as("SELECT status, store_id FROM reward_orders WHERE id = $1")
                .bind(order_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((from, store_id)) = from else {
            return Ok(false);
        };
        let from = RewardOrderStatus::try_from(from)?;
        if !from.may_move_to(to) || !scope.allows(store_id) {
            return Ok(false);
        }
        let n = sqlx::query(
            "UPDATE reward_orders SET status = $1, updated_by_name = $2, updated_at_ms = $3 \
             WHERE id = $4 AND status = $5",
        )
        .bind(to.code())
        .bind(&actor.name)
        .bind(ms(now))
        .bind(order_id)
        .bind(from.code())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            let event = AuditEvent::ok("reward.order", "reward_order", order_id)
                .with_detail(format!("{} -> {}", from.code(), to.code()));
            tx.commit(&event).await?;
        } else {
            tx.commit_unchanged().await?;
        }
        Ok(n == 1)
    }

    /// Cancels an order not yet fulfilled: its points come back (as a lot keeping the expiry
    /// of the lots they came from), and so do the stock and the member's claim. False when
    /// the order cannot be cancelled or is not in the caller's scope.
    pub async fn cancel_reward_order(
        &self,
        actor: &Actor,
        scope: Scope,
        order_id: i64,
        reason: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        // The reason joins the order's note instead of replacing what the member asked for.
        let row: Option<(i64, i64, i64, i64, Option<i64>)> = sqlx::query_as(
            "UPDATE reward_orders SET status = 'cancelled', updated_by_name = $1, updated_at_ms = $2, \
             note = CASE WHEN note = '' THEN $3 ELSE note || ' / ' || $3 END \
             WHERE id = $4 AND status IN ('placed', 'ready') \
             RETURNING customer_id, reward_id, quantity, points, store_id",
        )
        .bind(&actor.name)
        .bind(ms(now))
        .bind(reason)
        .bind(order_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((customer_id, reward_id, quantity, points, store_id)) = row else {
            return Ok(false);
        };
        if !scope.allows(store_id) {
            // Dropping the transaction rolls the cancellation back.
            return Ok(false);
        }
        sqlx::query(
            "UPDATE rewards SET stock = stock + $1, redeemed = redeemed - $1 WHERE id = $2",
        )
        .bind(quantity)
        .bind(reward_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE reward_claims SET quantity = quantity - $1 WHERE customer_id = $2 AND reward_id = $3",
        )
        .bind(quantity)
        .bind(customer_id)
        .bind(reward_id)
        .execute(&mut *tx)
        .await?;
        let reference = format!("reward_order:{order_id}");
        let note = EntryNote {
            reason: reason.to_string(),
            reference: reference.clone(),
            actor_name: actor.name.clone(),
        };
        restore_in(&mut tx, customer_id, points, &reference, &note, now).await?;
        let event = AuditEvent::ok("reward.cancel", "reward_order", order_id)
            .with_detail(format!("{points} points restored"));
        tx.commit(&event).await?;
        Ok(true)
    }

    /// Orders in a state, newest first, within the caller's scope: empty for all, `open` for
    /// those still to hand over (placed or ready).
    pub async fn reward_orders(
        &self,
        scope: Scope,
        status: &str,
        limit: i64,
    ) -> Result<Vec<OrderRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM reward_orders o JOIN rewards r ON r.id = o.reward_id \
             WHERE ($1 = '' OR o.status = $1 OR ($1 = 'open' AND o.status IN ('placed', 'ready'))) \
             AND ($2 IS NULL OR o.store_id = $2) \
             ORDER BY o.id DESC LIMIT $3"
        )))
        .bind(status)
        .bind(scope.store_filter())
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// A member's orders, newest first.
    pub async fn reward_orders_of(&self, customer_id: i64) -> Result<Vec<OrderRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM reward_orders o JOIN rewards r ON r.id = o.reward_id \
             WHERE o.customer_id = $1 ORDER BY o.id DESC LIMIT 100"
        )))
        .bind(customer_id)
        .fetch_all(self.pool())
        .await?)
    }
}

/// Adds `quantity` to the member's claim on a reward, refused past `limit`. A conditional
/// upsert: two orders racing for the last allowed unit cannot both pass.
async fn claim(
    conn: &mut AnyConnection,
    customer_id: i64,
    reward_id: i64,
    quantity: i64,
    limit: Option<i64>,
) -> Result<(), RedeemRefused> {
    let limit = limit.unwrap_or(i64::MAX);
    if quantity > limit {
        return Err(RedeemRefused::OverLimit);
    }
    let n = sqlx::query(
        "INSERT INTO reward_claims (customer_id, reward_id, quantity) VALUES ($1, $2, $3) \
         ON CONFLICT (customer_id, reward_id) DO UPDATE SET quantity = reward_claims.quantity + $3 \
         WHERE reward_claims.quantity + $3 <= $4",
    )
    .bind(customer_id)
    .bind(reward_id)
    .bind(quantity)
    .bind(limit)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 1 {
        Ok(())
    } else {
        Err(RedeemRefused::OverLimit)
    }
}
