//! Schema inspection, for the parity test between the two migration trees. Dialect-specific by
//! nature: SQLite's catalog and PostgreSQL's information schema side by side. The migration
//! files themselves are compared statement by statement, with the known dialect translations,
//! in `tests/migration_trees.rs`.

use crate::{Backend, Db, StoreError};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnShape {
    pub name: String,
    /// `integer`, `text`, `blob`, or the raw type name when it maps to none of them.
    pub type_class: String,
    pub nullable: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SchemaShape {
    pub tables: BTreeMap<String, Vec<ColumnShape>>,
    /// Named unique, check and foreign-key constraints.
    pub constraints: BTreeSet<String>,
    pub indexes: BTreeSet<String>,
    pub triggers: BTreeSet<String>,
}

fn class(raw: &str) -> String {
    match raw.to_ascii_lowercase().as_str() {
        "integer" | "bigint" => "integer".into(),
        "text" => "text".into(),
        "blob" | "bytea" => "blob".into(),
        other => other.to_string(),
    }
}

impl Db {
    pub async fn schema_shape(&self) -> Result<SchemaShape, StoreError> {
        let mut shape = SchemaShape::default();
        match self.backend() {
            Backend::Sqlite => {
                let tables: Vec<(String, String)> = sqlx::query_as(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                     AND name NOT LIKE '_sqlx%' ORDER BY name",
                )
                .fetch_all(self.pool())
                .await?;
                for (table, sql) in tables {
                    let cols: Vec<(String, String, i64, i64)> =
                        sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid")
                            .bind(&table)
                            .fetch_all(self.pool())
                            .await?;
                    let cols = cols
                        .into_iter()
                        .map(|(name, ty, notnull, pk)| ColumnShape {
                            name,
                            type_class: class(&ty),
                            nullable: notnull == 0 && pk == 0,
                        })
                        .collect();
                    shape.tables.insert(table, cols);
                    let mut words = sql.split_whitespace();
                    while let Some(w) = words.next() {
                        if w.eq_ignore_ascii_case("CONSTRAINT")
                            && let Some(name) = words.next()
                        {
                            shape.constraints.insert(name.to_string());
                        }
                    }
                }
                let named: Vec<(String, String)> = sqlx::query_as(
                    "SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger') AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(self.pool())
                .await?;
                for (ty, name) in named {
                    if ty == "index" {
                        shape.indexes.insert(name)
                    } else {
                        shape.triggers.insert(name)
                    };
                }
            }
            Backend::Postgres => {
                let cols: Vec<(String, String, String, String)> = sqlx::query_as(
                    "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
                     FROM information_schema.columns WHERE table_schema = current_schema() \
                     AND table_name NOT LIKE '\\_sqlx%' ORDER BY table_name, ordinal_position",
                )
                .fetch_all(self.pool())
                .await?;
                for (table, name, ty, nullable) in cols {
                    shape.tables.entry(table).or_default().push(ColumnShape {
                        name,
                        type_class: class(&ty),
                        nullable: nullable == "YES",
                    });
                }
                let constraints: Vec<String> = sqlx::query_scalar(
                    "SELECT c.conname::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
                     WHERE n.nspname = current_schema() AND c.contype IN ('u', 'f', 'c')",
                )
                .fetch_all(self.pool())
                .await?;
                shape.constraints.extend(constraints);
                let indexes: Vec<String> = sqlx::query_scalar(
                    "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
                     AND indexname NOT LIKE '%\\_pkey' AND indexname NOT IN (SELECT conname::text FROM pg_constraint)",
                )
                .fetch_all(self.pool())
                .await?;
                shape.indexes.extend(indexes);
                let triggers: Vec<String> = sqlx::query_scalar(
                    "SELECT t.tgname::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
                     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = current_schema()",
                )
                .fetch_all(self.pool())
                .await?;
                shape.triggers.extend(triggers);
            }
        }
        Ok(shape)
    }
}
