//! What staff see of a member's membership: tier and progress to the next, points (usable,
//! pending, by lot with expiry dates), the ledger with reasons, purchases and statistics.

use crate::sales::calendar;
use crate::{App, AppError};
use patron_domain::membership::Progress;
use patron_domain::membership::points::{Lot, usable_balance};
use patron_store::membership::points::EntryRow;
use patron_store::sales::StatsRow;
use patron_store::sales::read::{SaleSummary, TierChangeRow};

#[derive(Debug, Clone)]
pub struct MembershipView {
    pub tier_code: String,
    pub tier_name: String,
    /// What is missing for the next tier; `None` at the top.
    pub next: Option<Progress>,
    pub balance: i64,
    pub usable: i64,
    pub lots: Vec<Lot>,
    pub entries: Vec<EntryRow>,
    pub sales: Vec<SaleSummary>,
    pub stats: Option<StatsRow>,
    pub tier_history: Vec<TierChangeRow>,
    pub card: Option<patron_store::membership::cards::CardRow>,
    /// When the member left the programme, if they did.
    pub ended_at_ms: Option<i64>,
    pub ranking_opt_out: bool,
    /// Rewards on offer now, and the member's redemption orders.
    pub rewards: Vec<patron_store::membership::mall::RewardRow>,
    pub reward_orders: Vec<patron_store::membership::mall::OrderRow>,
    /// Notices and gifts the member got (or could not be sent), newest first.
    pub notices: Vec<patron_store::messages::notices::NoticeRow>,
    /// The tier's free services, as configured.
    pub free_services: String,
}

impl App {
    /// The membership of a customer the caller may already see (the caller checks scope).
    pub async fn membership_of(&self, customer_id: i64) -> Result<MembershipView, AppError> {
        let programme = self.loyalty().await?;
        let ladder = &programme.ladder;
        let now = self.now();
        let window = calendar(now, &self.config.timezone()).window_from;
        let tier_code = self.db.tier_code(customer_id, ladder).await?;
        let rank = ladder.rank(&tier_code);
        let stats = self.db.customer_stats(customer_id, window).await?;
        let standing = stats.as_ref().map(|s| s.standing).unwrap_or_default();
        let lots = self.db.points_lots(customer_id).await?;
        let free_services = programme
            .settings
            .tiers
            .iter()
            .find(|t| t.code == tier_code)
            .map(|t| t.free_services.clone())
            .unwrap_or_default();
        Ok(MembershipView {
            free_services,
            tier_name: ladder.at(rank).name.clone(),
            next: ladder.progress(rank, &standing),
            tier_code,
            balance: self.db.points_balance(customer_id).await?,
            usable: usable_balance(&lots, now),
            lots,
            entries: self.db.points_entries(customer_id, 50).await?,
            sales: self.db.sales_of(customer_id, 20).await?,
            stats,
            tier_history: self.db.tier_history(customer_id).await?,
            card: self.db.active_card(customer_id).await?,
            ended_at_ms: self.db.membership_ended(customer_id).await?,
            ranking_opt_out: self.db.ranking_opt_out(customer_id).await?,
            rewards: self.db.rewards_offered(now).await?,
            reward_orders: self.db.reward_orders_of(customer_id).await?,
            notices: self.db.notices_of(customer_id).await?,
        })
    }
}
