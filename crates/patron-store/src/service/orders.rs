//! Orders for delivery, installation and custom work, with their lines and timelines. A
//! stage change is a conditional update on the stage it was read in, written with its
//! timeline entry and the customer's notice in one transaction; creating through the API is
//! retry-safe by request key.

use crate::db::ms;
use crate::decode::{Code, Millis, OptCode, OptFlag, OptMillis, codes};
use crate::messages::outbox::NewMessage;
use crate::{Db, Scope, StoreError};
use jiff::Timestamp;
use patron_domain::service::order::{AppointmentKind, AppointmentStatus, Stage};

const COLUMNS: &str = "id, order_no, customer_id, store_id, sale_id, stages, status, address_enc, note_enc, total_fen, \
     created_by, created_at, updated_at, completed_at, \
     (SELECT c.name FROM customers c WHERE c.id = orders.customer_id) AS customer_name";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: i64,
    pub order_no: String,
    pub customer_id: i64,
    pub store_id: i64,
    pub sale_id: Option<i64>,
    /// The order's pipeline as stored (`Pipeline::parse` reads it).
    pub stages: String,
    #[sqlx(try_from = "Code")]
    pub status: Stage,
    pub address_enc: Option<String>,
    pub note_enc: Option<String>,
    pub total_fen: i64,
    pub created_by: Option<i64>,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
    #[sqlx(try_from = "OptMillis")]
    pub completed_at: Option<Timestamp>,
    /// The customer's name (from the file), for lists.
    pub customer_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct OrderLine {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
}

/// An order as created (lines checked by the caller).
#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    pub order_no: &'a str,
    pub customer_id: i64,
    pub store_id: i64,
    pub sale_id: Option<i64>,
    pub stages: &'a str,
    pub address_enc: Option<&'a str>,
    pub note_enc: Option<&'a str>,
    pub lines: &'a [OrderLine],
    pub created_by: Option<i64>,
    pub request_key: Option<&'a str>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderEvent {
    pub id: i64,
    #[sqlx(try_from = "Millis")]
    pub at: Timestamp,
    pub staff_id: Option<i64>,
    /// What happened (`created`, `booked`, `note`, ...): an open set of timeline codes.
    pub kind: String,
    #[sqlx(try_from = "OptCode")]
    pub from_status: Option<Stage>,
    #[sqlx(try_from = "OptCode")]
    pub to_status: Option<Stage>,
    pub appointment_id: Option<i64>,
    pub note_enc: Option<String>,
    /// Whether the customer's notice was queued; `None` when the entry has no notice.
    #[sqlx(try_from = "OptFlag")]
    pub notified: Option<bool>,
}

codes! {
    Stage, "orders.status", |s| Stage::parse(s).ok();
    AppointmentKind, "appointments.kind", |s| AppointmentKind::parse(s).ok();
    AppointmentStatus, "appointments.status", |s| AppointmentStatus::parse(s).ok();
}

/// One timeline entry of an order, written inside the caller's transaction.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub order_id: i64,
    pub customer_id: i64,
    pub staff_id: Option<i64>,
    pub kind: &'a str,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub appointment_id: Option<i64>,
    pub note_enc: Option<&'a str>,
}

impl<'a> Event<'a> {
    pub fn new(order_id: i64, customer_id: i64, staff_id: Option<i64>, kind: &'a str) -> Self {
        Self {
            order_id,
            customer_id,
            staff_id,
            kind,
            from: None,
            to: None,
            appointment_id: None,
            note_enc: None,
        }
    }

    /// Writes the entry and queues the customer's notice with it: `notified` is 1 when a
    /// message was queued, 0 when one was wanted and nobody could be reached, null when
    /// none was wanted (`notice` is `None` and `wanted` false).
    pub(crate) async fn insert(
        &self,
        tx: &mut crate::db::WriteTx,
        notice: Option<&NewMessage<'_>>,
        wanted: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let notified = match notice {
            Some(m) => {
                crate::messages::outbox::enqueue(tx, m, now).await?;
                Some(1_i64)
            }
            None if wanted => Some(0),
            None => None,
        };
        sqlx::query(
            "INSERT INTO order_events (order_id, customer_id, at, staff_id, kind, from_status, to_status, \
             appointment_id, note_enc, notified) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(self.order_id)
        .bind(self.customer_id)
        .bind(ms(now))
        .bind(self.staff_id)
        .bind(self.kind)
        .bind(self.from)
        .bind(self.to)
        .bind(self.appointment_id)
        .bind(self.note_enc)
        .bind(notified)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// Which orders a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrderFilter {
    pub customer: Option<i64>,
    pub open_only: bool,
}

/// Moves an order from one stage to another inside a transaction: `Conflict` when someone
/// moved it first.
pub(crate) async fn move_order(
    tx: &mut crate::db::WriteTx,
    order_id: i64,
    from: &str,
    to: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE orders SET status = $1, updated_at = $2, \
         completed_at = CASE WHEN $1 = 'completed' OR $1 = 'cancelled' THEN $2 ELSE completed_at END \
         WHERE id = $3 AND status = $4",
    )
    .bind(to)
    .bind(ms(now))
    .bind(order_id)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict {
            constraint: "ck_orders_status".into(),
        });
    }
    Ok(())
}

impl Db {
    /// Creates an order with its lines and first timeline entry (and the customer's notice).
    /// With a request key already used, the order created then: `(id, false)`.
    pub async fn create_order(
        &self,
        o: &NewOrder<'_>,
        notice: Option<&NewMessage<'_>>,
        wanted: bool,
        now: Timestamp,
    ) -> Result<(i64, bool), StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(key) = o.request_key {
            let seen: Option<i64> =
                sqlx::query_scalar("SELECT id FROM orders WHERE request_key = $1")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(id) = seen {
                return Ok((id, false));
            }
        }
        let total: i64 = o
            .lines
            .iter()
            .map(|l| l.quantity.saturating_mul(l.unit_price_fen))
            .fold(0_i64, i64::saturating_add);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO orders (customer_id, store_id, sale_id, stages, status, address_enc, note_enc, \
             total_fen, created_by, created_at, updated_at, request_key, order_no) \
             VALUES ($1, $2, $3, $4, 'confirmed', $5, $6, $7, $8, $9, $9, $10, $11) RETURNING id",
        )
        .bind(o.customer_id)
        .bind(o.store_id)
        .bind(o.sale_id)
        .bind(o.stages)
        .bind(o.address_enc)
        .bind(o.note_enc)
        .bind(total)
        .bind(o.created_by)
        .bind(ms(now))
        .bind(o.request_key)
        .bind(o.order_no)
        .fetch_one(&mut *tx)
        .await?;
        for (n, l) in o.lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO order_lines (order_id, line_no, sku, name, quantity, unit_price_fen) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(n as i64 + 1)
            .bind(&l.sku)
            .bind(&l.name)
            .bind(l.quantity)
            .bind(l.unit_price_fen)
            .execute(&mut *tx)
            .await?;
        }
        Event {
            to: Some("confirmed"),
            ..Event::new(id, o.customer_id, o.created_by, "created")
        }
        .insert(&mut tx, notice, wanted, now)
        .await?;
        tx.commit().await?;
        Ok((id, true))
    }

    pub async fn order(&self, scope: Scope, id: i64) -> Result<OrderRow, StoreError> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM orders WHERE id = $1 AND ($2 IS NULL OR store_id = $2)"
        )))
        .bind(id)
        .bind(scope.store_filter())
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Orders within `scope`, open ones first, newest first, at most `limit`.
    pub async fn orders(
        &self,
        scope: Scope,
        f: &OrderFilter,
        limit: i64,
    ) -> Result<Vec<OrderRow>, StoreError> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM orders WHERE ($1 IS NULL OR store_id = $1) \
             AND ($2 IS NULL OR customer_id = $2) \
             AND ($3 = 0 OR (status <> 'completed' AND status <> 'cancelled')) \
             ORDER BY CASE WHEN status = 'completed' OR status = 'cancelled' THEN 1 ELSE 0 END, id DESC \
             LIMIT $4"
        )))
        .bind(scope.store_filter())
        .bind(f.customer)
        .bind(i64::from(f.open_only))
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(Into::into)
    }

    pub async fn order_lines(&self, id: i64) -> Result<Vec<OrderLine>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT sku, name, quantity, unit_price_fen FROM order_lines WHERE order_id = $1 \
             ORDER BY line_no",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn order_events(&self, id: i64) -> Result<Vec<OrderEvent>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, at, staff_id, kind, from_status, to_status, appointment_id, note_enc, notified \
             FROM order_events WHERE order_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Moves an order read in `event.from` to `event.to`, with its timeline entry and the
    /// customer's notice; `Conflict` when someone moved it first.
    pub async fn change_order(
        &self,
        event: &Event<'_>,
        notice: Option<&NewMessage<'_>>,
        wanted: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (Some(from), Some(to)) = (event.from, event.to) else {
            return Err(StoreError::Conflict {
                constraint: "ck_orders_status".into(),
            });
        };
        let mut tx = self.begin_write().await?;
        move_order(&mut tx, event.order_id, from, to, now).await?;
        event.insert(&mut tx, notice, wanted, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a note (or any entry without a stage change) to an order's timeline.
    pub async fn order_note(&self, event: &Event<'_>, now: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE orders SET updated_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(event.order_id)
            .execute(&mut *tx)
            .await?;
        event.insert(&mut tx, None, false, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// What an order made from a sale carries: the sale's customer (`NotFound` without such
    /// a sale) and its lines not refunded (quantity less refunds, unit price).
    pub async fn sale_for_order(
        &self,
        sale_id: i64,
    ) -> Result<(Option<i64>, Vec<OrderLine>), StoreError> {
        let customer = self.sale_customer(sale_id).await?;
        let lines = sqlx::query_as(
            "SELECT sku, name, CAST(quantity - refunded_qty AS BIGINT) AS quantity, \
             CAST(unit_price_fen AS BIGINT) AS unit_price_fen FROM sale_lines \
             WHERE sale_id = $1 AND quantity > refunded_qty ORDER BY line_no",
        )
        .bind(sale_id)
        .fetch_all(self.pool())
        .await?;
        Ok((customer, lines))
    }
}
