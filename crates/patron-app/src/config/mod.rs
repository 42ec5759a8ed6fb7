//! Configuration: built-in defaults < `patron.toml` in the data folder (or `--config`) <
//! `PATRON_*` environment variables (`PATRON_DATABASE_URL`, `PATRON_SERVER_LISTEN`, …).
//! Unknown keys, in the file or the environment, are errors: a typo must not be ignored.

use patron_store::Synchronous;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod channels;
pub use channels::{MailConfig, SmsConfig, WebhookConfig, WechatConfig};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub security: SecurityConfig,
    pub mail: MailConfig,
    pub log: LogConfig,
    pub customers: CustomersConfig,
    pub imports: ImportsConfig,
    pub sms: SmsConfig,
    pub wechat: WechatConfig,
    pub webhook: WebhookConfig,
    pub outbox: OutboxConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxConfig {
    /// Delivered and failed messages are deleted this many days after they were queued.
    pub retention_days: i64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self { retention_days: 90 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CustomersConfig {
    /// Archive number format: `{store}` is the store code, `{seq:06}` the per-store sequence.
    pub archive_format: String,
    /// Files not verified with the customer for this many days go on the re-verification list.
    pub reverify_days: i64,
    /// The privacy notice version consents are recorded against.
    pub notice_version: String,
    /// Exports of more rows than this need a written reason.
    pub export_reason_rows: i64,
    /// Customer reads over the API (list, one file) per token or session and minute, in
    /// this server process; more get 429 with `Retry-After`.
    pub api_reads_per_minute: u32,
}

impl Default for CustomersConfig {
    fn default() -> Self {
        Self {
            archive_format: "{store}-{seq:06}".into(),
            reverify_days: 90,
            notice_version: "2026-01".into(),
            export_reason_rows: 100,
            api_reads_per_minute: 120,
        }
    }
}

/// Bounds on an uploaded or imported table, checked before it is read: an xlsx file of a
/// few kilobytes can declare a sheet of 16,384 columns by 1,048,576 rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ImportsConfig {
    /// Rows of a sheet, from its first used row to its last.
    pub max_rows: u64,
    /// Columns of a sheet, from its first used column to its last.
    pub max_columns: u64,
    /// Rows times columns of a sheet's used rectangle (every cell of it is held in memory).
    pub max_cells: u64,
    /// Bytes of an xlsx file once unpacked, all its parts together, in MiB.
    pub max_unpacked_mib: u64,
}

impl Default for ImportsConfig {
    fn default() -> Self {
        Self {
            max_rows: 1_100_000,
            max_columns: 200,
            max_cells: 20_000_000,
            max_unpacked_mib: 256,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: String,
    /// The address people type, e.g. `https://crm.example.cn`. Blank: `http://` + `listen`.
    pub public_url: String,
    /// The chain's head-office time zone: schedules and the console's dates use it.
    pub timezone: String,
    /// The language of what Patron sends (notices to customers, e-mails to staff): neither
    /// has a language of their own on file. `zh-CN` or `en`.
    pub language: String,
    pub shutdown_grace_seconds: u64,
    /// Address blocks (CIDR) of the reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://…`. Blank: `patron.db` in the data folder.
    pub url: String,
    pub synchronous: Synchronous,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    /// Roles that must use a TOTP authenticator.
    pub totp_required_roles: Vec<String>,
    /// Failures of one account from one address before that pair is locked.
    pub login_max_failures_per_account: i64,
    pub login_max_failures_per_ip: i64,
    pub login_window_minutes: i64,
    /// The first lock of an (account, address) pair; each further lock doubles, up to
    /// `login_lock_max_minutes`.
    pub login_lock_minutes: i64,
    pub login_lock_max_minutes: i64,
    /// Failures of one account from all addresses before attempts from addresses it has not
    /// signed in from are spaced out (never locked), by up to the delay below.
    pub login_ceiling_per_account: i64,
    pub login_ceiling_delay_max_seconds: i64,
    /// How long an address the account signed in from stays exempt from that ceiling.
    pub login_known_address_days: i64,
    /// Wrong second-factor codes before the account's second step is locked (and its
    /// owner told by e-mail), and for how long.
    pub totp_max_failures: i64,
    pub totp_lock_minutes: i64,
    /// Passwords hashed or checked at once, and how long a request waits for a turn.
    pub password_hash_concurrency: usize,
    pub password_hash_wait_seconds: u64,
    pub link_valid_hours: i64,
    /// How long a new personal API token works (it dies earlier if revoked, or when its
    /// owner's password changes or the account is disabled).
    pub token_valid_days: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter, e.g. `info` or `patron=debug,info`.
    pub level: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./patron-data"),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            security: SecurityConfig::default(),
            mail: MailConfig::default(),
            log: LogConfig::default(),
            customers: CustomersConfig::default(),
            imports: ImportsConfig::default(),
            sms: SmsConfig {
                provider: "file".into(),
                ..Default::default()
            },
            wechat: WechatConfig::default(),
            webhook: WebhookConfig::default(),
            outbox: OutboxConfig::default(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: String::new(),
            timezone: "Asia/Shanghai".into(),
            language: "zh-CN".into(),
            shutdown_grace_seconds: 20,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            synchronous: Synchronous::Full,
            max_connections: 8,
        }
    }
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            totp_required_roles: vec!["admin".into(), "store_manager".into()],
            login_max_failures_per_account: 5,
            login_max_failures_per_ip: 20,
            login_window_minutes: 15,
            login_lock_minutes: 15,
            login_lock_max_minutes: 1440,
            login_ceiling_per_account: 20,
            login_ceiling_delay_max_seconds: 60,
            login_known_address_days: 90,
            totp_max_failures: 5,
            totp_lock_minutes: 15,
            password_hash_concurrency: 2,
            password_hash_wait_seconds: 5,
            link_valid_hours: 72,
            token_valid_days: 90,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: "text".into(),
            level: "info".into(),
        }
    }
}

/// A commented configuration file with every key at its default (`patron config example`).
pub const EXAMPLE: &str = include_str!("config_example.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Loads defaults, then the file (if it exists, or if it was named explicitly), then the
    /// environment. `env` is passed in so tests control it.
    pub fn load(
        file: Option<&Path>,
        data_dir: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let base = data_dir
            .map(Path::to_path_buf)
            .unwrap_or_else(|| Config::default().data_dir);
        let (path, must_exist) = match file {
            Some(p) => (p.to_path_buf(), true),
            None => (base.join("patron.toml"), false),
        };
        let mut value = toml::Value::try_from(Config::default())
            .map_err(|e| ConfigError::Invalid(format!("defaults: {e}")))?;
        if must_exist || path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                path: path.display().to_string(),
                source,
            })?;
            let file_value: toml::Value =
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
            merge(&mut value, file_value);
        }
        if let Some(d) = data_dir {
            set(
                &mut value,
                &["data_dir"],
                toml::Value::String(d.display().to_string()),
            );
        }
        for (name, raw) in env {
            apply_env(&mut value, &name, &raw)?;
        }
        let config: Config = value
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what serde cannot: addresses, URLs, time zones, enumerations.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if self.server.listen.parse::<SocketAddr>().is_err() {
            return bad(format!(
                "server.listen '{}' is not an address like 127.0.0.1:8080",
                self.server.listen
            ));
        }
        if jiff::tz::TimeZone::get(&self.server.timezone).is_err() {
            return bad(format!(
                "server.timezone '{}' is not a known time zone",
                self.server.timezone
            ));
        }
        if crate::i18n::Lang::parse(&self.server.language).is_none() {
            return bad(format!(
                "server.language '{}' must be zh-CN or en",
                self.server.language
            ));
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return bad("log.format must be text or json".into());
        }
        if !matches!(self.mail.transport.as_str(), "file" | "smtp") {
            return bad("mail.transport must be file or smtp".into());
        }
        if self.mail.transport == "smtp" && self.mail.smtp_host.is_empty() {
            return bad("mail.smtp_host is required when mail.transport = \"smtp\"".into());
        }
        if !matches!(
            self.mail.smtp_security.as_str(),
            "starttls" | "tls" | "none"
        ) {
            return bad("mail.smtp_security must be starttls, tls or none".into());
        }
        // The same check the dispatcher makes, so a broken channel stops start-up with its
        // key named instead of leaving messages undelivered.
        if let Err(e) = crate::outbox::SmsTransport::from_config(&self.sms, &self.data_dir) {
            return bad(e);
        }
        if self.sms.provider == "webhook" && self.webhook.url.trim().is_empty() {
            return bad("webhook.url is required when sms.provider = \"webhook\"".into());
        }
        // An empty secret signs with an empty key: anyone could forge Patron's messages.
        if !self.webhook.url.trim().is_empty() && self.webhook.secret.trim().is_empty() {
            return bad(
                "webhook.secret is required when webhook.url is set: receivers check each message's \
                 signature with it"
                    .into(),
            );
        }
        // The frequency caps count the messages of the last 7 days.
        if self.outbox.retention_days < 8 {
            return bad(
                "outbox.retention_days must be at least 8 (the frequency caps look back 7 days)"
                    .into(),
            );
        }
        for role in &self.security.totp_required_roles {
            if patron_domain::Role::parse(role).is_none() {
                return bad(format!(
                    "security.totp_required_roles: unknown role '{role}'"
                ));
            }
        }
        if self.security.session_idle_minutes < 1 || self.security.session_absolute_hours < 1 {
            return bad("security: session lifetimes must be at least 1".into());
        }
        for block in &self.server.trusted_proxies {
            if let Err(e) = crate::security::Cidr::parse(block) {
                return bad(format!("server.trusted_proxies: {e}"));
            }
        }
        let s = &self.security;
        let at_least_one = [
            (
                "login_max_failures_per_account",
                s.login_max_failures_per_account,
            ),
            ("login_max_failures_per_ip", s.login_max_failures_per_ip),
            ("login_window_minutes", s.login_window_minutes),
            ("login_lock_minutes", s.login_lock_minutes),
            ("login_lock_max_minutes", s.login_lock_max_minutes),
            ("login_ceiling_per_account", s.login_ceiling_per_account),
            (
                "login_ceiling_delay_max_seconds",
                s.login_ceiling_delay_max_seconds,
            ),
            ("login_known_address_days", s.login_known_address_days),
            ("totp_max_failures", s.totp_max_failures),
            ("totp_lock_minutes", s.totp_lock_minutes),
            (
                "password_hash_concurrency",
                s.password_hash_concurrency as i64,
            ),
        ];
        if let Some((key, _)) = at_least_one.iter().find(|(_, v)| *v < 1) {
            return bad(format!("security.{key} must be at least 1"));
        }
        // Day counts become durations subtracted from now: bounded so they cannot overflow.
        for (section, key, days, least) in [
            ("security", "token_valid_days", s.token_valid_days, 1),
            (
                "security",
                "login_known_address_days",
                s.login_known_address_days,
                1,
            ),
            ("outbox", "retention_days", self.outbox.retention_days, 8),
        ] {
            if !(least..=3660).contains(&days) {
                return bad(format!("{section}.{key} must be between {least} and 3660"));
            }
        }
        if patron_domain::customers::check_archive_format(&self.customers.archive_format).is_err() {
            return bad(
                "customers.archive_format must contain {seq} (e.g. \"{store}-{seq:06}\")".into(),
            );
        }
        if self.customers.reverify_days < 1 || self.customers.export_reason_rows < 0 {
            return bad("customers: reverify_days must be at least 1".into());
        }
        if self.customers.api_reads_per_minute < 1 {
            return bad("customers.api_reads_per_minute must be at least 1".into());
        }
        let i = &self.imports;
        if i.max_rows < 1 || i.max_columns < 1 || i.max_cells < 1 || i.max_unpacked_mib < 1 {
            return bad("imports: every limit must be at least 1".into());
        }
        self.cookie_secure().map(|_| ())
    }

    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("patron.db").display()
            )
        } else {
            self.database.url.clone()
        }
    }

    pub fn public_url(&self) -> String {
        if self.server.public_url.is_empty() {
            format!("http://{}", self.server.listen)
        } else {
            self.server.public_url.trim_end_matches('/').to_string()
        }
    }

    /// Whether session cookies carry `Secure` (and the `__Host-` name). Only plain HTTP on a
    /// loopback address may go without; plain HTTP anywhere else is refused at start-up,
    /// because passwords and session cookies would cross the shop's network in clear.
    pub fn cookie_secure(&self) -> Result<bool, ConfigError> {
        let url = self.public_url();
        if url.starts_with("https://") {
            return Ok(true);
        }
        let Some(rest) = url.strip_prefix("http://") else {
            return Err(ConfigError::Invalid(format!(
                "server.public_url '{url}' must start with https:// or http://"
            )));
        };
        let host = rest.split('/').next().unwrap_or("");
        let host = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
        let loopback = host == "localhost"
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if loopback {
            Ok(false)
        } else {
            Err(ConfigError::Invalid(format!(
                "plain HTTP at {url} would send passwords in clear over the network: put Patron behind an \
                 HTTPS reverse proxy and set server.public_url = \"https://…\", or listen on 127.0.0.1"
            )))
        }
    }

    /// The proxies whose `X-Forwarded-For` is believed (checked by `validate`).
    pub fn trusted_proxies(&self) -> Vec<crate::security::Cidr> {
        self.server
            .trusted_proxies
            .iter()
            .filter_map(|b| crate::security::Cidr::parse(b).ok())
            .collect()
    }

    /// The language of what is sent to customers and staff (`server.language`).
    pub fn language(&self) -> crate::i18n::Lang {
        crate::i18n::Lang::parse(&self.server.language).unwrap_or_default()
    }

    pub fn timezone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.server.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

fn merge(base: &mut toml::Value, overlay: toml::Value) {
    match (base, overlay) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) if existing.is_table() && v.is_table() => merge(existing, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn set(root: &mut toml::Value, path: &[&str], v: toml::Value) {
    let mut cur = root;
    for key in &path[..path.len() - 1] {
        let Some(next) = cur.get_mut(*key) else {
            return;
        };
        cur = next;
    }
    if let Some(t) = cur.as_table_mut() {
        t.insert(path[path.len() - 1].to_string(), v);
    }
}

/// Variables not meant for the server itself: test harness settings and the log filter.
const ENV_IGNORED_PREFIXES: &[&str] = &["PATRON_TEST_", "PATRON_LOG"];

fn apply_env(root: &mut toml::Value, name: &str, raw: &str) -> Result<(), ConfigError> {
    let Some(key) = name.strip_prefix("PATRON_") else {
        return Ok(());
    };
    if ENV_IGNORED_PREFIXES.iter().any(|p| name.starts_with(p)) {
        return Ok(());
    }
    let key = key.to_ascii_lowercase();
    let err = |message: String| ConfigError::Env {
        name: name.to_string(),
        message,
    };
    let path: Vec<String> = if root.get(&key).is_some_and(|v| !v.is_table()) {
        vec![key]
    } else {
        let (section, field) = key
            .split_once('_')
            .ok_or_else(|| err("unknown setting".into()))?;
        match root.get(section).and_then(|s| s.get(field)) {
            Some(_) => vec![section.to_string(), field.to_string()],
            None => return Err(err("unknown setting".into())),
        }
    };
    let refs: Vec<&str> = path.iter().map(String::as_str).collect();
    let mut cur = &*root;
    for k in &refs {
        cur = cur.get(*k).ok_or_else(|| err("unknown setting".into()))?;
    }
    let value = match cur {
        toml::Value::Integer(_) => toml::Value::Integer(
            raw.trim()
                .parse()
                .map_err(|_| err("expected a whole number".into()))?,
        ),
        toml::Value::Boolean(_) => toml::Value::Boolean(
            raw.trim()
                .parse()
                .map_err(|_| err("expected true or false".into()))?,
        ),
        toml::Value::Array(_) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_string()))
                .collect(),
        ),
        _ => toml::Value::String(raw.to_string()),
    };
    set(root, &refs, value);
    Ok(())
}

#[cfg(test)]
mod tests;
