//! Field-level validation errors. The `key` names a message in the catalog (zh-CN and en), so
//! the web layer can show "field, reason" in the user's language without the domain knowing it.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The input field the error belongs to, as named in forms and JSON bodies.
    pub field: &'static str,
    /// Message catalog key, e.g. `error.username.invalid`.
    pub key: &'static str,
}

impl FieldError {
    pub const fn new(field: &'static str, key: &'static str) -> Self {
        Self { field, key }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.key)
    }
}

impl std::error::Error for FieldError {}
