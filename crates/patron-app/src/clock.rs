//! Clock implementations. `SystemClock` is the only place in Patron that reads the real time
//! (clippy's `disallowed-methods` enforces it); tests drive a `ManualClock`.

use jiff::{SignedDuration, Timestamp};
use patron_domain::Clock;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one reader of the real time: everything else is handed this clock (or a ManualClock).
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock {
    micros: AtomicI64,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self {
            micros: AtomicI64::new(start.as_microsecond()),
        }
    }

    pub fn advance(&self, by: SignedDuration) {
        self.micros
            .fetch_add(by.as_micros() as i64, Ordering::SeqCst);
    }

    pub fn set(&self, to: Timestamp) {
        self.micros.store(to.as_microsecond(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_microsecond(self.micros.load(Ordering::SeqCst))
            .unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

/// The instants a local day starts and ends (the next day's start) in `tz`.
pub fn day_bounds(
    day: jiff::civil::Date,
    tz: &jiff::tz::TimeZone,
) -> Result<(Timestamp, Timestamp), crate::AppError> {
    let fail = |e: jiff::Error| crate::AppError::Internal(e.to_string());
    let start = |d: jiff::civil::Date| {
        d.to_datetime(jiff::civil::Time::midnight())
            .to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp())
            .map_err(fail)
    };
    Ok((start(day)?, start(day.tomorrow().map_err(fail)?)?))
}
