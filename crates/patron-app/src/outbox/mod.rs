//! The message dispatcher: claims due outbox rows, sends each through its channel, records
//! the attempt, and backs off on failure until the row is dead-lettered. Channels now: e-mail
//! (SMTP, or the file channel for demos and tests).

mod email;
pub mod template;

pub use email::EmailTransport;

use crate::App;
use jiff::{SignedDuration, Timestamp};
use patron_store::outbox::OutboxRow;

pub const DEFAULT_MAX_ATTEMPTS: i64 = 6;

/// Waits between attempts: 1 min, 5 min, 30 min, 2 h, 6 h, then 12 h.
pub fn backoff(attempts: i64) -> SignedDuration {
    let minutes = match attempts {
        ..=1 => 1,
        2 => 5,
        3 => 30,
        4 => 120,
        5 => 360,
        _ => 720,
    };
    SignedDuration::from_mins(minutes)
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DispatchReport {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
}

pub struct Dispatcher {
    app: App,
    email: EmailTransport,
    lease: SignedDuration,
    batch: i64,
}

impl Dispatcher {
    pub fn new(app: App) -> Result<Self, crate::AppError> {
        let email = EmailTransport::from_config(&app.config)?;
        Ok(Self {
            app,
            email,
            lease: SignedDuration::from_mins(5),
            batch: 20,
        })
    }

    /// One pass: claim what is due now and try each once.
    pub async fn run_once(&self, now: Timestamp) -> Result<DispatchReport, crate::AppError> {
        let rows = self
            .app
            .db
            .claim_messages(&self.app.instance, now, self.lease, self.batch)
            .await?;
        let mut report = DispatchReport {
            claimed: rows.len(),
            ..Default::default()
        };
        for row in rows {
            match self.send(&row).await {
                Ok(()) => {
                    self.app
                        .db
                        .mark_sent(row.id, &self.app.instance, self.app.now())
                        .await?;
                    report.sent += 1;
                }
                Err(error) => {
                    let at = self.app.now();
                    let retry =
                        (row.attempts < row.max_attempts).then(|| at + backoff(row.attempts));
                    if retry.is_some() {
                        report.retried += 1
                    } else {
                        report.dead += 1
                    }
                    tracing::warn!(outbox_id = row.id, attempts = row.attempts, %error, "message delivery failed");
                    self.app
                        .db
                        .mark_failed(row.id, &self.app.instance, &error, retry, at)
                        .await?;
                }
            }
        }
        Ok(report)
    }

    async fn send(&self, row: &OutboxRow) -> Result<(), String> {
        match row.channel.as_str() {
            "email" => self.email.send(&self.app.config.mail.from, row).await,
            other => Err(format!("no channel '{other}' is configured")),
        }
    }
}
