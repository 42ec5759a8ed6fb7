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
pub mod demo;
pub mod directory;
mod error;
pub mod i18n;
pub mod jobs;
pub mod keyring;
pub mod membership;
pub mod messages;
pub mod outbox;
pub mod password_pool;
pub mod reports;
pub mod reseal;
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
/// Its parts are private: the layers above ask it for what a page or an answer needs, and
/// never reach the store themselves.
#[derive(Clone)]
pub struct App {
    pub(crate) db: Db,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: Arc<Config>,
    /// Distinguishes this server process in job claims and outbox leases.
    pub(crate) instance: String,
    /// Keys for personal data at rest (from the data folder).
    pub(crate) keys: Arc<keyring::Keyring>,
    /// Idempotency keys being written by this process (see `sales::InFlight`).
    pub(crate) in_flight: sales::KeysInFlight,
    /// Group commit for checkouts (see `sales::SaleWriter`).
    pub(crate) sale_writer: sales::SaleWriter,
    /// The loyalty programme as last read (see `membership::loyalty::ProgrammeCache`).
    pub(crate) programme: membership::loyalty::ProgrammeCache,
    /// Customer reads over the API per token or session (`customers.api_reads_per_minute`).
    pub(crate) customer_reads: security::rate_limit::RateLimiter,
    /// Where passwords are hashed and checked, off the async workers (see `password_pool`).
    pub(crate) passwords: password_pool::PasswordPool,
    /// Outbox figures for `/metrics`, kept by the dispatcher.
    pub(crate) outbox_gauge: outbox::OutboxGauge,
    /// Stores and staff as lists show them (see `directory`).
    pub(crate) directory: directory::DirectoryCache,
    /// Member activity for the customer indicators (see `reports::ActivityCache`).
    pub(crate) activity: std::sync::Arc<reports::ActivityCache>,
}

impl App {
    /// Opens Patron on the database and data folder `config` names: creates the folder,
    /// connects, applies the migrations, loads the keys, seeds the role table and finishes
    /// the start-up data passes. What the server, the CLI and the tests all start from.
    pub async fn open(config: Config, clock: Arc<dyn Clock>) -> Result<App, AppError> {
        datadir::ensure(&config.data_dir).map_err(|e| AppError::Unsupported(e.to_string()))?;
        let mut opts = patron_store::ConnectOptions::new(config.database_url());
        opts.synchronous = config.database.synchronous;
        opts.max_connections = config.database.max_connections;
        // Both failures are the operator's to fix; their text says what was tried.
        let db = Db::connect(&opts)
            .await
            .map_err(|e| AppError::Unsupported(e.to_string()))?;
        db.migrate()
            .await
            .map_err(|e| AppError::Unsupported(format!("applying database migrations: {e}")))?;
        let keys = App::open_keyring(&config, &db).await?;
        let app = App::new(db, clock, Arc::new(config), Arc::new(keys));
        app.db.seed_roles(app.now()).await?;
        app.seal_clear_messages().await?;
        // Profiles written before they were sealed (a data migration: finds nothing once done).
        let sealed = app.seal_clear_profiles().await?;
        if sealed > 0 {
            tracing::info!(sealed, "sealed customer profiles stored in clear");
        }
        Ok(app)
    }

    /// Builds the application on an open database (tests and benchmarks that prepare their
    /// own database use this; everything else calls [`App::open`]).
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
            directory: Default::default(),
            activity: Default::default(),
        }
    }

    /// The configuration this application runs with.
    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// The keys for personal data at rest (key rotation in the CLI).
    pub fn keys(&self) -> &Arc<keyring::Keyring> {
        &self.keys
    }

    /// Whether the database answers (`/readyz`, `/metrics`).
    pub async fn database_ready(&self) -> bool {
        self.db.ping().await.is_ok()
    }

    /// Closes the database's connections (the CLI, before it exits).
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// The store itself, for tests and benchmarks that prepare or inspect data below the
    /// application. Not compiled into the server: `.ci/run` checks the workspace without it.
    #[cfg(feature = "test-support")]
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The clock, for tests that move it.
    #[cfg(feature = "test-support")]
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// This process's instance name, for tests of claims and leases.
    #[cfg(feature = "test-support")]
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The password pool, for tests of its limits.
    #[cfg(feature = "test-support")]
    pub fn passwords(&self) -> &password_pool::PasswordPool {
        &self.passwords
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
