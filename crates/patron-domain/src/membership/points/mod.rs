//! Points as members hold them: lots with their own expiry, spent soonest-expiring first
//! (`lots`); how a sale earns them (`earning`); when they expire (`expiry`); and the
//! arithmetic that makes refunds in any number of parts take back exactly what a sale gave.
//! Points are whole numbers; nothing here reads the clock or touches storage.

pub mod earning;
pub mod expiry;
pub mod lots;

pub use earning::{BonusDays, BonusPeriod, Earned, EarningRules, SaleLine};
pub use expiry::ExpiryPolicy;
pub use lots::{Lot, Take, plan_redemption, usable_balance};

/// A number of points. Signed, because ledger entries take points away and a refund policy
/// may allow a negative balance.
pub type Points = i64;

crate::stored::stored_codes! {
    /// What a points ledger entry records.
    EntryKind {
        Earn => "earn",
        Redeem => "redeem",
        Expire => "expire",
        Adjust => "adjust",
        Clawback => "clawback",
        Restore => "restore",
    }

    /// A manual points adjustment: a large one waits for a second person's approval.
    AdjustmentStatus { Pending => "pending", Applied => "applied", Rejected => "rejected" }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    #[error("not enough usable points: {available} available, {wanted} wanted")]
    NotEnough { available: Points, wanted: Points },
    #[error("a number of points must be positive")]
    NotPositive,
}

/// The share of `total` that belongs to part of a base, computed on running sums so that the
/// parts always add up to `total` exactly: a sale refunded in three parts takes back exactly
/// the points it earned, never one more or one less. `before` is how much of `base` earlier
/// parts covered, `now` this part (both clamped to `base`). Each part is rounded down on the
/// running sum, so a member is never charged for a rounding before the last part.
pub fn pro_rata_part(total: Points, base: i64, before: i64, now: i64) -> Points {
    if base <= 0 || total == 0 {
        return 0;
    }
    let before = before.clamp(0, base);
    let after = (before + now.max(0)).min(base);
    let share = |covered: i64| -> Points {
        // i128: points times fen overflows i64 for large sales.
        let v = i128::from(total) * i128::from(covered) / i128::from(base);
        Points::try_from(v).unwrap_or(Points::MAX)
    };
    share(after) - share(before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_sale_refunded_in_parts_gives_back_exactly_what_it_earned() {
        // 100 points on ¥30.00, refunded ¥10 three times: 33 + 33 + 34.
        let parts: Vec<Points> = (0..3)
            .map(|k| pro_rata_part(100, 3000, k * 1000, 1000))
            .collect();
        assert_eq!(parts, [33, 33, 34]);
        assert_eq!(
            pro_rata_part(100, 3000, 0, 5000),
            100,
            "clamped to the sale"
        );
        assert_eq!(pro_rata_part(100, 0, 0, 100), 0);
    }

    proptest! {
        #[test]
        fn parts_always_add_up(
            total in 0i64..1_000_000,
            base in 1i64..100_000_000,
            cuts in proptest::collection::vec(0i64..100_000_000, 0..12),
        ) {
            // Any split of the base into parts, in any order of sizes.
            let mut cuts: Vec<i64> = cuts.into_iter().map(|c| c % (base + 1)).collect();
            cuts.push(0);
            cuts.push(base);
            cuts.sort_unstable();
            let mut sum = 0;
            for w in cuts.windows(2) {
                let part = pro_rata_part(total, base, w[0], w[1] - w[0]);
                prop_assert!(part >= 0);
                sum += part;
            }
            prop_assert_eq!(sum, total);
        }
    }
}
