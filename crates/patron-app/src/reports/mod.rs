//! Reports: the period and store a report covers, who may see which stores, and the reports
//! themselves (`summary`: the customer indicators; `sales`: sales by any grouping; `cohorts`
//! and the lifecycle flow), each also as a table for export (`table`).
//!
//! Periods are whole local days `[from, to]`; each store's own time zone sets its days (the
//! roll-ups and the member activity are stored by local day).

mod activity;
pub mod cockpit;
pub mod cohorts;
pub mod loyalty;
pub mod sales;
pub mod summary;
pub mod table;
pub mod targets;

pub(crate) use activity::ActivityCache;

use crate::{App, AppError};
use jiff::ToSpan;
use jiff::civil::Date;
use patron_domain::{FieldError, Scope};

/// The longest period a report covers, in days (three years and a leap day).
pub const MAX_DAYS: i32 = 3 * 366;

/// An inclusive range of local dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// Reads `YYYY-MM-DD` dates; errors name the field (`from`, `to`).
    pub fn parse(from: &str, to: &str) -> Result<Period, AppError> {
        let date = |field: &'static str, s: &str| {
            s.trim()
                .parse::<Date>()
                .map_err(|_| FieldError::new(field, "error.report.date"))
        };
        let (from, to) = match (date("from", from), date("to", to)) {
            (Ok(f), Ok(t)) => (f, t),
            (f, t) => {
                let errors: Vec<FieldError> = [f.err(), t.err()].into_iter().flatten().collect();
                return Err(AppError::Fields(errors));
            }
        };
        let p = Period { from, to };
        if to < from {
            return Err(FieldError::new("to", "error.report.order").into());
        }
        if p.days() > MAX_DAYS {
            return Err(FieldError::new("to", "error.report.too_long").into());
        }
        Ok(p)
    }

    pub fn days(&self) -> i32 {
        i32::try_from(self.from.until(self.to).map_or(0, |s| s.get_days() as i64) + 1)
            .unwrap_or(i32::MAX)
    }

    /// The period of the same length just before (环比).
    pub fn previous(&self) -> Period {
        let len = i64::from(self.days());
        Period {
            from: self.from.checked_sub(len.days()).unwrap_or(self.from),
            to: self.from.checked_sub(1.day()).unwrap_or(self.from),
        }
    }

    /// The same dates a year earlier (同比); 29 February becomes the 28th.
    pub fn year_ago(&self) -> Period {
        Period {
            from: self.from.checked_sub(1.year()).unwrap_or(self.from),
            to: self.to.checked_sub(1.year()).unwrap_or(self.to),
        }
    }

    /// The month so far: its first day to `today`.
    pub fn month_to_date(today: Date) -> Period {
        Period {
            from: today.first_of_month(),
            to: today,
        }
    }

    /// `from` and `to` as typed, or the month so far up to `today` when both are empty.
    pub fn parse_or_month_to_date(from: &str, to: &str, today: Date) -> Result<Period, AppError> {
        if from.trim().is_empty() && to.trim().is_empty() {
            return Ok(Period::month_to_date(today));
        }
        Period::parse(from, to)
    }

    /// `yyyymmdd` of the first and last day.
    pub fn day_keys(&self) -> (i64, i64) {
        (day_key(self.from), day_key(self.to))
    }
}

/// A date as the roll-ups key it: `yyyymmdd`.
pub fn day_key(d: Date) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

/// `yyyymmdd` back to a date.
pub fn date_of(key: i64) -> Option<Date> {
    let y = i16::try_from(key / 10_000).ok()?;
    let m = i8::try_from((key / 100) % 100).ok()?;
    let d = i8::try_from(key % 100).ok()?;
    Date::new(y, m, d).ok()
}

/// The stores a report covers, as the viewer may see them: `None` is the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportStores {
    pub ids: Option<Vec<i64>>,
    /// The store's code when one store is chosen.
    pub code: Option<String>,
}

impl App {
    /// The stores a report for `scope` covers: a store-bound role sees its own store only
    /// (asking for another is refused); the chain may name one store by code, or none.
    pub async fn report_stores(
        &self,
        scope: Scope,
        store_code: Option<&str>,
    ) -> Result<ReportStores, AppError> {
        let dir = self.directory().await?;
        let code = store_code.map(str::trim).filter(|c| !c.is_empty());
        let chosen = match code {
            Some(c) => Some(
                dir.stores(Scope::Chain)
                    .find(|s| s.code == c)
                    .ok_or_else(|| FieldError::new("store", "error.report.store"))?,
            ),
            None => None,
        };
        match (scope, chosen) {
            (Scope::Store(own), Some(s)) if s.id != own => Err(AppError::Forbidden),
            (Scope::Store(own), _) => Ok(ReportStores {
                ids: Some(vec![own]),
                code: dir.store(own).map(|s| s.code.clone()),
            }),
            (Scope::Chain, Some(s)) => Ok(ReportStores {
                ids: Some(vec![s.id]),
                code: Some(s.code.clone()),
            }),
            (Scope::Chain, None) => Ok(ReportStores {
                ids: None,
                code: None,
            }),
        }
    }

    /// Today in the head office's time zone (the default end of a report's period).
    pub fn report_today(&self) -> Date {
        self.config.timezone().to_datetime(self.now()).date()
    }

    /// The product categories (code, name), for report filters.
    pub async fn product_categories(&self) -> Result<Vec<(String, String)>, AppError> {
        Ok(self
            .db
            .list_categories()
            .await?
            .into_iter()
            .map(|c| (c.code, c.name))
            .collect())
    }

    /// Rebuilds the report roll-ups from the raw sales (`patron reports rebuild`).
    pub async fn rebuild_reports(
        &self,
    ) -> Result<patron_store::reports::rebuild::Rebuilt, AppError> {
        let done = self.db.rebuild_report_rollups().await?;
        Ok(done)
    }
}

/// A share, `None` when there is nothing to take a share of.
pub fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// `part ÷ whole` of signed amounts (net sales against a target), `None` unless `whole > 0`.
pub fn ratio_of(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// `a ÷ b` rounded half away from zero to whole fen; `None` when `b` is 0.
pub fn per(a: i64, b: i64) -> Option<i64> {
    if b == 0 {
        return None;
    }
    let (q, r) = (a / b, a % b);
    Some(if 2 * r.abs() >= b.abs() {
        q + if (a < 0) == (b < 0) { 1 } else { -1 }
    } else {
        q
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_have_a_previous_and_a_year_ago() {
        let p = Period::parse("2026-03-01", "2026-03-31").expect("period");
        assert_eq!(p.days(), 31);
        let prev = p.previous();
        assert_eq!(
            (prev.from.to_string(), prev.to.to_string()),
            ("2026-01-29".into(), "2026-02-28".into())
        );
        let leap = Period::parse("2024-02-29", "2024-02-29")
            .expect("period")
            .year_ago();
        assert_eq!(leap.from.to_string(), "2023-02-28");
        assert!(
            matches!(Period::parse("2026-03-02", "2026-03-01"), Err(AppError::Field(f)) if f.field == "to")
        );
        assert!(
            matches!(Period::parse("x", "2026-13-01"), Err(AppError::Fields(f)) if f.len() == 2)
        );
        assert!(Period::parse("2020-01-01", "2026-01-01").is_err());
    }

    #[test]
    fn amounts_divide_to_the_nearest_fen() {
        assert_eq!(per(10, 4), Some(3));
        assert_eq!(per(10, 3), Some(3));
        assert_eq!(per(-10, 4), Some(-3));
        assert_eq!(per(5, 0), None);
        assert_eq!(ratio(1, 4), Some(0.25));
        assert_eq!(ratio(0, 0), None);
    }
}
