//! Who greetings can reach, a page at a time by id: every active customer with the sealed
//! fields a greeting needs and whether the e-mail text can go to them (an address and the
//! marketing e-mail consent). Sending goes through `record_notice`, whose occasion row keeps
//! each greeting to once per customer.

use crate::decode::Flag;
use crate::{Db, StoreError};

/// One customer a greeting may go to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Greetable {
    pub id: i64,
    pub store_id: i64,
    pub name: String,
    pub email_enc: Option<String>,
    pub birthday_enc: Option<String>,
    /// Whether the customer has an e-mail address and the marketing e-mail consent.
    #[sqlx(try_from = "Flag")]
    pub email_ok: bool,
    /// The sealed profile, for the customer's language.
    pub profile: String,
}

impl Db {
    /// Active customers after `after_id`, in id order; with `email_only`, just those the
    /// e-mail text can reach.
    pub async fn greetable(
        &self,
        after_id: i64,
        limit: i64,
        email_only: bool,
    ) -> Result<Vec<Greetable>, StoreError> {
        let sql = format!(
            "SELECT c.id, c.store_id, c.name, c.email_enc, c.birthday_enc, \
             CAST(CASE WHEN s.granted = 1 AND c.email_enc IS NOT NULL THEN 1 ELSE 0 END \
             AS BIGINT) AS email_ok, c.profile \
             FROM customers c LEFT JOIN customer_consent_state s ON s.customer_id = c.id \
             AND s.purpose = 'marketing_email' \
             WHERE c.id > $1 AND c.status = 'active' {} ORDER BY c.id LIMIT $2",
            if email_only {
                "AND s.granted = 1 AND c.email_enc IS NOT NULL"
            } else {
                ""
            }
        );
        // The only variable part is one of two fixed clauses.
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(after_id)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }
}
