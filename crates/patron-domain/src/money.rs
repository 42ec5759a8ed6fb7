//! Money is whole fen (分) in `i64`. These parse what people type and write what they read.

/// Parses yuan as typed in a price list or a form: `12`, `12.5`, `12.50`, `¥1,234.50`,
/// `1234.50元`. More than two decimals, signs and other text are refused (None).
pub fn parse_yuan(text: &str) -> Option<i64> {
    let t = text
        .trim()
        .trim_start_matches(['¥', '￥'])
        .trim_end_matches('元')
        .trim();
    let t: String = t.chars().filter(|c| *c != ',').collect();
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() || frac.len() > 2 {
        return None;
    }
    if !whole
        .chars()
        .chain(frac.chars())
        .all(|c| c.is_ascii_digit())
        || whole.len() > 12
    {
        return None;
    }
    let yuan: i64 = whole.parse().ok()?;
    let fen: i64 = format!("{frac:0<2}").parse().ok()?;
    yuan.checked_mul(100)?.checked_add(fen)
}

/// `¥1,234.50`; negative amounts as `-¥12.00`.
pub fn format_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let digits = (abs / 100).to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{:02}", abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_prices_parse_to_fen() {
        assert_eq!(parse_yuan("12"), Some(1200));
        assert_eq!(parse_yuan("12.5"), Some(1250));
        assert_eq!(parse_yuan(" ¥1,234.05 "), Some(123_405));
        assert_eq!(parse_yuan("88元"), Some(8800));
        assert_eq!(parse_yuan("0.01"), Some(1));
        for bad in ["", "-1", "1.234", "abc", "1.2.3", ".5", "1e3"] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
    }

    #[test]
    fn amounts_are_written_with_groups_and_two_decimals() {
        assert_eq!(format_yuan(123_450), "¥1,234.50");
        assert_eq!(format_yuan(5), "¥0.05");
        assert_eq!(format_yuan(100_000_000), "¥1,000,000.00");
        assert_eq!(format_yuan(-1200), "-¥12.00");
    }
}
