//! Counting requests per caller in fixed one-minute windows, in this process's memory
//! (anti-automation, ASVS 2.4.1). Several server instances each count their own share, so
//! behind a load balancer a caller gets up to the limit per instance. The window follows the
//! app's clock, so tests move it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const WINDOW_MS: i64 = 60_000;
/// Callers remembered before finished windows are swept out.
const SWEEP_AT: usize = 10_000;

/// Who is counted: a personal token or a console session, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Caller {
    Token(i64),
    Session(i64),
}

/// Requests per caller and minute.
#[derive(Clone, Default)]
pub struct RateLimiter {
    /// Caller -> (window start, requests in it).
    windows: Arc<Mutex<HashMap<Caller, (i64, u32)>>>,
}

impl RateLimiter {
    /// Counts one request at `now_ms`. `Err(seconds)` when the caller already made `limit`
    /// in the current window: the seconds until it ends (at least 1), for `Retry-After`.
    pub fn admit(&self, caller: Caller, limit: u32, now_ms: i64) -> Result<(), u64> {
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_AT {
            map.retain(|_, (start, _)| now_ms - *start < WINDOW_MS);
        }
        let entry = map.entry(caller).or_insert((now_ms, 0));
        if now_ms - entry.0 >= WINDOW_MS || now_ms < entry.0 {
            *entry = (now_ms, 0);
        }
        if entry.1 >= limit {
            let left_ms = entry.0 + WINDOW_MS - now_ms;
            return Err(((left_ms + 999) / 1000).max(1) as u64);
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_per_caller_and_window() {
        let r = RateLimiter::default();
        for _ in 0..3 {
            assert!(r.admit(Caller::Token(1), 3, 1_000).is_ok());
        }
        assert_eq!(r.admit(Caller::Token(1), 3, 31_000), Err(30));
        assert!(r.admit(Caller::Token(2), 3, 31_000).is_ok());
        assert!(r.admit(Caller::Session(1), 3, 31_000).is_ok());
        assert!(r.admit(Caller::Token(1), 3, 61_000).is_ok());
    }
}
