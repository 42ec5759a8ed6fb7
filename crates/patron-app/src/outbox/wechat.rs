//! WeChat Official Account template messages (模板消息): an access token from
//! `/cgi-bin/token`, kept until shortly before it expires and fetched again when WeChat says
//! it is invalid, then `/cgi-bin/message/template/send` with the template's data fields.

use super::Letter;
use super::Payload;
use crate::config::WechatConfig;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::Mutex;

const PUBLIC: &str = "https://api.weixin.qq.com";
/// WeChat's codes for an access token that is invalid or expired.
const STALE_TOKEN: [i64; 3] = [40001, 40014, 42001];

pub struct WechatTransport {
    endpoint: String,
    app_id: String,
    secret: String,
    token: Mutex<Option<(String, Timestamp)>>,
}

impl WechatTransport {
    pub fn from_config(c: &WechatConfig) -> Self {
        let endpoint = if c.endpoint.trim().is_empty() {
            PUBLIC.to_string()
        } else {
            c.endpoint.trim().trim_end_matches('/').to_string()
        };
        Self {
            endpoint,
            app_id: c.app_id.trim().to_string(),
            secret: c.app_secret.clone(),
            token: Mutex::new(None),
        }
    }

    pub fn is_on(&self) -> bool {
        !self.app_id.is_empty() && !self.secret.is_empty()
    }

    async fn token(&self, http: &reqwest::Client, now: Timestamp) -> Result<String, String> {
        let mut held = self.token.lock().await;
        if let Some((t, until)) = held.as_ref()
            && *until > now
        {
            return Ok(t.clone());
        }
        let answer: serde_json::Value = http
            .get(format!("{}/cgi-bin/token", self.endpoint))
            .query(&[
                ("grant_type", "client_credential"),
                ("appid", self.app_id.as_str()),
                ("secret", self.secret.as_str()),
            ])
            .send()
            .await
            .map_err(|e| format!("wechat token: {e}"))?
            .json()
            .await
            .map_err(|e| format!("wechat token: {e}"))?;
        let Some(token) = answer["access_token"].as_str() else {
            return Err(format!(
                "wechat token: {} {}",
                answer["errcode"], answer["errmsg"]
            ));
        };
        let life = answer["expires_in"].as_i64().unwrap_or(7200);
        // Renew five minutes early so a token never expires between check and use.
        let until = now + SignedDuration::from_secs((life - 300).max(60));
        *held = Some((token.to_string(), until));
        Ok(token.to_string())
    }

    async fn forget(&self) {
        *self.token.lock().await = None;
    }

    pub async fn send(
        &self,
        http: &reqwest::Client,
        row: &Letter,
        now: Timestamp,
    ) -> Result<(), String> {
        if !self.is_on() {
            return Err("no WeChat Official Account is configured".into());
        }
        let payload = Payload::of(row)?;
        let data: serde_json::Map<String, serde_json::Value> = payload
            .params
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::json!({ "value": v })))
            .collect();
        let mut body = serde_json::json!({
            "touser": row.recipient,
            "template_id": payload.template,
            "data": data,
        });
        if let Some(url) = &payload.url {
            body["url"] = serde_json::Value::String(url.clone());
        }
        for attempt in 0..2 {
            let token = self.token(http, now).await?;
            let answer: serde_json::Value = http
                .post(format!("{}/cgi-bin/message/template/send", self.endpoint))
                .query(&[("access_token", token.as_str())])
                .json(&body)
                .send()
                .await
                .map_err(|e| format!("wechat: {e}"))?
                .json()
                .await
                .map_err(|e| format!("wechat: {e}"))?;
            let code = answer["errcode"].as_i64().unwrap_or(-1);
            if code == 0 {
                return Ok(());
            }
            if attempt == 0 && STALE_TOKEN.contains(&code) {
                self.forget().await;
                continue;
            }
            return Err(format!("wechat: {code} {}", answer["errmsg"]));
        }
        Err("wechat: the access token was refused twice".into())
    }
}
