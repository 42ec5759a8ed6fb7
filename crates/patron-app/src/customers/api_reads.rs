//! Customer files read over the API: masked (personal fields and the profile's WeChat id,
//! employer and personal custom fields) unless the request asks for whole values with
//! `reveal=true` and a reason, each such request audited with the ids it returned (never the
//! values); pages of at most 100; every read counted against the caller's per-minute limit.

use super::query::{CustomerPage, CustomerQuery};
use super::sealing::Customer;
use crate::security::Principal;
use crate::{App, AppError};
use patron_domain::{Capability, FieldError};

/// The largest page of the customer list (the API refuses more, the console takes at most this).
pub const MAX_PAGE: i64 = 100;

/// What an API read asks for beyond the file: whole values, and why.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RevealRequest {
    pub reveal: bool,
    pub reason: String,
}

impl RevealRequest {
    /// The reason, if whole values were asked for and may be given; masked reads need
    /// neither the capability nor a reason.
    fn check(&self, by: &Principal) -> Result<Option<String>, AppError> {
        if !self.reveal {
            return Ok(None);
        }
        if !by.can(Capability::CustomerPiiReveal) {
            return Err(AppError::Forbidden);
        }
        let reason = self.reason.trim();
        let n = reason.chars().count();
        if !(2..=200).contains(&n) || reason.chars().any(char::is_control) {
            return Err(FieldError::new("reason", "error.reveal.reason").into());
        }
        Ok(Some(reason.to_string()))
    }
}

impl App {
    /// Counts one customer read by this caller; refused past the per-minute limit.
    fn admit_customer_read(&self, by: &Principal) -> Result<(), AppError> {
        let limit = self.config.customers.api_reads_per_minute;
        self.customer_reads
            .admit(by.caller(), limit, self.now().as_millisecond())
            .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })
    }

    /// A page of the list for the API. Returns whether the values are whole.
    pub async fn api_customer_page(
        &self,
        by: &Principal,
        request_id: Option<String>,
        q: &CustomerQuery,
        reveal: &RevealRequest,
    ) -> Result<(CustomerPage, bool), AppError> {
        self.admit_customer_read(by)?;
        if !(0..=MAX_PAGE).contains(&q.per_page) {
            return Err(FieldError::new("per_page", "error.list.per_page").into());
        }
        let reason = reveal.check(by)?;
        let actor = by.actor(request_id);
        let mut page = self.search_customers(&actor, by.scope(), q).await?;
        if reason.is_none() {
            let personal = self.personal_custom_keys().await?;
            for c in &mut page.customers {
                c.profile = c.profile.masked(&personal);
            }
        }
        if let Some(reason) = &reason {
            let ids: Vec<String> = page.customers.iter().map(|c| c.id.to_string()).collect();
            let detail = format!("reason={reason}; ids={}", ids.join(","));
            self.db
                .audit_customer_read(&actor, "customer.reveal_list", None, &detail, self.now())
                .await?;
        }
        Ok((page, reason.is_some()))
    }

    /// One file for the API (its view audited). Returns whether the values are whole.
    pub async fn api_customer(
        &self,
        by: &Principal,
        request_id: Option<String>,
        id: i64,
        reveal: &RevealRequest,
    ) -> Result<(Customer, bool), AppError> {
        self.admit_customer_read(by)?;
        let reason = reveal.check(by)?;
        let actor = by.actor(request_id);
        let mut c = self.view_customer(&actor, by.scope(), id).await?;
        self.profile_for(&mut c, reason.is_some()).await?;
        if let Some(reason) = &reason {
            self.db
                .audit_customer_read(
                    &actor,
                    "customer.reveal",
                    Some(id),
                    &format!("field=all; reason={reason}"),
                    self.now(),
                )
                .await?;
        }
        Ok((c, reason.is_some()))
    }
}
