//! Care pages: customer classes, follow-up tasks, the greetings calendar, churn warning and
//! win-back, and saved segments.

pub mod calendar;
pub mod churn;
pub mod classes;
pub mod followups;
pub mod segments;
