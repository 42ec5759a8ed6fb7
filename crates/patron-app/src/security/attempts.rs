//! How many tries signing in gets. Every password or code is counted before it is checked
//! (`Db::throttle_reserve`), against several keys at once:
//! - `user:<name>|ip:<address>`: the account from one address, locked after a few failures,
//!   each lock twice as long as the last; a right password there starts it afresh.
//! - `ip:<address>`: the address, over all accounts.
//! - `user:<name>`: the account from everywhere, a ceiling that only spaces attempts out and
//!   never applies to an address the account has signed in from, so no one can lock the
//!   owner out by guessing from elsewhere.
//! - `totp:<staff id>`: wrong second-factor codes, which a right password does not reset.

use crate::{App, AppError};
use jiff::{SignedDuration, Timestamp};
use patron_store::security::throttle::{AfterLock, Reservation, Reserved, ThrottleRule};

/// The keys one password attempt counts against.
pub(super) struct SigninKeys {
    pub pair: String,
    pub address: String,
    pub account: String,
}

impl SigninKeys {
    pub fn new(account: &str, address: Option<&str>) -> Self {
        let address = address.unwrap_or("-");
        Self {
            pair: format!("user:{account}|ip:{address}"),
            address: format!("ip:{address}"),
            account: format!("user:{account}"),
        }
    }
}

pub(super) fn totp_key(staff_id: i64) -> String {
    format!("totp:{staff_id}")
}

impl App {
    fn window(&self) -> SignedDuration {
        SignedDuration::from_mins(self.config.security.login_window_minutes)
    }

    fn pair_rule(&self) -> ThrottleRule {
        let s = &self.config.security;
        ThrottleRule {
            max_failures: s.login_max_failures_per_account,
            window: self.window(),
            lock_for: SignedDuration::from_mins(s.login_lock_minutes),
            lock_cap: SignedDuration::from_mins(s.login_lock_max_minutes),
            after_lock: AfterLock::Restart,
        }
    }

    fn address_rule(&self) -> ThrottleRule {
        let s = &self.config.security;
        let lock = SignedDuration::from_mins(s.login_lock_minutes);
        ThrottleRule {
            max_failures: s.login_max_failures_per_ip,
            window: self.window(),
            lock_for: lock,
            lock_cap: lock,
            after_lock: AfterLock::Restart,
        }
    }

    fn ceiling_rule(&self) -> ThrottleRule {
        let s = &self.config.security;
        ThrottleRule {
            max_failures: s.login_ceiling_per_account,
            window: self.window(),
            lock_for: SignedDuration::from_secs(1),
            lock_cap: SignedDuration::from_secs(s.login_ceiling_delay_max_seconds),
            after_lock: AfterLock::Ceiling,
        }
    }

    pub(super) fn totp_rule(&self) -> ThrottleRule {
        let s = &self.config.security;
        let lock = SignedDuration::from_mins(s.totp_lock_minutes);
        ThrottleRule {
            max_failures: s.totp_max_failures,
            window: self.window(),
            lock_for: lock,
            lock_cap: lock,
            after_lock: AfterLock::Restart,
        }
    }

    /// Counts one password attempt against every key that applies, or none if any is locked
    /// (`TooManyAttempts`, with what was counted given back).
    pub(super) async fn reserve_password_attempt(
        &self,
        keys: &SigninKeys,
        now: Timestamp,
    ) -> Result<Vec<Reservation>, AppError> {
        let known_since =
            now - SignedDuration::from_hours(24 * self.config.security.login_known_address_days);
        let known = self
            .db
            .throttle_succeeded_at(&keys.pair)
            .await?
            .is_some_and(|at| at >= known_since.as_millisecond());
        let mut plan = vec![
            (&keys.address, self.address_rule()),
            (&keys.pair, self.pair_rule()),
        ];
        if !known {
            plan.push((&keys.account, self.ceiling_rule()));
        }
        let mut held = Vec::with_capacity(plan.len());
        for (key, rule) in plan {
            match self.db.throttle_reserve(key, rule, now).await? {
                Reserved::Granted(r) => held.push(r),
                Reserved::Locked(_) => {
                    self.release_attempts(&held).await?;
                    return Err(AppError::TooManyAttempts);
                }
            }
        }
        Ok(held)
    }

    pub(super) async fn release_attempts(&self, held: &[Reservation]) -> Result<(), AppError> {
        for r in held {
            self.db.throttle_release(r).await?;
        }
        Ok(())
    }
}
