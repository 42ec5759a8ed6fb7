//! Member cards: issued (or replaced, for a lost card) with the next number of the
//! programme's format, renewed, and looked up at the till with the check digit verified
//! first, so a mistyped number is refused before it can find someone else.

use crate::{App, AppError};
use jiff::{Span, Timestamp};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::membership::{CardFormat, card};
use patron_store::Scope;
pub use patron_store::membership::cards::CardRow;

impl App {
    /// The end of validity for a card issued or renewed now (or extended from `from`):
    /// the programme's months later, at the end of that local day; `None` when cards do not
    /// expire.
    async fn card_validity(&self, from: Timestamp) -> Result<Option<Timestamp>, AppError> {
        let months = self.loyalty().await?.settings.card_valid_months;
        if months == 0 {
            return Ok(None);
        }
        let tz = self.config.timezone();
        let last = tz
            .to_datetime(from)
            .date()
            .checked_add(Span::new().months(i64::from(months)))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let end = last
            .tomorrow()
            .and_then(|d| d.to_zoned_datetime(tz))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(Some(end.timestamp()))
    }

    /// Issues a card to a member, replacing an active one. Returns it.
    pub async fn issue_card(
        &self,
        actor: &Actor,
        scope: Scope,
        customer_id: i64,
    ) -> Result<CardRow, AppError> {
        self.db.get_customer(scope, customer_id).await?;
        self.ensure_member(customer_id).await?;
        let format = CardFormat::parse(&self.loyalty().await?.settings.card_format)?;
        let seq = self.db.allocate_ids("member_cards", 1).await?;
        let number = u64::try_from(seq)
            .ok()
            .and_then(|s| format.number(s))
            .ok_or(FieldError::new("card_format", "error.card.exhausted"))?;
        let now = self.now();
        let valid_until = self.card_validity(now).await?;
        self.db
            .issue_card(actor, customer_id, &number, valid_until, now)
            .await?;
        self.db
            .active_card(customer_id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Extends the active card by the programme's months, from its end or from today,
    /// whichever is later.
    pub async fn renew_card(
        &self,
        actor: &Actor,
        scope: Scope,
        customer_id: i64,
    ) -> Result<CardRow, AppError> {
        self.db.get_customer(scope, customer_id).await?;
        let card = self
            .db
            .active_card(customer_id)
            .await?
            .ok_or(FieldError::new("card", "error.card.none"))?;
        let now = self.now();
        let from = card.valid_until.filter(|t| *t > now).unwrap_or(now);
        let until = self.card_validity(from).await?;
        self.db.renew_card(actor, customer_id, until, now).await?;
        self.db
            .active_card(customer_id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// The member a typed card number belongs to: check digit first, then an active card
    /// within its validity.
    pub async fn card_member(&self, typed: &str) -> Result<i64, AppError> {
        let refuse = |k| Err(AppError::Field(FieldError::new("member", k)));
        if !card::check(typed) {
            return refuse("error.card.check_digit");
        }
        let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
        let Some(c) = self.db.card(&digits).await? else {
            return refuse("error.checkout.member_unknown");
        };
        if c.status != patron_domain::membership::CardStatus::Active {
            return refuse("error.card.inactive");
        }
        if c.valid_until.is_some_and(|v| v <= self.now()) {
            return refuse("error.card.expired");
        }
        Ok(c.customer_id)
    }

    /// The till's lookup by card: the member, audited as a lookup, with the mobile masked.
    pub async fn lookup_member_by_card(
        &self,
        actor: &Actor,
        typed: &str,
    ) -> Result<crate::customers::Lookup, AppError> {
        let id = self.card_member(typed).await?;
        let c = self.load_customer(Scope::Chain, id).await?;
        self.db
            .audit_customer_read(actor, "customer.lookup", Some(id), "card", self.now())
            .await?;
        Ok(crate::customers::Lookup {
            id,
            masked_mobile: c.masked_mobile(),
            name: c.name,
            archive_no: c.archive_no,
        })
    }
}
