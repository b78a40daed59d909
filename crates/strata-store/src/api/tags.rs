//! Tags: names for a state of a table (`strata tag`), read back through `TABLE@TAG`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use strata_core::Result;

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
