//! Shared state of the web layer: the application, request metrics, cookie policy.

use crate::middleware::Metrics;
use patron_app::App;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: Arc<Metrics>,
    /// `Secure` cookies with the `__Host-` prefix, and HSTS; off only for plain HTTP on
    /// loopback, where browsers would drop a `__Host-` cookie that cannot be `Secure`.
    pub secure_cookies: bool,
    /// Imports started from the console, by token, while they run and until their report
    /// has been read.
    pub imports: Arc<crate::console::customers::transfer::ImportJobs>,
    /// Proxies whose `X-Forwarded-For` names the client (`server.trusted_proxies`).
    pub trusted_proxies: Arc<[patron_app::security::Cidr]>,
}

impl AppState {
    pub fn new(app: App) -> Result<Self, String> {
        let secure_cookies = app.config().cookie_secure().map_err(|e| e.to_string())?;
        Ok(Self {
            metrics: Arc::new(Metrics::default()),
            secure_cookies,
            imports: Arc::default(),
            trusted_proxies: app.config().trusted_proxies().into(),
            app,
        })
    }

    pub fn session_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-patron_session"
        } else {
            "patron_session"
        }
    }

    pub fn csrf_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-patron_csrf"
        } else {
            "patron_csrf"
        }
    }

    /// The language cookie: not a secret, but prefixed like the others so that no other
    /// host or path can plant one.
    pub fn lang_cookie(&self) -> &'static str {
        if self.secure_cookies {
            crate::i18n::LANG_COOKIE_SECURE
        } else {
            crate::i18n::LANG_COOKIE
        }
    }

    /// A `Set-Cookie` value with the house attributes: host-only (no `Domain`), `Path=/`,
    /// `HttpOnly` (no script reads any of them), `SameSite=Lax` (sent on a link followed from
    /// an e-mail, not on another site's form posts), and `Secure` when served over HTTPS.
    pub fn cookie(&self, name: &str, value: &str, max_age: Option<i64>) -> String {
        let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
        if self.secure_cookies {
            c.push_str("; Secure");
        }
        if let Some(age) = max_age {
            c.push_str(&format!("; Max-Age={age}"));
        }
        c
    }
}
