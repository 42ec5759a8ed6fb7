//! What the service report reads: the tickets filed in a period, with the first product
//! line of their linked sale.

use crate::service::tickets::{COLUMNS, TicketRow};
use crate::{Db, Scope, StoreError, ms};
use jiff::Timestamp;

impl Db {
    /// Tickets filed in `[from, to)` within `scope`, oldest first, at most `limit`.
    pub async fn tickets_filed_between(
        &self,
        scope: Scope,
        from: Timestamp,
        to: Timestamp,
        limit: i64,
    ) -> Result<Vec<TicketRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tickets WHERE created_at >= $1 AND created_at < $2 \
             AND ($3 IS NULL OR store_id = $3) ORDER BY created_at, id LIMIT $4"
        )))
        .bind(ms(from))
        .bind(ms(to))
        .bind(scope.store_filter())
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// The name of the first line of each sale, for the report's products.
    pub async fn first_line_names(
        &self,
        sale_ids: &[i64],
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let mut out = Vec::new();
        for chunk in sale_ids.chunks(500) {
            let list = chunk
                .iter()
                .map(|id| id.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let rows: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT l.sale_id, l.name FROM sale_lines l WHERE l.sale_id IN ({list}) \
                 AND l.line_no = (SELECT MIN(m.line_no) FROM sale_lines m WHERE m.sale_id = l.sale_id)"
            )))
            .fetch_all(self.pool())
            .await?;
            out.extend(rows);
        }
        Ok(out)
    }
}
