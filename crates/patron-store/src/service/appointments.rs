//! Appointments: visits to the customer in a time window by one staff member. Booking and
//! moving first bump the staff member's calendar row, so two bookings for the same person
//! are checked for overlap one after the other on every backend; the check and the write
//! are one transaction with the order's timeline entry and the customer's notice.

use crate::db::ms;
use crate::decode::{Code, Millis, OptMillis};
use crate::messages::outbox::NewMessage;
use crate::service::orders::{Event, move_order};
use crate::{Db, Scope, StoreError};
use jiff::Timestamp;
use patron_domain::service::order::{AppointmentKind, AppointmentStatus};

const COLUMNS: &str = "id, order_id, customer_id, store_id, kind, status, starts_at, ends_at, assignee_id, \
     address_enc, proof_note_enc, proof_photo, reschedule_count, created_at, completed_at, \
     (SELECT c.name FROM customers c WHERE c.id = appointments.customer_id) AS customer_name";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppointmentRow {
    pub id: i64,
    pub order_id: i64,
    pub customer_id: i64,
    pub store_id: i64,
    #[sqlx(try_from = "Code")]
    pub kind: AppointmentKind,
    #[sqlx(try_from = "Code")]
    pub status: AppointmentStatus,
    #[sqlx(try_from = "Millis")]
    pub starts_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub ends_at: Timestamp,
    pub assignee_id: i64,
    pub address_enc: Option<String>,
    pub proof_note_enc: Option<String>,
    pub proof_photo: Option<String>,
    pub reschedule_count: i64,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "OptMillis")]
    pub completed_at: Option<Timestamp>,
    pub customer_name: String,
}

/// A visit as booked.
#[derive(Debug, Clone)]
pub struct NewAppointment<'a> {
    pub order_id: i64,
    pub customer_id: i64,
    pub store_id: i64,
    pub kind: &'a str,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub assignee_id: i64,
    pub address_enc: Option<&'a str>,
    pub created_by: Option<i64>,
}

/// Where and with whom a visit is moved to.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub assignee_id: i64,
}

/// What a booking or a move came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booking {
    Booked(i64),
    /// The staff member already has this scheduled visit in an overlapping window.
    Conflict(i64),
}

/// A completed visit: the proof, and the stage its order moves to (read in `from`).
#[derive(Debug, Clone)]
pub struct Completion<'a> {
    pub id: i64,
    pub proof_note_enc: &'a str,
    pub proof_photo: Option<&'a str>,
    pub staff_id: Option<i64>,
    pub order_move: Option<(&'a str, &'a str)>,
    /// The customer's notice of the order's new stage.
    pub notice: Option<&'a NewMessage<'a>>,
}

/// Takes the staff member's calendar row for this transaction, then finds a scheduled visit
/// of theirs overlapping the window (other than `except`).
async fn clash(
    tx: &mut crate::db::WriteTx,
    staff_id: i64,
    starts_at: Timestamp,
    ends_at: Timestamp,
    except: i64,
) -> Result<Option<i64>, StoreError> {
    sqlx::query(
        "INSERT INTO staff_calendars (staff_id, version) VALUES ($1, 1) \
         ON CONFLICT (staff_id) DO UPDATE SET version = staff_calendars.version + 1",
    )
    .bind(staff_id)
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query_scalar(
        "SELECT id FROM appointments WHERE assignee_id = $1 AND status = 'scheduled' \
         AND starts_at < $3 AND ends_at > $2 AND id <> $4 ORDER BY starts_at LIMIT 1",
    )
    .bind(staff_id)
    .bind(ms(starts_at))
    .bind(ms(ends_at))
    .bind(except)
    .fetch_optional(&mut **tx)
    .await?)
}

impl Db {
    /// Books a visit unless the staff member is busy then.
    pub async fn book_appointment(
        &self,
        a: &NewAppointment<'_>,
        notice: Option<&NewMessage<'_>>,
        now: Timestamp,
    ) -> Result<Booking, StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(other) = clash(&mut tx, a.assignee_id, a.starts_at, a.ends_at, 0).await? {
            return Ok(Booking::Conflict(other));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO appointments (order_id, customer_id, store_id, kind, status, starts_at, ends_at, \
             assignee_id, address_enc, reschedule_count, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'scheduled', $5, $6, $7, $8, 0, $9, $10, $10) RETURNING id",
        )
        .bind(a.order_id)
        .bind(a.customer_id)
        .bind(a.store_id)
        .bind(a.kind)
        .bind(ms(a.starts_at))
        .bind(ms(a.ends_at))
        .bind(a.assignee_id)
        .bind(a.address_enc)
        .bind(a.created_by)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        Event {
            appointment_id: Some(id),
            ..Event::new(a.order_id, a.customer_id, a.created_by, "booked")
        }
        .insert(&mut tx, notice, true, now)
        .await?;
        tx.commit().await?;
        Ok(Booking::Booked(id))
    }

    /// Moves a scheduled visit to a new window and (maybe) another staff member, unless
    /// they are busy then; `Conflict` error when the visit is no longer scheduled.
    pub async fn reschedule_appointment(
        &self,
        a: &AppointmentRow,
        to: Slot,
        event: &Event<'_>,
        notice: Option<&NewMessage<'_>>,
        now: Timestamp,
    ) -> Result<Booking, StoreError> {
        let mut tx = self.begin_write().await?;
        let Slot {
            starts_at,
            ends_at,
            assignee_id,
        } = to;
        if let Some(other) = clash(&mut tx, assignee_id, starts_at, ends_at, a.id).await? {
            return Ok(Booking::Conflict(other));
        }
        let done = sqlx::query(
            "UPDATE appointments SET starts_at = $1, ends_at = $2, assignee_id = $3, \
             reschedule_count = reschedule_count + 1, updated_at = $4 \
             WHERE id = $5 AND status = 'scheduled' AND starts_at = $6 AND assignee_id = $7",
        )
        .bind(ms(starts_at))
        .bind(ms(ends_at))
        .bind(assignee_id)
        .bind(ms(now))
        .bind(a.id)
        .bind(ms(a.starts_at))
        .bind(a.assignee_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict {
                constraint: "ck_appointments_status".into(),
            });
        }
        event.insert(&mut tx, notice, true, now).await?;
        tx.commit().await?;
        Ok(Booking::Booked(a.id))
    }

    /// Records a visit done with its proof, and moves its order on, in one transaction.
    pub async fn complete_appointment(
        &self,
        a: &AppointmentRow,
        c: &Completion<'_>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE appointments SET status = 'done', proof_note_enc = $1, proof_photo = $2, \
             completed_at = $3, updated_at = $3 WHERE id = $4 AND status = 'scheduled'",
        )
        .bind(c.proof_note_enc)
        .bind(c.proof_photo)
        .bind(ms(now))
        .bind(c.id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict {
                constraint: "ck_appointments_status".into(),
            });
        }
        Event {
            appointment_id: Some(a.id),
            ..Event::new(a.order_id, a.customer_id, c.staff_id, "visit_done")
        }
        .insert(&mut tx, None, false, now)
        .await?;
        if let Some((from, to)) = c.order_move {
            move_order(&mut tx, a.order_id, from, to, now).await?;
            Event {
                from: Some(from),
                to: Some(to),
                appointment_id: Some(a.id),
                ..Event::new(a.order_id, a.customer_id, c.staff_id, "stage")
            }
            .insert(&mut tx, c.notice, true, now)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Cancels a scheduled visit, with its timeline entry and notice.
    pub async fn cancel_appointment(
        &self,
        a: &AppointmentRow,
        event: &Event<'_>,
        notice: Option<&NewMessage<'_>>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE appointments SET status = 'cancelled', updated_at = $1 \
             WHERE id = $2 AND status = 'scheduled'",
        )
        .bind(ms(now))
        .bind(a.id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict {
                constraint: "ck_appointments_status".into(),
            });
        }
        event.insert(&mut tx, notice, true, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn appointment(&self, scope: Scope, id: i64) -> Result<AppointmentRow, StoreError> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM appointments WHERE id = $1 AND ($2 IS NULL OR store_id = $2)"
        )))
        .bind(id)
        .bind(scope.store_filter())
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// The visits of an order, earliest first.
    pub async fn order_appointments(
        &self,
        order_id: i64,
    ) -> Result<Vec<AppointmentRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM appointments WHERE order_id = $1 ORDER BY starts_at, id"
        )))
        .bind(order_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Visits not cancelled that overlap `[from, to)` within `scope` (one staff member's
    /// with `assignee`), earliest first: the calendar.
    pub async fn appointments_between(
        &self,
        scope: Scope,
        assignee: Option<i64>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<AppointmentRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM appointments WHERE ($1 IS NULL OR store_id = $1) \
             AND ($2 IS NULL OR assignee_id = $2) AND status <> 'cancelled' \
             AND starts_at < $4 AND ends_at > $3 ORDER BY starts_at, id"
        )))
        .bind(scope.store_filter())
        .bind(assignee)
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(self.pool())
        .await?)
    }

    /// Deliveries and installations completed in `[from, to)`: (visit, customer, kind), for
    /// the follow-up call after a visit.
    pub async fn visits_done_between(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(i64, i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, customer_id, kind FROM appointments WHERE status = 'done' \
             AND (kind = 'delivery' OR kind = 'installation') \
             AND completed_at >= $1 AND completed_at < $2 ORDER BY id",
        )
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(self.pool())
        .await?)
    }

    /// One page of `(appointment id, photo file name)` of completed visits with a photo.
    pub async fn visit_photos_after(
        &self,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, proof_photo FROM appointments WHERE id > $1 AND proof_photo IS NOT NULL \
             ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
