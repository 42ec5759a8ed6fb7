//! Request signing for the SMS providers, written from their public documentation:
//! Alibaba Cloud's signature method V3 (`ACS3-HMAC-SHA256`) and Tencent Cloud's signature
//! method v3 (`TC3-HMAC-SHA256`). Both hash a canonical form of the request (method, path,
//! query, chosen headers, body hash) and sign that with HMAC-SHA256; they differ in which
//! headers they sign, how the key is derived and how the result is written.
//!
//! Pure functions of their inputs (time and nonce included), so tests can check them, and the
//! test gateway verifies what actually went over the wire.

use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts a key of any length.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

pub fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// RFC 3986 encoding: letters, digits and `-_.~` stay, every other byte becomes `%XX`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A request ready to send: where, which headers to add, and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Where a provider is reached: `scheme://host[:port]` and the path (`/` for the public APIs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub origin: String,
    /// `Host` as it goes on the wire (with the port when not the scheme's default).
    pub host: String,
    pub path: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Self, String> {
        let u = reqwest::Url::parse(url).map_err(|e| format!("endpoint {url}: {e}"))?;
        let host = u
            .host_str()
            .ok_or_else(|| format!("endpoint {url}: no host"))?;
        let host = match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        Ok(Self {
            origin: format!("{}://{host}", u.scheme()),
            host,
            path: if u.path().is_empty() {
                "/".into()
            } else {
                u.path().to_string()
            },
        })
    }
}

/// Which API operation a request calls.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// Tencent Cloud's service name (`sms`); unused by Alibaba Cloud.
    pub service: &'a str,
    pub action: &'a str,
    pub version: &'a str,
    /// Tencent Cloud's region (`ap-guangzhou`); unused by Alibaba Cloud.
    pub region: &'a str,
}

/// An access key: its public id and its secret.
#[derive(Clone, Copy)]
pub struct Key<'a> {
    pub id: &'a str,
    pub secret: &'a str,
}

/// An Alibaba Cloud RPC call (e.g. `SendSms`, version `2017-05-25`) with its parameters in
/// the query string and an empty body.
pub fn aliyun_v3(
    endpoint: &Endpoint,
    call: Call<'_>,
    params: &[(&str, String)],
    key: Key<'_>,
    at: Timestamp,
    nonce: &str,
) -> Signed {
    let Call {
        action, version, ..
    } = call;
    let Key { id: key_id, secret } = key;
    let mut sorted: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    sorted.sort();
    let query = sorted
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let body: Vec<u8> = Vec::new();
    let date = at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut headers = vec![
        ("host".to_string(), endpoint.host.clone()),
        ("x-acs-action".to_string(), action.to_string()),
        ("x-acs-content-sha256".to_string(), sha256_hex(&body)),
        ("x-acs-date".to_string(), date),
        ("x-acs-signature-nonce".to_string(), nonce.to_string()),
        ("x-acs-version".to_string(), version.to_string()),
    ];
    headers.sort();
    let canonical_headers: String = headers
        .iter()
        .map(|(k, v)| format!("{k}:{}\n", v.trim()))
        .collect();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical = format!(
        "POST\n{}\n{query}\n{canonical_headers}\n{signed_headers}\n{}",
        endpoint.path,
        sha256_hex(&body)
    );
    let to_sign = format!("ACS3-HMAC-SHA256\n{}", sha256_hex(canonical.as_bytes()));
    let signature = hex(&hmac(secret.as_bytes(), to_sign.as_bytes()));
    headers.retain(|(k, _)| k != "host");
    headers.push((
        "authorization".into(),
        format!(
            "ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders={signed_headers},Signature={signature}"
        ),
    ));
    let url = if query.is_empty() {
        format!("{}{}", endpoint.origin, endpoint.path)
    } else {
        format!("{}{}?{query}", endpoint.origin, endpoint.path)
    };
    Signed { url, headers, body }
}

/// A Tencent Cloud API 3.0 call: JSON body, action and version in `X-TC-*` headers.
pub fn tencent_tc3(
    endpoint: &Endpoint,
    call: Call<'_>,
    body: &[u8],
    key: Key<'_>,
    at: Timestamp,
) -> Signed {
    let Call {
        service,
        action,
        version,
        region,
    } = call;
    let Key {
        id: secret_id,
        secret: secret_key,
    } = key;
    const CONTENT_TYPE: &str = "application/json; charset=utf-8";
    let seconds = at.as_second();
    // The credential date is the UTC date of the timestamp.
    let date = at.strftime("%Y-%m-%d").to_string();
    let signed_headers = "content-type;host;x-tc-action";
    let canonical = format!(
        "POST\n{}\n\ncontent-type:{CONTENT_TYPE}\nhost:{}\nx-tc-action:{}\n\n{signed_headers}\n{}",
        endpoint.path,
        endpoint.host,
        action.to_lowercase(),
        sha256_hex(body)
    );
    let scope = format!("{date}/{service}/tc3_request");
    let to_sign = format!(
        "TC3-HMAC-SHA256\n{seconds}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let k_date = hmac(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac(&k_date, service.as_bytes());
    let k_signing = hmac(&k_service, b"tc3_request");
    let signature = hex(&hmac(&k_signing, to_sign.as_bytes()));
    let mut headers = vec![
        (
            "authorization".to_string(),
            format!(
                "TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
            ),
        ),
        ("content-type".into(), CONTENT_TYPE.into()),
        ("x-tc-action".into(), action.into()),
        ("x-tc-timestamp".into(), seconds.to_string()),
        ("x-tc-version".into(), version.into()),
    ];
    if !region.is_empty() {
        headers.push(("x-tc-region".into(), region.into()));
    }
    Signed {
        url: format!("{}{}", endpoint.origin, endpoint.path),
        headers,
        body: body.to_vec(),
    }
}

/// The generic webhook's signature: HMAC-SHA256 over `"<timestamp>.<body>"`, as
/// `sha256=<hex>`. Receivers recompute it and reject stale timestamps.
pub fn webhook_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut data = format!("{timestamp}.").into_bytes();
    data.extend_from_slice(body);
    format!("sha256={}", hex(&hmac(secret.as_bytes(), &data)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEND: Call<'static> = Call {
        service: "",
        action: "SendSms",
        version: "2017-05-25",
        region: "",
    };

    fn key<'a>(id: &'a str, secret: &'a str) -> Key<'a> {
        Key { id, secret }
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved() {
        assert_eq!(percent_encode("a-Z_0.~"), "a-Z_0.~");
        assert_eq!(percent_encode("a b*c/d"), "a%20b%2Ac%2Fd");
        assert_eq!(percent_encode("好"), "%E5%A5%BD");
    }

    #[test]
    fn endpoints_keep_the_port_in_host() {
        let e = Endpoint::parse("http://127.0.0.1:8123/aliyun/").expect("parse");
        assert_eq!(e.host, "127.0.0.1:8123");
        assert_eq!(e.path, "/aliyun/");
        let e = Endpoint::parse("https://dysmsapi.aliyuncs.com").expect("parse");
        assert_eq!(
            (e.host.as_str(), e.path.as_str()),
            ("dysmsapi.aliyuncs.com", "/")
        );
    }

    #[test]
    fn aliyun_signs_sorted_encoded_parameters_and_every_acs_header() {
        let e = Endpoint::parse("https://dysmsapi.aliyuncs.com/").expect("parse");
        let at = Timestamp::from_second(1_795_000_000).expect("ts");
        let params = [
            ("TemplateParam", r#"{"name":"王"}"#.to_string()),
            ("PhoneNumbers", "13800138000".to_string()),
        ];
        let a = aliyun_v3(&e, SEND, &params, key("AK", "S"), at, "n1");
        assert!(a.url.starts_with(
            "https://dysmsapi.aliyuncs.com/?PhoneNumbers=13800138000&TemplateParam=%7B%22name%22"
        ));
        let auth = &a
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .expect("auth")
            .1;
        assert!(auth.starts_with("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature="));
        // Any change to what is signed changes the signature.
        let b = aliyun_v3(&e, SEND, &params, key("AK", "S"), at, "n2");
        let c = aliyun_v3(&e, SEND, &params, key("AK", "T"), at, "n1");
        let sig = |s: &Signed| {
            s.headers
                .iter()
                .find(|(k, _)| k == "authorization")
                .map(|h| h.1.clone())
        };
        assert_ne!(sig(&a), sig(&b));
        assert_ne!(sig(&a), sig(&c));
        assert_eq!(
            sig(&a),
            sig(&aliyun_v3(&e, SEND, &params, key("AK", "S"), at, "n1"))
        );
    }

    #[test]
    fn tencent_scope_uses_the_utc_date() {
        let e = Endpoint::parse("https://sms.tencentcloudapi.com").expect("parse");
        // 16:30 UTC on the 24th is already the 25th in Shanghai; the scope takes the UTC date.
        let at: Timestamp = "2026-11-24T16:30:00Z".parse().expect("ts");
        let call = Call {
            service: "sms",
            action: "SendSms",
            version: "2021-01-11",
            region: "ap-guangzhou",
        };
        let s = tencent_tc3(&e, call, b"{}", key("ID", "KEY"), at);
        let auth = &s.headers[0].1;
        assert!(auth.starts_with("TC3-HMAC-SHA256 Credential=ID/2026-11-24/sms/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature="), "{auth}");
        assert!(
            s.headers
                .contains(&("x-tc-timestamp".into(), at.as_second().to_string()))
        );
    }

    #[test]
    fn webhook_signature_is_hmac_of_timestamp_and_body() {
        // The widely published HMAC-SHA256 example ("key", the quick brown fox).
        assert_eq!(
            hex(&hmac(
                b"key",
                b"The quick brown fox jumps over the lazy dog"
            )),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        let s = webhook_signature("key", 1_795_000_000, b"{}");
        assert_eq!(
            s,
            format!("sha256={}", hex(&hmac(b"key", b"1795000000.{}")))
        );
        assert_ne!(s, webhook_signature("key", 1_795_000_001, b"{}"));
    }
}
