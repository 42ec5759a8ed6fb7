//! Patron's storage boundary. Every public method is shaped like a use case and owns its
//! transaction. One SQL text per query runs on SQLite and PostgreSQL through `sqlx::Any`;
//! the few dialect-specific statements sit side by side in named places (`Db::dialect`).

pub mod appointments;
pub mod audit;
pub mod backup;
pub mod churn;
pub mod classes;
pub mod compensation;
pub mod credentials;
pub mod customers;
mod db;
pub mod decode;
mod error;
pub mod followups;
pub mod greetings;
pub mod jobs;
pub mod links;
pub mod mall;
pub mod message_templates;
pub mod notices;
pub mod orders;
pub mod outbox;
pub mod points;
pub mod roles;
pub mod sales;
pub mod schema;
pub mod sealed;
pub mod segments;
pub mod sessions;
pub mod settings;
pub mod staff;
pub mod staff_day_totals;
pub mod stores;
pub mod surveys;
pub mod throttle;
mod ticket_events;
pub mod ticket_files;
pub mod ticket_reports;
pub mod tickets;
pub mod warranties;

pub use db::{Backend, ConnectOptions, Db, Scope, Synchronous, WriteTx, ms};
pub use error::StoreError;
