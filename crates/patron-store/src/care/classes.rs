//! Customer classes: the facts reclassification reads (running statistics and the rolling
//! twelve months, joined in one query, with each customer's stored classes) and the writing
//! of the classes that changed, with the run's record.
//!
//! On SQLite with a file the query and the writes go through the bulk connection (rusqlite):
//! a million customers are read and written in about a second there, where sqlx's per-row
//! cost would be several. Elsewhere they go through the pool. The SQL text is the same.

use crate::sales::Bind;
use crate::sales::bulk::{Row, SqliteBulk};
use crate::{Db, Scope, StoreError};
use patron_domain::care::classes::{
    Classes, Facts, History, Label, Level, Lifecycle, Rfm, SpendClass,
};
use sqlx::Row as _;

/// Every active customer, in id order, with statistics, the twelve months from `$1`
/// (`yyyymm`), and the classes stored for them.
const FACTS_SQL: &str = "SELECT c.id, c.store_id, s.first_purchase_ms, s.last_purchase_ms, \
     s.visit_count, m.spend, m.visits, k.store_id, k.r_score, k.f_score, k.m_score, \
     k.spend_store, k.spend_chain, k.frequency, k.value_class, k.lifecycle, k.label \
     FROM customers c \
     LEFT JOIN customer_stats s ON s.customer_id = c.id \
     LEFT JOIN (SELECT customer_id, CAST(SUM(spend_fen) AS BIGINT) AS spend, \
         CAST(SUM(visits) AS BIGINT) AS visits FROM customer_months WHERE month >= $1 \
         GROUP BY customer_id) m ON m.customer_id = c.id \
     LEFT JOIN customer_classes k ON k.customer_id = c.id \
     WHERE c.status = 'active' ORDER BY c.id";

const CLASS_COLUMNS: &str = "customer_id, store_id, spend_store, spend_chain, frequency, \
     r_score, f_score, m_score, value_class, lifecycle, label, changed_at";
const CLASS_ARITY: usize = 12;

const CLASS_CONFLICT: &str = "ON CONFLICT (customer_id) DO UPDATE SET \
     store_id = excluded.store_id, spend_store = excluded.spend_store, \
     spend_chain = excluded.spend_chain, frequency = excluded.frequency, \
     r_score = excluded.r_score, f_score = excluded.f_score, m_score = excluded.m_score, \
     value_class = excluded.value_class, lifecycle = excluded.lifecycle, label = excluded.label, \
     changed_at = excluded.changed_at";

const RUN_SQL: &str = "INSERT INTO class_runs (at_ms, customers, changed, rules, moves, took_ms) \
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";

/// One customer as reclassification reads it.
pub type FactsRow = (Facts, Option<Classes>);

/// What a run records.
#[derive(Debug, Clone)]
pub struct ClassRunRecord<'a> {
    pub at_ms: i64,
    pub customers: i64,
    /// The rules used, as JSON.
    pub rules: &'a str,
    /// The movement between spend classes, as JSON.
    pub moves: &'a str,
    pub took_ms: i64,
}

/// A stored run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassRun {
    pub id: i64,
    pub at_ms: i64,
    pub customers: i64,
    pub changed: i64,
    pub rules: String,
    pub moves: String,
    pub took_ms: i64,
}

/// The columns of one row of `FACTS_SQL`, borrowed from whichever driver read it.
struct Cells<'a> {
    ints: [Option<i64>; 11],
    texts: [Option<&'a str>; 6],
}

impl Cells<'_> {
    fn decode(&self) -> FactsRow {
        let [
            id,
            store,
            first,
            last,
            visits,
            spend,
            visits_12m,
            k_store,
            r,
            f,
            m,
        ] = self.ints;
        let (id, store_id) = (id.unwrap_or_default(), store.unwrap_or_default());
        let history = match (first, last, visits) {
            (Some(first_ms), Some(last_ms), Some(visits)) => Some(History {
                first_ms,
                last_ms,
                visits,
            }),
            _ => None,
        };
        let facts = Facts {
            customer_id: id,
            store_id,
            spend_12m_fen: spend.unwrap_or(0),
            visits_12m: visits_12m.unwrap_or(0),
            history,
        };
        (facts, stored_from(id, k_store, [r, f, m], self.texts))
    }
}

/// Stored classes from their columns: the texts are `spend_store`, `spend_chain`, `frequency`,
/// `value_class`, `lifecycle` and `label`. `None` when there are none, or when they no longer
/// parse (the run rewrites them).
fn stored_from(
    id: i64,
    store: Option<i64>,
    rfm: [Option<i64>; 3],
    texts: [Option<&str>; 6],
) -> Option<Classes> {
    let [spend_store, spend_chain, frequency, value, lifecycle, label] = texts;
    let score = |s: Option<i64>| s.and_then(|s| u8::try_from(s).ok());
    let rfm = match rfm.map(score) {
        [Some(r), Some(f), Some(m)] => Some(Rfm { r, f, m }),
        _ => None,
    };
    let optional = |t: Option<&str>, parse: fn(&str) -> Option<Level>| match t {
        None => Some(None),
        Some(t) => parse(t).map(Some),
    };
    let lifecycle = match lifecycle {
        None => None,
        Some(t) => Some(Lifecycle::from_code(t)?),
    };
    Some(Classes {
        customer_id: id,
        store_id: store?,
        spend_store: SpendClass::from_code(spend_store?)?,
        spend_chain: SpendClass::from_code(spend_chain?)?,
        frequency: Level::from_code(frequency?)?,
        rfm,
        value: optional(value, Level::from_code)?,
        lifecycle,
        label: Label::from_code(label?)?,
    })
}

impl SqliteBulk {
    /// Reads every active customer's facts and stored classes, in id order: the same answer
    /// as `FACTS_SQL`, from four scans in key order merged here (the join and grouping cost
    /// SQLite more than the scans).
    pub fn class_facts(&mut self, window_from: i64) -> Result<Vec<FactsRow>, StoreError> {
        let mut customers = self.conn.prepare_cached(
            "SELECT id, store_id FROM customers WHERE status = 'active' ORDER BY id",
        )?;
        let mut stats = self.conn.prepare_cached(
            "SELECT customer_id, first_purchase_ms, last_purchase_ms, visit_count \
             FROM customer_stats ORDER BY customer_id",
        )?;
        let mut months = self.conn.prepare_cached(
            "SELECT customer_id, spend_fen, visits FROM customer_months WHERE month >= $1 \
             ORDER BY customer_id",
        )?;
        let mut stored = self.conn.prepare_cached(
            "SELECT customer_id, store_id, r_score, f_score, m_score, spend_store, spend_chain, \
             frequency, value_class, lifecycle, label FROM customer_classes ORDER BY customer_id",
        )?;
        let mut stats = Merge::new(stats.query([])?, |r| {
            Ok(History {
                first_ms: r.get(1)?,
                last_ms: r.get(2)?,
                visits: r.get(3)?,
            })
        })?;
        let mut months = Merge::new(months.query([window_from])?, |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })?;
        let mut stored = Merge::new(stored.query([])?, |r| {
            let mut texts = [None; 6];
            for (i, v) in texts.iter_mut().enumerate() {
                *v = r
                    .get_ref(5 + i)?
                    .as_str_or_null()
                    .map_err(rusqlite::Error::from)?;
            }
            let rfm = [r.get(2)?, r.get(3)?, r.get(4)?];
            Ok(stored_from(r.get(0)?, r.get(1)?, rfm, texts))
        })?;
        let mut rows = customers.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let (id, store_id): (i64, i64) = (r.get(0)?, r.get(1)?);
            let history = stats.take(id)?;
            let (mut spend, mut visits) = (0, 0);
            while let Some((s, v)) = months.take(id)? {
                spend += s;
                visits += v;
            }
            let facts = Facts {
                customer_id: id,
                store_id,
                spend_12m_fen: spend,
                visits_12m: visits,
                history,
            };
            out.push((facts, stored.take(id)?.flatten()));
        }
        Ok(out)
    }

    /// Writes the classes that changed and the run's record, in one transaction.
    pub fn write_classes(
        &mut self,
        changed: &[Classes],
        run: &ClassRunRecord<'_>,
    ) -> Result<i64, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let id = {
            let mut upsert = tx.prepare_cached(&format!(
                "INSERT INTO customer_classes ({CLASS_COLUMNS}) VALUES ({}) {CLASS_CONFLICT}",
                crate::db::numbered(1, CLASS_ARITY)
            ))?;
            for c in changed {
                bind_classes(Row::new(&mut upsert), c, run.at_ms).run()?;
            }
            let mut record = tx.prepare_cached(RUN_SQL)?;
            record.query_row(
                rusqlite::params![
                    run.at_ms,
                    run.customers,
                    changed.len() as i64,
                    run.rules,
                    run.moves,
                    run.took_ms
                ],
                |r| r.get::<_, i64>(0),
            )?
        };
        tx.commit()?;
        Ok(id)
    }
}

/// Binds one row of `CLASS_COLUMNS`, on either driver.
fn bind_classes<'q, Q: Bind<'q>>(q: Q, c: &Classes, at_ms: i64) -> Q {
    let score = |pick: fn(&Rfm) -> u8| c.rfm.as_ref().map(|s| i64::from(pick(s)));
    q.bind_i64(c.customer_id)
        .bind_i64(c.store_id)
        .bind_str(c.spend_store.code())
        .bind_str(c.spend_chain.code())
        .bind_str(c.frequency.code())
        .bind_opt(score(|s| s.r))
        .bind_opt(score(|s| s.f))
        .bind_opt(score(|s| s.m))
        .bind_opt_str(c.value.map(Level::code))
        .bind_opt_str(c.lifecycle.map(Lifecycle::code))
        .bind_str(c.label.code())
        .bind_i64(at_ms)
}

/// Rows a statement when writing through the pool (12 parameters each).
const CLASSES_PER_STATEMENT: usize = 1_000;

impl Db {
    /// `SqliteBulk::class_facts` through the pool.
    pub async fn class_facts(&self, window_from: i64) -> Result<Vec<FactsRow>, StoreError> {
        let rows = sqlx::query(FACTS_SQL)
            .bind(window_from)
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut ints = [None; 11];
            for (i, v) in ints.iter_mut().enumerate() {
                *v = r.try_get::<Option<i64>, _>(i)?;
            }
            let owned = texts_of(&r, 11)?;
            let texts = owned.each_ref().map(|t| t.as_deref());
            out.push(Cells { ints, texts }.decode());
        }
        Ok(out)
    }

    /// `SqliteBulk::write_classes` through the pool, many rows a statement.
    pub async fn write_classes(
        &self,
        changed: &[Classes],
        run: &ClassRunRecord<'_>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        for chunk in changed.chunks(CLASSES_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO customer_classes ({CLASS_COLUMNS}) VALUES {} {CLASS_CONFLICT}",
                crate::db::placeholders(&tx, chunk.len(), CLASS_ARITY, "")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in chunk {
                q = bind_classes(q, c, run.at_ms);
            }
            q.execute(&mut *tx).await?;
        }
        let id: i64 = sqlx::query_scalar(RUN_SQL)
            .bind(run.at_ms)
            .bind(run.customers)
            .bind(changed.len() as i64)
            .bind(run.rules)
            .bind(run.moves)
            .bind(run.took_ms)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The latest runs, newest first.
    pub async fn class_runs(&self, limit: i64) -> Result<Vec<ClassRun>, StoreError> {
        let rows: Vec<(i64, i64, i64, i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, at_ms, customers, changed, rules, moves, took_ms FROM class_runs \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, at_ms, customers, changed, rules, moves, took_ms)| ClassRun {
                    id,
                    at_ms,
                    customers,
                    changed,
                    rules,
                    moves,
                    took_ms,
                },
            )
            .collect())
    }
}

impl Db {
    /// One customer's stored classes, if classified.
    pub async fn stored_classes(&self, customer_id: i64) -> Result<Option<Classes>, StoreError> {
        let Some(r) = sqlx::query(
            "SELECT store_id, r_score, f_score, m_score, spend_store, spend_chain, frequency, \
             value_class, lifecycle, label FROM customer_classes WHERE customer_id = $1",
        )
        .bind(customer_id)
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(None);
        };
        let owned = texts_of(&r, 4)?;
        let int = |i: usize| r.try_get::<Option<i64>, _>(i);
        let rfm = [int(1)?, int(2)?, int(3)?];
        Ok(stored_from(
            customer_id,
            int(0)?,
            rfm,
            owned.each_ref().map(|t| t.as_deref()),
        ))
    }
}

/// One side of a merge by customer id: rows of a statement ordered by their first column,
/// read ahead by one.
struct Merge<'s, T> {
    rows: rusqlite::Rows<'s>,
    read: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    next: Option<(i64, T)>,
}

impl<'s, T> Merge<'s, T> {
    fn new(
        rows: rusqlite::Rows<'s>,
        read: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Self> {
        let mut m = Merge {
            rows,
            read,
            next: None,
        };
        m.advance()?;
        Ok(m)
    }

    fn advance(&mut self) -> rusqlite::Result<()> {
        self.next = match self.rows.next()? {
            Some(r) => Some((r.get(0)?, (self.read)(r)?)),
            None => None,
        };
        Ok(())
    }

    /// The next row if it belongs to `id`; rows of smaller ids (customers not read, such as
    /// merged ones) are skipped.
    fn take(&mut self, id: i64) -> rusqlite::Result<Option<T>> {
        while let Some((k, _)) = &self.next {
            if *k >= id {
                break;
            }
            self.advance()?;
        }
        match &self.next {
            Some((k, _)) if *k == id => {
                let taken = self.next.take().map(|(_, v)| v);
                self.advance()?;
                Ok(taken)
            }
            _ => Ok(None),
        }
    }
}

/// The six class texts of a row read through the pool, from column `from` on.
fn texts_of(r: &sqlx::any::AnyRow, from: usize) -> Result<[Option<String>; 6], StoreError> {
    let mut owned: [Option<String>; 6] = Default::default();
    for (i, v) in owned.iter_mut().enumerate() {
        *v = r.try_get::<Option<String>, _>(from + i)?;
    }
    Ok(owned)
}

/// How many customers hold each class, per dimension (`spend`, `spend_chain`, `frequency`,
/// `value`, `lifecycle`, `label`); customers without a value or lifecycle count as `none`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClassCount {
    pub dimension: String,
    pub code: String,
    pub customers: i64,
}

impl Db {
    /// Class counts within scope (a store's customers, or the chain's).
    pub async fn class_counts(&self, scope: Scope) -> Result<Vec<ClassCount>, StoreError> {
        let part = |dimension: &str, column: &str| {
            format!(
                "SELECT '{dimension}' AS dimension, COALESCE({column}, 'none') AS code, \
                 CAST(COUNT(*) AS BIGINT) AS customers FROM customer_classes \
                 WHERE ($1 IS NULL OR store_id = $1) GROUP BY COALESCE({column}, 'none')"
            )
        };
        let sql = [
            part("spend", "spend_store"),
            part("spend_chain", "spend_chain"),
            part("frequency", "frequency"),
            part("value", "value_class"),
            part("lifecycle", "lifecycle"),
            part("label", "label"),
        ]
        .join(" UNION ALL ");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(scope.store_filter())
            .fetch_all(self.pool())
            .await?)
    }
}
