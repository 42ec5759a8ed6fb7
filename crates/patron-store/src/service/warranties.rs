//! The warranty register: items that carry a warranty, found by serial number or by the
//! customer; reminders before a warranty ends; claims, each filed as a ticket.

use crate::db::ms;
use crate::decode::{Code, Millis, OptMillis};
use crate::messages::outbox::NewMessage;
use crate::{Db, Scope, StoreError};
use jiff::Timestamp;
use patron_domain::service::ticket::Status;

const COLUMNS: &str = "id, customer_id, store_id, sale_id, order_id, sku, product, serial, starts_on, ends_on, \
     terms, created_at, notice_sent_at, \
     (SELECT c.name FROM customers c WHERE c.id = warranties.customer_id) AS customer_name";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WarrantyRow {
    pub id: i64,
    pub customer_id: i64,
    pub store_id: i64,
    pub sale_id: Option<i64>,
    pub order_id: Option<i64>,
    pub sku: String,
    pub product: String,
    pub serial: Option<String>,
    /// Calendar dates as stored (`2026-11-22`), compared as text.
    pub starts_on: String,
    pub ends_on: String,
    pub terms: String,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "OptMillis")]
    pub notice_sent_at: Option<Timestamp>,
    pub customer_name: String,
}

#[derive(Debug, Clone)]
pub struct NewWarranty<'a> {
    pub customer_id: i64,
    pub store_id: i64,
    pub sale_id: Option<i64>,
    pub order_id: Option<i64>,
    pub sku: &'a str,
    pub product: &'a str,
    pub serial: Option<&'a str>,
    pub starts_on: &'a str,
    pub ends_on: &'a str,
    pub terms: &'a str,
    pub created_by: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimRow {
    pub id: i64,
    pub warranty_id: i64,
    pub ticket_id: i64,
    pub kind: String,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    /// The claim's ticket status.
    #[sqlx(try_from = "Code")]
    pub status: Status,
}

/// Links a claim (warranty, kind) to the ticket filed for it, inside the filing.
pub(crate) async fn link_claim(
    tx: &mut crate::db::WriteTx,
    (warranty, kind): (i64, &str),
    ticket: i64,
    staff: Option<i64>,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO warranty_claims (warranty_id, ticket_id, kind, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(warranty)
    .bind(ticket)
    .bind(kind)
    .bind(staff)
    .bind(ms(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Db {
    /// Registers an item; `Conflict` (`uq_warranties_sku_serial`) when the serial number
    /// of this product is already registered.
    pub async fn register_warranty(
        &self,
        w: &NewWarranty<'_>,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO warranties (customer_id, store_id, sale_id, order_id, sku, product, serial, \
             starts_on, ends_on, terms, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(w.customer_id)
        .bind(w.store_id)
        .bind(w.sale_id)
        .bind(w.order_id)
        .bind(w.sku)
        .bind(w.product)
        .bind(w.serial)
        .bind(w.starts_on)
        .bind(w.ends_on)
        .bind(w.terms)
        .bind(w.created_by)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn warranty(&self, scope: Scope, id: i64) -> Result<WarrantyRow, StoreError> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM warranties WHERE id = $1 AND ($2 IS NULL OR store_id = $2)"
        )))
        .bind(id)
        .bind(scope.store_filter())
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Warranties within `scope` by serial number (exact) or of one customer, the latest
    /// ending first.
    pub async fn find_warranties(
        &self,
        scope: Scope,
        serial: Option<&str>,
        customer: Option<i64>,
        limit: i64,
    ) -> Result<Vec<WarrantyRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM warranties WHERE ($1 IS NULL OR store_id = $1) \
             AND ($2 IS NULL OR serial = $2) AND ($3 IS NULL OR customer_id = $3) \
             ORDER BY ends_on DESC, id DESC LIMIT $4"
        )))
        .bind(scope.store_filter())
        .bind(serial)
        .bind(customer)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Warranties ending on or before `until` (and not before `from`) whose reminder has not
    /// gone out.
    pub async fn warranties_ending(
        &self,
        from: &str,
        until: &str,
    ) -> Result<Vec<WarrantyRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM warranties WHERE notice_sent_at IS NULL \
             AND ends_on >= $1 AND ends_on <= $2 ORDER BY ends_on, id"
        )))
        .bind(from)
        .bind(until)
        .fetch_all(self.pool())
        .await?)
    }

    /// Marks a warranty's reminder sent and queues it, once: false when another run did.
    pub async fn send_warranty_notice(
        &self,
        id: i64,
        notice: Option<&NewMessage<'_>>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE warranties SET notice_sent_at = $1 WHERE id = $2 AND notice_sent_at IS NULL",
        )
        .bind(ms(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(m) = notice {
            crate::messages::outbox::enqueue(&mut tx, m, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub async fn warranty_claims(&self, warranty_id: i64) -> Result<Vec<ClaimRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT w.id, w.warranty_id, w.ticket_id, w.kind, w.created_at, t.status \
             FROM warranty_claims w JOIN tickets t ON t.id = w.ticket_id \
             WHERE w.warranty_id = $1 ORDER BY w.id",
        )
        .bind(warranty_id)
        .fetch_all(self.pool())
        .await?)
    }
}
