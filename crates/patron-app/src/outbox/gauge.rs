//! Outbox figures for `/metrics`: counted by the dispatcher and kept here, so a scrape
//! (however often) never reads the outbox table, and the dispatcher counts at most once per
//! `EVERY`, however often it passes (every 5 s on every instance).

use crate::{App, AppError};
use jiff::{SignedDuration, Timestamp};
use std::sync::{Arc, RwLock};

/// How stale the figures may be: about one scrape interval.
const EVERY: SignedDuration = SignedDuration::from_secs(15);

#[derive(Default)]
struct Figures {
    counts: Vec<(String, i64)>,
    counted_at: Option<Timestamp>,
}

/// Messages per status as of the dispatcher's last count.
#[derive(Clone, Default)]
pub struct OutboxGauge(Arc<RwLock<Figures>>);

impl OutboxGauge {
    pub fn figures(&self) -> Vec<(String, i64)> {
        self.0.read().map(|g| g.counts.clone()).unwrap_or_default()
    }

    fn due(&self, now: Timestamp) -> bool {
        self.0
            .read()
            .map(|g| g.counted_at.is_none_or(|at| now - at >= EVERY))
            .unwrap_or(true)
    }

    fn set(&self, counts: Vec<(String, i64)>, now: Timestamp) {
        if let Ok(mut g) = self.0.write() {
            *g = Figures {
                counts,
                counted_at: Some(now),
            };
        }
    }
}

impl App {
    /// Counts the outbox per status into the gauge, unless it was counted less than
    /// `EVERY` ago (the dispatcher, after each pass).
    pub async fn refresh_outbox_gauge(&self, now: Timestamp) -> Result<(), AppError> {
        if self.outbox_gauge.due(now) {
            let counts = self.db.outbox_counts(patron_store::Scope::Chain).await?;
            self.outbox_gauge.set(counts, now);
        }
        Ok(())
    }
}

impl crate::App {
    /// The outbox's counts per status as the dispatcher last saw them (for `/metrics`).
    pub fn outbox_figures(&self) -> Vec<(String, i64)> {
        self.outbox_gauge.figures()
    }
}
