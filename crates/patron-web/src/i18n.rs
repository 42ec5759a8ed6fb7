//! The reader's language in a request: the language cookie, else Accept-Language. The
//! catalogs and the lookup live in `patron_app::i18n` (the app writes texts too) and are
//! re-exported here, so pages keep calling `crate::i18n::Lang`.

pub use patron_app::i18n::{Lang, catalog_keys};

/// The language cookie's name over HTTPS, and on plain HTTP at a loopback address.
pub const LANG_COOKIE_SECURE: &str = "__Host-lang";
pub const LANG_COOKIE: &str = "lang";

/// The language cookie if set, else the first supported language in Accept-Language, else
/// Chinese. Either cookie name is read: this runs before anything knows the cookie policy,
/// and a `__Host-` cookie can only have been set over HTTPS anyway.
pub fn request_lang(headers: &axum::http::HeaderMap) -> Lang {
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
