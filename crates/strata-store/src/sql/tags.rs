//! Tags: names for a state of a table (`strata tag`).

/// Columns of [`Tag`](crate::api::tags::Tag).
pub(crate) const TAG_COLUMNS: &str = "db_name, table_name, name, at_millis, created_by, created_at_millis";

/// The tags aggregate for one backend (see [`crate::sql`]).
macro_rules! tags {
    ($store:ty) => {
        /// Tags (`crate::sql::tags`).
        mod tags {
            use async_trait::async_trait;
            use strata_core::{CatalogError, Result};

            use $crate::{
                api::tags::{Tag, TagStore},
                errors::db,
                sql::tags::TAG_COLUMNS,
            };

            type D = $store;

            #[async_trait]
            impl TagStore for D {
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
                        "DELETE FROM tags WHERE db_name = $1 AND table_name = $2 AND name = $3 \
                         RETURNING {TAG_COLUMNS}"
                    ))
                    .bind(db_name)
                    .bind(table)
                    .bind(name)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(db("delete tag"))?
                    .ok_or_else(|| {
                        CatalogError::NoSuchObject(format!("Tag {name} of {db_name}.{table} does not exist"))
                    })
                }
            }
        }
    };
}
pub(crate) use tags;
