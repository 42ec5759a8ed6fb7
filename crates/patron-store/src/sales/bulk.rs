//! Sales history in bulk (`patron import sales`): thousands of receipts a transaction, each
//! member's statistics summed over the batch and added once, each member's tier checked once
//! a batch. The rows are the till's (`SALE_COLUMNS`, `LINE_COLUMNS`, the same statistics
//! upserts); only the number of statements differs. Points are not earned here: an import
//! that earns points goes through the till's path, sale by sale.
//!
//! A batch is all or nothing. Receipts already stored are skipped and reported (a file
//! imported twice changes nothing the second time).
//!
//! On SQLite the batch is written through a connection of its own (rusqlite), with each
//! statement prepared once and bound row by row: through sqlx, building and sending each
//! statement cost more than SQLite's work. On PostgreSQL it goes through the pool, many rows
//! a statement.

use super::standing::{
    ADD_MONTH_SQL, ADD_STATS_SQL, SET_TIER_SQL, STANDING_SQL, Sums, TIER_CHANGE_SQL, TIER_OF_SQL,
    UPGRADE_REASON,
};
use super::{
    Bind, LINE_ARITY, LINE_COLUMNS, NewSale, SALE_ARITY, SALE_COLUMNS, Totals, bind_line, bind_sale,
};
use crate::db::numbered;
use crate::reports::rollup::Rollup;
use crate::{Db, StoreError, ms};
use jiff::Timestamp;
use patron_domain::membership::{Standing, TierLadder};
use std::collections::{BTreeMap, BTreeSet};

/// How imported history moves tiers: upgrades only, judged on the rolling twelve months that
/// end with the current month (history older than that earns no tier today).
#[derive(Debug, Clone, Copy)]
pub struct TierCheck<'a> {
    pub ladder: &'a TierLadder,
    /// First month (`yyyymm`) of the rolling window.
    pub window_from: i64,
    pub now: Timestamp,
}

/// What a batch wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkWritten {
    pub sales: usize,
    pub lines: usize,
    /// Receipt numbers already stored for their store (`store_id`, receipt): skipped.
    pub taken: Vec<(i64, String)>,
    /// Members whose tier rose.
    pub upgrades: usize,
    /// The sales indexes were dropped while writing and built again at the end.
    pub reindexed: bool,
}

/// The statistics a batch adds, by customer and by customer and month.
#[derive(Default)]
struct BatchSums {
    customers: BTreeMap<i64, Sums>,
    months: BTreeMap<(i64, i64), Sums>,
}

impl BatchSums {
    /// Adds a written sale; sales come in time order.
    fn add(&mut self, sale: &NewSale, t: &Totals) {
        let Some(customer) = sale.customer_id else {
            return;
        };
        let (at, day) = (ms(sale.sold_at), sale.calendar.day);
        let put = |s: Option<&mut Sums>| match s {
            Some(s) => {
                s.add(at, day, t.paid_fen, t.earned);
                None
            }
            None => Some(Sums::new(at, day, t.paid_fen, t.earned)),
        };
        if let Some(new) = put(self.customers.get_mut(&customer)) {
            self.customers.insert(customer, new);
        }
        let key = (customer, sale.calendar.month);
        if let Some(new) = put(self.months.get_mut(&key)) {
            self.months.insert(key, new);
        }
    }
}

/// The reference tier changes from imported history are recorded with.
const TIER_REFERENCE: &str = "import";

/// A connection of its own for writing history on SQLite.
///
/// A large import writes the sales without their two secondary indexes and builds them again
/// at the end, by sorting: inserting millions of receipts into an index ordered by customer
/// touches a random page a receipt, which was a third of the writer's time at 6,000,000
/// lines. The indexes are dropped only from the batch with which this import reaches as many
/// sales as the table held when it began (and at least `UNINDEXED_FROM`), so the rebuild
/// costs at most about twice what the import itself added. Rebuilt by `finish`, also after a failed batch; if the
/// process dies in between, `Db::migrate` (run at every start) builds them again.
pub struct SqliteBulk {
    pub(crate) conn: rusqlite::Connection,
    /// Highest sale id when the import began (about the number of stored sales).
    stored: i64,
    /// Sales this import has written.
    written: usize,
    unindexed_from: usize,
    unindexed: bool,
}

/// Sales an import writes with the indexes in place before it may drop them.
pub(crate) const UNINDEXED_FROM: usize = 250_000;

/// The sales table's secondary indexes, as the migrations create them (0004).
pub(crate) const SALES_INDEXES: [(&str, &str); 2] = [
    ("ix_sales_customer", "sales (customer_id, sold_at_ms)"),
    ("ix_sales_store_time", "sales (store_id, sold_at_ms)"),
];

impl Db {
    /// Opens the SQLite writer for history; `None` on PostgreSQL and for in-memory SQLite,
    /// where `record_sales_in_bulk` writes through the pool.
    pub fn open_sqlite_bulk(&self) -> Result<Option<SqliteBulk>, StoreError> {
        let Some(file) = self.sqlite_file() else {
            return Ok(None);
        };
        let conn = rusqlite::Connection::open(&file.path)?;
        conn.busy_timeout(file.busy_timeout)?;
        // A 1 GiB page cache (freed when the import ends): at tens of millions of lines the
        // sales indexes outgrow smaller caches and every receipt then reads pages back.
        // Helper threads for SQLite's sorter: the indexes are rebuilt once the file is read,
        // when the reading side's core is idle.
        let helpers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        conn.execute_batch(&format!(
            "PRAGMA synchronous = {}; PRAGMA foreign_keys = ON; PRAGMA cache_size = -1048576; \
             PRAGMA temp_store = MEMORY; PRAGMA threads = {helpers};",
            file.synchronous
        ))?;
        let stored: i64 =
            conn.query_row("SELECT COALESCE(MAX(id), 0) FROM sales", [], |r| r.get(0))?;
        Ok(Some(SqliteBulk {
            conn,
            stored,
            written: 0,
            unindexed_from: file.bulk_unindexed_from,
            unindexed: false,
        }))
    }

    /// Writes a batch of past sales through the pool, many rows a statement (PostgreSQL,
    /// and SQLite when it has no file of its own).
    pub async fn record_sales_in_bulk(
        &self,
        sales: &[NewSale],
        tiers: &TierCheck<'_>,
    ) -> Result<BulkWritten, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut done = BulkWritten::default();
        let rows: Vec<&NewSale> = sales.iter().collect();
        let ids = super::together::insert_sales(&mut tx, &rows).await?;
        let mut sums = BatchSums::default();
        let mut rollup = Rollup::default();
        for (sale, id) in sales.iter().zip(&ids) {
            if id.is_some() {
                sums.add(sale, &Totals::of(sale));
                rollup.add_sale(sale);
                done.sales += 1;
                done.lines += sale.lines.len();
            } else {
                done.taken.push((sale.store_id, sale.receipt_no.clone()));
            }
        }
        rollup.write(&mut tx).await?;
        for (customer, s) in &sums.customers {
            super::standing::add_stats(&mut tx, *customer, s, tiers.now).await?;
        }
        for ((customer, month), s) in &sums.months {
            super::standing::add_month(&mut tx, *customer, *month, s).await?;
        }
        for customer in sums.customers.keys() {
            let (before, after) = super::standing::upgrade_tier(
                &mut tx,
                *customer,
                tiers.ladder,
                tiers.window_from,
                TIER_REFERENCE,
                tiers.now,
            )
            .await?;
            if before != after {
                done.upgrades += 1;
            }
        }
        tx.commit().await?;
        Ok(done)
    }
}

/// Binds one row of a prepared rusqlite statement, parameter by parameter.
pub(crate) struct Row<'s, 'c> {
    stmt: &'s mut rusqlite::CachedStatement<'c>,
    next: usize,
    failed: Option<rusqlite::Error>,
}

impl<'s, 'c> Row<'s, 'c> {
    pub(crate) fn new(stmt: &'s mut rusqlite::CachedStatement<'c>) -> Self {
        Row {
            stmt,
            next: 1,
            failed: None,
        }
    }

    fn put<T: rusqlite::ToSql>(mut self, v: T) -> Self {
        if self.failed.is_none()
            && let Err(e) = self.stmt.raw_bind_parameter(self.next, v)
        {
            self.failed = Some(e);
        }
        self.next += 1;
        self
    }

    /// Runs the statement; the number of rows it changed.
    pub(crate) fn run(self) -> Result<usize, rusqlite::Error> {
        match self.failed {
            Some(e) => Err(e),
            None => self.stmt.raw_execute(),
        }
    }
}

impl<'q> Bind<'q> for Row<'_, '_> {
    fn bind_i64(self, v: i64) -> Self {
        self.put(v)
    }
    fn bind_opt(self, v: Option<i64>) -> Self {
        self.put(v)
    }
    fn bind_str(self, v: &'q str) -> Self {
        self.put(v)
    }
    fn bind_opt_str(self, v: Option<&'q str>) -> Self {
        self.put(v)
    }
}

/// The rows a sale refers to, with the constraint that names each reference.
const SALE_REFERENCES: [(&str, &str); 3] = [
    ("stores", "fk_sales_store"),
    ("customers", "fk_sales_customer"),
    ("staff", "fk_sales_staff"),
];

/// Checks that every store, member and staff member a batch names exists, each looked up
/// once, inside the batch's transaction (so none can go before it commits). With these, and
/// lines that refer to the sale just written, the batch satisfies every foreign key the
/// tables declare; the writer checks them here instead of SQLite checking them row by row.
fn check_references(tx: &rusqlite::Transaction<'_>, sales: &[NewSale]) -> Result<(), StoreError> {
    let mut named: [BTreeSet<i64>; 3] = Default::default();
    for sale in sales {
        named[0].insert(sale.store_id);
        named[1].extend(sale.customer_id);
        named[2].extend(sale.staff_id);
    }
    for ((table, constraint), ids) in SALE_REFERENCES.iter().zip(&named) {
        let mut exists = tx.prepare_cached(&format!("SELECT 1 FROM {table} WHERE id = ?1"))?;
        for id in ids {
            if !exists.exists([id])? {
                return Err(StoreError::Conflict {
                    constraint: (*constraint).to_string(),
                });
            }
        }
    }
    Ok(())
}

impl SqliteBulk {
    /// Writes a batch of past sales (in time order) in one transaction.
    ///
    /// SQLite's own foreign-key checks are off while it runs: they looked up the sale again
    /// for every line and the store, member and staff member for every sale, about a tenth
    /// of a large import. `check_references` gives the same guarantee once a batch.
    pub fn write(
        &mut self,
        sales: &[NewSale],
        tiers: &TierCheck<'_>,
    ) -> Result<BulkWritten, StoreError> {
        // The pragma is ignored inside a transaction: set it around the batch's.
        self.conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        let done = self.write_checked(sales, tiers);
        let restored = self.conn.execute_batch("PRAGMA foreign_keys = ON");
        let done = done?;
        restored?;
        self.written += done.sales;
        Ok(done)
    }

    fn write_checked(
        &mut self,
        sales: &[NewSale],
        tiers: &TierCheck<'_>,
    ) -> Result<BulkWritten, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        check_references(&tx, sales)?;
        let after = self.written + sales.len();
        if !self.unindexed
            && after >= self.unindexed_from
            && i64::try_from(after).unwrap_or(i64::MAX) >= self.stored
        {
            for (name, _) in SALES_INDEXES {
                tx.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
            }
            self.unindexed = true;
        }
        let mut done = BulkWritten {
            reindexed: self.unindexed,
            ..BulkWritten::default()
        };
        let mut sums = BatchSums::default();
        let mut rollup = Rollup::default();
        {
            let mut insert_sale = tx.prepare_cached(&format!(
                "INSERT INTO sales ({SALE_COLUMNS}) VALUES ({}) \
                 ON CONFLICT (store_id, receipt_no) DO NOTHING",
                numbered(1, SALE_ARITY)
            ))?;
            let mut insert_line = tx.prepare_cached(&format!(
                "INSERT INTO sale_lines ({LINE_COLUMNS}) VALUES ({})",
                numbered(1, LINE_ARITY)
            ))?;
            for sale in sales {
                let t = Totals::of(sale);
                if bind_sale(Row::new(&mut insert_sale), sale, &t).run()? == 0 {
                    done.taken.push((sale.store_id, sale.receipt_no.clone()));
                    continue;
                }
                let id = tx.last_insert_rowid();
                for (n, l) in sale.lines.iter().enumerate() {
                    bind_line(Row::new(&mut insert_line), id, n + 1, l).run()?;
                }
                done.sales += 1;
                done.lines += sale.lines.len();
                sums.add(sale, &t);
                rollup.add_sale(sale);
            }
            rollup.write_sqlite(&tx)?;
            let mut stats = tx.prepare_cached(ADD_STATS_SQL)?;
            for (customer, s) in &sums.customers {
                stats.execute(rusqlite::params![
                    customer,
                    s.first_ms,
                    s.last_ms,
                    s.purchases,
                    s.visits,
                    s.last_day,
                    s.spend_fen,
                    ms(tiers.now),
                    s.first_day
                ])?;
            }
            let mut months = tx.prepare_cached(ADD_MONTH_SQL)?;
            for ((customer, month), s) in &sums.months {
                months.execute(rusqlite::params![
                    customer,
                    month,
                    s.spend_fen,
                    s.visits,
                    s.points,
                    s.last_day,
                    s.first_day
                ])?;
            }
            let mut tier_of = tx.prepare_cached(TIER_OF_SQL)?;
            let mut standing = tx.prepare_cached(STANDING_SQL)?;
            let mut set_tier = tx.prepare_cached(SET_TIER_SQL)?;
            let mut change = tx.prepare_cached(TIER_CHANGE_SQL)?;
            let entry = &tiers.ladder.at(0).code;
            let now = ms(tiers.now);
            let top = tiers.ladder.tiers().len() - 1;
            // As `upgrade_tier` on the till's path, with the statements prepared once.
            for customer in sums.customers.keys() {
                let current: String =
                    tier_of.query_row(rusqlite::params![customer, entry, now], |r| r.get(0))?;
                let rank = tiers.ladder.rank(&current);
                if rank >= top {
                    continue;
                }
                let s =
                    standing.query_row(rusqlite::params![customer, tiers.window_from], |r| {
                        Ok(Standing {
                            spend_fen: r.get(0)?,
                            visits: r.get(1)?,
                            points: r.get(2)?,
                        })
                    })?;
                if let Some(to) = tiers.ladder.upgrade(rank, &s) {
                    let to = &tiers.ladder.at(to).code;
                    set_tier.execute(rusqlite::params![to, now, customer])?;
                    change.execute(rusqlite::params![
                        customer,
                        current,
                        to,
                        UPGRADE_REASON,
                        TIER_REFERENCE,
                        now
                    ])?;
                    done.upgrades += 1;
                }
            }
        }
        tx.commit()?;
        Ok(done)
    }

    /// Builds the sales indexes again if this import dropped them. Call it when the import
    /// ends, whether or not it succeeded.
    pub fn finish(&mut self) -> Result<(), StoreError> {
        if self.unindexed {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            for (name, on) in SALES_INDEXES {
                tx.execute_batch(&format!("CREATE INDEX IF NOT EXISTS {name} ON {on}"))?;
            }
            tx.commit()?;
            self.unindexed = false;
        }
        Ok(())
    }
}
