//! Every sealed column outside the customer profile, for the key-rotation pass: where it
//! lives, what its seal is bound to, and paging through and rewriting its values.

use crate::{Db, StoreError};

/// Seals a value for one row: the app's keyring. Given to the store where a sealed column is
/// bound to a row id that only the insert itself produces (outbox messages).
pub trait Sealer: Sync {
    fn seal_text(&self, table: &str, column: &str, row_id: i64, plaintext: &[u8]) -> String;
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
    sealed("outbox", "recipient_enc", ("outbox", "recipient", "id")),
    sealed("outbox", "subject_enc", ("outbox", "subject", "id")),
    sealed("outbox", "body_enc", ("outbox", "body", "id")),
    sealed("outbox", "payload_enc", ("outbox", "payload", "id")),
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
}
