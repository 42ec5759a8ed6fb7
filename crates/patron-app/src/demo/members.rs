//! When each demo customer joins and how they buy afterwards. A customer joins at a till, on
//! the day of their first purchase, at the store they bought in; a wave of the stores'
//! existing customers signs up in the first three months of the programme, then people join
//! as trade brings them in (busier days, more sign-ups).

use crate::demo::DemoStore;
use crate::demo::customers::Dice;
use crate::demo::trade::TradeDay;
use jiff::Timestamp;
use jiff::civil::Date;

/// How a member buys once they have joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Habit {
    /// Bought once (a replacement tap, a few tiles); rarely back.
    Once,
    /// Renovating: many trips in the hundred days after joining (tiles and floors first,
    /// then bathroom and hardware, lights last), then now and then.
    Renovation,
    /// A landlord, a small shop, a designer's client: every few weeks.
    Regular,
    /// A decoration contractor (装修队): several times a week, large tickets. Two a store.
    Heavy,
}

impl Habit {
    /// The chance of buying on an ordinary day (traffic 1.0), `age` days after joining.
    pub fn daily_chance(self, age: i64) -> f64 {
        match self {
            Habit::Once => 0.0015,
            Habit::Renovation if age <= 100 => 0.07,
            Habit::Renovation => 0.004,
            Habit::Regular => 0.035,
            Habit::Heavy => 0.3,
        }
    }
}

/// One demo customer's joining.
#[derive(Debug, Clone)]
pub(crate) struct Joining {
    /// Index into the demo stores.
    pub store: usize,
    pub day: Date,
    /// The first purchase, at the till where they sign up.
    pub at: Timestamp,
    pub habit: Habit,
}

/// Which demo customers join when: `count` joinings in time order over the stores' days
/// (`days[i]`: store i's days of trade), the stores' shares of trade weighing where.
pub(crate) fn plan(
    count: usize,
    stores: &[DemoStore],
    days: &[Vec<TradeDay>],
    d: &mut Dice,
) -> Vec<Joining> {
    // Cumulative weight of every (store, day): trade, with the launch wave on top.
    let mut slots: Vec<(usize, usize, f64)> = Vec::new();
    let mut total = 0.0;
    for (s, store) in stores.iter().enumerate() {
        for (i, day) in days[s].iter().enumerate() {
            let launch = 1.0 + 4.0 * (1.0 - i as f64 / 90.0).max(0.0);
            let weight = store.share * day.traffic * launch;
            if weight > 0.0 {
                total += weight;
                slots.push((s, i, total));
            }
        }
    }
    let mut out = Vec::with_capacity(count);
    if slots.is_empty() {
        return out;
    }
    for _ in 0..count {
        let roll = d.unit() * total;
        let at = slots.partition_point(|(_, _, upto)| *upto <= roll);
        let (s, i, _) = slots[at.min(slots.len() - 1)];
        let day = days[s][i].date;
        let hour = crate::demo::trade::hour(d, day);
        let Some(at) = stores[s].at(day, hour, d.below(60) as i8, d.below(60) as i8) else {
            continue;
        };
        out.push(Joining {
            store: s,
            day,
            at,
            habit: Habit::Once,
        });
    }
    out.sort_by_key(|j| j.at);
    // Habits: the third and the twelfth member of each store are its contractors.
    let mut seen = vec![0usize; stores.len()];
    for j in &mut out {
        seen[j.store] += 1;
        j.habit = match (seen[j.store], d.below(100)) {
            (3 | 12, _) => Habit::Heavy,
            (_, 0..30) => Habit::Once,
            (_, 30..75) => Habit::Renovation,
            _ => Habit::Regular,
        };
    }
    out
}
