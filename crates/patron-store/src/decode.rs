//! Column types as rows are decoded: the conversions from what both backends store (text
//! codes, 0/1 integers, epoch milliseconds) to typed values happen here, once, through
//! `#[sqlx(try_from = "...")]` on a row's field. The SQL stays as it is.
//!
//! ```ignore
//! #[derive(sqlx::FromRow)]
//! struct TicketRow {
//!     #[sqlx(try_from = "Code")]
//!     status: patron_domain::service::ticket::Status,
//!     #[sqlx(try_from = "Flag")]
//!     closed_unanswered: bool,
//!     #[sqlx(try_from = "Millis")]
//!     created_at: jiff::Timestamp,
//! }
//! ```
//! A status enum gets `impl TryFrom<Code> for Status` (next to the row that uses it, or in
//! the store's module for that concept) returning [`BadValue`] for an unknown code. sqlx's
//! `try_from` does not see through `Option`, so a nullable column uses [`OptCode`] or
//! [`OptMillis`] (`#[sqlx(try_from = "OptMillis")] pub closed_at: Option<Timestamp>`).

use jiff::Timestamp;

/// A column stored as a text code (a status, a kind).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct Code(pub String);

/// A 0/1 integer column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct Flag(pub i64);

/// A time stored as epoch milliseconds (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct Millis(pub i64);

/// A nullable text code column.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct OptCode(pub Option<String>);

/// A nullable 0/1 integer column (`Option<bool>: TryFrom<OptFlag>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct OptFlag(pub Option<i64>);

/// A nullable time stored as epoch milliseconds: sqlx's `try_from` does not see through
/// `Option`, so a nullable column gets its own type (`Option<Timestamp>: TryFrom<OptMillis>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct OptMillis(pub Option<i64>);

/// A stored value that is not one the code knows: the column and what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected value {found:?} in {column}")]
pub struct BadValue {
    pub column: &'static str,
    pub found: String,
}

impl BadValue {
    pub fn new(column: &'static str, found: impl Into<String>) -> Self {
        Self {
            column,
            found: found.into(),
        }
    }
}

/// For a code read outside a row struct (a single column): an error as sqlx gives one for a
/// row that does not decode.
impl From<BadValue> for crate::StoreError {
    fn from(e: BadValue) -> Self {
        crate::StoreError::Database(sqlx::Error::Decode(Box::new(e)))
    }
}

impl TryFrom<Flag> for bool {
    type Error = BadValue;

    fn try_from(f: Flag) -> Result<bool, BadValue> {
        match f.0 {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(BadValue::new("flag", other.to_string())),
        }
    }
}

impl TryFrom<OptFlag> for Option<bool> {
    type Error = BadValue;

    fn try_from(f: OptFlag) -> Result<Option<bool>, BadValue> {
        f.0.map(|v| bool::try_from(Flag(v))).transpose()
    }
}

impl TryFrom<Millis> for Timestamp {
    type Error = jiff::Error;

    fn try_from(m: Millis) -> Result<Timestamp, jiff::Error> {
        Timestamp::from_millisecond(m.0)
    }
}

impl TryFrom<OptMillis> for Option<Timestamp> {
    type Error = jiff::Error;

    fn try_from(m: OptMillis) -> Result<Option<Timestamp>, jiff::Error> {
        m.0.map(Timestamp::from_millisecond).transpose()
    }
}

/// `impl TryFrom<Code> for $enum` (and `TryFrom<OptCode> for Option<$enum>`), given the
/// column's name for the error and how the enum parses a code (`Option` out).
macro_rules! codes {
    ($($t:ty, $column:literal, $parse:expr;)+) => {$(
        impl TryFrom<$crate::decode::Code> for $t {
            type Error = $crate::decode::BadValue;

            fn try_from(c: $crate::decode::Code) -> Result<$t, $crate::decode::BadValue> {
                let parse: fn(&str) -> Option<$t> = $parse;
                parse(&c.0).ok_or_else(|| $crate::decode::BadValue::new($column, c.0))
            }
        }

        impl TryFrom<$crate::decode::OptCode> for Option<$t> {
            type Error = $crate::decode::BadValue;

            fn try_from(c: $crate::decode::OptCode) -> Result<Option<$t>, $crate::decode::BadValue> {
                c.0.map(|s| <$t>::try_from($crate::decode::Code(s))).transpose()
            }
        }
    )+};
}
pub(crate) use codes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_zero_or_one() {
        assert_eq!(bool::try_from(Flag(0)), Ok(false));
        assert_eq!(bool::try_from(Flag(1)), Ok(true));
        assert!(bool::try_from(Flag(2)).is_err());
        assert_eq!(Option::<bool>::try_from(OptFlag(None)), Ok(None));
        assert_eq!(Option::<bool>::try_from(OptFlag(Some(1))), Ok(Some(true)));
        assert!(Option::<bool>::try_from(OptFlag(Some(-1))).is_err());
    }

    #[test]
    fn millis_are_utc_instants() {
        let t = Timestamp::try_from(Millis(1_764_547_200_000)).expect("in range");
        assert_eq!(t.to_string(), "2025-12-01T00:00:00Z");
    }

    #[test]
    fn nullable_millis_stay_null() {
        assert_eq!(
            Option::<Timestamp>::try_from(OptMillis(None)).ok(),
            Some(None)
        );
        let t = Option::<Timestamp>::try_from(OptMillis(Some(0))).expect("in range");
        assert_eq!(t, Some(Timestamp::UNIX_EPOCH));
    }
}
