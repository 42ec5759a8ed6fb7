//! Member cards: at most one active card per member (a partial unique index); issuing a new
//! one marks the old one replaced, in one transaction with its audit row.

use crate::decode::{Code, Millis, OptMillis, codes};
use crate::{Db, StoreError, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};
pub use patron_domain::membership::CardStatus;

codes!(
    CardStatus, "member_cards.status", CardStatus::parse;
);

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CardRow {
    pub card_no: String,
    pub customer_id: i64,
    #[sqlx(try_from = "Code")]
    pub status: CardStatus,
    #[sqlx(rename = "issued_at_ms", try_from = "Millis")]
    pub issued_at: Timestamp,
    #[sqlx(rename = "valid_until_ms", try_from = "OptMillis")]
    pub valid_until: Option<Timestamp>,
}

const COLUMNS: &str = "card_no, customer_id, status, issued_at_ms, valid_until_ms";

impl Db {
    pub async fn issue_card(
        &self,
        actor: &Actor,
        customer_id: i64,
        card_no: &str,
        valid_until: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let replaced = sqlx::query(
            "UPDATE member_cards SET status = 'replaced', updated_at = $1 \
             WHERE customer_id = $2 AND status = 'active'",
        )
        .bind(ms(now))
        .bind(customer_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "INSERT INTO member_cards (card_no, customer_id, status, issued_at_ms, valid_until_ms, \
             updated_at) VALUES ($1, $2, 'active', $3, $4, $3)",
        )
        .bind(card_no)
        .bind(customer_id)
        .bind(ms(now))
        .bind(valid_until.map(ms))
        .execute(&mut *tx)
        .await?;
        let action = if replaced > 0 {
            "card.replace"
        } else {
            "card.issue"
        };
        tx.commit(&AuditEvent::ok(action, "customer", customer_id))
            .await?;
        Ok(())
    }

    /// Moves the active card's validity to `valid_until`. False when the member has none.
    pub async fn renew_card(
        &self,
        actor: &Actor,
        customer_id: i64,
        valid_until: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let done = sqlx::query(
            "UPDATE member_cards SET valid_until_ms = $1, updated_at = $2 \
             WHERE customer_id = $3 AND status = 'active'",
        )
        .bind(valid_until.map(ms))
        .bind(ms(now))
        .bind(customer_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 1 {
            tx.commit(&AuditEvent::ok("card.renew", "customer", customer_id))
                .await?;
        } else {
            tx.commit_unchanged().await?;
        }
        Ok(done == 1)
    }

    pub async fn card(&self, card_no: &str) -> Result<Option<CardRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM member_cards WHERE card_no = $1"
        )))
        .bind(card_no)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn active_card(&self, customer_id: i64) -> Result<Option<CardRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM member_cards WHERE customer_id = $1 AND status = 'active'"
        )))
        .bind(customer_id)
        .fetch_optional(self.pool())
        .await?)
    }
}
