//! Patron's storage boundary. Every public method is shaped like a use case and owns its
//! transaction. One SQL text per query runs on SQLite and PostgreSQL through `sqlx::Any`;
//! the few dialect-specific statements sit side by side in named places (`Db::dialect`).

pub mod audit;
pub(crate) mod audited;
pub mod backup;
pub mod care;
pub mod customers;
mod db;
pub mod decode;
mod error;
pub mod jobs;
pub mod membership;
pub mod messages;
pub mod reports;
pub mod sales;
pub mod schema;
pub mod sealed;
pub mod security;
pub mod service;
pub mod settings;
pub mod staff;
pub mod stores;

pub use db::{Backend, ConnectOptions, Db, Scope, Synchronous, WriteTx, ms};
pub use error::StoreError;
