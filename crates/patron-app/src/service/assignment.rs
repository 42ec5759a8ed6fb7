//! Who handles a ticket: the store's after-sales staff (and, by hand, its managers and the
//! chain's admins), picked by the desk's rule when nobody is named.

use super::{Assignment, ServiceRules};
use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::Role;
use patron_domain::staff::StaffStatus;
use patron_store::Scope;

impl App {
    /// Who a ticket of the store can be handed to: its after-sales staff and managers, and
    /// the chain's admins.
    pub async fn ticket_handlers(&self, store_id: i64) -> Result<Vec<i64>, AppError> {
        self.handlers(store_id, true).await
    }

    /// Checks that `staff_id` may handle tickets of `store_id`.
    pub(super) async fn ticket_handler(
        &self,
        store_id: i64,
        staff_id: i64,
    ) -> Result<(), AppError> {
        let pool = self.ticket_handlers(store_id).await?;
        if pool.contains(&staff_id) {
            Ok(())
        } else {
            Err(FieldError::new("assignee_id", "error.ticket.assignee").into())
        }
    }

    /// Active staff who may take the store's tickets: its after-sales staff (and, with
    /// `managers`, its store managers and the chain's admins).
    async fn handlers(&self, store_id: i64, managers: bool) -> Result<Vec<i64>, AppError> {
        let staff = self.db.list_staff(Scope::Chain).await?;
        Ok(staff
            .into_iter()
            .filter(|s| s.status == StaffStatus::Active)
            .filter(|s| {
                let here = s.store_id == Some(store_id);
                (here && s.role == Role::AfterSales)
                    || (managers && here && s.role == Role::StoreManager)
                    || (managers && s.role == Role::Admin)
            })
            .map(|s| s.id)
            .collect())
    }

    /// The handler by the desk's rule; `None` when manual or nobody is there.
    pub(super) async fn pick_handler(
        &self,
        rules: &ServiceRules,
        store_id: i64,
    ) -> Result<Option<i64>, AppError> {
        let mut pool = self.handlers(store_id, false).await?;
        pool.sort_unstable();
        if pool.is_empty() {
            return Ok(None);
        }
        Ok(match rules.assignment {
            Assignment::Manual => None,
            Assignment::LeastBusy => self
                .db
                .open_ticket_counts(&pool)
                .await?
                .first()
                .map(|(id, _)| *id),
            Assignment::RoundRobin => {
                let last = self.db.last_ticket_assignee(store_id).await?;
                let next = last
                    .and_then(|l| pool.iter().find(|id| **id > l))
                    .or(pool.first());
                next.copied()
            }
        })
    }
}
