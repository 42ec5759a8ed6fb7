use super::sla::{BusinessClock, OpeningHours, SlaClock};
use super::ticket::{Action, Severity, SlaPolicy, Status};
use crate::calendar::HolidayCalendar;
use jiff::Timestamp;
use jiff::tz::{TimeZone, offset};

fn shanghai() -> TimeZone {
    TimeZone::fixed(offset(8))
}

/// A local Shanghai time as an instant.
fn at(local: &str) -> Timestamp {
    let dt: jiff::civil::DateTime = local.parse().expect("local time");
    shanghai().to_timestamp(dt).expect("instant")
}

fn local(t: Timestamp) -> String {
    shanghai()
        .to_datetime(t)
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

#[test]
fn opening_hours_read_and_write_back() {
    let h =
        OpeningHours::parse("mon-fri 09:00-18:00; sat 10:00-16:00; holidays open").expect("hours");
    assert_eq!(h.week[0], Some((540, 1080)));
    assert_eq!(h.week[5], Some((600, 960)));
    assert_eq!(h.week[6], None);
    assert!(!h.closed_on_holidays);
    assert_eq!(
        h.render(),
        "mon-fri 09:00-18:00; sat 10:00-16:00; holidays open"
    );
    assert_eq!(OpeningHours::parse(&h.render()), Ok(h));
    assert_eq!(
        OpeningHours::default().render(),
        "mon-sun 09:00-18:00; holidays closed"
    );
    for bad in [
        "mon-fri 18:00-09:00",
        "funday 09:00-18:00",
        "mon 9-18",
        "holidays maybe",
        "fri-mon 09:00-18:00",
        "mon 09:00-25:00",
    ] {
        assert_eq!(
            OpeningHours::parse(bad).map_err(|e| e.key),
            Err("error.service.hours"),
            "{bad}"
        );
    }
    assert_eq!(
        OpeningHours::parse("holidays open").map_err(|e| e.key),
        Err("error.service.never_open")
    );
}

#[test]
fn deadlines_skip_nights_weekends_and_holidays() {
    let holidays = HolidayCalendar::with_built_in(&[]);
    let daily = OpeningHours::default();
    let weekdays = OpeningHours::parse("mon-fri 09:00-18:00").expect("hours");
    let clock = |h| BusinessClock {
        hours: h,
        holidays: &holidays,
        tz: shanghai(),
    };
    // Overnight: Monday 17:00 plus two working hours is Tuesday 10:00.
    let c = clock(&daily);
    assert_eq!(
        local(c.add(at("2026-11-23T17:00"), 120)),
        "2026-11-24 10:00"
    );
    // Filed before opening: the clock starts at 09:00.
    assert_eq!(local(c.add(at("2026-11-24T07:12"), 30)), "2026-11-24 09:30");
    // Over a weekend, for a store closed on weekends: Friday 17:30 + 1 h is Monday 09:30.
    let w = clock(&weekdays);
    assert_eq!(local(w.add(at("2026-11-27T17:30"), 60)), "2026-11-30 09:30");
    // A daily store is open on the weekend.
    assert_eq!(local(c.add(at("2026-11-27T17:30"), 60)), "2026-11-28 09:30");
    // National Day 2026 (1-7 October) closes the store; it opens again on the 8th.
    assert_eq!(
        local(c.add(at("2026-09-30T17:00"), 120)),
        "2026-10-08 10:00"
    );
    // A store open on holidays is not held up.
    let open = OpeningHours::parse("mon-sun 09:00-18:00; holidays open").expect("hours");
    assert_eq!(
        local(clock(&open).add(at("2026-09-30T17:00"), 120)),
        "2026-10-01 10:00"
    );
    // Counting back: the working minutes between agree with the deadlines found.
    for minutes in [0_i64, 1, 59, 60, 539, 540, 541, 1_000, 2_400, 10_000] {
        for from in ["2026-11-23T08:00", "2026-11-27T17:59", "2026-09-30T12:00"] {
            for c in [clock(&daily), clock(&weekdays)] {
                let due = c.add(at(from), minutes);
                assert_eq!(
                    c.minutes_between(at(from), due),
                    minutes,
                    "{from} + {minutes}"
                );
            }
        }
    }
    assert_eq!(
        c.minutes_between(at("2026-11-23T20:00"), at("2026-11-24T08:00")),
        0,
        "a night is no working time"
    );
    assert_eq!(
        c.minutes_between(at("2026-11-24T10:00"), at("2026-11-23T10:00")),
        0
    );
}

#[test]
fn the_clock_stops_while_waiting_on_the_customer() {
    let holidays = HolidayCalendar::with_built_in(&[]);
    let hours = OpeningHours::default();
    let c = BusinessClock {
        hours: &hours,
        holidays: &holidays,
        tz: shanghai(),
    };
    let clock = SlaClock::started(at("2026-11-23T09:00"));
    assert_eq!(
        clock.due(480, &c).map(local).as_deref(),
        Some("2026-11-23 17:00")
    );
    // Waiting on the customer from 13:00 Monday: four hours used, no deadline.
    let waiting = clock.pause(at("2026-11-23T13:00"), &c);
    assert_eq!(waiting.used_minutes, 240);
    assert_eq!(waiting.due(480, &c), None);
    assert_eq!(waiting.used_at(at("2026-11-25T13:00"), &c), 240);
    // The customer answers on Wednesday at 10:00: four hours left, due at 14:00.
    let running = waiting.resume(at("2026-11-25T10:00"));
    assert_eq!(
        running.due(480, &c).map(local).as_deref(),
        Some("2026-11-25 14:00")
    );
    assert_eq!(running.used_at(at("2026-11-25T11:00"), &c), 300);
    // Pausing twice or resuming a running clock changes nothing.
    assert_eq!(waiting.pause(at("2026-11-26T10:00"), &c), waiting);
    assert_eq!(running.resume(at("2026-11-26T10:00")), running);
}

#[test]
fn the_workflow_allows_only_its_steps() {
    use Action as A;
    use Status as S;
    assert_eq!(S::New.after(A::Acknowledge), Ok(S::Acknowledged));
    assert_eq!(
        S::Acknowledged.after(A::WaitOnCustomer),
        Ok(S::WaitingCustomer)
    );
    assert_eq!(
        S::WaitingCustomer.after(A::CustomerReplied),
        Ok(S::InProgress)
    );
    assert_eq!(S::InProgress.after(A::Resolve), Ok(S::Resolved));
    assert_eq!(S::Resolved.after(A::Close), Ok(S::Closed));
    assert_eq!(S::Closed.after(A::Reopen), Ok(S::InProgress));
    assert_eq!(S::Resolved.after(A::Reopen), Ok(S::InProgress));
    for (from, action) in [
        (S::New, A::Close),
        (S::Closed, A::Resolve),
        (S::InProgress, A::Acknowledge),
        (S::Resolved, A::WaitOnCustomer),
        (S::New, A::Reopen),
    ] {
        assert_eq!(
            from.after(action).map_err(|e| e.key),
            Err("error.ticket.transition"),
            "{from:?} {action:?}"
        );
    }
    assert_eq!(S::Resolved.actions(), vec![A::Close, A::Reopen]);
    assert!(S::WaitingCustomer.is_open() && !S::Closed.is_open());
    for s in Status::ALL {
        assert_eq!(Status::parse(s.code()), Ok(*s));
    }
}

#[test]
fn the_most_specific_target_wins() {
    let mut p = SlaPolicy::default();
    assert_eq!(p.targets_for("logistics", Severity::Critical), (60, 480));
    p.targets.insert(
        0,
        super::ticket::SlaTarget {
            category: "logistics".into(),
            severity: Severity::Critical,
            first_response_minutes: 30,
            resolution_minutes: 240,
        },
    );
    assert_eq!(p.targets_for("logistics", Severity::Critical), (30, 240));
    assert_eq!(p.targets_for("price", Severity::Critical), (60, 480));
    assert!(p.check().is_ok());
    p.targets[0].resolution_minutes = 10;
    assert!(p.check().is_err(), "resolution before the first response");
}
