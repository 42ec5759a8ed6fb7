//! The points ledger as a whole: its consistency check, the liability report (points owed to
//! members and what they are worth), and the console's points page that shows both with the
//! adjustments waiting for approval.

use super::recipients::RecipientChoice;
use crate::security::Principal;
use crate::{App, AppError};
use patron_domain::{Capability, Scope};
use patron_store::membership::points::adjust::AdjustmentRow;
use patron_store::membership::points::report::Liability;

/// What the points page shows to `p`: each part only to those who may see it.
#[derive(Debug, Clone)]
pub struct PointsPage {
    /// Adjustments waiting for approval, and the bulk-recipient choices of the adjustment
    /// form: empty unless `can_adjust`.
    pub pending: Vec<AdjustmentRow>,
    pub choices: Vec<RecipientChoice>,
    pub can_adjust: bool,
    /// The liability report and the redemption rate its values use (points per yuan):
    /// `None` unless the viewer may read reports.
    pub liability: Option<(Liability, i64)>,
}

impl App {
    /// Customers whose points balance disagrees with their ledger entries or lots (`patron
    /// check ledger`); empty when the ledger is consistent.
    pub async fn points_mismatches(
        &self,
    ) -> Result<Vec<patron_store::membership::points::Mismatch>, AppError> {
        Ok(self.db.points_mismatches().await?)
    }

    /// Points outstanding and their value, within the caller's scope.
    pub async fn points_liability(&self, scope: Scope) -> Result<Liability, AppError> {
        Ok(self.db.points_liability(scope, self.now()).await?)
    }

    /// The points page: with `approvals`, the adjustments waiting and the adjustment form's
    /// choices (for those who adjust points); the liability report for those who read reports.
    pub async fn points_page(
        &self,
        p: &Principal,
        approvals: bool,
    ) -> Result<PointsPage, AppError> {
        let can_adjust = approvals && p.can(Capability::PointsAdjust);
        let can_report = p.can(Capability::ReportRead);
        let adjusting = async {
            if !can_adjust {
                return Ok((Vec::new(), Vec::new()));
            }
            tokio::try_join!(
                self.pending_adjustments(p.scope()),
                self.recipient_choices(p)
            )
        };
        let report = async {
            if !can_report {
                return Ok(None);
            }
            let (liability, programme) =
                tokio::try_join!(self.points_liability(p.scope()), self.loyalty())?;
            Ok::<_, AppError>(Some((liability, programme.settings.redeem_points_per_yuan)))
        };
        let ((pending, choices), liability) = tokio::try_join!(adjusting, report)?;
        Ok(PointsPage {
            pending,
            choices,
            can_adjust,
            liability,
        })
    }
}
