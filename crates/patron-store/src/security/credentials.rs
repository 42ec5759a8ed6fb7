//! Personal API tokens (scripts, BI tools) and till API keys (bound to one store). Both are
//! shown once at creation and stored only as hashes; revoking sets `revoked_at`. Personal
//! tokens also expire, and die with their owner's password or account (`revoke_tokens_of`).

use crate::audited::found;
use crate::decode::{Code, Millis, OptMillis};
use crate::{Db, Scope, StoreError, ms};
use jiff::Timestamp;
use patron_domain::Role;
use patron_domain::audit::{Actor, AuditEvent};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiTokenRow {
    pub id: i64,
    pub staff_id: i64,
    pub username: String,
    pub name: String,
    pub prefix: String,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "Millis")]
    pub expires_at: Timestamp,
    #[sqlx(try_from = "OptMillis")]
    pub last_used_at: Option<Timestamp>,
    #[sqlx(try_from = "OptMillis")]
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: i64,
    pub store_id: i64,
    pub store_code: String,
    pub name: String,
    pub prefix: String,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    #[sqlx(try_from = "OptMillis")]
    pub last_used_at: Option<Timestamp>,
    #[sqlx(try_from = "OptMillis")]
    pub revoked_at: Option<Timestamp>,
}

/// The account behind a valid personal token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenPrincipal {
    pub token_id: i64,
    pub staff_id: i64,
    pub username: String,
    #[sqlx(try_from = "Code")]
    pub role: Role,
    pub store_id: Option<i64>,
    #[sqlx(try_from = "OptMillis")]
    pub last_used_at: Option<Timestamp>,
}

/// The store behind a valid till key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyPrincipal {
    pub key_id: i64,
    pub key_name: String,
    pub store_id: i64,
    pub store_code: String,
    pub store_timezone: String,
    #[sqlx(try_from = "OptMillis")]
    pub last_used_at: Option<Timestamp>,
}

/// `last_used_at` is for people deciding which keys to revoke: minute precision is plenty,
/// and it spares every API call (a till's checkout above all) a write.
const LAST_USED_PRECISION_MS: i64 = 60_000;

fn last_used_is_stale(last_used_at: Option<Timestamp>, now: Timestamp) -> bool {
    last_used_at.is_none_or(|t| ms(now) - ms(t) >= LAST_USED_PRECISION_MS)
}

/// Revokes every live personal token of an account, inside the caller's transaction: a new
/// password or a disabled account must not leave a script holding the old access.
pub(crate) async fn revoke_tokens_of(
    conn: &mut sqlx::AnyConnection,
    staff_id: i64,
    now: Timestamp,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE staff_id = $2 AND revoked_at IS NULL",
    )
    .bind(ms(now))
    .bind(staff_id)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

impl Db {
    #[allow(clippy::too_many_arguments)]
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        staff_id: i64,
        name: &str,
        hash: &str,
        prefix: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (staff_id, name, token_hash, prefix, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(staff_id)
        .bind(name)
        .bind(hash)
        .bind(prefix)
        .bind(ms(now))
        .bind(ms(expires_at))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit(&AuditEvent::ok("token.create", "api_token", id))
            .await?;
        Ok(id)
    }

    /// Tokens of one account (`Some(staff_id)`) or of every account in scope (`None`).
    pub async fn list_api_tokens(
        &self,
        scope: Scope,
        owner: Option<i64>,
    ) -> Result<Vec<ApiTokenRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT t.id, t.staff_id, s.username, t.name, t.prefix, t.created_at, t.expires_at, t.last_used_at, t.revoked_at \
             FROM api_tokens t JOIN staff s ON s.id = t.staff_id WHERE ($1 IS NULL OR t.staff_id = $1) \
             AND ($2 IS NULL OR s.store_id = $2) ORDER BY t.id DESC",
        )
        .bind(owner)
        .bind(scope.store_filter())
        .fetch_all(self.pool())
        .await?)
    }

    /// Revokes a token of `owner` (if given) among the accounts in `scope`.
    pub async fn revoke_api_token(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        owner: Option<i64>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let n = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL AND ($3 IS NULL OR staff_id = $3) \
             AND ($4 IS NULL OR staff_id IN (SELECT id FROM staff WHERE store_id = $4))",
        )
        .bind(ms(now))
        .bind(id)
        .bind(owner)
        .bind(scope.store_filter())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        found(n)?;
        tx.commit(&AuditEvent::ok("token.revoke", "api_token", id))
            .await?;
        Ok(())
    }

    /// The principal behind a token hash, if the token is live (not revoked, not expired) and
    /// its account active.
    pub async fn authenticate_token(
        &self,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<TokenPrincipal>, StoreError> {
        let p: Option<TokenPrincipal> = sqlx::query_as(
            "SELECT t.id AS token_id, s.id AS staff_id, s.username, s.role, s.store_id, t.last_used_at FROM api_tokens t \
             JOIN staff s ON s.id = t.staff_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND s.status = 'active'",
        )
        .bind(hash)
        .bind(ms(now))
        .fetch_optional(self.pool())
        .await?;
        if let Some(p) = p
            .as_ref()
            .filter(|p| last_used_is_stale(p.last_used_at, now))
        {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(ms(now))
                .bind(p.token_id)
                .execute(self.pool())
                .await?;
        }
        Ok(p)
    }

    pub async fn create_api_key(
        &self,
        actor: &Actor,
        store_id: i64,
        name: &str,
        hash: &str,
        prefix: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let created_by = match actor.kind {
            patron_domain::ActorKind::Staff | patron_domain::ActorKind::ApiToken => actor.id,
            _ => None,
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_keys (store_id, name, key_hash, prefix, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(store_id)
        .bind(name)
        .bind(hash)
        .bind(prefix)
        .bind(created_by)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit(&AuditEvent::ok("apikey.create", "api_key", id))
            .await?;
        Ok(id)
    }

    pub async fn list_api_keys(&self, scope: Scope) -> Result<Vec<ApiKeyRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT k.id, k.store_id, s.code AS store_code, k.name, k.prefix, k.created_at, k.last_used_at, k.revoked_at \
             FROM api_keys k JOIN stores s ON s.id = k.store_id WHERE ($1 IS NULL OR k.store_id = $1) ORDER BY k.id DESC",
        )
        .bind(scope.store_filter())
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn revoke_api_key(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let n = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL AND ($3 IS NULL OR store_id = $3)",
        )
        .bind(ms(now))
        .bind(id)
        .bind(scope.store_filter())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        found(n)?;
        tx.commit(&AuditEvent::ok("apikey.revoke", "api_key", id))
            .await?;
        Ok(())
    }

    /// The till behind a key hash, if the key is live and its store open.
    pub async fn authenticate_key(
        &self,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<KeyPrincipal>, StoreError> {
        let p: Option<KeyPrincipal> = sqlx::query_as(
            "SELECT k.id AS key_id, k.name AS key_name, s.id AS store_id, s.code AS store_code, s.timezone AS store_timezone, k.last_used_at \
             FROM api_keys k JOIN stores s ON s.id = k.store_id WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND s.status = 'open'",
        )
        .bind(hash)
        .fetch_optional(self.pool())
        .await?;
        if let Some(p) = p
            .as_ref()
            .filter(|p| last_used_is_stale(p.last_used_at, now))
        {
            sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                .bind(ms(now))
                .bind(p.key_id)
                .execute(self.pool())
                .await?;
        }
        Ok(p)
    }
}
