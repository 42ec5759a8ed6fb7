//! Daily limits per member of staff on what they give on their own: points by manual
//! adjustment, coupon face value issued, compensation on tickets. The per-request approval
//! thresholds alone let a request be split (100 × 999 points) or a ticket be reopened and
//! compensated again; these totals are counted over every request of the store's day.

use crate::{App, AppError};
use jiff::tz::TimeZone;
use patron_domain::audit::{Actor, ActorKind};
use patron_store::Scope;
pub use patron_store::staff::day_totals::Tally;

/// An amount added to a staff member's daily total, to take back if the request it was
/// counted for is not carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counted {
    staff_id: i64,
    day: i64,
    tally: Tally,
    amount: i64,
}

/// The staff member an actor counts against: people signed in and their personal tokens.
/// Jobs, the CLI and tills give nothing on their own judgement and are not counted.
fn staff_of(actor: &Actor) -> Option<i64> {
    match actor.kind {
        ActorKind::Staff | ActorKind::ApiToken => actor.id,
        _ => None,
    }
}

impl App {
    /// Adds `amount` to the actor's total of `tally` for today if it stays within `limit`.
    /// `Ok(None)`: past the limit, nothing added. `Ok(Some(None))`: nothing to count.
    pub(crate) async fn count_for_today(
        &self,
        actor: &Actor,
        tally: Tally,
        amount: i64,
        limit: i64,
    ) -> Result<Option<Option<Counted>>, AppError> {
        let Some(staff_id) = staff_of(actor).filter(|_| amount > 0) else {
            return Ok(Some(None));
        };
        let day = self.store_day(actor.store_id).await?;
        Ok(self
            .db
            .add_to_day_total(staff_id, day, tally, amount, limit)
            .await?
            .map(|_| {
                Some(Counted {
                    staff_id,
                    day,
                    tally,
                    amount,
                })
            }))
    }

    /// Takes back what was counted for a request that failed. A failure here leaves the
    /// total too high, which errs on the safe side; it is logged, not raised.
    pub(crate) async fn uncount(&self, counted: Option<Counted>) {
        let Some(c) = counted else {
            return;
        };
        if let Err(e) = self
            .db
            .take_from_day_total(c.staff_id, c.day, c.tally, c.amount)
            .await
        {
            tracing::warn!(error = %e, tally = c.tally.as_str(), "daily total not taken back");
        }
    }

    /// Today as yyyymmdd in the zone of the actor's store (the chain's zone for chain-wide
    /// staff): a store's day ends at its own midnight.
    async fn store_day(&self, store_id: Option<i64>) -> Result<i64, AppError> {
        let tz = match store_id {
            Some(id) => TimeZone::get(&self.db.get_store(Scope::Chain, id).await?.timezone)
                .unwrap_or_else(|_| self.config.timezone()),
            None => self.config.timezone(),
        };
        let d = tz.to_datetime(self.now()).date();
        Ok(i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day()))
    }
}
