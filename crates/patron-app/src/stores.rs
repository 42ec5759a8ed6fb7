//! Store administration and the credentials that belong to people and tills.

use crate::credentials::{self, token_hash};
use crate::security::Principal;
use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::store::StoreStatus;
use patron_domain::store::{StoreCode, StoreName, TimeZoneName};
use patron_store::Scope;
pub use patron_store::stores::StoreRow;

/// A name people give a token or key ("收银台 1", "Power BI"): 1 to 60 characters.
fn credential_name(input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    let len = s.chars().count();
    if len == 0 || len > 60 || s.chars().any(char::is_control) {
        return Err(FieldError::new("name", "error.credential_name.invalid"));
    }
    Ok(s.to_string())
}

/// A new personal API token: the secret, shown once, and the end of its life.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub secret: String,
    pub expires_at: jiff::Timestamp,
}

impl App {
    /// Every store's name by id (for messages and lists that show names, not codes).
    pub async fn store_names(&self) -> Result<std::collections::BTreeMap<i64, String>, AppError> {
        Ok(self
            .db
            .list_stores(Scope::Chain)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect())
    }

    pub async fn create_store(
        &self,
        by: Option<&Principal>,
        code: &str,
        name: &str,
        timezone: &str,
        request_id: Option<String>,
    ) -> Result<StoreRow, AppError> {
        let code = StoreCode::parse(code)?;
        let name = StoreName::parse(name)?;
        let tz = if timezone.trim().is_empty() {
            TimeZoneName::default_china()
        } else {
            TimeZoneName::parse(timezone)?
        };
        Ok(self
            .db
            .create_store(
                &Self::actor_of(by, request_id),
                by.map_or(Scope::Chain, Principal::scope),
                &code,
                &name,
                &tz,
                self.now(),
            )
            .await?)
    }

    pub async fn update_store(
        &self,
        by: &Principal,
        id: i64,
        name: &str,
        timezone: &str,
        opening_hours: &str,
        request_id: Option<String>,
    ) -> Result<(), AppError> {
        let name = StoreName::parse(name)?;
        let tz = TimeZoneName::parse(timezone)?;
        // Blank restores the default hours; anything else is checked and kept normalised.
        let hours = match opening_hours.trim() {
            "" => None,
            text => Some(patron_domain::service::sla::OpeningHours::parse(text)?.render()),
        };
        self.db
            .update_store(
                &by.actor(request_id),
                by.scope(),
                id,
                &patron_store::stores::StoreEdit {
                    name: &name,
                    tz: &tz,
                    opening_hours: hours.as_deref(),
                },
                self.now(),
            )
            .await?;
        Ok(())
    }

    pub async fn set_store_open(
        &self,
        by: &Principal,
        id: i64,
        open: bool,
        request_id: Option<String>,
    ) -> Result<(), AppError> {
        let status = if open {
            StoreStatus::Open
        } else {
            StoreStatus::Closed
        };
        self.db
            .set_store_status(&by.actor(request_id), by.scope(), id, status, self.now())
            .await?;
        Ok(())
    }

    /// A personal API token for `staff_id`, valid for `security.token_valid_days`; returns the
    /// secret (to show once) and when it expires (to show with it).
    pub async fn create_api_token(
        &self,
        by: Option<&Principal>,
        staff_id: i64,
        name: &str,
        request_id: Option<String>,
    ) -> Result<IssuedToken, AppError> {
        let name = credential_name(name)?;
        let (secret, prefix) = credentials::new_credential("pt");
        let now = self.now();
        let expires_at =
            now + jiff::SignedDuration::from_hours(self.config.security.token_valid_days * 24);
        self.db
            .create_api_token(
                &Self::actor_of(by, request_id),
                staff_id,
                &name,
                &token_hash(&secret),
                &prefix,
                expires_at,
                now,
            )
            .await?;
        Ok(IssuedToken { secret, expires_at })
    }

    /// A till key bound to one store; returns the secret, to show once.
    pub async fn create_api_key(
        &self,
        by: Option<&Principal>,
        store_id: i64,
        name: &str,
        request_id: Option<String>,
    ) -> Result<String, AppError> {
        let name = credential_name(name)?;
        let scope = by.map(Principal::scope).unwrap_or(Scope::Chain);
        let store = self
            .db
            .get_store(scope, store_id)
            .await
            .map_err(|_| FieldError::new("store_id", "error.store.unknown"))?;
        if store.status != StoreStatus::Open {
            return Err(FieldError::new("store_id", "error.store.closed").into());
        }
        let (secret, prefix) = credentials::new_credential("pk");
        self.db
            .create_api_key(
                &Self::actor_of(by, request_id),
                store_id,
                &name,
                &token_hash(&secret),
                &prefix,
                self.now(),
            )
            .await?;
        Ok(secret)
    }
}

impl App {
    /// One store, within the caller's scope.
    pub async fn store(&self, scope: Scope, id: i64) -> Result<StoreRow, AppError> {
        Ok(self.db.get_store(scope, id).await?)
    }

    /// The store with this code (the CLI names stores by code).
    pub async fn store_by_code(&self, code: &StoreCode) -> Result<StoreRow, AppError> {
        Ok(self.db.store_by_code(code).await?)
    }

    /// Personal API tokens, of one owner or of everyone in scope.
    pub async fn api_tokens(
        &self,
        scope: Scope,
        owner: Option<i64>,
    ) -> Result<Vec<patron_store::security::credentials::ApiTokenRow>, AppError> {
        Ok(self.db.list_api_tokens(scope, owner).await?)
    }

    /// Revokes a personal API token (its owner's own, when `owner` is given; audited).
    pub async fn revoke_api_token(
        &self,
        actor: &patron_domain::Actor,
        scope: Scope,
        id: i64,
        owner: Option<i64>,
    ) -> Result<(), AppError> {
        Ok(self
            .db
            .revoke_api_token(actor, scope, id, owner, self.now())
            .await?)
    }
}

/// Till API keys.
impl App {
    pub async fn api_keys(
        &self,
        scope: Scope,
    ) -> Result<Vec<patron_store::security::credentials::ApiKeyRow>, AppError> {
        Ok(self.db.list_api_keys(scope).await?)
    }

    /// Revokes a till's API key (audited).
    pub async fn revoke_api_key(
        &self,
        actor: &patron_domain::Actor,
        scope: Scope,
        id: i64,
    ) -> Result<(), AppError> {
        Ok(self.db.revoke_api_key(actor, scope, id, self.now()).await?)
    }
}
