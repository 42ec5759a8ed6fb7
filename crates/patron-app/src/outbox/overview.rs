//! The outbox as staff watch it: counts by status, the latest messages (of one customer or
//! in one status), and each campaign's delivery so far.

use crate::{App, AppError};
use patron_domain::Scope;
use patron_store::messages::outbox::OutboxRow;

/// One campaign and how many of its messages are in each state.
#[derive(Debug, Clone)]
pub struct CampaignDelivery {
    pub campaign: String,
    pub states: Vec<(String, i64)>,
}

/// What the outbox page shows.
pub struct OutboxOverview {
    pub counts: Vec<(String, i64)>,
    pub messages: Vec<OutboxRow>,
    pub campaigns: Vec<CampaignDelivery>,
}

/// How many messages the page lists.
const LISTED: i64 = 100;

impl App {
    /// The outbox within the caller's scope; `customer` narrows the list to one customer in
    /// scope, else `status` picks the messages listed.
    pub async fn outbox_overview(
        &self,
        scope: Scope,
        customer: Option<i64>,
        status: &str,
    ) -> Result<OutboxOverview, AppError> {
        let counts = self.db.outbox_counts(scope).await?;
        let messages = match customer {
            Some(c) => {
                // Within the viewer's scope only.
                self.db.get_customer(scope, c).await?;
                self.db.messages_of(c, LISTED).await?
            }
            None => self.db.list_outbox_in(scope, status, LISTED).await?,
        };
        // Rows come ordered by campaign: group them.
        let mut campaigns: Vec<CampaignDelivery> = Vec::new();
        for (campaign, state, n) in self.db.campaign_delivery(scope.store_filter()).await? {
            match campaigns.last_mut() {
                Some(c) if c.campaign == campaign => c.states.push((state, n)),
                _ => campaigns.push(CampaignDelivery {
                    campaign,
                    states: vec![(state, n)],
                }),
            }
        }
        Ok(OutboxOverview {
            counts,
            messages,
            campaigns,
        })
    }
}

impl App {
    /// Messages per status within the caller's scope (the home page's figures).
    pub async fn outbox_counts(&self, scope: Scope) -> Result<Vec<(String, i64)>, AppError> {
        Ok(self.db.outbox_counts(scope).await?)
    }
}
