//! Staff identity values: login names, display names and e-mail addresses.

use crate::FieldError;

/// A login name: 3 to 32 characters of lower-case ASCII letters, digits, `.`, `_` or `-`,
/// starting with a letter or digit. Input is trimmed and lower-cased, so `Zhang.Wei ` and
/// `zhang.wei` are the same account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim().to_ascii_lowercase();
        let err = FieldError::new("username", "error.username.invalid");
        let len = s.chars().count();
        if !(3..=32).contains(&len) {
            return Err(err);
        }
        let first_ok = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        let all_ok = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if first_ok && all_ok {
            Ok(Self(s))
        } else {
            Err(err)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name shown to colleagues, e.g. 张伟. 1 to 40 characters (counted as characters, not bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        let len = s.chars().count();
        if len == 0 || len > 40 || s.chars().any(char::is_control) {
            return Err(FieldError::new(
                "display_name",
                "error.display_name.invalid",
            ));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, checked for shape only (one `@`, a dotted domain, no spaces). Whether
/// it receives mail is only known by sending to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        let err = FieldError::new("email", "error.email.invalid");
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err);
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(err);
        };
        let domain_ok = domain.contains('.')
            && !domain.contains('@')
            && domain.split('.').all(|label| !label.is_empty());
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(err);
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether an account may sign in: `Invited` until the first password is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffStatus {
    Active,
    Disabled,
    Invited,
}

impl StaffStatus {
    pub const ALL: &'static [StaffStatus] = &[Self::Active, Self::Disabled, Self::Invited];

    /// The code as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Invited => "invited",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(
            Username::parse(" Zhang.Wei ").map(|u| u.0),
            Ok("zhang.wei".into())
        );
        for bad in ["", "ab", "-lead", "张伟", "a b c", &"x".repeat(33)] {
            assert!(Username::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn display_names_count_characters_not_bytes() {
        assert!(DisplayName::parse(&"张".repeat(40)).is_ok());
        assert!(DisplayName::parse(&"张".repeat(41)).is_err());
        assert!(DisplayName::parse("  ").is_err());
    }

    #[test]
    fn emails_need_a_dotted_domain() {
        assert_eq!(
            Email::parse("Li.Na@Example.CN").map(|e| e.0),
            Ok("Li.Na@example.cn".into())
        );
        for bad in [
            "li",
            "li@",
            "@x.cn",
            "li@localhost",
            "li na@x.cn",
            "li@x..cn",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
