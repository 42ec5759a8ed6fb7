//! Monthly sales targets: the head office sets each store's net-sales target for a month
//! (`set_sales_target`); the targets report holds each store's net sales, month by month,
//! against them (`sales_targets`), and the cockpit this month's so far (`month_target`).
//!
//! Attainment is net sales ÷ target (the report's `net_sales_fen`: sales minus refunds in the
//! month), counted over the store months that have a target: the chain's target for a month
//! is the sum of its stores' targets and is held against those stores' net sales only; a
//! year's, against the months with a target. `elapsed` is the share of the month's days gone
//! by, today included, so a manager can tell "on pace" at a glance.

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

/// A month (or a year) of a store or of the chain: the target, if any is set, the net sales,
/// and the share of the target reached.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetMonth {
    /// `YYYY-MM`, or `YYYY` for the year.
    pub month: String,
    /// Σ the targets set (`None`: none is).
    pub target_fen: Option<i64>,
    /// Net sales of every store month in the line.
    pub net_sales_fen: i64,
    /// Net sales of the store months that have a target: what the target is held against.
    pub targeted_sales_fen: i64,
    /// `targeted_sales_fen ÷ target_fen`; `None` without a target above 0.
    pub attainment: Option<f64>,
}

/// Sums store months into a month of the chain, or months into a year.
#[derive(Default)]
struct Sum {
    target: Option<i64>,
    net: i64,
    targeted: i64,
}

impl Sum {
    fn add(&mut self, target: Option<i64>, net: i64) {
        self.net += net;
        if let Some(t) = target {
            self.target = Some(self.target.unwrap_or(0) + t);
            self.targeted += net;
        }
    }

    fn month(&self, label: String) -> TargetMonth {
        TargetMonth {
            month: label,
            target_fen: self.target,
            net_sales_fen: self.net,
            targeted_sales_fen: self.targeted,
            attainment: self.target.and_then(|t| ratio_of(self.targeted, t)),
        }
    }
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
    /// Net sales so far of the stores that have a target this month.
    pub net_sales_fen: i64,
    pub attainment: Option<f64>,
    /// Days of the month gone by (today included) ÷ days in the month.
    pub elapsed: f64,
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
        let store_id = match input.store.trim() {
            "" => None,
            code => match self.report_stores(scope, Some(code)).await {
                Ok(s) => s.ids.and_then(|ids| ids.first().copied()),
                Err(AppError::Field(_)) => None,
                Err(e) => return Err(e),
            },
        };
        if store_id.is_none() {
            errors.push(FieldError::new("store", "error.report.store"));
        }
        let month = super::cohorts::parse_month("month", &input.month)
            .map_err(|e| errors.extend(e.field_errors()))
            .ok();
        let fen = input
            .target_fen
            .filter(|f| (0..=MAX_TARGET_FEN).contains(f));
        if fen.is_none() {
            errors.push(FieldError::new("target", "error.report.target"));
        }
        let (Some(store_id), Some(month), Some(target_fen)) = (store_id, month, fen) else {
            return Err(errors.into());
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
        let mut chain: Vec<Sum> = (0..12).map(|_| Sum::default()).collect();
        let mut chain_year = Sum::default();
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
            let mut year_sum = Sum::default();
            for (m, chain_month) in (1..=12_i64).zip(chain.iter_mut()) {
                let label = format!("{year:04}-{m:02}");
                let net = sales.get(&label).copied().unwrap_or(0);
                let target = targets.get(&(*id, i64::from(year) * 100 + m)).copied();
                let mut one = Sum::default();
                one.add(target, net);
                months.push(one.month(label));
                year_sum.add(target, net);
                chain_month.add(target, net);
                chain_year.add(target, net);
            }
            lines.push(TargetLine {
                code: code.clone(),
                name: name.clone(),
                months,
                year: year_sum.month(year.to_string()),
            });
        }
        if lines.len() > 1 {
            let months = chain
                .iter()
                .zip(1..=12)
                .map(|(sum, m)| sum.month(format!("{year:04}-{m:02}")))
                .collect();
            lines.push(TargetLine {
                code: String::new(),
                name: String::new(),
                months,
                year: chain_year.month(year.to_string()),
            });
        }
        Ok(TargetsReport { year, lines })
    }

    /// This month so far in `scope`: the stores with a target for the month, their net sales
    /// so far against the sum of their targets; `None` when no store in view has one.
    pub async fn month_target(
        &self,
        scope: Scope,
        today: jiff::civil::Date,
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
        let period = Period {
            from: today.first_of_month(),
            to: today,
        };
        let by_store = self
            .sales_report(scope, period, GroupBy::Store, &SalesAsk::default())
            .await?;
        let dir = self.directory().await?;
        let mut sum = Sum::default();
        for t in &targets {
            let code = dir.store(t.store_id).map(|s| s.code.as_str()).unwrap_or("");
            let net = by_store
                .rows
                .iter()
                .find(|r| r.key == code)
                .map_or(0, |r| r.net_sales_fen);
            sum.add(Some(t.target_fen), net);
        }
        let days_in = i64::from(today.days_in_month());
        let gone = i64::from(today.day());
        Ok(Some(TargetProgress {
            target_fen: sum.target.unwrap_or(0),
            net_sales_fen: sum.targeted,
            attainment: sum.target.and_then(|t| ratio_of(sum.targeted, t)),
            elapsed: gone as f64 / days_in as f64,
        }))
    }
}
