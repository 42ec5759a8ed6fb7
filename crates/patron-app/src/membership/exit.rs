//! A member leaving the programme, and coming back. The policy, stated to staff on the page:
//! remaining points are forfeited, unused coupons voided, the card cancelled; the customer
//! file and purchases stay. A member who comes back starts at the entry tier with nothing.

use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_store::Scope;
use patron_store::membership::exit::Ended;

impl App {
    pub async fn end_membership(
        &self,
        actor: &Actor,
        scope: Scope,
        customer_id: i64,
        reason: &str,
    ) -> Result<Ended, AppError> {
        self.db.get_customer(scope, customer_id).await?;
        let reason = reason.trim();
        if reason.chars().count() < 2 || reason.chars().count() > 200 {
            return Err(FieldError::new("reason", "error.adjust.reason").into());
        }
        if self.db.membership_ended(customer_id).await?.is_some() {
            return Err(FieldError::new("member", "error.member.ended").into());
        }
        let programme = self.loyalty().await?;
        Ok(self
            .db
            .end_membership(actor, customer_id, reason, &programme.ladder, self.now())
            .await?)
    }

    pub async fn rejoin_membership(
        &self,
        actor: &Actor,
        scope: Scope,
        customer_id: i64,
    ) -> Result<(), AppError> {
        self.db.get_customer(scope, customer_id).await?;
        if !self
            .db
            .rejoin_membership(actor, customer_id, self.now())
            .await?
        {
            return Err(FieldError::new("member", "error.member.not_ended").into());
        }
        Ok(())
    }

    /// Refuses members who left the programme (for checkout and cards).
    pub(crate) async fn ensure_member(&self, customer_id: i64) -> Result<(), AppError> {
        match self.db.membership_ended(customer_id).await? {
            Some(_) => Err(FieldError::new("member", "error.member.ended").into()),
            None => Ok(()),
        }
    }
}
