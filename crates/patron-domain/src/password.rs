//! The password policy: at least 8 characters, at most 128, not among the passwords people
//! pick most often, and not the username. No composition rules (NIST SP 800-63B): they make
//! passwords harder to remember without making them harder to guess. "Most often" is the
//! zxcvbn crate's leaked-password frequency list (compiled in) to rank 10,000, plus a short
//! list of favourites in China that the list, collected mostly in English, lacks.

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

/// How deep into the leaked-password list a password is refused.
pub const COMMON_RANK: u64 = 10_000;

/// Whether a (lower-cased) password is among the most common ones, or is a single character
/// or a straight run of digits repeated, which no list can enumerate.
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
    REGIONAL.contains(&folded) || among_likeliest_guesses(folded)
}

/// Whether zxcvbn finds the whole password as one pattern no harder than the list's
/// `COMMON_RANK`th entry: a list entry of that rank or better, also spelled backwards or in
/// l33t (p@ssw0rd), or an equally weak keyboard walk, date or dictionary word. A password
/// made of two or more patterns is estimated at more than `COMMON_RANK` guesses by zxcvbn's
/// own scoring, so only single patterns are judged.
fn among_likeliest_guesses(folded: &str) -> bool {
    let estimate = zxcvbn::zxcvbn(folded, &[]);
    match estimate.sequence() {
        [only] => only.guesses.is_some_and(|g| g <= COMMON_RANK),
        _ => false,
    }
}

/// Favourites in China missing from zxcvbn's list (pinyin, dates, 520/1314 love numbers,
/// brands). Entries shorter than 8 characters are left out: the length rule rejects them.
const REGIONAL: &[&str] = &[
    "88888888",
    "66666666",
    "00000000",
    "12341234",
    "12121212",
    "123123123",
    "159357456",
    "987654321",
    "aa12345678",
    "qq12345678",
    "woaini1314",
    "woaini520",
    "woaini123",
    "5201314520",
    "52013145",
    "13145200",
    "1314520520",
    "admin1234",
    "administrator",
    "root1234",
    "jennifer",
    "wang1234",
    "zhang123",
    "li123456",
    "wangwei123",
    "woaiwojia",
    "woaimama",
    "woaibaobao",
    "iloveyou520",
    "aini1314",
    "a5201314",
    "xiaoming",
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
    fn the_leaked_list_is_used_to_rank_ten_thousand() {
        // Ranks 7,051 to 7,256 of the list; none was on the hand-made list this replaced.
        for p in ["justinbieber", "casablanca", "armageddon", "woodstock"] {
            assert!(NewPassword::parse(p, "u").is_err(), "{p}");
        }
        // Two common words together are far past the 10,000 likeliest guesses.
        assert!(NewPassword::parse("terminator-salamander", "u").is_ok());
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
