//! Column statistics (`table_column_stats`, `partition_column_stats`).

use strata_core::{
    model::{ColumnStats, ColumnStatsData, StoredColumnStats},
    Result,
};

use crate::rows::from_json;

/// A statistics row, table- or partition-level.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct StatsRow {
    part_name: Option<String>,
    engine: String,
    column_name: String,
    column_type: String,
    stats: String,
    last_analyzed: i64,
}

impl StatsRow {
    pub(crate) fn into_model(self) -> Result<StoredColumnStats> {
        let data: ColumnStatsData = from_json("decode column statistics", &self.stats)?;
        Ok(StoredColumnStats {
            part_name: self.part_name,
            engine: self.engine,
            last_analyzed: self.last_analyzed,
            stats: ColumnStats { column_name: self.column_name, column_type: self.column_type, data },
        })
    }
}

/// The statistics aggregate for one backend (see [`crate::sql`]).
macro_rules! stats {
    ($store:ty) => {
        /// Column statistics (`crate::sql::stats`).
        mod stats {
            use async_trait::async_trait;
            use strata_core::{
                model::{stats_msg, ColumnStats, StoredColumnStats},
                CatalogError, Result,
            };

            use $crate::{
                api::stats::StatsStore,
                dialect::{row_lock, Conn, Dialect},
                errors::db,
                rows::to_json,
                sql::stats::StatsRow,
            };

            type D = $store;

            /// A list parameter that is NULL when empty (empty = all).
            fn optional_list(values: &[String]) -> Result<Option<<D as Dialect>::List<String>>> {
                if values.is_empty() {
                    Ok(None)
                } else {
                    D::list(values).map(Some)
                }
            }

            /// The table's id, `NoSuchObject` if absent; key-shared when `lock`.
            async fn stats_table_id(conn: &mut Conn<D>, db_name: &str, table: &str, lock: bool) -> Result<i64> {
                let lock = if lock { row_lock::<D>(" FOR SHARE OF t") } else { "" };
                let id: Option<i64> = sqlx::query_scalar(&format!(
                    "SELECT t.id FROM tables t JOIN databases d ON d.id = t.db_id \
                     WHERE d.name = $1 AND t.name = $2{lock}"
                ))
                .bind(db_name)
                .bind(table)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db("stats: table id"))?;
                id.ok_or_else(|| CatalogError::NoSuchObject(stats_msg::no_such_table(db_name, table)))
            }

            /// A partition's id, `NoSuchObject` if absent.
            async fn stats_partition_id(conn: &mut Conn<D>, table_id: i64, part_name: &str) -> Result<i64> {
                let id: Option<i64> = sqlx::query_scalar(&format!(
                    "SELECT id FROM partitions WHERE table_id = $1 AND part_name = $2{}",
                    row_lock::<D>(" FOR SHARE")
                ))
                .bind(table_id)
                .bind(part_name)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db("stats: partition id"))?;
                id.ok_or_else(|| CatalogError::NoSuchObject(stats_msg::NO_SUCH_PARTITION.to_string()))
            }

            #[async_trait]
            impl StatsStore for D {
                async fn update_column_stats(
                    &self,
                    db_name: &str,
                    table: &str,
                    part_name: Option<&str>,
                    engine: &str,
                    last_analyzed: i64,
                    stats: &[ColumnStats],
                ) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    let table_id = stats_table_id(&mut tx, db_name, table, true).await?;
                    let (sql, owner_id) = match part_name {
                        None => (
                            "INSERT INTO table_column_stats (table_id, engine, column_name, column_type, stats, \
                             last_analyzed) VALUES ($1, $2, $3, $4, $5, $6) \
                             ON CONFLICT (table_id, engine, column_name) \
                             DO UPDATE SET column_type = excluded.column_type, stats = excluded.stats, \
                             last_analyzed = excluded.last_analyzed",
                            table_id,
                        ),
                        Some(p) => (
                            "INSERT INTO partition_column_stats (partition_id, engine, column_name, column_type, \
                             stats, last_analyzed) VALUES ($1, $2, $3, $4, $5, $6) \
                             ON CONFLICT (partition_id, engine, column_name) \
                             DO UPDATE SET column_type = excluded.column_type, stats = excluded.stats, \
                             last_analyzed = excluded.last_analyzed",
                            stats_partition_id(&mut tx, table_id, p).await?,
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
                    let table_id = stats_table_id(&mut conn, db_name, table, false).await?;
                    sqlx::query_as::<_, StatsRow>(&format!(
                        "SELECT NULL AS part_name, engine, column_name, column_type, stats, last_analyzed \
                         FROM table_column_stats WHERE table_id = $1 AND engine = $2 \
                         AND ($3 IS NULL OR column_name {}) ORDER BY column_name",
                        D::in_list("$3")
                    ))
                    .bind(table_id)
                    .bind(engine)
                    .bind(optional_list(columns)?)
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
                    let table_id = stats_table_id(&mut conn, db_name, table, false).await?;
                    if part_names.is_empty() {
                        return Ok(Vec::new());
                    }
                    sqlx::query_as::<_, StatsRow>(&format!(
                        "SELECT p.part_name, s.engine, s.column_name, s.column_type, s.stats, s.last_analyzed \
                         FROM partition_column_stats s JOIN partitions p ON p.id = s.partition_id \
                         WHERE p.table_id = $1 AND s.engine = $2 AND p.part_name {} \
                         AND ($4 IS NULL OR s.column_name {}) ORDER BY p.part_name, s.column_name",
                        D::in_list("$3"),
                        D::in_list("$4")
                    ))
                    .bind(table_id)
                    .bind(engine)
                    .bind(optional_list(part_names)?)
                    .bind(optional_list(columns)?)
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
                    let mut tx = self.begin_write().await?;
                    let table_id = stats_table_id(&mut tx, db_name, table, true).await?;
                    let (sql, owner_id) = match part_name {
                        None => (
                            "DELETE FROM table_column_stats WHERE table_id = $1 AND ($2 IS NULL OR engine = $2) \
                             AND ($3 IS NULL OR column_name = $3)",
                            table_id,
                        ),
                        Some(p) => (
                            "DELETE FROM partition_column_stats WHERE partition_id = $1 \
                             AND ($2 IS NULL OR engine = $2) AND ($3 IS NULL OR column_name = $3)",
                            stats_partition_id(&mut tx, table_id, p).await?,
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
        }
    };
}
pub(crate) use stats;
