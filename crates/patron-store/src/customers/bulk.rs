//! Bulk writes for imports: many customers per statement and one transaction per batch, with
//! one audit row per batch (naming the id range) instead of one per customer, so a million
//! rows load in about three minutes (docs/BENCHMARKS.md). Each batch is all or nothing.

use super::{CustomerWrite, NewCustomer, history};
use crate::{Db, StoreError, audit, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// Rows per multi-row INSERT. Measured: sqlx looks parameters up by name, which costs
/// more per parameter the more a statement has, so a few hundred parameters per statement
/// is faster than thousands.
const ROWS_PER_STATEMENT: usize = 20;

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

fn placeholders(rows: usize, per_row: usize, fixed: &str) -> String {
    let mut out = String::new();
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..per_row {
            if c > 0 {
                out.push_str(", ");
            }
            out.push_str(&format!("${}", r * per_row + c + 1));
        }
        out.push_str(fixed);
        out.push(')');
    }
    out
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
        insert_rows(&mut tx, customers, &numbers, now).await?;
        let rows: Vec<&CustomerWrite> = customers.iter().map(|c| &c.row).collect();
        insert_keys(&mut tx, &rows).await?;
        for c in customers {
            for event in &c.consents {
                history::record_consent(&mut tx, c.row.id, event, actor, now).await?;
            }
            if let Some(owner) = c.row.owner_staff_id {
                history::log_owner(&mut tx, c.row.id, None, Some(owner), "import", actor, now)
                    .await?;
            }
        }
        let first = customers.first().map(|c| c.row.id).unwrap_or_default();
        let last = customers.last().map(|c| c.row.id).unwrap_or_default();
        audit::append(
            &mut tx,
            actor,
            &AuditEvent::ok("customer.import", "customer", first)
                .with_detail(format!("created={}; ids={first}..{last}", customers.len())),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(numbers)
    }

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
            let list = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
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
            placeholders(chunk.len(), 23, &fixed)
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
            placeholders(chunk.len(), 4, "")
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
            placeholders(chunk.len(), 3, "")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, tag, store) in chunk {
            q = q.bind(*id).bind(tag.to_string()).bind(*store);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
