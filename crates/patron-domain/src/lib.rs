//! Pure types and rules of Patron. Nothing here performs IO, awaits, or reads the clock:
//! callers pass the current time in. Constructors parse untrusted input into typed values
//! ("parse, don't validate"), so a value of these types is known to be good.

pub mod audit;
pub mod calendar;
pub mod capability;
pub mod care;
pub mod clock;
pub mod customers;
pub mod field;
pub mod id_number;
pub mod membership;
pub mod messages;
pub mod money;
pub mod name_index;
pub mod password;
pub mod phone;
pub mod sales;
pub mod schedule;
pub mod scope;
pub mod service;
pub mod staff;
pub mod store;
mod stored;
pub mod totp;

pub use audit::{Actor, ActorKind, AuditEvent, Outcome};
pub use capability::{Capability, Role};
pub use clock::Clock;
pub use field::FieldError;
pub use scope::Scope;
