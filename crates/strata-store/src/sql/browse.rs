//! What the admin listener reads: health, the pool, and the paged views of the history UI.

use strata_core::{model::HistoryEntry, CatalogError, Result};

use crate::rows::HistoryRow;

pub(crate) const PARTITION_PAGE: &str = "SELECT p.part_name, p.location FROM partitions p \
     JOIN tables t ON t.id = p.table_id JOIN databases d ON d.id = t.db_id \
     WHERE d.name = $1 AND t.name = $2 AND (CAST($3 AS TEXT) IS NULL OR p.part_name > CAST($3 AS TEXT)) \
     ORDER BY p.part_name LIMIT $4";

pub(crate) const PARTITION_COUNT: &str = "SELECT count(*) FROM partitions p \
     JOIN tables t ON t.id = p.table_id JOIN databases d ON d.id = t.db_id WHERE d.name = $1 AND t.name = $2";

pub(crate) const BATCH_SUMMARIES: &str = "SELECT request_id, min(operation) AS operation, min(actor) AS actor, \
     min(client_addr) AS client_addr, min(at_millis) AS first_millis, max(at_millis) AS last_millis, \
     count(*) AS partitions, min(batch_id) AS min_batch, max(batch_id) AS max_batch, \
     min(partition_name) AS min_partition, max(partition_name) AS max_partition, min(id) AS first_id \
     FROM location_history WHERE db_name = $1 AND table_name = $2 AND partition_name IS NOT NULL \
     GROUP BY request_id ORDER BY min(id) DESC LIMIT $3";

pub(crate) const APPLIED_MIGRATION: &str = "SELECT max(version) FROM _sqlx_migrations WHERE success";

pub(crate) fn rows(found: Vec<HistoryRow>) -> Result<Vec<HistoryEntry>> {
    found.into_iter().map(HistoryRow::into_model).collect()
}

/// The newest migration this build has against the newest the database has applied.
pub(crate) fn migrations_current(latest_known: i64, applied: Option<i64>) -> Result<()> {
    match applied {
        Some(v) if v >= latest_known => Ok(()),
        Some(v) => Err(CatalogError::Meta(format!(
            "database migrations are behind: applied {v}, this build needs {latest_known} (run `strata migrate`)"
        ))),
        None => Err(CatalogError::Meta("database has no migrations applied (run `strata migrate`)".into())),
    }
}

/// The browse aggregate for one backend (see [`crate::sql`]).
macro_rules! browse {
    ($store:ty) => {
        /// Health and the history UI (`crate::sql::browse`).
        mod browse {
            use async_trait::async_trait;
            use strata_core::{model::HistoryEntry, CatalogError, Result};

            use $crate::{
                api::browse::{BatchSummary, BrowseStore, PoolStatus},
                dialect::Dialect,
                errors::db,
                rows::{HistoryRow, HISTORY_COLUMNS},
                sql::browse::{
                    migrations_current, rows, APPLIED_MIGRATION, BATCH_SUMMARIES, PARTITION_COUNT, PARTITION_PAGE,
                },
            };

            type D = $store;

            #[async_trait]
            impl BrowseStore for D {
                fn pool_status(&self) -> PoolStatus {
                    let pool = Dialect::pool(self);
                    PoolStatus {
                        size: pool.size(),
                        idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                        max: pool.options().get_max_connections(),
                    }
                }

                async fn check_health(&self) -> Result<()> {
                    let applied: Option<i64> = sqlx::query_scalar(APPLIED_MIGRATION)
                        .fetch_one(self.pool())
                        .await
                        .map_err(|e| CatalogError::Meta(format!("database unreachable: {e}")))?;
                    migrations_current(D::latest_migration(), applied)?;
                    self.check_place().await
                }

                async fn partition_page(
                    &self,
                    db_name: &str,
                    table: &str,
                    after: Option<&str>,
                    limit: i64,
                ) -> Result<Vec<(String, Option<String>)>> {
                    sqlx::query_as(PARTITION_PAGE)
                        .bind(db_name)
                        .bind(table)
                        .bind(after)
                        .bind(limit)
                        .fetch_all(self.pool())
                        .await
                        .map_err(db("partition page"))
                }

                async fn partition_count(&self, db_name: &str, table: &str) -> Result<i64> {
                    sqlx::query_scalar(PARTITION_COUNT)
                        .bind(db_name)
                        .bind(table)
                        .fetch_one(self.pool())
                        .await
                        .map_err(db("partition count"))
                }

                async fn partition_history(
                    &self,
                    db_name: &str,
                    table: &str,
                    partition: &str,
                ) -> Result<Vec<HistoryEntry>> {
                    rows(
                        sqlx::query_as::<_, HistoryRow>(&format!(
                            "SELECT {HISTORY_COLUMNS} FROM location_history WHERE db_name = $1 AND table_name = $2 \
                             AND partition_name = $3 ORDER BY id"
                        ))
                        .bind(db_name)
                        .bind(table)
                        .bind(partition)
                        .fetch_all(self.pool())
                        .await
                        .map_err(db("partition history"))?,
                    )
                }

                async fn batch_summaries(&self, db_name: &str, table: &str, limit: i64) -> Result<Vec<BatchSummary>> {
                    sqlx::query_as(BATCH_SUMMARIES)
                        .bind(db_name)
                        .bind(table)
                        .bind(limit)
                        .fetch_all(self.pool())
                        .await
                        .map_err(db("batch summaries"))
                }

                async fn table_events(&self, db_name: &str, table: &str, limit: i64) -> Result<Vec<HistoryEntry>> {
                    rows(
                        sqlx::query_as::<_, HistoryRow>(&format!(
                            "SELECT {HISTORY_COLUMNS} FROM location_history WHERE db_name = $1 AND table_name = $2 \
                             AND partition_name IS NULL ORDER BY id DESC LIMIT $3"
                        ))
                        .bind(db_name)
                        .bind(table)
                        .bind(limit)
                        .fetch_all(self.pool())
                        .await
                        .map_err(db("table events"))?,
                    )
                }
            }
        }
    };
}
pub(crate) use browse;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_must_be_current() {
        assert!(migrations_current(9, Some(9)).is_ok());
        assert!(migrations_current(9, Some(10)).is_ok());
        assert!(migrations_current(9, Some(8)).unwrap_err().message().contains("applied 8, this build needs 9"));
        assert!(migrations_current(9, None).is_err());
    }
}
