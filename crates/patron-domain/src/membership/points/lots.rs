//! Lots: each earning is a lot with its own expiry and, optionally, a pending window before
//! it can be used. A redemption takes from the usable lots that expire soonest, so members
//! lose as few points to expiry as the rules allow.

use super::{Points, PointsError};
use jiff::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    pub id: i64,
    /// Points not yet spent or expired.
    pub remaining: Points,
    /// Until then the points are pending (shown, not usable).
    pub usable_from: Timestamp,
    /// `None`: the lot never expires.
    pub expires_at: Option<Timestamp>,
}

impl Lot {
    pub fn is_usable(&self, now: Timestamp) -> bool {
        self.remaining > 0 && self.usable_from <= now && self.expires_at.is_none_or(|e| now < e)
    }
}

/// Points taken from one lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Take {
    pub lot_id: i64,
    pub points: Points,
}

/// What a member can spend at `now`.
pub fn usable_balance(lots: &[Lot], now: Timestamp) -> Points {
    lots.iter()
        .filter(|l| l.is_usable(now))
        .map(|l| l.remaining)
        .sum()
}

/// Which lots pay for `points` at `now`: usable lots, soonest expiry first, lots that never
/// expire last, older lots first among equals (by id, which follows earning order).
pub fn plan_redemption(
    lots: &[Lot],
    points: Points,
    now: Timestamp,
) -> Result<Vec<Take>, PointsError> {
    if points <= 0 {
        return Err(PointsError::NotPositive);
    }
    let available = usable_balance(lots, now);
    if available < points {
        return Err(PointsError::NotEnough {
            available,
            wanted: points,
        });
    }
    let mut usable: Vec<&Lot> = lots.iter().filter(|l| l.is_usable(now)).collect();
    // `None` (never) sorts after every date.
    usable.sort_by_key(|l| (l.expires_at.is_none(), l.expires_at, l.id));
    let mut left = points;
    let mut takes = Vec::new();
    for lot in usable {
        if left == 0 {
            break;
        }
        let take = lot.remaining.min(left);
        takes.push(Take {
            lot_id: lot.id,
            points: take,
        });
        left -= take;
    }
    Ok(takes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).expect("in range")
    }

    #[test]
    fn soonest_expiry_first_pending_and_expired_left_alone() {
        let lots = [
            Lot {
                id: 1,
                remaining: 50,
                usable_from: at(0),
                expires_at: None,
            },
            Lot {
                id: 2,
                remaining: 30,
                usable_from: at(0),
                expires_at: Some(at(500)),
            },
            Lot {
                id: 3,
                remaining: 20,
                usable_from: at(0),
                expires_at: Some(at(200)),
            },
            Lot {
                id: 4,
                remaining: 99,
                usable_from: at(900),
                expires_at: Some(at(100)),
            },
            Lot {
                id: 5,
                remaining: 99,
                usable_from: at(0),
                expires_at: Some(at(50)),
            },
        ];
        let now = at(100);
        assert_eq!(usable_balance(&lots, now), 100);
        assert_eq!(
            plan_redemption(&lots, 60, now),
            Ok(vec![
                Take {
                    lot_id: 3,
                    points: 20
                },
                Take {
                    lot_id: 2,
                    points: 30
                },
                Take {
                    lot_id: 1,
                    points: 10
                },
            ])
        );
        assert_eq!(
            plan_redemption(&lots, 101, now),
            Err(PointsError::NotEnough {
                available: 100,
                wanted: 101
            })
        );
        assert_eq!(
            plan_redemption(&lots, 0, now),
            Err(PointsError::NotPositive)
        );
    }

    fn lot() -> impl Strategy<Value = Lot> {
        (1i64..1000, 0i64..500, proptest::option::of(0i64..1000)).prop_map(
            |(remaining, from, expires)| Lot {
                id: 0,
                remaining,
                usable_from: at(from),
                expires_at: expires.map(at),
            },
        )
    }

    proptest! {
        #[test]
        fn a_plan_pays_exactly_from_usable_lots_soonest_first(
            lots in proptest::collection::vec(lot(), 0..20),
            now in 0i64..1000,
            wanted in 1i64..5000,
        ) {
            let lots: Vec<Lot> = lots
                .into_iter()
                .enumerate()
                .map(|(i, l)| Lot { id: i as i64, ..l })
                .collect();
            let now = at(now);
            let available = usable_balance(&lots, now);
            match plan_redemption(&lots, wanted, now) {
                Err(PointsError::NotEnough { available: a, .. }) => {
                    prop_assert!(available < wanted);
                    prop_assert_eq!(a, available);
                }
                Err(e) => prop_assert!(false, "{e}"),
                Ok(takes) => {
                    prop_assert_eq!(takes.iter().map(|t| t.points).sum::<Points>(), wanted);
                    let by_id = |id: i64| &lots[id as usize];
                    for t in &takes {
                        let l = by_id(t.lot_id);
                        prop_assert!(l.is_usable(now) && t.points > 0 && t.points <= l.remaining);
                    }
                    // No usable lot left untouched expires before a lot that was used.
                    let latest_used = takes
                        .iter()
                        .map(|t| by_id(t.lot_id).expires_at)
                        .max_by_key(|e| (e.is_none(), *e));
                    for l in lots.iter().filter(|l| l.is_usable(now)) {
                        let used = takes.iter().find(|t| t.lot_id == l.id);
                        let emptied = used.is_some_and(|t| t.points == l.remaining);
                        if !emptied && let Some(latest) = latest_used {
                            let key = |e: Option<Timestamp>| (e.is_none(), e);
                            prop_assert!(
                                key(l.expires_at) >= key(latest) || used.is_some(),
                                "lot {} expiring sooner was passed over", l.id
                            );
                        }
                    }
                }
            }
        }
    }
}
