//! Member activity kept in memory for the customer indicators: loaded from the sales once,
//! then brought up to date before each report by reading only the sales and customer files
//! written since (their ids are higher). A merge or a roll-up rebuild changes the store's
//! activity epoch, and the next report loads everything again.

use crate::{App, AppError};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use patron_analytics::activity::{Activity, day_no};
use patron_store::reports::activity::ActivityMark;
use std::collections::HashMap;
use tokio::sync::{Mutex, MutexGuard};

/// Rows read a query while loading.
const CHUNK: i64 = 500_000;

#[derive(Default)]
pub(crate) struct ActivityCache(Mutex<Option<Loaded>>);

pub(crate) struct Loaded {
    mark: ActivityMark,
    pub activity: Activity,
}

impl App {
    /// The member activity, current as of now. The guard holds it while a report reads it.
    pub(crate) async fn member_activity(&self) -> Result<ActivityGuard<'_>, AppError> {
        let mut held = self.activity.0.lock().await;
        let mark = self.db.activity_mark().await?;
        let (mut activity, from) = match held.take() {
            Some(l) if l.mark.epoch == mark.epoch => (l.activity, l.mark),
            _ => (
                Activity::default(),
                ActivityMark {
                    epoch: mark.epoch,
                    last_sale_id: 0,
                    last_customer_id: 0,
                },
            ),
        };
        if from != mark {
            let zones = self.store_zones().await?;
            let mut after = from.last_sale_id;
            while after < mark.last_sale_id {
                let upto = (after + CHUNK).min(mark.last_sale_id);
                for (customer, store, day) in self.db.member_sales(after, upto).await? {
                    if let Some(d) = day_no(day) {
                        activity.add_sale(customer, store, d);
                    }
                }
                after = upto;
            }
            let mut after = from.last_customer_id;
            while after < mark.last_customer_id {
                let upto = (after + CHUNK).min(mark.last_customer_id);
                for (customer, store, created_ms) in self.db.customer_files(after, upto).await? {
                    let tz = zones.get(&store).cloned().unwrap_or(TimeZone::UTC);
                    let at =
                        Timestamp::from_millisecond(created_ms).unwrap_or(Timestamp::UNIX_EPOCH);
                    if let Some(d) = day_no(super::day_key(tz.to_datetime(at).date())) {
                        activity.add_file(customer, store, d);
                    }
                }
                after = upto;
            }
            activity.settle();
        }
        *held = Some(Loaded { mark, activity });
        Ok(ActivityGuard(held))
    }

    /// Each store's time zone.
    pub(crate) async fn store_zones(&self) -> Result<HashMap<i64, TimeZone>, AppError> {
        let dir = self.directory().await?;
        Ok(dir
            .stores(patron_domain::Scope::Chain)
            .map(|s| {
                (
                    s.id,
                    TimeZone::get(&s.timezone).unwrap_or_else(|_| self.config.timezone()),
                )
            })
            .collect())
    }
}

/// The activity, held for one report.
pub(crate) struct ActivityGuard<'a>(MutexGuard<'a, Option<Loaded>>);

impl ActivityGuard<'_> {
    pub(crate) fn get(&self) -> Option<&Activity> {
        self.0.as_ref().map(|l| &l.activity)
    }
}
