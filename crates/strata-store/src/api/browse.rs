//! What the admin listener reads: health (database reachable, migrations current), the
//! connection pool, and the paged, read-only views of the history UI.

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use strata_core::{model::HistoryEntry, Result};

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
