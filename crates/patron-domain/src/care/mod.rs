//! Customer care: classes (spend share, frequency, value), churn signals and follow-up
//! cadences.

pub mod churn;
pub mod classes;
pub mod followup;
