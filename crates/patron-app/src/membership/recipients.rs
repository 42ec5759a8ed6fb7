//! Turning a pasted list (phones or archive numbers, one a line) into customers, for issuing
//! coupons or adjusting points in bulk. Every line must name exactly one customer in scope;
//! problems are reported by line.

use crate::security::Principal;
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

/// One way to choose who a bulk action reaches, as a select offers it: a saved customer view
/// of the staff member (`value` is its id) or a segment they may see (`segment:<id>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientChoice {
    pub value: String,
    pub name: String,
    pub segment: bool,
}

impl App {
    /// The staff member's saved views, then the segments visible to them.
    pub async fn recipient_choices(&self, p: &Principal) -> Result<Vec<RecipientChoice>, AppError> {
        let (views, segments) =
            tokio::try_join!(self.customer_views(p.staff_id), self.segments(p.scope()))?;
        let views = views.into_iter().map(|v| RecipientChoice {
            value: v.id.to_string(),
            name: v.name,
            segment: false,
        });
        let segments = segments.into_iter().map(|s| RecipientChoice {
            value: format!("segment:{}", s.id),
            name: s.name,
            segment: true,
        });
        Ok(views.chain(segments).collect())
    }

    /// The customers a bulk action reaches, within the staff member's scope: a pasted list,
    /// or the choice (`recipient_choices`) named by `choice`; not both.
    pub async fn bulk_recipients(
        &self,
        p: &Principal,
        pasted: &str,
        choice: &str,
    ) -> Result<Vec<i64>, AppError> {
        let chosen = choice.trim();
        if chosen.is_empty() {
            return self.resolve_recipients(p.scope(), pasted).await;
        }
        if !pasted.trim().is_empty() {
            return Err(FieldError::new("customers", "error.recipients.both").into());
        }
        let unknown = || AppError::from(FieldError::new("view_id", "error.recipients.view"));
        if let Some(segment) = chosen.strip_prefix("segment:") {
            let id = segment.trim().parse::<i64>().map_err(|_| unknown())?;
            return self.segment_recipients(p.scope(), id).await;
        }
        let id = chosen.parse::<i64>().map_err(|_| unknown())?;
        let view = self
            .customer_views(p.staff_id)
            .await?
            .into_iter()
            .find(|v| v.id == id)
            .ok_or(AppError::NotFound)?;
        let q: crate::customers::CustomerQuery =
            serde_urlencoded::from_str(&view.query).map_err(|_| unknown())?;
        self.customers_matching(p.scope(), &q).await
    }
}
