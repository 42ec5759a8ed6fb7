//! Cohort retention and the lifecycle flow, month by month, from the member activity.
//!
//! - Cohort: the members whose first sale fell in a month; cell (cohort, k) is the share of
//!   the cohort with a sale in the k-th month after (k = 0 is 100 %).
//! - Lifecycle: each month's new members (first sale), active (bought this month and last),
//!   returning (after one to six months without), won back (after being lost), lapsing
//!   (bought last month, not this one) and lost (six full months without a sale end).

use crate::{App, AppError};
use patron_analytics::activity::{LOST_AFTER_MONTHS, Stores, months_between};
use patron_domain::{FieldError, Scope};
use serde::Serialize;

/// The longest span of months a cohort or lifecycle report covers.
pub const MAX_MONTHS: i64 = 36;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortLine {
    /// `YYYY-MM` of the first sale.
    pub month: String,
    pub size: u64,
    /// Members of the cohort with a sale k months after, k = 0, 1, …
    pub active: Vec<u64>,
    /// `active[k] / size`; `None` for an empty cohort.
    pub retention: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortReport {
    pub from_month: String,
    pub to_month: String,
    pub store: Option<String>,
    pub cohorts: Vec<CohortLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LifecycleMonth {
    pub month: String,
    pub new: u64,
    pub active: u64,
    pub returning: u64,
    pub won_back: u64,
    pub lapsing: u64,
    pub lost: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LifecycleReport {
    pub from_month: String,
    pub to_month: String,
    pub store: Option<String>,
    /// Months without a sale after which a member counts as lost.
    pub lost_after_months: i64,
    pub months: Vec<LifecycleMonth>,
}

/// Reads `YYYY-MM` as `yyyymm`; errors name `field`.
pub fn parse_month(field: &'static str, s: &str) -> Result<i64, AppError> {
    let bad = || AppError::from(FieldError::new(field, "error.report.month"));
    let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
    let (y, m): (i64, i64) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(1900..=9999).contains(&y) || !(1..=12).contains(&m) || m.to_string().len() > 2 {
        return Err(bad());
    }
    Ok(y * 100 + m)
}

/// The last `months` whole months up to and including `today`'s, as `YYYY-MM`.
pub fn recent_months(today: jiff::civil::Date, months: i64) -> (String, String) {
    let to = super::day_key(today) / 100;
    let from = patron_analytics::activity::add_months(to, 1 - months);
    (month_text(from), month_text(to))
}

fn month_text(m: i64) -> String {
    format!("{:04}-{:02}", m / 100, m % 100)
}

fn check_span(from: i64, to: i64) -> Result<(), AppError> {
    let span = months_between(from, to);
    if span < 0 {
        return Err(FieldError::new("to_month", "error.report.order").into());
    }
    if span >= MAX_MONTHS {
        return Err(FieldError::new("to_month", "error.report.too_long").into());
    }
    Ok(())
}

impl App {
    pub async fn cohort_report(
        &self,
        scope: Scope,
        from_month: i64,
        to_month: i64,
        store: Option<&str>,
    ) -> Result<CohortReport, AppError> {
        check_span(from_month, to_month)?;
        let stores = self.report_stores(scope, store).await?;
        let which = stores.ids.clone().map_or(Stores::All, Stores::Only);
        let cohorts = {
            let held = self.member_activity().await?;
            held.get()
                .map(|a| a.cohorts(from_month, to_month, &which))
                .unwrap_or_default()
        };
        Ok(CohortReport {
            from_month: month_text(from_month),
            to_month: month_text(to_month),
            store: stores.code,
            cohorts: cohorts
                .into_iter()
                .map(|c| CohortLine {
                    month: month_text(c.month),
                    size: c.size,
                    retention: c.active.iter().map(|n| super::ratio(*n, c.size)).collect(),
                    active: c.active,
                })
                .collect(),
        })
    }

    pub async fn lifecycle_report(
        &self,
        scope: Scope,
        from_month: i64,
        to_month: i64,
        store: Option<&str>,
    ) -> Result<LifecycleReport, AppError> {
        check_span(from_month, to_month)?;
        let stores = self.report_stores(scope, store).await?;
        let which = stores.ids.clone().map_or(Stores::All, Stores::Only);
        let flow = {
            let held = self.member_activity().await?;
            held.get()
                .map(|a| a.lifecycle(from_month, to_month, &which))
                .unwrap_or_default()
        };
        Ok(LifecycleReport {
            from_month: month_text(from_month),
            to_month: month_text(to_month),
            store: stores.code,
            lost_after_months: LOST_AFTER_MONTHS,
            months: flow
                .into_iter()
                .map(|l| LifecycleMonth {
                    month: month_text(l.month),
                    new: l.new,
                    active: l.active,
                    returning: l.returning,
                    won_back: l.won_back,
                    lapsing: l.lapsing,
                    lost: l.lost,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_with_their_field() {
        assert_eq!(parse_month("from_month", "2026-03").expect("month"), 202603);
        assert!(
            matches!(parse_month("to_month", "2026-13"), Err(AppError::Field(f)) if f.field == "to_month")
        );
        assert!(parse_month("from_month", "March").is_err());
        assert!(check_span(202601, 202512).is_err());
        assert!(check_span(202301, 202512).is_ok());
        assert!(check_span(202201, 202512).is_err());
    }
}
