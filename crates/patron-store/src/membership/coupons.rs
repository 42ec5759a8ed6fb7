//! Coupon templates and issued coupons. Issuing writes many coupons per statement; using one
//! is a conditional update inside the sale's transaction, so a code is used at most once.

use crate::db::placeholders;
use crate::decode::{Code, Flag, Millis, codes};
use crate::{Db, Scope, StoreError, audit, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};
pub use patron_domain::membership::coupon::{CouponStatus, TemplateStatus};

codes!(
    TemplateStatus, "coupon_templates.status", TemplateStatus::parse;
    CouponStatus, "coupons.status", CouponStatus::parse;
);
use sqlx::AnyConnection;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: i64,
    pub name: String,
    pub amount_fen: Option<i64>,
    pub off_permille: Option<i64>,
    pub cap_fen: Option<i64>,
    pub min_spend_fen: i64,
    /// Empty: every category.
    pub category: String,
    #[sqlx(try_from = "Flag")]
    pub first_purchase: bool,
    #[sqlx(try_from = "Flag")]
    pub birthday_month: bool,
    /// Days a coupon stays valid after it is issued.
    pub valid_days: i64,
    #[sqlx(try_from = "Code")]
    pub status: TemplateStatus,
}

/// A coupon with its template's rule, as the till and the customer page see it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CouponRow {
    pub code: String,
    pub customer_id: i64,
    #[sqlx(try_from = "Code")]
    pub status: CouponStatus,
    #[sqlx(rename = "valid_from_ms", try_from = "Millis")]
    pub valid_from: Timestamp,
    #[sqlx(rename = "valid_until_ms", try_from = "Millis")]
    pub valid_until: Timestamp,
    pub reason: String,
    pub template_id: i64,
    pub name: String,
    pub amount_fen: Option<i64>,
    pub off_permille: Option<i64>,
    pub cap_fen: Option<i64>,
    pub min_spend_fen: i64,
    pub category: String,
    #[sqlx(try_from = "Flag")]
    pub first_purchase: bool,
    #[sqlx(try_from = "Flag")]
    pub birthday_month: bool,
}

/// Per template: issued, used, still usable, expired unused, and the discount given.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UsageRow {
    pub template_id: i64,
    pub name: String,
    pub issued: i64,
    pub used: i64,
    pub usable: i64,
    pub expired: i64,
    pub discount_fen: i64,
}

const COUPON_COLUMNS: &str = "c.code, c.customer_id, c.status, c.valid_from_ms, c.valid_until_ms, \
     c.reason, t.id AS template_id, t.name, t.amount_fen, t.off_permille, t.cap_fen, \
     t.min_spend_fen, t.category, t.first_purchase, t.birthday_month";

/// Coupons of one template issued together.
#[derive(Debug, Clone, Copy)]
pub struct CouponIssue<'a> {
    pub template_id: i64,
    /// (customer, code).
    pub issued: &'a [(i64, String)],
    pub reason: &'a str,
    /// Valid from, valid until.
    pub valid: (Timestamp, Timestamp),
}

/// Issues coupons within the caller's transaction; see `Db::issue_coupons`.
pub(crate) async fn issue_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    issue: &CouponIssue<'_>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let CouponIssue {
        template_id,
        issued,
        reason,
        valid,
    } = *issue;
    for chunk in issued.chunks(200) {
        let sql = format!(
            "INSERT INTO coupons (code, template_id, customer_id, reason, issued_at_ms, \
             valid_from_ms, valid_until_ms, status) VALUES {}",
            placeholders(conn, chunk.len(), 7, ", 'issued'")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (customer_id, code) in chunk {
            q = q
                .bind(code)
                .bind(template_id)
                .bind(*customer_id)
                .bind(reason)
                .bind(ms(now))
                .bind(ms(valid.0))
                .bind(ms(valid.1));
        }
        q.execute(&mut *conn).await?;
    }
    let event = AuditEvent::ok("coupon.issue", "coupon_template", template_id)
        .with_detail(format!("{} coupons; {reason}", issued.len()));
    audit::append(conn, actor, &event, now).await?;
    Ok(())
}

impl Db {
    /// Creates a template, audited: what a template is worth decides what every coupon
    /// issued from it gives away.
    pub async fn create_coupon_template(
        &self,
        scope: Scope,
        actor: &Actor,
        t: &TemplateRow,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        scope.chain_wide()?;
        let mut tx = self.begin_audited(actor, now).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO coupon_templates (name, amount_fen, off_permille, cap_fen, min_spend_fen, \
             category, first_purchase, birthday_month, valid_days, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10) RETURNING id",
        )
        .bind(&t.name)
        .bind(t.amount_fen)
        .bind(t.off_permille)
        .bind(t.cap_fen)
        .bind(t.min_spend_fen)
        .bind(&t.category)
        .bind(i64::from(t.first_purchase))
        .bind(i64::from(t.birthday_month))
        .bind(t.valid_days)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        let value = match (t.amount_fen, t.off_permille) {
            (Some(fen), _) => format!("amount_fen={fen}"),
            (None, off) => format!(
                "off_permille={}; cap_fen={}",
                off.unwrap_or(0),
                t.cap_fen.map_or("none".to_string(), |c| c.to_string())
            ),
        };
        let event = AuditEvent::ok("coupon.template_create", "coupon_template", id)
            .with_detail(format!("{value}; valid_days={}", t.valid_days));
        tx.commit(&event).await?;
        Ok(id)
    }

    pub async fn coupon_templates(&self) -> Result<Vec<TemplateRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name, amount_fen, off_permille, cap_fen, min_spend_fen, category, \
             first_purchase, birthday_month, valid_days, status FROM coupon_templates ORDER BY id DESC",
        )
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn coupon_template(&self, id: i64) -> Result<TemplateRow, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name, amount_fen, off_permille, cap_fen, min_spend_fen, category, \
             first_purchase, birthday_month, valid_days, status FROM coupon_templates WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?)
    }

    /// Issues one coupon per `(customer, code)`, all valid over the same window, in one
    /// transaction.
    pub async fn issue_coupons(
        &self,
        actor: &Actor,
        issue: &CouponIssue<'_>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        issue_in(&mut tx, actor, issue, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A coupon by code, whatever its state.
    pub async fn coupon(&self, code: &str) -> Result<Option<CouponRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COUPON_COLUMNS} FROM coupons c JOIN coupon_templates t ON t.id = c.template_id \
             WHERE c.code = $1"
        )))
        .bind(code)
        .fetch_optional(self.pool())
        .await?)
    }

    /// A member's coupons that can be used at `now`, soonest expiry first.
    pub async fn usable_coupons(
        &self,
        customer_id: i64,
        now: Timestamp,
    ) -> Result<Vec<CouponRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COUPON_COLUMNS} FROM coupons c JOIN coupon_templates t ON t.id = c.template_id \
             WHERE c.customer_id = $1 AND c.status = 'issued' AND c.valid_from_ms <= $2 \
             AND c.valid_until_ms > $2 ORDER BY c.valid_until_ms, c.code"
        )))
        .bind(customer_id)
        .bind(ms(now))
        .fetch_all(self.pool())
        .await?)
    }

    /// Every template with the use of its coupons held by members in `scope`.
    pub async fn coupon_usage(
        &self,
        scope: Scope,
        now: Timestamp,
    ) -> Result<Vec<UsageRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT t.id AS template_id, t.name, \
             CAST(COUNT(c.code) AS BIGINT) AS issued, \
             CAST(COALESCE(SUM(CASE WHEN c.status = 'used' THEN 1 ELSE 0 END), 0) AS BIGINT) AS used, \
             CAST(COALESCE(SUM(CASE WHEN c.status = 'issued' AND c.valid_until_ms > $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS usable, \
             CAST(COALESCE(SUM(CASE WHEN c.status = 'issued' AND c.valid_until_ms <= $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS expired, \
             CAST(COALESCE(SUM(c.discount_fen), 0) AS BIGINT) AS discount_fen \
             FROM coupon_templates t LEFT JOIN coupons c ON c.template_id = t.id \
             AND ($2 IS NULL OR c.customer_id IN (SELECT id FROM customers WHERE store_id = $2)) \
             GROUP BY t.id, t.name ORDER BY t.id DESC",
        )
        .bind(ms(now))
        .bind(scope.store_filter())
        .fetch_all(self.pool())
        .await?)
    }
}

/// Issues one coupon inside the caller's transaction (a reward or a gift), valid from `now`
/// until `until`.
pub(crate) async fn issue_one_in(
    conn: &mut AnyConnection,
    code: &str,
    template_id: i64,
    customer_id: i64,
    reason: &str,
    until: Timestamp,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO coupons (code, template_id, customer_id, reason, issued_at_ms, \
         valid_from_ms, valid_until_ms, status) VALUES ($1, $2, $3, $4, $5, $5, $6, 'issued')",
    )
    .bind(code)
    .bind(template_id)
    .bind(customer_id)
    .bind(reason)
    .bind(ms(now))
    .bind(ms(until))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks a coupon used by a sale. False when it was not usable any more (used by a
/// concurrent sale, voided, or expired): the caller refuses the sale.
pub(crate) async fn use_coupon_in(
    conn: &mut AnyConnection,
    code: &str,
    customer_id: i64,
    sale_id: i64,
    discount_fen: i64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE coupons SET status = 'used', used_sale_id = $1, used_at_ms = $2, discount_fen = $3 \
         WHERE code = $4 AND customer_id = $5 AND status = 'issued' \
         AND valid_from_ms <= $2 AND valid_until_ms > $2",
    )
    .bind(sale_id)
    .bind(ms(now))
    .bind(discount_fen)
    .bind(code)
    .bind(customer_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(done == 1)
}
