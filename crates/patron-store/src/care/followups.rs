//! Follow-up tasks: planning them (cadence per class, events), the daily list, logging a
//! contact (task done, interaction on the timeline, next task: one transaction), and cadence
//! adherence. Planning inserts with `ON CONFLICT DO NOTHING` on (customer, kind, ref), so any
//! number of runs on any number of servers plan each task once.

use crate::customers::InteractionRow;
use crate::customers::history::insert_interaction_in;
use crate::decode::{Code, OptMillis, codes};
use crate::{Db, Scope, StoreError, ms};
use jiff::Timestamp;
use patron_domain::Actor;
pub use patron_domain::care::followup::{TaskKind, TaskStatus};

codes!(
    TaskKind, "followup_tasks.kind", TaskKind::parse;
    TaskStatus, "followup_tasks.status", TaskStatus::parse;
);

/// An open task as the list shows it, with the context a caller needs.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TaskRow {
    pub id: i64,
    pub customer_id: i64,
    pub store_id: i64,
    #[sqlx(try_from = "Code")]
    pub kind: TaskKind,
    pub reason: String,
    pub due_day: i64,
    #[sqlx(try_from = "Code")]
    pub status: TaskStatus,
    pub customer_name: String,
    pub owner_staff_id: Option<i64>,
    pub spend_class: Option<String>,
    #[sqlx(rename = "last_purchase_ms", try_from = "OptMillis")]
    pub last_purchase: Option<Timestamp>,
}

/// Whose tasks a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    /// The staff member's customers; with `unowned`, also customers without an owner (the
    /// store manager's share).
    Staff { staff_id: i64, unowned: bool },
    /// Everyone's, within the scope.
    All,
}

/// Cadence adherence of one staff member in one store over a period.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AdherenceRow {
    pub store_id: i64,
    /// Who did the task, or for tasks not done, the customer's owner now.
    pub staff_id: Option<i64>,
    pub due: i64,
    pub on_time: i64,
    pub late: i64,
    pub missed: i64,
}

/// The next task a logged contact schedules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextTask {
    pub due_day: i64,
    pub reason: String,
}

const TASK_COLUMNS: &str = "t.id, t.customer_id, t.store_id, t.kind, t.reason, t.due_day, \
     t.status, c.name AS customer_name, c.owner_staff_id, k.spend_store AS spend_class, \
     st.last_purchase_ms";

const TASK_FROM: &str = "followup_tasks t JOIN customers c ON c.id = t.customer_id \
     LEFT JOIN customer_classes k ON k.customer_id = t.customer_id \
     LEFT JOIN customer_stats st ON st.customer_id = t.customer_id";

impl Db {
    /// Cadence for one spend class: open cadence tasks due later than a full interval from
    /// today are brought forward (the customer moved up a class); customers of the class
    /// without one get one, spread over the interval by id so a first run does not make
    /// everything due on one day. With `days` 0 the class's open cadence tasks are cancelled.
    pub async fn plan_cadence(
        &self,
        class: &str,
        days: i64,
        today: i64,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        if days == 0 {
            sqlx::query(
                "UPDATE followup_tasks SET status = 'cancelled', ref = 'cancelled:' || CAST(id AS TEXT) \
                 WHERE kind = 'cadence' AND status = 'open' AND customer_id IN \
                 (SELECT customer_id FROM customer_classes WHERE spend_store = $1)",
            )
            .bind(class)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(0);
        }
        sqlx::query(
            "UPDATE followup_tasks SET due_day = $1 WHERE kind = 'cadence' AND status = 'open' \
             AND due_day > $1 AND customer_id IN \
             (SELECT customer_id FROM customer_classes WHERE spend_store = $2)",
        )
        .bind(today + days)
        .bind(class)
        .execute(&mut *tx)
        .await?;
        let added = sqlx::query(
            "INSERT INTO followup_tasks (customer_id, store_id, kind, ref, reason, due_day, status, \
             created_at) SELECT k.customer_id, c.store_id, 'cadence', 'open', $1, $2 + (k.customer_id % $3), \
             'open', $4 FROM customer_classes k JOIN customers c ON c.id = k.customer_id \
             WHERE k.spend_store = $1 AND c.status = 'active' \
             ON CONFLICT (customer_id, kind, ref) DO NOTHING",
        )
        .bind(class)
        .bind(today)
        .bind(days)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(added)
    }

    /// A call after each purchase made in `[from, to)` by a known customer, due `today`;
    /// one per sale.
    pub async fn plan_after_purchase(
        &self,
        store_id: i64,
        from: Timestamp,
        to: Timestamp,
        today: i64,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "INSERT INTO followup_tasks (customer_id, store_id, kind, ref, reason, due_day, status, \
             created_at) SELECT s.customer_id, s.store_id, 'after_purchase', CAST(s.id AS TEXT), \
             s.receipt_no, $4, 'open', $5 FROM sales s JOIN customers c ON c.id = s.customer_id \
             WHERE s.store_id = $1 AND s.sold_at_ms >= $2 AND s.sold_at_ms < $3 \
             AND c.status = 'active' ON CONFLICT (customer_id, kind, ref) DO NOTHING",
        )
        .bind(store_id)
        .bind(ms(from))
        .bind(ms(to))
        .bind(today)
        .bind(ms(now))
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    /// One event task (an expiry, a win-back), due `today`; false when it exists already.
    pub async fn plan_event(
        &self,
        customer_id: i64,
        kind: TaskKind,
        reference: &str,
        reason: &str,
        today: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "INSERT INTO followup_tasks (customer_id, store_id, kind, ref, reason, due_day, status, \
             created_at) SELECT c.id, c.store_id, $2, $3, $4, $5, 'open', $6 FROM customers c \
             WHERE c.id = $1 AND c.status = 'active' \
             ON CONFLICT (customer_id, kind, ref) DO NOTHING",
        )
        .bind(customer_id)
        .bind(kind.as_str())
        .bind(reference)
        .bind(reason)
        .bind(today)
        .bind(ms(now))
        .execute(self.pool())
        .await?
        .rows_affected()
            == 1)
    }

    /// A re-verification visit for key and major customers whose file was last verified
    /// before `verified_before`; `reference` names the period (one a year).
    pub async fn plan_stale_profiles(
        &self,
        verified_before: Timestamp,
        reference: &str,
        today: i64,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "INSERT INTO followup_tasks (customer_id, store_id, kind, ref, reason, due_day, status, \
             created_at) SELECT c.id, c.store_id, 'stale_profile', $2, '', $3, 'open', $4 \
             FROM customer_classes k JOIN customers c ON c.id = k.customer_id \
             WHERE (k.spend_store = 'key' OR k.spend_store = 'major') AND c.status = 'active' \
             AND c.verified_at < $1 ON CONFLICT (customer_id, kind, ref) DO NOTHING",
        )
        .bind(ms(verified_before))
        .bind(reference)
        .bind(today)
        .bind(ms(now))
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    /// Open tasks due on or before `until_day`, soonest first, within scope.
    pub async fn open_followups(
        &self,
        scope: Scope,
        who: Assignee,
        until_day: i64,
        limit: i64,
    ) -> Result<Vec<TaskRow>, StoreError> {
        let (staff, unowned) = match who {
            Assignee::Staff { staff_id, unowned } => (Some(staff_id), i64::from(unowned)),
            Assignee::All => (None, 0),
        };
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.status = 'open' AND t.due_day <= $1 \
             AND c.status = 'active' AND ($2 IS NULL OR t.store_id = $2) \
             AND ($3 IS NULL OR c.owner_staff_id = $3 OR ($4 = 1 AND c.owner_staff_id IS NULL)) \
             ORDER BY t.due_day, t.id LIMIT $5"
        )))
        .bind(until_day)
        .bind(scope.store_filter())
        .bind(staff)
        .bind(unowned)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// One task, within scope.
    pub async fn followup_task(&self, scope: Scope, id: i64) -> Result<TaskRow, StoreError> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.id = $1 \
             AND ($2 IS NULL OR t.store_id = $2)"
        )))
        .bind(id)
        .bind(scope.store_filter())
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Logs a contact on an open task: the task done with its outcome, the interaction on the
    /// customer's timeline, and the next cadence task, in one transaction. False, writing
    /// nothing, when the task was already done (a form sent twice).
    #[allow(clippy::too_many_arguments)]
    pub async fn log_followup(
        &self,
        actor: &Actor,
        scope: Scope,
        task_id: i64,
        outcome: &str,
        interaction: &InteractionRow,
        next: Option<&NextTask>,
        today: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE followup_tasks SET status = 'done', ref = 'done:' || CAST(id AS TEXT), \
             done_at = $2, done_day = $3, done_by = $4, outcome = $5 \
             WHERE id = $1 AND status = 'open' AND customer_id = $6 \
             AND ($7 IS NULL OR store_id = $7)",
        )
        .bind(task_id)
        .bind(ms(now))
        .bind(today)
        .bind(actor.id)
        .bind(outcome)
        .bind(interaction.customer_id)
        .bind(scope.store_filter())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        let store_id = insert_interaction_in(&mut tx, actor, scope, interaction, now).await?;
        if let Some(n) = next {
            // A cadence task may still be open (this was an event task): move it instead.
            sqlx::query(
                "INSERT INTO followup_tasks (customer_id, store_id, kind, ref, reason, due_day, \
                 status, created_at) VALUES ($1, $2, 'cadence', 'open', $3, $4, 'open', $5) \
                 ON CONFLICT (customer_id, kind, ref) DO UPDATE SET due_day = $4, reason = $3",
            )
            .bind(interaction.customer_id)
            .bind(store_id)
            .bind(&n.reason)
            .bind(n.due_day)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Tasks due in `[from_day, to_day]` per store and staff member: done by the due day,
    /// done later, and not done.
    pub async fn followup_adherence(
        &self,
        scope: Scope,
        from_day: i64,
        to_day: i64,
    ) -> Result<Vec<AdherenceRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT t.store_id, COALESCE(t.done_by, c.owner_staff_id) AS staff_id, \
             CAST(COUNT(*) AS BIGINT) AS due, \
             CAST(SUM(CASE WHEN t.status = 'done' AND t.done_day <= t.due_day THEN 1 ELSE 0 END) AS BIGINT) AS on_time, \
             CAST(SUM(CASE WHEN t.status = 'done' AND t.done_day > t.due_day THEN 1 ELSE 0 END) AS BIGINT) AS late, \
             CAST(SUM(CASE WHEN t.status = 'open' THEN 1 ELSE 0 END) AS BIGINT) AS missed \
             FROM followup_tasks t JOIN customers c ON c.id = t.customer_id \
             WHERE t.due_day >= $1 AND t.due_day <= $2 AND t.status <> 'cancelled' \
             AND ($3 IS NULL OR t.store_id = $3) \
             GROUP BY t.store_id, COALESCE(t.done_by, c.owner_staff_id) \
             ORDER BY t.store_id, COALESCE(t.done_by, c.owner_staff_id)",
        )
        .bind(from_day)
        .bind(to_day)
        .bind(scope.store_filter())
        .fetch_all(self.pool())
        .await?)
    }
}
