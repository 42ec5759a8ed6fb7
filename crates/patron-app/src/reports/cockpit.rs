//! The cockpit: what the console's home page shows each role, in one call.
//!
//! - Whoever may read reports (store manager, marketing, admin) sees today's and this month's
//!   figures for their scope (their store, or the chain) against a year earlier, the last 30
//!   days of sales, new members and follow-ups; the chain also sees its stores ranked by this
//!   month's net sales and the points about to expire.
//! - A sales associate sees their own follow-ups (the first five to do today) and their own
//!   month: the sales recorded under their name.
//! - After-sales sees the ticket queue: open tickets and those past a deadline.

use super::Period;
use super::sales::{GroupBy, SalesAsk, SalesReport};
use super::summary::Summary;
use crate::care::followups::Task;
use crate::security::Principal;
use crate::{App, AppError};
use jiff::{SignedDuration, ToSpan};
use patron_domain::{Capability, Scope};
use patron_store::service::tickets::Queue;

/// How many follow-ups the cockpit lists as today's things to do.
pub const TODO_COUNT: usize = 5;

#[derive(Debug, Clone, Default)]
pub struct Cockpit {
    /// Today (in the head office's zone), with yesterday and a year earlier.
    pub today: Option<Summary>,
    /// This month so far, with the previous period and a year earlier.
    pub month: Option<Summary>,
    /// Net sales of the last 30 days, by day.
    pub trend: Option<SalesReport>,
    /// The chain's stores by this month's net sales.
    pub ranking: Option<SalesReport>,
    /// Follow-ups overdue and due today, and the first few to do.
    pub followups: Option<(usize, usize)>,
    pub todo: Vec<Task>,
    /// The signed-in associate's own sales this month.
    pub my_month: Option<SalesReport>,
    /// Open tickets and those past a deadline.
    pub tickets: Option<(usize, usize)>,
    /// Members whose points expire in the next 30 days, and how many points.
    pub points_expiring: Option<(usize, i64)>,
}

impl App {
    pub async fn cockpit(&self, p: &Principal) -> Result<Cockpit, AppError> {
        let scope = p.scope();
        let today = self.report_today();
        let mut c = Cockpit::default();
        if p.can(Capability::ReportRead) {
            let day = Period {
                from: today,
                to: today,
            };
            let month = Period {
                from: today.first_of_month(),
                to: today,
            };
            c.today = Some(self.report_summary(scope, day, None).await?);
            c.month = Some(self.report_summary(scope, month, None).await?);
            let from = today.checked_sub(29.days()).unwrap_or(today);
            let trend = Period { from, to: today };
            c.trend = Some(
                self.sales_report(scope, trend, GroupBy::Day, &SalesAsk::default())
                    .await?,
            );
            if scope == Scope::Chain {
                c.ranking = Some(
                    self.sales_report(scope, month, GroupBy::Store, &SalesAsk::default())
                        .await?,
                );
                let now = self.now();
                let ahead = now + SignedDuration::from_hours(24 * 30);
                let due = self.db.points_expiring(now, ahead).await?;
                c.points_expiring = Some((due.len(), due.iter().map(|d| d.amount).sum()));
            }
        }
        if p.can(Capability::CustomerRead) {
            let list = self.daily_list(p, false).await?;
            c.followups = Some((list.overdue.len(), list.today.len()));
            c.todo = list
                .overdue
                .into_iter()
                .chain(list.today)
                .take(TODO_COUNT)
                .collect();
        }
        if p.role == patron_domain::Role::SalesAssociate {
            let month = Period {
                from: today.first_of_month(),
                to: today,
            };
            let ask = SalesAsk {
                staff: Some(p.username.clone()),
                ..SalesAsk::default()
            };
            c.my_month = Some(self.sales_report(scope, month, GroupBy::Day, &ask).await?);
        }
        if p.can(Capability::TicketManage) {
            let open = Queue {
                assignee: None,
                customer: None,
                open_only: true,
                due_before: None,
            };
            let late = Queue {
                due_before: Some(self.now()),
                ..open
            };
            let n_open = self.db.tickets(scope, &open, 10_000).await?.len();
            let n_late = self.db.tickets(scope, &late, 10_000).await?.len();
            c.tickets = Some((n_open, n_late));
        }
        Ok(c)
    }
}
