//! Bulk writes for imports: many customers per statement, with one audit row per batch
//! (naming the id range) instead of one per customer.
//!
//! Two ways in. `Db::import_customers` writes one batch in its own transaction: each batch
//! is all or nothing and other writers get their turn between batches. `BulkLoad` writes
//! every batch of a file in one transaction with the random-key indexes of the customer
//! tables dropped (SQLite) and rebuilt by sorting before the commit: the whole file is all
//! or nothing, readers keep their snapshot, other writers wait. Random-key indexes (blind
//! indexes, search keys) make row-by-row index upkeep the largest cost of a big first
//! load; docs/BENCHMARKS.md has the figures.

use super::{CustomerWrite, NewCustomer};
use crate::db::{in_list, placeholders};
use crate::{Db, StoreError, audit, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// Rows per multi-row INSERT (2,300 parameters for customers; PostgreSQL allows 65,535).
/// Measured on SQLite with anonymous parameters: a bulk load of a million rows took 62 s at
/// 20 rows per statement and 55 s at 100; batched imports are bound by index pages, not by
/// statements, and ran the same.
const ROWS_PER_STATEMENT: usize = 100;

/// In the order `bind_fields` binds them, then the archive number and the fixed values.
const CUSTOMER_COLUMNS: &str = "id, store_id, name, gender, birthday_lunar, \
    guardian_consent, mobile_enc, mobile_idx, last4_idx, phones_enc, id_number_enc, id_idx, \
    email_enc, birthday_enc, address_enc, notes_enc, namebirth_idx, profile, source, \
    owner_staff_id, missing, completeness, archive_no, status, merged_into, verified_at, \
    created_at, updated_at";

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds the 22 writable fields of a row, `id` first and `completeness` last: the order of
/// `CUSTOMER_COLUMNS` and of the `UPDATE` in `update_row`.
pub(super) fn bind_fields<'q>(q: AnyQuery<'q>, r: &'q CustomerWrite) -> AnyQuery<'q> {
    q.bind(r.id)
        .bind(r.store_id)
        .bind(&r.name)
        .bind(&r.gender)
        .bind(i64::from(r.birthday_lunar))
        .bind(i64::from(r.guardian_consent))
        .bind(&r.mobile_enc)
        .bind(&r.mobile_idx)
        .bind(&r.last4_idx)
        .bind(&r.phones_enc)
        .bind(&r.id_number_enc)
        .bind(&r.id_idx)
        .bind(&r.email_enc)
        .bind(&r.birthday_enc)
        .bind(&r.address_enc)
        .bind(&r.notes_enc)
        .bind(&r.namebirth_idx)
        .bind(&r.profile)
        .bind(&r.source)
        .bind(r.owner_staff_id)
        .bind(&r.missing)
        .bind(r.completeness)
}

impl Db {
    /// Inserts a batch of new customers in one transaction. Returns their archive numbers.
    pub async fn import_customers(
        &self,
        actor: &Actor,
        customers: &[NewCustomer],
        now: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        if customers.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        let numbers = write_batch(&mut tx, actor, customers, now).await?;
        tx.commit().await?;
        Ok(numbers)
    }

    /// Starts a load of many batches in one transaction. On SQLite the random-key indexes of
    /// the customer tables are dropped inside it (readers keep theirs until the commit) and
    /// rebuilt by `BulkLoad::finish`; PostgreSQL keeps them, because dropping an index
    /// there would lock readers out. Dropping the load rolls everything back.
    pub async fn begin_bulk_load(&self) -> Result<BulkLoad, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut rebuild = Vec::new();
        let mut cache_size = None;
        if self.backend() == crate::Backend::Sqlite {
            // The rows of the whole load stay in the page cache instead of spilling into the
            // WAL and being read back (measured: about 8 % of a million-row load).
            let before: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut *tx)
                .await?;
            cache_size = Some(before);
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "PRAGMA cache_size = {BULK_CACHE_SIZE}"
            )))
            .execute(&mut *tx)
            .await?;
            for name in RANDOM_KEY_INDEXES {
                let sql: Option<String> = sqlx::query_scalar(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = $1",
                )
                .bind(*name)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(sql) = sql else { continue };
                // Names come from the schema, not from input.
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
                    .execute(&mut *tx)
                    .await?;
                rebuild.push(sql);
            }
        }
        Ok(BulkLoad {
            tx,
            rebuild,
            cache_size,
        })
    }
}

/// Page cache of the connection doing a bulk load, in KiB (negative, as SQLite takes it):
/// 256 MiB, taken only as the load fills it.
const BULK_CACHE_SIZE: i64 = -262_144;

/// The indexes a bulk load drops and rebuilds: those whose keys are random (blind indexes,
/// search keys), where every new row lands on a different page. The others grow at their
/// right edge (ids, counters, stores) and cost less to keep than to rebuild, which reads
/// the whole wide table once per index (measured: about 0.3 s per index at 300,000 rows).
const RANDOM_KEY_INDEXES: &[&str] = &[
    "uq_customers_mobile_idx",
    "ix_customers_last4",
    "ix_customers_namebirth",
    "ix_customers_name",
    "ix_customer_keys_lookup",
];

/// An import writing every batch into one transaction; see the module notes.
pub struct BulkLoad {
    tx: crate::WriteTx,
    /// `CREATE INDEX` statements of the dropped indexes, as the schema had them.
    rebuild: Vec<String>,
    /// The connection's page cache size before the load (SQLite), restored at the end.
    cache_size: Option<i64>,
}

impl BulkLoad {
    /// Writes one batch. Returns the archive numbers.
    pub async fn write(
        &mut self,
        actor: &Actor,
        customers: &[NewCustomer],
        now: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        if customers.is_empty() {
            return Ok(Vec::new());
        }
        write_batch(&mut self.tx, actor, customers, now).await
    }

    /// Rebuilds the dropped indexes (a unique one fails the load if the rows broke it) and
    /// commits.
    pub async fn finish(mut self) -> Result<(), StoreError> {
        for sql in &self.rebuild {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut *self.tx)
                .await?;
        }
        if let Some(size) = self.cache_size {
            // Not transactional: the connection goes back to the pool with its usual cache.
            sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = {size}")))
                .execute(&mut *self.tx)
                .await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}

/// Writes one batch of new customers on `tx`: archive numbers, rows, keys and tags,
/// consents, owner log, and the batch's audit row.
async fn write_batch(
    tx: &mut AnyConnection,
    actor: &Actor,
    customers: &[NewCustomer],
    now: Timestamp,
) -> Result<Vec<String>, StoreError> {
    // One counter update per store hands out a block of archive numbers.
    let mut per_store: BTreeMap<i64, i64> = BTreeMap::new();
    for c in customers {
        *per_store.entry(c.row.store_id).or_default() += 1;
    }
    let mut next: BTreeMap<i64, i64> = BTreeMap::new();
    for (store, n) in &per_store {
        let last: i64 = sqlx::query_scalar(
                "INSERT INTO archive_counters (store_id, last_value) VALUES ($1, $2) \
                 ON CONFLICT (store_id) DO UPDATE SET last_value = archive_counters.last_value + $2 \
                 RETURNING last_value",
            )
            .bind(store)
            .bind(n)
            .fetch_one(&mut *tx)
            .await?;
        next.insert(*store, last - n + 1);
    }
    let mut numbers = Vec::with_capacity(customers.len());
    for c in customers {
        let seq = next.entry(c.row.store_id).or_insert(1);
        numbers.push((c.archive)(*seq));
        *seq += 1;
    }
    insert_rows(&mut *tx, customers, &numbers, now).await?;
    let rows: Vec<&CustomerWrite> = customers.iter().map(|c| &c.row).collect();
    insert_keys(&mut *tx, &rows).await?;
    insert_history(&mut *tx, customers, actor, now).await?;
    let first = customers.first().map(|c| c.row.id).unwrap_or_default();
    let last = customers.last().map(|c| c.row.id).unwrap_or_default();
    audit::append(
        &mut *tx,
        actor,
        &AuditEvent::ok("customer.import", "customer", first)
            .with_detail(format!("created={}; ids={first}..{last}", customers.len())),
        now,
    )
    .await?;
    Ok(numbers)
}

impl Db {
    /// Existing active customers whose `column` (`mobile_idx`, `id_idx` or `archive_no`) is
    /// one of `values`: `(value, id)`.
    pub async fn customers_with(
        &self,
        column: &str,
        values: &[String],
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let column = match column {
            "mobile_idx" => "mobile_idx",
            "id_idx" => "id_idx",
            _ => "archive_no",
        };
        let mut out = Vec::new();
        for chunk in values.chunks(500) {
            let list = in_list(self.backend(), chunk.len());
            let sql = format!(
                "SELECT {column}, id FROM customers WHERE status = 'active' AND {column} IN ({list})"
            );
            let mut q = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
            for v in chunk {
                q = q.bind(v);
            }
            out.extend(q.fetch_all(self.pool()).await?);
        }
        Ok(out)
    }
}

pub(super) async fn insert_rows(
    conn: &mut AnyConnection,
    customers: &[NewCustomer],
    numbers: &[String],
    now: Timestamp,
) -> Result<(), StoreError> {
    let t = ms(now);
    for (chunk, nums) in customers
        .chunks(ROWS_PER_STATEMENT)
        .zip(numbers.chunks(ROWS_PER_STATEMENT))
    {
        let fixed = format!(", 'active', NULL, {t}, {t}, {t}");
        let sql = format!(
            "INSERT INTO customers ({CUSTOMER_COLUMNS}) VALUES {}",
            placeholders(conn, chunk.len(), 23, &fixed)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (c, archive_no) in chunk.iter().zip(nums) {
            q = bind_fields(q, &c.row).bind(archive_no);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Writes the search keys and tags of rows (new ones, or ones whose keys were just deleted).
pub(super) async fn insert_keys(
    conn: &mut AnyConnection,
    rows: &[&CustomerWrite],
) -> Result<(), StoreError> {
    let keys: Vec<(i64, &str, &str, i64)> = rows
        .iter()
        .flat_map(|r| {
            r.keys
                .iter()
                .map(|(k, v)| (r.id, k.as_str(), v.as_str(), r.store_id))
        })
        .collect();
    for chunk in keys.chunks(ROWS_PER_STATEMENT * 4) {
        let sql = format!(
            "INSERT INTO customer_keys (customer_id, kind, value, store_id) VALUES {} \
             ON CONFLICT (customer_id, kind, value) DO NOTHING",
            placeholders(conn, chunk.len(), 4, "")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, kind, value, store) in chunk {
            q = q
                .bind(*id)
                .bind(kind.to_string())
                .bind(value.to_string())
                .bind(*store);
        }
        q.execute(&mut *conn).await?;
    }
    let tags: Vec<(i64, &str, i64)> = rows
        .iter()
        .flat_map(|r| r.tags.iter().map(|t| (r.id, t.as_str(), r.store_id)))
        .collect();
    for chunk in tags.chunks(ROWS_PER_STATEMENT * 4) {
        let sql = format!(
            "INSERT INTO customer_tags (customer_id, tag, store_id) VALUES {} \
             ON CONFLICT (customer_id, tag) DO NOTHING",
            placeholders(conn, chunk.len(), 3, "")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, tag, store) in chunk {
            q = q.bind(*id).bind(tag.to_string()).bind(*store);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The consents and first owners of new customers, many rows per statement: the same rows
/// `history::record_consent` and `history::log_owner` write one at a time.
async fn insert_history(
    conn: &mut AnyConnection,
    customers: &[NewCustomer],
    actor: &Actor,
    now: Timestamp,
) -> Result<(), StoreError> {
    let t = ms(now);
    let consents: Vec<(i64, &super::ConsentEvent)> = customers
        .iter()
        .flat_map(|c| c.consents.iter().map(|e| (c.row.id, e)))
        .collect();
    for chunk in consents.chunks(ROWS_PER_STATEMENT * 4) {
        let sql = format!(
            "INSERT INTO customer_consents (customer_id, purpose, granted, notice_version, \
             channel, actor_kind, actor_id, actor_name, at_ms) VALUES {}",
            placeholders(conn, chunk.len(), 8, &format!(", {t}"))
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, e) in chunk {
            q = q
                .bind(*id)
                .bind(e.purpose.clone())
                .bind(i64::from(e.granted))
                .bind(e.notice_version.clone())
                .bind(e.channel.clone())
                .bind(actor.kind.as_str())
                .bind(actor.id)
                .bind(actor.name.clone());
        }
        q.execute(&mut *conn).await?;
        // New customers have no state yet, and a file grants each purpose once per row.
        let sql = format!(
            "INSERT INTO customer_consent_state (customer_id, purpose, granted, at_ms) VALUES {} \
             ON CONFLICT (customer_id, purpose) DO UPDATE SET granted = excluded.granted, \
             at_ms = excluded.at_ms",
            placeholders(conn, chunk.len(), 3, &format!(", {t}"))
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, e) in chunk {
            q = q
                .bind(*id)
                .bind(e.purpose.clone())
                .bind(i64::from(e.granted));
        }
        q.execute(&mut *conn).await?;
    }
    let owners: Vec<(i64, i64)> = customers
        .iter()
        .filter_map(|c| c.row.owner_staff_id.map(|o| (c.row.id, o)))
        .collect();
    for chunk in owners.chunks(ROWS_PER_STATEMENT * 4) {
        let sql = format!(
            "INSERT INTO customer_owner_log (customer_id, from_staff_id, to_staff_id, \
             actor_name, reason, at_ms) VALUES {}",
            placeholders(conn, chunk.len(), 4, &format!(", 'import', {t}"))
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, owner) in chunk {
            q = q
                .bind(*id)
                .bind(None::<i64>)
                .bind(*owner)
                .bind(actor.name.clone());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
