//! Sales and refunds. A sale is written whole in one transaction: the till's idempotency
//! record, the sale and its lines, points redeemed and earned, the member's running
//! statistics and any tier upgrade. A replayed request finds its idempotency record and
//! changes nothing.

pub mod bulk;
pub mod catalog;
mod idempotency;
pub mod read;
pub mod refund;
pub(crate) mod standing;
mod together;

pub use idempotency::{Idempotency, Stored};
pub use standing::{Calendar, Reviewed, StatsRow};

use crate::membership::coupons;
use crate::membership::points::{EntryKind, EntryNote, NewLot, PointsRefused, earn_in, redeem_in};
use crate::reports::rollup::Rollup;
use crate::{Db, StoreError, ms};
use jiff::Timestamp;
use patron_domain::membership::TierLadder;
use patron_domain::membership::points::Points;
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

/// `record_sale` on an open transaction (a batch of sales commits together).
pub async fn record_sale_in(
    conn: &mut AnyConnection,
    sale: &NewSale,
    ladder: &TierLadder,
    idem: Option<&Idempotency<'_, SaleOutcome>>,
) -> Result<(SaleOutcome, Option<String>), SaleRefused> {
    let Some(sale_id) = together::insert_sales(conn, &[sale]).await?[0] else {
        return Err(SaleRefused::ReceiptTaken);
    };
    let outcome = apply_sale_in(conn, sale, sale_id, ladder).await?;
    let mut rollup = Rollup::default();
    rollup.add_sale(sale);
    rollup.write(conn).await?;
    // The key is written last, with its answer: a concurrent request with the same key
    // (another server) waits on it here and then finds it taken.
    let body = match idem {
        Some(i) => Some(
            i.record::<SaleRefused>(conn, &outcome, sale.recorded_at)
                .await?,
        ),
        None => None,
    };
    Ok((outcome, body))
}

/// What a written sale (its row and lines stored as `sale_id`) does for its member: coupons
/// used, points redeemed and earned, statistics, tier.
pub(crate) async fn apply_sale_in(
    conn: &mut AnyConnection,
    sale: &NewSale,
    sale_id: i64,
    ladder: &TierLadder,
) -> Result<SaleOutcome, SaleRefused> {
    let now = sale.recorded_at;
    let totals = Totals::of(sale);
    let (paid_fen, earned) = (totals.paid_fen, totals.earned);
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
        let (before, after) = standing::upgrade_tier(
            conn,
            customer_id,
            ladder,
            sale.calendar.window_from,
            &note.reference,
            now,
        )
        .await?;
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
    Ok(outcome)
}

/// The columns a sale is written with, in the order `bind_sale` binds them.
pub(crate) const SALE_COLUMNS: &str = "store_id, receipt_no, customer_id, till_name, staff_id, \
     sold_at_ms, list_fen, discount_fen, net_fen, points_value_fen, paid_fen, eligible_fen, \
     points_earned, points_redeemed, source, created_at, local_month, local_day, local_hour";
pub(crate) const SALE_ARITY: usize = 19;

/// The columns a line is written with, in the order `bind_line` binds them.
pub(crate) const LINE_COLUMNS: &str = "sale_id, line_no, sku, name, category, quantity, \
     unit_price_fen, discount_fen, net_fen, paid_fen, earns";
pub(crate) const LINE_ARITY: usize = 11;

/// A sale's amounts, summed from its lines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Totals {
    pub list_fen: i64,
    pub discount_fen: i64,
    pub net_fen: i64,
    pub paid_fen: i64,
    pub earned: i64,
}

impl Totals {
    pub fn of(sale: &NewSale) -> Totals {
        let mut t = Totals {
            list_fen: 0,
            discount_fen: 0,
            net_fen: 0,
            paid_fen: 0,
            earned: sale.earned.as_ref().map_or(0, |l| l.points),
        };
        for l in &sale.lines {
            t.list_fen += l.quantity * l.unit_price_fen;
            t.discount_fen += l.discount_fen;
            t.net_fen += l.net_fen;
            t.paid_fen += l.paid_fen;
        }
        t
    }
}

/// Binds a sale's `SALE_COLUMNS`.
pub(crate) fn bind_sale<'q, Q: Bind<'q>>(q: Q, sale: &'q NewSale, t: &Totals) -> Q {
    q.bind_i64(sale.store_id)
        .bind_str(&sale.receipt_no)
        .bind_opt(sale.customer_id)
        .bind_str(&sale.till_name)
        .bind_opt(sale.staff_id)
        .bind_i64(ms(sale.sold_at))
        .bind_i64(t.list_fen)
        .bind_i64(t.discount_fen)
        .bind_i64(t.net_fen)
        .bind_i64(sale.points_value_fen)
        .bind_i64(t.paid_fen)
        .bind_i64(sale.eligible_fen)
        .bind_i64(t.earned)
        .bind_i64(sale.points_redeemed)
        .bind_str(sale.source.as_str())
        .bind_i64(ms(sale.recorded_at))
        .bind_i64(sale.calendar.month)
        .bind_i64(sale.calendar.day)
        .bind_i64(sale.calendar.hour)
}

/// Binds a line's `LINE_COLUMNS` (`line_no` counts from 1).
pub(crate) fn bind_line<'q, Q: Bind<'q>>(
    q: Q,
    sale_id: i64,
    line_no: usize,
    l: &'q NewSaleLine,
) -> Q {
    q.bind_i64(sale_id)
        .bind_i64(i64::try_from(line_no).unwrap_or(i64::MAX))
        .bind_str(&l.sku)
        .bind_str(&l.name)
        .bind_str(&l.category)
        .bind_i64(l.quantity)
        .bind_i64(l.unit_price_fen)
        .bind_i64(l.discount_fen)
        .bind_i64(l.net_fen)
        .bind_i64(l.paid_fen)
        .bind_i64(i64::from(l.earns))
}

/// The three kinds of value sales and lines bind, over sqlx's query types, so that one
/// function lists a row's values for single and multi-row statements alike.
pub(crate) trait Bind<'q>: Sized {
    fn bind_i64(self, v: i64) -> Self;
    fn bind_opt(self, v: Option<i64>) -> Self;
    fn bind_str(self, v: &'q str) -> Self;
    fn bind_opt_str(self, v: Option<&'q str>) -> Self;
}

/// sqlx's query types bind every value the same way.
macro_rules! bind_through_sqlx {
    ($(<$($g:ident),*> $t:ty),+ $(,)?) => {$(
        impl<'q, $($g),*> Bind<'q> for $t {
            fn bind_i64(self, v: i64) -> Self {
                self.bind(v)
            }
            fn bind_opt(self, v: Option<i64>) -> Self {
                self.bind(v)
            }
            fn bind_str(self, v: &'q str) -> Self {
                self.bind(v)
            }
            fn bind_opt_str(self, v: Option<&'q str>) -> Self {
                self.bind(v)
            }
        }
    )+};
}

bind_through_sqlx!(
    <> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    <O> sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
    <O> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
);
