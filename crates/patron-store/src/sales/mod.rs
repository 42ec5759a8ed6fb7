//! Sales and refunds. A sale is written whole in one transaction: the till's idempotency
//! record, the sale and its lines, points redeemed and earned, the member's running
//! statistics and any tier upgrade. A replayed request finds its idempotency record and
//! changes nothing.

pub mod cards;
pub mod catalog;
pub mod coupons;
pub mod exit;
mod idempotency;
pub mod ranking;
pub mod read;
pub mod refund;
mod standing;

pub use idempotency::{Idempotency, Stored};
pub use standing::{Calendar, Reviewed, StatsRow};

use crate::db::placeholders;
use crate::points::{EntryKind, EntryNote, NewLot, PointsRefused, earn_in, redeem_in};
use crate::{Db, StoreError, ms};
use jiff::Timestamp;
use patron_domain::membership::TierLadder;
use patron_domain::points::Points;
use sqlx::AnyConnection;

/// One priced line, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSaleLine {
    pub sku: String,
    pub name: String,
    pub category: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub discount_fen: i64,
    pub net_fen: i64,
    pub paid_fen: i64,
    /// Whether the line's category earns points (its multiplier is above zero).
    pub earns: bool,
}

/// Where a sale came from; stored in `sales.source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaleSource {
    Till,
    Console,
    Import,
}

impl SaleSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SaleSource::Till => "till",
            SaleSource::Console => "console",
            SaleSource::Import => "import",
        }
    }
}

/// A sale ready to write: checked, priced, its points computed.
#[derive(Debug, Clone)]
pub struct NewSale {
    pub store_id: i64,
    pub receipt_no: String,
    pub customer_id: Option<i64>,
    pub till_name: String,
    pub staff_id: Option<i64>,
    /// When the sale happened (a till syncing after an outage sends earlier times).
    pub sold_at: Timestamp,
    /// When it reached Patron: ledger entries and records are stamped with this.
    pub recorded_at: Timestamp,
    pub lines: Vec<NewSaleLine>,
    pub points_redeemed: Points,
    pub points_value_fen: i64,
    /// Coupons used, with the discount each gave (already in the lines' net amounts).
    pub coupons: Vec<(String, i64)>,
    /// The lot earned, if any (none for anonymous sales or a sale that earns nothing).
    pub earned: Option<NewLot>,
    pub eligible_fen: i64,
    pub source: SaleSource,
    /// Local calendar facts of `sold_at` in the store's time zone.
    pub calendar: Calendar,
    pub actor_name: String,
}

/// What a written sale changed for its member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleOutcome {
    pub sale_id: i64,
    /// Balance after the sale; 0 for anonymous sales.
    pub balance: Points,
    pub tier_before: Option<String>,
    pub tier_after: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SaleRefused {
    #[error("receipt number already used in this store")]
    ReceiptTaken,
    /// The coupon was used by another sale meanwhile, voided, or expired.
    #[error("coupon {0} can no longer be used")]
    CouponGone(String),
    #[error(transparent)]
    Points(PointsRefused),
    /// The Idempotency-Key was already used: the stored answer (or a different body).
    #[error("idempotency key already used")]
    Replayed(Stored),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SaleRefused {
    fn from(e: sqlx::Error) -> Self {
        match StoreError::from(e) {
            StoreError::Conflict { constraint } if constraint == "uq_sales_store_id_receipt_no" => {
                SaleRefused::ReceiptTaken
            }
            other => SaleRefused::Store(other),
        }
    }
}

impl From<Stored> for SaleRefused {
    fn from(s: Stored) -> Self {
        SaleRefused::Replayed(s)
    }
}

impl From<PointsRefused> for SaleRefused {
    fn from(e: PointsRefused) -> Self {
        match e {
            PointsRefused::Store(s) => SaleRefused::Store(s),
            other => SaleRefused::Points(other),
        }
    }
}

impl Db {
    /// Writes a sale in one transaction. With `idem`, the key is claimed first: a key already
    /// answered returns `Replayed` with the stored answer and writes nothing; the answer for
    /// this sale is rendered by `idem.respond` and stored with it.
    pub async fn record_sale(
        &self,
        sale: &NewSale,
        ladder: &TierLadder,
        idem: Option<&Idempotency<'_, SaleOutcome>>,
    ) -> SaleResult {
        let mut tx = self.begin_write().await?;
        let done = record_sale_in(&mut tx, sale, ladder, idem).await;
        match done {
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

/// What writing one sale gave: its outcome and the stored answer, or why it was refused.
pub type SaleResult = Result<(SaleOutcome, Option<String>), SaleRefused>;

/// One sale of a batch written together.
pub type Together<'a> = (
    &'a NewSale,
    &'a TierLadder,
    Option<&'a Idempotency<'a, SaleOutcome>>,
);

/// Why a batch written together was not committed.
#[derive(Debug, thiserror::Error)]
pub enum BatchRefused {
    /// The sale at `index` was refused by its own checks; nothing was committed.
    #[error("sale {index} of the batch: {refused}")]
    Sale { index: usize, refused: SaleRefused },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for BatchRefused {
    fn from(e: sqlx::Error) -> Self {
        BatchRefused::Store(e.into())
    }
}

impl Db {
    /// Writes several sales in one transaction: one commit, one fsync. All or nothing: the
    /// first sale refused by its own checks (points raced, coupon gone, receipt taken, key
    /// replayed) rolls the batch back and is reported with its index, so the caller can
    /// answer it and write the others again without it. (Savepoints per sale would spare
    /// that rewrite but cost two statements on every sale, and refusals are rare.)
    pub async fn record_sales_together(
        &self,
        sales: &[Together<'_>],
    ) -> Result<Vec<(SaleOutcome, Option<String>)>, BatchRefused> {
        let mut tx = self.begin_write().await?;
        let mut results = Vec::with_capacity(sales.len());
        for (index, (sale, ladder, idem)) in sales.iter().enumerate() {
            match record_sale_in(&mut tx, sale, ladder, *idem).await {
                Ok(done) => results.push(done),
                Err(SaleRefused::Store(e)) => return Err(BatchRefused::Store(e)),
                Err(refused) => {
                    tx.rollback().await?;
                    return Err(BatchRefused::Sale { index, refused });
                }
            }
        }
        tx.commit().await?;
        Ok(results)
    }
}

/// `record_sale` on an open transaction (a batch of sales commits together).
pub async fn record_sale_in(
    conn: &mut AnyConnection,
    sale: &NewSale,
    ladder: &TierLadder,
    idem: Option<&Idempotency<'_, SaleOutcome>>,
) -> Result<(SaleOutcome, Option<String>), SaleRefused> {
    let now = sale.recorded_at;
    let list_fen: i64 = sale
        .lines
        .iter()
        .map(|l| l.quantity * l.unit_price_fen)
        .sum();
    let discount_fen: i64 = sale.lines.iter().map(|l| l.discount_fen).sum();
    let net_fen: i64 = sale.lines.iter().map(|l| l.net_fen).sum();
    let paid_fen: i64 = sale.lines.iter().map(|l| l.paid_fen).sum();
    let earned = sale.earned.as_ref().map_or(0, |l| l.points);
    let sale_id: i64 = sqlx::query_scalar(
        "INSERT INTO sales (store_id, receipt_no, customer_id, till_name, staff_id, sold_at_ms, \
         list_fen, discount_fen, net_fen, points_value_fen, paid_fen, eligible_fen, \
         points_earned, points_redeemed, source, created_at, local_month, local_day) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18) RETURNING id",
    )
    .bind(sale.store_id)
    .bind(&sale.receipt_no)
    .bind(sale.customer_id)
    .bind(&sale.till_name)
    .bind(sale.staff_id)
    .bind(ms(sale.sold_at))
    .bind(list_fen)
    .bind(discount_fen)
    .bind(net_fen)
    .bind(sale.points_value_fen)
    .bind(paid_fen)
    .bind(sale.eligible_fen)
    .bind(earned)
    .bind(sale.points_redeemed)
    .bind(sale.source.as_str())
    .bind(ms(now))
    .bind(sale.calendar.month)
    .bind(sale.calendar.day)
    .fetch_one(&mut *conn)
    .await?;
    insert_lines(conn, sale_id, &sale.lines).await?;
    let mut outcome = SaleOutcome {
        sale_id,
        balance: 0,
        tier_before: None,
        tier_after: None,
    };
    if let Some(customer_id) = sale.customer_id {
        let note = EntryNote {
            reason: format!("receipt {}", sale.receipt_no),
            reference: format!("sale:{sale_id}"),
            actor_name: sale.actor_name.clone(),
        };
        for (code, discount) in &sale.coupons {
            if !coupons::use_coupon_in(conn, code, customer_id, sale_id, *discount, sale.sold_at)
                .await?
            {
                return Err(SaleRefused::CouponGone(code.clone()));
            }
        }
        let mut balance = None;
        if sale.points_redeemed > 0 {
            balance = Some(
                redeem_in(conn, customer_id, sale.points_redeemed, &note, now)
                    .await?
                    .1,
            );
        }
        if let Some(lot) = sale.earned.as_ref().filter(|l| l.points > 0) {
            balance = Some(
                earn_in(conn, customer_id, lot, EntryKind::Earn, &note, now)
                    .await?
                    .1,
            );
        }
        standing::record_purchase(conn, customer_id, sale, paid_fen, earned).await?;
        let (before, after) =
            standing::upgrade_tier(conn, customer_id, ladder, &sale.calendar, &note, now).await?;
        outcome.tier_before = Some(before);
        outcome.tier_after = Some(after);
        outcome.balance = match balance {
            Some(b) => b,
            None => sqlx::query_scalar::<_, i64>(
                "SELECT balance FROM points_accounts WHERE customer_id = $1",
            )
            .bind(customer_id)
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or(0),
        };
    }
    // The key is written last, with its answer: a concurrent request with the same key
    // (another server) waits on it here and then finds it taken.
    let body = match idem {
        Some(i) => Some(i.record::<SaleRefused>(conn, &outcome, now).await?),
        None => None,
    };
    Ok((outcome, body))
}

/// Lines go in many rows per statement; a receipt rarely has more than a few dozen.
async fn insert_lines(
    conn: &mut AnyConnection,
    sale_id: i64,
    lines: &[NewSaleLine],
) -> Result<(), SaleRefused> {
    for (chunk_no, chunk) in lines.chunks(50).enumerate() {
        let sql = format!(
            "INSERT INTO sale_lines (sale_id, line_no, sku, name, category, quantity, \
             unit_price_fen, discount_fen, net_fen, paid_fen, earns) VALUES {}",
            placeholders(conn, chunk.len(), 11, "")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (i, l) in chunk.iter().enumerate() {
            let line_no = i64::try_from(chunk_no * 50 + i + 1).unwrap_or(i64::MAX);
            q = q
                .bind(sale_id)
                .bind(line_no)
                .bind(&l.sku)
                .bind(&l.name)
                .bind(&l.category)
                .bind(l.quantity)
                .bind(l.unit_price_fen)
                .bind(l.discount_fen)
                .bind(l.net_fen)
                .bind(l.paid_fen)
                .bind(i64::from(l.earns));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
