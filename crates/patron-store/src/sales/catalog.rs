//! Products and categories: the reference data sales point at. Imported from the shop's own
//! lists; a sale keeps its own copy of each line's name and category, so renaming a product
//! never rewrites history.

use crate::db::placeholders;
use crate::{Db, StoreError, ms};
use jiff::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductRow {
    pub sku: String,
    pub name: String,
    pub category_code: String,
    pub brand: String,
    pub price_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CategoryRow {
    pub code: String,
    pub name: String,
}

impl Db {
    /// Creates or updates products, creating their categories when new (named after their
    /// code until someone names them). One transaction for the whole list.
    pub async fn upsert_products(
        &self,
        products: &[ProductRow],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for chunk in products.chunks(100) {
            let mut codes: Vec<&str> = chunk.iter().map(|p| p.category_code.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            let sql = format!(
                "INSERT INTO categories (code, name, updated_at) VALUES {} \
                 ON CONFLICT (code) DO NOTHING",
                placeholders(&tx, codes.len(), 3, "")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in &codes {
                q = q.bind(*c).bind(*c).bind(ms(now));
            }
            q.execute(&mut *tx).await?;
            let sql = format!(
                "INSERT INTO products (sku, name, category_code, brand, price_fen, updated_at) \
                 VALUES {} ON CONFLICT (sku) DO UPDATE SET name = excluded.name, \
                 category_code = excluded.category_code, brand = excluded.brand, \
                 price_fen = excluded.price_fen, updated_at = excluded.updated_at",
                placeholders(&tx, chunk.len(), 6, "")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for p in chunk {
                q = q
                    .bind(&p.sku)
                    .bind(&p.name)
                    .bind(&p.category_code)
                    .bind(&p.brand)
                    .bind(p.price_fen)
                    .bind(ms(now));
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn product(&self, sku: &str) -> Result<Option<ProductRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT sku, name, category_code, brand, price_fen FROM products WHERE sku = $1",
        )
        .bind(sku)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Products whose SKU or name starts with `prefix` (all when empty), by SKU.
    pub async fn list_products(
        &self,
        prefix: &str,
        limit: i64,
    ) -> Result<Vec<ProductRow>, StoreError> {
        let pattern = format!("{}%", prefix.replace(['%', '_'], ""));
        Ok(sqlx::query_as(
            "SELECT sku, name, category_code, brand, price_fen FROM products \
             WHERE sku LIKE $1 OR name LIKE $1 ORDER BY sku LIMIT $2",
        )
        .bind(pattern)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn list_categories(&self) -> Result<Vec<CategoryRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT code, name FROM categories ORDER BY code")
                .fetch_all(self.pool())
                .await?,
        )
    }

    pub async fn count_products(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM products")
            .fetch_one(self.pool())
            .await?)
    }
}
