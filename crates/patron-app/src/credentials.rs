//! Secrets Patron hands out or checks: password hashes (Argon2id), random tokens for sessions,
//! links, API tokens and till keys (stored only as SHA-256 hashes), and TOTP secrets.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use data_encoding::{BASE32_NOPAD, HEXLOWER};
use sha2::{Digest, Sha256};

/// Argon2id with m = 19 MiB, t = 2, p = 1 (the OWASP baseline).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> Result<String, crate::AppError> {
    let hashed: Result<PasswordHash, _> = hasher().hash_password(password.as_bytes());
    hashed
        .map(|h| h.to_string())
        .map_err(|e| crate::AppError::Internal(format!("password hashing failed: {e}")))
}

/// Constant work whether or not the account exists: callers pass `None` for an unknown user
/// and a dummy hash is verified instead, so timing does not reveal which usernames exist.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("patron-dummy-password").unwrap_or_default());
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && real
}

/// `n` random bytes as lower-case base32 (no padding): URL- and cookie-safe.
pub fn random_token(n: usize) -> String {
    BASE32_NOPAD.encode(&random_bytes(n)).to_ascii_lowercase()
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // The OS random source failing means the machine cannot do cryptography at all.
    getrandom::fill(&mut buf).expect("the operating system's random source is unavailable");
    buf
}

/// The hash stored in place of a token. Tokens carry 160+ bits of entropy, so a fast hash
/// is enough; a slow one would only slow every API call.
pub fn token_hash(token: &str) -> String {
    HEXLOWER.encode(&Sha256::digest(token.as_bytes()))
}

/// A new secret credential of `kind` (`pt` personal token, `pk` till key): the full secret,
/// shown once, and a short prefix kept in clear so people can tell their keys apart.
pub fn new_credential(kind: &str) -> (String, String) {
    let secret = format!("{kind}_{}", random_token(25));
    let prefix = secret.chars().take(kind.len() + 7).collect();
    (secret, prefix)
}

/// A fresh TOTP secret (160 bits, RFC 4226's recommendation) in base32, as apps expect.
pub fn new_totp_secret() -> String {
    BASE32_NOPAD.encode(&random_bytes(20))
}

pub fn decode_totp_secret(b32: &str) -> Option<Vec<u8>> {
    BASE32_NOPAD.decode(b32.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash_password("门店会员管理很安全").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("门店会员管理很安全", Some(&h)));
        assert!(!verify_password("wrong password", Some(&h)));
        assert!(
            !verify_password("patron-dummy-password", None),
            "unknown users never verify"
        );
    }

    #[test]
    fn credentials_are_random_and_prefixed() {
        let (a, pa) = new_credential("pk");
        let (b, _) = new_credential("pk");
        assert_ne!(a, b);
        assert!(a.starts_with("pk_") && a.starts_with(&pa) && pa.len() == 9);
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(
            decode_totp_secret(&new_totp_secret()).map(|s| s.len()),
            Some(20)
        );
    }
}
