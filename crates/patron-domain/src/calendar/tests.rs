//! Judged by ../shared/oracles/festivals.csv (lunar-python, cross-checked with lunardate) and
//! ../shared/oracles/holidays.csv (chinese-calendar).

use super::holidays::{BUILT_IN, parse_lines};
use super::*;
use crate::FieldError;

fn oracle(name: &str) -> String {
    let path = format!(
        "{}/../../../shared/oracles/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).expect("oracle beside the repository")
}

fn date(s: &str) -> Date {
    s.parse().expect("date")
}

#[test]
fn festivals_agree_with_the_oracle_for_every_lunar_year() {
    let text = oracle("festivals.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let columns = [
        (Festival::SpringFestival, col("spring_festival")),
        (Festival::Lantern, col("lantern")),
        (Festival::DragonBoat, col("dragon_boat")),
        (Festival::Qixi, col("qixi")),
        (Festival::MidAutumn, col("mid_autumn")),
        (Festival::DoubleNinth, col("double_ninth")),
        (Festival::Laba, col("laba")),
        (Festival::NewYearsEve, col("new_years_eve")),
        (Festival::Qingming, col("qingming")),
    ];
    let mut checked = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let year: i16 = f[0].parse().expect("year");
        for (festival, c) in columns {
            let expected = date(f[c]);
            assert_eq!(
                festival.date_in_lunar_year(year),
                Some(expected),
                "{festival:?} of lunar year {year}"
            );
            // The same date found from the solar year it falls in, as the calendar API asks.
            assert!(
                festival.dates_in_year(expected.year()).contains(&expected),
                "{festival:?} in solar year {}",
                expected.year()
            );
            assert!(festivals_in(expected.year()).contains(&(festival, expected)));
            checked += 1;
        }
        // Lunar birthdays on festival days: 8-15 is Mid-Autumn, 1-1 Spring Festival, and a
        // 12-30 birthday is kept on New Year's Eve whether the month has 29 or 30 days.
        assert!(is_lunar_birthday(date(f[col("mid_autumn")]), 8, 15, false));
        assert!(is_lunar_birthday(
            date(f[col("spring_festival")]),
            1,
            1,
            false
        ));
        assert!(is_lunar_birthday(
            date(f[col("new_years_eve")]),
            12,
            30,
            false
        ));
        let eve_day: u8 = f[col("new_years_eve_lunar_day")].parse().expect("day");
        assert!(is_lunar_birthday(
            date(f[col("new_years_eve")]),
            12,
            eve_day,
            false
        ));
    }
    assert_eq!(checked, 36 * 9);
}

#[test]
fn fixed_festivals_and_the_year_listing() {
    let list = festivals_in(2027);
    let codes: Vec<&str> = list.iter().map(|(f, _)| f.code()).collect();
    assert_eq!(list.first(), Some(&(Festival::NewYear, date("2027-01-01"))));
    assert!(list.contains(&(Festival::NationalDay, date("2027-10-01"))));
    assert!(list.contains(&(Festival::LabourDay, date("2027-05-01"))));
    // New Year's Eve of lunar 2026 falls in 2027; that of lunar 2027 falls in 2028.
    assert!(list.contains(&(Festival::NewYearsEve, date("2027-02-05"))));
    assert!(list.windows(2).all(|w| w[0].1 <= w[1].1), "in date order");
    // Laba of lunar 2026 falls on 2027-01-15; that of lunar 2027 in 2028.
    assert_eq!(codes.len(), 12, "{codes:?}");
    assert_eq!(Festival::Laba.dates_in_year(2003).len(), 2);
    for f in Festival::ALL {
        assert_eq!(Festival::from_code(f.code()), Some(f));
    }
    assert!(Festival::SpringFestival.dates_in_year(3000).is_empty());
}

#[test]
fn lunar_birthdays_in_leap_and_short_months() {
    // 2023 has a leap second month (闰二月, from 2023-03-22).
    assert!(is_lunar_birthday(date("2023-03-31"), 2, 10, true));
    assert!(!is_lunar_birthday(date("2023-03-01"), 2, 10, true));
    // An ordinary 2-10 birthday stays in the ordinary month.
    assert!(is_lunar_birthday(date("2023-03-01"), 2, 10, false));
    // In 2024 there is no leap second month: kept in the ordinary one.
    assert!(is_lunar_birthday(date("2024-03-19"), 2, 10, true));
    assert!(!is_lunar_birthday(date("2024-03-19"), 2, 11, false));
}

#[test]
fn built_in_schedules_agree_with_the_oracle() {
    let cal = HolidayCalendar::with_built_in(&[]);
    assert_eq!(parse_lines(BUILT_IN).map(|l| l.len()).ok(), Some(24));
    let mut checked = 0;
    for line in oracle("holidays.csv").lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let day = date(f[0]);
        if day.year() < 2025 {
            continue;
        }
        assert_eq!(cal.is_rest_day(day), f[3] == "1", "{day}");
        checked += 1;
    }
    assert_eq!(checked, 365 * 2);
}

/// The admin's path: each year's announced holidays and working days typed as lines. Fed
/// every official day the oracle knows (2004-2026), the calendar must call every date of
/// those years as the oracle does. The oracle misses two adjusted working days (2013-04-07,
/// 2013-10-12); since the lines come from it, they are missing here too.
#[test]
fn admin_lines_reproduce_every_year_of_the_oracle() {
    let text = oracle("holidays.csv");
    let mut typed = String::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[4] == "1" {
            typed.push_str(&format!("{} {}\n", f[0], f[6]));
        } else if f[8] == "1" {
            typed.push_str(&format!("{} 上班 {}\n", f[0], f[10]));
        }
    }
    let lines = parse_lines(&typed).expect("every oracle line parses");
    let cal = HolidayCalendar::from_lines(&lines);
    let mut checked = 0;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let day = date(f[0]);
        assert_eq!(cal.is_rest_day(day), f[3] == "1", "{day}");
        checked += 1;
    }
    assert!(checked > 8_000);
    assert!(cal.knows_year(2004) && !cal.knows_year(2027));
}

#[test]
fn holiday_lines_parse_and_refuse() {
    let l = HolidayLine::parse("2027-10-01~2027-10-07 国庆节").expect("range");
    assert_eq!(
        (l.from, l.to, l.rest),
        (date("2027-10-01"), date("2027-10-07"), true)
    );
    assert_eq!(HolidayLine::parse(&l.render()), Ok(l));
    let w = HolidayLine::parse("2027-09-26 上班 国庆节").expect("work day");
    assert!(!w.rest);
    assert_eq!(w.name, "国庆节");
    assert_eq!(HolidayLine::parse(&w.render()), Ok(w));
    let key = |s: &str| HolidayLine::parse(s).map_err(|e| e.key);
    assert_eq!(key("2027-13-01 春节"), Err("error.holidays.date"));
    assert_eq!(
        key("2027-10-07~2027-10-01 国庆节"),
        Err("error.holidays.range")
    );
    assert_eq!(
        key("2027-01-01~2027-03-01 太长"),
        Err("error.holidays.range")
    );
    assert_eq!(key("2027-10-01"), Err("error.holidays.name"));
    assert_eq!(
        parse_lines("# 2027\n2027-01-01 元旦\nxx 春节\n").map(|v| v.len()),
        Err((3, FieldError::new("holidays", "error.holidays.date")))
    );
}

#[test]
fn birthdays_by_the_calendar_the_customer_keeps() {
    let solar = Some(date("1990-02-28"));
    assert!(is_birthday(date("2027-02-28"), solar, None));
    let leap_day = Some(date("1992-02-29"));
    assert!(is_birthday(date("2027-02-28"), leap_day, None));
    assert!(!is_birthday(date("2028-02-28"), leap_day, None));
    assert!(is_birthday(date("2028-02-29"), leap_day, None));
    // A lunar birthday wins over the solar date: Mid-Autumn 2027 is 2027-09-15.
    let lunar = Some(LunarDay {
        month: 8,
        day: 15,
        leap: false,
    });
    assert!(is_birthday(
        date("2027-09-15"),
        Some(date("1980-03-01")),
        lunar
    ));
    assert!(!is_birthday(
        date("2027-03-01"),
        Some(date("1980-03-01")),
        lunar
    ));
    assert!(!is_birthday(date("2027-03-01"), None, None));
}

/// Birthday months of lunar birthdays, judged by the oracle's Mid-Autumn (8-15) and Laba
/// (12-08, which often falls in the next solar January) dates: the month holding that year's
/// date matches, the month after does not.
#[test]
fn lunar_birthday_months_follow_the_oracle() {
    let csv = oracle("festivals.csv");
    let mut checked = 0;
    for row in csv.lines().skip(1) {
        let cols: Vec<&str> = row.split(',').collect();
        for (col, month, day) in [(6, 8, 15), (8, 12, 8)] {
            let d = date(cols[col]);
            let born = Some(crate::customers::LunarDay {
                month,
                day,
                leap: false,
            });
            assert!(birthday_in_month(d.year(), d.month(), None, born), "{d}");
            let next = d.month() % 12 + 1;
            if next != 1 {
                assert!(!birthday_in_month(d.year(), next, None, born), "{d}");
            }
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        2 * (csv.lines().count() - 1),
        "every lunar year twice"
    );
    let solar = Some(date("1990-03-15"));
    assert!(birthday_in_month(2026, 3, solar, None));
    assert!(!birthday_in_month(2026, 4, solar, None));
    assert!(!birthday_in_month(2026, 3, None, None));
}
