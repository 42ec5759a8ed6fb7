//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), the
//! scheme every authenticator app (Google Authenticator, Microsoft Authenticator, 腾讯身份验证器)
//! understands.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;

/// The code for a given 30-second step (`unix_seconds / 30`).
pub fn code_for_step(secret: &[u8], step: i64) -> u32 {
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(secret) else {
        // HMAC accepts keys of any length; this branch cannot be taken.
        return u32::MAX;
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let binary = (u32::from(digest[offset] & 0x7f) << 24)
        | (u32::from(digest[offset + 1]) << 16)
        | (u32::from(digest[offset + 2]) << 8)
        | u32::from(digest[offset + 3]);
    binary % 10u32.pow(DIGITS)
}

pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// Checks `code` against the current step and one step either side (clock drift on phones).
/// Returns the matching step so the caller can refuse to accept the same step twice
/// (`last_used_step` is the newest step already used, if any).
pub fn verify(
    secret: &[u8],
    code: &str,
    unix_seconds: i64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let now = step_at(unix_seconds);
    [now - 1, now, now + 1].into_iter().find(|&step| {
        last_used_step.is_none_or(|used| step > used) && code_for_step(secret, step) == wanted
    })
}

/// The `otpauth://` URI an authenticator app imports (typed in, or as a QR code).
pub fn otpauth_uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={}&period={}",
        percent(issuer),
        percent(account),
        secret_base32,
        percent(issuer),
        DIGITS,
        STEP_SECONDS
    )
}

fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1 column, truncated to 6 digits.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_test_vectors() {
        for (t, expected) in [
            (59, 287_082),
            (1_111_111_109, 81_804),
            (1_111_111_111, 50_471),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
            (20_000_000_000, 353_130),
        ] {
            assert_eq!(code_for_step(RFC_SECRET, step_at(t)), expected, "t={t}");
        }
    }

    #[test]
    fn accepts_one_step_of_drift_and_refuses_replay() {
        let t = 1_234_567_890;
        let code = format!("{:06}", code_for_step(RFC_SECRET, step_at(t) - 1));
        let step = verify(RFC_SECRET, &code, t, None).expect("previous step accepted");
        assert_eq!(
            verify(RFC_SECRET, &code, t, Some(step)),
            None,
            "replay refused"
        );
        assert_eq!(verify(RFC_SECRET, &code, t + 90, None), None, "too old");
        assert_eq!(verify(RFC_SECRET, "12345", t, None), None);
        assert_eq!(verify(RFC_SECRET, "abcdef", t, None), None);
    }

    #[test]
    fn uri_escapes_labels() {
        let uri = otpauth_uri("Patron 门店", "li.na", "JBSWY3DPEHPK3PXP");
        assert!(uri.starts_with(
            "otpauth://totp/Patron%20%E9%97%A8%E5%BA%97:li.na?secret=JBSWY3DPEHPK3PXP"
        ));
    }
}
