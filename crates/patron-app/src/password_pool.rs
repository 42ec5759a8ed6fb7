//! Password hashing off the async workers. Argon2id is slow on purpose (tens of
//! milliseconds of CPU and 19 MiB a hash), so it runs on tokio's blocking threads, at most
//! `limit` at a time: a burst of sign-ins queues here instead of stalling the workers that
//! serve the tills. A caller that waits longer than `wait` for a turn gets `AppError::Busy`.

use crate::{AppError, credentials};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct PasswordPool {
    inner: Arc<Inner>,
}

struct Inner {
    turns: Semaphore,
    wait: Duration,
    running: AtomicUsize,
    peak: AtomicUsize,
    done: AtomicU64,
}

/// What the pool has done since start (for tests and operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Hashes computed or verified.
    pub done: u64,
    /// The most that ever ran at once.
    pub peak: usize,
}

impl PasswordPool {
    pub fn new(limit: usize, wait: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                turns: Semaphore::new(limit.max(1)),
                wait,
                running: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                done: AtomicU64::new(0),
            }),
        }
    }

    pub fn stats(&self) -> PoolStats {
        PoolStats {
            done: self.inner.done.load(Ordering::SeqCst),
            peak: self.inner.peak.load(Ordering::SeqCst),
        }
    }

    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let password = password.to_string();
        self.run(move || credentials::hash_password(&password))
            .await?
    }

    /// See `credentials::verify_password`: `None` verifies a dummy hash for the same cost.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, AppError> {
        let password = password.to_string();
        let stored = stored.map(str::to_string);
        self.run(move || credentials::verify_password(&password, stored.as_deref()))
            .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        // `timeout` polls the semaphore first, so a free turn is taken even with no wait.
        let turn = tokio::time::timeout(self.inner.wait, self.inner.turns.acquire())
            .await
            .map_err(|_| AppError::Busy)?
            .map_err(|_| AppError::Busy)?;
        let inner = self.inner.clone();
        let running = inner.running.fetch_add(1, Ordering::SeqCst) + 1;
        inner.peak.fetch_max(running, Ordering::SeqCst);
        let result = tokio::task::spawn_blocking(move || {
            let out = work();
            inner.running.fetch_sub(1, Ordering::SeqCst);
            inner.done.fetch_add(1, Ordering::SeqCst);
            out
        })
        .await
        .map_err(|e| AppError::Internal(format!("password hashing stopped: {e}")));
        drop(turn);
        result
    }
}
