//! Files attached to a ticket: photos of the damage, the receipt, a PDF. Each is checked by
//! its first bytes (not by the name the browser sends), sealed with its name into the
//! database (so backups hold them and key rotation re-seals them), and noted on the
//! ticket's timeline. Opening one is audited like reading the ticket.

use super::appointments::photo_type;
use crate::customers::sealing;
use crate::i18n::Lang;
use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_store::Scope;
use patron_store::service::ticket_files::{AttachmentRow, NewAttachment};
use patron_store::service::tickets::TicketRow;

/// The largest file taken.
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
/// Files a ticket may hold.
pub const MAX_ATTACHMENTS: i64 = 10;

/// A file as uploaded: the name the sender gave it and its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// An attachment as listed, its name opened.
#[derive(Debug, Clone)]
pub struct AttachmentView {
    pub id: i64,
    pub name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub added_by: Option<i64>,
    pub added_at: jiff::Timestamp,
}

/// An attachment's file, opened.
#[derive(Debug, Clone)]
pub struct AttachmentFile {
    pub name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// The media type of a file taken as an attachment (JPEG, PNG, WebP or PDF), or `None`.
pub fn attachment_type(bytes: &[u8]) -> Option<&'static str> {
    photo_type(bytes).or_else(|| bytes.starts_with(b"%PDF-").then_some("application/pdf"))
}

/// The file's own name without any folder, control characters or quotes, at most 100
/// characters; blank becomes the word for an attachment in `lang` (附件).
fn clean_name(name: &str, lang: Lang) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect();
    match clean.trim() {
        "" => lang.t("ticket.attachment_default").to_string(),
        t => t.to_string(),
    }
}

impl App {
    /// Attaches a file to a ticket in `scope`; returns the attachment's id.
    pub async fn attach_to_ticket(
        &self,
        actor: &Actor,
        scope: Scope,
        ticket_id: i64,
        upload: &Upload,
    ) -> Result<i64, AppError> {
        if upload.bytes.is_empty() {
            return Err(FieldError::new("file", "error.attachment.empty").into());
        }
        if upload.bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(FieldError::new("file", "error.attachment.size").into());
        }
        let media_type = attachment_type(&upload.bytes)
            .ok_or(FieldError::new("file", "error.attachment.type"))?;
        let row = self.db.ticket(scope, ticket_id).await?;
        // Stored once and read by every member of staff: the configured language.
        let name = clean_name(&upload.name, self.config.language());
        let event_note = sealing::seal(&self.keys, "ticket", row.customer_id, &name);
        let a = NewAttachment {
            media_type,
            size_bytes: upload.bytes.len() as i64,
            added_by: actor.id,
            event_note_enc: &event_note,
        };
        let seal = |id: i64| {
            let keys = &self.keys;
            (
                keys.seal_text("ticket_attachments", "name", id, name.as_bytes()),
                keys.seal_text("ticket_attachments", "content", id, &upload.bytes),
            )
        };
        Ok(self
            .db
            .add_ticket_attachment(&row, &a, MAX_ATTACHMENTS, seal, self.now())
            .await?)
    }

    /// The attachments of a ticket in `scope` (the API's list).
    pub async fn attachments_of(
        &self,
        scope: Scope,
        ticket_id: i64,
    ) -> Result<Vec<AttachmentView>, AppError> {
        let row = self.db.ticket(scope, ticket_id).await?;
        self.ticket_attachments(&row).await
    }

    /// A ticket's attachments with their names opened (not their content).
    pub async fn ticket_attachments(
        &self,
        row: &TicketRow,
    ) -> Result<Vec<AttachmentView>, AppError> {
        let mut out = Vec::new();
        for a in self.db.ticket_attachments(row.id).await? {
            out.push(AttachmentView {
                name: self.attachment_name(&a)?,
                id: a.id,
                media_type: a.media_type,
                size_bytes: a.size_bytes,
                added_by: a.added_by,
                added_at: a.added_at,
            });
        }
        Ok(out)
    }

    /// One attachment's file, within `scope`; reading it is audited.
    pub async fn ticket_attachment(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
    ) -> Result<AttachmentFile, AppError> {
        let (row, content) = self.db.ticket_attachment(scope, id).await?;
        let name = self.attachment_name(&row)?;
        let bytes = self.open_attachment(&row, "content", &content)?;
        let event = patron_domain::AuditEvent::ok("ticket.attachment", "customer", row.customer_id)
            .with_detail(format!("ticket {} attachment {id}", row.ticket_id));
        self.db.record_audit(actor, &event, self.now()).await?;
        Ok(AttachmentFile {
            name,
            media_type: row.media_type,
            bytes,
        })
    }

    fn attachment_name(&self, a: &AttachmentRow) -> Result<String, AppError> {
        let plain = self.open_attachment(a, "name", &a.name_enc)?;
        Ok(String::from_utf8_lossy(&plain).into_owned())
    }

    /// Opens one sealed value of an attachment (`name` or `content`).
    fn open_attachment(
        &self,
        a: &AttachmentRow,
        column: &str,
        sealed: &str,
    ) -> Result<Vec<u8>, AppError> {
        self.keys
            .open_text("ticket_attachments", column, a.id, sealed)
            .map_err(|e| AppError::Internal(format!("attachment {} {column}: {e}", a.id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_folders_and_control_characters() {
        assert_eq!(clean_name("C:\\照片\\破损.jpg", Lang::Zh), "破损.jpg");
        assert_eq!(clean_name("../../etc/passwd", Lang::Zh), "passwd");
        assert_eq!(clean_name("a\"b\nc.pdf", Lang::Zh), "abc.pdf");
        assert_eq!(clean_name("  ", Lang::Zh), "附件");
        assert_eq!(clean_name("  ", Lang::En), "attachment");
        assert_eq!(clean_name(&"长".repeat(300), Lang::Zh).chars().count(), 100);
    }

    #[test]
    fn only_pictures_and_pdf_are_taken() {
        assert_eq!(attachment_type(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(
            attachment_type(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some("image/jpeg")
        );
        assert_eq!(attachment_type(b"MZ\x90\x00 an executable"), None);
        assert_eq!(attachment_type(b"<html>"), None);
    }
}
