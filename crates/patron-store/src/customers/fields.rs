//! Admin-defined custom fields (自定义字段): their definitions. Values live in each customer's
//! profile, keyed by `field_key`, and are checked against these definitions on write.

use crate::{Db, StoreError, audit, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomFieldRow {
    pub id: i64,
    pub field_key: String,
    pub label: String,
    /// `text`, `number`, `date` or `choice`.
    pub kind: String,
    /// Choices separated by `|` (for `choice`).
    pub choices: String,
    pub active: i64,
    pub created_at: i64,
}

impl CustomFieldRow {
    pub fn choice_list(&self) -> Vec<String> {
        self.choices
            .split('|')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    }
}

impl Db {
    pub async fn list_custom_fields(&self) -> Result<Vec<CustomFieldRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, field_key, label, kind, choices, active, created_at FROM custom_fields \
             ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn create_custom_field(
        &self,
        actor: &Actor,
        key: &str,
        label: &str,
        kind: &str,
        choices: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO custom_fields (field_key, label, kind, choices, active, created_at) \
             VALUES ($1, $2, $3, $4, 1, $5) RETURNING id",
        )
        .bind(key)
        .bind(label)
        .bind(kind)
        .bind(choices)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            actor,
            &AuditEvent::ok("custom_field.create", "custom_field", id).with_detail(key),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Retires or restores a field; values already stored stay in the profiles.
    pub async fn set_custom_field_active(
        &self,
        actor: &Actor,
        id: i64,
        active: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE custom_fields SET active = $2 WHERE id = $1")
            .bind(id)
            .bind(i64::from(active))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit::append(
            &mut tx,
            actor,
            &AuditEvent::ok("custom_field.update", "custom_field", id).with_detail(if active {
                "active"
            } else {
                "retired"
            }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A saved set of list filters (a URL query string), per staff member.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomerViewRow {
    pub id: i64,
    pub name: String,
    pub query: String,
}

impl Db {
    pub async fn list_customer_views(
        &self,
        staff_id: i64,
    ) -> Result<Vec<CustomerViewRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name, query FROM customer_views WHERE staff_id = $1 ORDER BY name",
        )
        .bind(staff_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Saves or replaces the view of this name.
    pub async fn save_customer_view(
        &self,
        staff_id: i64,
        name: &str,
        query: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO customer_views (staff_id, name, query, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (staff_id, name) DO UPDATE SET query = excluded.query",
        )
        .bind(staff_id)
        .bind(name)
        .bind(query)
        .bind(ms(now))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn delete_customer_view(&self, staff_id: i64, id: i64) -> Result<(), StoreError> {
        let n = sqlx::query("DELETE FROM customer_views WHERE id = $1 AND staff_id = $2")
            .bind(id)
            .bind(staff_id)
            .execute(self.pool())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

/// A sealed column outside the customer profile's own columns, for the key-rotation pass:
/// where it lives and what its seal is bound to (the associated data: a table name, a column
/// name and the id in `aad_id`).
#[derive(Debug, Clone, Copy)]
pub struct SealedColumn {
    table: &'static str,
    column: &'static str,
    pub aad_table: &'static str,
    pub aad_column: &'static str,
    aad_id: &'static str,
    /// Rows read at a time (attachments are large).
    pub page: i64,
}

impl SealedColumn {
    pub fn name(&self) -> String {
        format!("{}.{}", self.table, self.column)
    }
}

const fn sealed(
    table: &'static str,
    column: &'static str,
    aad: (&'static str, &'static str, &'static str),
) -> SealedColumn {
    SealedColumn {
        table,
        column,
        aad_table: aad.0,
        aad_column: aad.1,
        aad_id: aad.2,
        page: 500,
    }
}

/// Every sealed column but the profile's (which `reseal_customer` rewrites together). A
/// new sealed column must be listed here, or key rotation leaves it under the old key.
pub const SEALED_COLUMNS: &[SealedColumn] = &[
    sealed(
        "customers",
        "wechat_openid_enc",
        ("customers", "wechat_openid", "id"),
    ),
    sealed(
        "customer_interactions",
        "note_enc",
        ("customer_interactions", "note", "id"),
    ),
    sealed("staff", "totp_secret", ("staff", "totp_secret", "id")),
    sealed(
        "tickets",
        "description_enc",
        ("customers", "ticket", "customer_id"),
    ),
    sealed(
        "ticket_events",
        "note_enc",
        ("customers", "ticket", "customer_id"),
    ),
    SealedColumn {
        page: 10,
        ..sealed(
            "ticket_attachments",
            "content_enc",
            ("ticket_attachments", "content", "id"),
        )
    },
    sealed(
        "ticket_attachments",
        "name_enc",
        ("ticket_attachments", "name", "id"),
    ),
    sealed(
        "compensation_requests",
        "note_enc",
        ("customers", "ticket", "customer_id"),
    ),
    sealed(
        "survey_answers",
        "text_enc",
        ("customers", "survey", "customer_id"),
    ),
    sealed(
        "orders",
        "address_enc",
        ("customers", "order", "customer_id"),
    ),
    sealed("orders", "note_enc", ("customers", "order", "customer_id")),
    sealed(
        "order_events",
        "note_enc",
        ("customers", "order", "customer_id"),
    ),
    sealed(
        "appointments",
        "address_enc",
        ("customers", "order", "customer_id"),
    ),
    sealed(
        "appointments",
        "proof_note_enc",
        ("customers", "order", "customer_id"),
    ),
];

impl Db {
    /// One page of `(id, id the seal is bound to, sealed value)` of a sealed column, by id.
    pub async fn sealed_values(
        &self,
        col: &SealedColumn,
        after_id: i64,
    ) -> Result<Vec<(i64, i64, String)>, StoreError> {
        let SealedColumn {
            table: t,
            column: c,
            aad_id: a,
            ..
        } = col;
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, {a}, {c} FROM {t} WHERE id > $1 AND {c} IS NOT NULL ORDER BY id LIMIT $2"
        )))
        .bind(after_id)
        .bind(col.page)
        .fetch_all(self.pool())
        .await?)
    }

    /// Replaces a sealed value if it is still the one read (no lost update).
    pub async fn reseal_value(
        &self,
        col: &SealedColumn,
        id: i64,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let SealedColumn {
            table: t,
            column: c,
            ..
        } = col;
        let n = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {t} SET {c} = $3 WHERE id = $1 AND {c} = $2"
        )))
        .bind(id)
        .bind(old)
        .bind(new)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// One page of `(appointment id, photo file name)` of completed visits with a photo.
    pub async fn visit_photos_after(
        &self,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, proof_photo FROM appointments WHERE id > $1 AND proof_photo IS NOT NULL \
             ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
