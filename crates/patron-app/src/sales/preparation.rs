//! Preparing a sale for the store: its lines priced (points paid spread over them), the
//! points it earns and the lot they go into. The till's checkout and the history import
//! prepare sales through this one function; they differ only in what they pass.

use crate::membership::Programme;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use patron_domain::FieldError;
use patron_domain::membership::points::SaleLine;
use patron_domain::sales::{LineInput, price};
use patron_store::membership::points::NewLot;
use patron_store::sales::NewSaleLine;

/// A sale's lines as stored and what it earns.
#[derive(Debug, Clone)]
pub(crate) struct PreparedSale {
    pub lines: Vec<NewSaleLine>,
    /// The lot the points earned go into; `None` when nothing was earned or nobody earns.
    pub earned: Option<NewLot>,
    /// Fen paid in categories that earn (the base for taking points back on a refund).
    pub eligible_fen: i64,
}

/// How a sale earns points.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Earning<'a> {
    /// The member's tier rate, thousandths (the entry tier's for history).
    pub multiplier: i64,
    /// The moment earning is judged at: its local day picks the bonus days, and the lot
    /// counts its pending window and expiry from it.
    pub at: Timestamp,
    pub tz: &'a TimeZone,
    /// Whether the points go into a lot (a member, and for history only when asked).
    pub lot: bool,
}

/// Prices checked lines (`check_lines`) with `points_value_fen` of the bill paid by points,
/// and works out what the sale earns. Refused when the points would pay more than the bill.
pub(crate) fn prepare_sale(
    programme: &Programme,
    lines: Vec<LineInput>,
    points_value_fen: i64,
    earning: Earning<'_>,
) -> Result<PreparedSale, FieldError> {
    let priced = price(lines, points_value_fen)?;
    let earned = programme.earning.earn(
        &priced
            .iter()
            .map(|l| SaleLine {
                category: &l.input.category,
                paid_fen: l.paid_fen,
            })
            .collect::<Vec<_>>(),
        earning.multiplier,
        earning.tz.to_datetime(earning.at).date(),
    );
    let lot = if earning.lot {
        lot_for(programme, earned.points, earning.at, earning.tz)
    } else {
        None
    };
    Ok(PreparedSale {
        lines: priced
            .into_iter()
            .map(|l| NewSaleLine {
                earns: programme.earning.earns(&l.input.category),
                sku: l.input.sku,
                name: l.input.name,
                category: l.input.category,
                quantity: l.input.quantity,
                unit_price_fen: l.input.unit_price_fen,
                discount_fen: l.input.discount_fen,
                net_fen: l.net_fen,
                paid_fen: l.paid_fen,
            })
            .collect(),
        earned: lot,
        eligible_fen: earned.eligible_fen,
    })
}

/// The lot a sale's points go into: usable after the pending window, expiring by the
/// programme's rule in the store's zone. `None` when nothing was earned.
fn lot_for(
    programme: &Programme,
    points: i64,
    earned_at: Timestamp,
    tz: &TimeZone,
) -> Option<NewLot> {
    (points > 0).then(|| NewLot {
        points,
        usable_from: earned_at
            + SignedDuration::from_hours(24 * i64::from(programme.settings.pending_days)),
        expires_at: programme.expiry.expires_at(earned_at, tz),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::membership::loyalty::{Bonus, Expiry, Loyalty};

    fn programme() -> Programme {
        let mut l = Loyalty::default();
        l.categories.insert("gift_card".into(), 0);
        l.categories.insert("tile".into(), 2000);
        l.pending_days = 7;
        l.expiry = Expiry::EndOfYearAfter { years: 1 };
        l.bonuses.push(Bonus {
            days: "2026-11-11..2026-11-11".into(),
            multiplier_permille: 3000,
        });
        l.check().expect("a valid programme")
    }

    fn line(sku: &str, category: &str, quantity: i64, unit: i64, discount: i64) -> LineInput {
        LineInput {
            sku: sku.into(),
            name: format!("{sku} name"),
            category: category.into(),
            quantity,
            unit_price_fen: unit,
            discount_fen: discount,
        }
    }

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").expect("zone")
    }

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn lines_are_priced_and_kept_with_what_earns() {
        let tz = shanghai();
        let p = prepare_sale(
            &programme(),
            vec![
                line("T1", "tile", 2, 5_000, 1_000),
                line("G1", "gift_card", 1, 10_000, 0),
            ],
            2_000,
            Earning {
                multiplier: 1000,
                at: at("2026-12-07T06:00:00Z"),
                tz: &tz,
                lot: true,
            },
        )
        .expect("prepared");
        assert_eq!(p.lines.len(), 2);
        let (tile, gift) = (&p.lines[0], &p.lines[1]);
        assert_eq!((tile.sku.as_str(), tile.name.as_str()), ("T1", "T1 name"));
        assert_eq!((tile.net_fen, gift.net_fen), (9_000, 10_000));
        // ¥20 of points spread over ¥190 in proportion: 947 and 1053 fen.
        assert_eq!(tile.paid_fen + gift.paid_fen, 17_000);
        assert_eq!(tile.paid_fen, 9_000 - 947);
        assert!(tile.earns && !gift.earns);
        assert_eq!(p.eligible_fen, tile.paid_fen);
        // One point a yuan, tiles ×2: 80.53 yuan earns 161 points.
        let lot = p.earned.expect("a lot");
        assert_eq!(lot.points, 161);
        assert_eq!(lot.usable_from, at("2026-12-14T06:00:00Z"));
        assert_eq!(lot.expires_at, Some(at("2027-12-31T16:00:00Z")));
    }

    #[test]
    fn the_tier_and_the_local_day_of_the_moment_judged_count() {
        let tz = shanghai();
        let earn = |multiplier, when: &str| {
            prepare_sale(
                &programme(),
                vec![line("A1", "misc", 1, 10_000, 0)],
                0,
                Earning {
                    multiplier,
                    at: at(when),
                    tz: &tz,
                    lot: true,
                },
            )
            .expect("prepared")
            .earned
            .map(|l| l.points)
        };
        assert_eq!(earn(1000, "2026-11-12T06:00:00Z"), Some(100));
        assert_eq!(earn(1500, "2026-11-12T06:00:00Z"), Some(150));
        // 16:30 UTC on the 10th is already the 11th, a bonus day, in Shanghai.
        assert_eq!(earn(1000, "2026-11-10T16:30:00Z"), Some(300));
        assert_eq!(earn(1000, "2026-11-10T15:30:00Z"), Some(100));
    }

    #[test]
    fn no_lot_without_earning_or_when_not_asked() {
        let tz = shanghai();
        let prepare = |lines, lot| {
            prepare_sale(
                &programme(),
                lines,
                0,
                Earning {
                    multiplier: 1000,
                    at: at("2026-12-07T06:00:00Z"),
                    tz: &tz,
                    lot,
                },
            )
            .expect("prepared")
        };
        let unasked = prepare(vec![line("A1", "misc", 1, 10_000, 0)], false);
        assert!(unasked.earned.is_none());
        assert_eq!(unasked.eligible_fen, 10_000);
        let nothing = prepare(vec![line("G1", "gift_card", 1, 10_000, 0)], true);
        assert!(nothing.earned.is_none());
        assert_eq!(nothing.eligible_fen, 0);
    }

    #[test]
    fn points_paying_more_than_the_bill_are_refused() {
        let tz = shanghai();
        let refused = prepare_sale(
            &programme(),
            vec![line("A1", "misc", 1, 1_000, 0)],
            1_001,
            Earning {
                multiplier: 1000,
                at: at("2026-12-07T06:00:00Z"),
                tz: &tz,
                lot: true,
            },
        );
        assert_eq!(
            refused.err(),
            Some(FieldError::new("points", "error.sale.points_exceed_bill"))
        );
    }
}
