//! Online backup. SQLite: `VACUUM INTO` writes a consistent, compacted copy while the server
//! keeps running. PostgreSQL: backups belong to `pg_dump`; we say so instead of pretending.

use crate::{Backend, Db, StoreError};
use std::path::Path;

/// What an operator should run instead, for PostgreSQL.
pub const PG_DUMP_ADVICE: &str = "PostgreSQL backups are made with pg_dump, not by Patron: \
    `pg_dump --format=custom --file=patron.dump \"$PATRON_DATABASE_URL\"`; restore with \
    `pg_restore --clean --if-exists --dbname=\"$PATRON_DATABASE_URL\" patron.dump`.";

impl Db {
    /// Writes a consistent copy of the database to `dest` (which must not exist).
    pub async fn backup_to(&self, dest: &Path) -> Result<(), StoreError> {
        if self.backend() == Backend::Postgres {
            return Err(StoreError::Unsupported(PG_DUMP_ADVICE.to_string()));
        }
        if dest.exists() {
            return Err(StoreError::Unsupported(format!(
                "{} already exists",
                dest.display()
            )));
        }
        let path = dest
            .to_str()
            .ok_or_else(|| StoreError::Unsupported("backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

impl Db {
    /// Whether this (SQLite) database is intact and carries Patron's migrations: the check a
    /// backup file must pass before it may replace the live database.
    pub async fn is_intact_patron_db(&self) -> Result<bool, StoreError> {
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(self.pool())
            .await?;
        let migrated: Result<i64, sqlx::Error> =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
                .fetch_one(self.pool())
                .await;
        Ok(integrity == "ok" && migrated.is_ok_and(|n| n > 0))
    }
}
