//! Manual adjustments: points given or taken by staff with a reason. Small ones apply at
//! once; above the programme's threshold they wait for a second person. An applied one is an
//! `adjust` entry referenced `adjustment:ID`, so members and staff see why it exists.

use super::correction::{held_in, take_back_in};
use super::{EntryKind, EntryNote, NewLot, earn_in};
use crate::decode::{Code, Millis, codes};
use crate::{Db, Scope, StoreError, audit, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};
pub use patron_domain::membership::points::AdjustmentStatus;
use patron_domain::membership::points::Points;

codes!(
    AdjustmentStatus, "points_adjustments.status", AdjustmentStatus::parse;
);
use sqlx::AnyConnection;

/// One adjustment asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdjustment {
    pub customer_id: i64,
    pub points: Points,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AdjustmentRow {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub points: i64,
    pub reason: String,
    pub batch: String,
    #[sqlx(try_from = "Code")]
    pub status: AdjustmentStatus,
    pub requested_by: Option<i64>,
    pub requested_by_name: String,
    #[sqlx(rename = "requested_at_ms", try_from = "Millis")]
    pub requested_at: Timestamp,
    pub decided_by_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AdjustRefused {
    /// Taking away more points than the member holds (adjustments never go negative).
    #[error("customer {customer_id} holds {held} points")]
    NotEnough { customer_id: i64, held: Points },
    #[error("the adjustment was decided already")]
    Decided,
    #[error("the person who asked cannot approve")]
    OwnRequest,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AdjustRefused {
    fn from(e: sqlx::Error) -> Self {
        AdjustRefused::Store(e.into())
    }
}

/// How positive adjustments are kept: the lot they become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdjustLot {
    pub expires_at: Option<Timestamp>,
}

async fn apply_in(
    conn: &mut AnyConnection,
    id: i64,
    a: &NewAdjustment,
    actor_name: &str,
    lot: AdjustLot,
    now: Timestamp,
) -> Result<(), AdjustRefused> {
    let note = EntryNote {
        reason: a.reason.clone(),
        reference: format!("adjustment:{id}"),
        actor_name: actor_name.to_string(),
    };
    if a.points > 0 {
        let new = NewLot {
            points: a.points,
            usable_from: now,
            expires_at: lot.expires_at,
        };
        earn_in(conn, a.customer_id, &new, EntryKind::Adjust, &note, now).await?;
    } else {
        let held = held_in(conn, a.customer_id).await?;
        if held < -a.points {
            return Err(AdjustRefused::NotEnough {
                customer_id: a.customer_id,
                held,
            });
        }
        take_back_in(
            conn,
            a.customer_id,
            -a.points,
            EntryKind::Adjust,
            &note,
            now,
        )
        .await?;
    }
    Ok(())
}

/// A batch of adjustments as the store writes it.
#[derive(Debug, Clone, Copy)]
pub struct AdjustBatch<'a> {
    /// A short token naming the batch on the audit log.
    pub name: &'a str,
    pub adjustments: &'a [NewAdjustment],
    /// Applied at once, or pending for a second person.
    pub apply: bool,
    pub lot: AdjustLot,
}

/// Writes a batch of adjustments within the caller's transaction; see `Db::adjust_points`.
pub(crate) async fn adjust_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    batch: &AdjustBatch<'_>,
    now: Timestamp,
) -> Result<Vec<i64>, AdjustRefused> {
    let AdjustBatch {
        name,
        adjustments,
        apply,
        lot,
    } = *batch;
    let mut ids = Vec::with_capacity(adjustments.len());
    for a in adjustments {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO points_adjustments (customer_id, points, reason, batch, status, \
                 requested_by, requested_by_name, requested_at_ms, decided_by, decided_by_name, \
                 decided_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(a.customer_id)
        .bind(a.points)
        .bind(&a.reason)
        .bind(name)
        .bind(if apply { "applied" } else { "pending" })
        .bind(actor.id)
        .bind(&actor.name)
        .bind(ms(now))
        .bind(if apply { actor.id } else { None })
        .bind(if apply { actor.name.as_str() } else { "" })
        .bind(apply.then(|| ms(now)))
        .fetch_one(&mut *conn)
        .await?;
        if apply {
            apply_in(conn, id, a, &actor.name, lot, now).await?;
        }
        ids.push(id);
    }
    let event = AuditEvent::ok("points.adjust", "adjustment_batch", name).with_detail(format!(
        "{} adjustments, {}",
        adjustments.len(),
        if apply {
            "applied"
        } else {
            "awaiting approval"
        }
    ));
    audit::append(conn, actor, &event, now).await?;
    Ok(ids)
}

impl Db {
    /// Records adjustments as one batch: applied at once when `apply`, else pending for a
    /// second person. All or nothing: one refused (not enough points) refuses the batch.
    pub async fn adjust_points(
        &self,
        actor: &Actor,
        batch: &AdjustBatch<'_>,
        now: Timestamp,
    ) -> Result<Vec<i64>, AdjustRefused> {
        let mut tx = self.begin_write().await?;
        let ids = adjust_in(&mut tx, actor, batch, now).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Approves (applies) or rejects a pending adjustment. The one who asked cannot decide.
    pub async fn decide_adjustment(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        approve: bool,
        lot: AdjustLot,
        now: Timestamp,
    ) -> Result<(), AdjustRefused> {
        let mut tx = self.begin_audited(actor, now).await?;
        let row: Option<(i64, i64, String, Option<i64>, Code)> = sqlx::query_as(
            "SELECT a.customer_id, a.points, a.reason, a.requested_by, a.status \
             FROM points_adjustments a JOIN customers c ON c.id = a.customer_id \
             WHERE a.id = $1 AND ($2 IS NULL OR c.store_id = $2)",
        )
        .bind(id)
        .bind(scope.store_filter())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((customer_id, points, reason, requested_by, status)) = row else {
            return Err(AdjustRefused::Store(StoreError::NotFound));
        };
        if AdjustmentStatus::try_from(status).map_err(StoreError::from)?
            != AdjustmentStatus::Pending
        {
            return Err(AdjustRefused::Decided);
        }
        if requested_by.is_some() && requested_by == actor.id {
            return Err(AdjustRefused::OwnRequest);
        }
        let done = sqlx::query(
            "UPDATE points_adjustments SET status = $1, decided_by = $2, decided_by_name = $3, \
             decided_at_ms = $4 WHERE id = $5 AND status = 'pending'",
        )
        .bind(
            if approve {
                AdjustmentStatus::Applied
            } else {
                AdjustmentStatus::Rejected
            }
            .code(),
        )
        .bind(actor.id)
        .bind(&actor.name)
        .bind(ms(now))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            return Err(AdjustRefused::Decided);
        }
        if approve {
            let a = NewAdjustment {
                customer_id,
                points,
                reason,
            };
            apply_in(&mut tx, id, &a, &actor.name, lot, now).await?;
        }
        let action = if approve {
            "points.adjust.approve"
        } else {
            "points.adjust.reject"
        };
        tx.commit(&AuditEvent::ok(action, "adjustment", id)).await?;
        Ok(())
    }

    /// Adjustments waiting for approval within a scope, oldest first.
    pub async fn pending_adjustments(
        &self,
        scope: Scope,
    ) -> Result<Vec<AdjustmentRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT a.id, a.customer_id, c.name AS customer_name, a.points, a.reason, a.batch, \
             a.status, a.requested_by, a.requested_by_name, a.requested_at_ms, a.decided_by_name \
             FROM points_adjustments a JOIN customers c ON c.id = a.customer_id \
             WHERE a.status = 'pending' AND ($1 IS NULL OR c.store_id = $1) \
             ORDER BY a.requested_at_ms, a.id LIMIT 500",
        )
        .bind(scope.store_filter())
        .fetch_all(self.pool())
        .await?)
    }
}
