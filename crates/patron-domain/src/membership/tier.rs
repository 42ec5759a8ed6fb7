//! Tiers. A member qualifies for a tier by rolling twelve-month spend, visits or points
//! earned (any one, or all, of the thresholds set). An upgrade happens on the qualifying sale;
//! a downgrade only at a review date, by one tier at most (the grace rule), so a member who
//! had a quiet year is not dropped from 钻石卡 to 普通会员 at once.

use crate::FieldError;

/// A member's rolling twelve months.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standing {
    pub spend_fen: i64,
    pub visits: i64,
    pub points: i64,
}

/// How the thresholds of a tier combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Any one threshold reached is enough.
    Any,
    /// Every threshold set must be reached.
    All,
}

/// A tier's minimum for one measure, and how to read that measure from a standing.
type Threshold = (Option<i64>, fn(&Standing) -> i64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    pub code: String,
    pub name: String,
    pub min_spend_fen: Option<i64>,
    pub min_visits: Option<i64>,
    pub min_points: Option<i64>,
    pub admission: Admission,
    /// Benefit: points earned are multiplied by this, in thousandths (1500 = ×1.5).
    pub points_permille: i64,
    /// Benefit: the price members of this tier pay, in thousandths (950 = 95折). Offered by
    /// the till page; a POS system applies its own prices and sends the discount per line.
    pub discount_permille: i64,
}

impl Tier {
    fn thresholds(&self) -> [Threshold; 3] {
        [
            (self.min_spend_fen, |s| s.spend_fen),
            (self.min_visits, |s| s.visits),
            (self.min_points, |s| s.points),
        ]
    }

    /// Whether a standing earns this tier. A tier without thresholds (the entry tier) is
    /// open to everyone.
    pub fn admits(&self, s: &Standing) -> bool {
        let set: Vec<bool> = self
            .thresholds()
            .iter()
            .filter_map(|(min, get)| min.map(|m| get(s) >= m))
            .collect();
        match (set.is_empty(), self.admission) {
            (true, _) => true,
            (false, Admission::Any) => set.iter().any(|b| *b),
            (false, Admission::All) => set.iter().all(|b| *b),
        }
    }
}

/// What is missing to reach a tier. With `Admission::Any`, reaching any one of them is
/// enough; with `All`, every non-zero one is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub tier: String,
    pub spend_fen: Option<i64>,
    pub visits: Option<i64>,
    pub points: Option<i64>,
    pub admission: Admission,
}

/// The tiers of a chain, lowest first. The first admits everyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierLadder {
    tiers: Vec<Tier>,
}

impl TierLadder {
    /// Checks the ladder: at least one tier, unique codes, an entry tier without
    /// thresholds, and thresholds that do not fall as tiers rise.
    pub fn new(tiers: Vec<Tier>) -> Result<TierLadder, FieldError> {
        let err = |key| FieldError::new("tiers", key);
        let Some(first) = tiers.first() else {
            return Err(err("error.tier.none"));
        };
        if first.thresholds().iter().any(|(m, _)| m.is_some()) {
            return Err(err("error.tier.entry_has_threshold"));
        }
        for (i, t) in tiers.iter().enumerate() {
            if t.code.trim().is_empty() || t.name.trim().is_empty() {
                return Err(err("error.tier.unnamed"));
            }
            if tiers[..i].iter().any(|o| o.code == t.code) {
                return Err(err("error.tier.duplicate"));
            }
            if t.thresholds().iter().any(|(m, _)| m.is_some_and(|v| v < 0)) {
                return Err(err("error.tier.negative"));
            }
            if !(0..=10_000).contains(&t.points_permille)
                || !(1..=1000).contains(&t.discount_permille)
            {
                return Err(err("error.tier.benefit"));
            }
        }
        for w in tiers.windows(2) {
            let falls = w[0]
                .thresholds()
                .iter()
                .zip(w[1].thresholds().iter())
                .any(|((lo, _), (hi, _))| matches!((lo, hi), (Some(l), Some(h)) if h < l));
            if falls {
                return Err(err("error.tier.order"));
            }
        }
        Ok(TierLadder { tiers })
    }

    /// The default ladder of the handbooks: 普通会员, 银卡 (¥2,000 a year or 6 visits),
    /// 金卡 (¥10,000 or 15 visits), 钻石卡 (¥50,000).
    pub fn standard() -> TierLadder {
        let tier = |code: &str, name: &str, spend: Option<i64>, visits: Option<i64>, x: i64| Tier {
            code: code.into(),
            name: name.into(),
            min_spend_fen: spend,
            min_visits: visits,
            min_points: None,
            admission: Admission::Any,
            points_permille: x,
            discount_permille: 1000,
        };
        TierLadder {
            tiers: vec![
                tier("standard", "普通会员", None, None, 1000),
                tier("silver", "银卡", Some(200_000), Some(6), 1200),
                tier("gold", "金卡", Some(1_000_000), Some(15), 1500),
                tier("diamond", "钻石卡", Some(5_000_000), None, 2000),
            ],
        }
    }

    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    /// The tier at a rank (clamped to the ladder).
    pub fn at(&self, rank: usize) -> &Tier {
        &self.tiers[rank.min(self.tiers.len() - 1)]
    }

    /// Rank of a tier code (0 = entry); unknown codes rank as the entry tier.
    pub fn rank(&self, code: &str) -> usize {
        self.tiers.iter().position(|t| t.code == code).unwrap_or(0)
    }

    /// The highest tier a standing qualifies for.
    pub fn qualifying(&self, s: &Standing) -> usize {
        self.tiers.iter().rposition(|t| t.admits(s)).unwrap_or(0)
    }

    /// After a sale: the new tier's rank if the member now qualifies for a higher one.
    pub fn upgrade(&self, current: usize, s: &Standing) -> Option<usize> {
        let q = self.qualifying(s);
        (q > current).then_some(q)
    }

    /// At a review date: the tier the member holds from then on. Up to whatever they qualify
    /// for; down by one tier at most.
    pub fn review(&self, current: usize, s: &Standing) -> usize {
        let q = self.qualifying(s);
        if q >= current { q } else { current - 1 }
    }

    /// What is missing for the next tier above `current`, for "¥320 more to 金卡".
    pub fn progress(&self, current: usize, s: &Standing) -> Option<Progress> {
        let next = self.tiers.get(current + 1)?;
        let gap = |min: Option<i64>, have: i64| min.map(|m| (m - have).max(0));
        Some(Progress {
            tier: next.name.clone(),
            spend_fen: gap(next.min_spend_fen, s.spend_fen),
            visits: gap(next.min_visits, s.visits),
            points: gap(next.min_points, s.points),
            admission: next.admission,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(spend_yuan: i64, visits: i64) -> Standing {
        Standing {
            spend_fen: spend_yuan * 100,
            visits,
            points: 0,
        }
    }

    #[test]
    fn upgrades_at_once_and_downgrades_one_step_at_review() {
        let ladder = TierLadder::standard();
        assert_eq!(ladder.qualifying(&standing(1999, 5)), 0);
        assert_eq!(
            ladder.qualifying(&standing(0, 6)),
            1,
            "visits alone are enough"
        );
        assert_eq!(ladder.upgrade(0, &standing(10_000, 0)), Some(2));
        assert_eq!(ladder.upgrade(2, &standing(10_000, 0)), None);
        // A quiet year at 钻石卡: down to 金卡, not to 普通会员.
        assert_eq!(ladder.review(3, &standing(0, 0)), 2);
        assert_eq!(ladder.review(1, &standing(60_000, 0)), 3);
        let p = ladder.progress(1, &standing(9_680, 3)).expect("next");
        assert_eq!(
            (p.tier.as_str(), p.spend_fen, p.visits),
            ("金卡", Some(32_000), Some(12))
        );
        assert_eq!(ladder.progress(3, &standing(0, 0)), None);
    }

    #[test]
    fn all_thresholds_and_ladder_checks() {
        let mut tiers = TierLadder::standard().tiers().to_vec();
        tiers[2].admission = Admission::All;
        let ladder = TierLadder::new(tiers.clone()).expect("valid");
        assert_eq!(ladder.qualifying(&standing(10_000, 14)), 1);
        assert_eq!(ladder.qualifying(&standing(10_000, 15)), 2);
        let key = |t: Vec<Tier>| TierLadder::new(t).map(|_| ()).map_err(|e| e.key);
        assert_eq!(key(vec![]), Err("error.tier.none"));
        let mut bad = tiers.clone();
        bad[0].min_visits = Some(1);
        assert_eq!(key(bad), Err("error.tier.entry_has_threshold"));
        let mut bad = tiers.clone();
        bad[3].code = "gold".into();
        assert_eq!(key(bad), Err("error.tier.duplicate"));
        let mut bad = tiers;
        bad[3].min_spend_fen = Some(100);
        assert_eq!(key(bad), Err("error.tier.order"));
    }
}
