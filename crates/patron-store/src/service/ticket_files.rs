//! Files attached to tickets. The name and the content arrive sealed; the listing never
//! reads the content.

use crate::db::ms;
use crate::decode::Millis;
use crate::service::ticket_events::Event;
use crate::service::tickets::TicketRow;
use crate::{Db, Scope, StoreError};
use jiff::Timestamp;

/// An attachment as written (its sealed name and content come from `add_ticket_attachment`'s
/// `seal`, once the row's id is known).
#[derive(Debug, Clone)]
pub struct NewAttachment<'a> {
    pub media_type: &'a str,
    pub size_bytes: i64,
    pub added_by: Option<i64>,
    /// The timeline entry's note, sealed for the ticket (the file's name).
    pub event_note_enc: &'a str,
}

/// One attachment without its content.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: i64,
    pub ticket_id: i64,
    pub customer_id: i64,
    pub name_enc: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub added_by: Option<i64>,
    #[sqlx(try_from = "Millis")]
    pub added_at: Timestamp,
}

const COLUMNS: &str = "a.id, a.ticket_id, a.customer_id, a.name_enc, a.media_type, a.size_bytes, a.added_by, a.added_at";

impl Db {
    /// Adds an attachment with a timeline entry, in one transaction. The name and content
    /// are sealed by `seal(id)` once the row's id is known (they are bound to it), so the
    /// row is inserted with placeholders and filled in before the commit. Refused with
    /// `ck_ticket_attachments_count` when the ticket already has `max` files.
    pub async fn add_ticket_attachment(
        &self,
        t: &TicketRow,
        a: &NewAttachment<'_>,
        max: i64,
        seal: impl FnOnce(i64) -> (String, String),
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let held: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM ticket_attachments WHERE ticket_id = $1",
        )
        .bind(t.id)
        .fetch_one(&mut *tx)
        .await?;
        if held >= max {
            return Err(StoreError::Conflict {
                constraint: "ck_ticket_attachments_count".into(),
            });
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO ticket_attachments (ticket_id, customer_id, store_id, name_enc, \
             media_type, size_bytes, content_enc, added_by, added_at) \
             VALUES ($1, $2, $3, '', $4, $5, '', $6, $7) RETURNING id",
        )
        .bind(t.id)
        .bind(t.customer_id)
        .bind(t.store_id)
        .bind(a.media_type)
        .bind(a.size_bytes)
        .bind(a.added_by)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let (name_enc, content_enc) = seal(id);
        sqlx::query("UPDATE ticket_attachments SET name_enc = $1, content_enc = $2 WHERE id = $3")
            .bind(&name_enc)
            .bind(&content_enc)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Event {
            note_enc: Some(a.event_note_enc),
            ..Event::new(t.id, t.customer_id, a.added_by, "attachment")
        }
        .add(&mut tx, now)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A ticket's attachments, oldest first, without their content.
    pub async fn ticket_attachments(
        &self,
        ticket_id: i64,
    ) -> Result<Vec<AttachmentRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM ticket_attachments a WHERE a.ticket_id = $1 ORDER BY a.id"
        )))
        .bind(ticket_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// One attachment within `scope` and its sealed content, in one read.
    pub async fn ticket_attachment(
        &self,
        scope: Scope,
        id: i64,
    ) -> Result<(AttachmentRow, String), StoreError> {
        let found: Option<WithContent> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, a.content_enc FROM ticket_attachments a \
             WHERE a.id = $1 AND ($2 IS NULL OR a.store_id = $2)"
        )))
        .bind(id)
        .bind(scope.store_filter())
        .fetch_optional(self.pool())
        .await?;
        let f = found.ok_or(StoreError::NotFound)?;
        Ok((f.row, f.content_enc))
    }
}

#[derive(sqlx::FromRow)]
struct WithContent {
    #[sqlx(flatten)]
    row: AttachmentRow,
    content_enc: String,
}
