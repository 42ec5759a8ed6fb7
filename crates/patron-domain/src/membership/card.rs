//! Member card numbers: digits from a configurable format with a Luhn check digit at the
//! end, so a mistyped digit or two swapped neighbours at the till are caught before a lookup.

use crate::FieldError;

/// A card number format: fixed digits and one `{seq:N}` (the sequence, zero-padded to N),
/// e.g. `8860{seq:08}` gives `88600000001` plus the check digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFormat {
    prefix: String,
    width: usize,
    suffix: String,
}

impl CardFormat {
    pub fn parse(format: &str) -> Result<CardFormat, FieldError> {
        let err = || FieldError::new("card_format", "error.card.format");
        let (prefix, rest) = format.split_once("{seq:").ok_or_else(err)?;
        let (width, suffix) = rest.split_once('}').ok_or_else(err)?;
        let width: usize = width.parse().map_err(|_| err())?;
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !(4..=12).contains(&width) || !digits(prefix) || !digits(suffix) {
            return Err(err());
        }
        if prefix.len() + width + suffix.len() + 1 > 19 {
            return Err(err());
        }
        Ok(CardFormat {
            prefix: prefix.into(),
            width,
            suffix: suffix.into(),
        })
    }

    /// The card number for a sequence value, or `None` when it no longer fits the width.
    pub fn number(&self, seq: u64) -> Option<String> {
        let body = format!("{}{seq:0w$}{}", self.prefix, self.suffix, w = self.width);
        if body.len() != self.prefix.len() + self.width + self.suffix.len() {
            return None;
        }
        Some(format!("{body}{}", char::from(luhn_digit(&body))))
    }
}

/// The Luhn check digit for a string of ASCII digits.
fn luhn_digit(body: &str) -> u8 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    b'0' + ((10 - sum % 10) % 10) as u8
}

/// Whether a typed card number has a valid check digit (spaces and dashes ignored).
pub fn check(card: &str) -> bool {
    let digits: String = card.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (body, last) = digits.split_at(digits.len() - 1);
    last.as_bytes()[0] == luhn_digit(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_and_their_check_digit() {
        // The textbook Luhn example: 7992739871 has check digit 3.
        assert_eq!(luhn_digit("7992739871"), b'3');
        assert!(check("79927398713") && !check("79927398710"));
        let f = CardFormat::parse("8860{seq:08}").expect("format");
        let n = f.number(1).expect("fits");
        assert_eq!(&n[..12], "886000000001");
        assert!(check(&n) && check(&format!("{} {}", &n[..4], &n[4..])));
        assert_eq!(f.number(100_000_000), None, "nine digits do not fit eight");
        for bad in ["{seq:08", "88A0{seq:08}", "{seq:2}", "8860", "{seq:x}"] {
            assert!(CardFormat::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn one_wrong_digit_or_a_swap_is_caught(seq in 0u64..100_000_000, pos in 0usize..12, d in 1u8..10) {
            let n = CardFormat::parse("8860{seq:08}").expect("format").number(seq).expect("fits");
            let mut b = n.clone().into_bytes();
            b[pos] = b'0' + (b[pos] - b'0' + d) % 10;
            prop_assert!(!check(&String::from_utf8(b).expect("ascii")));
            let mut s = n.into_bytes();
            if s[pos] != s[pos + 1] && !matches!((s[pos], s[pos + 1]), (b'0', b'9') | (b'9', b'0')) {
                s.swap(pos, pos + 1);
                prop_assert!(!check(&String::from_utf8(s).expect("ascii")));
            }
        }
    }
}
