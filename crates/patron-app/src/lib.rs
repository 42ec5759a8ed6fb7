//! Patron's use cases: everything between an HTTP request (or a CLI command) and the storage
//! layer. Background jobs, the message outbox and its channels, configuration and backups
//! live here too, so the web layer only translates.

pub mod audit;
pub mod backup;
pub mod care;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod customers;
pub mod datadir;
mod day_limits;
pub mod demo;
mod demo_customers;
mod demo_orders;
mod demo_sales;
mod demo_service;
mod demo_surveys;
mod error;
pub mod jobs;
pub mod keyring;
pub mod messages;
pub mod outbox;
pub mod password_pool;
pub mod reseal;
mod roles;
pub mod sales;
pub mod security;
pub mod service;
pub mod staff;
pub mod stores;

pub use clock::{ManualClock, SystemClock};
pub use config::Config;
pub use error::AppError;

use patron_domain::Clock;
use patron_store::Db;
use std::sync::Arc;

/// Everything a use case needs, shared by the web server, the CLI and the background jobs.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    /// Distinguishes this server process in job claims and outbox leases.
    pub instance: String,
    /// Keys for personal data at rest (from the data folder).
    pub keys: Arc<keyring::Keyring>,
    /// Idempotency keys being written by this process (see `sales::InFlight`).
    pub in_flight: sales::KeysInFlight,
    /// Group commit for checkouts (see `sales::SaleWriter`).
    pub sale_writer: sales::SaleWriter,
    /// The loyalty programme as last read (see `sales::loyalty::ProgrammeCache`).
    pub programme: sales::loyalty::ProgrammeCache,
    /// Customer reads over the API per token or session (`customers.api_reads_per_minute`).
    pub customer_reads: security::rate_limit::RateLimiter,
    /// Where passwords are hashed and checked, off the async workers (see `password_pool`).
    pub passwords: password_pool::PasswordPool,
    /// Outbox figures for `/metrics`, kept by the dispatcher.
    pub outbox_gauge: outbox::OutboxGauge,
}

impl App {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        config: Arc<Config>,
        keys: Arc<keyring::Keyring>,
    ) -> Self {
        install_tls();
        let instance = format!("{}-{}", std::process::id(), credentials::random_token(4));
        let passwords = password_pool::PasswordPool::new(
            config.security.password_hash_concurrency,
            std::time::Duration::from_secs(config.security.password_hash_wait_seconds),
        );
        Self {
            db,
            clock,
            config,
            instance,
            keys,
            in_flight: Default::default(),
            sale_writer: Default::default(),
            programme: Default::default(),
            customer_reads: Default::default(),
            passwords,
            outbox_gauge: Default::default(),
        }
    }

    /// Loads the key file. A missing one is created only while the database holds nothing
    /// sealed with keys (a new installation); otherwise starting would lose data, so it fails.
    /// Then binds the audit log to the file's audit key (see `audit::bind_key`).
    pub async fn open_keyring(config: &Config, db: &Db) -> Result<keyring::Keyring, AppError> {
        let keys = match keyring::Keyring::load(&config.data_dir) {
            Ok(k) => k,
            Err(keyring::KeyError::Missing(path)) if db.count_sealed_values().await? == 0 => {
                tracing::info!(path, "creating the key file for personal data");
                keyring::Keyring::create(&config.data_dir)
                    .map_err(|e| AppError::Unsupported(e.to_string()))?
            }
            Err(e) => return Err(AppError::Unsupported(e.to_string())),
        };
        audit::bind_key(db, &keys).await?;
        Ok(keys)
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}

/// Makes ring the process's TLS crypto provider (as sqlx and lettre already use), which the
/// HTTP client for SMS and WeChat needs before its first request. Idempotent.
pub fn install_tls() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only when a provider is already installed, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
