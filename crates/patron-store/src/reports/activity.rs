//! Member activity for the customer indicators: which member bought in which store on which
//! local day, and when each customer file was created. Read in id ranges, so a reader can load
//! it once and then take only what is new.

use crate::{Db, StoreError};
use sqlx::AnyConnection;

/// Where member activity stands: readers compare it with what they loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityMark {
    /// Changes when past activity moved (merges) or was rebuilt: reload everything.
    pub epoch: i64,
    pub last_sale_id: i64,
    pub last_customer_id: i64,
}

/// One sale of a member: (customer, store, local day `yyyymmdd`).
pub type MemberSale = (i64, i64, i64);

/// One active customer file: (customer, home store, created at in ms).
pub type CustomerFile = (i64, i64, i64);

impl Db {
    pub async fn activity_mark(&self) -> Result<ActivityMark, StoreError> {
        let (epoch, last_sale_id, last_customer_id): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT epoch FROM report_epochs WHERE name = 'activity'), \
             (SELECT COALESCE(MAX(id), 0) FROM sales), \
             (SELECT COALESCE(MAX(id), 0) FROM customers)",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(ActivityMark {
            epoch,
            last_sale_id,
            last_customer_id,
        })
    }

    /// Member sales with ids in `(after, upto]`.
    pub async fn member_sales(&self, after: i64, upto: i64) -> Result<Vec<MemberSale>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT customer_id, store_id, local_day FROM sales \
             WHERE id > $1 AND id <= $2 AND customer_id IS NOT NULL",
        )
        .bind(after)
        .bind(upto)
        .fetch_all(self.pool())
        .await?)
    }

    /// Active customer files with ids in `(after, upto]`.
    pub async fn customer_files(
        &self,
        after: i64,
        upto: i64,
    ) -> Result<Vec<CustomerFile>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, store_id, created_at FROM customers \
             WHERE id > $1 AND id <= $2 AND status = 'active'",
        )
        .bind(after)
        .bind(upto)
        .fetch_all(self.pool())
        .await?)
    }
}

/// Tells readers of member activity that past activity changed (in the changing transaction).
pub(crate) async fn bump_epoch(conn: &mut AnyConnection) -> Result<(), StoreError> {
    sqlx::query("UPDATE report_epochs SET epoch = epoch + 1 WHERE name = 'activity'")
        .execute(conn)
        .await?;
    Ok(())
}
