//! The official rest-day table: weekends are rest days, except the weekend days the State
//! Council turns into working days (调休), and the official holidays are rest days too. The
//! State Council announces each year's schedule late in the year before, so the table is
//! text an admin extends, one line per holiday or working day:
//!
//! ```text
//! 2026-02-15~2026-02-23 春节
//! 2026-02-14 上班 春节
//! ```

use crate::FieldError;
use jiff::civil::{Date, Weekday};
use std::collections::BTreeMap;

/// How a date differs from an ordinary week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayOff {
    /// True for a holiday, false for a weekend day made a working day.
    pub rest: bool,
    pub name: String,
}

/// One line of the table: a holiday (one day or a range) or an adjusted working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayLine {
    pub from: Date,
    pub to: Date,
    pub rest: bool,
    pub name: String,
}

/// Longest holiday a line may name; longer is a typing mistake (the longest official
/// holiday is nine days).
const MAX_DAYS: i32 = 31;

impl HolidayLine {
    /// `2026-10-01~2026-10-07 国庆节`, `2026-10-01 国庆节`, `2026-10-10 上班 国庆节`
    /// (`班` or `work` also mark a working day; `..` or `至` also separate a range).
    pub fn parse(line: &str) -> Result<Self, FieldError> {
        const BAD_DATE: FieldError = FieldError::new("holidays", "error.holidays.date");
        let mut words = line.split_whitespace();
        let dates = words
            .next()
            .ok_or(FieldError::new("holidays", "error.holidays.empty"))?;
        let (a, b) = dates
            .split_once('~')
            .or_else(|| dates.split_once(".."))
            .or_else(|| dates.split_once('至'))
            .unwrap_or((dates, dates));
        let from: Date = a.parse().map_err(|_| BAD_DATE)?;
        let to: Date = b.parse().map_err(|_| BAD_DATE)?;
        if to < from || (to - from).get_days() >= MAX_DAYS {
            return Err(FieldError::new("holidays", "error.holidays.range"));
        }
        let mut rest: Vec<&str> = words.collect();
        let work = matches!(rest.first(), Some(&("上班" | "班" | "work")));
        if work {
            rest.remove(0);
        }
        let name = rest.join(" ");
        if name.is_empty() || name.chars().count() > 60 {
            return Err(FieldError::new("holidays", "error.holidays.name"));
        }
        Ok(Self {
            from,
            to,
            rest: !work,
            name,
        })
    }

    pub fn render(&self) -> String {
        let dates = if self.from == self.to {
            self.from.to_string()
        } else {
            format!("{}~{}", self.from, self.to)
        };
        if self.rest {
            format!("{dates} {}", self.name)
        } else {
            format!("{dates} 上班 {}", self.name)
        }
    }
}

/// Parses the table's text: blank lines and lines starting with `#` are skipped. The error
/// names the line (counted from 1).
pub fn parse_lines(text: &str) -> Result<Vec<HolidayLine>, (usize, FieldError)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| HolidayLine::parse(l).map_err(|e| (i + 1, e)))
        .collect()
}

/// The schedules published before this release (国务院办公厅 notices for 2025 and 2026),
/// so a fresh install knows them without an admin typing them in.
pub const BUILT_IN: &str = "\
2025-01-01 元旦
2025-01-28~2025-02-04 春节
2025-01-26 上班 春节
2025-02-08 上班 春节
2025-04-04~2025-04-06 清明节
2025-05-01~2025-05-05 劳动节
2025-04-27 上班 劳动节
2025-05-31~2025-06-02 端午节
2025-10-01~2025-10-08 国庆节、中秋节
2025-09-28 上班 国庆节
2025-10-11 上班 国庆节
2026-01-01~2026-01-03 元旦
2026-01-04 上班 元旦
2026-02-15~2026-02-23 春节
2026-02-14 上班 春节
2026-02-28 上班 春节
2026-04-04~2026-04-06 清明节
2026-05-01~2026-05-05 劳动节
2026-05-09 上班 劳动节
2026-06-19~2026-06-21 端午节
2026-09-25~2026-09-27 中秋节
2026-10-01~2026-10-07 国庆节
2026-09-20 上班 国庆节
2026-10-10 上班 国庆节
";

/// The rest-day table in force: weekends, then the lines on top (later lines win).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    days: BTreeMap<Date, DayOff>,
}

impl HolidayCalendar {
    /// The built-in schedules with `lines` (the admin's) laid over them.
    pub fn with_built_in(lines: &[HolidayLine]) -> Self {
        let mut cal = Self::default();
        // The built-in text is checked by a test; a line it could not parse is skipped.
        let built_in = parse_lines(BUILT_IN).unwrap_or_default();
        cal.add(&built_in);
        cal.add(lines);
        cal
    }

    pub fn from_lines(lines: &[HolidayLine]) -> Self {
        let mut cal = Self::default();
        cal.add(lines);
        cal
    }

    fn add(&mut self, lines: &[HolidayLine]) {
        for l in lines {
            let mut d = l.from;
            while d <= l.to {
                let off = DayOff {
                    rest: l.rest,
                    name: l.name.clone(),
                };
                self.days.insert(d, off);
                match d.tomorrow() {
                    Ok(next) => d = next,
                    Err(_) => break,
                }
            }
        }
    }

    /// Whether nobody is expected at work on `day`.
    pub fn is_rest_day(&self, day: Date) -> bool {
        match self.days.get(&day) {
            Some(off) => off.rest,
            None => matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday),
        }
    }

    /// The table's entry for `day`, if it differs from an ordinary week.
    pub fn day(&self, day: Date) -> Option<&DayOff> {
        self.days.get(&day)
    }

    /// The table's entries in solar year `year`, in date order.
    pub fn in_year(&self, year: i16) -> impl Iterator<Item = (Date, &DayOff)> {
        self.days
            .iter()
            .filter(move |(d, _)| d.year() == year)
            .map(|(d, o)| (*d, o))
    }

    /// Whether any entry falls in `year` (a year without one has not been published yet).
    pub fn knows_year(&self, year: i16) -> bool {
        self.in_year(year).next().is_some()
    }
}
