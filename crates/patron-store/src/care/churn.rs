//! Churn scores and win-back playbooks. The scores are recomputed a page of customers at a
//! time from the running statistics and the monthly figures; a playbook reaches each
//! customer at most once per cool-down, with its coupon, follow-up task and message written
//! in the same transaction as the claim.

use crate::decode::{Flag, Millis, OptMillis};
use crate::membership::coupons::issue_one_in;
use crate::messages::outbox::{NewMessage, enqueue};
use crate::{Db, Scope, StoreError, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};

/// One buyer's figures for the score.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChurnFactsRow {
    pub customer_id: i64,
    pub store_id: i64,
    pub first_purchase_ms: i64,
    pub last_purchase_ms: i64,
    pub visit_count: i64,
    pub visits_recent: i64,
    pub visits_before: i64,
    pub spend_recent_fen: i64,
    pub spend_before_fen: i64,
    /// Complaints filed and not yet resolved.
    pub open_complaints: i64,
    /// Low ratings given since the window's start: CSAT 1-2 or NPS 0-4, in any survey
    /// (the satisfaction follow-up of a resolved complaint among them).
    pub low_ratings: i64,
}

/// A customer on the warning list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AtRisk {
    pub customer_id: i64,
    pub name: String,
    pub store_id: i64,
    pub owner_staff_id: Option<i64>,
    pub score: i64,
    pub reasons: String,
    #[sqlx(rename = "last_purchase_ms", try_from = "OptMillis")]
    pub last_purchase: Option<Timestamp>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlaybookRow {
    pub id: i64,
    pub name: String,
    pub min_score: i64,
    #[sqlx(try_from = "Flag")]
    pub make_task: bool,
    pub coupon_template_id: Option<i64>,
    pub message_template: Option<String>,
    pub control_percent: i64,
    pub cooldown_days: i64,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    /// Reaches this segment's members instead of the warning list.
    pub segment_id: Option<i64>,
    /// Scheduled as a campaign on this day (`YYYY-MM-DD`), and the day it ran.
    pub run_on: Option<String>,
    pub ran_on: Option<String>,
}

/// A playbook as saved.
#[derive(Debug, Clone)]
pub struct PlaybookInput<'a> {
    pub name: &'a str,
    pub min_score: i64,
    pub make_task: bool,
    pub coupon_template_id: Option<i64>,
    pub message_template: Option<&'a str>,
    pub control_percent: i64,
    pub cooldown_days: i64,
    pub segment_id: Option<i64>,
    pub run_on: Option<&'a str>,
}

/// Reaching one customer with a playbook: the claim and whatever actions go with it.
pub struct Reach<'a> {
    pub playbook_id: i64,
    pub customer_id: i64,
    pub period: i64,
    pub score: i64,
    pub control: bool,
    pub run_by: Option<i64>,
    /// Template, code, reason, valid until.
    pub coupon: Option<(i64, &'a str, &'a str, Timestamp)>,
    /// Reason and due day of the follow-up task.
    pub task: Option<(&'a str, i64)>,
    pub message: Option<NewMessage<'a>>,
}

/// How a playbook's customers did since they were reached: per group (control or not),
/// how many, how many came back, and what they spent since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct PlaybookResult {
    pub control: i64,
    pub customers: i64,
    pub returned: i64,
    pub spend_fen: i64,
}

impl Db {
    /// The figures of up to `limit` buyers after `after_id`, in id order. Months are
    /// `YYYYMM`; `recent_from` starts the last six months, `before_from` the six before;
    /// ratings count from `rated_since`.
    pub async fn churn_facts(
        &self,
        after_id: i64,
        limit: i64,
        recent_from: i64,
        before_from: i64,
        rated_since: Timestamp,
    ) -> Result<Vec<ChurnFactsRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT c.id AS customer_id, c.store_id, s.first_purchase_ms, s.last_purchase_ms, s.visit_count, \
             CAST(COALESCE(SUM(CASE WHEN m.month >= $1 THEN m.visits ELSE 0 END), 0) AS BIGINT) AS visits_recent, \
             CAST(COALESCE(SUM(CASE WHEN m.month < $1 THEN m.visits ELSE 0 END), 0) AS BIGINT) AS visits_before, \
             CAST(COALESCE(SUM(CASE WHEN m.month >= $1 THEN m.spend_fen ELSE 0 END), 0) AS BIGINT) AS spend_recent_fen, \
             CAST(COALESCE(SUM(CASE WHEN m.month < $1 THEN m.spend_fen ELSE 0 END), 0) AS BIGINT) AS spend_before_fen, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM tickets t WHERE t.customer_id = c.id \
              AND t.ticket_type = 'complaint' AND t.status <> 'resolved' AND t.status <> 'closed') AS open_complaints, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM survey_answers a WHERE a.customer_id = c.id \
              AND a.answered_at >= $5 AND ((a.kind = 'csat' AND a.score <= 2) OR (a.kind = 'nps' AND a.score <= 4))) \
              AS low_ratings \
             FROM customers c JOIN customer_stats s ON s.customer_id = c.id \
             LEFT JOIN customer_months m ON m.customer_id = c.id AND m.month >= $2 \
             WHERE c.id > $3 AND c.status = 'active' \
             GROUP BY c.id, c.store_id, s.first_purchase_ms, s.last_purchase_ms, s.visit_count \
             ORDER BY c.id LIMIT $4",
        )
        .bind(recent_from)
        .bind(before_from)
        .bind(after_id)
        .bind(limit)
        .bind(ms(rated_since))
        .fetch_all(self.pool())
        .await?)
    }

    /// Replaces the scores of customers with ids in `(after_id, through_id]`: those given
    /// (score above zero) are written, the rest of the range cleared.
    pub async fn write_churn_scores(
        &self,
        after_id: i64,
        through_id: i64,
        scores: &[(i64, i64, i64, String)],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM churn_scores WHERE customer_id > $1 AND customer_id <= $2")
            .bind(after_id)
            .bind(through_id)
            .execute(&mut *tx)
            .await?;
        for (customer, store, score, reasons) in scores {
            sqlx::query(
                "INSERT INTO churn_scores (customer_id, store_id, score, reasons, computed_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(customer)
            .bind(store)
            .bind(score)
            .bind(reasons)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Scores past the last id of a run (customers merged away or gone) are cleared.
    pub async fn clear_churn_after(&self, after_id: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM churn_scores WHERE customer_id > $1")
            .bind(after_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The warning list: customers at or above `min_score` within `scope`, of one owner when
    /// given, highest first.
    pub async fn at_risk(
        &self,
        scope: Scope,
        owner: Option<i64>,
        min_score: i64,
        limit: i64,
    ) -> Result<Vec<AtRisk>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT r.customer_id, c.name, c.store_id, c.owner_staff_id, r.score, r.reasons, s.last_purchase_ms \
             FROM churn_scores r JOIN customers c ON c.id = r.customer_id \
             LEFT JOIN customer_stats s ON s.customer_id = r.customer_id \
             WHERE r.score >= $1 AND c.status = 'active' AND ($2 IS NULL OR r.store_id = $2) \
             AND ($3 IS NULL OR c.owner_staff_id = $3) \
             ORDER BY r.score DESC, r.customer_id LIMIT $4",
        )
        .bind(min_score)
        .bind(scope.store_filter())
        .bind(owner)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn churn_score(&self, customer_id: i64) -> Result<Option<(i64, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT score, reasons FROM churn_scores WHERE customer_id = $1")
                .bind(customer_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Creates a playbook, audited: running one issues coupons and sends messages.
    pub async fn create_playbook(
        &self,
        actor: &Actor,
        p: &PlaybookInput<'_>,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO winback_playbooks (name, min_score, make_task, coupon_template_id, message_template, \
             control_percent, cooldown_days, created_at, updated_at, segment_id, run_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10) \
             RETURNING id",
        )
        .bind(p.name)
        .bind(p.min_score)
        .bind(i64::from(p.make_task))
        .bind(p.coupon_template_id)
        .bind(p.message_template)
        .bind(p.control_percent)
        .bind(p.cooldown_days)
        .bind(ms(now))
        .bind(p.segment_id)
        .bind(p.run_on)
        .fetch_one(&mut *tx)
        .await?;
        let coupon = p
            .coupon_template_id
            .map_or("none".to_string(), |t| t.to_string());
        let event = AuditEvent::ok("churn.playbook_create", "playbook", id).with_detail(format!(
            "min_score={}; coupon_template={coupon}; control_percent={}",
            p.min_score, p.control_percent
        ));
        tx.commit(&event).await?;
        Ok(id)
    }

    pub async fn playbooks(&self) -> Result<Vec<PlaybookRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name, min_score, make_task, coupon_template_id, message_template, control_percent, \
             cooldown_days, created_at, segment_id, run_on, ran_on FROM winback_playbooks ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// Records that a scheduled playbook ran on `day`; false when it already had.
    pub async fn mark_playbook_ran(&self, id: i64, day: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE winback_playbooks SET ran_on = $1 WHERE id = $2 AND ran_on IS NULL",
        )
        .bind(day)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Claims a customer for a playbook in this period and carries out its actions in one
    /// transaction. `None` (and nothing written) when the customer was already reached.
    pub async fn reach(&self, r: &Reach<'_>, now: Timestamp) -> Result<Option<i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO winback_targets (playbook_id, customer_id, store_id, period, score, control, run_at, run_by) \
             SELECT $1, c.id, c.store_id, $3, $4, $5, $6, $7 FROM customers c WHERE c.id = $2 AND c.status = 'active' \
             ON CONFLICT (playbook_id, customer_id, period) DO NOTHING RETURNING id",
        )
        .bind(r.playbook_id)
        .bind(r.customer_id)
        .bind(r.period)
        .bind(r.score)
        .bind(i64::from(r.control))
        .bind(ms(now))
        .bind(r.run_by)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Ok(None);
        };
        if !r.control {
            let mut code = None;
            if let Some((template, c, reason, until)) = r.coupon {
                issue_one_in(&mut tx, c, template, r.customer_id, reason, until, now).await?;
                code = Some(c);
            }
            let mut task: Option<i64> = None;
            if let Some((reason, due_day)) = r.task {
                task = sqlx::query_scalar(
                    "INSERT INTO followup_tasks (customer_id, store_id, kind, ref, reason, due_day, status, created_at) \
                     SELECT c.id, c.store_id, 'winback', $2, $3, $4, 'open', $5 FROM customers c WHERE c.id = $1 \
                     ON CONFLICT (customer_id, kind, ref) DO NOTHING RETURNING id",
                )
                .bind(r.customer_id)
                .bind(format!("winback:{id}"))
                .bind(reason)
                .bind(due_day)
                .bind(ms(now))
                .fetch_optional(&mut *tx)
                .await?;
            }
            let mut outbox = None;
            if let Some(m) = &r.message {
                outbox = Some(enqueue(&mut tx, m, now).await?);
            }
            sqlx::query(
                "UPDATE winback_targets SET coupon_code = $1, outbox_id = $2, task_id = $3 WHERE id = $4",
            )
            .bind(code)
            .bind(outbox)
            .bind(task)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Results of a playbook: reached and control groups, who came back and what they spent.
    pub async fn playbook_results(
        &self,
        playbook_id: i64,
    ) -> Result<Vec<PlaybookResult>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT control, CAST(COUNT(*) AS BIGINT) AS customers, CAST(SUM(returned) AS BIGINT) AS returned, \
             CAST(SUM(spend) AS BIGINT) AS spend_fen FROM ( \
             SELECT t.control, CASE WHEN s.last_purchase_ms > t.run_at THEN 1 ELSE 0 END AS returned, \
             COALESCE((SELECT SUM(x.paid_fen - x.refunded_paid_fen) FROM sales x \
             WHERE x.customer_id = t.customer_id AND x.sold_at_ms > t.run_at), 0) AS spend \
             FROM winback_targets t LEFT JOIN customer_stats s ON s.customer_id = t.customer_id \
             WHERE t.playbook_id = $1) r GROUP BY control ORDER BY control",
        )
        .bind(playbook_id)
        .fetch_all(self.pool())
        .await?)
    }
}
