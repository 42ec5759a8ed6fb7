//! SMS delivery: Alibaba Cloud SMS (`SendSms`, 2017-05-25) and Tencent Cloud SMS (`SendSms`,
//! 2021-01-11), each with its documented request signing; or the file channel for demos and
//! tests; or the generic webhook for a gateway of the store's own. Both providers send only
//! templates registered with them, so a message carries the provider's template code and its
//! parameters (the payload) besides the text Patron shows staff.

use super::Letter;
use super::signing::{self, Endpoint};
use super::{Payload, webhook::WebhookTransport};
use crate::config::SmsConfig;
use jiff::Timestamp;
use std::path::PathBuf;

const ALIYUN_ENDPOINT: &str = "https://dysmsapi.aliyuncs.com/";
const TENCENT_ENDPOINT: &str = "https://sms.tencentcloudapi.com/";

pub enum SmsTransport {
    Off,
    File(PathBuf),
    Aliyun {
        endpoint: Endpoint,
        key_id: String,
        secret: String,
    },
    Tencent {
        endpoint: Endpoint,
        secret_id: String,
        secret_key: String,
        region: String,
        app_id: String,
    },
    Webhook,
}

impl SmsTransport {
    pub fn from_config(c: &SmsConfig, data_dir: &std::path::Path) -> Result<Self, String> {
        let endpoint = |default: &str| {
            Endpoint::parse(if c.endpoint.is_empty() {
                default
            } else {
                &c.endpoint
            })
        };
        let need = |v: &str, name: &str| {
            if v.trim().is_empty() {
                Err(format!(
                    "sms.{name} is required for provider {}",
                    c.provider
                ))
            } else {
                Ok(v.to_string())
            }
        };
        Ok(match c.provider.as_str() {
            "" | "none" => SmsTransport::Off,
            "file" => SmsTransport::File(data_dir.join("outbox-files")),
            "aliyun" => SmsTransport::Aliyun {
                endpoint: endpoint(ALIYUN_ENDPOINT)?,
                key_id: need(&c.access_key_id, "access_key_id")?,
                secret: need(&c.access_key_secret, "access_key_secret")?,
            },
            "tencent" => SmsTransport::Tencent {
                endpoint: endpoint(TENCENT_ENDPOINT)?,
                secret_id: need(&c.access_key_id, "access_key_id")?,
                secret_key: need(&c.access_key_secret, "access_key_secret")?,
                region: need(&c.region, "region")?,
                app_id: need(&c.sdk_app_id, "sdk_app_id")?,
            },
            "webhook" => SmsTransport::Webhook,
            other => return Err(format!("sms.provider: unknown provider '{other}'")),
        })
    }

    pub fn is_on(&self) -> bool {
        !matches!(self, SmsTransport::Off)
    }

    /// Sends one SMS. `sign_name` is the registered signature, `now` stamps the request.
    pub async fn send(
        &self,
        http: &reqwest::Client,
        webhook: &WebhookTransport,
        row: &Letter,
        sign_name: &str,
        now: Timestamp,
    ) -> Result<(), String> {
        let payload = Payload::of(row)?;
        let phone = row.recipient.trim();
        match self {
            SmsTransport::Off => Err("no SMS provider is configured".into()),
            SmsTransport::Webhook => webhook.send(http, row, now).await,
            SmsTransport::File(dir) => {
                crate::datadir::ensure(dir).map_err(|e| e.to_string())?;
                let name = format!("{:08}-{}.sms.txt", row.id, row.purpose);
                // The file is for looking at what went out, not a second copy of the number.
                let text = format!(
                    "To: {}\nTemplate: {}\n\n{}\n",
                    super::mask_recipient(phone),
                    payload.template,
                    row.body
                );
                let tmp = dir.join(format!(".{name}.tmp"));
                tokio::fs::write(&tmp, text)
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::fs::rename(&tmp, dir.join(name))
                    .await
                    .map_err(|e| e.to_string())
            }
            SmsTransport::Aliyun {
                endpoint,
                key_id,
                secret,
            } => {
                let params: serde_json::Map<String, serde_json::Value> = payload
                    .params
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect();
                let params = serde_json::Value::Object(params).to_string();
                let query = [
                    ("PhoneNumbers", phone.to_string()),
                    ("SignName", sign_name.to_string()),
                    ("TemplateCode", payload.template.clone()),
                    ("TemplateParam", params),
                    ("OutId", row.id.to_string()),
                ];
                let nonce = super::nonce()?;
                let call = signing::Call {
                    service: "dysmsapi",
                    action: "SendSms",
                    version: "2017-05-25",
                    region: "",
                };
                let key = signing::Key { id: key_id, secret };
                let req = signing::aliyun_v3(endpoint, call, &query, key, now, &nonce);
                let body = post(http, req).await?;
                let code = body.get("Code").and_then(|c| c.as_str()).unwrap_or("");
                if code == "OK" {
                    Ok(())
                } else {
                    Err(format!(
                        "aliyun: {code}: {}",
                        body.get("Message").and_then(|m| m.as_str()).unwrap_or("")
                    ))
                }
            }
            SmsTransport::Tencent {
                endpoint,
                secret_id,
                secret_key,
                region,
                app_id,
            } => {
                let number = if phone.starts_with('+') {
                    phone.to_string()
                } else {
                    format!("+86{phone}")
                };
                let body = serde_json::json!({
                    "PhoneNumberSet": [number],
                    "SmsSdkAppId": app_id,
                    "SignName": sign_name,
                    "TemplateId": payload.template,
                    "TemplateParamSet": payload.params.iter().map(|(_, v)| v).collect::<Vec<_>>(),
                    "SessionContext": row.id.to_string(),
                })
                .to_string();
                let call = signing::Call {
                    service: "sms",
                    action: "SendSms",
                    version: "2021-01-11",
                    region,
                };
                let key = signing::Key {
                    id: secret_id,
                    secret: secret_key,
                };
                let req = signing::tencent_tc3(endpoint, call, body.as_bytes(), key, now);
                let answer = post(http, req).await?;
                let response = &answer["Response"];
                if let Some(e) = response.get("Error") {
                    return Err(format!(
                        "tencent: {}: {}",
                        e["Code"].as_str().unwrap_or(""),
                        e["Message"].as_str().unwrap_or("")
                    ));
                }
                let status = &response["SendStatusSet"][0];
                match status["Code"].as_str() {
                    Some("Ok") => Ok(()),
                    other => Err(format!(
                        "tencent: {}: {}",
                        other.unwrap_or("no status"),
                        status["Message"].as_str().unwrap_or("")
                    )),
                }
            }
        }
    }
}

/// Sends a signed request and reads the JSON answer (providers answer errors in JSON too).
async fn post(http: &reqwest::Client, req: signing::Signed) -> Result<serde_json::Value, String> {
    let mut r = http.post(&req.url).body(req.body);
    for (k, v) in &req.headers {
        r = r.header(k.as_str(), v.as_str());
    }
    let resp = r.send().await.map_err(|e| format!("request: {e}"))?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| format!("response: {e}"))?;
    serde_json::from_str(&text).map_err(|_| {
        let head: String = text.chars().take(200).collect();
        format!("HTTP {status}: {head}")
    })
}
