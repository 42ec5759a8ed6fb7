//! Admin-defined custom fields (自定义字段): their definitions. Values live in each customer's
//! profile, keyed by `field_key`, and are checked against these definitions on write.

use super::FieldKind;
use crate::audited::found;
use crate::decode::{Code, Flag, Millis};
use crate::{Db, StoreError, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomFieldRow {
    pub id: i64,
    pub field_key: String,
    pub label: String,
    /// `text`, `number`, `date` or `choice`.
    #[sqlx(try_from = "Code")]
    pub kind: FieldKind,
    /// Choices separated by `|` (for `choice`).
    pub choices: String,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
    #[sqlx(try_from = "Millis")]
    pub created_at: Timestamp,
    /// 1 when its values identify a person (masked for roles that may not reveal them).
    #[sqlx(try_from = "Flag")]
    pub personal: bool,
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

/// A field definition to add, checked by the caller.
#[derive(Debug, Clone, Copy)]
pub struct NewCustomField<'a> {
    pub key: &'a str,
    pub label: &'a str,
    /// `text`, `number`, `date` or `choice`.
    pub kind: &'a str,
    /// Choices separated by `|` (for `choice`).
    pub choices: &'a str,
    /// Its values identify a person.
    pub personal: bool,
}

impl Db {
    pub async fn list_custom_fields(&self) -> Result<Vec<CustomFieldRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, field_key, label, kind, choices, active, created_at, personal \
             FROM custom_fields \
             ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn create_custom_field(
        &self,
        actor: &Actor,
        f: &NewCustomField<'_>,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let NewCustomField {
            key,
            label,
            kind,
            choices,
            personal,
        } = *f;
        let mut tx = self.begin_audited(actor, now).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO custom_fields (field_key, label, kind, choices, active, created_at, \
             personal) VALUES ($1, $2, $3, $4, 1, $5, $6) RETURNING id",
        )
        .bind(key)
        .bind(label)
        .bind(kind)
        .bind(choices)
        .bind(ms(now))
        .bind(i64::from(personal))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit(&AuditEvent::ok("custom_field.create", "custom_field", id).with_detail(key))
            .await?;
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
        let mut tx = self.begin_audited(actor, now).await?;
        let n = sqlx::query("UPDATE custom_fields SET active = $2 WHERE id = $1")
            .bind(id)
            .bind(i64::from(active))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        found(n)?;
        tx.commit(
            &AuditEvent::ok("custom_field.update", "custom_field", id).with_detail(if active {
                "active"
            } else {
                "retired"
            }),
        )
        .await?;
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
        found(n)?;
        Ok(())
    }
}
