//! Manual points adjustments by staff, single or in bulk, always with a reason. Up to the
//! programme's approval threshold (points × customers) they apply at once; above it they
//! wait for a second person with `points.adjust` in the same scope.

use crate::staff::day_limits::{Counted, Tally};
use crate::{App, AppError, credentials};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_store::Scope;
use patron_store::membership::points::adjust::{
    AdjustBatch, AdjustLot, AdjustRefused, AdjustmentRow, NewAdjustment,
};

/// What became of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjusted {
    pub ids: Vec<i64>,
    /// Applied at once (`true`) or waiting for approval.
    pub applied: bool,
}

/// An adjustment checked and ready to write.
#[derive(Debug, Clone)]
pub(crate) struct PlannedAdjustment {
    name: String,
    adjustments: Vec<NewAdjustment>,
    pub(crate) apply: bool,
    lot: AdjustLot,
    /// What it added to the requester's daily total of points, taken back if not written.
    pub(crate) counted: Option<Counted>,
}

impl PlannedAdjustment {
    pub(crate) fn batch(&self) -> AdjustBatch<'_> {
        AdjustBatch {
            name: &self.name,
            adjustments: &self.adjustments,
            apply: self.apply,
            lot: self.lot,
        }
    }
}

fn refused(e: AdjustRefused) -> AppError {
    match e {
        AdjustRefused::NotEnough { .. } => {
            FieldError::new("points", "error.adjust.not_enough").into()
        }
        AdjustRefused::Decided => AppError::Conflict {
            key: "error.adjust.decided",
            field: None,
        },
        AdjustRefused::OwnRequest => FieldError::new("id", "error.adjust.own_request").into(),
        AdjustRefused::Store(e) => e.into(),
    }
}

impl App {
    async fn adjust_lot(&self) -> Result<AdjustLot, AppError> {
        let programme = self.loyalty().await?;
        Ok(AdjustLot {
            expires_at: programme
                .expiry
                .expires_at(self.now(), &self.config.timezone()),
        })
    }

    pub async fn adjust_points(
        &self,
        actor: &Actor,
        scope: Scope,
        customer_ids: &[i64],
        points: i64,
        reason: &str,
    ) -> Result<Adjusted, AppError> {
        self.adjust_points_as(actor, scope, customer_ids, points, reason, false)
            .await
    }

    /// `adjust_points`, or with `approved` (a second person has approved it elsewhere)
    /// applied whatever the threshold.
    pub(crate) async fn adjust_points_as(
        &self,
        actor: &Actor,
        scope: Scope,
        customer_ids: &[i64],
        points: i64,
        reason: &str,
        approved: bool,
    ) -> Result<Adjusted, AppError> {
        let planned = self
            .plan_adjustment(scope, customer_ids, points, reason, approved, Some(actor))
            .await?;
        let written = self
            .db
            .adjust_points(actor, &planned.batch(), self.now())
            .await;
        if written.is_err() {
            self.uncount(planned.counted).await;
        }
        let ids = written.map_err(refused)?;
        Ok(Adjusted {
            ids,
            applied: planned.apply,
        })
    }

    /// Checks an adjustment (reason, points, customers within `scope`) and decides whether
    /// it applies at once: with `approved`, or within the programme's threshold and, for
    /// points given by `counted_for`, within that staff member's daily total (counted here).
    /// Compensation passes no one: it is counted on the compensation total instead.
    pub(crate) async fn plan_adjustment(
        &self,
        scope: Scope,
        customer_ids: &[i64],
        points: i64,
        reason: &str,
        approved: bool,
        counted_for: Option<&Actor>,
    ) -> Result<PlannedAdjustment, AppError> {
        let reason = reason.trim();
        if reason.chars().count() < 2 || reason.chars().count() > 200 {
            return Err(FieldError::new("reason", "error.adjust.reason").into());
        }
        if points == 0 || points.abs() > 10_000_000 {
            return Err(FieldError::new("points", "error.adjust.points").into());
        }
        if customer_ids.is_empty() || customer_ids.len() > 100_000 {
            return Err(FieldError::new("customers", "error.coupon.customers").into());
        }
        for id in customer_ids {
            self.db.get_customer(scope, *id).await?;
        }
        let settings = &self.loyalty().await?.settings;
        let total = points
            .unsigned_abs()
            .saturating_mul(customer_ids.len() as u64);
        let lot = self.adjust_lot().await?;
        let mut apply = approved || total <= settings.approval_above.unsigned_abs();
        let mut counted = None;
        if let Some(actor) = counted_for.filter(|_| apply && !approved && points > 0) {
            let total = i64::try_from(total).unwrap_or(i64::MAX);
            match self
                .count_for_today(actor, Tally::Points, total, settings.daily_points_per_staff)
                .await?
            {
                Some(c) => counted = c,
                // Past the day's total: it waits for a second person like a large request.
                None => apply = false,
            }
        }
        Ok(PlannedAdjustment {
            name: credentials::random_token(6),
            adjustments: customer_ids
                .iter()
                .map(|id| NewAdjustment {
                    customer_id: *id,
                    points,
                    reason: reason.to_string(),
                })
                .collect(),
            apply,
            lot,
            counted,
        })
    }

    pub async fn decide_adjustment(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        approve: bool,
    ) -> Result<(), AppError> {
        let lot = self.adjust_lot().await?;
        self.db
            .decide_adjustment(actor, scope, id, approve, lot, self.now())
            .await
            .map_err(refused)
    }

    pub async fn pending_adjustments(&self, scope: Scope) -> Result<Vec<AdjustmentRow>, AppError> {
        Ok(self.db.pending_adjustments(scope).await?)
    }
}
