//! Turning a pasted list (phones or archive numbers, one a line) into customers, for issuing
//! coupons or adjusting points in bulk. Every line must name exactly one customer in scope;
//! problems are reported by line.

use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::phone::Phone;
use patron_store::Scope;

impl App {
    pub async fn resolve_recipients(&self, scope: Scope, text: &str) -> Result<Vec<i64>, AppError> {
        let mut ids = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let found = match Phone::parse(line) {
                Ok(p) => self
                    .db
                    .customers_by_phone(scope, &self.keys.blind_index("phone", p.e164()))
                    .await?
                    .into_iter()
                    .map(|c| c.id)
                    .collect(),
                Err(_) => self.db.customer_ids_by_archive_no(scope, line).await?,
            };
            match found.as_slice() {
                [one] => {
                    if !ids.contains(one) {
                        ids.push(*one);
                    }
                }
                [] => return Err(FieldError::new("customers", "error.recipients.unknown").into()),
                _ => return Err(FieldError::new("customers", "error.recipients.ambiguous").into()),
            }
        }
        if ids.is_empty() {
            return Err(FieldError::new("customers", "error.recipients.empty").into());
        }
        Ok(ids)
    }
}

/// The most customers one bulk action may reach.
pub const MAX_RECIPIENTS: usize = 100_000;

impl App {
    /// Every customer a list query matches within `scope` (a saved view used as a segment),
    /// in id order. Refused when none match or more than `MAX_RECIPIENTS` do.
    pub async fn customers_matching(
        &self,
        scope: Scope,
        q: &crate::customers::CustomerQuery,
    ) -> Result<Vec<i64>, AppError> {
        let Some(ids) = self.customers_of_query(scope, q).await? else {
            return Err(FieldError::new("customers", "error.coupon.customers").into());
        };
        if ids.is_empty() {
            return Err(FieldError::new("customers", "error.recipients.empty").into());
        }
        Ok(ids)
    }
}
