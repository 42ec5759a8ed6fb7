//! Idempotency records for tills: the first answer to each `Idempotency-Key` is stored in the
//! transaction that did the work, so a retry after a lost response gets the same answer and
//! nothing is written twice, even when the server died between commit and reply.

use crate::{Db, StoreError, ms};
use jiff::Timestamp;
use sqlx::AnyConnection;

/// The answer stored for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub request_hash: String,
    pub status_code: u16,
    pub response: String,
}

/// A key to claim with the work, and how to render the answer from the work's outcome.
pub struct Idempotency<'a, T> {
    /// Whose keys these are (`till:7`): two tills may use the same key.
    pub scope: &'a str,
    pub key: &'a str,
    /// Digest of the request body; the same key with another body is refused.
    pub request_hash: &'a str,
    pub respond: &'a (dyn Fn(&T) -> (u16, String) + Send + Sync),
}

impl<T> Idempotency<'_, T> {
    /// Stores the answer for the key in the open transaction. When the key was answered
    /// before, returns the stored answer as the error, and the caller rolls back.
    pub(crate) async fn record<E: From<Stored> + From<sqlx::Error>>(
        &self,
        conn: &mut AnyConnection,
        outcome: &T,
        now: Timestamp,
    ) -> Result<String, E> {
        let (status, body) = (self.respond)(outcome);
        let fresh = sqlx::query(
            "INSERT INTO idempotency_keys (scope, idem_key, request_hash, status_code, response, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, idem_key) DO NOTHING",
        )
        .bind(self.scope)
        .bind(self.key)
        .bind(self.request_hash)
        .bind(i64::from(status))
        .bind(&body)
        .bind(ms(now))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if fresh == 1 {
            return Ok(body);
        }
        let stored = read(conn, self.scope, self.key).await?;
        Err(E::from(stored.unwrap_or(Stored {
            request_hash: String::new(),
            status_code: 0,
            response: String::new(),
        })))
    }
}

pub(super) async fn read(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
) -> Result<Option<Stored>, sqlx::Error> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT request_hash, status_code, response FROM idempotency_keys \
         WHERE scope = $1 AND idem_key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(request_hash, status, response)| Stored {
        request_hash,
        status_code: u16::try_from(status).unwrap_or(0),
        response,
    }))
}

impl Db {
    /// The answer stored for a key, if it was used.
    pub async fn stored_answer(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<Stored>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        Ok(read(&mut conn, scope, key).await?)
    }
}
