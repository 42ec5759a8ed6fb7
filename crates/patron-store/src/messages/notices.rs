//! Notices to members before something of theirs runs out (points, a card, coupons, a tier),
//! and the once-per-occasion record that keeps each from going out twice. Finding who is due
//! reads small indexed ranges; writing a notice inserts its occasion row and, in the same
//! transaction, the outbox message, so a crash never leaves one without the other.

use crate::decode::{Code, Millis, codes};
use crate::messages::outbox::{NewMessage, enqueue};
use crate::{Db, StoreError, ms};
use jiff::Timestamp;

/// A member with something running out, and when the first of it does.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Due {
    pub customer_id: i64,
    /// Points expiring, coupons expiring, or 1 for a card or tier.
    pub amount: i64,
    pub at_ms: i64,
    /// The card number, or the tier code; empty otherwise.
    pub label: String,
}

/// What runs out soon, counted (the cockpit's reminder).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expiring {
    /// Members with points expiring.
    pub members: i64,
    /// The points that expire.
    pub points: i64,
    /// Active member cards whose validity ends.
    pub cards: i64,
}

pub use patron_domain::membership::NoticeStatus;

codes!(
    NoticeStatus, "member_notices.status", NoticeStatus::parse;
);

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NoticeRow {
    pub customer_id: i64,
    pub occasion: String,
    pub kind: String,
    #[sqlx(try_from = "Code")]
    pub status: NoticeStatus,
    pub detail: String,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
}

/// Members only: not merged or erased, not left the programme.
const MEMBER: &str = "EXISTS (SELECT 1 FROM customers c WHERE c.id = x.customer_id AND c.status = 'active') \
     AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.customer_id = x.customer_id \
     AND m.ended_at_ms IS NOT NULL)";

impl Db {
    /// Members with points expiring in `(from, until]`: how many, and the first expiry.
    pub async fn points_expiring(
        &self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Due>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT x.customer_id, CAST(SUM(x.remaining) AS BIGINT) AS amount, \
             MIN(x.expires_at_ms) AS at_ms, '' AS label FROM points_lots x \
             WHERE x.remaining > 0 AND x.expires_at_ms > $1 AND x.expires_at_ms <= $2 AND {MEMBER} \
             GROUP BY x.customer_id ORDER BY x.customer_id"
        )))
        .bind(ms(from))
        .bind(ms(until))
        .fetch_all(self.pool())
        .await?)
    }

    /// What runs out in `(from, until]` for the members of a store (or the chain): members
    /// with points expiring and those points, and active cards whose validity ends.
    pub async fn expiring_counts(
        &self,
        store: Option<i64>,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Expiring, StoreError> {
        let home = "($3 IS NULL OR EXISTS (SELECT 1 FROM customers h WHERE h.id = x.customer_id \
                    AND h.store_id = $3))";
        let (members, points): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(COUNT(DISTINCT x.customer_id) AS BIGINT), \
             CAST(COALESCE(SUM(x.remaining), 0) AS BIGINT) FROM points_lots x \
             WHERE x.remaining > 0 AND x.expires_at_ms > $1 AND x.expires_at_ms <= $2 \
             AND {MEMBER} AND {home}"
        )))
        .bind(ms(from))
        .bind(ms(until))
        .bind(store)
        .fetch_one(self.pool())
        .await?;
        let cards: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM member_cards x WHERE x.status = 'active' \
             AND x.valid_until_ms > $1 AND x.valid_until_ms <= $2 AND {MEMBER} AND {home}"
        )))
        .bind(ms(from))
        .bind(ms(until))
        .bind(store)
        .fetch_one(self.pool())
        .await?;
        Ok(Expiring {
            members,
            points,
            cards,
        })
    }

    /// Active cards whose validity ends in `(from, until]`.
    pub async fn cards_expiring(
        &self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Due>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT x.customer_id, 1 AS amount, x.valid_until_ms AS at_ms, x.card_no AS label \
             FROM member_cards x WHERE x.status = 'active' AND x.valid_until_ms > $1 \
             AND x.valid_until_ms <= $2 AND {MEMBER} ORDER BY x.customer_id"
        )))
        .bind(ms(from))
        .bind(ms(until))
        .fetch_all(self.pool())
        .await?)
    }

    /// Members with unused coupons that stop being valid in `(from, until]`.
    pub async fn coupons_expiring(
        &self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Due>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT x.customer_id, CAST(COUNT(*) AS BIGINT) AS amount, MIN(x.valid_until_ms) AS at_ms, \
             '' AS label FROM coupons x WHERE x.status = 'issued' AND x.valid_until_ms > $1 \
             AND x.valid_until_ms <= $2 AND {MEMBER} GROUP BY x.customer_id ORDER BY x.customer_id"
        )))
        .bind(ms(from))
        .bind(ms(until))
        .fetch_all(self.pool())
        .await?)
    }

    /// Members above `entry` who reached their tier in `(from, until]`: their review falls a
    /// review period after that.
    pub async fn reviews_due(
        &self,
        entry: &str,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Due>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT x.customer_id, 1 AS amount, x.tier_since_ms AS at_ms, x.tier_code AS label \
             FROM memberships x WHERE x.tier_code <> $1 AND x.tier_since_ms > $2 \
             AND x.tier_since_ms <= $3 AND {MEMBER} ORDER BY x.customer_id"
        )))
        .bind(entry)
        .bind(ms(from))
        .bind(ms(until))
        .fetch_all(self.pool())
        .await?)
    }

    /// Records that a member got (or could not be sent) the notice for an occasion, with its
    /// message queued in the same transaction. False, writing nothing, when the occasion was
    /// already recorded.
    pub async fn record_notice(
        &self,
        customer_id: i64,
        occasion: &str,
        kind: &str,
        detail: &str,
        message: Option<&NewMessage<'_>>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let status = if message.is_some() {
            NoticeStatus::Queued
        } else {
            NoticeStatus::NoChannel
        };
        if !claim_occasion_in(&mut tx, customer_id, occasion, kind, status, detail, now).await? {
            return Ok(false);
        }
        if let Some(m) = message {
            let id = enqueue(&mut tx, m, now).await?;
            sqlx::query(
                "UPDATE member_notices SET outbox_id = $1 WHERE customer_id = $2 AND occasion = $3",
            )
            .bind(id)
            .bind(customer_id)
            .bind(occasion)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Whether an occasion was already recorded for a member.
    pub async fn notice_recorded(
        &self,
        customer_id: i64,
        occasion: &str,
    ) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM member_notices WHERE customer_id = $1 AND occasion = $2",
        )
        .bind(customer_id)
        .bind(occasion)
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    /// A member's notices, newest first.
    pub async fn notices_of(&self, customer_id: i64) -> Result<Vec<NoticeRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT customer_id, occasion, kind, status, detail, created_at FROM member_notices \
             WHERE customer_id = $1 ORDER BY created_at DESC, occasion LIMIT 50",
        )
        .bind(customer_id)
        .fetch_all(self.pool())
        .await?)
    }
}

/// A birthday gift to write: points, a coupon, or both.
pub struct BirthdayGift<'a> {
    pub customer_id: i64,
    /// `birthday:2026`: one gift a year.
    pub occasion: &'a str,
    pub detail: &'a str,
    pub points: Option<crate::membership::points::NewLot>,
    /// (template, code, valid until).
    pub coupon: Option<(i64, String, Timestamp)>,
}

impl Db {
    /// Members' sealed birthdays, a page at a time by id: active customers who have one and
    /// have not left the programme.
    pub async fn sealed_birthdays(
        &self,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Option<String>)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.birthday_enc FROM customers c WHERE c.id > $1 AND c.status = 'active' \
             AND c.birthday_enc IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memberships m \
             WHERE m.customer_id = c.id AND m.ended_at_ms IS NOT NULL) ORDER BY c.id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// One customer's sealed birthday, if any.
    pub async fn sealed_birthday(&self, customer_id: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT birthday_enc FROM customers WHERE id = $1")
                .bind(customer_id)
                .fetch_optional(self.pool())
                .await?
                .flatten(),
        )
    }

    /// Grants a birthday gift once per occasion: the occasion row, the points lot and the
    /// coupon in one transaction. False, writing nothing, when it was granted before.
    pub async fn grant_birthday_gift(
        &self,
        g: &BirthdayGift<'_>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        if !claim_occasion_in(
            &mut tx,
            g.customer_id,
            g.occasion,
            "birthday_gift",
            NoticeStatus::Granted,
            g.detail,
            now,
        )
        .await?
        {
            return Ok(false);
        }
        if let Some(lot) = &g.points {
            let note = crate::membership::points::EntryNote {
                reason: g.detail.to_string(),
                reference: g.occasion.to_string(),
                actor_name: "system".into(),
            };
            crate::membership::points::earn_in(
                &mut tx,
                g.customer_id,
                lot,
                crate::membership::points::EntryKind::Adjust,
                &note,
                now,
            )
            .await?;
        }
        if let Some((template_id, code, until)) = &g.coupon {
            crate::membership::coupons::issue_one_in(
                &mut tx,
                code,
                *template_id,
                g.customer_id,
                g.detail,
                *until,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// Records an occasion inside the caller's transaction. False when it was recorded before
/// (the caller writes nothing more and rolls back).
async fn claim_occasion_in(
    conn: &mut sqlx::AnyConnection,
    customer_id: i64,
    occasion: &str,
    kind: &str,
    status: NoticeStatus,
    detail: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let fresh = sqlx::query(
        "INSERT INTO member_notices (customer_id, occasion, kind, status, detail, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (customer_id, occasion) DO NOTHING",
    )
    .bind(customer_id)
    .bind(occasion)
    .bind(kind)
    .bind(status.code())
    .bind(detail)
    .bind(ms(now))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(fresh == 1)
}
