//! E-mail delivery: SMTP through lettre, or the file channel that writes each message as an
//! `.eml` file (for demos, tests, and stores without a mail server yet).

use super::Letter;
use crate::{AppError, Config};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

pub enum EmailTransport {
    File(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl EmailTransport {
    pub fn from_config(config: &Config) -> Result<Self, AppError> {
        let m = &config.mail;
        if m.transport == "file" {
            return Ok(EmailTransport::File(config.data_dir.join("outbox-files")));
        }
        let builder = match m.smtp_security.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&m.smtp_host),
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&m.smtp_host),
            _ => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &m.smtp_host,
            )),
        }
        .map_err(|e| AppError::Unsupported(format!("mail.smtp_host: {e}")))?;
        let mut builder = builder.port(m.smtp_port);
        if !m.smtp_username.is_empty() {
            builder = builder.credentials(Credentials::new(
                m.smtp_username.clone(),
                m.smtp_password.clone(),
            ));
        }
        Ok(EmailTransport::Smtp(builder.build()))
    }

    pub async fn send(&self, from: &str, row: &Letter) -> Result<(), String> {
        match self {
            EmailTransport::Smtp(t) => {
                let message = build(from, row, &row.recipient)?;
                t.send(message).await.map(|_| ()).map_err(|e| e.to_string())
            }
            EmailTransport::File(dir) => {
                // The file is for looking at what went out: the address is masked.
                let message = build(from, row, &super::mask_recipient(&row.recipient))?;
                crate::datadir::ensure(dir).map_err(|e| e.to_string())?;
                let name = format!("{:08}-{}.eml", row.id, row.purpose);
                let tmp = dir.join(format!(".{name}.tmp"));
                tokio::fs::write(&tmp, message.formatted())
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::fs::rename(&tmp, dir.join(name))
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// The Message-ID is derived from the outbox row, so if a retry delivers a message twice
/// (the server died between the SMTP "OK" and recording it) mail systems can tell.
fn build(from: &str, row: &Letter, to: &str) -> Result<Message, String> {
    let from: Mailbox = from.parse().map_err(|e| format!("mail.from: {e}"))?;
    let to: Mailbox = to.parse().map_err(|e| format!("recipient: {e}"))?;
    let domain = from.email.domain().to_string();
    Message::builder()
        .from(from)
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(format!("<outbox-{}@{domain}>", row.id)))
        .header(ContentType::TEXT_PLAIN)
        .body(row.body.clone())
        .map_err(|e| e.to_string())
}
