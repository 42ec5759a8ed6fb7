//! Signing in and calling the API: sessions, sign-in throttling counters, personal API tokens
//! and till keys.

pub mod credentials;
pub mod sessions;
pub mod throttle;
