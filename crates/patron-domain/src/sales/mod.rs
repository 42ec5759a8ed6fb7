//! A sale's arithmetic: checking the lines a till sends (and, in `checkout`, the rest of a
//! till's request), spreading order-level reductions (points paid as money) over the lines,
//! and splitting a refund of part of a line so that refunds in any number of parts give back
//! exactly what was paid. All amounts are fen.

mod checkout;

pub use checkout::{
    MAX_AHEAD, MAX_BACKDATE, MAX_RECEIPT_NO, MAX_REDEEM, check_request, redeemed_value,
};

use crate::FieldError;
use crate::membership::points::pro_rata_part;

/// Most lines one receipt may carry (a bound on work per request, far above real receipts).
pub const MAX_LINES: usize = 500;

/// One line as the till sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInput {
    pub sku: String,
    pub name: String,
    pub category: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    /// The line's own discount (promotion, tier price), fen for the whole line.
    pub discount_fen: i64,
}

/// A checked line with what it finally cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub input: LineInput,
    /// Quantity × unit price − the line's discount.
    pub net_fen: i64,
    /// `net_fen` less this line's share of the points paid: the money paid for it.
    pub paid_fen: i64,
}

/// Checks the lines of a sale. Amounts above ¥100,000,000 a line are refused as typing
/// errors long before they could overflow.
pub fn check_lines(lines: &[LineInput]) -> Result<(), FieldError> {
    const LIMIT: i64 = 10_000_000_000;
    let err = |key| FieldError::new("lines", key);
    if lines.is_empty() {
        return Err(err("error.sale.no_lines"));
    }
    if lines.len() > MAX_LINES {
        return Err(err("error.sale.too_many_lines"));
    }
    for l in lines {
        if l.sku.trim().is_empty() || l.sku.chars().count() > 64 {
            return Err(err("error.sale.sku"));
        }
        if l.name.chars().count() > 200 || l.category.chars().count() > 64 {
            return Err(err("error.sale.name"));
        }
        if l.quantity <= 0 || l.quantity > 1_000_000 {
            return Err(err("error.sale.quantity"));
        }
        if !(0..=LIMIT).contains(&l.unit_price_fen) {
            return Err(err("error.sale.price"));
        }
        let gross = l.quantity.saturating_mul(l.unit_price_fen);
        if gross > LIMIT {
            return Err(err("error.sale.price"));
        }
        if l.discount_fen < 0 || l.discount_fen > gross {
            return Err(err("error.sale.discount"));
        }
    }
    Ok(())
}

/// Spreads `amount` over parts in proportion to their weights, exactly: the shares add up to
/// `amount`, each share is at most its weight, and leftovers of the rounding go to the
/// earliest parts. `amount` must not exceed the sum of the weights.
pub fn spread(amount: i64, weights: &[i64]) -> Vec<i64> {
    let base: i64 = weights.iter().sum();
    let mut before = 0;
    weights
        .iter()
        .map(|w| {
            let part = pro_rata_part(amount, base, before, *w);
            before += w;
            part
        })
        .collect()
}

/// Prices checked lines, with `points_value_fen` of the bill paid by points. Refused when the
/// points would pay more than the bill.
pub fn price(lines: Vec<LineInput>, points_value_fen: i64) -> Result<Vec<PricedLine>, FieldError> {
    let nets: Vec<i64> = lines
        .iter()
        .map(|l| l.quantity * l.unit_price_fen - l.discount_fen)
        .collect();
    let total: i64 = nets.iter().sum();
    if points_value_fen < 0 || points_value_fen > total {
        return Err(FieldError::new("points", "error.sale.points_exceed_bill"));
    }
    let shares = spread(points_value_fen, &nets);
    Ok(lines
        .into_iter()
        .zip(nets)
        .zip(shares)
        .map(|((input, net_fen), share)| PricedLine {
            input,
            net_fen,
            paid_fen: net_fen - share,
        })
        .collect())
}

/// What refunding `quantity` more of a line gives back, given how many were refunded before:
/// `(net, paid)` fen. Parts add up exactly to the line's amounts once it is fully refunded.
pub fn refund_part(
    line_quantity: i64,
    refunded_before: i64,
    quantity: i64,
    net_fen: i64,
    paid_fen: i64,
) -> (i64, i64) {
    (
        pro_rata_part(net_fen, line_quantity, refunded_before, quantity),
        pro_rata_part(paid_fen, line_quantity, refunded_before, quantity),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(qty: i64, price: i64, discount: i64) -> LineInput {
        LineInput {
            sku: "A1".into(),
            name: "瓷砖".into(),
            category: "tile".into(),
            quantity: qty,
            unit_price_fen: price,
            discount_fen: discount,
        }
    }

    #[test]
    fn lines_are_checked_one_rule_at_a_time() {
        assert!(check_lines(&[line(2, 1000, 100)]).is_ok());
        let key = |l: LineInput| check_lines(&[l]).err().map(|e| e.key);
        assert_eq!(key(line(0, 1000, 0)), Some("error.sale.quantity"));
        assert_eq!(key(line(1, -1, 0)), Some("error.sale.price"));
        assert_eq!(key(line(1, 1000, 1001)), Some("error.sale.discount"));
        assert_eq!(key(line(1_000_000, 1_000_000, 0)), Some("error.sale.price"));
        assert_eq!(
            check_lines(&[]).err().map(|e| e.key),
            Some("error.sale.no_lines")
        );
        let mut blank = line(1, 1, 0);
        blank.sku = " ".into();
        assert_eq!(key(blank), Some("error.sale.sku"));
    }

    #[test]
    fn points_pay_part_of_each_line_and_never_more_than_the_bill() {
        let priced = price(vec![line(1, 3000, 0), line(2, 3500, 0)], 1000).expect("priced");
        assert_eq!(priced[0].net_fen, 3000);
        assert_eq!(priced[1].net_fen, 7000);
        assert_eq!(priced[0].paid_fen + priced[1].paid_fen, 9000);
        assert_eq!(priced[0].paid_fen, 2700);
        assert!(price(vec![line(1, 100, 0)], 101).is_err());
    }

    proptest! {
        #[test]
        fn spread_is_exact_and_bounded(weights in proptest::collection::vec(0i64..100_000, 1..20), frac in 0u32..=100) {
            let total: i64 = weights.iter().sum();
            let amount = total * i64::from(frac) / 100;
            let shares = spread(amount, &weights);
            prop_assert_eq!(shares.iter().sum::<i64>(), amount);
            for (s, w) in shares.iter().zip(&weights) {
                prop_assert!(*s >= 0 && s <= w);
            }
        }

        #[test]
        fn a_line_refunded_in_parts_returns_exactly_its_amounts(qty in 1i64..50, net in 0i64..1_000_000, cut in 0u32..=100, steps in proptest::collection::vec(1i64..10, 1..10)) {
            let paid = net * i64::from(cut) / 100;
            let (mut done, mut got_net, mut got_paid) = (0, 0, 0);
            for s in steps {
                let k = s.min(qty - done);
                if k == 0 { break; }
                let (n, p) = refund_part(qty, done, k, net, paid);
                prop_assert!(n >= 0 && p >= 0);
                got_net += n;
                got_paid += p;
                done += k;
            }
            if done < qty {
                let (n, p) = refund_part(qty, done, qty - done, net, paid);
                got_net += n;
                got_paid += p;
            }
            prop_assert_eq!(got_net, net);
            prop_assert_eq!(got_paid, paid);
        }
    }
}
