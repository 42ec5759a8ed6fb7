//! When earned points expire. Day boundaries are the store's: points earned on 31 January
//! with a one-month rule can be used through 28 February (29 in a leap year), local time,
//! and are gone at midnight that starts the next day.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryPolicy {
    /// Through the same day N months after earning (clamped to the month's last day).
    AfterMonths(u32),
    /// Through 31 December N years after the year of earning (0: the same year).
    EndOfYearAfter(u32),
    Never,
}

impl ExpiryPolicy {
    /// The instant points earned at `earned` stop being usable, or `None` for never.
    pub fn expires_at(self, earned: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let day = tz.to_datetime(earned).date();
        let last_day: Date = match self {
            ExpiryPolicy::Never => return None,
            ExpiryPolicy::AfterMonths(n) => day
                .checked_add(Span::new().months(i64::from(n)))
                .unwrap_or(Date::MAX),
            ExpiryPolicy::EndOfYearAfter(n) => {
                let year = i32::from(day.year()) + i32::try_from(n).unwrap_or(i32::MAX);
                let year = i16::try_from(year).unwrap_or(i16::MAX);
                Date::new(year, 12, 31).unwrap_or(Date::MAX)
            }
        };
        // Midnight at the start of the following day, local time (the first instant of that
        // day when a time-zone change skips midnight).
        let next = last_day.tomorrow().ok()?;
        next.to_zoned_datetime(tz.clone())
            .ok()
            .map(|z| z.timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").expect("tz")
    }

    fn local(s: &str) -> Timestamp {
        format!("{s}[Asia/Shanghai]")
            .parse::<jiff::ZonedDateTime>()
            .expect("time")
            .timestamp()
    }

    #[test]
    fn month_ends_year_ends_and_the_local_day() {
        let tz = shanghai();
        // 23:30 on 31 January in Shanghai is still 31 January there (15:30 UTC).
        let earned = local("2027-01-31T23:30");
        assert_eq!(
            ExpiryPolicy::AfterMonths(1).expires_at(earned, &tz),
            Some(local("2027-03-01T00:00"))
        );
        assert_eq!(
            ExpiryPolicy::AfterMonths(1).expires_at(local("2028-01-31T09:00"), &tz),
            Some(local("2028-03-01T00:00")),
            "leap year: through 29 February"
        );
        assert_eq!(
            ExpiryPolicy::EndOfYearAfter(1).expires_at(earned, &tz),
            Some(local("2029-01-01T00:00"))
        );
        assert_eq!(
            ExpiryPolicy::EndOfYearAfter(0).expires_at(local("2027-12-31T23:59"), &tz),
            Some(local("2028-01-01T00:00"))
        );
        assert_eq!(ExpiryPolicy::Never.expires_at(earned, &tz), None);
        // The same instant is already 1 February in UTC+14: the store's zone decides.
        let kiribati = TimeZone::get("Pacific/Kiritimati").expect("tz");
        let e = ExpiryPolicy::AfterMonths(1)
            .expires_at(earned, &kiribati)
            .expect("date");
        assert_eq!(
            kiribati.to_datetime(e).date(),
            Date::new(2027, 3, 2).expect("date")
        );
    }
}
