//! Sales history: `patron import sales` backfilling a shop's old receipts, and the demo's
//! two years of sales. History that earns points goes through the till's storage path, many
//! sales a transaction, in time order so that tiers rise as they did. History without points
//! (the usual backfill) goes through the bulk writer (`patron_store::sales::bulk`): statistics
//! summed per member and batch, tiers judged on the last twelve months.

use super::calendar;
use super::preparation::{Earning, prepare_sale};
use crate::membership::Programme;
use crate::{App, AppError};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use patron_domain::membership::TierLadder;
use patron_domain::sales::{LineInput, check_lines};
use patron_store::StoreError;
use patron_store::sales::bulk::{BulkWritten, TierCheck};
use patron_store::sales::{BatchRefused, NewSale, SaleRefused, SaleSource, Together};
use std::sync::Arc;

/// One past sale.
#[derive(Debug, Clone)]
pub struct PastSale {
    pub store_id: i64,
    pub tz: TimeZone,
    pub receipt_no: String,
    pub customer_id: Option<i64>,
    /// Who rang it up, when known.
    pub staff_id: Option<i64>,
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
        sales: Vec<PastSale>,
        earn: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<(usize, Vec<PastSaleProblem>), AppError> {
        let programme = self.loyalty().await?;
        let (ready, mut problems) = prepare(&programme, sales, earn, self.now());
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
                            Err(SaleRefused::ReceiptTaken) => problems.push(taken(sale)),
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

fn taken(sale: &NewSale) -> PastSaleProblem {
    PastSaleProblem {
        receipt_no: sale.receipt_no.clone(),
        field: "receipt_no",
        key: "error.checkout.receipt_taken",
    }
}

/// Checks and prices past sales, in time order: the sales to write and the problems.
pub(crate) fn prepare(
    programme: &Programme,
    mut sales: Vec<PastSale>,
    earn: bool,
    now: Timestamp,
) -> (Vec<NewSale>, Vec<PastSaleProblem>) {
    sales.sort_by_key(|s| s.sold_at);
    let multiplier = programme.ladder.at(0).points_permille;
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
        let earning = Earning {
            multiplier,
            at: s.sold_at,
            tz: &s.tz,
            lot: earn && s.customer_id.is_some(),
        };
        let prepared = match prepare_sale(programme, s.lines, 0, earning) {
            Ok(p) => p,
            Err(e) => {
                problems.push(problem(e.field, e.key));
                continue;
            }
        };
        ready.push(NewSale {
            store_id: s.store_id,
            receipt_no: s.receipt_no,
            customer_id: s.customer_id,
            till_name: "import".into(),
            staff_id: s.staff_id,
            sold_at: s.sold_at,
            recorded_at: now,
            lines: prepared.lines,
            points_redeemed: 0,
            points_value_fen: 0,
            coupons: Vec::new(),
            earned: prepared.earned,
            eligible_fen: prepared.eligible_fen,
            source: SaleSource::Import,
            calendar: calendar(s.sold_at, &s.tz),
            actor_name: "import".into(),
        });
    }
    (ready, problems)
}

/// The bulk writer for history without points. On SQLite a thread of its own writes with a
/// connection of its own, so the next batch is read and checked while one is written;
/// otherwise batches go through the pool in turn.
pub(crate) struct BulkHistory {
    ladder: Arc<TierLadder>,
    window_from: i64,
    now: Timestamp,
    writer: Writer,
}

enum Writer {
    Thread {
        batches: tokio::sync::mpsc::Sender<Vec<NewSale>>,
        /// Taken when the thread is joined.
        done: Option<std::thread::JoinHandle<Result<BulkWritten, StoreError>>>,
        /// Written batches come back to be freed here, by the thread that allocated them:
        /// freeing millions of small strings on the writer's thread made both threads
        /// contend for the allocator.
        spent: std::sync::mpsc::Receiver<Vec<NewSale>>,
    },
    Pool(BulkWritten),
}

fn add(total: &mut BulkWritten, batch: BulkWritten) {
    total.sales += batch.sales;
    total.lines += batch.lines;
    total.upgrades += batch.upgrades;
    total.reindexed |= batch.reindexed;
    total.taken.extend(batch.taken);
}

impl BulkHistory {
    pub async fn start(app: &App) -> Result<BulkHistory, AppError> {
        let programme = app.loyalty().await?;
        let ladder = Arc::new(programme.ladder.clone());
        let now = app.now();
        let window_from = calendar(now, &app.config.timezone()).window_from;
        let writer = match app.db.open_sqlite_bulk()? {
            None => Writer::Pool(BulkWritten::default()),
            Some(mut bulk) => {
                // Two batches in flight at most: one being written, one waiting.
                let (batches, mut incoming) = tokio::sync::mpsc::channel::<Vec<NewSale>>(1);
                let ladder = Arc::clone(&ladder);
                let (give_back, spent) = std::sync::mpsc::channel();
                let done = std::thread::Builder::new()
                    .name("sales-import".into())
                    .spawn(move || {
                        let check = TierCheck {
                            ladder: &ladder,
                            window_from,
                            now,
                        };
                        let mut total = BulkWritten::default();
                        let mut failed = None;
                        while let Some(batch) = incoming.blocking_recv() {
                            match bulk.write(&batch, &check) {
                                Ok(written) => add(&mut total, written),
                                Err(e) => {
                                    failed = Some(e);
                                    break;
                                }
                            }
                            // The reading side may have finished; then the batch is freed here.
                            let _ = give_back.send(batch);
                        }
                        // The indexes come back even when a batch failed.
                        let rebuilt = bulk.finish();
                        match failed {
                            Some(e) => Err(e),
                            None => rebuilt.map(|()| total),
                        }
                    })
                    .map_err(|e| AppError::Internal(format!("cannot start the writer: {e}")))?;
                Writer::Thread {
                    batches,
                    done: Some(done),
                    spent,
                }
            }
        };
        Ok(BulkHistory {
            ladder,
            window_from,
            now,
            writer,
        })
    }

    /// Writes a batch of prepared sales (in time order), or hands it to the writer thread.
    pub async fn write(&mut self, app: &App, batch: Vec<NewSale>) -> Result<(), AppError> {
        match &mut self.writer {
            Writer::Pool(total) => {
                let check = TierCheck {
                    ladder: &self.ladder,
                    window_from: self.window_from,
                    now: self.now,
                };
                add(total, app.db.record_sales_in_bulk(&batch, &check).await?);
                Ok(())
            }
            // A closed channel means the writer stopped on an error: that error is the answer.
            Writer::Thread {
                batches,
                done,
                spent,
            } => {
                while let Ok(old) = spent.try_recv() {
                    drop(old);
                }
                match batches.send(batch).await {
                    Ok(()) => Ok(()),
                    Err(_) => {
                        join(done.take()).await?;
                        Err(AppError::Internal("the sales writer stopped".into()))
                    }
                }
            }
        }
    }

    /// Waits for the last batch; what was written, and the receipts found stored already.
    pub async fn finish(self) -> Result<BulkWritten, AppError> {
        match self.writer {
            Writer::Pool(total) => Ok(total),
            Writer::Thread { batches, done, .. } => {
                drop(batches);
                join(done).await
            }
        }
    }
}

async fn join(
    done: Option<std::thread::JoinHandle<Result<BulkWritten, StoreError>>>,
) -> Result<BulkWritten, AppError> {
    let Some(done) = done else {
        return Err(AppError::Internal("the sales writer stopped".into()));
    };
    let joined = tokio::task::spawn_blocking(move || done.join())
        .await
        .map_err(|e| AppError::Internal(format!("sales writer: {e}")))?;
    match joined {
        Ok(written) => Ok(written?),
        Err(_) => Err(AppError::Internal("the sales writer panicked".into())),
    }
}
