//! An explainable churn score: points for each warning sign, so staff see why a customer is
//! on the list. Signs: days since the last visit against the customer's own rhythm, fewer
//! visits and less spend in the last six months than in the six before, and open or badly
//! rated complaints (fed by the service desk once tickets exist). Read from the running
//! statistics and monthly figures, never from the sales history.

use crate::FieldError;
use serde::{Deserialize, Serialize};

/// What the score reads about one customer who has bought at least once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChurnFacts {
    pub days_since_last: i64,
    /// Days with a purchase, ever, and the span between the first and the last.
    pub visits: i64,
    pub span_days: i64,
    pub visits_recent: i64,
    pub visits_before: i64,
    pub spend_recent_fen: i64,
    pub spend_before_fen: i64,
    pub open_complaints: i64,
    pub low_rating: bool,
}

/// Weights and thresholds; stored as the `churn.rules` setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChurnRules {
    /// Points for being overdue, reached in full at `overdue_full_times` the usual interval.
    pub overdue_weight: u32,
    pub overdue_full_times: u32,
    /// The usual interval assumed for customers with a single visit.
    pub default_interval_days: u32,
    /// Points for a fall in visits or spend, reached in full when they fall to nothing; a
    /// fall smaller than `drop_from_percent` counts nothing.
    pub frequency_weight: u32,
    pub spend_weight: u32,
    pub drop_from_percent: u32,
    /// Points for an open complaint (half for a recent low satisfaction rating).
    pub complaint_weight: u32,
    /// Customers at or above this score are on the warning list.
    pub warn_at: u32,
}

impl Default for ChurnRules {
    fn default() -> Self {
        Self {
            overdue_weight: 40,
            overdue_full_times: 3,
            default_interval_days: 60,
            frequency_weight: 20,
            spend_weight: 20,
            drop_from_percent: 30,
            complaint_weight: 20,
            warn_at: 50,
        }
    }
}

impl ChurnRules {
    pub fn check(&self) -> Result<(), FieldError> {
        let total =
            self.overdue_weight + self.frequency_weight + self.spend_weight + self.complaint_weight;
        if total == 0 || total > 200 {
            return Err(FieldError::new("overdue_weight", "error.churn.weights"));
        }
        if self.overdue_full_times < 2 || self.overdue_full_times > 20 {
            return Err(FieldError::new("overdue_full_times", "error.churn.times"));
        }
        if self.default_interval_days == 0 || self.default_interval_days > 730 {
            return Err(FieldError::new(
                "default_interval_days",
                "error.churn.interval",
            ));
        }
        if self.drop_from_percent > 100 {
            return Err(FieldError::new("drop_from_percent", "error.churn.percent"));
        }
        if self.warn_at == 0 || self.warn_at > 100 {
            return Err(FieldError::new("warn_at", "error.churn.percent"));
        }
        Ok(())
    }
}

/// One warning sign with its figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "sign", rename_all = "snake_case")]
pub enum Reason {
    Overdue { days: i64, usual: i64 },
    FewerVisits { recent: i64, before: i64 },
    LessSpend { recent_fen: i64, before_fen: i64 },
    OpenComplaints { count: i64 },
    LowRating,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sign {
    #[serde(flatten)]
    pub reason: Reason,
    pub points: u32,
}

/// A score from 0 to 100 and the signs that make it up, largest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChurnScore {
    pub score: u32,
    pub signs: Vec<Sign>,
}

fn share(weight: u32, fraction: f64) -> u32 {
    (f64::from(weight) * fraction.clamp(0.0, 1.0)).round() as u32
}

/// A fall from `before` to `recent` as a fraction (0 when nothing fell or too little to say).
fn fall(recent: i64, before: i64, from_percent: u32) -> f64 {
    if before <= 0 || recent >= before {
        return 0.0;
    }
    let f = 1.0 - recent as f64 / before as f64;
    if f * 100.0 + 1e-9 < f64::from(from_percent) {
        0.0
    } else {
        f
    }
}

pub fn score(f: &ChurnFacts, r: &ChurnRules) -> ChurnScore {
    let mut signs = Vec::new();
    let usual = if f.visits >= 2 {
        (f.span_days / (f.visits - 1)).max(1)
    } else {
        i64::from(r.default_interval_days)
    };
    let times = f.days_since_last as f64 / usual as f64;
    if times > 1.0 {
        let full = f64::from(r.overdue_full_times.max(2));
        let points = share(r.overdue_weight, (times - 1.0) / (full - 1.0));
        if points > 0 {
            signs.push(Sign {
                reason: Reason::Overdue {
                    days: f.days_since_last,
                    usual,
                },
                points,
            });
        }
    }
    // A fall in visits means little below two visits in the earlier half-year.
    if f.visits_before >= 2 {
        let points = share(
            r.frequency_weight,
            fall(f.visits_recent, f.visits_before, r.drop_from_percent),
        );
        if points > 0 {
            signs.push(Sign {
                reason: Reason::FewerVisits {
                    recent: f.visits_recent,
                    before: f.visits_before,
                },
                points,
            });
        }
    }
    let points = share(
        r.spend_weight,
        fall(f.spend_recent_fen, f.spend_before_fen, r.drop_from_percent),
    );
    if points > 0 {
        signs.push(Sign {
            reason: Reason::LessSpend {
                recent_fen: f.spend_recent_fen,
                before_fen: f.spend_before_fen,
            },
            points,
        });
    }
    if f.open_complaints > 0 && r.complaint_weight > 0 {
        signs.push(Sign {
            reason: Reason::OpenComplaints {
                count: f.open_complaints,
            },
            points: r.complaint_weight,
        });
    } else if f.low_rating && r.complaint_weight > 1 {
        signs.push(Sign {
            reason: Reason::LowRating,
            points: r.complaint_weight / 2,
        });
    }
    signs.sort_by_key(|s| std::cmp::Reverse(s.points));
    let score = signs.iter().map(|s| s.points).sum::<u32>().min(100);
    ChurnScore { score, signs }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regular() -> ChurnFacts {
        // Twelve visits over 330 days: every 30 days.
        ChurnFacts {
            days_since_last: 20,
            visits: 12,
            span_days: 330,
            visits_recent: 6,
            visits_before: 6,
            spend_recent_fen: 300_000,
            spend_before_fen: 300_000,
            ..Default::default()
        }
    }

    #[test]
    fn a_customer_on_their_rhythm_scores_nothing() {
        assert_eq!(
            score(&regular(), &ChurnRules::default()),
            ChurnScore::default()
        );
    }

    #[test]
    fn overdue_counts_against_their_own_interval() {
        let r = ChurnRules::default();
        // 60 days against a usual 30: twice the interval, half way to the full three times.
        let s = score(
            &ChurnFacts {
                days_since_last: 60,
                ..regular()
            },
            &r,
        );
        assert_eq!(s.score, 20);
        assert_eq!(
            s.signs[0].reason,
            Reason::Overdue {
                days: 60,
                usual: 30
            }
        );
        // The same 60 days for a customer who comes every 90 days is nothing.
        let slow = ChurnFacts {
            days_since_last: 60,
            span_days: 990,
            ..regular()
        };
        assert_eq!(score(&slow, &r).score, 0);
        // Capped at the weight.
        assert_eq!(
            score(
                &ChurnFacts {
                    days_since_last: 400,
                    ..regular()
                },
                &r
            )
            .score,
            40
        );
    }

    #[test]
    fn falls_in_visits_and_spend_add_up_with_their_figures() {
        let r = ChurnRules::default();
        let f = ChurnFacts {
            days_since_last: 75,
            visits_recent: 1,
            visits_before: 5,
            spend_recent_fen: 20_000,
            spend_before_fen: 150_000,
            ..regular()
        };
        let s = score(&f, &r);
        // Overdue 2.5 times: 30; visits fell 80%: 16; spend fell 86.7%: 17.
        assert_eq!(
            s.signs.iter().map(|x| x.points).collect::<Vec<_>>(),
            vec![30, 17, 16]
        );
        assert_eq!(s.score, 63);
        assert!(s.signs.contains(&Sign {
            reason: Reason::FewerVisits {
                recent: 1,
                before: 5
            },
            points: 16
        }));
        // A fall under the threshold says nothing.
        let small = ChurnFacts {
            spend_recent_fen: 250_000,
            ..regular()
        };
        assert_eq!(score(&small, &r).score, 0);
    }

    #[test]
    fn single_visit_customers_use_the_default_interval_and_complaints_count() {
        let r = ChurnRules::default();
        let once = ChurnFacts {
            days_since_last: 150,
            visits: 1,
            span_days: 0,
            ..Default::default()
        };
        let s = score(&once, &r);
        assert_eq!(
            s.signs[0].reason,
            Reason::Overdue {
                days: 150,
                usual: 60
            }
        );
        assert_eq!(s.score, 30);
        let upset = ChurnFacts {
            open_complaints: 1,
            ..regular()
        };
        assert_eq!(score(&upset, &r).score, 20);
        let unhappy = ChurnFacts {
            low_rating: true,
            ..regular()
        };
        assert_eq!(score(&unhappy, &r).score, 10);
    }

    #[test]
    fn rules_are_checked() {
        assert!(ChurnRules::default().check().is_ok());
        let bad = ChurnRules {
            warn_at: 0,
            ..Default::default()
        };
        assert_eq!(bad.check().map_err(|e| e.field), Err("warn_at"));
        let bad = ChurnRules {
            overdue_full_times: 1,
            ..Default::default()
        };
        assert_eq!(bad.check().map_err(|e| e.field), Err("overdue_full_times"));
    }
}
