//! Customer care: classes, follow-up tasks, greetings, churn warning and win-back, and saved
//! segments.

pub mod churn;
pub mod classes;
pub mod followups;
pub mod greetings;
pub mod segments;
