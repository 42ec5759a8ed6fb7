use super::*;
use proptest::prelude::*;

const TODAY: i64 = 1_800_000_000_000;

fn buyer(id: i64, store: i64, spend: i64, visits: i64) -> Facts {
    Facts {
        customer_id: id,
        store_id: store,
        spend_12m_fen: spend,
        visits_12m: visits,
        history: Some(History {
            first_ms: TODAY - 400 * DAY_MS,
            last_ms: TODAY - 10 * DAY_MS,
            visits: visits.max(1),
        }),
    }
}

fn never(id: i64, store: i64) -> Facts {
    Facts {
        customer_id: id,
        store_id: store,
        spend_12m_fen: 0,
        visits_12m: 0,
        history: None,
    }
}

#[test]
fn spend_share_follows_cumulative_spend() {
    // Total 1,000: the first customer alone is half of it.
    let spends = [500, 200, 100, 60, 50, 40, 20, 15, 10, 5];
    let facts: Vec<Facts> = spends
        .iter()
        .enumerate()
        .map(|(i, s)| buyer(i as i64, 1, *s, 3))
        .collect();
    let got: Vec<SpendClass> = classify(&facts, &Rules::default(), TODAY)
        .iter()
        .map(|c| c.spend_chain)
        .collect();
    use SpendClass::*;
    // Spend before each: 0, 500 (50 %), 700 (70 %), 800 (80 %) ...
    assert_eq!(
        got,
        [
            Key, Ordinary, Ordinary, Small, Small, Small, Small, Small, Small, Small
        ]
    );
}

#[test]
fn ties_share_a_class() {
    let facts: Vec<Facts> = (0..10).map(|i| buyer(i, 1, 100, 2)).collect();
    let classes = classify(&facts, &Rules::default(), TODAY);
    assert!(classes.iter().all(|c| c.spend_chain == SpendClass::Key));
    let rfm: Vec<Option<Rfm>> = classes.iter().map(|c| c.rfm).collect();
    assert!(rfm.iter().all(|r| *r == Some(Rfm { r: 1, f: 1, m: 1 })));
}

#[test]
fn count_basis_ranks_buyers_and_leaves_non_buyers_small() {
    let mut facts: Vec<Facts> = (0..10).map(|i| buyer(i, 1, 1_000 - i * 10, 2)).collect();
    facts.push(never(10, 1));
    facts.push(buyer(11, 1, 0, 0));
    let rules = Rules {
        basis: SpendBasis::Count,
        ..Rules::default()
    };
    let got: Vec<SpendClass> = classify(&facts, &rules, TODAY)
        .iter()
        .map(|c| c.spend_chain)
        .collect();
    use SpendClass::*;
    assert_eq!(
        got,
        [
            Key, Key, Major, Major, Major, Ordinary, Ordinary, Ordinary, Small, Small, Small, Small
        ]
    );
}

#[test]
fn store_classes_rank_within_the_store() {
    // Store 2's best customer spends less than anyone in store 1.
    let facts = vec![
        buyer(1, 1, 90_000, 5),
        buyer(2, 1, 80_000, 5),
        buyer(3, 1, 70_000, 5),
        buyer(4, 2, 1_000, 5),
        buyer(5, 2, 100, 5),
    ];
    let classes = classify(&facts, &Rules::default(), TODAY);
    assert_eq!(classes[3].spend_store, SpendClass::Key);
    assert_eq!(classes[3].spend_chain, SpendClass::Small);
    assert_eq!(classes[3].label, Label::Vip);
    let chain = Rules {
        scope: ClassScope::Chain,
        ..Rules::default()
    };
    let classes = classify(&facts, &chain, TODAY);
    assert_eq!(classes[3].label, Label::Regular);
    assert_eq!(classes[0].label, Label::Vip);
}

#[test]
fn rfm_quintiles_and_value() {
    // Ten buyers, each better than the last on all three.
    let facts: Vec<Facts> = (0..10)
        .map(|i| Facts {
            customer_id: i,
            store_id: 1,
            spend_12m_fen: 100 * (i + 1),
            visits_12m: i + 1,
            history: Some(History {
                first_ms: TODAY - 500 * DAY_MS,
                last_ms: TODAY - (100 - i) * DAY_MS,
                visits: 20,
            }),
        })
        .collect();
    let classes = classify(&facts, &Rules::default(), TODAY);
    let scores: Vec<u8> = classes.iter().filter_map(|c| c.rfm).map(|s| s.r).collect();
    assert_eq!(scores, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    let values: Vec<Option<Level>> = classes.iter().map(|c| c.value).collect();
    use Level::*;
    // Totals 3, 3, 6, 6, 9, 9, 12, 12, 15, 15.
    assert_eq!(
        values,
        [Low, Low, Low, Low, Medium, Medium, High, High, High, High].map(Some)
    );
}

#[test]
fn frequency_levels() {
    let facts = vec![
        buyer(1, 1, 10, 12),
        buyer(2, 1, 10, 11),
        buyer(3, 1, 10, 4),
        buyer(4, 1, 10, 3),
    ];
    let got: Vec<Level> = classify(&facts, &Rules::default(), TODAY)
        .iter()
        .map(|c| c.frequency)
        .collect();
    assert_eq!(got, [Level::High, Level::Medium, Level::Medium, Level::Low]);
}

fn visits(id: i64, first_days_ago: i64, last_days_ago: i64, visits: i64) -> Facts {
    Facts {
        customer_id: id,
        store_id: 1,
        spend_12m_fen: 100,
        visits_12m: 1,
        history: Some(History {
            first_ms: TODAY - first_days_ago * DAY_MS,
            last_ms: TODAY - last_days_ago * DAY_MS,
            visits,
        }),
    }
}

#[test]
fn lifecycle_is_judged_against_the_customers_own_interval() {
    let facts = vec![
        // First bought 30 days ago: new.
        visits(1, 30, 30, 1),
        // Every 30 days over 300 days, last 50 days ago: within two intervals.
        visits(2, 350, 50, 11),
        // The same rhythm, last 100 days ago: dormant (more than 60, at most 120).
        visits(3, 400, 100, 11),
        // Last 130 days ago: lost.
        visits(4, 430, 130, 11),
        // Every 100 days, last 150 days ago: still active for this customer.
        visits(5, 450, 150, 4),
        // A visit a day for 75 days, the last 20 days ago: judged by the seven-day floor,
        // dormant (a one-day interval would have made this customer lost after four days).
        visits(6, 95, 20, 76),
        visits(7, 200, 20, 2),
        never(8, 1),
    ];
    let got: Vec<Option<Lifecycle>> = classify(&facts, &Rules::default(), TODAY)
        .iter()
        .map(|c| c.lifecycle)
        .collect();
    use Lifecycle::*;
    assert_eq!(
        got,
        [
            Some(New),
            Some(Active),
            Some(Dormant),
            Some(Lost),
            Some(Active),
            Some(Dormant),
            Some(Active),
            None
        ]
    );
}

#[test]
fn one_visit_customers_take_the_median_interval() {
    // Intervals 10, 20 and 100 days: the median is 20, so one visit 50 days ago is dormant
    // (more than 40, at most 80) and one 90 days ago is lost.
    let facts = vec![
        visits(1, 300, 280, 3),
        visits(2, 300, 260, 3),
        visits(3, 300, 100, 3),
        visits(4, 120, 50, 1),
        visits(5, 120, 90, 1),
    ];
    let classes = classify(&facts, &Rules::default(), TODAY);
    assert_eq!(classes[3].lifecycle, Some(Lifecycle::Dormant));
    assert_eq!(classes[4].lifecycle, Some(Lifecycle::Lost));
}

#[test]
fn never_bought_is_potential() {
    let facts = vec![never(1, 1), buyer(2, 1, 100, 1)];
    let classes = classify(&facts, &Rules::default(), TODAY);
    assert_eq!(classes[0].label, Label::Potential);
    assert_eq!(classes[0].rfm, None);
    assert_eq!(classes[0].value, None);
    assert_eq!(classes[0].spend_store, SpendClass::Small);
    assert_eq!(classes[1].label, Label::Vip);
}

#[test]
fn rules_are_checked() {
    assert_eq!(Rules::default().check(), Ok(()));
    let bad = Rules {
        major_pct: 10,
        ..Rules::default()
    };
    assert_eq!(bad.check().map_err(|e| e.field), Err("key_pct"));
    let bad = Rules {
        lost_intervals: 1.0,
        ..Rules::default()
    };
    assert_eq!(bad.check().map_err(|e| e.field), Err("active_intervals"));
    let bad = Rules {
        value_high: 16,
        ..Rules::default()
    };
    assert_eq!(bad.check().map_err(|e| e.field), Err("value_high"));
}

proptest! {
    /// Against a direct reading of the handbook: a customer's class is set by the share of
    /// the total spent by customers who spent strictly more.
    #[test]
    fn spend_share_matches_the_definition(spends in proptest::collection::vec(0i64..2_000, 1..80)) {
        let facts: Vec<Facts> = spends
            .iter()
            .enumerate()
            .map(|(i, s)| buyer(i as i64, (i % 3) as i64, *s, 1))
            .collect();
        let rules = Rules::default();
        let classes = classify(&facts, &rules, TODAY);
        let total: i64 = spends.iter().sum();
        for (i, s) in spends.iter().enumerate() {
            let above: i64 = spends.iter().filter(|o| *o > s).sum();
            let expected = if *s == 0 {
                SpendClass::Small
            } else if above * 100 < 20 * total {
                SpendClass::Key
            } else if above * 100 < 50 * total {
                SpendClass::Major
            } else if above * 100 < 80 * total {
                SpendClass::Ordinary
            } else {
                SpendClass::Small
            };
            prop_assert_eq!(classes[i].spend_chain, expected);
        }
    }

    /// Quintile scores follow the order of the figure and each fifth holds about a fifth.
    #[test]
    fn quintiles_are_monotone(spends in proptest::collection::vec(1i64..50, 5..200)) {
        let facts: Vec<Facts> = spends
            .iter()
            .enumerate()
            .map(|(i, s)| buyer(i as i64, 1, *s, 1))
            .collect();
        let classes = classify(&facts, &Rules::default(), TODAY);
        for a in 0..facts.len() {
            for b in 0..facts.len() {
                let (ma, mb) = (classes[a].rfm.map(|r| r.m), classes[b].rfm.map(|r| r.m));
                if spends[a] < spends[b] {
                    prop_assert!(ma <= mb);
                }
                if spends[a] == spends[b] {
                    prop_assert_eq!(ma, mb);
                }
            }
        }
    }
}
