//! The points ledger: lots, append-only entries and the running balance, each change in one
//! transaction. Redemptions never overdraw: every lot and the balance are taken down by a
//! conditional update (`... AND remaining >= $1`), so of two redemptions racing for the same
//! points one fails with `PointsRefused::Raced` and changes nothing.

pub mod adjust;
pub mod correction;
pub mod report;

use crate::decode::{Code, Millis, codes};
use crate::{Db, StoreError, WriteTx, ms};
use jiff::Timestamp;
use patron_domain::membership::points::{Lot, Points, PointsError, Take, plan_redemption};
use sqlx::AnyConnection;

pub use patron_domain::membership::points::EntryKind;

codes!(
    EntryKind, "points_entries.kind", EntryKind::parse;
);

/// Who and why, written on every entry: members and staff always see why it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryNote {
    pub reason: String,
    /// What caused it: `sale:123`, `refund:9`, `adjustment:4`; empty for none.
    pub reference: String,
    pub actor_name: String,
}

/// A new lot of earned points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLot {
    pub points: Points,
    pub usable_from: Timestamp,
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, thiserror::Error)]
pub enum PointsRefused {
    #[error(transparent)]
    Rule(#[from] PointsError),
    /// Another redemption took the same points first; nothing was changed.
    #[error("points were spent by a concurrent redemption")]
    Raced,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for PointsRefused {
    fn from(e: sqlx::Error) -> Self {
        PointsRefused::Store(e.into())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EntryRow {
    pub id: i64,
    #[sqlx(try_from = "Code")]
    pub kind: EntryKind,
    pub points: i64,
    pub lot_id: Option<i64>,
    pub reason: String,
    pub reference: String,
    pub actor_name: String,
    #[sqlx(rename = "at_ms", try_from = "Millis")]
    pub at: Timestamp,
}

/// A customer whose stored balance differs from the sum of the ledger or of the lots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub customer_id: i64,
    pub balance: i64,
    pub entries: i64,
    pub lots: i64,
}

pub(crate) async fn append_entry(
    conn: &mut AnyConnection,
    customer_id: i64,
    kind: EntryKind,
    points: Points,
    lot_id: Option<i64>,
    note: &EntryNote,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO points_entries (customer_id, kind, points, lot_id, reason, reference, \
         actor_name, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(customer_id)
    .bind(kind.code())
    .bind(points)
    .bind(lot_id)
    .bind(&note.reason)
    .bind(&note.reference)
    .bind(&note.actor_name)
    .bind(ms(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds `delta` to the balance, creating the account on the first entry. Returns the new
/// balance.
pub(crate) async fn move_balance(
    conn: &mut AnyConnection,
    customer_id: i64,
    delta: Points,
    now: Timestamp,
) -> Result<Points, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO points_accounts (customer_id, balance, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (customer_id) DO UPDATE SET balance = points_accounts.balance + $2, \
         updated_at = $3 RETURNING balance",
    )
    .bind(customer_id)
    .bind(delta)
    .bind(ms(now))
    .fetch_one(&mut *conn)
    .await?)
}

/// A customer's lots with points left, soonest expiry first (never-expiring last).
async fn open_lots(conn: &mut AnyConnection, customer_id: i64) -> Result<Vec<Lot>, StoreError> {
    let rows: Vec<(i64, i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, remaining, usable_from_ms, expires_at_ms FROM points_lots \
         WHERE customer_id = $1 AND remaining > 0 \
         ORDER BY CASE WHEN expires_at_ms IS NULL THEN 1 ELSE 0 END, expires_at_ms, id",
    )
    .bind(customer_id)
    .fetch_all(&mut *conn)
    .await?;
    let at = |v: i64| Timestamp::from_millisecond(v).unwrap_or(Timestamp::MAX);
    Ok(rows
        .into_iter()
        .map(|(id, remaining, usable_from, expires_at)| Lot {
            id,
            remaining,
            usable_from: at(usable_from),
            expires_at: expires_at.map(at),
        })
        .collect())
}

impl Db {
    /// Records earned points as a new lot: lot, entry and balance in one transaction.
    pub async fn earn_points(
        &self,
        customer_id: i64,
        lot: &NewLot,
        kind: EntryKind,
        note: &EntryNote,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let (id, _) = earn_in(&mut tx, customer_id, lot, kind, note, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Spends `points` from the usable lots that expire soonest. Refused, changing nothing,
    /// when fewer are usable or a concurrent redemption took them first.
    pub async fn redeem_points(
        &self,
        customer_id: i64,
        points: Points,
        note: &EntryNote,
        now: Timestamp,
    ) -> Result<Vec<Take>, PointsRefused> {
        let mut tx: WriteTx = self.begin_write().await?;
        let (takes, _) = redeem_in(&mut tx, customer_id, points, note, now).await?;
        tx.commit().await?;
        Ok(takes)
    }

    /// The lots of a customer, soonest expiry first (never-expiring last).
    pub async fn points_lots(&self, customer_id: i64) -> Result<Vec<Lot>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        open_lots(&mut conn, customer_id).await
    }

    /// The stored balance (0 for a customer who never earned).
    pub async fn points_balance(&self, customer_id: i64) -> Result<Points, StoreError> {
        let b: Option<i64> =
            sqlx::query_scalar("SELECT balance FROM points_accounts WHERE customer_id = $1")
                .bind(customer_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(b.unwrap_or(0))
    }

    /// The newest entries of a customer's ledger.
    pub async fn points_entries(
        &self,
        customer_id: i64,
        limit: i64,
    ) -> Result<Vec<EntryRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, kind, points, lot_id, reason, reference, actor_name, at_ms \
             FROM points_entries WHERE customer_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(customer_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Ends the lots that expired by `now`: an `expire` entry for what was left of each,
    /// lot emptied and balance lowered, one customer per transaction. Returns the points
    /// expired.
    pub async fn expire_points(&self, now: Timestamp) -> Result<Points, StoreError> {
        let due: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT customer_id FROM points_lots \
             WHERE remaining > 0 AND expires_at_ms <= $1",
        )
        .bind(ms(now))
        .fetch_all(self.pool())
        .await?;
        let mut total = 0;
        for customer_id in due {
            let mut tx = self.begin_write().await?;
            let lots: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT id, remaining FROM points_lots \
                 WHERE customer_id = $1 AND remaining > 0 AND expires_at_ms <= $2",
            )
            .bind(customer_id)
            .bind(ms(now))
            .fetch_all(&mut *tx)
            .await?;
            let note = EntryNote {
                reason: "expired".into(),
                reference: String::new(),
                actor_name: "system".into(),
            };
            for (lot_id, remaining) in lots {
                let done = sqlx::query(
                    "UPDATE points_lots SET remaining = 0 WHERE id = $1 AND remaining = $2",
                )
                .bind(lot_id)
                .bind(remaining)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if done == 1 {
                    append_entry(
                        &mut tx,
                        customer_id,
                        EntryKind::Expire,
                        -remaining,
                        Some(lot_id),
                        &note,
                        now,
                    )
                    .await?;
                    move_balance(&mut tx, customer_id, -remaining, now).await?;
                    total += remaining;
                }
            }
            tx.commit().await?;
        }
        Ok(total)
    }

    /// Customers whose balance is not the sum of their entries, or whose lots hold more
    /// than the balance (a negative balance allowed by a refund policy leaves lots empty).
    /// Empty on a correct ledger. (`SUM` of BIGINT is NUMERIC on PostgreSQL, which `Any`
    /// cannot read: hence the casts.)
    pub async fn points_mismatches(&self) -> Result<Vec<Mismatch>, StoreError> {
        let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT a.customer_id, a.balance, \
               CAST(COALESCE((SELECT SUM(e.points) FROM points_entries e \
                         WHERE e.customer_id = a.customer_id), 0) AS BIGINT), \
               CAST(COALESCE((SELECT SUM(l.remaining) FROM points_lots l \
                         WHERE l.customer_id = a.customer_id), 0) AS BIGINT) \
             FROM points_accounts a",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .filter(|(_, balance, entries, lots)| balance != entries || *lots != (*balance).max(0))
            .map(|(customer_id, balance, entries, lots)| Mismatch {
                customer_id,
                balance,
                entries,
                lots,
            })
            .collect())
    }
}

/// `earn_points` on an open transaction (a sale writes its points with the sale). When a
/// refund policy left the balance negative, the new lot first pays that debt: it keeps only
/// what is left over, so the lots always hold exactly the positive part of the balance.
pub async fn earn_in(
    conn: &mut AnyConnection,
    customer_id: i64,
    lot: &NewLot,
    kind: EntryKind,
    note: &EntryNote,
    now: Timestamp,
) -> Result<(i64, Points), StoreError> {
    // The balance moves first: its row lock orders this against a concurrent clawback.
    let after = move_balance(conn, customer_id, lot.points, now).await?;
    let debt = (lot.points - after).max(0);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO points_lots (customer_id, original, remaining, usable_from_ms, \
         expires_at_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(customer_id)
    .bind(lot.points)
    .bind(lot.points - debt.min(lot.points))
    .bind(ms(lot.usable_from))
    .bind(lot.expires_at.map(ms))
    .bind(ms(now))
    .fetch_one(&mut *conn)
    .await?;
    append_entry(conn, customer_id, kind, lot.points, Some(id), note, now).await?;
    Ok((id, after))
}

/// `redeem_points` on an open transaction.
pub async fn redeem_in(
    conn: &mut AnyConnection,
    customer_id: i64,
    points: Points,
    note: &EntryNote,
    now: Timestamp,
) -> Result<(Vec<Take>, Points), PointsRefused> {
    let lots = open_lots(conn, customer_id).await?;
    let takes = plan_redemption(&lots, points, now)?;
    for t in &takes {
        let done = sqlx::query(
            "UPDATE points_lots SET remaining = remaining - $1 WHERE id = $2 AND remaining >= $1",
        )
        .bind(t.points)
        .bind(t.lot_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if done != 1 {
            return Err(PointsRefused::Raced);
        }
        append_entry(
            conn,
            customer_id,
            EntryKind::Redeem,
            -t.points,
            Some(t.lot_id),
            note,
            now,
        )
        .await?;
    }
    let balance: Option<Points> = sqlx::query_scalar(
        "UPDATE points_accounts SET balance = balance - $1, updated_at = $2 \
         WHERE customer_id = $3 AND balance >= $1 RETURNING balance",
    )
    .bind(points)
    .bind(ms(now))
    .bind(customer_id)
    .fetch_optional(&mut *conn)
    .await?;
    match balance {
        Some(b) => Ok((takes, b)),
        None => Err(PointsRefused::Raced),
    }
}
