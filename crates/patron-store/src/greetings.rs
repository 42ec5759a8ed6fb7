//! Who greetings can reach: the customers who gave their e-mail address and the marketing
//! e-mail consent, a page at a time by id. Sending goes through `record_notice`, whose
//! occasion row keeps each greeting to once per customer.

use crate::{Db, StoreError};

/// One reachable customer, with the sealed fields a greeting needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Reachable {
    pub id: i64,
    pub store_id: i64,
    pub name: String,
    pub email_enc: String,
    pub birthday_enc: Option<String>,
}

impl Db {
    /// Active customers after `after_id` with an e-mail address and the marketing e-mail
    /// consent in force, in id order.
    pub async fn reachable_by_email(
        &self,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<Reachable>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.store_id, c.name, c.email_enc, c.birthday_enc FROM customers c \
             JOIN customer_consent_state s ON s.customer_id = c.id \
             AND s.purpose = 'marketing_email' AND s.granted = 1 \
             WHERE c.id > $1 AND c.status = 'active' AND c.email_enc IS NOT NULL \
             ORDER BY c.id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
