//! A ticket's timeline entries as written: every change, note, file and request for
//! approval, in the transaction of what it records.

use crate::StoreError;
use crate::db::ms;
use jiff::Timestamp;

/// One timeline entry of a ticket.
pub(crate) struct Event<'a> {
    pub(crate) ticket_id: i64,
    pub(crate) customer_id: i64,
    pub(crate) staff_id: Option<i64>,
    pub(crate) kind: &'a str,
    pub(crate) from: Option<&'a str>,
    pub(crate) to: Option<&'a str>,
    pub(crate) note_enc: Option<&'a str>,
}

impl<'a> Event<'a> {
    /// An entry without a status change or note.
    pub(crate) fn new(
        ticket_id: i64,
        customer_id: i64,
        staff_id: Option<i64>,
        kind: &'a str,
    ) -> Self {
        Self {
            ticket_id,
            customer_id,
            staff_id,
            kind,
            from: None,
            to: None,
            note_enc: None,
        }
    }

    /// Adds the entry to a ticket that does not change status (a note, a file, a request
    /// for approval) and marks the ticket updated.
    pub(crate) async fn add(
        &self,
        conn: &mut sqlx::AnyConnection,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.insert(conn, now).await?;
        sqlx::query("UPDATE tickets SET updated_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(self.ticket_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub(crate) async fn insert(
        &self,
        conn: &mut sqlx::AnyConnection,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ticket_events (ticket_id, customer_id, at, staff_id, kind, from_status, to_status, note_enc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(self.ticket_id)
        .bind(self.customer_id)
        .bind(ms(now))
        .bind(self.staff_id)
        .bind(self.kind)
        .bind(self.from)
        .bind(self.to)
        .bind(self.note_enc)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}
