//! The outbox's personal fields at rest: sealed for their row by the keyring, opened only to
//! deliver a message (or to show staff a masked recipient), and kept out of what Patron
//! writes about a delivery (error texts, logs, the file channel's files).

use crate::keyring::Keyring;
use crate::{App, AppError};
use patron_domain::customers::mask_email;
use patron_domain::phone::Phone;
use patron_store::messages::outbox::OutboxRow;
use patron_store::sealed::Sealer;

impl Sealer for Keyring {
    fn seal_text(&self, table: &str, column: &str, row_id: i64, plaintext: &[u8]) -> String {
        Keyring::seal_text(self, table, column, row_id, plaintext)
    }
}

/// A claimed message with its sealed fields opened, for the channels. Erased fields open
/// as empty text. Not `Debug`: it holds personal data.
pub struct Letter {
    pub row: OutboxRow,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub payload: Option<String>,
}

impl std::ops::Deref for Letter {
    type Target = OutboxRow;

    fn deref(&self) -> &OutboxRow {
        &self.row
    }
}

/// A recipient as staff and the file channel see it: `138****8000`, `l***@example.cn`, or
/// the first four characters of anything else (a WeChat openid).
pub fn mask_recipient(recipient: &str) -> String {
    let r = recipient.trim();
    if r.is_empty() {
        return String::new();
    }
    if r.contains('@') {
        return mask_email(r);
    }
    if let Ok(phone) = Phone::parse(r) {
        return phone.masked();
    }
    let head: String = r.chars().take(4).collect();
    format!("{head}***")
}

/// An error text with the recipient replaced by its masked form: providers and mail
/// servers often repeat the address they refused.
pub fn scrub(error: &str, recipient: &str) -> String {
    let r = recipient.trim();
    if r.len() < 3 {
        return error.to_string();
    }
    error.replace(r, &mask_recipient(r))
}

impl App {
    fn open_field(&self, column: &str, id: i64, sealed: Option<&str>) -> Result<String, AppError> {
        let Some(sealed) = sealed else {
            return Ok(String::new());
        };
        let plain = self
            .keys
            .open_text("outbox", column, id, sealed)
            .map_err(|e| AppError::Internal(format!("outbox {column} of {id}: {e}")))?;
        String::from_utf8(plain)
            .map_err(|_| AppError::Internal(format!("outbox {column} of {id}: not text")))
    }

    /// Opens a row's sealed fields.
    pub fn open_message(&self, row: OutboxRow) -> Result<Letter, AppError> {
        let id = row.id;
        Ok(Letter {
            recipient: self.open_field("recipient", id, row.recipient_enc.as_deref())?,
            subject: self.open_field("subject", id, row.subject_enc.as_deref())?,
            body: self.open_field("body", id, row.body_enc.as_deref())?,
            payload: match row.payload_enc.as_deref() {
                Some(p) => Some(self.open_field("payload", id, Some(p))?),
                None => None,
            },
            row,
        })
    }

    /// The latest messages (of one status, or all), opened: for tests and tools.
    pub async fn outbox_letters(&self, status: &str, limit: i64) -> Result<Vec<Letter>, AppError> {
        self.db
            .list_outbox(status, limit)
            .await?
            .into_iter()
            .map(|r| self.open_message(r))
            .collect()
    }

    /// A customer's messages, newest first, opened.
    pub async fn letters_of(&self, customer_id: i64, limit: i64) -> Result<Vec<Letter>, AppError> {
        self.db
            .messages_of(customer_id, limit)
            .await?
            .into_iter()
            .map(|r| self.open_message(r))
            .collect()
    }

    /// The recipient of a row as staff see it (masked; empty once erased).
    pub fn masked_recipient(&self, row: &OutboxRow) -> String {
        self.open_field("recipient", row.id, row.recipient_enc.as_deref())
            .map(|r| mask_recipient(&r))
            .unwrap_or_default()
    }

    /// Seals the messages queued before the outbox sealed its fields (and erases those
    /// already finished). Run at start-up; a no-op once done.
    pub async fn seal_clear_messages(&self) -> Result<u64, AppError> {
        let mut n = 0;
        loop {
            let page = self.db.clear_messages(200).await?;
            if page.is_empty() {
                return Ok(n);
            }
            for m in &page {
                self.db.seal_clear_message(m, self.keys.as_ref()).await?;
                n += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_masked_and_errors_scrubbed() {
        assert_eq!(mask_recipient("13800138000"), "138****8000");
        assert_eq!(mask_recipient("li.na@example.cn"), "l***@example.cn");
        assert_eq!(mask_recipient("oAbC_123-x"), "oAbC***");
        assert_eq!(mask_recipient(""), "");
        assert_eq!(
            scrub("550 <li.na@example.cn>: no such user", "li.na@example.cn"),
            "550 <l***@example.cn>: no such user"
        );
    }
}
