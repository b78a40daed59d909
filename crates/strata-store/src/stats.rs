//! Column statistics (`table_column_stats`, `partition_column_stats`), for both backends.
//!
//! Each row is one column of one table (or partition) for one engine; the numbers are the JSON
//! of [`ColumnStatsData`]. Statistics go with their table or partition (foreign keys cascade).
//! A column dropped or renamed by `alter_table` keeps its row: HMS 2.3 only cleans them on a
//! `CASCADE` alter, and stale rows are harmless to readers that ask by column name.

use async_trait::async_trait;
use strata_core::{
    model::{stats_msg, ColumnStats, ColumnStatsData, StoredColumnStats},
    CatalogError, Result,
};

use crate::{
    common::{db, from_json, to_json},
    functions::{begin_pg, begin_sqlite},
    postgres::PgStore,
    sqlite::SqliteStore,
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

/// A statistics row, table- or partition-level.
#[derive(Debug, sqlx::FromRow)]
struct StatsRow {
    part_name: Option<String>,
    engine: String,
    column_name: String,
    column_type: String,
    stats: String,
    last_analyzed: i64,
}

impl StatsRow {
    fn into_model(self) -> Result<StoredColumnStats> {
        let data: ColumnStatsData = from_json("decode column statistics", &self.stats)?;
        Ok(StoredColumnStats {
            part_name: self.part_name,
            engine: self.engine,
            last_analyzed: self.last_analyzed,
            stats: ColumnStats { column_name: self.column_name, column_type: self.column_type, data },
        })
    }
}

fn pg_list(values: &[String]) -> Option<Vec<String>> {
    (!values.is_empty()).then(|| values.to_vec())
}

fn sqlite_list(values: &[String]) -> Option<String> {
    (!values.is_empty()).then(|| serde_json::to_string(values).unwrap_or_else(|_| "[]".into()))
}

/// Both backends share the SQL but for list parameters (`= ANY($n)` with an array on
/// PostgreSQL, `IN (SELECT value FROM json_each($n))` with JSON text on SQLite) and row locks.
macro_rules! stats_store_impl {
    ($store:ty, $conn:ty, $begin:expr, $list:expr, $open:literal, $close:literal, $lock_t:literal, $lock_p:literal) => {
        impl $store {
            /// The table's id, `NoSuchObject` if absent.
            async fn stats_table_id(
                conn: &mut $conn,
                db_name: &str,
                table: &str,
                lock: bool,
            ) -> Result<i64> {
                let sql = if lock {
                    concat!(
                        "SELECT t.id FROM tables t JOIN databases d ON d.id = t.db_id WHERE d.name = $1 AND t.name = $2",
                        $lock_t
                    )
                } else {
                    "SELECT t.id FROM tables t JOIN databases d ON d.id = t.db_id WHERE d.name = $1 AND t.name = $2"
                };
                let id: Option<i64> = sqlx::query_scalar(sql)
                    .bind(db_name)
                    .bind(table)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db("stats: table id"))?;
                id.ok_or_else(|| CatalogError::NoSuchObject(stats_msg::no_such_table(db_name, table)))
            }

            /// A partition's id, `NoSuchObject` if absent.
            async fn stats_partition_id(
                conn: &mut $conn,
                table_id: i64,
                part_name: &str,
            ) -> Result<i64> {
                let id: Option<i64> = sqlx::query_scalar(concat!(
                    "SELECT id FROM partitions WHERE table_id = $1 AND part_name = $2",
                    $lock_p
                ))
                .bind(table_id)
                .bind(part_name)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db("stats: partition id"))?;
                id.ok_or_else(|| CatalogError::NoSuchObject(stats_msg::NO_SUCH_PARTITION.to_string()))
            }
        }

        #[async_trait]
        impl StatsStore for $store {
            async fn update_column_stats(
                &self,
                db_name: &str,
                table: &str,
                part_name: Option<&str>,
                engine: &str,
                last_analyzed: i64,
                stats: &[ColumnStats],
            ) -> Result<()> {
                let mut tx = $begin(self).await?;
                let table_id = Self::stats_table_id(&mut tx, db_name, table, true).await?;
                let (sql, owner_id) = match part_name {
                    None => (
                        "INSERT INTO table_column_stats (table_id, engine, column_name, column_type, stats, \
                         last_analyzed) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (table_id, engine, column_name) \
                         DO UPDATE SET column_type = excluded.column_type, stats = excluded.stats, \
                         last_analyzed = excluded.last_analyzed",
                        table_id,
                    ),
                    Some(p) => (
                        "INSERT INTO partition_column_stats (partition_id, engine, column_name, column_type, stats, \
                         last_analyzed) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (partition_id, engine, column_name) \
                         DO UPDATE SET column_type = excluded.column_type, stats = excluded.stats, \
                         last_analyzed = excluded.last_analyzed",
                        Self::stats_partition_id(&mut tx, table_id, p).await?,
                    ),
                };
                for s in stats {
                    sqlx::query(sql)
                        .bind(owner_id)
                        .bind(engine)
                        .bind(&s.column_name)
                        .bind(&s.column_type)
                        .bind(to_json(&s.data)?)
                        .bind(last_analyzed)
                        .execute(&mut *tx)
                        .await
                        .map_err(db("update column statistics"))?;
                }
                tx.commit().await.map_err(db("update column statistics: commit"))
            }

            async fn get_table_column_stats(
                &self,
                db_name: &str,
                table: &str,
                engine: &str,
                columns: &[String],
            ) -> Result<Vec<StoredColumnStats>> {
                let mut conn = self.pool().acquire().await.map_err(db("acquire"))?;
                let table_id = Self::stats_table_id(&mut conn, db_name, table, false).await?;
                sqlx::query_as::<_, StatsRow>(concat!(
                    "SELECT NULL AS part_name, engine, column_name, column_type, stats, last_analyzed \
                     FROM table_column_stats WHERE table_id = $1 AND engine = $2 AND ($3 IS NULL OR column_name ",
                    $open,
                    "$3",
                    $close,
                    ") ORDER BY column_name"
                ))
                .bind(table_id)
                .bind(engine)
                .bind($list(columns))
                .fetch_all(&mut *conn)
                .await
                .map_err(db("get table column statistics"))?
                .into_iter()
                .map(StatsRow::into_model)
                .collect()
            }

            async fn get_partition_column_stats(
                &self,
                db_name: &str,
                table: &str,
                engine: &str,
                part_names: &[String],
                columns: &[String],
            ) -> Result<Vec<StoredColumnStats>> {
                let mut conn = self.pool().acquire().await.map_err(db("acquire"))?;
                let table_id = Self::stats_table_id(&mut conn, db_name, table, false).await?;
                if part_names.is_empty() {
                    return Ok(Vec::new());
                }
                sqlx::query_as::<_, StatsRow>(concat!(
                    "SELECT p.part_name, s.engine, s.column_name, s.column_type, s.stats, s.last_analyzed \
                     FROM partition_column_stats s JOIN partitions p ON p.id = s.partition_id \
                     WHERE p.table_id = $1 AND s.engine = $2 AND p.part_name ",
                    $open,
                    "$3",
                    $close,
                    " AND ($4 IS NULL OR s.column_name ",
                    $open,
                    "$4",
                    $close,
                    ") ORDER BY p.part_name, s.column_name"
                ))
                .bind(table_id)
                .bind(engine)
                .bind($list(part_names))
                .bind($list(columns))
                .fetch_all(&mut *conn)
                .await
                .map_err(db("get partition column statistics"))?
                .into_iter()
                .map(StatsRow::into_model)
                .collect()
            }

            async fn delete_column_stats(
                &self,
                db_name: &str,
                table: &str,
                part_name: Option<&str>,
                engine: Option<&str>,
                column: Option<&str>,
            ) -> Result<u64> {
                let mut tx = $begin(self).await?;
                let table_id = Self::stats_table_id(&mut tx, db_name, table, true).await?;
                let (sql, owner_id) = match part_name {
                    None => (
                        "DELETE FROM table_column_stats WHERE table_id = $1 AND ($2 IS NULL OR engine = $2) \
                         AND ($3 IS NULL OR column_name = $3)",
                        table_id,
                    ),
                    Some(p) => (
                        "DELETE FROM partition_column_stats WHERE partition_id = $1 AND ($2 IS NULL OR engine = $2) \
                         AND ($3 IS NULL OR column_name = $3)",
                        Self::stats_partition_id(&mut tx, table_id, p).await?,
                    ),
                };
                let done = sqlx::query(sql)
                    .bind(owner_id)
                    .bind(engine)
                    .bind(column)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("delete column statistics"))?;
                tx.commit().await.map_err(db("delete column statistics: commit"))?;
                Ok(done.rows_affected())
            }
        }
    };
}

stats_store_impl!(PgStore, sqlx::PgConnection, begin_pg, pg_list, "= ANY(", ")", " FOR SHARE OF t", " FOR SHARE");
stats_store_impl!(
    SqliteStore,
    sqlx::SqliteConnection,
    begin_sqlite,
    sqlite_list,
    "IN (SELECT value FROM json_each(",
    "))",
    "",
    ""
);
