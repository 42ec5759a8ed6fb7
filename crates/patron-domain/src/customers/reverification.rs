//! Re-verification: a customer file not confirmed with the customer for the configured number
//! of days is due to be confirmed again. The customer list filters on it and the list and the
//! customer page mark it; all of them ask this rule.

use jiff::Timestamp;

const DAY_MS: i64 = 86_400_000;

/// How long a verification holds, in days (configured, at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reverification {
    pub days: i64,
}

impl Reverification {
    /// Files last verified before this moment (epoch milliseconds) are due at `now`.
    pub fn due_before(self, now: Timestamp) -> i64 {
        now.as_millisecond()
            .saturating_sub(self.days.saturating_mul(DAY_MS))
    }

    /// Whether a file last verified at `verified_at_ms` is due at `now`.
    pub fn is_due(self, verified_at_ms: i64, now: Timestamp) -> bool {
        verified_at_ms < self.due_before(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn a_file_is_due_once_its_verification_is_older_than_the_days() {
        let rule = Reverification { days: 90 };
        let now = at("2026-12-07T06:00:00Z");
        let verified = |text: &str| at(text).as_millisecond();
        assert_eq!(rule.due_before(now), verified("2026-09-08T06:00:00Z"));
        // Exactly 90 days ago is not due yet; a millisecond earlier is.
        assert!(!rule.is_due(verified("2026-09-08T06:00:00Z"), now));
        assert!(rule.is_due(verified("2026-09-08T05:59:59.999Z"), now));
        assert!(!rule.is_due(verified("2026-12-01T00:00:00Z"), now));
        // A file never verified (0) is due.
        assert!(rule.is_due(0, now));
    }

    #[test]
    fn one_day_holds_a_day() {
        let rule = Reverification { days: 1 };
        let now = at("2026-12-07T06:00:00Z");
        assert!(!rule.is_due(now.as_millisecond() - DAY_MS, now));
        assert!(rule.is_due(now.as_millisecond() - DAY_MS - 1, now));
        assert!(!rule.is_due(now.as_millisecond(), now));
    }

    #[test]
    fn absurd_settings_do_not_overflow() {
        let now = at("2026-12-07T06:00:00Z");
        let forever = Reverification { days: i64::MAX };
        assert!(!forever.is_due(0, now));
        assert!(forever.is_due(i64::MIN, now));
    }
}
