//! The shape of the demo chain's trade, day by day: when the stores are closed, how busy a
//! day is (weekday, renovation seasons, Spring Festival, public holidays, 618 and 双十一),
//! the monthly member day, and the hours receipts fall in. Pure rules on dates, so the sales
//! and the customers joining follow the same calendar.

use crate::demo::customers::Dice;
use jiff::civil::{Date, Weekday};
use patron_domain::calendar::Festival;

/// The monthly member day: the 18th (要发). Members earn double points that day (the demo
/// programme says so), and about 2.2 times as many of them come in; walk-ins do not.
pub(crate) const MEMBER_DAY: i8 = 18;

/// How much likelier a member is to buy on the member day.
pub(crate) const MEMBER_DAY_PULL: f64 = 2.2;

/// One day of trade at a demo store.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TradeDay {
    pub date: Date,
    /// Customers coming in against an ordinary day (1.0); 0 when closed.
    pub traffic: f64,
    pub member_day: bool,
    /// 618, 双十一 and the May Day and National Day holidays: more lines discounted.
    pub promotion: bool,
}

impl TradeDay {
    pub fn open(&self) -> bool {
        self.traffic > 0.0
    }
}

/// The days from `first` to `last`, both included, with the trade each has.
pub(crate) fn days(first: Date, last: Date) -> Vec<TradeDay> {
    // New Year's Days (初一) from the lunar calendar, a year either side of the range.
    let festivals: Vec<Date> = (first.year() - 1..=last.year() + 1)
        .filter_map(|y| Festival::SpringFestival.date_in_lunar_year(y))
        .collect();
    let mut out = Vec::new();
    let mut date = first;
    while date <= last {
        out.push(day(date, &festivals));
        match date.tomorrow() {
            Ok(next) => date = next,
            Err(_) => break,
        }
    }
    out
}

/// One day's trade; `festivals` are the Spring Festivals (初一) around it.
fn day(date: Date, festivals: &[Date]) -> TradeDay {
    let promotion = promotion(date);
    let mut traffic = weekday(date.weekday()) * season(date.month()) * holiday(date);
    if let Some(k) = festivals
        .iter()
        .map(|f| (date - *f).get_days())
        .find(|k| (-21..=14).contains(k))
    {
        traffic *= spring_festival(k);
    }
    TradeDay {
        date,
        traffic,
        member_day: date.day() == MEMBER_DAY,
        promotion,
    }
}

/// Weekends bring the couples who shop for their renovation together.
fn weekday(w: Weekday) -> f64 {
    match w {
        Weekday::Monday => 0.85,
        Weekday::Tuesday => 0.8,
        Weekday::Wednesday => 0.85,
        Weekday::Thursday => 0.9,
        Weekday::Friday => 1.0,
        Weekday::Saturday => 1.6,
        Weekday::Sunday => 1.5,
    }
}

/// Renovation seasons: spring (March to May) and autumn (September to November) are high;
/// the plum rains of June and the summer heat of July and August are low. January and
/// February are set mostly by the Spring Festival.
fn season(month: i8) -> f64 {
    match month {
        1 => 0.9,
        2 => 0.85,
        3 => 1.2,
        4 => 1.3,
        5 => 1.2,
        6 => 0.95,
        7 => 0.65,
        8 => 0.65,
        9 => 1.15,
        10 => 1.3,
        11 => 1.2,
        _ => 1.0,
    }
}

/// Days from New Year's Day (初一, day 0): a run-up three weeks before (renovations
/// finished and homes made ready for the new year), a quiet last week as workers travel
/// home, closed on 除夕 and 初一, very low until 初七, then picking up until 元宵.
fn spring_festival(k: i32) -> f64 {
    match k {
        -21..=-8 => 1.35,
        -7..=-2 => 0.5,
        -1..=0 => 0.0,
        1..=6 => 0.2,
        // 0.45 on 初八, rising to 0.8 by 元宵 (十五).
        _ => 0.45 + 0.05 * f64::from(k - 7),
    }
}

/// The May Day and National Day holidays are the home-improvement fairs (家装节); 618 and
/// 双十一 are the online festivals the stores match, busiest on their last days.
fn holiday(date: Date) -> f64 {
    match (date.month(), date.day()) {
        (5, 1..=5) => 1.4,
        (10, 1..=7) => 1.5,
        (6, 1..=15) | (11, 1..=8) => 1.15,
        (6, 16..=18) => 1.7,
        (11, 9..=11) => 1.8,
        _ => 1.0,
    }
}

fn promotion(date: Date) -> bool {
    matches!(
        (date.month(), date.day()),
        (5, 1..=5) | (10, 1..=7) | (6, 1..=18) | (11, 1..=11)
    )
}

/// Receipts by hour from opening (09:00) to the last hour (20:00–21:00): a lunch peak and a
/// larger evening one on weekdays; weekend afternoons are busy too.
const HOURS: [(i8, u32, u32); 12] = [
    // (hour, weekday weight, weekend weight)
    (9, 3, 4),
    (10, 8, 10),
    (11, 13, 13),
    (12, 14, 13),
    (13, 9, 12),
    (14, 7, 12),
    (15, 7, 12),
    (16, 8, 12),
    (17, 10, 11),
    (18, 13, 11),
    (19, 15, 12),
    (20, 9, 8),
];

/// An hour of the day the store is open, as busy hours are likelier.
pub(crate) fn hour(d: &mut Dice, date: Date) -> i8 {
    let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
    let weight = |&(_, wd, we): &(i8, u32, u32)| if weekend { we } else { wd };
    let total: u32 = HOURS.iter().map(weight).sum();
    let mut roll = d.below(total as usize) as u32;
    for h in &HOURS {
        if roll < weight(h) {
            return h.0;
        }
        roll -= weight(h);
    }
    HOURS[HOURS.len() - 1].0
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn closed_on_the_eve_and_the_first_day_of_the_lunar_year() {
        // 2025: 除夕 on 28 January, 初一 on the 29th (from the lunar calendar in `days`).
        let days = days(date(2025, 1, 1), date(2025, 3, 31));
        let on = |d: Date| days.iter().find(|t| t.date == d).copied();
        let eve = on(date(2025, 1, 28)).expect("eve");
        let first = on(date(2025, 1, 29)).expect("first");
        assert!(!eve.open() && !first.open());
        let run_up = on(date(2025, 1, 15)).expect("run-up");
        let holiday = on(date(2025, 2, 1)).expect("holiday");
        assert!(run_up.traffic > 1.0 && holiday.traffic < 0.5);
        assert!(days.iter().filter(|t| !t.open()).count() == 2);
    }

    #[test]
    fn weekends_seasons_and_member_days() {
        let days = days(date(2025, 3, 1), date(2025, 8, 31));
        let mean = |f: &dyn Fn(&TradeDay) -> bool| {
            let v: Vec<f64> = days.iter().filter(|t| f(t)).map(|t| t.traffic).collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        let weekend =
            |t: &TradeDay| matches!(t.date.weekday(), Weekday::Saturday | Weekday::Sunday);
        assert!(mean(&weekend) > 1.4 * mean(&|t| !weekend(t)));
        assert!(mean(&|t| t.date.month() == 4) > 1.5 * mean(&|t| t.date.month() == 7));
        assert_eq!(days.iter().filter(|t| t.member_day).count(), 6);
        assert!(days.iter().any(|t| t.promotion && t.date.month() == 6));
    }

    #[test]
    fn hours_within_opening_time_with_two_peaks() {
        let mut d = Dice(7);
        let mut count = [0u32; 24];
        for _ in 0..10_000 {
            count[hour(&mut d, date(2025, 3, 5)) as usize] += 1;
        }
        assert_eq!(
            count[..9].iter().sum::<u32>() + count[21..].iter().sum::<u32>(),
            0
        );
        assert!(count[12] > count[15] && count[19] > count[15] && count[9] < count[15]);
    }
}
