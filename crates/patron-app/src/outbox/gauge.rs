//! Outbox figures for `/metrics`: counted by the dispatcher after each pass and kept here,
//! so a scrape (however often) never reads the outbox table.

use crate::{App, AppError};
use std::sync::{Arc, RwLock};

/// Messages per status as of the dispatcher's last pass.
#[derive(Clone, Default)]
pub struct OutboxGauge(Arc<RwLock<Vec<(String, i64)>>>);

impl OutboxGauge {
    pub fn figures(&self) -> Vec<(String, i64)> {
        self.0.read().map(|g| g.clone()).unwrap_or_default()
    }

    fn set(&self, figures: Vec<(String, i64)>) {
        if let Ok(mut g) = self.0.write() {
            *g = figures;
        }
    }
}

impl App {
    /// Counts the outbox per status into the gauge (the dispatcher, after each pass).
    pub async fn refresh_outbox_gauge(&self) -> Result<(), AppError> {
        let figures = self.db.outbox_counts(patron_store::Scope::Chain).await?;
        self.outbox_gauge.set(figures);
        Ok(())
    }
}
