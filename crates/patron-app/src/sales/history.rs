//! Sales history written in bulk: `patron import sales` backfilling a shop's old receipts,
//! and the demo's year of sales. Each sale goes through the same storage path as a till's
//! (statistics, tier upgrades, optionally points), many sales per transaction, in time order
//! so that tiers rise as they did.

use super::{calendar, lot_for};
use crate::{App, AppError};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use patron_domain::points::SaleLine;
use patron_domain::sale::{LineInput, check_lines, price};
use patron_store::sales::{BatchRefused, NewSale, NewSaleLine, SaleRefused, SaleSource, Together};

/// One past sale.
#[derive(Debug, Clone)]
pub struct PastSale {
    pub store_id: i64,
    pub tz: TimeZone,
    pub receipt_no: String,
    pub customer_id: Option<i64>,
    pub sold_at: Timestamp,
    pub lines: Vec<LineInput>,
}

/// Why a past sale was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastSaleProblem {
    pub receipt_no: String,
    pub field: &'static str,
    pub key: &'static str,
}

/// Sales per transaction: large enough that commits cost little, small enough that a
/// batch's locks are short.
const PER_TRANSACTION: usize = 500;

impl App {
    /// Writes past sales. With `earn`, members earn points as the programme says today (at
    /// the entry tier's rate); their lots get the expiry they would have had, so points from
    /// long ago expire at the next expiry run. Sales that fail their checks, or whose receipt
    /// number is stored already, are returned as problems and the rest are written.
    pub async fn record_past_sales(
        &self,
        mut sales: Vec<PastSale>,
        earn: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<(usize, Vec<PastSaleProblem>), AppError> {
        sales.sort_by_key(|s| s.sold_at);
        let programme = self.loyalty().await?;
        let multiplier = programme.ladder.at(0).points_permille;
        let now = self.now();
        let mut problems = Vec::new();
        let mut ready = Vec::with_capacity(sales.len());
        for s in sales {
            let problem = |field, key| PastSaleProblem {
                receipt_no: s.receipt_no.clone(),
                field,
                key,
            };
            if let Err(e) = check_lines(&s.lines) {
                problems.push(problem(e.field, e.key));
                continue;
            }
            if s.sold_at > now {
                problems.push(problem("sold_at", "error.checkout.sold_at"));
                continue;
            }
            let priced = match price(s.lines, 0) {
                Ok(p) => p,
                Err(e) => {
                    problems.push(problem(e.field, e.key));
                    continue;
                }
            };
            let local_day = s.tz.to_datetime(s.sold_at).date();
            let earned = programme.earning.earn(
                &priced
                    .iter()
                    .map(|l| SaleLine {
                        category: l.input.category.clone(),
                        paid_fen: l.paid_fen,
                    })
                    .collect::<Vec<_>>(),
                multiplier,
                local_day,
            );
            let lot = if earn && s.customer_id.is_some() {
                lot_for(&programme, earned.points, s.sold_at, &s.tz)
            } else {
                None
            };
            ready.push(NewSale {
                store_id: s.store_id,
                receipt_no: s.receipt_no,
                customer_id: s.customer_id,
                till_name: "import".into(),
                staff_id: None,
                sold_at: s.sold_at,
                recorded_at: now,
                lines: priced
                    .into_iter()
                    .map(|l| NewSaleLine {
                        earns: programme.earning.earns(&l.input.category),
                        sku: l.input.sku,
                        name: l.input.name,
                        category: l.input.category,
                        quantity: l.input.quantity,
                        unit_price_fen: l.input.unit_price_fen,
                        discount_fen: l.input.discount_fen,
                        net_fen: l.net_fen,
                        paid_fen: l.paid_fen,
                    })
                    .collect(),
                points_redeemed: 0,
                points_value_fen: 0,
                coupons: Vec::new(),
                earned: lot,
                eligible_fen: earned.eligible_fen,
                source: SaleSource::Import,
                calendar: calendar(s.sold_at, &s.tz),
                actor_name: "import".into(),
            });
        }
        let mut written = 0;
        for batch in ready.chunks(PER_TRANSACTION) {
            let together: Vec<Together<'_>> =
                batch.iter().map(|s| (s, &programme.ladder, None)).collect();
            match self.db.record_sales_together(&together).await {
                Ok(done) => written += done.len(),
                // A receipt already stored (a file imported twice): write this batch one sale
                // at a time and report the ones that are there already.
                Err(BatchRefused::Sale { .. }) => {
                    for sale in batch {
                        match self.db.record_sale(sale, &programme.ladder, None).await {
                            Ok(_) => written += 1,
                            Err(SaleRefused::Store(e)) => return Err(e.into()),
                            Err(SaleRefused::ReceiptTaken) => problems.push(PastSaleProblem {
                                receipt_no: sale.receipt_no.clone(),
                                field: "receipt_no",
                                key: "error.checkout.receipt_taken",
                            }),
                            Err(other) => return Err(AppError::Internal(other.to_string())),
                        }
                    }
                }
                Err(BatchRefused::Store(e)) => return Err(e.into()),
            }
            progress(written);
        }
        Ok((written, problems))
    }
}
