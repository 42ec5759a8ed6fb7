//! The days greetings and plans revolve around: the traditional festivals from the lunar
//! calendar (tyme4rs does the astronomy), the fixed-date holidays, Qingming from the solar
//! terms, lunar birthdays turned into this year's date, and the official rest-day table.

pub mod holidays;
#[cfg(test)]
mod tests;

use crate::customers::LunarDay;
use jiff::civil::Date;
use tyme4rs::tyme::lunar::{LunarDay as TymeLunarDay, LunarMonth};
use tyme4rs::tyme::solar::{SolarDay, SolarTerm};

pub use holidays::{DayOff, HolidayCalendar, HolidayLine};

/// An occasion every customer shares. The store's own anniversary is not here: its date is
/// a setting, not a calendar fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Festival {
    NewYear,
    SpringFestival,
    Lantern,
    Qingming,
    LabourDay,
    DragonBoat,
    Qixi,
    MidAutumn,
    NationalDay,
    DoubleNinth,
    Laba,
    NewYearsEve,
}

impl Festival {
    pub const ALL: [Festival; 12] = [
        Festival::NewYear,
        Festival::SpringFestival,
        Festival::Lantern,
        Festival::Qingming,
        Festival::LabourDay,
        Festival::DragonBoat,
        Festival::Qixi,
        Festival::MidAutumn,
        Festival::NationalDay,
        Festival::DoubleNinth,
        Festival::Laba,
        Festival::NewYearsEve,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Festival::NewYear => "new_year",
            Festival::SpringFestival => "spring_festival",
            Festival::Lantern => "lantern",
            Festival::Qingming => "qingming",
            Festival::LabourDay => "labour_day",
            Festival::DragonBoat => "dragon_boat",
            Festival::Qixi => "qixi",
            Festival::MidAutumn => "mid_autumn",
            Festival::NationalDay => "national_day",
            Festival::DoubleNinth => "double_ninth",
            Festival::Laba => "laba",
            Festival::NewYearsEve => "new_years_eve",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The name as customers say it (messages and the calendar use it; the console
    /// translates the code instead).
    pub fn chinese_name(self) -> &'static str {
        match self {
            Festival::NewYear => "元旦",
            Festival::SpringFestival => "春节",
            Festival::Lantern => "元宵节",
            Festival::Qingming => "清明节",
            Festival::LabourDay => "劳动节",
            Festival::DragonBoat => "端午节",
            Festival::Qixi => "七夕节",
            Festival::MidAutumn => "中秋节",
            Festival::NationalDay => "国庆节",
            Festival::DoubleNinth => "重阳节",
            Festival::Laba => "腊八节",
            Festival::NewYearsEve => "除夕",
        }
    }

    /// The customary wish for the day (端午 and 重阳 wish health, not joy; 清明 is for
    /// remembrance).
    pub fn wish(self) -> &'static str {
        match self {
            Festival::NewYear => "元旦快乐，新年新气象",
            Festival::SpringFestival => "新春快乐，万事如意",
            Festival::Lantern => "元宵节快乐，阖家团圆",
            Festival::Qingming => "清明时节，愿您安康",
            Festival::LabourDay => "劳动节快乐",
            Festival::DragonBoat => "端午安康",
            Festival::Qixi => "七夕快乐",
            Festival::MidAutumn => "中秋快乐，花好月圆",
            Festival::NationalDay => "国庆快乐",
            Festival::DoubleNinth => "重阳安康",
            Festival::Laba => "腊八节快乐",
            Festival::NewYearsEve => "除夕快乐，阖家团圆",
        }
    }

    /// Whether the date comes from the lunar calendar (it moves against the solar one).
    pub fn is_lunar(self) -> bool {
        !matches!(
            self,
            Festival::NewYear | Festival::Qingming | Festival::LabourDay | Festival::NationalDay
        )
    }

    /// The festival's solar date in the lunar year `lunar_year` (for fixed-date festivals
    /// the lunar year is simply the solar year). New Year's Eve of lunar year Y is the last
    /// day of its twelfth month, which falls early in solar year Y + 1; Laba can too.
    pub fn date_in_lunar_year(self, lunar_year: i16) -> Option<Date> {
        let y = lunar_year;
        match self {
            Festival::NewYear => Date::new(y, 1, 1).ok(),
            Festival::LabourDay => Date::new(y, 5, 1).ok(),
            Festival::NationalDay => Date::new(y, 10, 1).ok(),
            Festival::Qingming => term_day(y, "清明"),
            Festival::SpringFestival => lunar_date(y, 1, 1),
            Festival::Lantern => lunar_date(y, 1, 15),
            Festival::DragonBoat => lunar_date(y, 5, 5),
            Festival::Qixi => lunar_date(y, 7, 7),
            Festival::MidAutumn => lunar_date(y, 8, 15),
            Festival::DoubleNinth => lunar_date(y, 9, 9),
            Festival::Laba => lunar_date(y, 12, 8),
            Festival::NewYearsEve => lunar_date(y.checked_add(1)?, 1, 1)?.yesterday().ok(),
        }
    }

    /// The festival's dates within solar year `year`: one for most, but Laba falls twice in
    /// some years (early January and late December) and not at all in others.
    pub fn dates_in_year(self, year: i16) -> Vec<Date> {
        [year.checked_sub(1), Some(year)]
            .into_iter()
            .flatten()
            .filter_map(|ly| self.date_in_lunar_year(ly))
            .filter(|d| d.year() == year)
            .collect()
    }
}

/// Every festival falling in solar year `year`, in date order.
pub fn festivals_in(year: i16) -> Vec<(Festival, Date)> {
    let mut out: Vec<(Festival, Date)> = Festival::ALL
        .into_iter()
        .flat_map(|f| f.dates_in_year(year).into_iter().map(move |d| (f, d)))
        .collect();
    out.sort_by_key(|(f, d)| (*d, *f));
    out
}

/// The range tyme4rs computes reliably; outside it a festival has no date here.
const YEARS: std::ops::RangeInclusive<i16> = 1901..=2099;

fn to_date(d: SolarDay) -> Option<Date> {
    let year = i16::try_from(d.get_year()).ok()?;
    let month = i8::try_from(d.get_month()).ok()?;
    let day = i8::try_from(d.get_day()).ok()?;
    Date::new(year, month, day).ok()
}

/// The solar date of a lunar month-day; `None` when the year is out of range or the month
/// lacks that day.
fn lunar_date(year: i16, month: i8, day: u8) -> Option<Date> {
    if !YEARS.contains(&year) {
        return None;
    }
    let d = TymeLunarDay::new(isize::from(year), isize::from(month), usize::from(day)).ok()?;
    to_date(d.get_solar_day())
}

fn term_day(year: i16, name: &str) -> Option<Date> {
    if !YEARS.contains(&year) {
        return None;
    }
    let term = SolarTerm::new(isize::from(year), name).ok()?;
    to_date(term.get_solar_day())
}

/// When someone born on a lunar month-day celebrates in lunar year `year`. Choices, as
/// families usually make them: a 30th in a month of 29 days is kept on the 29th; a birthday
/// in a leap month is kept in that leap month when the year has one, else in the ordinary
/// month of the same number.
pub fn lunar_birthday_in(year: i16, month: u8, day: u8, leap: bool) -> Option<Date> {
    if !YEARS.contains(&year) || !(1..=12).contains(&month) || !(1..=30).contains(&day) {
        return None;
    }
    let m = i8::try_from(month).ok()?;
    let signed = if leap && LunarMonth::new(isize::from(year), -isize::from(m)).is_ok() {
        -m
    } else {
        m
    };
    let days = LunarMonth::new(isize::from(year), isize::from(signed))
        .ok()?
        .get_day_count();
    let day = usize::from(day).min(days);
    let d = TymeLunarDay::new(isize::from(year), isize::from(signed), day).ok()?;
    to_date(d.get_solar_day())
}

/// Whether `day` is the lunar birthday `month`-`day` (of the lunar year starting in the
/// same solar year, or of the one before, whose last months run into it).
pub fn is_lunar_birthday(today: Date, month: u8, day: u8, leap: bool) -> bool {
    [Some(today.year()), today.year().checked_sub(1)]
        .into_iter()
        .flatten()
        .any(|ly| lunar_birthday_in(ly, month, day, leap) == Some(today))
}

/// Whether someone's birthday falls in `month` of solar year `year`: the solar date's month,
/// or for who gave a lunar birthday, the month it falls in that year (a lunar birthday
/// late in the lunar year can fall in the next solar year's January or February).
pub fn birthday_in_month(
    year: i16,
    month: i8,
    solar: Option<Date>,
    lunar: Option<LunarDay>,
) -> bool {
    if let Some(l) = lunar {
        return [Some(year), year.checked_sub(1)]
            .into_iter()
            .flatten()
            .filter_map(|ly| lunar_birthday_in(ly, l.month, l.day, l.leap))
            .any(|d| d.year() == year && d.month() == month);
    }
    solar.is_some_and(|b| b.month() == month)
}

/// Whether `today` is someone's birthday. Who gave a lunar birthday celebrates by it;
/// otherwise the solar date counts, with 29 February kept on 28 February in other years.
pub fn is_birthday(today: Date, solar: Option<Date>, lunar: Option<LunarDay>) -> bool {
    if let Some(l) = lunar {
        return is_lunar_birthday(today, l.month, l.day, l.leap);
    }
    let Some(b) = solar else { return false };
    let (m, d) = (b.month(), b.day());
    (m, d) == (today.month(), today.day())
        || ((m, d) == (2, 29) && !today.in_leap_year() && (today.month(), today.day()) == (2, 28))
}
