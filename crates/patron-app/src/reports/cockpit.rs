//! The cockpit: what the console's home page shows each role, in one call.
//!
//! - Whoever may read reports (store manager, marketing, admin) sees today's and this month's
//!   figures for their scope (their store, or the chain) against the month's sales target and
//!   a year earlier, the last 30
//!   days of sales, new members and follow-ups, and the points and member cards of their
//!   members that run out in the next 30 days; the chain also sees its stores ranked by this
//!   month's net sales.
//! - A sales associate sees their own follow-ups (the first five to do today), their
//!   customers' birthdays in the next week (the read is audited) and their own month: the
//!   sales recorded under their name.
//! - After-sales sees the ticket queue: open tickets and those past a deadline.

use super::Period;
use super::sales::{GroupBy, SalesAsk, SalesReport};
use super::summary::Summary;
use crate::care::followups::Task;
use crate::security::Principal;
use crate::{App, AppError};
use jiff::civil::Date;
use jiff::{SignedDuration, ToSpan};
use patron_domain::{Capability, Scope};
use patron_store::customers::{CustomerFilter, CustomerSort};
pub use patron_store::messages::notices::Expiring;

/// How many follow-ups the cockpit lists as today's things to do.
pub const TODO_COUNT: usize = 5;
/// How far ahead the cockpit looks for what runs out (points, cards).
pub const EXPIRY_DAYS: i64 = 30;
/// How far ahead an associate sees their customers' birthdays, today included.
pub const BIRTHDAY_DAYS: i64 = 7;
/// The most customers of one associate whose birthdays the cockpit reads.
const OWNED_LIMIT: i64 = 5_000;

/// A customer's birthday coming up: the day it is celebrated this time (by the lunar date for
/// who gave one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BirthdayAhead {
    pub customer_id: i64,
    pub name: String,
    pub on: Date,
}

#[derive(Debug, Clone, Default)]
pub struct Cockpit {
    /// Today (in the head office's zone), with yesterday and a year earlier.
    pub today: Option<Summary>,
    /// This month so far, with the previous period and a year earlier.
    pub month: Option<Summary>,
    /// This month's net sales so far against the month's target, when one is set.
    pub target: Option<super::targets::TargetProgress>,
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
    pub tickets: Option<(i64, i64)>,
    /// What runs out in the next `EXPIRY_DAYS` days for the scope's members.
    pub expiring: Option<Expiring>,
    /// The signed-in associate's customers with a birthday in the next `BIRTHDAY_DAYS` days.
    pub birthdays: Vec<BirthdayAhead>,
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
            let this_month = self.report_summary(scope, month, None).await?;
            c.target = self.month_target(scope, today).await?;
            c.month = Some(this_month);
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
            }
            let now = self.now();
            let ahead = now + SignedDuration::from_hours(24 * EXPIRY_DAYS);
            c.expiring = Some(
                self.db
                    .expiring_counts(scope.store_filter(), now, ahead)
                    .await?,
            );
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
            c.birthdays = self.birthdays_ahead(p, today).await?;
        }
        if p.can(Capability::TicketManage) {
            c.tickets = Some(self.db.ticket_counts(scope, self.now()).await?);
        }
        Ok(c)
    }
}

impl App {
    /// The customers `p` owns whose birthday falls in `[today, today + BIRTHDAY_DAYS)`, soonest
    /// first. Opening the birthdays is a read of personal data: one audit row names who was
    /// shown.
    async fn birthdays_ahead(
        &self,
        p: &Principal,
        today: Date,
    ) -> Result<Vec<BirthdayAhead>, AppError> {
        let filter = CustomerFilter {
            owner_staff_id: Some(p.staff_id),
            sort: CustomerSort::Id,
            limit: OWNED_LIMIT,
            ..CustomerFilter::default()
        };
        let (owned, _) = self.db.search_customers(p.scope(), &filter).await?;
        let days: Vec<Date> = (0..BIRTHDAY_DAYS)
            .filter_map(|n| today.checked_add(n.days()).ok())
            .collect();
        let mut found = Vec::new();
        for r in owned.iter().filter(|r| r.birthday_enc.is_some()) {
            let (solar, lunar) =
                crate::customers::sealing::birthdays(&self.keys, r.id, r.birthday_enc.as_deref())?;
            if let Some(on) = days
                .iter()
                .find(|d| patron_domain::calendar::is_birthday(**d, solar, lunar))
            {
                found.push(BirthdayAhead {
                    customer_id: r.id,
                    name: r.name.clone(),
                    on: *on,
                });
            }
        }
        found.sort_by_key(|b| (b.on, b.customer_id));
        if !found.is_empty() {
            let ids: Vec<String> = found.iter().map(|b| b.customer_id.to_string()).collect();
            self.db
                .audit_customer_read(
                    &p.actor(None),
                    "customer.birthdays",
                    None,
                    &format!("customers={}", ids.join(",")),
                    self.now(),
                )
                .await?;
        }
        Ok(found)
    }
}
