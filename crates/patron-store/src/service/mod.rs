//! The service desk: orders with their delivery and installation visits, warranties, tickets
//! (with their events, attached files, compensation and the service report) and satisfaction
//! surveys.

pub mod appointments;
pub mod compensation;
pub mod orders;
pub mod surveys;
mod ticket_events;
pub mod ticket_files;
pub mod ticket_reports;
pub mod tickets;
pub mod warranties;
