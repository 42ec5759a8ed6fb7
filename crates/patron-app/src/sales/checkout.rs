//! Checkout: a till's sale, priced, its points computed by the loyalty programme and written
//! in one transaction with the till's idempotency record. A retry of the same request gets
//! the first answer; the same key with another body, or while the first is still being
//! written, is refused.

use super::preparation::{Earning, prepare_sale};
use super::writer::Pending;
use super::{Answer, Counter, InFlight, Retry, calendar, member_id, till_store};
use crate::{App, AppError};
use jiff::Timestamp;
use patron_domain::FieldError;
use patron_domain::sales::{LineInput, check_request, redeemed_value};
use patron_store::sales::{NewSale, SaleOutcome, SaleRefused};
use serde::Serialize;
use std::sync::Arc;

/// Who the sale is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberRef {
    Anonymous,
    Phone(String),
    /// A member card number as typed or scanned.
    Card(String),
    Customer(i64),
}

#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    pub store_code: String,
    pub member: MemberRef,
    pub receipt_no: String,
    pub lines: Vec<LineInput>,
    pub points_to_redeem: i64,
    /// Coupon codes to apply, in order.
    pub coupons: Vec<String>,
    /// When the sale happened, for a till catching up after an outage; now when absent.
    pub sold_at: Option<Timestamp>,
}

/// The answer a till gets (and gets again on a retry).
#[derive(Debug, Clone, Serialize)]
pub struct CheckoutReceipt {
    pub sale_id: i64,
    pub receipt_no: String,
    pub customer_id: Option<i64>,
    /// Quantity × unit price over all lines, fen.
    pub list_fen: i64,
    /// Line discounts and coupons, fen.
    pub discount_fen: i64,
    /// The coupons used and what each took off.
    pub coupons: Vec<CouponUsed>,
    /// Paid with points, fen.
    pub points_value_fen: i64,
    /// To pay in money, fen.
    pub paid_fen: i64,
    pub points_earned: i64,
    pub points_redeemed: i64,
    /// When the points earned can be used (UTC, RFC 3339); later than the sale with a
    /// pending window.
    pub points_usable_from: Option<String>,
    pub points_expire_at: Option<String>,
    pub balance: i64,
    pub tier: Option<String>,
    pub tier_name: Option<String>,
    /// The tier the member had before, when this sale upgraded them.
    pub upgraded_from: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CouponUsed {
    pub code: String,
    pub discount_fen: i64,
}

impl App {
    /// Records a sale rung up at `counter` (a till, or the till page). `retry` carries the
    /// Idempotency-Key.
    pub async fn checkout(
        &self,
        counter: &Counter,
        retry: &Retry,
        req: CheckoutRequest,
    ) -> Result<Answer, AppError> {
        if let Some(stored) = self.db.stored_answer(&retry.scope, &retry.key).await? {
            return retry.replay(stored);
        }
        let _guard = InFlight::enter(self, retry)?;
        let (store_id, tz) = till_store(counter, &req.store_code)?;
        let now = self.now();
        let sold_at = req.sold_at.unwrap_or(now);
        let receipt_no = check_request(&req.receipt_no, &req.lines, sold_at, now)?.to_string();
        let mut lines_in = req.lines;
        // A till may send only SKUs: names and categories come from the product list.
        for l in lines_in
            .iter_mut()
            .filter(|l| l.name.is_empty() || l.category.is_empty())
        {
            if let Some(p) = self.db.product(l.sku.trim()).await? {
                if l.name.is_empty() {
                    l.name = p.name;
                }
                if l.category.is_empty() {
                    l.category = p.category_code;
                }
            }
        }
        let customer_id = member_id(self, &req.member).await?;
        let programme = self.loyalty().await?;
        if req.points_to_redeem > 0 || !req.coupons.is_empty() {
            self.member_present(counter, &req.member, customer_id, &programme)
                .await?;
        }
        let tier_code = match customer_id {
            Some(id) => match self.db.membership_state(id, &programme.ladder).await? {
                (_, Some(_)) => {
                    return Err(FieldError::new("member", "error.member.ended").into());
                }
                (tier, None) => Some(tier),
            },
            None => None,
        };
        let points = req.points_to_redeem;
        let points_value_fen = redeemed_value(
            points,
            customer_id.is_some(),
            programme.settings.redeem_points_per_yuan,
        )?;
        // A backdated sale keeps `sold_at` for its reporting day, but what it may use and
        // earn is judged now: a coupon that expired since, or a bonus day or pending window
        // already past, must not apply to a sale recorded today.
        let (lines_in, coupons) = self
            .apply_coupons(customer_id, &req.coupons, lines_in, now)
            .await?;
        let ladder = &programme.ladder;
        let multiplier = tier_code
            .as_deref()
            .map_or(1000, |c| ladder.at(ladder.rank(c)).points_permille);
        let prepared = prepare_sale(
            &programme,
            lines_in,
            points_value_fen,
            Earning {
                multiplier,
                at: now,
                tz: &tz,
                lot: customer_id.is_some(),
            },
        )?;
        let cal = calendar(sold_at, &tz);
        let sale = NewSale {
            store_id,
            receipt_no: receipt_no.clone(),
            customer_id,
            till_name: counter.name.clone(),
            staff_id: counter.staff_id,
            sold_at,
            recorded_at: now,
            points_redeemed: points,
            points_value_fen,
            coupons: coupons.clone(),
            earned: prepared.earned,
            eligible_fen: prepared.eligible_fen,
            source: counter.source,
            calendar: cal,
            actor_name: counter.name.clone(),
            lines: prepared.lines,
        };
        let totals = (
            sale.lines
                .iter()
                .map(|l| l.quantity * l.unit_price_fen)
                .sum::<i64>(),
            sale.lines.iter().map(|l| l.discount_fen).sum::<i64>(),
            sale.lines.iter().map(|l| l.paid_fen).sum::<i64>(),
        );
        let earned_lot = sale.earned.clone();
        let ladder = Arc::new(programme.ladder.clone());
        let names = ladder.clone();
        let respond = move |o: &SaleOutcome| {
            let ladder = &names;
            let tier_name = o
                .tier_after
                .as_deref()
                .map(|c| ladder.at(ladder.rank(c)).name.clone());
            let receipt = CheckoutReceipt {
                sale_id: o.sale_id,
                receipt_no: receipt_no.clone(),
                customer_id,
                list_fen: totals.0,
                discount_fen: totals.1,
                coupons: coupons
                    .iter()
                    .map(|(code, discount_fen)| CouponUsed {
                        code: code.clone(),
                        discount_fen: *discount_fen,
                    })
                    .collect(),
                points_value_fen,
                paid_fen: totals.2,
                points_earned: earned_lot.as_ref().map_or(0, |l| l.points),
                points_redeemed: points,
                points_usable_from: earned_lot.as_ref().map(|l| l.usable_from.to_string()),
                points_expire_at: earned_lot
                    .as_ref()
                    .and_then(|l| l.expires_at)
                    .map(|t| t.to_string()),
                balance: o.balance,
                tier: o.tier_after.clone(),
                tier_name,
                upgraded_from: o
                    .tier_before
                    .clone()
                    .filter(|b| Some(b) != o.tier_after.as_ref()),
            };
            (201, serde_json::to_string(&receipt).unwrap_or_default())
        };
        let pending = Pending {
            sale,
            ladder,
            scope: retry.scope.clone(),
            key: retry.key.clone(),
            hash: retry.hash.clone(),
            respond: Box::new(respond),
        };
        match self.sale_writer.write(&self.db, pending).await {
            Ok((_, body)) => Ok(Answer {
                status: 201,
                body: body.unwrap_or_default(),
                replayed: false,
            }),
            Err(SaleRefused::Replayed(stored)) => retry.replay(stored),
            Err(SaleRefused::ReceiptTaken) => {
                // The same request may have been written meanwhile by another server.
                match self.db.stored_answer(&retry.scope, &retry.key).await? {
                    Some(stored) => retry.replay(stored),
                    None => Err(AppError::Conflict {
                        key: "error.checkout.receipt_taken",
                        field: Some("receipt_no"),
                    }),
                }
            }
            Err(SaleRefused::CouponGone(_)) => Err(AppError::Conflict {
                key: "error.coupon.used",
                field: Some("coupons"),
            }),
            Err(SaleRefused::Points(_)) => {
                Err(FieldError::new("points", "error.checkout.not_enough_points").into())
            }
            Err(SaleRefused::Store(e)) => Err(e.into()),
        }
    }
}
