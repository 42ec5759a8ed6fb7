//! Role capability sets. Built-in defaults are written once, on the first start; after that
//! the table is the truth and admins edit it.

use crate::{Db, StoreError};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};
use patron_domain::{Capability, Role};
use std::collections::BTreeSet;

impl Db {
    /// Writes the default capability sets if this database has never had them.
    pub async fn seed_roles(&self, now: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let seeded = sqlx::query_scalar::<_, String>(
            "SELECT value FROM settings WHERE key = 'roles.seeded'",
        )
        .fetch_optional(&mut *tx)
        .await?;
        if seeded.is_none() {
            for role in Role::ALL {
                for cap in role.default_capabilities() {
                    sqlx::query(
                        "INSERT INTO role_capabilities (role, capability) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(role.as_str())
                    .bind(cap.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
            }
            sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES ('roles.seeded', '1', $1)",
            )
            .bind(crate::ms(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The role's capabilities. The admin role always holds all of them, whatever the table says.
    pub async fn role_capabilities(&self, role: Role) -> Result<BTreeSet<Capability>, StoreError> {
        if role == Role::Admin {
            return Ok(Capability::ALL.iter().copied().collect());
        }
        let names: Vec<String> =
            sqlx::query_scalar("SELECT capability FROM role_capabilities WHERE role = $1")
                .bind(role.as_str())
                .fetch_all(self.pool())
                .await?;
        Ok(names.iter().filter_map(|n| Capability::parse(n)).collect())
    }

    /// Replaces an editable role's set; refuses the admin role.
    pub async fn set_role_capabilities(
        &self,
        actor: &Actor,
        role: Role,
        caps: &BTreeSet<Capability>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        if !role.is_editable() {
            return Err(StoreError::Unsupported(
                "the admin role always holds every capability".into(),
            ));
        }
        let mut tx = self.begin_audited(actor, now).await?;
        sqlx::query("DELETE FROM role_capabilities WHERE role = $1")
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
        for cap in caps {
            sqlx::query("INSERT INTO role_capabilities (role, capability) VALUES ($1, $2)")
                .bind(role.as_str())
                .bind(cap.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let detail: Vec<&str> = caps.iter().map(|c| c.as_str()).collect();
        tx.commit(
            &AuditEvent::ok("role.update", "role", role.as_str()).with_detail(detail.join(",")),
        )
        .await?;
        Ok(())
    }
}
