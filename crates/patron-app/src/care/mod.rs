//! Caring for customers: classes (who matters most), the follow-up cadence, greetings, and
//! churn warning with win-back playbooks, which build on them.

pub mod churn;
pub mod classes;
pub mod followups;
pub mod greeting_delivery;
pub mod greetings;
pub mod holidays;
