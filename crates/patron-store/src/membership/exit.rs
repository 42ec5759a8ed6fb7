//! A member leaving the programme (注销会员). In one transaction: remaining points are
//! forfeited with a ledger entry saying so, unused coupons are voided, the card cancelled,
//! and the membership marked ended at the entry tier. The customer file and its purchases
//! stay (receipts, warranties and accounts need them); erasing personal data is a separate
//! request under PIPL.

use crate::membership::points::EntryKind;
use crate::membership::points::EntryNote;
use crate::membership::points::correction::{held_in, take_back_in};
use crate::sales::standing::{change_tier, tier_of};
use crate::{Db, StoreError, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};
use patron_domain::membership::TierLadder;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ended {
    pub points_forfeited: i64,
    pub coupons_voided: u64,
    pub cards_cancelled: u64,
}

impl Db {
    pub async fn end_membership(
        &self,
        actor: &Actor,
        customer_id: i64,
        reason: &str,
        ladder: &TierLadder,
        now: Timestamp,
    ) -> Result<Ended, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let tier = tier_of(&mut tx, customer_id, ladder, now).await?;
        let held = held_in(&mut tx, customer_id).await?;
        if held > 0 {
            let note = EntryNote {
                reason: reason.to_string(),
                reference: "exit".into(),
                actor_name: actor.name.clone(),
            };
            take_back_in(&mut tx, customer_id, held, EntryKind::Adjust, &note, now).await?;
        }
        let coupons_voided = sqlx::query(
            "UPDATE coupons SET status = 'void' WHERE customer_id = $1 AND status = 'issued'",
        )
        .bind(customer_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let cards_cancelled = sqlx::query(
            "UPDATE member_cards SET status = 'cancelled', updated_at = $1 \
             WHERE customer_id = $2 AND status = 'active'",
        )
        .bind(ms(now))
        .bind(customer_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let entry = &ladder.at(0).code;
        if &tier != entry {
            change_tier(&mut tx, customer_id, &tier, entry, "exit", "", now).await?;
        }
        sqlx::query(
            "UPDATE memberships SET ended_at_ms = $1, updated_at = $1 WHERE customer_id = $2",
        )
        .bind(ms(now))
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
        let event = AuditEvent::ok("member.exit", "customer", customer_id).with_detail(format!(
            "{held} points forfeited, {coupons_voided} coupons voided, {cards_cancelled} cards cancelled"
        ));
        tx.commit(&event).await?;
        Ok(Ended {
            points_forfeited: held.max(0),
            coupons_voided,
            cards_cancelled,
        })
    }

    /// Takes an ended member back at the entry tier, with nothing carried over.
    pub async fn rejoin_membership(
        &self,
        actor: &Actor,
        customer_id: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let done = sqlx::query(
            "UPDATE memberships SET ended_at_ms = NULL, tier_since_ms = $1, updated_at = $1 \
             WHERE customer_id = $2 AND ended_at_ms IS NOT NULL",
        )
        .bind(ms(now))
        .bind(customer_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 1 {
            tx.commit(&AuditEvent::ok("member.rejoin", "customer", customer_id))
                .await?;
        } else {
            tx.commit_unchanged().await?;
        }
        Ok(done == 1)
    }

    /// When the member left the programme, if they did.
    pub async fn membership_ended(&self, customer_id: i64) -> Result<Option<i64>, StoreError> {
        let v: Option<Option<i64>> =
            sqlx::query_scalar("SELECT ended_at_ms FROM memberships WHERE customer_id = $1")
                .bind(customer_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(v.flatten())
    }
}
