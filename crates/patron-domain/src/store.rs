//! Store identity values: the short code used on receipts and archive numbers, the display
//! name, and the IANA time zone that decides the store's day boundaries.

use crate::FieldError;

/// A store code such as `S01` or `SH-XUHUI`: 1 to 16 upper-case ASCII letters, digits or `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoreCode(String);

impl StoreCode {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim().to_ascii_uppercase();
        let ok = (1..=16).contains(&s.len())
            && !s.starts_with('-')
            && s.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Self(s))
        } else {
            Err(FieldError::new("code", "error.store_code.invalid"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A store's name, e.g. 徐汇旗舰店. 1 to 60 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreName(String);

impl StoreName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        let len = s.chars().count();
        if len == 0 || len > 60 || s.chars().any(char::is_control) {
            return Err(FieldError::new("name", "error.store_name.invalid"));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone name known to the bundled time zone database, e.g. `Asia/Shanghai`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        match jiff::tz::TimeZone::get(s) {
            Ok(_) if !s.is_empty() => Ok(Self(s.to_string())),
            _ => Err(FieldError::new("timezone", "error.timezone.invalid")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn default_china() -> Self {
        Self("Asia/Shanghai".to_string())
    }
}

/// Whether a store trades: a closed store keeps its records, its till keys stop working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreStatus {
    Open,
    Closed,
}

impl StoreStatus {
    /// The code as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Open, Self::Closed]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_codes_are_upper_cased() {
        assert_eq!(StoreCode::parse(" s01 ").map(|c| c.0), Ok("S01".into()));
        assert!(StoreCode::parse("").is_err());
        assert!(StoreCode::parse("门店1").is_err());
        assert!(StoreCode::parse("-X").is_err());
        assert!(StoreCode::parse(&"A".repeat(17)).is_err());
    }

    #[test]
    fn time_zones_come_from_the_bundled_database() {
        assert!(TimeZoneName::parse("Asia/Shanghai").is_ok());
        assert!(TimeZoneName::parse("Asia/Urumqi").is_ok());
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
        assert!(TimeZoneName::parse("").is_err());
    }

    #[test]
    fn store_names_allow_chinese() {
        assert!(StoreName::parse("徐汇旗舰店").is_ok());
        assert!(StoreName::parse(" ").is_err());
    }
}
