//! Sales written together: the rows every sale has (the sale, its lines, the till's answer)
//! go in many rows a statement, and only what depends on the member (coupons, points,
//! statistics, tier) is written sale by sale. The group-commit writer's batches and a single
//! till sale take the same path; a single sale is a batch of one.

use super::{
    BatchRefused, LINE_ARITY, LINE_COLUMNS, NewSale, NewSaleLine, SALE_ARITY, SALE_COLUMNS,
    SaleOutcome, SaleRefused, Stored, Together, Totals, apply_sale_in, bind_line, bind_sale,
};
use crate::db::placeholders;
use crate::reports::rollup::Rollup;
use crate::{Db, StoreError, ms};
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// Sales a statement: 19 parameters each, well under SQLite's 32,766 and PostgreSQL's 65,535.
const SALES_PER_STATEMENT: usize = 500;
/// Lines a statement (11 parameters each).
const LINES_PER_STATEMENT: usize = 2_000;

/// Writes the sales rows and their lines. Returns each sale's id, in order, or `None` where
/// its receipt number is taken: stored before, or by an earlier sale of `sales`. A taken
/// receipt writes nothing for its sale.
pub(crate) async fn insert_sales(
    conn: &mut AnyConnection,
    sales: &[&NewSale],
) -> Result<Vec<Option<i64>>, StoreError> {
    let mut ids = Vec::with_capacity(sales.len());
    for chunk in sales.chunks(SALES_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO sales ({SALE_COLUMNS}) VALUES {} \
             ON CONFLICT (store_id, receipt_no) DO NOTHING RETURNING id, store_id, receipt_no",
            placeholders(conn, chunk.len(), SALE_ARITY, "")
        );
        let totals: Vec<Totals> = chunk.iter().map(|s| Totals::of(s)).collect();
        let mut q = sqlx::query_as::<_, (i64, i64, String)>(sqlx::AssertSqlSafe(sql));
        for (sale, t) in chunk.iter().zip(&totals) {
            q = bind_sale(q, sale, t);
        }
        // Rows come back keyed by receipt: neither backend promises their order.
        let mut written: HashMap<(i64, String), i64> = q
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|(id, store, receipt)| ((store, receipt), id))
            .collect();
        // The first sale with a receipt number gets the row; a second one in the same
        // statement was skipped by `DO NOTHING` and is taken.
        ids.extend(
            chunk
                .iter()
                .map(|s| written.remove(&(s.store_id, s.receipt_no.clone()))),
        );
    }
    let lines: Vec<(i64, usize, &NewSaleLine)> = sales
        .iter()
        .zip(&ids)
        .filter_map(|(s, id)| id.map(|id| (id, s)))
        .flat_map(|(id, s)| s.lines.iter().enumerate().map(move |(n, l)| (id, n + 1, l)))
        .collect();
    for chunk in lines.chunks(LINES_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO sale_lines ({LINE_COLUMNS}) VALUES {}",
            placeholders(conn, chunk.len(), LINE_ARITY, "")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, n, l) in chunk {
            q = bind_line(q, *id, *n, l);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(ids)
}

/// One answer to store: the till's key and the body it gets.
struct Answer<'a> {
    scope: &'a str,
    key: &'a str,
    hash: &'a str,
    status: u16,
    body: String,
}

/// Stores the tills' answers. `Err((index, stored))` for the first key already answered
/// (the till retried a request that is already written): that sale must not be written.
async fn store_answers(
    conn: &mut AnyConnection,
    answers: &[(usize, Answer<'_>)],
    now: jiff::Timestamp,
) -> Result<Result<(), (usize, Stored)>, StoreError> {
    for chunk in answers.chunks(SALES_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO idempotency_keys (scope, idem_key, request_hash, status_code, response, \
             created_at) VALUES {} ON CONFLICT (scope, idem_key) DO NOTHING \
             RETURNING scope, idem_key",
            placeholders(conn, chunk.len(), 6, "")
        );
        let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
        for (_, a) in chunk {
            q = q
                .bind(a.scope)
                .bind(a.key)
                .bind(a.hash)
                .bind(i64::from(a.status))
                .bind(a.body.as_str())
                .bind(ms(now));
        }
        let mut fresh: HashSet<(String, String)> =
            q.fetch_all(&mut *conn).await?.into_iter().collect();
        for (index, a) in chunk {
            if !fresh.remove(&(a.scope.to_string(), a.key.to_string())) {
                let stored = super::idempotency::read(conn, a.scope, a.key).await?;
                return Ok(Err((
                    *index,
                    stored.unwrap_or(Stored {
                        request_hash: String::new(),
                        status_code: 0,
                        response: String::new(),
                    }),
                )));
            }
        }
    }
    Ok(Ok(()))
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
        let Some(now) = sales.first().map(|s| s.0.recorded_at) else {
            return Ok(Vec::new());
        };
        let mut tx = self.begin_write().await?;
        let rows: Vec<&NewSale> = sales.iter().map(|(s, _, _)| *s).collect();
        let ids = insert_sales(&mut tx, &rows).await?;
        if let Some(index) = ids.iter().position(Option::is_none) {
            tx.rollback().await?;
            let refused = SaleRefused::ReceiptTaken;
            return Err(BatchRefused::Sale { index, refused });
        }
        let mut outcomes = Vec::with_capacity(sales.len());
        for (index, ((sale, ladder, _), id)) in
            sales.iter().zip(ids.into_iter().flatten()).enumerate()
        {
            match apply_sale_in(&mut tx, sale, id, ladder).await {
                Ok(done) => outcomes.push(done),
                Err(SaleRefused::Store(e)) => return Err(BatchRefused::Store(e)),
                Err(refused) => {
                    tx.rollback().await?;
                    return Err(BatchRefused::Sale { index, refused });
                }
            }
        }
        let mut rollup = Rollup::default();
        for (sale, _, _) in sales {
            rollup.add_sale(sale);
        }
        rollup.write(&mut tx).await?;
        // The keys are written last, with their answers: a concurrent request with one of
        // them (another server) waits on it here and then finds it taken.
        let answers: Vec<(usize, Answer<'_>)> = sales
            .iter()
            .zip(&outcomes)
            .enumerate()
            .filter_map(|(index, ((_, _, idem), outcome))| {
                idem.map(|i| {
                    let (status, body) = (i.respond)(outcome);
                    let answer = Answer {
                        scope: i.scope,
                        key: i.key,
                        hash: i.request_hash,
                        status,
                        body,
                    };
                    (index, answer)
                })
            })
            .collect();
        if let Err((index, stored)) = store_answers(&mut tx, &answers, now).await? {
            tx.rollback().await?;
            let refused = SaleRefused::Replayed(stored);
            return Err(BatchRefused::Sale { index, refused });
        }
        tx.commit().await?;
        let mut bodies: Vec<Option<String>> = vec![None; outcomes.len()];
        for (index, a) in answers {
            bodies[index] = Some(a.body);
        }
        Ok(outcomes.into_iter().zip(bodies).collect())
    }
}
