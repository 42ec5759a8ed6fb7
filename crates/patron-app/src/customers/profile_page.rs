//! The customer page's content in one call: the file (its profile opened as far as the
//! viewer may see it), consents, timeline, possible duplicates, household, membership, and
//! the after-sales lists the viewer may handle. Independent reads run concurrently.

use super::{Customer, TimelineItem};
use crate::directory::Directory;
use crate::membership::view::MembershipView;
use crate::security::Principal;
use crate::service::orders::{OrderFilter, OrderRow};
use crate::service::tickets::{Queue, TicketRow};
use crate::service::warranties::WarrantyRow;
use crate::{App, AppError};
use patron_domain::Capability;
use patron_domain::customers::ConsentPurpose;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How many orders and tickets the page lists.
const LISTED: i64 = 50;

pub struct CustomerProfile {
    pub customer: Customer,
    pub directory: Arc<Directory>,
    /// Purpose, given, when it last changed (epoch ms).
    pub consents: Vec<(ConsentPurpose, bool, Option<i64>)>,
    pub timeline: Vec<TimelineItem>,
    /// Possible duplicates in scope: id, "archive number and name", why.
    pub duplicates: Vec<(i64, String, &'static str)>,
    /// Linked family members in scope: id, "archive number and name", relation.
    pub household: Vec<(i64, String, String)>,
    pub membership: MembershipView,
    /// `None` where the viewer may not handle orders, warranties or tickets.
    pub orders: Option<Vec<OrderRow>>,
    pub warranties: Option<Vec<WarrantyRow>>,
    pub tickets: Option<Vec<TicketRow>>,
}

impl App {
    /// Everything the customer page shows of customer `id` to `p` (the read is audited).
    pub async fn customer_profile(
        &self,
        p: &Principal,
        request_id: Option<String>,
        id: i64,
    ) -> Result<CustomerProfile, AppError> {
        let scope = p.scope();
        let mut customer = self.view_customer(&p.actor(request_id), scope, id).await?;
        self.profile_for(&mut customer, p.can(Capability::CustomerPiiReveal))
            .await?;
        let linked: Vec<i64> = customer
            .profile
            .household
            .iter()
            .map(|l| l.customer_id)
            .collect();
        let duplicates = async {
            if customer.status != patron_domain::customers::CustomerStatus::Active {
                return Ok(Vec::new());
            }
            let found = self.duplicates_of(scope, &customer).await?;
            let ids: Vec<i64> = found.iter().map(|(other, _)| *other).collect();
            let labels: BTreeMap<i64, String> = self
                .customer_labels(scope, &ids)
                .await?
                .into_iter()
                .collect();
            Ok::<_, AppError>(
                found
                    .into_iter()
                    .filter_map(|(other, why)| labels.get(&other).map(|l| (other, l.clone(), why)))
                    .collect(),
            )
        };
        let household = async {
            let labels: BTreeMap<i64, String> = self
                .customer_labels(scope, &linked)
                .await?
                .into_iter()
                .collect();
            Ok::<_, AppError>(
                customer
                    .profile
                    .household
                    .iter()
                    .filter_map(|link| {
                        labels
                            .get(&link.customer_id)
                            .map(|l| (link.customer_id, l.clone(), link.relation.clone()))
                    })
                    .collect(),
            )
        };
        let orders = async {
            if !p.can(Capability::OrderManage) {
                return Ok(None);
            }
            let filter = OrderFilter {
                customer: Some(id),
                open_only: false,
            };
            Ok::<_, AppError>(Some(self.orders(scope, &filter, LISTED).await?))
        };
        let warranties = async {
            if !p.can(Capability::WarrantyManage) {
                return Ok(None);
            }
            Ok::<_, AppError>(Some(self.customer_warranties(scope, id).await?))
        };
        let tickets = async {
            if !p.can(Capability::TicketManage) {
                return Ok(None);
            }
            let q = Queue {
                customer: Some(id),
                ..Default::default()
            };
            Ok::<_, AppError>(Some(self.tickets(scope, &q, LISTED).await?))
        };
        let (directory, consents, timeline, duplicates, household, membership) = tokio::try_join!(
            self.directory(),
            self.consents_of(id),
            self.timeline(id, 100),
            duplicates,
            household,
            self.membership_of(id),
        )?;
        let (orders, warranties, tickets) = tokio::try_join!(orders, warranties, tickets)?;
        Ok(CustomerProfile {
            customer,
            directory,
            consents,
            timeline,
            duplicates,
            household,
            membership,
            orders,
            warranties,
            tickets,
        })
    }
}
