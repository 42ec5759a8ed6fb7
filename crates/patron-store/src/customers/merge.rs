//! Merging two files of one person. The survivor takes the combined fields (prepared and
//! sealed by the app layer); every related row moves to it; the merged file stays as a
//! tombstone (`status = 'merged'`, `merged_into`) with its original sealed values, so nothing
//! is lost, but without lookup keys, so it no longer turns up in searches or at the till.
//! Files with value or service history (`HISTORY`) are only merged as the survivor.

use super::{CustomerWrite, bulk};
use crate::{Db, Scope, StoreError, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};

/// What the app layer decided: the survivor's new fields, and whom it absorbs.
pub struct MergePlan {
    pub survivor: CustomerWrite,
    pub merged_id: i64,
}

/// Tables of value and service history. Their rows are not moved yet (balances, tiers,
/// running statistics and sealed order and ticket text are tied to the file they belong
/// to), so a merge is refused while the file being merged in has any: merging the other
/// way round keeps them.
const HISTORY: &[&str] = &[
    "sales",
    "points_entries",
    "coupons",
    "member_cards",
    "reward_orders",
    "orders",
    "tickets",
    "warranties",
];

/// Tables whose rows follow the customer, and the column that names it.
const FOLLOWERS: &[&str] = &[
    "customer_interactions",
    "customer_consents",
    "customer_owner_log",
];

impl Db {
    /// Merges in one transaction; returns how many related rows moved per table.
    pub async fn merge_customers(
        &self,
        actor: &Actor,
        scope: Scope,
        plan: &MergePlan,
        now: Timestamp,
    ) -> Result<Vec<(&'static str, u64)>, StoreError> {
        let (keep, gone) = (plan.survivor.id, plan.merged_id);
        if keep == gone {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin_audited(actor, now).await?;
        for id in [keep, gone] {
            super::history::check_visible(&mut tx, scope, id).await?;
        }
        // One query: does the merged file have a row in any history table?
        let any = HISTORY
            .iter()
            .map(|t| format!("SELECT 1 FROM {t} WHERE customer_id = $1"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let has_history: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(1 AS BIGINT) WHERE EXISTS ({any})"
        )))
        .bind(gone)
        .fetch_optional(&mut *tx)
        .await?;
        if has_history.is_some() {
            return Err(StoreError::Conflict {
                constraint: "merge_history".into(),
            });
        }
        // The merged file gives up its unique mobile first, so the survivor may take it.
        sqlx::query(
            "UPDATE customers SET status = 'merged', merged_into = $2, mobile_idx = NULL, \
             last4_idx = NULL, id_idx = NULL, namebirth_idx = NULL, updated_at = $3 WHERE id = $1",
        )
        .bind(gone)
        .bind(keep)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let s = &plan.survivor;
        super::update_row(&mut tx, s, false, now).await?;

        let mut moved = Vec::new();
        for table in FOLLOWERS {
            let n = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET customer_id = $1 WHERE customer_id = $2"
            )))
            .bind(keep)
            .bind(gone)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            moved.push((*table, n));
        }
        // The latest decision per purpose wins, whichever file it was made on.
        sqlx::query(
            "INSERT INTO customer_consent_state (customer_id, purpose, granted, at_ms) \
             SELECT $1, purpose, granted, at_ms FROM customer_consent_state WHERE customer_id = $2 \
             ON CONFLICT (customer_id, purpose) DO UPDATE SET granted = excluded.granted, \
             at_ms = excluded.at_ms WHERE excluded.at_ms > customer_consent_state.at_ms",
        )
        .bind(keep)
        .bind(gone)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM customer_consent_state WHERE customer_id = $1")
            .bind(gone)
            .execute(&mut *tx)
            .await?;
        let tags = sqlx::query(
            "INSERT INTO customer_tags (customer_id, tag, store_id) \
             SELECT $1, tag, $3 FROM customer_tags WHERE customer_id = $2 \
             ON CONFLICT (customer_id, tag) DO NOTHING",
        )
        .bind(keep)
        .bind(gone)
        .bind(s.store_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        moved.push(("customer_tags", tags));
        for table in ["customer_tags", "customer_keys"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE customer_id = $1 OR customer_id = $2"
            )))
            .bind(gone)
            .bind(if table == "customer_keys" { keep } else { gone })
            .execute(&mut *tx)
            .await?;
        }
        bulk::insert_keys(&mut tx, &[s]).await?;
        let summary = moved
            .iter()
            .map(|(t, n)| format!("{t}={n}"))
            .collect::<Vec<_>>()
            .join(",");
        sqlx::query(
            "INSERT INTO customer_merges (customer_id, merged_id, moved, actor_name, at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(keep)
        .bind(gone)
        .bind(&summary)
        .bind(&actor.name)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        // The merged file no longer counts as a new customer.
        crate::reports::activity::bump_epoch(&mut tx).await?;
        tx.commit(
            &AuditEvent::ok("customer.merge", "customer", keep)
                .with_detail(format!("merged={gone};{summary}")),
        )
        .await?;
        Ok(moved)
    }
}
