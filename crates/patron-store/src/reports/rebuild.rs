//! Rebuilding the report roll-ups from the raw sales, lines, coupons and refunds
//! (`patron reports rebuild`): after a restore, a repair, or rows written before the roll-ups
//! existed. One transaction: readers see the old roll-ups until the new ones are complete.

mod pass;

use super::rollup::{CHAIN_STORE, Grain};
use crate::{Db, StoreError};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use sqlx::AnyConnection;

/// What a rebuild did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rebuilt {
    /// Sales and refunds written before local hours were stored, given theirs now.
    pub dated: u64,
    /// Rows written, by table.
    pub rows: Vec<(&'static str, u64)>,
}

/// A sale's measures for `report_days`, with a refund's beside it (`UNION ALL`).
const DAYS: &str = "SELECT store_id, day, member, SUM(receipts), SUM(items), SUM(net_fen), \
     SUM(refund_fen), SUM(pe), SUM(pv), SUM(cf), SUM(ps), SUM(cs) FROM ( \
     SELECT s.store_id, s.local_day AS day, \
       CASE WHEN s.customer_id IS NULL THEN 0 ELSE 1 END AS member, 1 AS receipts, \
       l.items, s.net_fen, 0 AS refund_fen, s.points_earned AS pe, s.points_value_fen AS pv, \
       COALESCE(c.fen, 0) AS cf, \
       CASE WHEN s.points_value_fen > 0 THEN s.net_fen ELSE 0 END AS ps, \
       CASE WHEN c.fen IS NULL THEN 0 ELSE s.net_fen END AS cs \
     FROM sales s \
     JOIN (SELECT sale_id, SUM(quantity) AS items FROM sale_lines GROUP BY sale_id) l \
       ON l.sale_id = s.id \
     LEFT JOIN (SELECT used_sale_id, SUM(discount_fen) AS fen FROM coupons \
       WHERE used_sale_id IS NOT NULL GROUP BY used_sale_id) c ON c.used_sale_id = s.id \
     UNION ALL \
     SELECT r.store_id, r.local_day, CASE WHEN r.customer_id IS NULL THEN 0 ELSE 1 END, \
       0, 0, 0, r.net_fen, 0, 0, 0, 0, 0 FROM refunds r \
     ) x GROUP BY store_id, day, member";

/// The sales and refunds by `{key}` of the sale (hour, staff), for the tables without the
/// points and coupon measures.
fn by_sale(sale_key: &str, refund_key: &str) -> String {
    format!(
        "SELECT store_id, day, k, SUM(receipts), SUM(items), SUM(net_fen), SUM(refund_fen) FROM ( \
         SELECT s.store_id, s.local_day AS day, {sale_key} AS k, 1 AS receipts, l.items, \
           s.net_fen, 0 AS refund_fen \
         FROM sales s \
         JOIN (SELECT sale_id, SUM(quantity) AS items FROM sale_lines GROUP BY sale_id) l \
           ON l.sale_id = s.id \
         UNION ALL \
         SELECT r.store_id, r.local_day, {refund_key}, 0, 0, 0, r.net_fen \
         FROM refunds r JOIN sales s ON s.id = r.sale_id \
         ) x GROUP BY store_id, day, k"
    )
}

/// The sales' lines and the refunded lines by `{keys}` of the line (category, product), one
/// receipt a sale and key. `period` is the sale's and the refund's day or month column.
fn by_line(keys: &str, period: &str) -> String {
    let line_keys = keys
        .split(", ")
        .map(|k| format!("l.{k}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT store_id, period, {keys}, SUM(receipts), SUM(items), SUM(net_fen), \
         SUM(refund_fen) FROM ( \
         SELECT s.store_id, s.{period} AS period, {line_keys}, 1 AS receipts, l.items, \
           l.net_fen, 0 AS refund_fen \
         FROM (SELECT sale_id, {keys}, SUM(quantity) AS items, SUM(net_fen) AS net_fen \
           FROM sale_lines GROUP BY sale_id, {keys}) l \
         JOIN sales s ON s.id = l.sale_id \
         UNION ALL \
         SELECT r.store_id, r.{period}, {line_keys}, 0, 0, 0, rl.net_fen \
         FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id \
         JOIN sale_lines l ON l.sale_id = r.sale_id AND l.line_no = rl.line_no \
         ) x GROUP BY store_id, period, {keys}"
    )
}

fn select_for(grain: Grain) -> String {
    match grain {
        Grain::Days => DAYS.to_string(),
        Grain::Hours => by_sale("s.local_hour", "r.local_hour"),
        Grain::Staff => by_sale("COALESCE(s.staff_id, 0)", "COALESCE(s.staff_id, 0)"),
        Grain::Categories => by_line("category", "local_day"),
        Grain::ProductDays => by_line("sku, category", "local_day"),
        Grain::ProductMonths => by_line("sku, category", "local_month"),
    }
}

impl Db {
    /// Rebuilds every roll-up from the raw rows: on a SQLite file in one pass in Rust
    /// (`pass`), elsewhere by `INSERT … SELECT` a table.
    pub async fn rebuild_report_rollups(&self) -> Result<Rebuilt, StoreError> {
        let mut tx = self.begin_write().await?;
        let dated = date_old_rows(&mut tx).await?;
        let Some(file) = self.sqlite_file() else {
            let rows = rebuild_by_sql(&mut tx).await?;
            super::activity::bump_epoch(&mut tx).await?;
            tx.commit().await?;
            return Ok(Rebuilt { dated, rows });
        };
        tx.commit().await?;
        let (path, busy) = (file.path.clone(), file.busy_timeout);
        let rows = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
            let mut conn = rusqlite::Connection::open(&path)?;
            conn.busy_timeout(busy)?;
            conn.execute_batch("PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;")?;
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let rows = pass::rebuild(&tx)?;
            tx.commit()?;
            Ok(rows)
        })
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))??;
        Ok(Rebuilt { dated, rows })
    }
}

/// Every table emptied and filled again by one `INSERT … SELECT` for the stores' rows and one
/// summing those into the chain's.
async fn rebuild_by_sql(conn: &mut AnyConnection) -> Result<Vec<(&'static str, u64)>, StoreError> {
    let mut rows = Vec::new();
    for grain in Grain::ALL {
        let table = grain.table();
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
            .execute(&mut *conn)
            .await?;
        let columns: Vec<&str> = std::iter::once("store_id")
            .chain(grain.key_columns().iter().copied())
            .chain(grain.measures().iter().copied())
            .collect();
        let n = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} ({}) {}",
            columns.join(", "),
            select_for(grain)
        )))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        let keys = grain.key_columns().join(", ");
        let sums: Vec<String> = grain
            .measures()
            .iter()
            .map(|m| format!("SUM({m})"))
            .collect();
        let chain = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} ({}) SELECT {CHAIN_STORE}, {keys}, {} FROM {table} \
             WHERE store_id <> {CHAIN_STORE} GROUP BY {keys}",
            columns.join(", "),
            sums.join(", ")
        )))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        rows.push((table, n + chain));
    }
    Ok(rows)
}

/// Gives sales and refunds written before 0025 their local hour (and refunds their local day
/// and month), in their store's time zone.
async fn date_old_rows(conn: &mut AnyConnection) -> Result<u64, StoreError> {
    let zones: Vec<(i64, String)> = sqlx::query_as("SELECT id, timezone FROM stores")
        .fetch_all(&mut *conn)
        .await?;
    let zone = |store: i64| {
        zones
            .iter()
            .find(|(id, _)| *id == store)
            .and_then(|(_, tz)| TimeZone::get(tz).ok())
            .unwrap_or(TimeZone::UTC)
    };
    let mut dated = 0;
    let sales: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT id, store_id, sold_at_ms FROM sales WHERE local_hour < 0")
            .fetch_all(&mut *conn)
            .await?;
    for (id, store, at) in sales {
        let (_, _, hour) = local(at, &zone(store));
        sqlx::query("UPDATE sales SET local_hour = $1 WHERE id = $2")
            .bind(hour)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        dated += 1;
    }
    let refunds: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT id, store_id, at_ms FROM refunds WHERE local_hour < 0")
            .fetch_all(&mut *conn)
            .await?;
    for (id, store, at) in refunds {
        let (day, month, hour) = local(at, &zone(store));
        sqlx::query(
            "UPDATE refunds SET local_day = $1, local_month = $2, local_hour = $3 WHERE id = $4",
        )
        .bind(day)
        .bind(month)
        .bind(hour)
        .bind(id)
        .execute(&mut *conn)
        .await?;
        dated += 1;
    }
    Ok(dated)
}

/// (`yyyymmdd`, `yyyymm`, hour) of a moment in a zone.
fn local(at_ms: i64, tz: &TimeZone) -> (i64, i64, i64) {
    let t = Timestamp::from_millisecond(at_ms).unwrap_or(Timestamp::UNIX_EPOCH);
    let d = tz.to_datetime(t);
    let (y, m) = (i64::from(d.year()), i64::from(d.month()));
    (
        y * 10_000 + m * 100 + i64::from(d.day()),
        y * 100 + m,
        i64::from(d.hour()),
    )
}
