//! Customer files in storage. This layer never sees plaintext personal data: the app layer
//! seals values and computes blind indexes before they arrive here, which is why ids are
//! handed out ahead of the insert (`allocate_ids`): the row id is part of each ciphertext's
//! associated data.

mod bulk;
mod fields;
pub(crate) mod history;
mod merge;
mod search;
pub(crate) mod segment;

pub use bulk::BulkLoad;
pub use fields::{CustomFieldRow, CustomerViewRow, NewCustomField};
pub use history::{ConsentEvent, ConsentRow, InteractionRow, OwnerLogRow, TimelineEntry};
pub use merge::MergePlan;
pub use search::{COUNT_CAP, CustomerFilter, CustomerSort, DuplicatePair, DuplicateProbe};
pub use segment::SegmentFilter;

use crate::audited::found;
use crate::decode::{Code, Flag, Millis, codes};
use crate::{Db, Scope, StoreError, audit, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};
use sqlx::AnyConnection;

pub use patron_domain::customers::{CustomerStatus, FieldKind};

codes!(
    CustomerStatus, "customers.status", CustomerStatus::parse;
    FieldKind, "custom_fields.kind", FieldKind::parse;
);

/// One stored customer, sealed columns as stored (base64 ciphertext).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomerRecord {
    pub id: i64,
    pub store_id: i64,
    pub archive_no: String,
    pub name: String,
    pub gender: String,
    #[sqlx(try_from = "Flag")]
    pub birthday_lunar: bool,
    #[sqlx(try_from = "Flag")]
    pub guardian_consent: bool,
    pub mobile_enc: Option<String>,
    pub mobile_idx: Option<String>,
    pub last4_idx: Option<String>,
    pub phones_enc: Option<String>,
    pub id_number_enc: Option<String>,
    pub id_idx: Option<String>,
    pub email_enc: Option<String>,
    pub birthday_enc: Option<String>,
    pub address_enc: Option<String>,
    pub notes_enc: Option<String>,
    pub namebirth_idx: Option<String>,
    /// Sealed (base64); a row written before profiles were sealed holds JSON (`{…}`).
    pub profile: String,
    pub source: String,
    pub owner_staff_id: Option<i64>,
    pub missing: String,
    pub completeness: i64,
    #[sqlx(try_from = "Code")]
    pub status: CustomerStatus,
    pub merged_into: Option<i64>,
    #[sqlx(try_from = "Millis")]
    pub verified_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

pub(crate) const COLUMNS: &str = "c.id, c.store_id, c.archive_no, c.name, c.gender, \
    c.birthday_lunar, c.guardian_consent, c.mobile_enc, c.mobile_idx, c.last4_idx, c.phones_enc, \
    c.id_number_enc, c.id_idx, c.email_enc, c.birthday_enc, c.address_enc, c.notes_enc, \
    c.namebirth_idx, c.profile, c.source, c.owner_staff_id, c.missing, c.completeness, c.status, \
    c.merged_into, c.verified_at, c.created_at, c.updated_at";

/// The writable part of a customer row, sealed by the caller for the row id it carries.
#[derive(Debug, Clone, Default)]
pub struct CustomerWrite {
    pub id: i64,
    pub store_id: i64,
    pub name: String,
    pub gender: String,
    pub birthday_lunar: bool,
    pub guardian_consent: bool,
    pub mobile_enc: Option<String>,
    pub mobile_idx: Option<String>,
    pub last4_idx: Option<String>,
    pub phones_enc: Option<String>,
    pub id_number_enc: Option<String>,
    pub id_idx: Option<String>,
    pub email_enc: Option<String>,
    pub birthday_enc: Option<String>,
    pub address_enc: Option<String>,
    pub notes_enc: Option<String>,
    pub namebirth_idx: Option<String>,
    pub profile: String,
    pub source: String,
    pub owner_staff_id: Option<i64>,
    pub missing: String,
    pub completeness: i64,
    /// Search and duplicate keys `(kind, value)`: name spellings, other phones, addresses.
    pub keys: Vec<(String, String)>,
    pub tags: Vec<String>,
}

/// A new customer: the row, how to number it, and the consents given with it.
pub struct NewCustomer {
    pub row: CustomerWrite,
    /// Renders the archive number from the store's next sequence value.
    pub archive: Box<dyn Fn(i64) -> String + Send + Sync>,
    pub consents: Vec<ConsentEvent>,
}

/// A tag: 1 to 20 characters, trimmed; the caller has checked it.
pub type Tag = String;

impl Db {
    /// Reserves `n` consecutive ids of a sequence (`customers`, `interactions`) and returns the
    /// first. Gaps are harmless; ids are never reused.
    pub async fn allocate_ids(&self, sequence: &str, n: i64) -> Result<i64, StoreError> {
        let next: i64 = sqlx::query_scalar(
            "INSERT INTO id_blocks (name, next_value) VALUES ($1, $2 + 1) \
             ON CONFLICT (name) DO UPDATE SET next_value = id_blocks.next_value + $2 \
             RETURNING next_value",
        )
        .bind(sequence)
        .bind(n)
        .fetch_one(self.pool())
        .await?;
        Ok(next - n)
    }

    /// Inserts customers in one transaction: all or none. Returns each one's archive number.
    pub async fn insert_customers(
        &self,
        actor: &Actor,
        customers: &[NewCustomer],
        now: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut numbers = Vec::with_capacity(customers.len());
        for c in customers {
            let seq: i64 = sqlx::query_scalar(
                "INSERT INTO archive_counters (store_id, last_value) VALUES ($1, 1) \
                 ON CONFLICT (store_id) DO UPDATE SET last_value = archive_counters.last_value + 1 \
                 RETURNING last_value",
            )
            .bind(c.row.store_id)
            .fetch_one(&mut *tx)
            .await?;
            let archive_no = (c.archive)(seq);
            bulk::insert_rows(
                &mut tx,
                std::slice::from_ref(c),
                std::slice::from_ref(&archive_no),
                now,
            )
            .await?;
            bulk::insert_keys(&mut tx, &[&c.row]).await?;
            for event in &c.consents {
                history::record_consent(&mut tx, c.row.id, event, actor, now).await?;
            }
            if let Some(owner) = c.row.owner_staff_id {
                history::log_owner(&mut tx, c.row.id, None, Some(owner), "create", actor, now)
                    .await?;
            }
            audit::append(
                &mut tx,
                actor,
                &AuditEvent::ok("customer.create", "customer", c.row.id).with_detail(&archive_no),
                now,
            )
            .await?;
            numbers.push(archive_no);
        }
        tx.commit().await?;
        Ok(numbers)
    }

    pub async fn get_customer(&self, scope: Scope, id: i64) -> Result<CustomerRecord, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM customers c WHERE c.id = $1 AND ($2 IS NULL OR c.store_id = $2)"
        )))
        .bind(id)
        .bind(scope.store_filter())
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn customer_tags(&self, id: i64) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT tag FROM customer_tags WHERE customer_id = $1 ORDER BY tag")
                .bind(id)
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// Replaces a customer's fields, keys and tags. `changed` (field names only) goes to the
    /// audit log; `verified` marks the file as checked with the customer today.
    pub async fn update_customer(
        &self,
        actor: &Actor,
        scope: Scope,
        row: &CustomerWrite,
        changed: &[&str],
        verified: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let before: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT owner_staff_id FROM customers WHERE id = $1 AND status = 'active' \
             AND ($2 IS NULL OR store_id = $2)",
        )
        .bind(row.id)
        .bind(scope.store_filter())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(owner_before) = before else {
            return Err(StoreError::NotFound);
        };
        update_row(&mut tx, row, verified, now).await?;
        sqlx::query("DELETE FROM customer_keys WHERE customer_id = $1")
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM customer_tags WHERE customer_id = $1")
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
        bulk::insert_keys(&mut tx, &[row]).await?;
        if owner_before != row.owner_staff_id {
            history::log_owner(
                &mut tx,
                row.id,
                owner_before,
                row.owner_staff_id,
                "edit",
                actor,
                now,
            )
            .await?;
        }
        tx.commit(
            &AuditEvent::ok("customer.update", "customer", row.id).with_detail(changed.join(",")),
        )
        .await?;
        Ok(())
    }

    /// The customer confirmed the file is current.
    pub async fn mark_customer_verified(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let n = sqlx::query(
            "UPDATE customers SET verified_at = $2 WHERE id = $1 AND status = 'active' \
             AND ($3 IS NULL OR store_id = $3)",
        )
        .bind(id)
        .bind(ms(now))
        .bind(scope.store_filter())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        found(n)?;
        tx.commit(&AuditEvent::ok("customer.verify", "customer", id))
            .await?;
        Ok(())
    }

    /// Records that someone read personal data (a profile view, a reveal, an export, a till
    /// lookup). Personal data itself never goes into `detail`.
    pub async fn audit_customer_read(
        &self,
        actor: &Actor,
        action: &str,
        customer_id: Option<i64>,
        detail: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let tx = self.begin_audited(actor, now).await?;
        let mut event =
            AuditEvent::ok(action, "customer", customer_id.unwrap_or_default()).with_detail(detail);
        if customer_id.is_none() {
            event.target_id = None;
        }
        tx.commit(&event).await?;
        Ok(())
    }

    /// Sealed values held in customer tables (the key file may only be created when zero).
    pub async fn count_sealed_customer_values(&self) -> Result<i64, StoreError> {
        let a: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers")
            .fetch_one(self.pool())
            .await?;
        let b: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM customer_interactions WHERE note_enc IS NOT NULL",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(a + b)
    }

    /// One page of customers by id, for the key-rotation pass.
    pub async fn customers_after(
        &self,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<CustomerRecord>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM customers c WHERE c.id > $1 ORDER BY c.id LIMIT $2"
        )))
        .bind(after_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Rewrites the sealed columns of one customer (key rotation), if unchanged since read.
    pub async fn reseal_customer(
        &self,
        row: &CustomerRecord,
        updated_at_seen: Timestamp,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE customers SET mobile_enc = $2, phones_enc = $3, id_number_enc = $4, \
             email_enc = $5, birthday_enc = $6, address_enc = $7, notes_enc = $8, profile = $10 \
             WHERE id = $1 AND updated_at = $9",
        )
        .bind(row.id)
        .bind(&row.mobile_enc)
        .bind(&row.phones_enc)
        .bind(&row.id_number_enc)
        .bind(&row.email_enc)
        .bind(&row.birthday_enc)
        .bind(&row.address_enc)
        .bind(&row.notes_enc)
        .bind(ms(updated_at_seen))
        .bind(&row.profile)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// A page of `(id, profile)` still in clear (JSON, written before profiles were sealed).
    pub async fn clear_profiles(
        &self,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, profile FROM customers WHERE id > $1 AND profile LIKE '{%' \
             ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Replaces a profile if it is still the one read (no lost update).
    pub async fn replace_profile(&self, id: i64, old: &str, new: &str) -> Result<bool, StoreError> {
        let n = sqlx::query("UPDATE customers SET profile = $3 WHERE id = $1 AND profile = $2")
            .bind(id)
            .bind(old)
            .bind(new)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}

/// Writes every field of an existing row (edits and merges).
pub(crate) async fn update_row(
    conn: &mut AnyConnection,
    row: &CustomerWrite,
    verified: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    let q = sqlx::query(
        "UPDATE customers SET store_id = $2, name = $3, gender = $4, birthday_lunar = $5, \
         guardian_consent = $6, mobile_enc = $7, mobile_idx = $8, last4_idx = $9, \
         phones_enc = $10, id_number_enc = $11, id_idx = $12, email_enc = $13, \
         birthday_enc = $14, address_enc = $15, notes_enc = $16, namebirth_idx = $17, \
         profile = $18, source = $19, owner_staff_id = $20, missing = $21, \
         completeness = $22, updated_at = $23, \
         verified_at = CASE WHEN $24 = 1 THEN $23 ELSE verified_at END WHERE id = $1",
    );
    bulk::bind_fields(q, row)
        .bind(ms(now))
        .bind(i64::from(verified))
        .execute(&mut *conn)
        .await?;
    Ok(())
}
