//! Caring for customers: classes (who matters most), and later follow-up cadence,
//! greetings and churn warning, which build on them.

pub mod classes;
pub mod followups;
pub mod greetings;
pub mod holidays;
