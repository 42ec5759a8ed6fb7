//! What Patron sends: message templates, notices to members (one per occasion) and the
//! durable outbox every channel is fed from.

pub mod notices;
pub mod outbox;
pub mod templates;
