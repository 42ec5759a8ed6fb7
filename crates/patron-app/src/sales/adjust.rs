//! Manual points adjustments by staff, single or in bulk, always with a reason. Up to the
//! programme's approval threshold (points × customers) they apply at once; above it they
//! wait for a second person with `points.adjust` in the same scope.

use crate::{App, AppError, credentials};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_store::Scope;
use patron_store::points::adjust::{
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
            .plan_adjustment(scope, customer_ids, points, reason, approved)
            .await?;
        let ids = self
            .db
            .adjust_points(actor, &planned.batch(), self.now())
            .await
            .map_err(refused)?;
        Ok(Adjusted {
            ids,
            applied: planned.apply,
        })
    }

    /// Checks an adjustment (reason, points, customers within `scope`) and decides whether
    /// it applies at once: with `approved`, or within the programme's threshold.
    pub(crate) async fn plan_adjustment(
        &self,
        scope: Scope,
        customer_ids: &[i64],
        points: i64,
        reason: &str,
        approved: bool,
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
        let threshold = self.loyalty().await?.settings.approval_above;
        let total = points
            .unsigned_abs()
            .saturating_mul(customer_ids.len() as u64);
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
            apply: approved || total <= threshold.unsigned_abs(),
            lot: self.adjust_lot().await?,
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
