//! After-sales service: the ticket workflow, the SLA clock counted in each store's
//! business hours, and surveys.

pub mod report;
pub mod sla;
pub mod survey;
pub mod ticket;

#[cfg(test)]
mod survey_tests;
#[cfg(test)]
mod tests;
