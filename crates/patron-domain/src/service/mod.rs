//! After-sales service: the ticket workflow and the SLA clock counted in each store's
//! business hours.

pub mod sla;
pub mod ticket;

#[cfg(test)]
mod tests;
