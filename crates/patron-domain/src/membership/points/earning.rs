//! How a sale earns points. The rounding rule, stated once: every line's paid amount is
//! multiplied exactly (base rate, category multiplier, tier multiplier, bonus multiplier),
//! the lines are summed, and the sum is rounded down to whole points once per sale, so a
//! receipt of many small lines earns what one line of the same total would.

use super::Points;
use jiff::civil::{Date, Weekday};
use std::collections::BTreeMap;

/// Multipliers are in thousandths: 1000 = ×1, 1500 = ×1.5, 0 = earns nothing.
pub type Permille = i64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarningRules {
    /// Points per yuan, in thousandths (1000: one point per ¥1).
    pub per_yuan: Permille,
    /// By category code; categories not listed earn at ×1. 0 excludes a category (tobacco,
    /// gift cards, deposits).
    pub categories: BTreeMap<String, Permille>,
    /// Member days and promotions. When several apply to a day, the largest counts; they do
    /// not multiply each other.
    pub bonuses: Vec<BonusPeriod>,
    /// Days before earned points can be used (0: at once).
    pub pending_days: u32,
}

impl Default for EarningRules {
    fn default() -> Self {
        Self {
            per_yuan: 1000,
            categories: BTreeMap::new(),
            bonuses: Vec::new(),
            pending_days: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BonusPeriod {
    pub days: BonusDays,
    pub multiplier: Permille,
}

/// Which local days a bonus covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BonusDays {
    /// Every such weekday (a weekly member day).
    Weekday(Weekday),
    /// That day of every month (a monthly member day, 1 to 31).
    DayOfMonth(i8),
    /// From the first to the last date, both included.
    Between(Date, Date),
}

impl BonusDays {
    pub fn covers(&self, day: Date) -> bool {
        match self {
            BonusDays::Weekday(w) => day.weekday() == *w,
            BonusDays::DayOfMonth(d) => day.day() == *d,
            BonusDays::Between(from, to) => *from <= day && day <= *to,
        }
    }
}

/// One line of a sale as points see it: its category and what was paid for it (fen, after
/// discounts and coupons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleLine<'a> {
    pub category: &'a str,
    pub paid_fen: i64,
}

/// What a sale earned, and the paid amount that earned it (the base for taking points back
/// pro rata on a refund).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Earned {
    pub points: Points,
    /// Fen of lines in categories that earn (multiplier above zero).
    pub eligible_fen: i64,
    /// The bonus multiplier that applied (1000 when none did).
    pub bonus: Permille,
}

impl EarningRules {
    /// Whether lines of a category earn points (its multiplier is above zero).
    pub fn earns(&self, category: &str) -> bool {
        self.categories.get(category).copied().unwrap_or(1000) > 0
    }

    /// The bonus multiplier for a local day: the largest applicable, ×1 when none.
    pub fn bonus_on(&self, day: Date) -> Permille {
        self.bonuses
            .iter()
            .filter(|b| b.days.covers(day))
            .map(|b| b.multiplier)
            .max()
            .unwrap_or(1000)
            .max(1000)
    }

    /// Points for a sale on local day `day` by a member whose tier multiplies by `tier`.
    /// Negative amounts (returns on a mixed receipt) earn nothing here; refunds go through
    /// `pro_rata_part`.
    pub fn earn(&self, lines: &[SaleLine<'_>], tier: Permille, day: Date) -> Earned {
        let bonus = self.bonus_on(day);
        let mut sum: i128 = 0;
        let mut eligible_fen: i64 = 0;
        for line in lines {
            let category = self.categories.get(line.category).copied().unwrap_or(1000);
            if category <= 0 || line.paid_fen <= 0 {
                continue;
            }
            eligible_fen = eligible_fen.saturating_add(line.paid_fen);
            sum += i128::from(line.paid_fen) * i128::from(category);
        }
        // fen × per-yuan‰ × category‰ × tier‰ × bonus‰, over 100 fen per yuan and 1000⁴.
        let scale: i128 = 100 * 1000 * 1000 * 1000 * 1000;
        let total =
            sum * i128::from(self.per_yuan.max(0)) * i128::from(tier.max(0)) * i128::from(bonus)
                / scale;
        Earned {
            points: Points::try_from(total).unwrap_or(Points::MAX),
            eligible_fen,
            bonus,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn line(category: &str, paid_fen: i64) -> SaleLine<'_> {
        SaleLine { category, paid_fen }
    }

    #[test]
    fn rates_categories_tiers_and_member_days() {
        let mut rules = EarningRules {
            categories: [("tobacco".to_string(), 0), ("tiles".to_string(), 2000)]
                .into_iter()
                .collect(),
            bonuses: vec![
                BonusPeriod {
                    days: BonusDays::Weekday(Weekday::Wednesday),
                    multiplier: 2000,
                },
                BonusPeriod {
                    days: BonusDays::DayOfMonth(18),
                    multiplier: 1500,
                },
            ],
            ..Default::default()
        };
        // Tuesday 2027-06-15: ¥99.99 + ¥10.00 of tobacco + ¥50.50 of tiles at ×2.
        let lines = [
            line("paint", 9999),
            line("tobacco", 1000),
            line("tiles", 5050),
        ];
        let e = rules.earn(&lines, 1000, day("2027-06-15"));
        // 99.99 + 101.00 = 200.99, rounded down once.
        assert_eq!((e.points, e.eligible_fen, e.bonus), (200, 15049, 1000));
        // A gold member (×1.5) on a Wednesday (×2): 200.99 × 3 = 602.97.
        assert_eq!(rules.earn(&lines, 1500, day("2027-06-16")).points, 602);
        // Wednesday the 18th: the larger bonus counts, they do not stack.
        assert_eq!(rules.bonus_on(day("2027-08-18")), 2000);
        // Many small lines earn what one line of the same total earns.
        let small: Vec<SaleLine> = (0..10).map(|_| line("paint", 150)).collect();
        assert_eq!(rules.earn(&small, 1000, day("2027-06-15")).points, 15);
        rules.per_yuan = 100; // one point per ¥10
        assert_eq!(
            rules
                .earn(&[line("paint", 9999)], 1000, day("2027-06-15"))
                .points,
            9
        );
    }

    proptest! {
        #[test]
        fn never_negative_and_splitting_a_line_never_earns_more(
            paid in proptest::collection::vec(-10_000i64..10_000_000, 0..10),
            tier in 0i64..5000,
            split in 1i64..100,
        ) {
            let rules = EarningRules::default();
            let d = day("2027-06-15");
            let lines: Vec<SaleLine> = paid.iter().map(|p| line("x", *p)).collect();
            let whole = rules.earn(&lines, tier, d);
            prop_assert!(whole.points >= 0);
            // The same money cut into more lines: same points (one rounding per sale).
            let cut: Vec<SaleLine> = paid
                .iter()
                .filter(|p| **p > 0)
                .flat_map(|p| {
                    let part = p / split;
                    let mut v = vec![line("x", part); split as usize - 1];
                    v.push(line("x", p - part * (split - 1)));
                    v
                })
                .collect();
            prop_assert_eq!(rules.earn(&cut, tier, d).points, whole.points);
        }
    }
}
