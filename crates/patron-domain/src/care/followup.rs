//! Follow-up (回访) rules: how often each spend class is contacted, which events call for a
//! follow-up, and how a contact went. Days are numbered from 1970-01-01 in the local calendar,
//! so "due in 7 days" is plain arithmetic in SQL on either database.

use crate::FieldError;
use crate::care::classes::SpendClass;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

const EPOCH: Date = Date::constant(1970, 1, 1);

/// The local date as a day number (days since 1970-01-01).
pub fn day_number(d: Date) -> i64 {
    i64::from((d - EPOCH).get_days())
}

/// The local date of a day number; `None` beyond jiff's range.
pub fn date_of(day: i64) -> Option<Date> {
    let days = i32::try_from(day).ok()?;
    EPOCH.checked_add(jiff::Span::new().days(days)).ok()
}

/// The cadence and the event follow-ups. Zero days switches a rule off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FollowupRules {
    /// Days between contacts for key, major, ordinary and small customers (handbook:
    /// weekly, every two weeks, monthly, quarterly).
    pub key_days: u32,
    pub major_days: u32,
    pub ordinary_days: u32,
    pub small_days: u32,
    /// A call this many days after a purchase ("how is the new floor?").
    pub after_purchase_days: u32,
    /// A call this many days after a complaint was resolved ("is it all right now?").
    pub after_complaint_days: u32,
    /// A call this many days after a delivery or installation ("is everything in place?").
    pub after_visit_days: u32,
    /// A call when points or a card run out within this many days.
    pub expiry_days: u32,
    /// A visit to re-verify key and major customers' files not verified for this many days.
    pub stale_days: u32,
    /// How far ahead the list shows upcoming tasks.
    pub upcoming_days: u32,
}

impl Default for FollowupRules {
    fn default() -> Self {
        Self {
            key_days: 7,
            major_days: 14,
            ordinary_days: 30,
            small_days: 90,
            after_purchase_days: 3,
            after_complaint_days: 3,
            after_visit_days: 2,
            expiry_days: 14,
            stale_days: 365,
            upcoming_days: 7,
        }
    }
}

impl FollowupRules {
    pub fn cadence_days(&self, class: SpendClass) -> u32 {
        match class {
            SpendClass::Key => self.key_days,
            SpendClass::Major => self.major_days,
            SpendClass::Ordinary => self.ordinary_days,
            SpendClass::Small => self.small_days,
        }
    }

    /// Every value within reason: a cadence of at most a year, events within 90 days.
    pub fn check(&self) -> Result<(), FieldError> {
        let fields = [
            ("key_days", self.key_days, 366),
            ("major_days", self.major_days, 366),
            ("ordinary_days", self.ordinary_days, 366),
            ("small_days", self.small_days, 366),
            ("after_purchase_days", self.after_purchase_days, 90),
            ("after_complaint_days", self.after_complaint_days, 90),
            ("after_visit_days", self.after_visit_days, 90),
            ("expiry_days", self.expiry_days, 90),
            ("stale_days", self.stale_days, 3660),
            ("upcoming_days", self.upcoming_days, 60),
        ];
        for (field, value, max) in fields {
            if value > max {
                return Err(FieldError::new(field, "error.followup.days"));
            }
        }
        Ok(())
    }
}

crate::stored::stored_codes! {
    /// Where a follow-up task stands.
    TaskStatus { Open => "open", Done => "done", Cancelled => "cancelled" }
}

/// Why a follow-up task exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Cadence,
    AfterPurchase,
    AfterComplaint,
    AfterVisit,
    Expiry,
    StaleProfile,
    Winback,
}

impl TaskKind {
    pub const ALL: [TaskKind; 7] = [
        TaskKind::Cadence,
        TaskKind::AfterPurchase,
        TaskKind::AfterComplaint,
        TaskKind::AfterVisit,
        TaskKind::Expiry,
        TaskKind::StaleProfile,
        TaskKind::Winback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Cadence => "cadence",
            TaskKind::AfterPurchase => "after_purchase",
            TaskKind::AfterComplaint => "after_complaint",
            TaskKind::AfterVisit => "after_visit",
            TaskKind::Expiry => "expiry",
            TaskKind::StaleProfile => "stale_profile",
            TaskKind::Winback => "winback",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How a contact went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactOutcome {
    Reached,
    NoAnswer,
    CallBack,
    WrongNumber,
    Declined,
}

impl ContactOutcome {
    pub const ALL: [ContactOutcome; 5] = [
        ContactOutcome::Reached,
        ContactOutcome::NoAnswer,
        ContactOutcome::CallBack,
        ContactOutcome::WrongNumber,
        ContactOutcome::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactOutcome::Reached => "reached",
            ContactOutcome::NoAnswer => "no_answer",
            ContactOutcome::CallBack => "call_back",
            ContactOutcome::WrongNumber => "wrong_number",
            ContactOutcome::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// Whether the customer was actually spoken to (an unanswered call is retried sooner).
    pub fn reached(self) -> bool {
        matches!(self, ContactOutcome::Reached | ContactOutcome::Declined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip() {
        let d = Date::constant(2026, 11, 24);
        assert_eq!(day_number(EPOCH), 0);
        assert_eq!(date_of(day_number(d)), Some(d));
        assert_eq!(day_number(d) - day_number(Date::constant(2026, 11, 17)), 7);
    }

    #[test]
    fn defaults_follow_the_handbook_and_limits_hold() {
        let r = FollowupRules::default();
        assert_eq!(r.cadence_days(SpendClass::Key), 7);
        assert_eq!(r.cadence_days(SpendClass::Small), 90);
        assert_eq!(r.check(), Ok(()));
        let bad = FollowupRules { key_days: 400, ..r };
        assert_eq!(bad.check().map_err(|e| e.field), Err("key_days"));
        assert_eq!(
            ContactOutcome::parse("no_answer"),
            Some(ContactOutcome::NoAnswer)
        );
    }
}
