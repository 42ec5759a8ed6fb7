//! The message dispatcher: claims due outbox rows, checks again what may have changed since a
//! message was queued (the customer's consent, the store's quiet hours, the frequency caps),
//! sends each through its channel, records the attempt, and backs off on failure until the
//! row is dead-lettered. Channels: e-mail (SMTP or files), SMS (Alibaba Cloud, Tencent Cloud,
//! files, or the webhook), WeChat Official Account template messages, and the webhook.

mod email;
mod gauge;
mod overview;
mod sealing;
pub mod signing;
mod sms;
pub mod template;
mod webhook;
mod wechat;

pub use email::EmailTransport;
pub use gauge::OutboxGauge;
pub use overview::{CampaignDelivery, OutboxOverview};
pub use sealing::{Letter, mask_recipient, scrub};
pub use sms::SmsTransport;
pub use webhook::WebhookTransport;
pub use wechat::WechatTransport;

use crate::App;
use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use patron_domain::messages::{Channel, MessageRules, Suppression, under_caps};
use serde::{Deserialize, Serialize};

/// What a provider needs besides the text: its template code and the parameters in template
/// order (Tencent takes them by position, Alibaba Cloud and WeChat by name), and for WeChat an
/// optional page to open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    pub template: String,
    pub params: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Payload {
    pub fn of(letter: &Letter) -> Result<Self, String> {
        let text = letter
            .payload
            .as_deref()
            .ok_or("the message has no provider template")?;
        serde_json::from_str(text).map_err(|e| format!("payload: {e}"))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A random 128-bit hex string (request nonces).
pub(crate) fn nonce() -> Result<String, String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| format!("random: {e}"))?;
    Ok(signing::hex(&b))
}

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
    /// Held until the store's quiet hours end.
    pub deferred: usize,
    /// Held back for good: no consent, or over the frequency caps.
    pub suppressed: usize,
}

pub struct Dispatcher {
    app: App,
    email: EmailTransport,
    sms: SmsTransport,
    wechat: WechatTransport,
    webhook: WebhookTransport,
    http: reqwest::Client,
    lease: SignedDuration,
    batch: i64,
}

/// What the send-time checks decided for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    Send,
    Defer(Timestamp),
    Suppress(Suppression),
}

impl Dispatcher {
    pub fn new(app: App) -> Result<Self, crate::AppError> {
        let email = EmailTransport::from_config(&app.config)?;
        let sms = SmsTransport::from_config(&app.config.sms, &app.config.data_dir)
            .map_err(crate::AppError::Unsupported)?;
        let wechat = WechatTransport::from_config(&app.config.wechat);
        let webhook = WebhookTransport::from_config(&app.config.webhook);
        crate::install_tls();
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| crate::AppError::Internal(format!("HTTP client: {e}")))?;
        Ok(Self {
            app,
            email,
            sms,
            wechat,
            webhook,
            http,
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
        if rows.is_empty() {
            self.app.refresh_outbox_gauge(now).await?;
            return Ok(report);
        }
        let rules = self.app.message_rules().await?;
        for row in rows {
            // A row whose sealed fields do not open (a damaged value, a key missing after a
            // restore) can never be sent: dead-letter it so it does not stop every pass.
            let id = row.id;
            let row = match self.app.open_message(row) {
                Ok(row) => row,
                Err(error) => {
                    tracing::error!(outbox_id = id, %error, "outbox message cannot be opened");
                    self.app
                        .db
                        .mark_failed(
                            id,
                            &self.app.instance,
                            "sealed fields unreadable",
                            None,
                            now,
                        )
                        .await?;
                    report.dead += 1;
                    continue;
                }
            };
            match self.gate(&row, &rules, now).await? {
                Gate::Send => {}
                Gate::Defer(until) => {
                    self.app
                        .db
                        .defer_message(row.id, &self.app.instance, until, now)
                        .await?;
                    report.deferred += 1;
                    continue;
                }
                Gate::Suppress(why) => {
                    self.app
                        .db
                        .suppress_message(row.id, &self.app.instance, why.as_str(), now)
                        .await?;
                    report.suppressed += 1;
                    continue;
                }
            }
            match self.send(&row, &rules, now).await {
                Ok(()) => {
                    self.app
                        .db
                        .mark_sent(row.id, &self.app.instance, self.app.now())
                        .await?;
                    report.sent += 1;
                }
                Err(error) => {
                    let error = scrub(&error, &row.recipient);
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
        self.app.refresh_outbox_gauge(now).await?;
        Ok(report)
    }

    /// The checks made again at send time for a message to a customer: the consent a
    /// marketing message needs, the store's quiet hours, and the frequency caps.
    async fn gate(
        &self,
        row: &Letter,
        rules: &MessageRules,
        now: Timestamp,
    ) -> Result<Gate, crate::AppError> {
        let Some(customer) = row.customer_id else {
            return Ok(Gate::Send);
        };
        let marketing = row.marketing;
        if marketing {
            let Some(channel) = Channel::parse(&row.channel) else {
                return Ok(Gate::Suppress(Suppression::Consent));
            };
            let purpose = channel.marketing_consent().as_str();
            let granted = self
                .app
                .db
                .consent_state(customer)
                .await?
                .iter()
                .any(|(p, g, _)| p == purpose && *g);
            if !granted {
                return Ok(Gate::Suppress(Suppression::Consent));
            }
        }
        let tz = self.store_zone(row.store_id).await?;
        let local = tz.to_datetime(now);
        if let Some(release) = rules.quiet_hours().release(local) {
            let until = tz
                .to_ambiguous_timestamp(release)
                .compatible()
                .map_err(|e| crate::AppError::Internal(format!("quiet hours: {e}")))?;
            return Ok(Gate::Defer(until));
        }
        if marketing {
            let day = self
                .app
                .db
                .marketing_sent_since(customer, now - SignedDuration::from_hours(24))
                .await?;
            let week = self
                .app
                .db
                .marketing_sent_since(customer, now - SignedDuration::from_hours(24 * 7))
                .await?;
            if !under_caps(rules, day, week) {
                return Ok(Gate::Suppress(Suppression::FrequencyCap));
            }
        }
        Ok(Gate::Send)
    }

    async fn store_zone(&self, store: Option<i64>) -> Result<TimeZone, crate::AppError> {
        if let Some(id) = store
            && let Ok(s) = self.app.db.get_store(patron_store::Scope::Chain, id).await
            && let Ok(tz) = TimeZone::get(&s.timezone)
        {
            return Ok(tz);
        }
        Ok(self.app.config.timezone())
    }

    async fn send(&self, row: &Letter, rules: &MessageRules, now: Timestamp) -> Result<(), String> {
        match row.channel.as_str() {
            "email" => self.email.send(&self.app.config.mail.from, row).await,
            "sms" => {
                self.sms
                    .send(
                        &self.http,
                        &self.webhook,
                        row,
                        rules.sms_signature.trim(),
                        now,
                    )
                    .await
            }
            "wechat" => self.wechat.send(&self.http, row, now).await,
            "webhook" => self.webhook.send(&self.http, row, now).await,
            other => Err(format!("no channel '{other}' is configured")),
        }
    }

    /// Which channels can deliver now.
    pub fn channels_on(&self) -> Vec<Channel> {
        let mut on = vec![Channel::Email];
        if self.sms.is_on() {
            on.push(Channel::Sms);
        }
        if self.wechat.is_on() {
            on.push(Channel::Wechat);
        }
        if self.webhook.is_on() {
            on.push(Channel::Webhook);
        }
        on
    }
}
