//! Job schedules as operators write them in settings, and the period a run belongs to.
//! A job runs at most once per period key; the storage layer's unique `(job, period_key)`
//! row makes that hold across restarts and across several server instances.

use crate::FieldError;
use jiff::{Timestamp, tz::TimeZone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Blank in settings: the job never runs on its own.
    Disabled,
    /// `every 15m`, `every 2h`: once in each aligned window of that length.
    Every { minutes: u32 },
    /// `daily 03:30`: once per local day, at or after that local time.
    Daily { hour: u8, minute: u8 },
}

impl Schedule {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim().to_ascii_lowercase();
        let err = FieldError::new("schedule", "error.schedule.invalid");
        if s.is_empty() {
            return Ok(Schedule::Disabled);
        }
        if let Some(rest) = s.strip_prefix("every ") {
            let rest = rest.trim();
            let (num, unit) = rest.split_at(rest.len().saturating_sub(1));
            let n: u32 = num.trim().parse().map_err(|_| err.clone())?;
            let minutes = match unit {
                "m" => n,
                "h" => n.checked_mul(60).ok_or(err.clone())?,
                _ => return Err(err),
            };
            if minutes == 0 || minutes > 7 * 24 * 60 {
                return Err(err);
            }
            return Ok(Schedule::Every { minutes });
        }
        if let Some(rest) = s.strip_prefix("daily ") {
            let (h, m) = rest.trim().split_once(':').ok_or(err.clone())?;
            let hour: u8 = h.parse().map_err(|_| err.clone())?;
            let minute: u8 = m.parse().map_err(|_| err.clone())?;
            if hour > 23 || minute > 59 || m.len() != 2 {
                return Err(err);
            }
            return Ok(Schedule::Daily { hour, minute });
        }
        Err(err)
    }

    /// The key of the period `now` falls in, if the job is due in it. `tz` decides where a
    /// "day" begins for daily jobs.
    pub fn due_period(&self, now: Timestamp, tz: &TimeZone) -> Option<String> {
        match *self {
            Schedule::Disabled => None,
            Schedule::Every { minutes } => {
                let window = now.as_second().div_euclid(i64::from(minutes) * 60);
                Some(format!("every{minutes}m-{window}"))
            }
            Schedule::Daily { hour, minute } => {
                let local = tz.to_datetime(now);
                let reached = (local.hour(), local.minute()) >= (hour as i8, minute as i8);
                reached.then(|| local.date().to_string())
            }
        }
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Schedule::Disabled => Ok(()),
            Schedule::Every { minutes } if minutes % 60 == 0 => {
                write!(f, "every {}h", minutes / 60)
            }
            Schedule::Every { minutes } => write!(f, "every {minutes}m"),
            Schedule::Daily { hour, minute } => write!(f, "daily {hour:02}:{minute:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn parses_and_prints_the_three_forms() {
        for s in ["", "every 15m", "every 2h", "daily 03:30"] {
            assert_eq!(Schedule::parse(s).expect(s).to_string(), s);
        }
        for bad in [
            "weekly",
            "every 0m",
            "every 5x",
            "daily 24:00",
            "daily 3:5",
            "daily 03:60",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn daily_jobs_use_the_local_day() {
        let sh = TimeZone::get("Asia/Shanghai").expect("tz");
        let daily = Schedule::parse("daily 03:00").expect("valid");
        // 18:59 UTC is 02:59 next day in Shanghai: not yet due.
        assert_eq!(daily.due_period(ts("2026-11-22T18:59:00Z"), &sh), None);
        // 19:00 UTC is 03:00 on the 23rd in Shanghai.
        assert_eq!(
            daily.due_period(ts("2026-11-22T19:00:00Z"), &sh).as_deref(),
            Some("2026-11-23")
        );
        // A server that was down at 03:00 catches up the same local day.
        assert_eq!(
            daily.due_period(ts("2026-11-23T09:00:00Z"), &sh).as_deref(),
            Some("2026-11-23")
        );
    }

    #[test]
    fn windows_are_aligned() {
        let tz = TimeZone::UTC;
        let every = Schedule::parse("every 15m").expect("valid");
        let a = every.due_period(ts("2026-11-23T10:00:00Z"), &tz);
        let b = every.due_period(ts("2026-11-23T10:14:59Z"), &tz);
        let c = every.due_period(ts("2026-11-23T10:15:00Z"), &tz);
        assert_eq!(a, b);
        assert_ne!(b, c);
        assert_eq!(
            Schedule::Disabled.due_period(ts("2026-11-23T10:00:00Z"), &tz),
            None
        );
    }
}
