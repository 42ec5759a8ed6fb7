//! A member's running statistics and tier, kept with every sale and refund so that no report
//! and no tier decision rescans the sales. Spend, visits and points earned are kept per local
//! month; a rolling twelve months is the sum of twelve small rows.

use super::NewSale;
use crate::points::EntryNote;
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

pub(super) async fn record_purchase(
    conn: &mut AnyConnection,
    customer_id: i64,
    sale: &NewSale,
    paid_fen: i64,
    earned: i64,
) -> Result<(), StoreError> {
    let at = ms(sale.sold_at);
    let cal = sale.calendar;
    sqlx::query(
        "INSERT INTO customer_stats (customer_id, first_purchase_ms, last_purchase_ms, \
         purchase_count, visit_count, last_visit_day, total_spend_fen, updated_at) \
         VALUES ($1, $2, $2, 0, 0, 0, 0, $2) ON CONFLICT (customer_id) DO NOTHING",
    )
    .bind(customer_id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    // This update takes the row lock first, so two sales of one member cannot both see the
    // old visit day; `last_visit_day` is not changed by it, so it returns the old value.
    let last_day: i64 = sqlx::query_scalar(
        "UPDATE customer_stats SET purchase_count = purchase_count + 1 WHERE customer_id = $1 \
         RETURNING last_visit_day",
    )
    .bind(customer_id)
    .fetch_one(&mut *conn)
    .await?;
    let new_visit = i64::from(last_day != cal.day);
    sqlx::query(
        "UPDATE customer_stats SET \
           first_purchase_ms = CASE WHEN $1 < first_purchase_ms THEN $1 ELSE first_purchase_ms END, \
           last_purchase_ms = CASE WHEN $1 > last_purchase_ms THEN $1 ELSE last_purchase_ms END, \
           visit_count = visit_count + $2, \
           last_visit_day = CASE WHEN $3 > last_visit_day THEN $3 ELSE last_visit_day END, \
           total_spend_fen = total_spend_fen + $4, updated_at = $5 \
         WHERE customer_id = $6",
    )
    .bind(at)
    .bind(new_visit)
    .bind(cal.day)
    .bind(paid_fen)
    .bind(ms(sale.recorded_at))
    .bind(customer_id)
    .execute(&mut *conn)
    .await?;
    add_to_month(conn, customer_id, cal.month, paid_fen, new_visit, earned).await
}

/// Adds to one month's row (negative amounts for refunds).
pub(super) async fn add_to_month(
    conn: &mut AnyConnection,
    customer_id: i64,
    month: i64,
    spend_fen: i64,
    visits: i64,
    points: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO customer_months (customer_id, month, spend_fen, visits, points_earned) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id, month) DO UPDATE SET \
         spend_fen = customer_months.spend_fen + $3, visits = customer_months.visits + $4, \
         points_earned = customer_months.points_earned + $5",
    )
    .bind(customer_id)
    .bind(month)
    .bind(spend_fen)
    .bind(visits)
    .bind(points)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Rolling twelve months from the month rows.
pub(crate) async fn standing(
    conn: &mut AnyConnection,
    customer_id: i64,
    window_from: i64,
) -> Result<Standing, StoreError> {
    let (spend_fen, visits, points): (i64, i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(spend_fen), 0) AS BIGINT), CAST(COALESCE(SUM(visits), 0) AS BIGINT), \
         CAST(COALESCE(SUM(points_earned), 0) AS BIGINT) FROM customer_months \
         WHERE customer_id = $1 AND month >= $2",
    )
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
    sqlx::query(
        "INSERT INTO memberships (customer_id, tier_code, tier_since_ms, updated_at) \
         VALUES ($1, $2, $3, $3) ON CONFLICT (customer_id) DO NOTHING",
    )
    .bind(customer_id)
    .bind(&ladder.at(0).code)
    .bind(ms(now))
    .execute(&mut *conn)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT tier_code FROM memberships WHERE customer_id = $1")
            .bind(customer_id)
            .fetch_one(&mut *conn)
            .await?,
    )
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
    sqlx::query(
        "UPDATE memberships SET tier_code = $1, tier_since_ms = $2, updated_at = $2 \
         WHERE customer_id = $3",
    )
    .bind(to)
    .bind(ms(now))
    .bind(customer_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO tier_changes (customer_id, from_code, to_code, reason, reference, at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
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

/// Upgrades at once when the sale lifts the member's standing into a higher tier. Returns
/// the tier codes before and after.
pub(super) async fn upgrade_tier(
    conn: &mut AnyConnection,
    customer_id: i64,
    ladder: &TierLadder,
    cal: &Calendar,
    note: &EntryNote,
    now: Timestamp,
) -> Result<(String, String), StoreError> {
    let before = tier_of(conn, customer_id, ladder, now).await?;
    let s = standing(conn, customer_id, cal.window_from).await?;
    match ladder.upgrade(ladder.rank(&before), &s) {
        Some(rank) => {
            let to = ladder.at(rank).code.clone();
            change_tier(
                conn,
                customer_id,
                &before,
                &to,
                "upgrade",
                &note.reference,
                now,
            )
            .await?;
            Ok((before, to))
        }
        None => Ok((before.clone(), before)),
    }
}
