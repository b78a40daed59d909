//! What the admin listener reads: health (database reachable, migrations current), the
//! connection pool, and the paged, read-only views of the history UI. The SQL is the same on
//! both backends apart from the health check, so one macro writes most of both impls.

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use strata_core::{model::HistoryEntry, CatalogError, Result};

use crate::{
    common::{db, HistoryRow, HISTORY_COLUMNS},
    postgres::PgStore,
    sqlite::SqliteStore,
};

/// History entries appended by this process (both stores), for `/metrics`.
static HISTORY_ROWS_WRITTEN: AtomicU64 = AtomicU64::new(0);

/// Count history entries appended (called where a store inserts them).
pub(crate) fn count_history_rows(n: usize) {
    HISTORY_ROWS_WRITTEN.fetch_add(n as u64, Ordering::Relaxed);
}

/// History entries this process has appended (including any in transactions that then rolled
/// back).
#[must_use]
pub fn history_rows_written() -> u64 {
    HISTORY_ROWS_WRITTEN.load(Ordering::Relaxed)
}

/// The connection pool now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStatus {
    /// Connections open.
    pub size: u32,
    /// Of those, idle.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// One write of a table's partitions: the history rows of one request.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BatchSummary {
    /// The request (one Thrift call or admin command).
    pub request_id: String,
    /// Its operation (the first by name when a request did several).
    pub operation: String,
    /// Who.
    pub actor: String,
    /// From where.
    pub client_addr: String,
    /// When it started and ended (milliseconds since the epoch).
    pub first_millis: i64,
    /// See `first_millis`.
    pub last_millis: i64,
    /// Partitions changed.
    pub partitions: i64,
    /// Batch ids of the change (lowest and highest), where the rows carry one.
    pub min_batch: Option<String>,
    /// See `min_batch`.
    pub max_batch: Option<String>,
    /// Partition names (lowest and highest).
    pub min_partition: Option<String>,
    /// See `min_partition`.
    pub max_partition: Option<String>,
    /// The first history id of the request (orders requests).
    pub first_id: i64,
}

/// Reads for health checks and the history UI.
#[async_trait]
pub trait BrowseStore: Send + Sync {
    /// The connection pool now.
    fn pool_status(&self) -> PoolStatus;
    /// Ok when the database answers, is where it was opened, and has every migration this
    /// build knows; else why not.
    async fn check_health(&self) -> Result<()>;
    /// Up to `limit` partitions `(name, location)` of a table in name order, after `after`.
    async fn partition_page(
        &self,
        db: &str,
        table: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(String, Option<String>)>>;
    /// How many partitions a table has.
    async fn partition_count(&self, db: &str, table: &str) -> Result<i64>;
    /// One partition's history rows, oldest first.
    async fn partition_history(&self, db: &str, table: &str, partition: &str) -> Result<Vec<HistoryEntry>>;
    /// The latest `limit` writes of a table's partitions (newest first), one per request.
    async fn batch_summaries(&self, db: &str, table: &str, limit: i64) -> Result<Vec<BatchSummary>>;
    /// The latest `limit` table-level history rows (create, alter, drop; no partition), newest first.
    async fn table_events(&self, db: &str, table: &str, limit: i64) -> Result<Vec<HistoryEntry>>;
}

const PARTITION_PAGE: &str = "SELECT p.part_name, p.location FROM partitions p \
     JOIN tables t ON t.id = p.table_id JOIN databases d ON d.id = t.db_id \
     WHERE d.name = $1 AND t.name = $2 AND (CAST($3 AS TEXT) IS NULL OR p.part_name > CAST($3 AS TEXT)) \
     ORDER BY p.part_name LIMIT $4";

const PARTITION_COUNT: &str = "SELECT count(*) FROM partitions p \
     JOIN tables t ON t.id = p.table_id JOIN databases d ON d.id = t.db_id WHERE d.name = $1 AND t.name = $2";

const BATCH_SUMMARIES: &str = "SELECT request_id, min(operation) AS operation, min(actor) AS actor, \
     min(client_addr) AS client_addr, min(at_millis) AS first_millis, max(at_millis) AS last_millis, \
     count(*) AS partitions, min(batch_id) AS min_batch, max(batch_id) AS max_batch, \
     min(partition_name) AS min_partition, max(partition_name) AS max_partition, min(id) AS first_id \
     FROM location_history WHERE db_name = $1 AND table_name = $2 AND partition_name IS NOT NULL \
     GROUP BY request_id ORDER BY min(id) DESC LIMIT $3";

fn rows(found: Vec<HistoryRow>) -> Result<Vec<HistoryEntry>> {
    found.into_iter().map(HistoryRow::into_model).collect()
}

/// The newest migration this build has against the newest the database has applied.
fn migrations_current(latest_known: i64, applied: Option<i64>) -> Result<()> {
    match applied {
        Some(v) if v >= latest_known => Ok(()),
        Some(v) => Err(CatalogError::Meta(format!(
            "database migrations are behind: applied {v}, this build needs {latest_known} (run `strata migrate`)"
        ))),
        None => Err(CatalogError::Meta("database has no migrations applied (run `strata migrate`)".into())),
    }
}

const APPLIED_MIGRATION: &str = "SELECT max(version) FROM _sqlx_migrations WHERE success";

macro_rules! browse_store_impl {
    ($store:ty) => {
        #[async_trait]
        impl BrowseStore for $store {
            fn pool_status(&self) -> PoolStatus {
                let pool = self.pool();
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
                migrations_current(<$store>::latest_migration(), applied)?;
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
    };
}

browse_store_impl!(PgStore);
browse_store_impl!(SqliteStore);

impl PgStore {
    /// A PostgreSQL database is where its URL says; nothing more to check.
    #[allow(clippy::unused_async)]
    async fn check_place(&self) -> Result<()> {
        Ok(())
    }
}

impl SqliteStore {
    /// The database file must still be at its path: open connections keep a file that was
    /// moved or deleted alive, so without this a lost file would look healthy while every new
    /// connection would create an empty database.
    async fn check_place(&self) -> Result<()> {
        let file: Option<String> = sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_optional(self.pool())
            .await
            .map_err(db("database file"))?;
        match file.filter(|f| !f.is_empty()) {
            None => Ok(()), // in memory
            Some(path) => match tokio::fs::metadata(&path).await {
                Ok(_) => Ok(()),
                Err(e) => Err(CatalogError::Meta(format!("database file {path} is not reachable: {e}"))),
            },
        }
    }
}

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
