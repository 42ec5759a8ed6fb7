//! The headline figures of a period (the API's `reports/summary`, the cockpit, the customer
//! indicators page), with the previous period (环比) and the same period a year earlier (同比).
//! The definitions are the and the page's tooltips':
//!
//! - `net_sales_fen`: Σ line amounts after discounts (points paid as money included) of the
//!   period's sales, less the amounts refunded in the period (on the refund's day).
//! - `receipts`: sales in the period (refunds not counted); `average_order_fen` = net sales ÷
//!   receipts; `items_per_receipt`: Σ quantities sold ÷ receipts.
//! - `member_sales_share`: net sales of sales with a member ÷ net sales.
//! - `active_customers`: distinct members with a sale; `new_customers`: customer files
//!   created; `first_time_buyers`: members whose first sale falls in the period.
//! - `repeat_rate`: share of the active members with sales on two or more days.
//! - `retention_rate`: share of the members active in the previous period of the same length
//!   who are active in this one; `churn_rate` = 1 − retention.
//! - `purchase_frequency`: distinct (member, day) pairs ÷ active members.
//! - `csat`: share of satisfaction answers (1–5) of 4 or 5; `nps`: % promoters (9–10) less %
//!   detractors (0–6) of the 0–10 answers, in points from −100 to 100.
//!
//! A figure whose denominator is zero is `None` (`null` in JSON), never 0.

use super::{Period, ReportStores, per, ratio};
use crate::{App, AppError};
use patron_analytics::activity::{DayRange, Stores, day_no, months_between};
use patron_domain::{FieldError, Scope};
use patron_store::reports::{SalesBy, SalesFilter, SalesKey};
use serde::Serialize;

/// The figures of one period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    pub net_sales_fen: i64,
    pub receipts: i64,
    pub average_order_fen: Option<i64>,
    pub items_per_receipt: Option<f64>,
    pub member_sales_share: Option<f64>,
    pub active_customers: u64,
    pub new_customers: u64,
    pub first_time_buyers: u64,
    pub repeat_rate: Option<f64>,
    pub retention_rate: Option<f64>,
    pub churn_rate: Option<f64>,
    pub purchase_frequency: Option<f64>,
    pub csat: Option<f64>,
    pub nps: Option<f64>,
    /// How many satisfaction (1–5) and recommendation (0–10) answers the two figures rest on.
    pub csat_answers: i64,
    pub nps_answers: i64,
}

/// A period's figures with the two it is compared with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The store's code, or `None` for the chain (or every store the viewer may see).
    pub store: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
    pub previous: Figures,
    pub year_ago: Figures,
}

impl App {
    /// The summary of `period` for `store` (a code) as `scope` may see it.
    pub async fn report_summary(
        &self,
        scope: Scope,
        period: Period,
        store: Option<&str>,
    ) -> Result<Summary, AppError> {
        let stores = self.report_stores(scope, store).await?;
        let figures = self.figures(period, &stores).await?;
        let previous = self.figures(period.previous(), &stores).await?;
        let year_ago = self.figures(period.year_ago(), &stores).await?;
        Ok(Summary {
            store: stores.code,
            figures,
            previous,
            year_ago,
        })
    }

    /// The figures of each month from `from_month` to `to_month` (`yyyymm`), the current
    /// month up to `today`.
    pub async fn monthly_figures(
        &self,
        scope: Scope,
        from_month: i64,
        to_month: i64,
        store: Option<&str>,
    ) -> Result<Vec<Figures>, AppError> {
        if months_between(from_month, to_month) >= super::cohorts::MAX_MONTHS {
            return Err(FieldError::new("to_month", "error.report.too_long").into());
        }
        let stores = self.report_stores(scope, store).await?;
        let today = self.report_today();
        let mut out = Vec::new();
        let mut m = from_month;
        while m <= to_month {
            let first = super::date_of(m * 100 + 1)
                .ok_or_else(|| AppError::Internal("month out of range".into()))?;
            let last = first.last_of_month().min(today);
            if last < first {
                break;
            }
            out.push(
                self.figures(
                    Period {
                        from: first,
                        to: last,
                    },
                    &stores,
                )
                .await?,
            );
            m = patron_analytics::activity::add_months(m, 1);
        }
        Ok(out)
    }

    /// The figures of one period.
    pub(crate) async fn figures(
        &self,
        period: Period,
        stores: &ReportStores,
    ) -> Result<Figures, AppError> {
        let (from_day, to_day) = period.day_keys();
        let filter = SalesFilter {
            from_day,
            to_day,
            stores: stores.ids.clone(),
            category: None,
            staff_id: None,
        };
        let rows = self.db.sales_report(SalesBy::Member, &filter).await?;
        let (mut net, mut member_net, mut receipts, mut items) = (0, 0, 0, 0);
        for (key, t) in rows {
            let n = t.net_fen - t.refund_fen;
            net += n;
            receipts += t.receipts;
            items += t.items;
            if key == SalesKey::Member(true) {
                member_net += n;
            }
        }
        let counts = {
            let held = self.member_activity().await?;
            let range = match (day_no(from_day), day_no(to_day)) {
                (Some(from), Some(to)) => DayRange { from, to },
                _ => return Err(AppError::Internal("report period out of range".into())),
            };
            let which = match &stores.ids {
                None => Stores::All,
                Some(ids) => Stores::Only(ids.clone()),
            };
            held.get()
                .map(|a| a.counts(range, &which))
                .unwrap_or_default()
        };
        let (csat, nps) = self.survey_figures(period, stores).await?;
        let retention = ratio(counts.retained, counts.previous_active);
        Ok(Figures {
            from: period.from.to_string(),
            to: period.to.to_string(),
            net_sales_fen: net,
            receipts,
            average_order_fen: per(net, receipts),
            items_per_receipt: (receipts > 0).then(|| items as f64 / receipts as f64),
            member_sales_share: (net != 0).then(|| member_net as f64 / net as f64),
            active_customers: counts.active,
            new_customers: counts.new_customers,
            first_time_buyers: counts.first_time_buyers,
            repeat_rate: ratio(counts.repeat, counts.active),
            retention_rate: retention,
            churn_rate: retention.map(|r| 1.0 - r),
            purchase_frequency: ratio(counts.member_days, counts.active),
            csat: csat.0,
            nps: nps.0,
            csat_answers: csat.1,
            nps_answers: nps.1,
        })
    }

    /// CSAT (a share) and NPS (points) of the period's answers, with their answer counts. Each
    /// store's days are its own zone's: the stores are asked by zone.
    async fn survey_figures(
        &self,
        period: Period,
        stores: &ReportStores,
    ) -> Result<((Option<f64>, i64), (Option<f64>, i64)), AppError> {
        let zones = self.store_zones().await?;
        let mut by_zone: Vec<(jiff::tz::TimeZone, Vec<i64>)> = Vec::new();
        for (id, tz) in &zones {
            if stores.ids.as_ref().is_some_and(|ids| !ids.contains(id)) {
                continue;
            }
            match by_zone.iter_mut().find(|(z, _)| z == tz) {
                Some((_, ids)) => ids.push(*id),
                None => by_zone.push((tz.clone(), vec![*id])),
            }
        }
        let (mut csat_n, mut csat_good, mut nps_n, mut promoters, mut detractors) =
            (0i64, 0i64, 0i64, 0i64, 0i64);
        for (tz, ids) in by_zone {
            let start = |d: jiff::civil::Date| {
                d.at(0, 0, 0, 0)
                    .to_zoned_datetime(tz.clone())
                    .map(|z| z.timestamp().as_millisecond())
                    .map_err(|e| AppError::Internal(e.to_string()))
            };
            let from_ms = start(period.from)?;
            let to_ms = start(period.to.tomorrow().unwrap_or(period.to))?;
            for (kind, score, n) in self.db.survey_scores(from_ms, to_ms, Some(&ids)).await? {
                if kind == "csat" {
                    csat_n += n;
                    if score >= 4 {
                        csat_good += n;
                    }
                } else {
                    nps_n += n;
                    if score >= 9 {
                        promoters += n;
                    } else if score <= 6 {
                        detractors += n;
                    }
                }
            }
        }
        let csat = (csat_n > 0).then(|| csat_good as f64 / csat_n as f64);
        let nps = (nps_n > 0).then(|| 100.0 * (promoters - detractors) as f64 / nps_n as f64);
        Ok(((csat, csat_n), (nps, nps_n)))
    }
}
