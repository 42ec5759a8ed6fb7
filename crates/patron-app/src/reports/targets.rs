//! Monthly sales targets: the head office sets each store's net-sales target for a month
//! (`set_sales_target`); the targets report holds each store's net sales, month by month,
//! against them (`sales_targets`), and the cockpit this month's so far (`month_target`).
//!
//! Attainment is net sales ÷ target (the report's `net_sales_fen`: sales minus refunds in the
//! month); a chain's target is the sum of its stores', and a store without a target for a
//! month adds nothing to it. `elapsed` is the share of the month's days gone by, today
//! included, so a manager can tell "on pace" at a glance.

use super::sales::{GroupBy, SalesAsk};
use super::{Period, day_key, ratio_of};
use crate::{App, AppError};
use patron_domain::audit::Actor;
use patron_domain::{FieldError, Scope};
use patron_store::reports::targets::Target;
use std::collections::BTreeMap;

/// The largest target one store may have for a month: ¥100 billion.
const MAX_TARGET_FEN: i64 = 10_000_000_000_000;

/// A target as given: a store code, a month `YYYY-MM`, the amount in fen (`None`: what was
/// typed is not an amount).
#[derive(Debug, Clone, Default)]
pub struct TargetInput {
    pub store: String,
    pub month: String,
    pub target_fen: Option<i64>,
}

/// One store's month: its target (if set), its net sales and the share reached.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub target_fen: Option<i64>,
    pub net_sales_fen: i64,
    /// Net sales ÷ target; `None` without a target or with a target of 0.
    pub attainment: Option<f64>,
}

/// A store's (or, with `code` empty, the chain's) months of one year.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetLine {
    pub code: String,
    pub name: String,
    pub months: Vec<TargetMonth>,
    pub year: TargetMonth,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TargetsReport {
    pub year: i16,
    /// The stores in view, then (for more than one store) the chain's total.
    pub lines: Vec<TargetLine>,
}

/// This month so far against its target, for the cockpit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetProgress {
    pub target_fen: i64,
    pub net_sales_fen: i64,
    pub attainment: Option<f64>,
    /// Days of the month gone by (today included) ÷ days in the month.
    pub elapsed: f64,
}

fn month_of(target_fen: Option<i64>, net_sales_fen: i64, month: String) -> TargetMonth {
    TargetMonth {
        month,
        target_fen,
        net_sales_fen,
        attainment: target_fen.and_then(|t| ratio_of(net_sales_fen, t)),
    }
}

impl App {
    /// Sets a store's target for a month; a store-bound caller may set only their own store's.
    pub async fn set_sales_target(
        &self,
        actor: &Actor,
        scope: Scope,
        input: &TargetInput,
    ) -> Result<(), AppError> {
        let mut errors = Vec::new();
        let stores = self.report_stores(scope, Some(&input.store)).await;
        let month = super::cohorts::parse_month("month", &input.month);
        let fen = input
            .target_fen
            .filter(|f| (0..=MAX_TARGET_FEN).contains(f));
        if input.store.trim().is_empty() {
            errors.push(FieldError::new("store", "error.report.store"));
        }
        if fen.is_none() {
            errors.push(FieldError::new("target", "error.report.target"));
        }
        let stores = match stores {
            Ok(s) => s,
            Err(AppError::Field(f)) => {
                errors.push(f);
                super::ReportStores {
                    ids: None,
                    code: None,
                }
            }
            Err(e) => return Err(e),
        };
        let month = match month {
            Ok(m) => Some(m),
            Err(AppError::Field(f)) => {
                errors.push(f);
                None
            }
            Err(e) => return Err(e),
        };
        if !errors.is_empty() {
            errors.dedup_by(|a, b| a.field == b.field);
            return Err(if errors.len() == 1 {
                AppError::Field(errors.remove(0))
            } else {
                AppError::Fields(errors)
            });
        }
        let (Some(store_id), Some(month), Some(target_fen)) = (
            stores.ids.as_ref().and_then(|ids| ids.first().copied()),
            month,
            fen,
        ) else {
            return Err(FieldError::new("store", "error.report.store").into());
        };
        let t = Target {
            store_id,
            month,
            target_fen,
        };
        self.db.set_sales_target(actor, &t, self.now()).await?;
        Ok(())
    }

    /// Each store's targets and net sales for the twelve months of `year` (a store-bound
    /// caller sees their own store; the chain one store by code, or all with their total).
    pub async fn sales_targets(
        &self,
        scope: Scope,
        year: i16,
        store_code: Option<&str>,
    ) -> Result<TargetsReport, AppError> {
        let chosen = self.report_stores(scope, store_code).await?;
        let dir = self.directory().await?;
        let stores: Vec<(i64, String, String)> = dir
            .stores(scope)
            .filter(|s| chosen.ids.as_ref().is_none_or(|ids| ids.contains(&s.id)))
            .map(|s| (s.id, s.code.clone(), s.name.clone()))
            .collect();
        let from = jiff::civil::date(year, 1, 1);
        let to = jiff::civil::date(year, 12, 31);
        let (from_month, to_month) = (day_key(from) / 100, day_key(to) / 100);
        let ids: Vec<i64> = stores.iter().map(|s| s.0).collect();
        let targets: BTreeMap<(i64, i64), i64> = self
            .db
            .sales_targets(Some(&ids), from_month, to_month)
            .await?
            .into_iter()
            .map(|t| ((t.store_id, t.month), t.target_fen))
            .collect();
        let period = Period { from, to };
        let mut lines = Vec::new();
        let mut chain_sales: BTreeMap<i64, i64> = BTreeMap::new();
        for (id, code, name) in &stores {
            let ask = SalesAsk {
                store: Some(code.clone()),
                ..SalesAsk::default()
            };
            let report = self
                .sales_report(scope, period, GroupBy::Month, &ask)
                .await?;
            let sales: BTreeMap<String, i64> = report
                .rows
                .iter()
                .map(|r| (r.key.clone(), r.net_sales_fen))
                .collect();
            let mut months = Vec::new();
            let (mut year_target, mut year_sales) = (None::<i64>, 0);
            for m in 1..=12_i64 {
                let key = i64::from(year) * 100 + m;
                let label = format!("{year:04}-{m:02}");
                let net = sales.get(&label).copied().unwrap_or(0);
                let target = targets.get(&(*id, key)).copied();
                if let Some(t) = target {
                    year_target = Some(year_target.unwrap_or(0) + t);
                }
                year_sales += net;
                *chain_sales.entry(m).or_default() += net;
                months.push(month_of(target, net, label));
            }
            lines.push(TargetLine {
                code: code.clone(),
                name: name.clone(),
                months,
                year: month_of(year_target, year_sales, year.to_string()),
            });
        }
        if lines.len() > 1 {
            let mut months = Vec::new();
            for m in 1..=12_usize {
                let target = lines
                    .iter()
                    .filter_map(|l| l.months[m - 1].target_fen)
                    .reduce(|a, b| a + b);
                let net = chain_sales.get(&(m as i64)).copied().unwrap_or(0);
                months.push(month_of(target, net, format!("{year:04}-{m:02}")));
            }
            let target = lines
                .iter()
                .filter_map(|l| l.year.target_fen)
                .reduce(|a, b| a + b);
            let net = lines.iter().map(|l| l.year.net_sales_fen).sum();
            lines.push(TargetLine {
                code: String::new(),
                name: String::new(),
                months,
                year: month_of(target, net, year.to_string()),
            });
        }
        Ok(TargetsReport { year, lines })
    }

    /// This month so far in `scope` against the sum of its stores' targets; `None` when no
    /// store in view has a target for the month.
    pub async fn month_target(
        &self,
        scope: Scope,
        today: jiff::civil::Date,
        net_sales_fen: i64,
    ) -> Result<Option<TargetProgress>, AppError> {
        let month = day_key(today) / 100;
        let stores = self.report_stores(scope, None).await?;
        let targets = self
            .db
            .sales_targets(stores.ids.as_deref(), month, month)
            .await?;
        if targets.is_empty() {
            return Ok(None);
        }
        let target_fen = targets.iter().map(|t| t.target_fen).sum();
        let days_in = i64::from(today.days_in_month());
        let gone = i64::from(today.day());
        Ok(Some(TargetProgress {
            target_fen,
            net_sales_fen,
            attainment: ratio_of(net_sales_fen, target_fen),
            elapsed: gone as f64 / days_in as f64,
        }))
    }
}
