//! Coupons: what a template takes off a sale and under which conditions, and the codes
//! printed on them. A coupon's discount is spread over the lines it applies to, so refunds
//! and points see each line's real price.

use crate::FieldError;
use crate::sales::spread;

crate::stored::stored_codes! {
    /// Whether a coupon template still issues coupons.
    TemplateStatus { Active => "active", Retired => "retired" }

    /// A coupon: issued to a member, then used at a sale or voided.
    CouponStatus { Issued => "issued", Used => "used", Void => "void" }
}

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponValue {
    /// A fixed amount, fen (满减: "¥50 off").
    Amount(i64),
    /// A share of the price in thousandths (100 = 10% off, i.e. 9折), with an optional cap.
    Percent {
        off_permille: i64,
        cap_fen: Option<i64>,
    },
}

/// The rule of a coupon template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRule {
    pub value: CouponValue,
    /// The lines in scope must come to at least this, fen (0: no minimum).
    pub min_spend_fen: i64,
    /// Only lines of this category count and are discounted; `None`: every line.
    pub category: Option<String>,
    /// Only on a member's first purchase.
    pub first_purchase: bool,
    /// Only in the calendar month of the member's (solar) birthday, in the store's zone.
    pub birthday_month: bool,
}

/// What the till knows of the member when a coupon is applied, for the template's conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Holder {
    /// The member has bought nothing before this sale.
    pub first_purchase: bool,
    /// Whether the sale falls in the member's birthday month; `None` when no birthday is
    /// on file.
    pub birthday_month: Option<bool>,
}

impl CouponRule {
    /// Checks a template's numbers.
    pub fn check(&self) -> Result<(), FieldError> {
        let bad = |f, k| Err(FieldError::new(f, k));
        match self.value {
            CouponValue::Amount(fen) if fen <= 0 || fen > 100_000_000 => {
                return bad("amount", "error.coupon.amount");
            }
            CouponValue::Percent {
                off_permille,
                cap_fen,
            } if !(1..=999).contains(&off_permille) || cap_fen.is_some_and(|c| c <= 0) => {
                return bad("percent", "error.coupon.percent");
            }
            _ => {}
        }
        if self.min_spend_fen < 0 {
            return bad("min_spend", "error.coupon.min_spend");
        }
        Ok(())
    }

    /// What the coupon takes off each line, given the lines' categories and current net
    /// amounts (after line discounts and any coupon applied before). Refused, with the
    /// reason, when its conditions are not met.
    pub fn discount(&self, lines: &[(&str, i64)], holder: Holder) -> Result<Vec<i64>, FieldError> {
        let refuse = |k| Err(FieldError::new("coupons", k));
        if self.first_purchase && !holder.first_purchase {
            return refuse("error.coupon.first_purchase_only");
        }
        if self.birthday_month {
            match holder.birthday_month {
                None => return refuse("error.coupon.no_birthday"),
                Some(false) => return refuse("error.coupon.birthday_month_only"),
                Some(true) => {}
            }
        }
        let weights: Vec<i64> = lines
            .iter()
            .map(|(category, net)| match &self.category {
                Some(c) if c != category => 0,
                _ => (*net).max(0),
            })
            .collect();
        let base: i64 = weights.iter().sum();
        if base == 0 {
            return refuse("error.coupon.nothing_in_scope");
        }
        if base < self.min_spend_fen {
            return refuse("error.coupon.below_minimum");
        }
        let off = match self.value {
            CouponValue::Amount(fen) => fen.min(base),
            CouponValue::Percent {
                off_permille,
                cap_fen,
            } => {
                let v = i64::try_from(i128::from(base) * i128::from(off_permille) / 1000)
                    .unwrap_or(i64::MAX);
                cap_fen.map_or(v, |c| v.min(c))
            }
        };
        Ok(spread(off, &weights))
    }
}

/// Letters and digits that cannot be misread on a receipt or over the phone (no 0/O, 1/I/L).
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A coupon code from 12 random bytes: `XXXX-XXXX-XXXX`, about 59 bits, so codes cannot be
/// guessed from one another.
pub fn code_from(random: [u8; 12]) -> String {
    let mut out = String::with_capacity(14);
    for (i, b) in random.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
    }
    out
}

/// Normalises a typed code: upper case, dashes and spaces ignored, then re-grouped.
pub fn normalise_code(typed: &str) -> String {
    let raw: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    raw.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(value: CouponValue, min: i64, category: Option<&str>) -> CouponRule {
        CouponRule {
            value,
            min_spend_fen: min,
            category: category.map(Into::into),
            first_purchase: false,
            birthday_month: false,
        }
    }

    const ANYONE: Holder = Holder {
        first_purchase: false,
        birthday_month: None,
    };

    #[test]
    fn amount_coupons_need_the_minimum_in_scope() {
        let r = rule(CouponValue::Amount(5000), 30_000, Some("tile"));
        let lines = [("tile", 20_000), ("paint", 50_000), ("tile", 12_000)];
        assert_eq!(r.discount(&lines, ANYONE), Ok(vec![3125, 0, 1875]));
        let short = [("tile", 20_000), ("paint", 50_000)];
        assert_eq!(
            r.discount(&short, ANYONE).map_err(|e| e.key),
            Err("error.coupon.below_minimum")
        );
        assert_eq!(
            r.discount(&[("paint", 90_000)], ANYONE).map_err(|e| e.key),
            Err("error.coupon.nothing_in_scope")
        );
    }

    #[test]
    fn percent_coupons_are_capped_and_never_exceed_the_price() {
        let r = rule(
            CouponValue::Percent {
                off_permille: 100,
                cap_fen: Some(2000),
            },
            0,
            None,
        );
        assert_eq!(r.discount(&[("x", 10_000)], ANYONE), Ok(vec![1000]));
        assert_eq!(r.discount(&[("x", 100_000)], ANYONE), Ok(vec![2000]));
        let small = rule(CouponValue::Amount(5000), 0, None);
        assert_eq!(small.discount(&[("x", 3000)], ANYONE), Ok(vec![3000]));
        let first = CouponRule {
            first_purchase: true,
            ..small
        };
        assert!(first.discount(&[("x", 3000)], ANYONE).is_err());
        let newcomer = Holder {
            first_purchase: true,
            ..ANYONE
        };
        assert!(first.discount(&[("x", 3000)], newcomer).is_ok());
    }

    #[test]
    fn birthday_coupons_need_the_birthday_month() {
        let r = CouponRule {
            birthday_month: true,
            ..rule(CouponValue::Amount(1000), 0, None)
        };
        let with = |b| Holder {
            first_purchase: false,
            birthday_month: b,
        };
        let key = |h| r.discount(&[("x", 5000)], h).map_err(|e| e.key);
        assert_eq!(key(with(Some(true))), Ok(vec![1000]));
        assert_eq!(
            key(with(Some(false))),
            Err("error.coupon.birthday_month_only")
        );
        assert_eq!(key(with(None)), Err("error.coupon.no_birthday"));
    }

    #[test]
    fn codes_are_grouped_and_typed_codes_normalised() {
        let c = code_from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        assert_eq!(c, "2345-6789-ABCD");
        assert_eq!(normalise_code(" 2345 6789-abcd "), c);
        assert!(rule(CouponValue::Amount(0), 0, None).check().is_err());
        assert!(
            rule(
                CouponValue::Percent {
                    off_permille: 1000,
                    cap_fen: None
                },
                0,
                None
            )
            .check()
            .is_err()
        );
    }
}
