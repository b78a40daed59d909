//! Column statistics (Hive/Spark/Trino `ANALYZE`): table- and partition-level, per engine, with
//! Apache HMS 2.3's checks and messages, and `get_aggr_stats_for`'s aggregation.
//!
//! Deliberate limits: statistics are kept when `alter_table` drops or renames a column (HMS
//! 2.3 only cleans them on `CASCADE`); aggregation does not extrapolate for partitions that lack
//! a column's statistics and cannot merge NDV sketches (see `ColumnStatsData::merge`).

use std::collections::BTreeMap;

use strata_core::{
    model::Table,
    model::{stats_msg, AggregateStats, ColumnStatistics, ColumnStats, StoredColumnStats, DEFAULT_STATS_ENGINE},
    names, CatalogError, Result,
};

use crate::Catalog;

/// The engine a request names, [`DEFAULT_STATS_ENGINE`] when none or empty.
fn engine(e: Option<&str>) -> String {
    match e.map(str::trim) {
        None | Some("") => DEFAULT_STATS_ENGINE.to_string(),
        Some(e) => e.to_lowercase(),
    }
}

fn lower_all(items: &[String]) -> Vec<String> {
    items.iter().map(|c| names::normalize(c)).collect()
}

impl Catalog {
    /// The table statistics calls work on: `NoSuchObject("Specified database/table does not
    /// exist : <db>.<t>")` if absent.
    async fn stats_table(&self, db: &str, table: &str) -> Result<Table> {
        let (db, table) = (names::normalize(&names::strip_catalog(db)), names::normalize(table));
        self.store
            .get_table(&db, &table)
            .await?
            .ok_or_else(|| CatalogError::NoSuchObject(stats_msg::no_such_table(&db, &table)))
    }

    /// The canonical name of a partition name a client sent (keys checked against the table).
    fn canonical_part_name(&self, table: &Table, name: &str) -> Result<String> {
        let values = self.values_of_name(table, name)?;
        Self::partition_name(table, &values)
    }

    /// Store one `ColumnStatistics`: table-level statistics must name columns of the table
    /// (`MetaException "Column <c> doesn't exist in table <t> in database <db>"`, as HMS's
    /// `validateTableCols`); partition-level ones need the partition
    /// (`NoSuchObject("Partition for which stats is gathered doesn't exist.")`). Names and types
    /// are lower-cased; a missing `lastAnalyzed` is now.
    pub async fn update_column_statistics(&self, mut stats: ColumnStatistics) -> Result<()> {
        let table = self.stats_table(&stats.db_name, &stats.table_name).await?;
        for c in &mut stats.columns {
            c.column_name = names::normalize(&c.column_name);
            c.column_type = c.column_type.trim().to_lowercase();
        }
        let part_name = if stats.is_table_level {
            for c in &stats.columns {
                if !table.sd.cols.iter().any(|col| col.name.eq_ignore_ascii_case(&c.column_name)) {
                    return Err(CatalogError::Meta(stats_msg::no_such_column(
                        &table.db_name,
                        &table.name,
                        &c.column_name,
                    )));
                }
            }
            None
        } else {
            let Some(name) = stats.part_name.as_deref().filter(|n| !n.is_empty()) else {
                return Err(CatalogError::InvalidObject("Partition name is required for partition statistics".into()));
            };
            Some(self.canonical_part_name(&table, name)?)
        };
        let last_analyzed = stats.last_analyzed.unwrap_or_else(|| i64::from(self.now_seconds().0));
        self.store
            .update_column_stats(
                &table.db_name,
                &table.name,
                part_name.as_deref(),
                &engine(stats.engine.as_deref()),
                last_analyzed,
                &stats.columns,
            )
            .await
    }

    /// Several `ColumnStatistics` (`set_aggr_stats_for`, `update_*_column_statistics_req`).
    /// With `need_merge`, each column's new statistics are merged into the stored ones first
    /// (HMS's `ColumnStatsMerger` rules, as in `ColumnStatsData::merge`). `engine` applies to
    /// entries that name none.
    pub async fn set_column_statistics(
        &self,
        all: Vec<ColumnStatistics>,
        need_merge: bool,
        engine_: Option<&str>,
    ) -> Result<()> {
        for mut stats in all {
            if stats.engine.as_deref().is_none_or(str::is_empty) {
                stats.engine = engine_.map(str::to_string);
            }
            if need_merge {
                let columns: Vec<String> = stats.columns.iter().map(|c| names::normalize(&c.column_name)).collect();
                let old = if stats.is_table_level {
                    self.table_column_statistics(&stats.db_name, &stats.table_name, &columns, stats.engine.as_deref())
                        .await?
                } else {
                    let parts: Vec<String> = stats.part_name.iter().cloned().collect();
                    self.partition_column_statistics(
                        &stats.db_name,
                        &stats.table_name,
                        &parts,
                        &columns,
                        stats.engine.as_deref(),
                    )
                    .await?
                };
                for c in &mut stats.columns {
                    let name = names::normalize(&c.column_name);
                    if let Some(o) = old.iter().find(|o| o.stats.column_name == name) {
                        c.data.merge(&o.stats.data);
                    }
                }
            }
            self.update_column_statistics(stats).await?;
        }
        Ok(())
    }

    /// Table-level statistics of the named columns (others skipped), by column name.
    pub async fn table_column_statistics(
        &self,
        db: &str,
        table: &str,
        columns: &[String],
        engine_: Option<&str>,
    ) -> Result<Vec<StoredColumnStats>> {
        let t = self.stats_table(db, table).await?;
        if columns.is_empty() {
            return Ok(Vec::new());
        }
        self.store.get_table_column_stats(&t.db_name, &t.name, &engine(engine_), &lower_all(columns)).await
    }

    /// Statistics of the named partitions and columns (absent ones skipped), by partition name
    /// then column name. Partition names are returned in canonical form.
    pub async fn partition_column_statistics(
        &self,
        db: &str,
        table: &str,
        part_names: &[String],
        columns: &[String],
        engine_: Option<&str>,
    ) -> Result<Vec<StoredColumnStats>> {
        let t = self.stats_table(db, table).await?;
        if part_names.is_empty() || columns.is_empty() {
            return Ok(Vec::new());
        }
        let canonical: Vec<String> = part_names.iter().filter_map(|n| self.canonical_part_name(&t, n).ok()).collect();
        self.store
            .get_partition_column_stats(&t.db_name, &t.name, &engine(engine_), &canonical, &lower_all(columns))
            .await
    }

    /// `get_aggr_stats_for`: per requested column, the statistics of the requested partitions
    /// folded together (`ColumnStatsData::merge`), and how many requested partitions have
    /// statistics for every requested column.
    pub async fn aggregate_statistics(
        &self,
        db: &str,
        table: &str,
        part_names: &[String],
        columns: &[String],
        engine_: Option<&str>,
    ) -> Result<AggregateStats> {
        let rows = self.partition_column_statistics(db, table, part_names, columns, engine_).await?;
        let columns = lower_all(columns);
        let mut per_column: BTreeMap<&str, ColumnStats> = BTreeMap::new();
        let mut per_part: BTreeMap<&str, usize> = BTreeMap::new();
        for row in &rows {
            *per_part.entry(row.part_name.as_deref().unwrap_or_default()).or_default() += 1;
            match per_column.get_mut(row.stats.column_name.as_str()) {
                Some(agg) => agg.data.merge(&row.stats.data),
                None => {
                    per_column.insert(row.stats.column_name.as_str(), row.stats.clone());
                }
            }
        }
        let wanted: std::collections::BTreeSet<&str> = columns.iter().map(String::as_str).collect();
        let parts_found = per_part.values().filter(|n| **n >= wanted.len()).count();
        Ok(AggregateStats {
            columns: columns.iter().filter_map(|c| per_column.remove(c.as_str())).collect(),
            parts_found: i64::try_from(parts_found).unwrap_or(i64::MAX),
        })
    }

    /// Delete statistics of a table (`part_name` `None`) or partition, of one column or all
    /// (`column` `None` or empty), for one engine (all engines when `None`). Nothing to delete is
    /// `NoSuchObject("Column stats doesn't exist for …")`, as HMS 2.3 answers.
    pub async fn delete_column_statistics(
        &self,
        db: &str,
        table: &str,
        part_name: Option<&str>,
        column: Option<&str>,
        engine_: Option<&str>,
    ) -> Result<()> {
        let t = self.stats_table(db, table).await?;
        let part = match part_name {
            Some(name) => Some(
                self.canonical_part_name(&t, name)
                    .map_err(|_| CatalogError::NoSuchObject(stats_msg::NO_SUCH_PARTITION.to_string()))?,
            ),
            None => None,
        };
        let column = column.map(names::normalize).filter(|c| !c.is_empty());
        let engine_ = engine_.map(str::trim).filter(|e| !e.is_empty()).map(str::to_lowercase);
        let deleted = self
            .store
            .delete_column_stats(&t.db_name, &t.name, part.as_deref(), engine_.as_deref(), column.as_deref())
            .await?;
        if deleted == 0 {
            return Err(CatalogError::NoSuchObject(stats_msg::nothing_to_delete(
                &t.db_name,
                &t.name,
                part.as_deref(),
                column.as_deref(),
            )));
        }
        Ok(())
    }
}
