//! The limits a till's checkout request is judged by: its receipt number, its lines and when
//! it was sold before anything is read, and the points it redeems once the member is known.
//! A till that has been offline for longer than the backdating window is reconciled by an
//! import, not a checkout.

use super::{LineInput, check_lines};
use crate::FieldError;
use jiff::{SignedDuration, Timestamp};

/// Sales further back than this are refused.
pub const MAX_BACKDATE: SignedDuration = SignedDuration::from_hours(24 * 30);

/// How far ahead of the server's clock a till's clock may be.
pub const MAX_AHEAD: SignedDuration = SignedDuration::from_mins(5);

/// The longest receipt number, in characters.
pub const MAX_RECEIPT_NO: usize = 64;

/// Most points one sale may redeem (a bound on arithmetic, far above any balance).
pub const MAX_REDEEM: i64 = 1_000_000_000_000;

/// Checks what a request says before anything is read: the receipt number (returned
/// trimmed), the lines (`check_lines`) and the sale's time, which may be backdated up to
/// `MAX_BACKDATE` and lie ahead by `MAX_AHEAD` at most. One rule at a time, in that order.
pub fn check_request<'a>(
    receipt_no: &'a str,
    lines: &[LineInput],
    sold_at: Timestamp,
    now: Timestamp,
) -> Result<&'a str, FieldError> {
    let receipt_no = receipt_no.trim();
    if receipt_no.is_empty() || receipt_no.chars().count() > MAX_RECEIPT_NO {
        return Err(FieldError::new("receipt_no", "error.checkout.receipt_no"));
    }
    check_lines(lines)?;
    if sold_at > now + MAX_AHEAD || sold_at < now - MAX_BACKDATE {
        return Err(FieldError::new("sold_at", "error.checkout.sold_at"));
    }
    Ok(receipt_no)
}

/// What redeeming `points` pays of the bill, fen, at the programme's `points_per_yuan`:
/// points need a member, and must come to whole fen.
pub fn redeemed_value(points: i64, member: bool, points_per_yuan: i64) -> Result<i64, FieldError> {
    if !(0..=MAX_REDEEM).contains(&points) || (points > 0 && !member) {
        return Err(FieldError::new(
            "points",
            "error.checkout.points_need_member",
        ));
    }
    // The programme's rate is at least 1 (its settings refuse less).
    let per_yuan = points_per_yuan.max(1);
    if (points * 100) % per_yuan != 0 {
        return Err(FieldError::new("points", "error.checkout.points_step"));
    }
    Ok(points * 100 / per_yuan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line() -> LineInput {
        LineInput {
            sku: "A1".into(),
            name: "瓷砖".into(),
            category: "tile".into(),
            quantity: 1,
            unit_price_fen: 1000,
            discount_fen: 0,
        }
    }

    fn now() -> Timestamp {
        "2026-12-07T06:00:00Z".parse().expect("timestamp")
    }

    fn refused(receipt: &str, lines: &[LineInput], sold_at: Timestamp) -> Option<FieldError> {
        check_request(receipt, lines, sold_at, now()).err()
    }

    #[test]
    fn a_good_request_passes_with_its_receipt_trimmed() {
        assert_eq!(check_request(" R-1 ", &[line()], now(), now()), Ok("R-1"));
    }

    #[test]
    fn the_receipt_number_is_required_and_bounded() {
        let key = Some(FieldError::new("receipt_no", "error.checkout.receipt_no"));
        assert_eq!(refused("", &[line()], now()), key);
        assert_eq!(refused("  ", &[line()], now()), key);
        let long = "票".repeat(MAX_RECEIPT_NO + 1);
        assert_eq!(refused(&long, &[line()], now()), key);
        let longest = "票".repeat(MAX_RECEIPT_NO);
        assert_eq!(refused(&longest, &[line()], now()), None);
    }

    #[test]
    fn the_lines_are_checked_after_the_receipt() {
        assert_eq!(
            refused("R-1", &[], now()),
            Some(FieldError::new("lines", "error.sale.no_lines"))
        );
        let many = vec![line(); crate::sales::MAX_LINES + 1];
        assert_eq!(
            refused("R-1", &many, now()),
            Some(FieldError::new("lines", "error.sale.too_many_lines"))
        );
        let mut zero = line();
        zero.quantity = 0;
        assert_eq!(
            refused("R-1", &[zero], now()),
            Some(FieldError::new("lines", "error.sale.quantity"))
        );
        // The receipt is judged first.
        assert_eq!(refused("", &[], now()).map(|e| e.field), Some("receipt_no"));
    }

    #[test]
    fn a_sale_may_be_backdated_thirty_days_and_lie_five_minutes_ahead() {
        let key = Some(FieldError::new("sold_at", "error.checkout.sold_at"));
        assert_eq!(refused("R-1", &[line()], now() - MAX_BACKDATE), None);
        assert_eq!(refused("R-1", &[line()], now() + MAX_AHEAD), None);
        let just = SignedDuration::from_millis(1);
        assert_eq!(refused("R-1", &[line()], now() - MAX_BACKDATE - just), key);
        assert_eq!(refused("R-1", &[line()], now() + MAX_AHEAD + just), key);
        // The lines are judged before the time.
        assert_eq!(
            refused("R-1", &[], now() + MAX_BACKDATE).map(|e| e.field),
            Some("lines")
        );
    }

    #[test]
    fn points_need_a_member_whole_fen_and_a_bound() {
        let need = Err(FieldError::new(
            "points",
            "error.checkout.points_need_member",
        ));
        let step = Err(FieldError::new("points", "error.checkout.points_step"));
        assert_eq!(redeemed_value(0, false, 100), Ok(0));
        assert_eq!(redeemed_value(500, true, 100), Ok(500));
        assert_eq!(redeemed_value(500, true, 50), Ok(1000));
        assert_eq!(redeemed_value(1, true, 1000), step);
        assert_eq!(redeemed_value(10, true, 1000), Ok(1));
        assert_eq!(redeemed_value(500, false, 100), need);
        assert_eq!(redeemed_value(-1, true, 100), need);
        assert_eq!(redeemed_value(MAX_REDEEM, true, 100), Ok(MAX_REDEEM));
        assert_eq!(redeemed_value(MAX_REDEEM + 1, true, 100), need);
    }
}
