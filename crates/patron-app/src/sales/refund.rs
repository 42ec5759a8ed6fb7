//! Refunds from a till or the till page, whole or by line, with the same idempotency rules as
//! checkout. The loyalty programme's refund policy decides what happens when the points a
//! refund takes back were already spent.

use super::{Answer, Counter, InFlight, Retry, calendar, till_store};
use crate::membership::loyalty::RefundPolicy;
use crate::{App, AppError};
use patron_domain::FieldError;
use patron_store::sales::Idempotency;
use patron_store::sales::refund::{NewRefund, RefundLine, RefundOutcome, RefundRefused};
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct RefundRequest {
    pub store_code: String,
    pub receipt_no: String,
    pub refund_no: String,
    /// `(line_no, quantity)`; empty refunds everything not yet refunded.
    pub lines: Vec<(i64, i64)>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RefundReceipt {
    pub refund_id: i64,
    pub sale_id: i64,
    pub refund_no: String,
    /// Money to give back, fen.
    pub paid_fen: i64,
    pub points_clawed: i64,
    pub points_restored: i64,
    /// Points taken back that the member had already spent: the balance went negative by
    /// this much (shown to staff; later earnings pay it back).
    pub points_short: i64,
    pub balance: i64,
    pub tier: Option<String>,
    /// The tier before, when the refund undid the upgrade the sale had brought.
    pub downgraded_from: Option<String>,
}

impl App {
    pub async fn refund(
        &self,
        counter: &Counter,
        retry: &Retry,
        req: RefundRequest,
    ) -> Result<Answer, AppError> {
        if let Some(stored) = self.db.stored_answer(&retry.scope, &retry.key).await? {
            return retry.replay(stored);
        }
        let _guard = InFlight::enter(self, retry)?;
        let (store_id, tz) = till_store(counter, &req.store_code)?;
        let refund_no = req.refund_no.trim().to_string();
        if refund_no.is_empty() || refund_no.chars().count() > 64 {
            return Err(FieldError::new("refund_no", "error.checkout.receipt_no").into());
        }
        if req.reason.chars().count() > 200 {
            return Err(FieldError::new("reason", "error.refund.reason").into());
        }
        let programme = self.loyalty().await?;
        let now = self.now();
        let refund = NewRefund {
            store_id,
            refund_no: refund_no.clone(),
            receipt_no: req.receipt_no.trim().to_string(),
            lines: req
                .lines
                .iter()
                .map(|(line_no, quantity)| RefundLine {
                    line_no: *line_no,
                    quantity: *quantity,
                })
                .collect(),
            reason: req.reason.trim().to_string(),
            till_name: counter.name.clone(),
            actor_name: counter.name.clone(),
            recorded_at: now,
            calendar: calendar(now, &tz),
            allow_negative: programme.settings.refund_when_spent == RefundPolicy::Negative,
        };
        let respond = |o: &RefundOutcome| {
            let receipt = RefundReceipt {
                refund_id: o.refund_id,
                sale_id: o.sale_id,
                refund_no: refund_no.clone(),
                paid_fen: o.paid_fen,
                points_clawed: o.points_clawed,
                points_restored: o.points_restored,
                points_short: o.points_short,
                balance: o.balance,
                tier: o.tier_after.clone(),
                downgraded_from: o
                    .tier_before
                    .clone()
                    .filter(|b| Some(b) != o.tier_after.as_ref()),
            };
            (201, serde_json::to_string(&receipt).unwrap_or_default())
        };
        let idem = Idempotency {
            scope: &retry.scope,
            key: &retry.key,
            request_hash: &retry.hash,
            respond: &respond,
        };
        let field = |f, k| Err(AppError::Field(FieldError::new(f, k)));
        match self
            .db
            .record_refund(&refund, &programme.ladder, Some(&idem))
            .await
        {
            Ok((_, body)) => Ok(Answer {
                status: 201,
                body: body.unwrap_or_default(),
                replayed: false,
            }),
            Err(RefundRefused::Replayed(stored)) => retry.replay(stored),
            Err(RefundRefused::SaleNotFound) => field("receipt_no", "error.refund.no_sale"),
            Err(RefundRefused::RefundNoTaken) => {
                match self.db.stored_answer(&retry.scope, &retry.key).await? {
                    Some(stored) => retry.replay(stored),
                    None => Err(AppError::Conflict {
                        key: "error.refund.number_taken",
                        field: Some("refund_no"),
                    }),
                }
            }
            Err(RefundRefused::UnknownLine(_)) => field("lines", "error.refund.unknown_line"),
            Err(RefundRefused::TooMany(_)) => field("lines", "error.refund.too_many"),
            Err(RefundRefused::NothingLeft) => field("lines", "error.refund.nothing_left"),
            Err(RefundRefused::PointsSpent { .. }) => field("points", "error.refund.points_spent"),
            Err(RefundRefused::Raced) => Err(AppError::Conflict {
                key: "error.refund.raced",
                field: None,
            }),
            Err(RefundRefused::Store(e)) => Err(e.into()),
        }
    }
}
