//! Column statistics (`table_column_stats`, `partition_column_stats`): what the catalog asks
//! of the store.
//!
//! Each row is one column of one table (or partition) for one engine; the numbers are the JSON
//! of `ColumnStatsData`. Statistics go with their table or partition (foreign keys cascade).
//! A column dropped or renamed by `alter_table` keeps its row: HMS 2.3 only cleans them on a
//! `CASCADE` alter, and stale rows are harmless to readers that ask by column name.

use async_trait::async_trait;
use strata_core::{
    model::{ColumnStats, StoredColumnStats},
    Result,
};

/// The catalog's column-statistics persistence. Names are lower-case; partition names are the
/// canonical `k1=v1/k2=v2` of the table's keys.
#[async_trait]
pub trait StatsStore: Send + Sync {
    /// Insert or replace statistics of several columns of a table (`part_name` `None`) or of
    /// one partition, for one engine, in one transaction.
    /// `NoSuchObject(stats_msg::no_such_table)` if the table is absent,
    /// `NoSuchObject(stats_msg::NO_SUCH_PARTITION)` if the partition is.
    async fn update_column_stats(
        &self,
        db: &str,
        table: &str,
        part_name: Option<&str>,
        engine: &str,
        last_analyzed: i64,
        stats: &[ColumnStats],
    ) -> Result<()>;
    /// Table-level statistics of the named columns (empty = all), by column name.
    /// `NoSuchObject(stats_msg::no_such_table)` if the table is absent.
    async fn get_table_column_stats(
        &self,
        db: &str,
        table: &str,
        engine: &str,
        columns: &[String],
    ) -> Result<Vec<StoredColumnStats>>;
    /// Statistics of the named partitions (absent ones skipped) and columns (empty = all), by
    /// partition name then column name. `NoSuchObject(stats_msg::no_such_table)` if the table
    /// is absent.
    async fn get_partition_column_stats(
        &self,
        db: &str,
        table: &str,
        engine: &str,
        part_names: &[String],
        columns: &[String],
    ) -> Result<Vec<StoredColumnStats>>;
    /// Delete statistics of a table (`part_name` `None`) or partition, of one column or all
    /// (`column` `None`) and one engine or all (`engine` `None`); returns how many rows went.
    /// `NoSuchObject(stats_msg::no_such_table)` / `NoSuchObject(stats_msg::NO_SUCH_PARTITION)`.
    async fn delete_column_stats(
        &self,
        db: &str,
        table: &str,
        part_name: Option<&str>,
        engine: Option<&str>,
        column: Option<&str>,
    ) -> Result<u64>;
}
