//! The service report's figures from one fact per ticket: counts by category, store,
//! product and staff; the Pareto of root causes; SLA compliance; time to first response and
//! to resolution in working minutes (median and 90th percentile, nearest rank); the reopen
//! rate; and satisfaction after resolution.

use std::collections::BTreeMap;

/// What the report reads about one ticket.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TicketFact {
    pub store_id: i64,
    pub category: String,
    pub product: String,
    pub assignee_id: Option<i64>,
    pub root_cause: Option<String>,
    /// Working minutes from filing to the first response, once responded.
    pub response_minutes: Option<i64>,
    pub response_breached: bool,
    /// Working minutes used until resolution, once resolved (resolved or closed now).
    pub resolution_minutes: Option<i64>,
    pub resolution_breached: bool,
    pub reopened: bool,
    pub satisfaction: Option<i64>,
    pub closed_unanswered: bool,
}

/// One root cause on the Pareto chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ParetoRow {
    pub cause: String,
    pub count: i64,
    pub percent: f64,
    /// Running share up to and including this cause.
    pub cumulative: f64,
}

/// Median and 90th percentile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spread {
    pub count: i64,
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceReport {
    pub total: i64,
    /// Largest first, ties by name.
    pub by_category: Vec<(String, i64)>,
    pub by_store: Vec<(i64, i64)>,
    pub by_product: Vec<(String, i64)>,
    /// `None`: not assigned.
    pub by_staff: Vec<(Option<i64>, i64)>,
    pub pareto: Vec<ParetoRow>,
    /// Shares of the responded (resolved) tickets that met their deadline, in percent.
    pub response_on_time: Option<f64>,
    pub resolution_on_time: Option<f64>,
    pub response: Spread,
    pub resolution: Spread,
    /// Share of resolved tickets reopened at least once, in percent.
    pub reopen_rate: Option<f64>,
    pub rated: i64,
    pub satisfaction_average: Option<f64>,
    /// Share of ratings of 4 or 5, in percent.
    pub satisfied: Option<f64>,
    pub closed_unanswered: i64,
}

/// The value at percentile `p` (0-100] of ascending `sorted`, by the nearest-rank method.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

fn spread(mut values: Vec<i64>) -> Spread {
    values.sort_unstable();
    Spread {
        count: values.len() as i64,
        median: percentile(&values, 50.0),
        p90: percentile(&values, 90.0),
    }
}

fn share(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

fn ranked<K: Ord + Clone>(counts: BTreeMap<K, i64>) -> Vec<(K, i64)> {
    let mut v: Vec<(K, i64)> = counts.into_iter().collect();
    // Stable sort keeps the key order among equal counts.
    v.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    v
}

pub fn summarise(facts: &[TicketFact]) -> ServiceReport {
    let mut category = BTreeMap::new();
    let mut store = BTreeMap::new();
    let mut product = BTreeMap::new();
    let mut staff = BTreeMap::new();
    let mut causes = BTreeMap::new();
    for f in facts {
        *category.entry(f.category.clone()).or_insert(0) += 1;
        *store.entry(f.store_id).or_insert(0) += 1;
        if !f.product.is_empty() {
            *product.entry(f.product.clone()).or_insert(0) += 1;
        }
        *staff.entry(f.assignee_id).or_insert(0) += 1;
        if let Some(c) = &f.root_cause {
            *causes.entry(c.clone()).or_insert(0) += 1;
        }
    }
    let caused: i64 = causes.values().sum();
    let mut running = 0;
    let pareto = ranked(causes)
        .into_iter()
        .map(|(cause, count)| {
            running += count;
            ParetoRow {
                cause,
                count,
                percent: 100.0 * count as f64 / caused as f64,
                cumulative: 100.0 * running as f64 / caused as f64,
            }
        })
        .collect();
    let responded: Vec<&TicketFact> = facts
        .iter()
        .filter(|f| f.response_minutes.is_some())
        .collect();
    let resolved: Vec<&TicketFact> = facts
        .iter()
        .filter(|f| f.resolution_minutes.is_some())
        .collect();
    let ratings: Vec<i64> = facts.iter().filter_map(|f| f.satisfaction).collect();
    ServiceReport {
        total: facts.len() as i64,
        by_category: ranked(category),
        by_store: ranked(store),
        by_product: ranked(product),
        by_staff: ranked(staff),
        pareto,
        response_on_time: share(
            responded.iter().filter(|f| !f.response_breached).count(),
            responded.len(),
        ),
        resolution_on_time: share(
            resolved.iter().filter(|f| !f.resolution_breached).count(),
            resolved.len(),
        ),
        response: spread(
            responded
                .iter()
                .filter_map(|f| f.response_minutes)
                .collect(),
        ),
        resolution: spread(
            resolved
                .iter()
                .filter_map(|f| f.resolution_minutes)
                .collect(),
        ),
        reopen_rate: share(
            resolved.iter().filter(|f| f.reopened).count(),
            resolved.len(),
        ),
        rated: ratings.len() as i64,
        satisfaction_average: (!ratings.is_empty())
            .then(|| ratings.iter().sum::<i64>() as f64 / ratings.len() as f64),
        satisfied: share(ratings.iter().filter(|r| **r >= 4).count(), ratings.len()),
        closed_unanswered: facts.iter().filter(|f| f.closed_unanswered).count() as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 50.0), Some(5));
        assert_eq!(percentile(&v, 90.0), Some(9));
        assert_eq!(percentile(&[7], 90.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
        // 20 values: the 90th percentile is the 18th.
        let w: Vec<i64> = (1..=20).map(|x| x * 10).collect();
        assert_eq!(percentile(&w, 90.0), Some(180));
    }

    #[test]
    fn pareto_runs_to_a_hundred_and_rates_count_what_they_should() {
        let fact = |cat: &str, cause: Option<&str>, resolved: Option<i64>| TicketFact {
            store_id: 1,
            category: cat.into(),
            root_cause: cause.map(String::from),
            response_minutes: Some(30),
            resolution_minutes: resolved,
            ..Default::default()
        };
        let mut facts = vec![
            fact("logistics", Some("late_delivery"), Some(100)),
            fact("logistics", Some("late_delivery"), Some(200)),
            fact("logistics", Some("late_delivery"), Some(300)),
            fact("installation", Some("installation_error"), Some(400)),
            fact("product_quality", None, None),
        ];
        facts[0].reopened = true;
        facts[1].resolution_breached = true;
        facts[0].satisfaction = Some(2);
        facts[1].satisfaction = Some(5);
        facts[2].satisfaction = Some(4);
        let r = summarise(&facts);
        assert_eq!(r.total, 5);
        assert_eq!(r.by_category[0], ("logistics".to_string(), 3));
        assert_eq!(r.pareto.len(), 2);
        assert_eq!(r.pareto[0].cause, "late_delivery");
        assert!((r.pareto[0].cumulative - 75.0).abs() < 1e-9);
        assert!((r.pareto[1].cumulative - 100.0).abs() < 1e-9);
        assert_eq!(r.reopen_rate, Some(25.0), "1 of 4 resolved");
        assert_eq!(r.resolution_on_time, Some(75.0));
        assert_eq!(r.response_on_time, Some(100.0));
        assert_eq!(r.resolution.median, Some(200));
        assert_eq!(r.resolution.p90, Some(400));
        assert_eq!(r.rated, 3);
        assert!((r.satisfied.expect("rated") - 200.0 / 3.0).abs() < 1e-9);
    }
}
