//! Customer classes from the running statistics: spend share (the 建材店 handbook's 重要, 主要,
//! 普通, 小客户), frequency, RFM value, lifecycle stage and the simple labels.
//!
//! Everything is relative to the customers classified together, so the input is the whole
//! population (a chain's customers); per-store classes are computed within each store's part
//! of it. Ties are never split: customers with the same figure get the same class or score,
//! whichever side of a boundary the first of them falls on.

pub use patron_domain::care::classes::{
    ClassScope, Classes, Facts, History, Label, Level, Lifecycle, Rfm, SpendClass,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use patron_domain::care::classes::DAY_MS;

/// What the spend classes rank by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpendBasis {
    /// Cumulative share of the total twelve-month spend (the handbook's default).
    Share,
    /// Share of the customers who bought in the twelve months, by rank.
    Count,
}

/// The thresholds, all configurable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    pub basis: SpendBasis,
    pub scope: ClassScope,
    /// Key customers take the first `key_pct` percent (of spend or of customers), major ones
    /// up to `major_pct`, ordinary ones up to `ordinary_pct`, small ones the rest.
    pub key_pct: u32,
    pub major_pct: u32,
    pub ordinary_pct: u32,
    /// Visits in twelve months for the high and medium frequency classes.
    pub frequency_high: i64,
    pub frequency_medium: i64,
    /// Sum of the three RFM quintile scores (3 to 15) for the high and medium value classes.
    pub value_high: u32,
    pub value_medium: u32,
    /// A customer whose first purchase is this recent is new.
    pub new_days: i64,
    /// Active while the days since the last visit are at most this many of the customer's
    /// own mean intervals; dormant up to `lost_intervals`; lost after that.
    pub active_intervals: f64,
    pub lost_intervals: f64,
    /// The shortest interval a customer is judged by: two visits a day apart do not make a
    /// customer lost after four days.
    pub min_interval_days: i64,
    /// The interval of a customer with one visit when no customer has two: otherwise the
    /// median interval of the customers who have.
    pub default_interval_days: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            basis: SpendBasis::Share,
            scope: ClassScope::Store,
            key_pct: 20,
            major_pct: 50,
            ordinary_pct: 80,
            frequency_high: 12,
            frequency_medium: 4,
            value_high: 12,
            value_medium: 8,
            new_days: 90,
            active_intervals: 2.0,
            lost_intervals: 4.0,
            min_interval_days: 7,
            default_interval_days: 60,
        }
    }
}

/// A rule that makes no sense, by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub field: &'static str,
    pub key: &'static str,
}

impl Rules {
    pub fn check(&self) -> Result<(), RuleError> {
        let bad = |field, key| Err(RuleError { field, key });
        if !(self.key_pct > 0
            && self.key_pct < self.major_pct
            && self.major_pct < self.ordinary_pct
            && self.ordinary_pct < 100)
        {
            return bad("key_pct", "error.classes.percentages");
        }
        if !(self.frequency_medium > 0 && self.frequency_medium < self.frequency_high) {
            return bad("frequency_high", "error.classes.frequency");
        }
        if !(3 < self.value_medium && self.value_medium < self.value_high && self.value_high <= 15)
        {
            return bad("value_high", "error.classes.value");
        }
        if self.new_days < 0 {
            return bad("new_days", "error.classes.days");
        }
        let finite = self.active_intervals.is_finite() && self.lost_intervals.is_finite();
        if !(finite && self.active_intervals > 0.0 && self.active_intervals < self.lost_intervals) {
            return bad("active_intervals", "error.classes.intervals");
        }
        if self.min_interval_days < 1 || self.default_interval_days < 1 {
            return bad("min_interval_days", "error.classes.days");
        }
        Ok(())
    }
}

/// Classifies the whole population as of `today_ms`. The answer is in the input's order.
pub fn classify(facts: &[Facts], rules: &Rules, today_ms: i64) -> Vec<Classes> {
    // The rankings are independent: each on a thread of its own (a million customers take
    // a few hundred milliseconds of sorting in all).
    let ((spend_chain, spend_store), (rfm, usual)) = std::thread::scope(|s| {
        let chain = s.spawn(|| {
            let mut out = vec![SpendClass::Small; facts.len()];
            let all: Vec<usize> = (0..facts.len()).collect();
            spend_classes(facts, &all, rules, &mut out);
            out
        });
        let stores = s.spawn(|| {
            let mut out = vec![SpendClass::Small; facts.len()];
            let mut by_store: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
            for (i, f) in facts.iter().enumerate() {
                by_store.entry(f.store_id).or_default().push(i);
            }
            for members in by_store.values() {
                spend_classes(facts, members, rules, &mut out);
            }
            out
        });
        let rfm = rfm_scores(facts);
        let usual = median_interval_days(facts).unwrap_or(rules.default_interval_days as f64);
        let join = |h: std::thread::ScopedJoinHandle<'_, Vec<SpendClass>>| {
            h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
        };
        ((join(chain), join(stores)), (rfm, usual))
    });
    facts
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let rfm = rfm[i];
            let spend = match rules.scope {
                ClassScope::Store => spend_store[i],
                ClassScope::Chain => spend_chain[i],
            };
            let label = match (f.history, spend) {
                (None, _) => Label::Potential,
                (Some(_), SpendClass::Key) => Label::Vip,
                (Some(_), _) => Label::Regular,
            };
            Classes {
                customer_id: f.customer_id,
                store_id: f.store_id,
                spend_store: spend_store[i],
                spend_chain: spend_chain[i],
                frequency: frequency(f.visits_12m, rules),
                rfm,
                value: rfm.map(|s| value(s, rules)),
                lifecycle: f.history.map(|h| lifecycle(&h, rules, usual, today_ms)),
                label,
            }
        })
        .collect()
}

fn frequency(visits: i64, rules: &Rules) -> Level {
    if visits >= rules.frequency_high {
        Level::High
    } else if visits >= rules.frequency_medium {
        Level::Medium
    } else {
        Level::Low
    }
}

fn value(rfm: Rfm, rules: &Rules) -> Level {
    let total = rfm.total();
    if total >= rules.value_high {
        Level::High
    } else if total >= rules.value_medium {
        Level::Medium
    } else {
        Level::Low
    }
}

/// The spend classes of `members` (indexes into `facts`), written into `out`.
fn spend_classes(facts: &[Facts], members: &[usize], rules: &Rules, out: &mut [SpendClass]) {
    let mut buyers: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| facts[i].spend_12m_fen > 0)
        .collect();
    buyers.sort_unstable_by_key(|&i| std::cmp::Reverse(facts[i].spend_12m_fen));
    let total: i128 = buyers
        .iter()
        .map(|&i| i128::from(facts[i].spend_12m_fen))
        .sum();
    let count = buyers.len() as i128;
    // Where the class of a tie group is decided: the spend before it, or its first rank.
    let class_at = |before: i128, rank: i128| {
        let (position, whole) = match rules.basis {
            SpendBasis::Share => (before, total),
            SpendBasis::Count => (rank, count),
        };
        let below = |pct: u32| position * 100 < i128::from(pct) * whole;
        if below(rules.key_pct) {
            SpendClass::Key
        } else if below(rules.major_pct) {
            SpendClass::Major
        } else if below(rules.ordinary_pct) {
            SpendClass::Ordinary
        } else {
            SpendClass::Small
        }
    };
    let (mut before, mut start) = (0i128, 0usize);
    while start < buyers.len() {
        let spend = facts[buyers[start]].spend_12m_fen;
        let end = start
            + buyers[start..]
                .iter()
                .take_while(|&&i| facts[i].spend_12m_fen == spend)
                .count();
        let class = class_at(before, start as i128);
        for &i in &buyers[start..end] {
            out[i] = class;
        }
        before += i128::from(spend) * (end - start) as i128;
        start = end;
    }
}

/// RFM quintile scores of every buyer: recency by the last purchase, frequency by visits and
/// monetary by spend, both in the twelve months.
fn rfm_scores(facts: &[Facts]) -> Vec<Option<Rfm>> {
    let buyers: Vec<(usize, History)> = facts
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.history.map(|h| (i, h)))
        .collect();
    let r = quintiles(&buyers, facts.len(), |(_, h)| h.last_ms);
    let f = quintiles(&buyers, facts.len(), |(i, _)| facts[*i].visits_12m);
    let m = quintiles(&buyers, facts.len(), |(i, _)| facts[*i].spend_12m_fen);
    (0..facts.len())
        .map(|i| match (r[i], f[i], m[i]) {
            (Some(r), Some(f), Some(m)) => Some(Rfm { r, f, m }),
            _ => None,
        })
        .collect()
}

/// Scores 1 to 5 by `key`, higher is better: the fifth of `items` (ranked from the lowest)
/// the first of each tie group falls in. Indexed like the population (`len`).
fn quintiles(
    items: &[(usize, History)],
    len: usize,
    key: impl Fn(&(usize, History)) -> i64,
) -> Vec<Option<u8>> {
    let mut order: Vec<(i64, usize)> = items.iter().map(|it| (key(it), it.0)).collect();
    order.sort_unstable();
    let n = order.len();
    let mut out = vec![None; len];
    let mut start = 0;
    while start < n {
        let k = order[start].0;
        let end = start + order[start..].iter().take_while(|(v, _)| *v == k).count();
        // start < n, so the score is at most 5.
        let score = 1 + (start * 5 / n) as u8;
        for &(_, i) in &order[start..end] {
            out[i] = Some(score);
        }
        start = end;
    }
    out
}

/// Mean days between visits of one customer with at least two.
fn interval_days(h: &History) -> Option<f64> {
    (h.visits > 1).then(|| (h.last_ms - h.first_ms) as f64 / DAY_MS as f64 / (h.visits - 1) as f64)
}

/// The median of the customers' own intervals: what a customer with one visit is judged by.
fn median_interval_days(facts: &[Facts]) -> Option<f64> {
    let mut all: Vec<f64> = facts
        .iter()
        .filter_map(|f| f.history.as_ref().and_then(interval_days))
        .collect();
    if all.is_empty() {
        return None;
    }
    all.sort_unstable_by(f64::total_cmp);
    Some(all[all.len() / 2])
}

fn lifecycle(h: &History, rules: &Rules, usual: f64, today_ms: i64) -> Lifecycle {
    if today_ms - h.first_ms < rules.new_days * DAY_MS {
        return Lifecycle::New;
    }
    let interval = interval_days(h)
        .unwrap_or(usual)
        .max(rules.min_interval_days as f64);
    let away = (today_ms - h.last_ms) as f64 / DAY_MS as f64;
    if away <= rules.active_intervals * interval {
        Lifecycle::Active
    } else if away <= rules.lost_intervals * interval {
        Lifecycle::Dormant
    } else {
        Lifecycle::Lost
    }
}

#[cfg(test)]
mod tests;
