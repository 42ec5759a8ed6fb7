//! A member's running statistics and tier, kept with every sale and refund so that no report
//! and no tier decision rescans the sales. Spend, visits and points earned are kept per local
//! month; a rolling twelve months is the sum of twelve small rows.

use super::NewSale;
use crate::{StoreError, ms};
use jiff::Timestamp;
use patron_domain::membership::{Standing, TierLadder};
use sqlx::AnyConnection;

/// Local calendar facts of a moment in the store's time zone, computed by the caller (storage
/// does not know time zones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    /// The local day as `yyyymmdd`: two sales on one day are one visit.
    pub day: i64,
    /// The local month as `yyyymm`.
    pub month: i64,
    /// The first month (`yyyymm`) of the rolling twelve months that end with `month`.
    pub window_from: i64,
    /// The local hour of day, 0 to 23 (the reports' hour-of-day grouping).
    pub hour: i64,
}

/// The running statistics of one customer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatsRow {
    pub first_purchase_ms: i64,
    pub last_purchase_ms: i64,
    pub purchase_count: i64,
    pub visit_count: i64,
    pub total_spend_fen: i64,
    /// Rolling twelve months.
    pub standing: Standing,
}

impl StatsRow {
    /// Mean days between visits, once there are two.
    pub fn mean_interval_days(&self) -> Option<f64> {
        (self.visit_count > 1).then(|| {
            (self.last_purchase_ms - self.first_purchase_ms) as f64
                / 86_400_000.0
                / (self.visit_count - 1) as f64
        })
    }
}

/// What a run of sales adds to one row of statistics (a customer's, or a customer's month),
/// summed in time order. Written by one upsert per row: the till writes a run of one sale,
/// an import a whole batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sums {
    pub first_ms: i64,
    pub last_ms: i64,
    pub purchases: i64,
    /// Visits within the run, the first sale's day counted; the upsert takes one off when
    /// that day is the stored last visit's.
    pub visits: i64,
    pub first_day: i64,
    pub last_day: i64,
    pub spend_fen: i64,
    pub points: i64,
}

impl Sums {
    pub fn new(sold_ms: i64, day: i64, paid_fen: i64, points: i64) -> Sums {
        Sums {
            first_ms: sold_ms,
            last_ms: sold_ms,
            purchases: 1,
            visits: 1,
            first_day: day,
            last_day: day,
            spend_fen: paid_fen,
            points,
        }
    }

    /// Adds a later sale of the same run: a day other than the last one is a new visit.
    pub fn add(&mut self, sold_ms: i64, day: i64, paid_fen: i64, points: i64) {
        if day != self.last_day {
            self.visits += 1;
        }
        self.first_ms = self.first_ms.min(sold_ms);
        self.last_ms = self.last_ms.max(sold_ms);
        self.last_day = self.last_day.max(day);
        self.purchases += 1;
        self.spend_fen += paid_fen;
        self.points += points;
    }
}

/// Adds a run to a customer's statistics. In `DO UPDATE SET` every expression reads the row
/// as it was; the row lock orders concurrent runs. Parameters: customer, first and last
/// sale (ms), purchases, visits, last day, spend, now, first day.
pub(crate) const ADD_STATS_SQL: &str = "INSERT INTO customer_stats (customer_id, \
     first_purchase_ms, last_purchase_ms, purchase_count, visit_count, last_visit_day, \
     total_spend_fen, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (customer_id) DO UPDATE SET \
       first_purchase_ms = CASE WHEN excluded.first_purchase_ms < customer_stats.first_purchase_ms \
         THEN excluded.first_purchase_ms ELSE customer_stats.first_purchase_ms END, \
       last_purchase_ms = CASE WHEN excluded.last_purchase_ms > customer_stats.last_purchase_ms \
         THEN excluded.last_purchase_ms ELSE customer_stats.last_purchase_ms END, \
       purchase_count = customer_stats.purchase_count + excluded.purchase_count, \
       visit_count = customer_stats.visit_count + excluded.visit_count - CASE \
         WHEN customer_stats.last_visit_day = $9 THEN 1 ELSE 0 END, \
       last_visit_day = CASE WHEN excluded.last_visit_day > customer_stats.last_visit_day \
         THEN excluded.last_visit_day ELSE customer_stats.last_visit_day END, \
       total_spend_fen = customer_stats.total_spend_fen + excluded.total_spend_fen, \
       updated_at = excluded.updated_at";

/// Adds a run to one month of a customer. Parameters: customer, month, spend, visits,
/// points, last day, first day.
pub(crate) const ADD_MONTH_SQL: &str = "INSERT INTO customer_months (customer_id, month, \
     spend_fen, visits, points_earned, last_day) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (customer_id, month) DO UPDATE SET \
       spend_fen = customer_months.spend_fen + excluded.spend_fen, \
       visits = customer_months.visits + excluded.visits - CASE \
         WHEN customer_months.last_day = $7 THEN 1 ELSE 0 END, \
       points_earned = customer_months.points_earned + excluded.points_earned, \
       last_day = CASE WHEN excluded.last_day > customer_months.last_day \
         THEN excluded.last_day ELSE customer_months.last_day END";

pub(crate) async fn add_stats(
    conn: &mut AnyConnection,
    customer_id: i64,
    s: &Sums,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(ADD_STATS_SQL)
        .bind(customer_id)
        .bind(s.first_ms)
        .bind(s.last_ms)
        .bind(s.purchases)
        .bind(s.visits)
        .bind(s.last_day)
        .bind(s.spend_fen)
        .bind(ms(now))
        .bind(s.first_day)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(crate) async fn add_month(
    conn: &mut AnyConnection,
    customer_id: i64,
    month: i64,
    s: &Sums,
) -> Result<(), StoreError> {
    sqlx::query(ADD_MONTH_SQL)
        .bind(customer_id)
        .bind(month)
        .bind(s.spend_fen)
        .bind(s.visits)
        .bind(s.points)
        .bind(s.last_day)
        .bind(s.first_day)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn record_purchase(
    conn: &mut AnyConnection,
    customer_id: i64,
    sale: &NewSale,
    paid_fen: i64,
    earned: i64,
) -> Result<(), StoreError> {
    let cal = sale.calendar;
    let run = Sums::new(ms(sale.sold_at), cal.day, paid_fen, earned);
    add_stats(conn, customer_id, &run, sale.recorded_at).await?;
    add_month(conn, customer_id, cal.month, &run).await
}

/// Takes a refund off one month's row (the month of the refunded sale); visits stay.
pub(super) async fn refund_from_month(
    conn: &mut AnyConnection,
    customer_id: i64,
    month: i64,
    spend_fen: i64,
    points: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE customer_months SET spend_fen = spend_fen - $1, points_earned = points_earned - $2 \
         WHERE customer_id = $3 AND month = $4",
    )
    .bind(spend_fen)
    .bind(points)
    .bind(customer_id)
    .bind(month)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Rolling twelve months: parameters customer, first month of the window.
pub(crate) const STANDING_SQL: &str = "SELECT CAST(COALESCE(SUM(spend_fen), 0) AS BIGINT), \
     CAST(COALESCE(SUM(visits), 0) AS BIGINT), CAST(COALESCE(SUM(points_earned), 0) AS BIGINT) \
     FROM customer_months WHERE customer_id = $1 AND month >= $2";

/// Creates the membership at the entry tier or reads it; a no-op update on conflict, so that
/// one statement does both. Parameters: customer, entry tier, now.
pub(crate) const TIER_OF_SQL: &str = "INSERT INTO memberships (customer_id, tier_code, \
     tier_since_ms, updated_at) VALUES ($1, $2, $3, $3) ON CONFLICT (customer_id) \
     DO UPDATE SET tier_code = memberships.tier_code RETURNING tier_code";

/// Parameters: new tier, now, customer.
pub(crate) const SET_TIER_SQL: &str = "UPDATE memberships SET tier_code = $1, \
     tier_since_ms = $2, updated_at = $2 WHERE customer_id = $3";

/// Parameters: customer, from, to, reason, reference, now.
pub(crate) const TIER_CHANGE_SQL: &str = "INSERT INTO tier_changes (customer_id, from_code, \
     to_code, reason, reference, at_ms) VALUES ($1, $2, $3, $4, $5, $6)";

/// Rolling twelve months from the month rows.
pub(crate) async fn standing(
    conn: &mut AnyConnection,
    customer_id: i64,
    window_from: i64,
) -> Result<Standing, StoreError> {
    let (spend_fen, visits, points): (i64, i64, i64) = sqlx::query_as(STANDING_SQL)
        .bind(customer_id)
        .bind(window_from)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Standing {
        spend_fen,
        visits,
        points,
    })
}

/// The member's tier code, creating the membership at the entry tier on first use.
pub(crate) async fn tier_of(
    conn: &mut AnyConnection,
    customer_id: i64,
    ladder: &TierLadder,
    now: Timestamp,
) -> Result<String, StoreError> {
    Ok(sqlx::query_scalar(TIER_OF_SQL)
        .bind(customer_id)
        .bind(&ladder.at(0).code)
        .bind(ms(now))
        .fetch_one(&mut *conn)
        .await?)
}

pub(crate) async fn change_tier(
    conn: &mut AnyConnection,
    customer_id: i64,
    from: &str,
    to: &str,
    reason: &str,
    reference: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(SET_TIER_SQL)
        .bind(to)
        .bind(ms(now))
        .bind(customer_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(TIER_CHANGE_SQL)
        .bind(customer_id)
        .bind(from)
        .bind(to)
        .bind(reason)
        .bind(reference)
        .bind(ms(now))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The reason an upgrade is recorded with in `tier_changes`.
pub(crate) const UPGRADE_REASON: &str = "upgrade";

/// Upgrades at once when the rolling twelve months from `window_from` lift the member into a
/// higher tier; the change is recorded with `reference` (the sale, or `import`). Returns the
/// tier codes before and after.
pub(super) async fn upgrade_tier(
    conn: &mut AnyConnection,
    customer_id: i64,
    ladder: &TierLadder,
    window_from: i64,
    reference: &str,
    now: Timestamp,
) -> Result<(String, String), StoreError> {
    let before = tier_of(conn, customer_id, ladder, now).await?;
    let rank = ladder.rank(&before);
    if rank + 1 >= ladder.tiers().len() {
        return Ok((before.clone(), before));
    }
    let s = standing(conn, customer_id, window_from).await?;
    match ladder.upgrade(rank, &s) {
        Some(rank) => {
            let to = ladder.at(rank).code.clone();
            change_tier(
                conn,
                customer_id,
                &before,
                &to,
                UPGRADE_REASON,
                reference,
                now,
            )
            .await?;
            Ok((before, to))
        }
        None => Ok((before.clone(), before)),
    }
}

/// What a tier review did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reviewed {
    pub members: usize,
    pub down: usize,
    pub up: usize,
}

impl crate::Db {
    /// Reviews every member above the entry tier who has held the tier since `due_before` or
    /// longer (a year, by the caller's choice): the tier is what the rolling twelve months
    /// earn, down by one tier at most (the grace rule), and the next review is a full period
    /// from now. One transaction per member.
    pub async fn review_tiers(
        &self,
        ladder: &TierLadder,
        window_from: i64,
        due_before: Timestamp,
        now: Timestamp,
    ) -> Result<Reviewed, StoreError> {
        let due: Vec<(i64, String)> = sqlx::query_as(
            "SELECT customer_id, tier_code FROM memberships \
             WHERE tier_since_ms <= $1 AND tier_code <> $2 ORDER BY customer_id",
        )
        .bind(ms(due_before))
        .bind(&ladder.at(0).code)
        .fetch_all(self.pool())
        .await?;
        let mut done = Reviewed::default();
        for (customer_id, code) in due {
            let mut tx = self.begin_write().await?;
            let s = standing(&mut tx, customer_id, window_from).await?;
            let rank = ladder.rank(&code);
            let next = ladder.review(rank, &s);
            if next == rank {
                sqlx::query(
                    "UPDATE memberships SET tier_since_ms = $1, updated_at = $1 \
                     WHERE customer_id = $2 AND tier_code = $3",
                )
                .bind(ms(now))
                .bind(customer_id)
                .bind(&code)
                .execute(&mut *tx)
                .await?;
            } else {
                let to = ladder.at(next).code.clone();
                change_tier(&mut tx, customer_id, &code, &to, "review", "", now).await?;
                if next < rank {
                    done.down += 1;
                } else {
                    done.up += 1;
                }
            }
            tx.commit().await?;
            done.members += 1;
        }
        Ok(done)
    }
}
