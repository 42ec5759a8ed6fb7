//! How Patron reaches customers: e-mail (SMTP or files), the SMS gateway, the WeChat
//! Official Account and the generic webhook. Secrets never appear in `Debug` output.

use serde::{Deserialize, Serialize};

/// The SMS gateway. Templates must be registered with the provider; the signature (签名) is
/// a message setting shared by every provider.
#[derive(Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// `none`, `file` (writes each SMS to `<data>/outbox-files/`), `aliyun`, `tencent`, or
    /// `webhook` (hands each SMS to `[webhook]`, for a gateway of your own).
    pub provider: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    /// Blank: the provider's public endpoint.
    pub endpoint: String,
    /// Tencent Cloud only: the region (`ap-guangzhou`) and the SMS application id.
    pub region: String,
    pub sdk_app_id: String,
    /// The secret part of the reply callback address `/hooks/sms/<reply_token>`, where the
    /// provider posts customers' replies (R, TD, 退订 withdraw the marketing SMS consent).
    pub reply_token: String,
}

/// A WeChat Official Account (服务号) for template messages.
#[derive(Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct WechatConfig {
    pub app_id: String,
    pub app_secret: String,
    /// Blank: `https://api.weixin.qq.com`.
    pub endpoint: String,
}

/// A generic webhook: each message is POSTed as JSON, signed with HMAC-SHA256.
#[derive(Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    pub url: String,
    pub secret: String,
}

fn masked(secret: &str) -> &'static str {
    if secret.is_empty() { "" } else { "***" }
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsConfig")
            .field("provider", &self.provider)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &masked(&self.access_key_secret))
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("sdk_app_id", &self.sdk_app_id)
            .field("reply_token", &masked(&self.reply_token))
            .finish()
    }
}

impl std::fmt::Debug for WechatConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatConfig")
            .field("app_id", &self.app_id)
            .field("app_secret", &masked(&self.app_secret))
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("secret", &masked(&self.secret))
            .finish()
    }
}

#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// `file` (writes each message to `<data>/outbox-files/`, for demos and tests) or `smtp`.
    pub transport: String,
    pub from: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    /// `starttls`, `tls` or `none` (only for a relay on the same machine).
    pub smtp_security: String,
    pub smtp_username: String,
    pub smtp_password: String,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("transport", &self.transport)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_security", &self.smtp_security)
            .field(
                "smtp_password",
                &if self.smtp_password.is_empty() {
                    ""
                } else {
                    "***"
                },
            )
            .finish_non_exhaustive()
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            transport: "file".into(),
            from: "Patron <patron@localhost>".into(),
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_security: "starttls".into(),
            smtp_username: String::new(),
            smtp_password: String::new(),
        }
    }
}
