//! Storage errors. Constraint violations are named by constraint (the names are identical in
//! both migration trees), so the layers above can map them to field errors.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A store-bound scope asked to change what belongs to the whole chain (stores, mall
    /// rewards, coupon templates).
    #[error("outside the caller's scope")]
    OutOfScope,
    /// A unique or foreign-key constraint refused the write; `constraint` is e.g.
    /// `uq_stores_code`.
    #[error("conflict with existing data ({constraint})")]
    Conflict { constraint: String },
    #[error("{0}")]
    Connect(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    /// From the SQLite connection that bulk writers open of their own.
    #[error("database error: {0}")]
    Embedded(rusqlite::Error),
}

impl From<patron_domain::scope::OutOfScope> for StoreError {
    fn from(_: patron_domain::scope::OutOfScope) -> Self {
        StoreError::OutOfScope
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        match &err {
            rusqlite::Error::SqliteFailure(e, message)
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                StoreError::Conflict {
                    constraint: sqlite_constraint_name(message.as_deref().unwrap_or("")),
                }
            }
            _ => StoreError::Embedded(err),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::RowNotFound = err {
            return StoreError::NotFound;
        }
        if let sqlx::Error::Database(db) = &err {
            use sqlx::error::ErrorKind;
            if matches!(
                db.kind(),
                ErrorKind::UniqueViolation | ErrorKind::ForeignKeyViolation
            ) {
                let constraint = db
                    .constraint()
                    .map(str::to_string)
                    .unwrap_or_else(|| sqlite_constraint_name(db.message()));
                return StoreError::Conflict { constraint };
            }
        }
        StoreError::Database(err)
    }
}

/// SQLite reports `UNIQUE constraint failed: staff.username` rather than the constraint's
/// name; our naming rule (`uq_<table>_<columns>`) lets us rebuild it.
fn sqlite_constraint_name(message: &str) -> String {
    match message.split_once("UNIQUE constraint failed: ") {
        Some((_, cols)) => {
            let mut table = "";
            let mut names = Vec::new();
            for part in cols.split(',') {
                if let Some((t, c)) = part.trim().split_once('.') {
                    table = t;
                    names.push(c);
                }
            }
            format!("uq_{table}_{}", names.join("_"))
        }
        None if message.contains("FOREIGN KEY") => "fk_unknown".to_string(),
        None => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_messages_map_to_constraint_names() {
        assert_eq!(
            super::sqlite_constraint_name("UNIQUE constraint failed: staff.username"),
            "uq_staff_username"
        );
        assert_eq!(
            super::sqlite_constraint_name(
                "UNIQUE constraint failed: job_runs.job, job_runs.period_key"
            ),
            "uq_job_runs_job_period_key"
        );
    }
}
