//! The message catalog: every string a person reads, in zh-CN (the default) and English.
//! Catalogs are TOML files compiled into the binary; a test checks both have the same keys
//! and that every key the code and templates use exists.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

/// The language cookie's name over HTTPS, and on plain HTTP at a loopback address.
pub const LANG_COOKIE_SECURE: &str = "__Host-lang";
pub const LANG_COOKIE: &str = "lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language cookie if set, else the first supported language in Accept-Language,
    /// else Chinese. Either cookie name is read: this runs before anything knows the cookie
    /// policy, and a `__Host-` cookie can only have been set over HTTPS anyway.
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Lang {
        if let Some(l) = [LANG_COOKIE_SECURE, LANG_COOKIE]
            .iter()
            .find_map(|name| crate::identity::cookie(headers, name))
            .and_then(|v| Lang::parse(&v))
        {
            return l;
        }
        headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(',')
                    .find_map(|part| Lang::parse(part.split(';').next().unwrap_or("")))
            })
            .unwrap_or_default()
    }

    /// The message, if the catalog has it (for keys that come from a query string).
    pub fn try_t(self, key: &str) -> Option<&'static str> {
        let catalogs = catalogs();
        let table = match self {
            Lang::Zh => &catalogs.0,
            Lang::En => &catalogs.1,
        };
        table.get(key).map(String::as_str)
    }

    pub fn t(self, key: &str) -> &'static str {
        let catalogs = catalogs();
        let table = match self {
            Lang::Zh => &catalogs.0,
            Lang::En => &catalogs.1,
        };
        table.get(key).map(String::as_str).unwrap_or_else(|| {
            tracing::warn!(key, "missing message");
            MISSING
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_headers(&parts.headers))
    }
}

/// Shown where a catalog lacks a key; tests look for it on every page.
pub const MISSING: &str = "[missing message]";

type Catalog = HashMap<String, String>;

fn catalogs() -> &'static (Catalog, Catalog) {
    static CATALOGS: OnceLock<(Catalog, Catalog)> = OnceLock::new();
    CATALOGS.get_or_init(|| {
        (
            load(include_str!("../messages/zh-CN.toml")),
            load(include_str!("../messages/en.toml")),
        )
    })
}

/// Flattens `[section] key = "…"` into `section.key`.
fn load(text: &str) -> Catalog {
    let mut out = HashMap::new();
    let Ok(value) = text.parse::<toml::Table>() else {
        return out;
    };
    fn walk(prefix: &str, t: &toml::Table, out: &mut Catalog) {
        for (k, v) in t {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::String(s) => {
                    out.insert(key, s.clone());
                }
                toml::Value::Table(inner) => walk(&key, inner, out),
                _ => {}
            }
        }
    }
    walk("", &value, &mut out);
    out
}

/// Keys of both catalogs, for the completeness test.
pub fn catalog_keys() -> (Vec<String>, Vec<String>) {
    let (zh, en) = catalogs();
    let mut a: Vec<String> = zh.keys().cloned().collect();
    let mut b: Vec<String> = en.keys().cloned().collect();
    a.sort();
    b.sort();
    (a, b)
}
