//! The warranty register: each sold item that carries a warranty, registered from its sale
//! (or by hand for items sold before Patron); found by serial number or the customer's
//! phone; a reminder before the warranty ends; claims (repair, replacement, refund) filed
//! as tickets and linked in the same transaction.

use super::tickets::TicketForm;
use crate::{App, AppError};
use jiff::Timestamp;
use jiff::civil::Date;
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::phone::Phone;
use patron_store::Scope;
use patron_store::service::warranties::NewWarranty;
pub use patron_store::service::warranties::{ClaimRow, WarrantyRow};

/// The built-in reminder template (migration 0016).
pub const REMINDER_TEMPLATE: &str = "保修到期提醒";

/// An item as registered.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct WarrantyForm {
    /// The customer; 0 with a sale: the sale's customer.
    pub customer_id: i64,
    pub sale_id: Option<i64>,
    pub order_id: Option<i64>,
    pub sku: String,
    /// Blank with a sale: the sale line's name.
    pub product: String,
    pub serial: String,
    /// `2026-11-23`; blank: today in the store's time zone.
    pub starts_on: String,
    /// Length of the warranty in months (1-120).
    pub months: u32,
    pub terms: String,
}

/// A claim as typed: what the customer asks for and what is wrong.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ClaimForm {
    /// `repair`, `replacement` or `refund`.
    pub kind: String,
    pub description: String,
}

const CLAIM_KINDS: [&str; 3] = ["repair", "replacement", "refund"];

/// The day a warranty of `months` starting `start` ends (its last covered day).
pub fn warranty_end(start: Date, months: u32) -> Result<Date, FieldError> {
    let bad = || FieldError::new("months", "error.warranty.months");
    if !(1..=120).contains(&months) {
        return Err(bad());
    }
    // From the day before, so a month from 31 January ends on the last day of February.
    start
        .yesterday()
        .and_then(|d| d.checked_add(jiff::Span::new().months(i64::from(months))))
        .map_err(|_| bad())
}

impl App {
    /// Registers an item under warranty.
    pub async fn register_warranty(
        &self,
        actor: &Actor,
        scope: Scope,
        form: &WarrantyForm,
    ) -> Result<i64, AppError> {
        let sku = form.sku.trim();
        if !(1..=40).contains(&sku.chars().count()) {
            return Err(FieldError::new("sku", "error.warranty.sku").into());
        }
        let mut customer_id = form.customer_id;
        let mut product = form.product.trim().to_string();
        if let Some(sale) = form.sale_id {
            let (owner, lines) = self
                .db
                .sale_for_order(sale)
                .await
                .map_err(|_| FieldError::new("sale_id", "error.order.sale"))?;
            let owner = owner.ok_or(FieldError::new("sale_id", "error.order.sale"))?;
            if customer_id == 0 {
                customer_id = owner;
            }
            let line = lines.iter().find(|l| l.sku == sku);
            match line {
                Some(l) if owner == customer_id => {
                    if product.is_empty() {
                        product = l.name.clone();
                    }
                }
                _ => return Err(FieldError::new("sale_id", "error.warranty.sale").into()),
            }
        }
        if !(1..=80).contains(&product.chars().count()) {
            return Err(FieldError::new("product", "error.warranty.product").into());
        }
        let customer = self
            .db
            .get_customer(scope, customer_id)
            .await
            .map_err(|_| FieldError::new("customer_id", "error.ticket.customer"))?;
        if let Some(order) = form.order_id {
            let o = self
                .db
                .order(scope, order)
                .await
                .map_err(|_| FieldError::new("order_id", "error.warranty.order"))?;
            if o.customer_id != customer.id {
                return Err(FieldError::new("order_id", "error.warranty.order").into());
            }
        }
        let serial = form.serial.trim();
        if serial.chars().count() > 60 {
            return Err(FieldError::new("serial", "error.warranty.serial").into());
        }
        let start = match form.starts_on.trim() {
            "" => self.store_today(customer.store_id).await?,
            s => s
                .parse()
                .map_err(|_| FieldError::new("starts_on", "error.warranty.date"))?,
        };
        let end = warranty_end(start, form.months)?;
        let terms = form.terms.trim();
        if terms.chars().count() > 500 {
            return Err(FieldError::new("terms", "error.order.text").into());
        }
        let w = NewWarranty {
            customer_id: customer.id,
            store_id: customer.store_id,
            sale_id: form.sale_id,
            order_id: form.order_id,
            sku,
            product: &product,
            serial: (!serial.is_empty()).then_some(serial),
            starts_on: &start.to_string(),
            ends_on: &end.to_string(),
            terms,
            created_by: actor.id,
        };
        Ok(self.db.register_warranty(&w, self.now()).await?)
    }

    /// Warranties found by serial number, or by the customer's phone when the text reads
    /// as one; finding by phone is audited like the till's lookup.
    pub async fn find_warranties(
        &self,
        actor: &Actor,
        scope: Scope,
        text: &str,
    ) -> Result<Vec<WarrantyRow>, AppError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        if let Ok(phone) = Phone::parse(text) {
            let index = self.keys.blind_index("phone", phone.e164());
            let mut out = Vec::new();
            for c in self.db.customers_by_phone(scope, &index).await? {
                self.db
                    .audit_customer_read(actor, "warranty.lookup", Some(c.id), "", self.now())
                    .await?;
                out.extend(
                    self.db
                        .find_warranties(scope, None, Some(c.id), 200)
                        .await?,
                );
            }
            if !out.is_empty() {
                return Ok(out);
            }
        }
        Ok(self
            .db
            .find_warranties(scope, Some(text), None, 200)
            .await?)
    }

    pub async fn customer_warranties(
        &self,
        scope: Scope,
        customer: i64,
    ) -> Result<Vec<WarrantyRow>, AppError> {
        Ok(self
            .db
            .find_warranties(scope, None, Some(customer), 200)
            .await?)
    }

    pub async fn warranty(
        &self,
        scope: Scope,
        id: i64,
    ) -> Result<(WarrantyRow, Vec<ClaimRow>), AppError> {
        let w = self.db.warranty(scope, id).await?;
        let claims = self.db.warranty_claims(id).await?;
        Ok((w, claims))
    }

    /// Files a claim under a warranty still running: a product-quality complaint about the
    /// item (by the desk's assignment rule), linked to the warranty. With `request_key` (the
    /// API's `Idempotency-Key`) a retry returns the ticket filed first. The ticket's id, and
    /// whether it is new.
    pub async fn claim_warranty(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        form: &ClaimForm,
        request_key: Option<&str>,
    ) -> Result<(i64, bool), AppError> {
        let w = self.db.warranty(scope, id).await?;
        let kind = form.kind.trim();
        if !CLAIM_KINDS.contains(&kind) {
            return Err(FieldError::new("kind", "error.warranty.claim_kind").into());
        }
        let today = self.store_today(w.store_id).await?;
        if today.to_string() > w.ends_on {
            return Err(FieldError::new("kind", "error.warranty.expired").into());
        }
        let rules = self.service_rules().await?;
        let category = if rules.categories.iter().any(|c| c == "product_quality") {
            "product_quality"
        } else {
            rules.categories.first().map_or("other", String::as_str)
        };
        let ticket = TicketForm {
            customer_id: w.customer_id,
            channel: "in_store".into(),
            ticket_type: "complaint".into(),
            category: category.into(),
            severity: "normal".into(),
            // A ticket's subject is one text staff edit and mail on: the configured language.
            subject: self.config.language().format(
                "notice.warranty_claim",
                &[
                    ("kind", claim_text(self.config.language(), kind)),
                    ("product", &w.product),
                ],
            ),
            description: form.description.clone(),
            sale_id: w.sale_id,
            item_ref: w.serial.clone().unwrap_or_else(|| w.sku.clone()),
            assignee_id: None,
        };
        self.file_ticket_with_claim(actor, scope, &ticket, request_key, (w.id, kind))
            .await
    }

    /// Reminds customers of warranties ending within the desk's notice days (once per
    /// warranty): how many reminders went out.
    pub async fn send_warranty_notices(&self, now: Timestamp) -> Result<u64, AppError> {
        let rules = self.service_rules().await?;
        if rules.warranty_notice_days == 0 {
            return Ok(0);
        }
        let tz = self.config.timezone();
        let today = tz.to_datetime(now).date();
        let until = today
            .checked_add(jiff::Span::new().days(i64::from(rules.warranty_notice_days)))
            .map_err(|e| AppError::Internal(format!("warranty notice: {e}")))?;
        let mut sent = 0;
        for w in self
            .db
            .warranties_ending(&today.to_string(), &until.to_string())
            .await?
        {
            let customer = self.load_customer(Scope::Chain, w.customer_id).await?;
            let mut vars = crate::outbox::template::Vars::new();
            vars.insert("product", w.product.clone());
            vars.insert("expiry", w.ends_on.clone());
            let composed = self
                .compose_if_kept(&customer, REMINDER_TEMPLATE, &vars)
                .await?;
            let message = composed.as_ref().map(|m| {
                m.outbox_message(
                    self.keys.as_ref(),
                    "service",
                    w.customer_id,
                    w.store_id,
                    None,
                )
            });
            if self
                .db
                .send_warranty_notice(w.id, message.as_ref(), now)
                .await?
                && message.is_some()
            {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Today in a store's time zone.
    pub async fn store_today(&self, store: i64) -> Result<Date, AppError> {
        let tz = self.store_timezone(store).await?;
        Ok(tz.to_datetime(self.now()).date())
    }
}

fn claim_text(lang: crate::i18n::Lang, kind: &str) -> &'static str {
    lang.t(match kind {
        "replacement" => "warranty.claim.replacement",
        "refund" => "warranty.claim.refund",
        _ => "warranty.claim.repair",
    })
}

/// What registering an item did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    New(i64),
    /// The same item was registered before for the same customer (and sale): a retry.
    Again(i64),
}

impl App {
    /// Registers a warranty once (`register_warranty_once`) and reads it back with its claims,
    /// as the API answers.
    pub async fn warranty_registered(
        &self,
        actor: &Actor,
        scope: Scope,
        form: &WarrantyForm,
    ) -> Result<(Registered, WarrantyRow, Vec<ClaimRow>), AppError> {
        let registered = self.register_warranty_once(actor, scope, form).await?;
        let id = match registered {
            Registered::New(id) | Registered::Again(id) => id,
        };
        let (w, claims) = self.warranty(scope, id).await?;
        Ok((registered, w, claims))
    }

    /// Registers an item, treating the same item again for the same customer (and sale) as
    /// a client's retry that answers with the first registration; anyone else's registration
    /// of the serial number stays a conflict.
    pub async fn register_warranty_once(
        &self,
        actor: &Actor,
        scope: Scope,
        form: &WarrantyForm,
    ) -> Result<Registered, AppError> {
        match self.register_warranty(actor, scope, form).await {
            Ok(id) => Ok(Registered::New(id)),
            Err(e @ AppError::Conflict { .. }) => {
                let first = self
                    .db
                    .find_warranties(scope, Some(form.serial.trim()), None, 10)
                    .await?
                    .into_iter()
                    .find(|w| {
                        w.sku == form.sku.trim()
                            && (form.customer_id == 0 || w.customer_id == form.customer_id)
                    });
                match first {
                    Some(w) if form.sale_id.is_none() || w.sale_id == form.sale_id => {
                        Ok(Registered::Again(w.id))
                    }
                    _ => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warranties_end_the_day_before_their_anniversary() {
        let d = |s: &str| s.parse::<Date>().expect("a date");
        assert_eq!(
            warranty_end(d("2026-11-23"), 24).expect("end"),
            d("2028-11-22")
        );
        assert_eq!(
            warranty_end(d("2026-01-31"), 1).expect("end"),
            d("2026-02-28")
        );
        assert_eq!(
            warranty_end(d("2024-03-01"), 12).expect("end"),
            d("2025-02-28")
        );
        assert_eq!(
            warranty_end(d("2026-01-01"), 0).unwrap_err().key,
            "error.warranty.months"
        );
        assert!(warranty_end(d("2026-01-01"), 121).is_err());
    }
}
