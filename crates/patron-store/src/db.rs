//! The database handle: one `sqlx::Any` pool plus which backend it talks to. SQLite gets its
//! pragmas on every connection and begins write transactions immediately, so concurrent
//! writers queue on the lock instead of failing half-way with SQLITE_BUSY.

use crate::StoreError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// SQLite's `synchronous` pragma. `Full` survives a power cut at the price of an fsync per
/// commit; `Normal` in WAL mode may lose the last commits but never corrupts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    Full,
    Normal,
}

#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub url: String,
    pub max_connections: u32,
    pub synchronous: Synchronous,
    pub busy_timeout: Duration,
    /// Switch SQLite to WAL on connect. Off when inspecting a backup read-only: switching
    /// would write to it (`VACUUM INTO` copies are single-file, rollback-journal databases).
    pub wal: bool,
    /// Sales a history import writes before it may drop the sales indexes for the rest of
    /// the file (see `sales::bulk::SqliteBulk`).
    pub bulk_unindexed_from: usize,
}

impl ConnectOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 8,
            synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(10),
            wal: true,
            bulk_unindexed_from: crate::sales::bulk::UNINDEXED_FROM,
        }
    }
}

pub use patron_domain::scope::Scope;

pub type WriteTx = Transaction<'static, Any>;

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// The SQLite file, when the database is one, for writers that open a connection of
    /// their own (`sales::bulk`).
    sqlite_file: Option<SqliteFile>,
    /// Bumped after every committed change to the stores or the staff (names, roles, status),
    /// so the application's directory of names knows when its copy is stale.
    directory_version: Arc<AtomicU64>,
}

/// A SQLite database file and the settings its connections are opened with.
#[derive(Debug, Clone)]
pub(crate) struct SqliteFile {
    pub path: std::path::PathBuf,
    /// `FULL` or `NORMAL`.
    pub synchronous: &'static str,
    pub busy_timeout: Duration,
    pub bulk_unindexed_from: usize,
}

/// The file a `sqlite:` URL names; `None` for in-memory databases.
fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| path.into())
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Epoch milliseconds of a timestamp, the form every time is stored in.
pub fn ms(t: jiff::Timestamp) -> i64 {
    t.as_millisecond()
}

impl Db {
    /// How many changes to stores and staff this process has committed (see `Directory` in
    /// patron-app). Another server process's changes are not counted here.
    pub fn directory_version(&self) -> u64 {
        self.directory_version.load(Ordering::Acquire)
    }

    /// Called after a commit that changed a store or a staff member.
    pub(crate) fn directory_changed(&self) {
        self.directory_version.fetch_add(1, Ordering::AcqRel);
    }

    /// Opens the database named by `url` (`sqlite://PATH` or `postgres://…`). Every failure
    /// becomes one line that says what was tried, without echoing a password.
    pub async fn connect(opts: &ConnectOptions) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(&opts.url)?;
        let shown = redact_url(&opts.url);
        let connect_opts = AnyConnectOptions::from_str(&opts.url)
            .map_err(|e| StoreError::Connect(format!("invalid database URL {shown}: {e}")))?;
        let mut pool_opts = AnyPoolOptions::new()
            .max_connections(opts.max_connections)
            .acquire_timeout(Duration::from_secs(15));
        let mut sqlite_file = None;
        if backend == Backend::Sqlite {
            let sync = match opts.synchronous {
                Synchronous::Full => "FULL",
                Synchronous::Normal => "NORMAL",
            };
            let journal = if !opts.wal {
                String::new()
            } else {
                format!("PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; ")
            };
            let pragmas = format!(
                // A 32 MiB page cache per connection (SQLite's default is 2 MiB): the blind
                // indexes are random keys, so large tables touch pages all over their indexes.
                "{journal}PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {}; \
                 PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY;",
                opts.busy_timeout.as_millis()
            );
            sqlite_file = sqlite_path(&opts.url).map(|path| SqliteFile {
                path,
                synchronous: sync,
                busy_timeout: opts.busy_timeout,
                bulk_unindexed_from: opts.bulk_unindexed_from,
            });
            pool_opts = pool_opts.after_connect(move |conn, _meta| {
                let pragmas = pragmas.clone();
                Box::pin(async move {
                    conn.execute(sqlx::AssertSqlSafe(pragmas)).await?;
                    Ok(())
                })
            });
        }
        // One direct attempt first: it fails at once with the real reason (refused, unknown
        // host, bad password), where the pool would retry until its timeout.
        let probe = AnyConnection::connect_with(&connect_opts)
            .await
            .map_err(|e| {
                StoreError::Connect(format!(
                    "cannot open {} database {shown}: {}",
                    backend.as_str(),
                    one_line(&e)
                ))
            })?;
        let _ = probe.close().await;
        let pool = pool_opts.connect_with(connect_opts).await.map_err(|e| {
            StoreError::Connect(format!(
                "cannot open {} database {shown}: {}",
                backend.as_str(),
                one_line(&e)
            ))
        })?;
        Ok(Db {
            pool,
            backend,
            sqlite_file,
            directory_version: Arc::default(),
        })
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => {
                SQLITE_MIGRATIONS.run(&self.pool).await?;
                // A history import that died while writing without the sales indexes
                // (see `SqliteBulk`) left them missing: build them again.
                for (name, on) in crate::sales::bulk::SALES_INDEXES {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "CREATE INDEX IF NOT EXISTS {name} ON {on}"
                    )))
                    .execute(&self.pool)
                    .await?;
                }
            }
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How many write transactions this database runs well side by side: SQLite has one
    /// writer at a time; PostgreSQL locks rows, so a few lanes of batches do not wait on
    /// each other (see patron-app's `SaleWriter`).
    pub fn write_lanes(&self) -> usize {
        match self.backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 4,
        }
    }

    /// Whether Patron's own backups (`VACUUM INTO` a file) apply: they do for the embedded
    /// database; a PostgreSQL server is backed up with its own tools.
    pub fn backs_up_to_files(&self) -> bool {
        self.backend == Backend::Sqlite
    }

    pub(crate) fn sqlite_file(&self) -> Option<&SqliteFile> {
        self.sqlite_file.as_ref()
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a write transaction: `BEGIN IMMEDIATE` on SQLite (take the write lock now),
    /// a plain `BEGIN` on PostgreSQL (row locks are taken by the statements).
    pub async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Picks the statement for this backend where the dialects differ. Every use is a named
    /// place listed in ARCHITECTURE.md (outbox claiming, backup, pragmas, schema inspection).
    pub fn dialect(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self.backend {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        }
    }

    /// Cheap liveness query for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `$from, $from+1, …` for `count` parameters: a numbered list that may follow other
/// parameters in the same statement.
pub(crate) fn numbered(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The parameters of an `IN (…)` list of `count` values, when they are the statement's only
/// parameters: anonymous `?` on SQLite (see `placeholders`), `$1, …` on PostgreSQL.
pub(crate) fn in_list(backend: Backend, count: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; count].join(", "),
        Backend::Postgres => numbered(1, count),
    }
}

/// `rows` groups of `per_row` parameters, each followed by `fixed` SQL. SQLite gets anonymous
/// `?` parameters: sqlx asks SQLite for the name of every parameter, and SQLite finds a
/// named one (`$7`) by walking a list, which made that lookup the largest cost of an import.
pub(crate) fn placeholders(
    conn: &AnyConnection,
    rows: usize,
    per_row: usize,
    fixed: &str,
) -> String {
    use std::fmt::Write as _;
    let anonymous = conn.backend_name() == "SQLite";
    let mut out = String::with_capacity(rows * per_row * 6);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..per_row {
            if c > 0 {
                out.push_str(", ");
            }
            if anonymous {
                out.push('?');
            } else {
                // Writing to a String cannot fail.
                let _ = write!(out, "${}", r * per_row + c + 1);
            }
        }
        out.push_str(fixed);
        out.push(')');
    }
    out
}

fn backend_of(url: &str) -> Result<Backend, StoreError> {
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
    match scheme {
        "sqlite" => Ok(Backend::Sqlite),
        "postgres" | "postgresql" => Ok(Backend::Postgres),
        "" => Err(StoreError::Connect(
            "database URL is empty or has no scheme; use sqlite://PATH or postgres://USER@HOST/DB"
                .into(),
        )),
        other => Err(StoreError::Connect(format!(
            "unsupported database URL scheme '{other}'; use sqlite://PATH or postgres://USER@HOST/DB"
        ))),
    }
}

/// The URL with any password replaced by `***`.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_string()
            };
            format!("{scheme}://{masked}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

fn one_line(e: &sqlx::Error) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_appear_in_messages() {
        assert_eq!(
            redact_url("postgres://patron:s3cret@db.example:5432/patron"),
            "postgres://patron:***@db.example:5432/patron"
        );
        assert_eq!(
            redact_url("sqlite://./patron-data/patron.db"),
            "sqlite://./patron-data/patron.db"
        );
    }

    #[test]
    fn schemes_are_checked_before_connecting() {
        assert!(
            matches!(backend_of("mysql://x"), Err(StoreError::Connect(m)) if m.contains("mysql"))
        );
        assert!(backend_of("").is_err());
        assert_eq!(backend_of("postgresql://x").ok(), Some(Backend::Postgres));
    }
}
