//! Message templates, one per name, channel and language, and the WeChat openid a customer
//! is reachable at.

use crate::audited::found;
use crate::decode::{Flag, Millis};
use crate::{Db, StoreError, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: i64,
    pub name: String,
    pub channel: String,
    pub language: String,
    #[sqlx(try_from = "Flag")]
    pub marketing: bool,
    pub subject: String,
    pub body: String,
    pub provider_template: String,
    #[sqlx(try_from = "Millis")]
    pub updated_at: Timestamp,
}

/// A template as saved (the caller has checked it).
#[derive(Debug, Clone, Default)]
pub struct TemplateInput<'a> {
    pub name: &'a str,
    pub channel: &'a str,
    pub language: &'a str,
    pub marketing: bool,
    pub subject: &'a str,
    pub body: &'a str,
    pub provider_template: &'a str,
}

const COLUMNS: &str =
    "id, name, channel, language, marketing, subject, body, provider_template, updated_at";

impl Db {
    pub async fn message_templates(&self) -> Result<Vec<TemplateRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM message_templates ORDER BY name, channel, language"
        )))
        .fetch_all(self.pool())
        .await?)
    }

    /// The templates of one name, every channel and language.
    pub async fn message_templates_named(
        &self,
        name: &str,
    ) -> Result<Vec<TemplateRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM message_templates WHERE name = $1 ORDER BY channel, language"
        )))
        .bind(name)
        .fetch_all(self.pool())
        .await?)
    }

    /// Creates or replaces the template for (name, channel, language); audited.
    pub async fn save_message_template(
        &self,
        actor: &Actor,
        t: &TemplateInput<'_>,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO message_templates (name, channel, language, marketing, subject, body, provider_template, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (name, channel, language) DO UPDATE SET marketing = excluded.marketing, \
             subject = excluded.subject, body = excluded.body, provider_template = excluded.provider_template, \
             updated_at = excluded.updated_at RETURNING id",
        )
        .bind(t.name)
        .bind(t.channel)
        .bind(t.language)
        .bind(i64::from(t.marketing))
        .bind(t.subject)
        .bind(t.body)
        .bind(t.provider_template)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit(
            &AuditEvent::ok("message_template.save", "message_template", id)
                .with_detail(format!("{}/{}/{}", t.name, t.channel, t.language)),
        )
        .await?;
        Ok(id)
    }

    /// Deletes a template; deleting one that is already gone changes nothing.
    pub async fn delete_message_template(
        &self,
        actor: &Actor,
        scope: crate::Scope,
        id: i64,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        scope.chain_wide()?;
        let mut tx = self.begin_audited(actor, now).await?;
        let n = sqlx::query("DELETE FROM message_templates WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        // Deleting what is already gone (a resubmitted form) is not an error.
        if n > 0 {
            tx.commit(&AuditEvent::ok(
                "message_template.delete",
                "message_template",
                id,
            ))
            .await?;
        } else {
            tx.commit_unchanged().await?;
        }
        Ok(())
    }

    /// The sealed WeChat openid of a customer, if one was bound.
    pub async fn wechat_openid_enc(&self, customer_id: i64) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar::<_, Option<String>>(
            "SELECT wechat_openid_enc FROM customers WHERE id = $1",
        )
        .bind(customer_id)
        .fetch_optional(self.pool())
        .await?
        .flatten())
    }

    /// Binds (or with `None` unbinds) a customer's WeChat openid; audited as a write of
    /// personal data.
    pub async fn set_wechat_openid(
        &self,
        actor: &Actor,
        customer_id: i64,
        sealed: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let n = sqlx::query(
            "UPDATE customers SET wechat_openid_enc = $1, updated_at = $2 WHERE id = $3 AND status = 'active'",
        )
        .bind(sealed)
        .bind(ms(now))
        .bind(customer_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        found(n)?;
        tx.commit(&AuditEvent::ok(
            "customer.wechat_bind",
            "customer",
            customer_id,
        ))
        .await?;
        Ok(())
    }
}
