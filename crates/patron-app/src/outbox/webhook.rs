//! The generic webhook: each message POSTed as JSON to the configured address, signed with
//! HMAC-SHA256 over "<timestamp>.<body>" (`X-Patron-Timestamp`, `X-Patron-Signature`), so a
//! receiver can check it came from this Patron and is not a replay.

use super::Letter;
use super::signing::webhook_signature;
use crate::config::WebhookConfig;
use jiff::Timestamp;

pub struct WebhookTransport {
    url: String,
    secret: String,
}

impl WebhookTransport {
    pub fn from_config(c: &WebhookConfig) -> Self {
        Self {
            url: c.url.trim().to_string(),
            secret: c.secret.clone(),
        }
    }

    pub fn is_on(&self) -> bool {
        !self.url.is_empty()
    }

    pub async fn send(
        &self,
        http: &reqwest::Client,
        row: &Letter,
        now: Timestamp,
    ) -> Result<(), String> {
        if !self.is_on() {
            return Err("no webhook is configured".into());
        }
        let payload: Option<serde_json::Value> = row
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok());
        let body = serde_json::json!({
            "id": row.id,
            "channel": row.channel,
            "purpose": row.purpose,
            "recipient": row.recipient,
            "subject": row.subject,
            "body": row.body,
            "customer_id": row.customer_id,
            "campaign": row.campaign,
            "payload": payload,
        })
        .to_string();
        let ts = now.as_second();
        let resp = http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-patron-timestamp", ts.to_string())
            .header(
                "x-patron-signature",
                webhook_signature(&self.secret, ts, body.as_bytes()),
            )
            .header("x-patron-message-id", row.id.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| format!("webhook: {e}"))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(format!("webhook: HTTP {}", resp.status()))
        }
    }
}
