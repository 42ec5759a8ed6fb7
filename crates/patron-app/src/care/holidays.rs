//! The calendar staff plan with: a year's festivals, the official rest days (the built-in
//! schedules plus the lines admins add as the State Council announces each year), and the
//! store anniversaries of the greeting rules.

use crate::{App, AppError};
use jiff::civil::Date;
use patron_domain::Actor;
use patron_domain::FieldError;
use patron_domain::calendar::holidays::parse_lines;
use patron_domain::calendar::{HolidayCalendar, festivals_in};

/// The setting holding the admins' lines (text, one holiday or working day a line).
pub const HOLIDAYS_KEY: &str = "calendar.holidays";

/// A festival on the year's calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FestivalDay {
    pub code: &'static str,
    pub name: &'static str,
    pub date: Date,
    pub lunar: bool,
}

/// A date the rest-day table names: a holiday, or a weekend day made a working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialDay {
    pub date: Date,
    pub rest: bool,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearCalendar {
    pub year: i16,
    pub festivals: Vec<FestivalDay>,
    pub official: Vec<OfficialDay>,
    /// False until the year's official schedule is in the table (built in or added).
    pub published: bool,
}

/// A bad line of the holiday text: its number (from 1) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub error: FieldError,
}

/// Why the holiday text was not saved: a bad line, or the database.
#[derive(Debug)]
pub enum HolidayError {
    Line(LineError),
    App(AppError),
}

impl App {
    /// The admins' lines as saved.
    pub async fn holiday_text(&self) -> Result<String, AppError> {
        Ok(self.db.setting(HOLIDAYS_KEY).await?.unwrap_or_default())
    }

    /// The rest-day table in force.
    pub async fn holiday_calendar(&self) -> Result<HolidayCalendar, AppError> {
        let text = self.holiday_text().await?;
        // Saved text was checked; should an old line no longer parse, the table still
        // loads without it rather than stopping every report that needs it.
        let lines: Vec<_> = text
            .lines()
            .filter_map(|l| parse_lines(l).ok())
            .flatten()
            .collect();
        Ok(HolidayCalendar::with_built_in(&lines))
    }

    /// Checks every line, then saves the text; nothing is saved when a line is wrong.
    pub async fn save_holidays(&self, actor: &Actor, text: &str) -> Result<(), HolidayError> {
        parse_lines(text).map_err(|(line, error)| HolidayError::Line(LineError { line, error }))?;
        self.db
            .put_setting(actor, HOLIDAYS_KEY, text.trim(), self.now())
            .await
            .map_err(|e| HolidayError::App(e.into()))
    }

    /// One solar year's festivals and official days.
    pub async fn year_calendar(&self, year: i16) -> Result<YearCalendar, AppError> {
        Ok(year_calendar(&self.holiday_calendar().await?, year)?)
    }
}

/// One solar year's festivals and the official days of `cal` in it.
pub fn year_calendar(cal: &HolidayCalendar, year: i16) -> Result<YearCalendar, FieldError> {
    if !(1901..=2099).contains(&year) {
        return Err(FieldError::new("year", "error.calendar.year"));
    }
    Ok(YearCalendar {
        year,
        festivals: festivals_in(year)
            .into_iter()
            .map(|(f, date)| FestivalDay {
                code: f.code(),
                name: f.chinese_name(),
                date,
                lunar: f.is_lunar(),
            })
            .collect(),
        official: cal
            .in_year(year)
            .map(|(date, off)| OfficialDay {
                date,
                rest: off.rest,
                name: off.name.clone(),
            })
            .collect(),
        published: cal.knows_year(year),
    })
}
