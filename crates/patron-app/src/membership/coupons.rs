//! Coupons as staff and tills use them: templates, issuing to customers (one, a list, or as a
//! reward), and applying codes at checkout with the template's conditions.

use crate::staff::day_limits::{Counted, Tally};
use crate::{App, AppError, credentials};
use jiff::{SignedDuration, Timestamp};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::membership::coupon::{
    CouponRule, CouponValue, Holder, code_from, normalise_code,
};
use patron_domain::sales::LineInput;
use patron_store::Scope;
pub use patron_store::membership::coupons::TemplateRow;
pub use patron_store::membership::coupons::UsageRow;
use patron_store::membership::coupons::{CouponIssue, CouponRow};

/// A new template as typed in the console or sent by a script.
#[derive(Debug, Clone, Default)]
pub struct TemplateInput {
    pub name: String,
    /// Fen off; or give `off_permille`.
    pub amount_fen: Option<i64>,
    pub off_permille: Option<i64>,
    pub cap_fen: Option<i64>,
    pub min_spend_fen: i64,
    pub category: String,
    pub first_purchase: bool,
    /// Usable only in the member's birthday month.
    pub birthday_month: bool,
    pub valid_days: i64,
}

/// A fresh coupon code from 96 random bits.
pub fn new_code() -> String {
    let mut random = [0u8; 12];
    random.copy_from_slice(&credentials::random_bytes(12));
    code_from(random)
}

/// The rule a template (or a coupon row, which carries its template) stands for.
pub fn rule_of(
    amount_fen: Option<i64>,
    off_permille: Option<i64>,
    cap_fen: Option<i64>,
    min_spend_fen: i64,
    category: &str,
    first_purchase: bool,
    birthday_month: bool,
) -> CouponRule {
    CouponRule {
        value: match (amount_fen, off_permille) {
            (Some(fen), _) => CouponValue::Amount(fen),
            (None, off) => CouponValue::Percent {
                off_permille: off.unwrap_or(0),
                cap_fen,
            },
        },
        min_spend_fen,
        category: (!category.is_empty()).then(|| category.to_string()),
        first_purchase,
        birthday_month,
    }
}

fn row_rule(c: &CouponRow) -> CouponRule {
    rule_of(
        c.amount_fen,
        c.off_permille,
        c.cap_fen,
        c.min_spend_fen,
        &c.category,
        c.first_purchase,
        c.birthday_month,
    )
}

/// Coupons checked and ready to issue.
#[derive(Debug, Clone)]
pub(crate) struct PlannedCoupons {
    template_id: i64,
    issued: Vec<(i64, String)>,
    reason: String,
    valid: (Timestamp, Timestamp),
    /// What it added to the issuer's daily total of face value, taken back if not written.
    pub(crate) counted: Option<Counted>,
}

impl PlannedCoupons {
    pub(crate) fn issue(&self) -> CouponIssue<'_> {
        CouponIssue {
            template_id: self.template_id,
            issued: &self.issued,
            reason: &self.reason,
            valid: self.valid,
        }
    }

    /// The codes, in the order of the customers.
    pub(crate) fn codes(&self) -> Vec<String> {
        self.issued.iter().map(|(_, code)| code.clone()).collect()
    }
}

impl App {
    /// Creates a template and reads it back, as the API answers.
    pub async fn coupon_template_created(
        &self,
        actor: &Actor,
        scope: Scope,
        input: &TemplateInput,
    ) -> Result<TemplateRow, AppError> {
        let id = self.create_coupon_template(actor, scope, input).await?;
        self.coupon_template(id).await
    }

    /// Templates belong to the whole chain: a store-bound `scope` may issue them, not make them.
    pub async fn create_coupon_template(
        &self,
        actor: &Actor,
        scope: Scope,
        input: &TemplateInput,
    ) -> Result<i64, AppError> {
        scope.chain_wide()?;
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(FieldError::new("name", "error.coupon.name").into());
        }
        if input.amount_fen.is_some() == input.off_permille.is_some() {
            return Err(FieldError::new("amount", "error.coupon.one_value").into());
        }
        if !(1..=3650).contains(&input.valid_days) {
            return Err(FieldError::new("valid_days", "error.coupon.valid_days").into());
        }
        let category = input.category.trim();
        rule_of(
            input.amount_fen,
            input.off_permille,
            input.cap_fen,
            input.min_spend_fen,
            category,
            input.first_purchase,
            input.birthday_month,
        )
        .check()?;
        let row = TemplateRow {
            id: 0,
            name: name.to_string(),
            amount_fen: input.amount_fen,
            off_permille: input.off_permille,
            cap_fen: input.cap_fen.filter(|_| input.off_permille.is_some()),
            min_spend_fen: input.min_spend_fen,
            category: category.to_string(),
            first_purchase: input.first_purchase,
            birthday_month: input.birthday_month,
            valid_days: input.valid_days,
            status: patron_domain::membership::coupon::TemplateStatus::Active,
        };
        Ok(self
            .db
            .create_coupon_template(scope, actor, &row, self.now())
            .await?)
    }

    /// Issues one coupon of a template to each customer, valid from now for the template's
    /// days. Every customer must exist within the caller's scope. Returns the codes, in the
    /// order of `customers`.
    pub async fn issue_coupons(
        &self,
        actor: &Actor,
        scope: Scope,
        template_id: i64,
        customers: &[i64],
        reason: &str,
    ) -> Result<Vec<String>, AppError> {
        let planned = self
            .plan_coupons(scope, template_id, customers, reason, Some(actor))
            .await?;
        if let Err(e) = self
            .db
            .issue_coupons(actor, &planned.issue(), self.now())
            .await
        {
            self.uncount(planned.counted).await;
            return Err(e.into());
        }
        Ok(planned.codes())
    }

    /// Checks an issue (an active template, a reason, customers within `scope`) and draws
    /// the codes. The face value issued by `counted_for` is counted on their daily total,
    /// and refused past it (issuing has no approval flow). Compensation passes no one: it
    /// is counted on the compensation total instead.
    pub(crate) async fn plan_coupons(
        &self,
        scope: Scope,
        template_id: i64,
        customers: &[i64],
        reason: &str,
        counted_for: Option<&Actor>,
    ) -> Result<PlannedCoupons, AppError> {
        let t = self.db.coupon_template(template_id).await?;
        if t.status != patron_domain::membership::coupon::TemplateStatus::Active {
            return Err(FieldError::new("template", "error.coupon.retired").into());
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 100 {
            return Err(FieldError::new("reason", "error.coupon.reason").into());
        }
        if customers.is_empty() || customers.len() > 100_000 {
            return Err(FieldError::new("customers", "error.coupon.customers").into());
        }
        for id in customers {
            self.db.get_customer(scope, *id).await?;
        }
        let mut counted = None;
        if let Some(actor) = counted_for {
            // A percentage without a cap has no face value to count.
            let face = t
                .amount_fen
                .or(t.cap_fen)
                .unwrap_or(0)
                .saturating_mul(customers.len() as i64);
            let limit = self.loyalty().await?.settings.daily_coupon_fen_per_staff;
            match self
                .count_for_today(actor, Tally::CouponFen, face, limit)
                .await?
            {
                Some(c) => counted = c,
                None => {
                    return Err(FieldError::new("customers", "error.coupon.daily_limit").into());
                }
            }
        }
        let now = self.now();
        Ok(PlannedCoupons {
            template_id,
            issued: customers.iter().map(|id| (*id, new_code())).collect(),
            reason: reason.to_string(),
            valid: (now, now + SignedDuration::from_hours(24 * t.valid_days)),
            counted,
        })
    }

    /// Applies coupon codes to a member's lines: each code must be the member's, unused and
    /// valid at `at`, and meet its template's conditions on what the lines still cost after
    /// the coupons before it. Returns the lines with the coupons' shares added to their
    /// discounts, and each code with what it took off.
    pub async fn apply_coupons(
        &self,
        customer_id: Option<i64>,
        codes: &[String],
        mut lines: Vec<LineInput>,
        at: Timestamp,
    ) -> Result<(Vec<LineInput>, Vec<(String, i64)>), AppError> {
        let refuse = |k| Err(AppError::Field(FieldError::new("coupons", k)));
        if codes.is_empty() {
            return Ok((lines, Vec::new()));
        }
        let Some(customer_id) = customer_id else {
            return refuse("error.coupon.needs_member");
        };
        let mut seen = std::collections::HashSet::new();
        let first_purchase = self
            .db
            .customer_stats(customer_id, 0)
            .await?
            .is_none_or(|s| s.purchase_count == 0);
        // The birthday is sealed; it is opened only when a code asks for it.
        let mut birthday_month: Option<Option<bool>> = None;
        let mut used = Vec::new();
        for typed in codes {
            let code = normalise_code(typed);
            if !seen.insert(code.clone()) {
                return refuse("error.coupon.twice");
            }
            let Some(c) = self.db.coupon(&code).await? else {
                return refuse("error.coupon.unknown");
            };
            if c.customer_id != customer_id {
                return refuse("error.coupon.unknown");
            }
            if c.status != patron_domain::membership::coupon::CouponStatus::Issued {
                return refuse("error.coupon.used");
            }
            if at < c.valid_from || at >= c.valid_until {
                return refuse("error.coupon.expired");
            }
            let nets: Vec<(&str, i64)> = lines
                .iter()
                .map(|l| {
                    (
                        l.category.as_str(),
                        l.quantity * l.unit_price_fen - l.discount_fen,
                    )
                })
                .collect();
            let rule = row_rule(&c);
            if rule.birthday_month && birthday_month.is_none() {
                birthday_month = Some(self.in_birthday_month(customer_id, at).await?);
            }
            let holder = Holder {
                first_purchase,
                birthday_month: birthday_month.flatten(),
            };
            let shares = rule.discount(&nets, holder)?;
            for (l, share) in lines.iter_mut().zip(&shares) {
                l.discount_fen += share;
            }
            used.push((code, shares.iter().sum()));
        }
        Ok((lines, used))
    }

    /// Whether `at`, in the store's zone, falls in the month of the customer's solar
    /// birthday; `None` when no solar birthday is on file.
    async fn in_birthday_month(
        &self,
        customer_id: i64,
        at: Timestamp,
    ) -> Result<Option<bool>, AppError> {
        let sealed = self.db.sealed_birthday(customer_id).await?;
        let birthday =
            crate::customers::sealing::solar_birthday(&self.keys, customer_id, sealed.as_deref())?;
        let month = self.config.timezone().to_datetime(at).month();
        Ok(birthday.map(|b| b.month() == month))
    }

    /// A member's coupons usable now.
    pub async fn usable_coupons(&self, customer_id: i64) -> Result<Vec<CouponRow>, AppError> {
        Ok(self.db.usable_coupons(customer_id, self.now()).await?)
    }
}

/// Coupon templates and their use, as the console and the API read them.
impl App {
    pub async fn coupon_templates(&self) -> Result<Vec<TemplateRow>, AppError> {
        Ok(self.db.coupon_templates().await?)
    }

    /// The templates that can be issued now, as (id, name): what a reward, a tier's birthday
    /// gift or a ticket's compensation may name.
    pub async fn active_coupon_templates(&self) -> Result<Vec<(i64, String)>, AppError> {
        Ok(self
            .coupon_templates()
            .await?
            .into_iter()
            .filter(|t| t.status == patron_domain::membership::coupon::TemplateStatus::Active)
            .map(|t| (t.id, t.name))
            .collect())
    }

    pub async fn coupon_template(&self, id: i64) -> Result<TemplateRow, AppError> {
        Ok(self.db.coupon_template(id).await?)
    }

    /// Issued, used and open coupons per template, within the caller's scope.
    pub async fn coupon_usage(
        &self,
        scope: Scope,
    ) -> Result<Vec<patron_store::membership::coupons::UsageRow>, AppError> {
        Ok(self.db.coupon_usage(scope, self.now()).await?)
    }
}

/// The console's coupon page: every template with its use in the viewer's scope, and the
/// bulk-recipient choices of the issue form.
#[derive(Debug, Clone)]
pub struct CouponsPage {
    pub templates: Vec<(
        TemplateRow,
        Option<patron_store::membership::coupons::UsageRow>,
    )>,
    pub choices: Vec<crate::membership::recipients::RecipientChoice>,
}

impl App {
    pub async fn coupons_page(
        &self,
        p: &crate::security::Principal,
    ) -> Result<CouponsPage, AppError> {
        let (usage, templates, choices) = tokio::try_join!(
            self.coupon_usage(p.scope()),
            self.coupon_templates(),
            self.recipient_choices(p)
        )?;
        let templates = templates
            .into_iter()
            .map(|t| {
                let u = usage.iter().find(|u| u.template_id == t.id).cloned();
                (t, u)
            })
            .collect();
        Ok(CouponsPage { templates, choices })
    }
}
