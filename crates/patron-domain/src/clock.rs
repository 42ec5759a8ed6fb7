//! The one way domain and application code learn the time. Production uses the system clock
//! (in `patron-app`); tests inject a manual clock so expiry and schedules are deterministic.

/// A source of the current instant. Domain functions take a `jiff::Timestamp` argument instead;
/// this trait is how the layers above obtain one.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> jiff::Timestamp;
}
