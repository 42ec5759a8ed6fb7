//! Service levels in business time. A store's opening hours (per weekday, and whether it
//! closes on the official holidays) with the holiday table make a `BusinessClock`, which
//! counts the working minutes between two instants and finds the instant a number of
//! working minutes after another. An `SlaClock` is the running total of one ticket's
//! resolution time: it stops while the ticket waits on the customer.

use crate::FieldError;
use crate::calendar::HolidayCalendar;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// Weekday names as typed, Monday first.
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// How far ahead a deadline is looked for: beyond this a store is taken to be closed for
/// good and the deadline is this far ahead.
const HORIZON_DAYS: i32 = 400;

/// A store's service hours: an open and a close minute of the day for each weekday (Monday
/// first; `None` closed), and whether the official holidays (the table's rest days other
/// than weekends) are closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    pub week: [Option<(u16, u16)>; 7],
    pub closed_on_holidays: bool,
}

impl Default for OpeningHours {
    /// Every day 09:00-18:00, closed on the official holidays.
    fn default() -> Self {
        Self {
            week: [Some((9 * 60, 18 * 60)); 7],
            closed_on_holidays: true,
        }
    }
}

fn minute_of(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

fn day_index(text: &str) -> Option<usize> {
    DAYS.iter().position(|d| *d == text.trim())
}

impl OpeningHours {
    /// Reads `mon-fri 09:00-18:00; sat 10:00-16:00; holidays open`: day ranges with their
    /// hours, separated by `;` or new lines; days not named are closed; `holidays closed`
    /// (the default) or `holidays open`. At least one day must be open.
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new("opening_hours", "error.service.hours");
        let mut hours = Self {
            week: [None; 7],
            closed_on_holidays: true,
        };
        for part in text
            .split([';', '\n', '；'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (days, span) = part.split_once(char::is_whitespace).ok_or_else(bad)?;
            if days == "holidays" {
                hours.closed_on_holidays = match span.trim() {
                    "closed" => true,
                    "open" => false,
                    _ => return Err(bad()),
                };
                continue;
            }
            let (from, to) = match days.split_once('-') {
                Some((a, b)) => (day_index(a).ok_or_else(bad)?, day_index(b).ok_or_else(bad)?),
                None => {
                    let d = day_index(days).ok_or_else(bad)?;
                    (d, d)
                }
            };
            let (open, close) = span.trim().split_once('-').ok_or_else(bad)?;
            let (open, close) = (
                minute_of(open).ok_or_else(bad)?,
                minute_of(close).ok_or_else(bad)?,
            );
            if open >= close || from > to {
                return Err(bad());
            }
            for d in from..=to {
                hours.week[d] = Some((open, close));
            }
        }
        if hours.week.iter().all(Option::is_none) {
            return Err(FieldError::new("opening_hours", "error.service.never_open"));
        }
        Ok(hours)
    }

    /// The text `parse` reads, consecutive days with the same hours joined.
    pub fn render(&self) -> String {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        let mut parts = Vec::new();
        let mut d = 0;
        while d < 7 {
            let Some((open, close)) = self.week[d] else {
                d += 1;
                continue;
            };
            let mut end = d;
            while end + 1 < 7 && self.week[end + 1] == self.week[d] {
                end += 1;
            }
            let days = if end == d {
                DAYS[d].to_string()
            } else {
                format!("{}-{}", DAYS[d], DAYS[end])
            };
            parts.push(format!("{days} {}-{}", hm(open), hm(close)));
            d = end + 1;
        }
        parts.push(
            if self.closed_on_holidays {
                "holidays closed"
            } else {
                "holidays open"
            }
            .to_string(),
        );
        parts.join("; ")
    }

    /// The open and close minutes on `day`, if the store serves that day.
    pub fn on(&self, day: Date, holidays: &HolidayCalendar) -> Option<(u16, u16)> {
        // An official rest day (a weekend day has no table entry) closes the store when it
        // keeps holidays; a make-up working day keeps the weekday's hours.
        if self.closed_on_holidays && holidays.day(day).is_some_and(|off| off.rest) {
            return None;
        }
        self.week[day.weekday().to_monday_zero_offset() as usize]
    }
}

/// Business time of one store: its hours, the holiday table and its time zone.
pub struct BusinessClock<'a> {
    pub hours: &'a OpeningHours,
    pub holidays: &'a HolidayCalendar,
    pub tz: TimeZone,
}

impl BusinessClock<'_> {
    /// The instants the store opens and closes on `day`, if it does.
    fn window(&self, day: Date) -> Option<(Timestamp, Timestamp)> {
        let (open, close) = self.hours.on(day, self.holidays)?;
        let at = |m: u16| -> Option<Timestamp> {
            let dt = if m >= 24 * 60 {
                day.tomorrow().ok()?.to_datetime(Time::midnight())
            } else {
                day.to_datetime(Time::new((m / 60) as i8, (m % 60) as i8, 0, 0).ok()?)
            };
            self.tz.to_timestamp(dt).ok()
        };
        Some((at(open)?, at(close)?))
    }

    fn local_date(&self, t: Timestamp) -> Date {
        self.tz.to_datetime(t).date()
    }

    /// Working minutes from `from` to `to` (zero when `to` is not after `from`).
    pub fn minutes_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = SignedDuration::ZERO;
        let mut day = self.local_date(from);
        let last = self.local_date(to);
        while day <= last {
            if let Some((open, close)) = self.window(day) {
                let start = open.max(from);
                let end = close.min(to);
                if end > start {
                    total += end.duration_since(start);
                }
            }
            match day.tomorrow() {
                Ok(d) => day = d,
                Err(_) => break,
            }
        }
        total.as_secs() / 60
    }

    /// The instant `minutes` working minutes after `from`.
    pub fn add(&self, from: Timestamp, minutes: i64) -> Timestamp {
        let mut left = SignedDuration::from_mins(minutes.max(0));
        let mut day = self.local_date(from);
        for _ in 0..HORIZON_DAYS {
            if let Some((open, close)) = self.window(day) {
                let start = open.max(from);
                if close > start {
                    let here = close.duration_since(start);
                    if left <= here {
                        // A deadline of zero minutes outside hours is the next opening.
                        return start + left;
                    }
                    left -= here;
                }
            }
            match day.tomorrow() {
                Ok(d) => day = d,
                Err(_) => break,
            }
        }
        from + SignedDuration::from_hours(24 * i64::from(HORIZON_DAYS))
    }
}

/// One ticket's resolution clock: working minutes used while it ran, and since when it
/// has been running (`None`: stopped, waiting on the customer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlaClock {
    pub used_minutes: i64,
    pub running_since: Option<Timestamp>,
}

impl SlaClock {
    pub fn started(at: Timestamp) -> Self {
        Self {
            used_minutes: 0,
            running_since: Some(at),
        }
    }

    /// Stops the clock (waiting on the customer), adding the working time since it started.
    pub fn pause(self, now: Timestamp, clock: &BusinessClock<'_>) -> Self {
        match self.running_since {
            Some(since) => Self {
                used_minutes: self.used_minutes + clock.minutes_between(since, now),
                running_since: None,
            },
            None => self,
        }
    }

    /// Starts the clock again (the customer answered).
    pub fn resume(self, now: Timestamp) -> Self {
        match self.running_since {
            Some(_) => self,
            None => Self {
                used_minutes: self.used_minutes,
                running_since: Some(now),
            },
        }
    }

    /// When `target` working minutes will be used up; `None` while stopped.
    pub fn due(&self, target: i64, clock: &BusinessClock<'_>) -> Option<Timestamp> {
        let since = self.running_since?;
        Some(clock.add(since, target - self.used_minutes))
    }

    /// Working minutes used by `now`.
    pub fn used_at(&self, now: Timestamp, clock: &BusinessClock<'_>) -> i64 {
        self.used_minutes
            + self
                .running_since
                .map_or(0, |since| clock.minutes_between(since, now))
    }
}
