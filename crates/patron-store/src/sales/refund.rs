//! Refunds, whole or in parts, of a stored sale. In one transaction: the lines' refunded
//! quantities, money back pro rata, redeemed points restored, earned points taken back (the
//! refund policy decides what happens when they were spent), statistics lowered and an
//! upgrade that this sale caused undone when the member no longer qualifies.

use super::idempotency::{Idempotency, Stored};
use super::standing::{self, Calendar};
use crate::membership::points::EntryNote;
use crate::membership::points::correction::{clawback_in, held_in, restore_in};
use crate::reports::rollup::{RefundFacts, RefundedLine, Rollup};
use crate::{Db, StoreError, ms};
use jiff::Timestamp;
use patron_domain::membership::TierLadder;
use patron_domain::membership::points::{Points, pro_rata_part};
use patron_domain::sales::refund_part;
use sqlx::AnyConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundLine {
    pub line_no: i64,
    pub quantity: i64,
}

#[derive(Debug, Clone)]
pub struct NewRefund {
    pub store_id: i64,
    pub refund_no: String,
    /// The receipt of the sale refunded, in the same store.
    pub receipt_no: String,
    /// Empty: everything not yet refunded.
    pub lines: Vec<RefundLine>,
    pub reason: String,
    pub till_name: String,
    pub actor_name: String,
    pub recorded_at: Timestamp,
    /// Calendar of `recorded_at`, for the rolling twelve months the tier is judged on.
    pub calendar: Calendar,
    /// The refund policy when earned points were already spent: allow a negative balance
    /// (true) or refuse the refund (false).
    pub allow_negative: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOutcome {
    pub refund_id: i64,
    pub sale_id: i64,
    pub customer_id: Option<i64>,
    pub net_fen: i64,
    pub paid_fen: i64,
    pub points_clawed: Points,
    pub points_restored: Points,
    /// Points taken back that the member no longer had (now a negative balance).
    pub points_short: Points,
    pub balance: Points,
    pub tier_before: Option<String>,
    pub tier_after: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RefundRefused {
    #[error("no sale with that receipt number in this store")]
    SaleNotFound,
    #[error("refund number already used in this store")]
    RefundNoTaken,
    #[error("line {0} is not on the receipt")]
    UnknownLine(i64),
    #[error("line {0}: more than is left to refund")]
    TooMany(i64),
    #[error("nothing left to refund")]
    NothingLeft,
    /// The policy forbids a negative balance and the member spent the points this refund
    /// takes back.
    #[error("the member already spent {short} of the points this refund takes back")]
    PointsSpent { short: Points },
    /// Another refund of the same lines was written meanwhile; nothing was changed.
    #[error("the sale changed meanwhile")]
    Raced,
    #[error("idempotency key already used")]
    Replayed(Stored),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RefundRefused {
    fn from(e: sqlx::Error) -> Self {
        match StoreError::from(e) {
            StoreError::Conflict { constraint }
                if constraint == "uq_refunds_store_id_refund_no" =>
            {
                RefundRefused::RefundNoTaken
            }
            other => RefundRefused::Store(other),
        }
    }
}

impl From<Stored> for RefundRefused {
    fn from(s: Stored) -> Self {
        RefundRefused::Replayed(s)
    }
}

#[derive(sqlx::FromRow)]
struct SaleHead {
    id: i64,
    customer_id: Option<i64>,
    net_fen: i64,
    eligible_fen: i64,
    points_earned: i64,
    points_redeemed: i64,
    refunded_net_fen: i64,
    refunded_eligible_fen: i64,
    local_month: i64,
    staff_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct LineLeft {
    line_no: i64,
    quantity: i64,
    refunded_qty: i64,
    net_fen: i64,
    paid_fen: i64,
    earns: i64,
    sku: String,
    category: String,
}

impl Db {
    pub async fn record_refund(
        &self,
        refund: &NewRefund,
        ladder: &TierLadder,
        idem: Option<&Idempotency<'_, RefundOutcome>>,
    ) -> Result<(RefundOutcome, Option<String>), RefundRefused> {
        let mut tx = self.begin_write().await?;
        match record_refund_in(&mut tx, refund, ladder, idem).await {
            Ok(v) => {
                tx.commit().await?;
                Ok(v)
            }
            Err(e) => {
                tx.rollback().await?;
                Err(e)
            }
        }
    }
}

pub async fn record_refund_in(
    conn: &mut AnyConnection,
    r: &NewRefund,
    ladder: &TierLadder,
    idem: Option<&Idempotency<'_, RefundOutcome>>,
) -> Result<(RefundOutcome, Option<String>), RefundRefused> {
    let now = r.recorded_at;
    let sale: SaleHead = sqlx::query_as(
        "SELECT id, customer_id, net_fen, eligible_fen, points_earned, points_redeemed, \
         refunded_net_fen, refunded_eligible_fen, local_month, staff_id FROM sales \
         WHERE store_id = $1 AND receipt_no = $2",
    )
    .bind(r.store_id)
    .bind(&r.receipt_no)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(RefundRefused::SaleNotFound)?;
    let lines: Vec<LineLeft> = sqlx::query_as(
        "SELECT line_no, quantity, refunded_qty, net_fen, paid_fen, earns, sku, category \
         FROM sale_lines \
         WHERE sale_id = $1 ORDER BY line_no",
    )
    .bind(sale.id)
    .fetch_all(&mut *conn)
    .await?;
    let wanted: Vec<RefundLine> = if r.lines.is_empty() {
        lines
            .iter()
            .filter(|l| l.refunded_qty < l.quantity)
            .map(|l| RefundLine {
                line_no: l.line_no,
                quantity: l.quantity - l.refunded_qty,
            })
            .collect()
    } else {
        r.lines.clone()
    };
    let (mut net_now, mut paid_now, mut eligible_now) = (0, 0, 0);
    let mut parts = Vec::with_capacity(wanted.len());
    for w in &wanted {
        let l = lines
            .iter()
            .find(|l| l.line_no == w.line_no)
            .ok_or(RefundRefused::UnknownLine(w.line_no))?;
        if w.quantity <= 0 || w.quantity > l.quantity - l.refunded_qty {
            return Err(RefundRefused::TooMany(w.line_no));
        }
        let (net, paid) = refund_part(
            l.quantity,
            l.refunded_qty,
            w.quantity,
            l.net_fen,
            l.paid_fen,
        );
        let done = sqlx::query(
            "UPDATE sale_lines SET refunded_qty = refunded_qty + $1 \
             WHERE sale_id = $2 AND line_no = $3 AND refunded_qty = $4",
        )
        .bind(w.quantity)
        .bind(sale.id)
        .bind(w.line_no)
        .bind(l.refunded_qty)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if done != 1 {
            return Err(RefundRefused::Raced);
        }
        net_now += net;
        paid_now += paid;
        if l.earns != 0 {
            eligible_now += paid;
        }
        parts.push((w.line_no, w.quantity, paid, net, l));
    }
    if parts.is_empty() {
        return Err(RefundRefused::NothingLeft);
    }
    let claw = pro_rata_part(
        sale.points_earned,
        sale.eligible_fen,
        sale.refunded_eligible_fen,
        eligible_now,
    );
    let restore = pro_rata_part(
        sale.points_redeemed,
        sale.net_fen,
        sale.refunded_net_fen,
        net_now,
    );
    sqlx::query(
        "UPDATE sales SET refunded_net_fen = refunded_net_fen + $1, \
         refunded_paid_fen = refunded_paid_fen + $2, refunded_eligible_fen = refunded_eligible_fen + $3 \
         WHERE id = $4",
    )
    .bind(net_now)
    .bind(paid_now)
    .bind(eligible_now)
    .bind(sale.id)
    .execute(&mut *conn)
    .await?;
    let refund_id: i64 = sqlx::query_scalar(
        "INSERT INTO refunds (sale_id, store_id, refund_no, customer_id, net_fen, paid_fen, \
         points_clawed, points_restored, points_short, reason, till_name, at_ms, local_day, \
         local_month, local_hour) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(sale.id)
    .bind(r.store_id)
    .bind(&r.refund_no)
    .bind(sale.customer_id)
    .bind(net_now)
    .bind(paid_now)
    .bind(claw)
    .bind(restore)
    .bind(&r.reason)
    .bind(&r.till_name)
    .bind(ms(now))
    .bind(r.calendar.day)
    .bind(r.calendar.month)
    .bind(r.calendar.hour)
    .fetch_one(&mut *conn)
    .await?;
    for (line_no, quantity, paid, net, _) in &parts {
        sqlx::query(
            "INSERT INTO refund_lines (refund_id, line_no, quantity, paid_fen, net_fen) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(refund_id)
        .bind(line_no)
        .bind(quantity)
        .bind(paid)
        .bind(net)
        .execute(&mut *conn)
        .await?;
    }
    let mut rollup = Rollup::default();
    rollup.add_refund(&RefundFacts {
        store_id: r.store_id,
        calendar: &r.calendar,
        member: sale.customer_id.is_some(),
        staff_id: sale.staff_id,
        lines: parts
            .iter()
            .map(|(_, _, _, net, l)| RefundedLine {
                sku: &l.sku,
                category: &l.category,
                net_fen: *net,
            })
            .collect(),
    });
    rollup.write(conn).await?;
    let mut outcome = RefundOutcome {
        refund_id,
        sale_id: sale.id,
        customer_id: sale.customer_id,
        net_fen: net_now,
        paid_fen: paid_now,
        points_clawed: claw,
        points_restored: restore,
        points_short: 0,
        balance: 0,
        tier_before: None,
        tier_after: None,
    };
    if let Some(customer_id) = sale.customer_id {
        let sale_ref = format!("sale:{}", sale.id);
        let note = |reference: String| EntryNote {
            reason: format!("refund {} of receipt {}", r.refund_no, r.receipt_no),
            reference,
            actor_name: r.actor_name.clone(),
        };
        restore_in(
            conn,
            customer_id,
            restore,
            &sale_ref,
            &note(format!("refund:{refund_id}")),
            now,
        )
        .await?;
        let held = held_in(conn, customer_id).await?;
        if claw > held && !r.allow_negative {
            return Err(RefundRefused::PointsSpent { short: claw - held });
        }
        // The clawback is referenced to the sale, so it takes that sale's own lot first.
        let clawed = clawback_in(conn, customer_id, claw, &note(sale_ref.clone()), now).await?;
        outcome.points_short = clawed.short;
        if clawed.short > 0 {
            sqlx::query("UPDATE refunds SET points_short = $1 WHERE id = $2")
                .bind(clawed.short)
                .bind(refund_id)
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query(
            "UPDATE customer_stats SET total_spend_fen = total_spend_fen - $1, updated_at = $2 \
             WHERE customer_id = $3",
        )
        .bind(paid_now)
        .bind(ms(now))
        .bind(customer_id)
        .execute(&mut *conn)
        .await?;
        standing::refund_from_month(conn, customer_id, sale.local_month, paid_now, claw).await?;
        let (before, after) = undo_upgrade(
            conn,
            customer_id,
            ladder,
            &r.calendar,
            &sale_ref,
            refund_id,
            now,
        )
        .await?;
        outcome.tier_before = Some(before);
        outcome.tier_after = Some(after);
        outcome.balance = sqlx::query_scalar::<_, i64>(
            "SELECT balance FROM points_accounts WHERE customer_id = $1",
        )
        .bind(customer_id)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or(0);
    }
    let body = match idem {
        Some(i) => Some(i.record::<RefundRefused>(conn, &outcome, now).await?),
        None => None,
    };
    Ok((outcome, body))
}

/// A refund re-evaluates the tier: when the member's latest upgrade came from the refunded
/// sale and the standing no longer earns that tier, it is undone (to what the member still
/// qualifies for, never below the tier held before). Other downgrades wait for the review.
async fn undo_upgrade(
    conn: &mut AnyConnection,
    customer_id: i64,
    ladder: &TierLadder,
    cal: &Calendar,
    sale_ref: &str,
    refund_id: i64,
    now: Timestamp,
) -> Result<(String, String), StoreError> {
    let current = standing::tier_of(conn, customer_id, ladder, now).await?;
    let latest: Option<(String, String, String)> = sqlx::query_as(
        "SELECT from_code, reason, reference FROM tier_changes WHERE customer_id = $1 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(customer_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((from, reason, reference)) = latest else {
        return Ok((current.clone(), current));
    };
    if reason != "upgrade" || reference != sale_ref {
        return Ok((current.clone(), current));
    }
    let s = standing::standing(conn, customer_id, cal.window_from).await?;
    let rank = ladder.rank(&current);
    let qualifies = ladder.qualifying(&s);
    if qualifies >= rank {
        return Ok((current.clone(), current));
    }
    let to = ladder.at(qualifies.max(ladder.rank(&from))).code.clone();
    standing::change_tier(
        conn,
        customer_id,
        &current,
        &to,
        "refund",
        &format!("refund:{refund_id}"),
        now,
    )
    .await?;
    Ok((current, to))
}
