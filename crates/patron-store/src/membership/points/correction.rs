//! Refund corrections to the ledger: points a refunded sale earned are taken back, points it
//! redeemed are given back. Both run inside the refund's transaction.

use super::{EntryKind, EntryNote, append_entry, move_balance};
use crate::StoreError;
use jiff::Timestamp;
use patron_domain::membership::points::Points;
use sqlx::AnyConnection;

/// How a clawback went: what was taken from lots, and what the lots could not cover (left
/// as a negative balance when the policy allows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Clawed {
    pub points: Points,
    pub short: Points,
}

/// What a customer holds in all lots, pending ones included.
pub async fn held_in(conn: &mut AnyConnection, customer_id: i64) -> Result<Points, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(remaining), 0) AS BIGINT) FROM points_lots \
         WHERE customer_id = $1 AND remaining > 0",
    )
    .bind(customer_id)
    .fetch_one(&mut *conn)
    .await?)
}

/// Takes back `points` earned by the sale `reference`: from that sale's own lot first, then
/// from the other lots soonest-expiring first. What no lot covers is `short`; the caller has
/// checked its policy before asking for a clawback larger than `held_in`.
pub async fn clawback_in(
    conn: &mut AnyConnection,
    customer_id: i64,
    points: Points,
    note: &EntryNote,
    now: Timestamp,
) -> Result<Clawed, StoreError> {
    take_back_in(conn, customer_id, points, EntryKind::Clawback, note, now).await
}

/// Takes `points` from a customer's lots (any lot whose earning `note.reference` names
/// first, then soonest-expiring first), as entries of `kind`.
pub async fn take_back_in(
    conn: &mut AnyConnection,
    customer_id: i64,
    points: Points,
    kind: EntryKind,
    note: &EntryNote,
    now: Timestamp,
) -> Result<Clawed, StoreError> {
    if points <= 0 {
        return Ok(Clawed::default());
    }
    // The earning lots are found among the customer's own entries, once: a subquery per lot
    // on `lot_id` (not indexed) read the whole ledger for every lot the member held.
    let lots: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT l.id, l.remaining FROM points_lots l WHERE l.customer_id = $1 AND l.remaining > 0 \
         ORDER BY CASE WHEN l.id IN (SELECT e.lot_id FROM points_entries e \
                  WHERE e.customer_id = $1 AND e.kind = 'earn' AND e.reference = $2) \
                  THEN 0 ELSE 1 END, \
                  CASE WHEN l.expires_at_ms IS NULL THEN 1 ELSE 0 END, l.expires_at_ms, l.id",
    )
    .bind(customer_id)
    .bind(&note.reference)
    .fetch_all(&mut *conn)
    .await?;
    let mut left = points;
    for (lot_id, remaining) in lots {
        if left == 0 {
            break;
        }
        let take = left.min(remaining);
        // Conditional: a lot a concurrent redemption emptied meanwhile is skipped, never
        // overdrawn; what it cannot cover moves on to the next lot.
        let done = sqlx::query(
            "UPDATE points_lots SET remaining = remaining - $1 WHERE id = $2 AND remaining >= $1",
        )
        .bind(take)
        .bind(lot_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if done == 1 {
            append_entry(conn, customer_id, kind, -take, Some(lot_id), note, now).await?;
            left -= take;
        }
    }
    if left > 0 {
        append_entry(conn, customer_id, kind, -left, None, note, now).await?;
    }
    move_balance(conn, customer_id, -points, now).await?;
    Ok(Clawed {
        points: points - left,
        short: left,
    })
}

/// Gives back `points` redeemed on the sale `sale_reference`, as a new lot usable at once that
/// expires when the latest of the lots they came from does (never, if any of them never
/// expires), so a refund neither shortens nor extends their life.
pub async fn restore_in(
    conn: &mut AnyConnection,
    customer_id: i64,
    points: Points,
    sale_reference: &str,
    note: &EntryNote,
    now: Timestamp,
) -> Result<(), StoreError> {
    if points <= 0 {
        return Ok(());
    }
    let expiries: Vec<Option<i64>> = sqlx::query_scalar(
        "SELECT l.expires_at_ms FROM points_entries e JOIN points_lots l ON l.id = e.lot_id \
         WHERE e.customer_id = $1 AND e.kind = 'redeem' AND e.reference = $2",
    )
    .bind(customer_id)
    .bind(sale_reference)
    .fetch_all(&mut *conn)
    .await?;
    let expires_at = if expiries.iter().any(Option::is_none) {
        None
    } else {
        expiries.into_iter().flatten().max()
    };
    let lot = super::NewLot {
        points,
        usable_from: now,
        expires_at: expires_at.and_then(|v| Timestamp::from_millisecond(v).ok()),
    };
    super::earn_in(conn, customer_id, &lot, EntryKind::Restore, note, now).await?;
    Ok(())
}
