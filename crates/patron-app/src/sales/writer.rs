//! Group commit for checkouts. A disk makes a few hundred durable commits a second; a busy
//! chain sends more sales than that. So sales are written by one task per process that takes
//! every sale waiting, writes them in one transaction, and commits them together: one
//! fsync for the batch. Each till is answered only after the commit that holds its sale, so
//! an acknowledged sale is durable. A sale refused by its own checks (points raced, receipt
//! taken) is answered with its refusal and the batch is written again without it. When the
//! batch as a whole fails (a PostgreSQL deadlock with another server, a lost connection), each
//! sale is retried in a transaction of its own.

use patron_domain::membership::TierLadder;
use patron_store::Db;
use patron_store::sales::{
    BatchRefused, Idempotency, NewSale, SaleOutcome, SaleRefused, SaleResult, Together,
};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most sales in one commit; a bound on how long one batch holds the write lock.
const MAX_BATCH: usize = 256;

pub(crate) type Respond = Box<dyn Fn(&SaleOutcome) -> (u16, String) + Send + Sync>;

/// One sale to write, with the till's key and how to render its answer.
pub(crate) struct Pending {
    pub sale: NewSale,
    pub ladder: Arc<TierLadder>,
    pub scope: String,
    pub key: String,
    pub hash: String,
    pub respond: Respond,
}

struct Job {
    pending: Pending,
    reply: oneshot::Sender<SaleResult>,
}

/// The sending side, shared by every clone of the `App`; the tasks start on first use.
/// SQLite has one writer at a time anyway, so it gets one lane; PostgreSQL gets several,
/// each with its own batches, and a member's sales always take the same lane so that their
/// row locks do not contend across batches.
#[derive(Clone, Default)]
pub struct SaleWriter {
    lanes: Arc<std::sync::OnceLock<Vec<mpsc::Sender<Job>>>>,
}

impl SaleWriter {
    pub(crate) async fn write(&self, db: &Db, pending: Pending) -> SaleResult {
        let lanes = self.lanes.get_or_init(|| {
            (0..db.write_lanes())
                .map(|_| {
                    let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
                    tokio::spawn(run(db.clone(), rx));
                    tx
                })
                .collect()
        });
        let key = pending.sale.customer_id.unwrap_or_else(|| {
            pending
                .sale
                .receipt_no
                .bytes()
                .fold(0i64, |h, b| h.wrapping_mul(31).wrapping_add(i64::from(b)))
        });
        let lane = &lanes[usize::try_from(key.rem_euclid(lanes.len() as i64)).unwrap_or(0)];
        let (reply, answer) = oneshot::channel();
        let job = Job { pending, reply };
        let gone = || {
            SaleRefused::Store(patron_store::StoreError::Unsupported(
                "the sale writer stopped".into(),
            ))
        };
        lane.send(job).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write_batch(&db, std::mem::take(&mut batch)).await;
    }
}

fn idem(p: &Pending) -> Idempotency<'_, SaleOutcome> {
    Idempotency {
        scope: &p.scope,
        key: &p.key,
        request_hash: &p.hash,
        respond: &*p.respond,
    }
}

/// Writes a batch together. `Err` when the transaction failed: nothing of it is committed.
async fn try_batch(
    db: &Db,
    jobs: &[Job],
) -> Result<Vec<(SaleOutcome, Option<String>)>, BatchRefused> {
    let idems: Vec<Idempotency<'_, SaleOutcome>> = jobs.iter().map(|j| idem(&j.pending)).collect();
    let sales: Vec<Together<'_>> = jobs
        .iter()
        .zip(&idems)
        .map(|(j, i)| (&j.pending.sale, &*j.pending.ladder, Some(i)))
        .collect();
    db.record_sales_together(&sales).await
}

async fn write_batch(db: &Db, mut jobs: Vec<Job>) {
    loop {
        match try_batch(db, &jobs).await {
            Ok(results) => {
                for (job, result) in jobs.into_iter().zip(results) {
                    let _ = job.reply.send(Ok(result));
                }
                return;
            }
            // One sale refused: answer it, and write the rest again without it.
            Err(BatchRefused::Sale { index, refused }) => {
                let job = jobs.remove(index);
                let _ = job.reply.send(Err(refused));
                if jobs.is_empty() {
                    return;
                }
            }
            Err(BatchRefused::Store(e)) => {
                if jobs.len() > 1 {
                    tracing::warn!(error = %e, sales = jobs.len(), "batch failed; writing its sales one by one");
                }
                for job in jobs {
                    let p = &job.pending;
                    let result = db.record_sale(&p.sale, &p.ladder, Some(&idem(p))).await;
                    let _ = job.reply.send(result);
                }
                return;
            }
        }
    }
}
