//! Tags: names for a state of a table (`strata tag`), read back through `TABLE@TAG`.
//!
//! The SQL is the same on both backends, so one macro writes both impls.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use strata_core::{CatalogError, Result};

use crate::{common::db, postgres::PgStore, sqlite::SqliteStore};

/// A named state of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Tag {
    /// Database.
    pub db_name: String,
    /// Table.
    pub table_name: String,
    /// The tag.
    pub name: String,
    /// The moment it names, in milliseconds since the epoch.
    pub at_millis: i64,
    /// Who made it.
    pub created_by: String,
    /// When, in milliseconds since the epoch.
    pub created_at_millis: i64,
}

/// The catalog's tag persistence.
#[async_trait]
pub trait TagStore: Send + Sync {
    /// Create a tag. `AlreadyExists` if the table already has a tag of that name.
    async fn create_tag(&self, tag: &Tag) -> Result<()>;
    /// A tag, `None` if absent.
    async fn get_tag(&self, db: &str, table: &str, name: &str) -> Result<Option<Tag>>;
    /// The tags of a table, by name.
    async fn list_tags(&self, db: &str, table: &str) -> Result<Vec<Tag>>;
    /// Delete a tag; returns it. `NoSuchObject` if absent.
    async fn delete_tag(&self, db: &str, table: &str, name: &str) -> Result<Tag>;
}

const TAG_COLUMNS: &str = "db_name, table_name, name, at_millis, created_by, created_at_millis";

macro_rules! tag_store_impl {
    ($store:ty) => {
        #[async_trait]
        impl TagStore for $store {
            async fn create_tag(&self, t: &Tag) -> Result<()> {
                let done = sqlx::query(&format!(
                    "INSERT INTO tags ({TAG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"
                ))
                .bind(&t.db_name)
                .bind(&t.table_name)
                .bind(&t.name)
                .bind(t.at_millis)
                .bind(&t.created_by)
                .bind(t.created_at_millis)
                .execute(self.pool())
                .await
                .map_err(db("create tag"))?;
                if done.rows_affected() == 0 {
                    return Err(CatalogError::AlreadyExists(format!(
                        "Tag {} of {}.{} already exists",
                        t.name, t.db_name, t.table_name
                    )));
                }
                Ok(())
            }

            async fn get_tag(&self, db_name: &str, table: &str, name: &str) -> Result<Option<Tag>> {
                sqlx::query_as::<_, Tag>(&format!(
                    "SELECT {TAG_COLUMNS} FROM tags WHERE db_name = $1 AND table_name = $2 AND name = $3"
                ))
                .bind(db_name)
                .bind(table)
                .bind(name)
                .fetch_optional(self.pool())
                .await
                .map_err(db("get tag"))
            }

            async fn list_tags(&self, db_name: &str, table: &str) -> Result<Vec<Tag>> {
                sqlx::query_as::<_, Tag>(&format!(
                    "SELECT {TAG_COLUMNS} FROM tags WHERE db_name = $1 AND table_name = $2 ORDER BY name"
                ))
                .bind(db_name)
                .bind(table)
                .fetch_all(self.pool())
                .await
                .map_err(db("list tags"))
            }

            async fn delete_tag(&self, db_name: &str, table: &str, name: &str) -> Result<Tag> {
                sqlx::query_as::<_, Tag>(&format!(
                    "DELETE FROM tags WHERE db_name = $1 AND table_name = $2 AND name = $3 RETURNING {TAG_COLUMNS}"
                ))
                .bind(db_name)
                .bind(table)
                .bind(name)
                .fetch_optional(self.pool())
                .await
                .map_err(db("delete tag"))?
                .ok_or_else(|| CatalogError::NoSuchObject(format!("Tag {name} of {db_name}.{table} does not exist")))
            }
        }
    };
}

tag_store_impl!(PgStore);
tag_store_impl!(SqliteStore);
