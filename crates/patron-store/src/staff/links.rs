//! One-time links for staff: invitations (set your first password) and password resets. The
//! link, its e-mail in the outbox and the audit row are written in one transaction.

use crate::messages::outbox::{NewMessage, enqueue};
use crate::staff::{NewStaff, insert_staff};
use crate::{Db, StoreError, audit, ms};
use jiff::Timestamp;
use patron_domain::audit::{Actor, AuditEvent};

pub struct NewLink<'a> {
    pub purpose: &'a str,
    pub token_hash: &'a str,
    pub expires_at: Timestamp,
}

async fn insert_link(
    conn: &mut sqlx::AnyConnection,
    staff_id: i64,
    link: &NewLink<'_>,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO staff_links (staff_id, purpose, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(staff_id)
    .bind(link.purpose)
    .bind(link.token_hash)
    .bind(ms(now))
    .bind(ms(link.expires_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Db {
    /// Creates an invited account, its invitation link and the invitation e-mail.
    pub async fn invite_staff(
        &self,
        actor: &Actor,
        staff: &NewStaff<'_>,
        link: &NewLink<'_>,
        message: &NewMessage<'_>,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        let id = insert_staff(&mut tx, staff, now).await?;
        insert_link(&mut tx, id, link, now).await?;
        enqueue(
            &mut tx,
            &NewMessage {
                staff_id: Some(id),
                ..message.clone()
            },
            now,
        )
        .await?;
        tx.commit(&AuditEvent::ok("staff.invite", "staff", id).with_detail(staff.role.as_str()))
            .await?;
        self.directory_changed();
        Ok(id)
    }

    /// Creates a reset link for an account and queues its e-mail.
    pub async fn create_reset_link(
        &self,
        actor: &Actor,
        staff_id: i64,
        link: &NewLink<'_>,
        message: &NewMessage<'_>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_audited(actor, now).await?;
        insert_link(&mut tx, staff_id, link, now).await?;
        enqueue(
            &mut tx,
            &NewMessage {
                staff_id: Some(staff_id),
                ..message.clone()
            },
            now,
        )
        .await?;
        tx.commit(&AuditEvent::ok("staff.reset_link", "staff", staff_id))
            .await?;
        Ok(())
    }

    /// The account a live link belongs to, without using it (to show the form).
    pub async fn peek_link(
        &self,
        purpose: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT s.id, s.username FROM staff_links l JOIN staff s ON s.id = l.staff_id \
             WHERE l.token_hash = $1 AND l.purpose = $2 AND l.used_at IS NULL AND l.expires_at > $3",
        )
        .bind(token_hash)
        .bind(purpose)
        .bind(ms(now))
        .fetch_optional(self.pool())
        .await?)
    }

    /// Uses a link once: sets the password, activates an invited account, ends old sessions and
    /// revokes the account's personal tokens.
    /// The conditional update on `used_at` makes a second use fail even under a race.
    pub async fn consume_link(
        &self,
        purpose: &str,
        token_hash: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let staff_id: Option<i64> = sqlx::query_scalar(
            "UPDATE staff_links SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL \
             AND expires_at > $1 RETURNING staff_id",
        )
        .bind(ms(now))
        .bind(token_hash)
        .bind(purpose)
        .fetch_optional(&mut *tx)
        .await?;
        let staff_id = staff_id.ok_or(StoreError::NotFound)?;
        sqlx::query(
            "UPDATE staff SET password_hash = $1, must_change_password = 0, \
             status = CASE WHEN status = 'invited' THEN 'active' ELSE status END, updated_at = $2 WHERE id = $3",
        )
        .bind(password_hash)
        .bind(ms(now))
        .bind(staff_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
            .bind(staff_id)
            .execute(&mut *tx)
            .await?;
        crate::security::credentials::revoke_tokens_of(&mut tx, staff_id, now).await?;
        let actor = Actor {
            id: Some(staff_id),
            ..Actor::anonymous(None)
        };
        let action = if purpose == "invite" {
            "staff.invite_accept"
        } else {
            "staff.reset_password"
        };
        audit::append(
            &mut tx,
            &actor,
            &AuditEvent::ok(action, "staff", staff_id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(staff_id)
    }
}
