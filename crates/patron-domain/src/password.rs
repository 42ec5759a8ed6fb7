//! The password policy: at least 8 characters, at most 128, not one of the passwords people
//! pick most often, and not the username. No composition rules (NIST SP 800-63B): they make
//! passwords harder to remember without making them harder to guess.

use crate::FieldError;

/// A password that passed the policy. Hashing is done by the application layer.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;

impl NewPassword {
    pub fn parse(input: &str, username: &str) -> Result<Self, FieldError> {
        let len = input.chars().count();
        if len < MIN_CHARS {
            return Err(FieldError::new("password", "error.password.too_short"));
        }
        if len > MAX_CHARS {
            return Err(FieldError::new("password", "error.password.too_long"));
        }
        let folded = input.to_lowercase();
        if is_common(&folded) || (!username.is_empty() && folded == username.to_lowercase()) {
            return Err(FieldError::new("password", "error.password.common"));
        }
        Ok(Self(input.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Whether a (lower-cased) password is on the list of the most common ones, or is a single
/// character or a straight run of digits repeated, which no list can enumerate.
fn is_common(folded: &str) -> bool {
    let mut chars = folded.chars();
    let first = chars.next();
    if first.is_some() && chars.all(|c| Some(c) == first) {
        return true;
    }
    let ascending = "01234567890123456789";
    let descending = "98765432109876543210";
    if folded.chars().all(|c| c.is_ascii_digit())
        && (ascending.contains(folded) || descending.contains(folded))
    {
        return true;
    }
    COMMON.contains(&folded)
}

/// Passwords that top the published leak statistics, worldwide and in China (pinyin, dates,
/// 520/1314 love numbers, QQ-style). Entries shorter than 8 characters are left out: the
/// length rule already rejects them.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "12345678",
    "123456789",
    "1234567890",
    "11111111",
    "88888888",
    "66666666",
    "00000000",
    "12341234",
    "11223344",
    "12121212",
    "123123123",
    "147258369",
    "159357456",
    "987654321",
    "qwertyui",
    "qwerty123",
    "qwertyuiop",
    "1qaz2wsx",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "zaq12wsx",
    "asdfghjkl",
    "asdf1234",
    "abcd1234",
    "abc12345",
    "abc123456",
    "a1234567",
    "a12345678",
    "a123456789",
    "aa123456",
    "aa12345678",
    "qq123456",
    "qq12345678",
    "woaini1314",
    "woaini520",
    "woaini123",
    "5201314520",
    "52013145",
    "13145200",
    "1314520520",
    "iloveyou",
    "iloveyou1",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "welcome123",
    "letmein1",
    "admin123",
    "admin1234",
    "administrator",
    "root1234",
    "changeme",
    "trustno1",
    "superman",
    "dragon123",
    "monkey123",
    "computer",
    "internet",
    "michael1",
    "jennifer",
    "whatever",
    "starwars",
    "zxcvbnm1",
    "zxcvbnm123",
    "1234qwer",
    "qwer1234",
    "wang1234",
    "zhang123",
    "li123456",
    "wangwei123",
    "woaiwojia",
    "woaimama",
    "woaibaobao",
    "iloveyou520",
    "aini1314",
    "5211314",
    "12345678910",
    "123456abc",
    "123456qq",
    "123456aa",
    "123456789a",
    "a5201314",
    "xiaoming",
    "123qwe123",
    "qweasdzxc",
    "qazwsxedc",
    "1qazxsw2",
    "passwordpassword",
    "patron123",
    "patron2026",
    "huawei123",
    "xiaomi123",
    "taobao123",
    "wechat123",
    "weixin123",
    "alibaba123",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters() {
        assert!(NewPassword::parse("短密码短密码短", "u").is_err());
        assert!(NewPassword::parse("门店会员管理很安全", "u").is_ok());
        assert!(NewPassword::parse(&"xy".repeat(65), "u").is_err());
    }

    #[test]
    fn common_and_degenerate_passwords_are_rejected() {
        for p in [
            "password",
            "PassWord1",
            "woaini1314",
            "12345678",
            "aaaaaaaa",
            "87654321",
        ] {
            assert_eq!(
                NewPassword::parse(p, "u").map(|_| ()),
                Err(FieldError::new("password", "error.password.common")),
                "{p}"
            );
        }
    }

    #[test]
    fn the_username_is_not_a_password() {
        assert!(NewPassword::parse("zhang.wei", "zhang.wei").is_err());
    }

    #[test]
    fn no_composition_rules() {
        assert!(NewPassword::parse("correct horse battery staple", "u").is_ok());
        assert!(NewPassword::parse("all lower case words", "u").is_ok());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let p = NewPassword::parse("secret-garden-42", "u").expect("valid");
        assert!(!format!("{p:?}").contains("secret"));
    }
}
