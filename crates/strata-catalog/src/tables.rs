//! Tables.

use strata_core::{
    error::msg,
    location,
    model::{param, table_type, Actor, FieldSchema, HistoryOp, Table, TableSummary},
    names::{self, NamePattern},
    CatalogError, Result,
};
use strata_store::AlterTableOptions;

use crate::{databases::owns_data, Catalog};

/// Options of [`Catalog::alter_table`], read from the call's environment context.
#[derive(Debug, Clone, Default)]
pub struct AlterOptions {
    /// Compare-and-swap on a parameter: `(key, expected current value)`.
    pub expected_param: Option<(String, String)>,
    /// Push column changes to partitions (`CASCADE`).
    pub cascade: bool,
    /// What the context says about statistics (`DO_NOT_UPDATE_STATS`, `STATS_GENERATED`).
    pub stats: crate::faststats::StatsEnv,
}

impl Catalog {
    /// Create a table with HMS's defaults: lower-cased names, type coercion, default location
    /// `<db location>/<table>` (created), server-set `createTime` and `transient_lastDdlTime`.
    pub async fn create_table(&self, actor: &Actor, mut table: Table) -> Result<Table> {
        // -- VALIDATE --
        let spelled = table.name.trim().to_string();
        table.db_name = names::normalize(&table.db_name);
        table.name = names::normalize(&table.name);
        names::validate_table_name(&table.name)?;
        normalize_columns(&mut table);
        validate_columns(&table)?;
        strata_core::batch::validate_table_parameters(&table.parameters)?;
        let Some(db) = self.store.get_database(&table.db_name).await? else {
            return Err(CatalogError::InvalidObject(msg::no_such_database(&table.db_name)));
        };
        table.coerce_table_type();
        let now = self.now_seconds();
        table.create_time = now;
        table.parameters.entry(param::DDL_TIME.to_string()).or_insert_with(|| now.to_string());
        if !table.is_view() {
            table.sd.location = Some(match table.sd.location.as_deref().map(str::trim) {
                None | Some("") => location::canonical_or_raw(&location::default_table_location(
                    &location::canonical_or_raw(&db.location),
                    &table.name,
                )),
                Some(given) => location::qualify(given, self.warehouse())?,
            });
        }
        if let Some(loc) = table.location() {
            self.check_allowed(loc)?;
        }
        // HMS counts the files of a directory that existed before (not of one it creates).
        self.fill_table_stats(&mut table, crate::faststats::StatsEnv::default(), false).await;
        // -- STORE --
        let _name_lock = self.lock_name(&table.db_name, &table.name).await?;
        let mut row = self.history(actor, HistoryOp::CreateTable, &table.db_name, &table.name);
        row.new_location.clone_from(&table.sd.location);
        table.id = match self.store.create_table(&table, &[row]).await {
            Err(CatalogError::NoSuchObject(_)) => {
                return Err(CatalogError::InvalidObject(msg::no_such_database(&table.db_name)))
            }
            Err(CatalogError::AlreadyExists(_)) => {
                return Err(CatalogError::AlreadyExists(msg::table_exists(&spelled)))
            }
            other => other?,
        };
        if let Some(dir) = table.location() {
            if let Err(e) = self.storage.mkdirs(dir).await {
                tracing::warn!(error = %e, location = dir, "could not create table directory");
            }
        }
        self.on_create_table(&table).await;
        Ok(table)
    }

    /// A table, or `NoSuchObject("<db>.<t> table not found")`.
    pub async fn get_table(&self, db: &str, name: &str) -> Result<Table> {
        if let Some(as_of) = self.resolve_as_of(db, name).await? {
            return self.table_as_of(db, &as_of).await;
        }
        let (db, name) = (names::normalize(db), names::normalize(name));
        self.store
            .get_table(&db, &name)
            .await?
            .ok_or_else(|| CatalogError::NoSuchObject(msg::table_not_found(&db, &name)))
    }

    /// The named tables that exist (missing ones are skipped). With `require_db`, a missing
    /// database is an `UnknownDb` error (the `_req` form), else an empty answer.
    pub async fn get_tables_by_name(&self, db: &str, names_: &[String], require_db: bool) -> Result<Vec<Table>> {
        let db = names::normalize(db);
        if require_db && (db.is_empty() || self.store.get_database(&db).await?.is_none()) {
            return Err(CatalogError::UnknownDb(msg::could_not_find_database(&db)));
        }
        let mut wanted: Vec<String> = names_.iter().map(|n| names::normalize(n)).collect();
        wanted.sort();
        wanted.dedup();
        self.store.get_tables(&db, &wanted).await
    }

    /// Table names of a database matching an HMS pattern and, optionally, a table type.
    pub async fn list_table_names(
        &self,
        db: &str,
        pattern: Option<&str>,
        table_type: Option<&str>,
    ) -> Result<Vec<String>> {
        let pattern = NamePattern::new(pattern)?;
        let tables = self.store.list_tables(&names::normalize(db)).await?;
        Ok(tables
            .into_iter()
            .filter(|t| pattern.matches(&t.name))
            .filter(|t| table_type.is_none_or(|ty| t.table_type.eq_ignore_ascii_case(ty)))
            .map(|t| t.name)
            .collect())
    }

    /// `get_table_meta`: tables of databases matching `db_pattern` whose names match
    /// `table_pattern` and whose type is one of `types` (empty = any).
    pub async fn table_meta(
        &self,
        db_pattern: Option<&str>,
        table_pattern: Option<&str>,
        types: &[String],
    ) -> Result<Vec<TableSummary>> {
        let table_pattern = NamePattern::new(table_pattern)?;
        let mut out = Vec::new();
        for db in self.list_databases(db_pattern).await? {
            for t in self.store.list_tables(&db).await? {
                if table_pattern.matches(&t.name)
                    && (types.is_empty() || types.iter().any(|ty| ty.eq_ignore_ascii_case(&t.table_type)))
                {
                    out.push(t);
                }
            }
        }
        Ok(out)
    }

    /// `get_table_names_by_filter`: names of tables whose owner, last access time or parameters
    /// match an HMS filter (`hive_filter_field_params__<key> = "v"`, `LIKE`, ...). `max` ≤ 0
    /// means no limit.
    pub async fn table_names_by_filter(&self, db: &str, filter: &str, max: i16) -> Result<Vec<String>> {
        use strata_core::filter::{self, Value};
        const OWNER: &str = "hive_filter_field_owner__";
        const LAST_ACCESS: &str = "hive_filter_field_last_access__";
        const PARAMS: &str = "hive_filter_field_params__";
        let expr = filter::parse_table_filter(filter)?;
        if let Some(expr) = &expr {
            if expr.keys().iter().any(|k| *k != OWNER && *k != LAST_ACCESS && !k.starts_with(PARAMS)) {
                return Err(CatalogError::Meta(
                    "Invalid key name in filter.  Use constants from org.apache.hadoop.hive.metastore.api".to_string(),
                ));
            }
        }
        let tables = self.list_tables_full(db).await?;
        let matcher = expr.as_ref().map(filter::Expr::matcher);
        let limit = usize::try_from(max).ok().filter(|m| *m > 0).unwrap_or(usize::MAX);
        Ok(tables
            .iter()
            .filter(|t| {
                matcher.as_ref().is_none_or(|m| {
                    m.matches(&|key: &str| match key {
                        OWNER => t.owner.as_deref().map(Value::String),
                        LAST_ACCESS => Some(Value::Integer(Some(i64::from(t.last_access_time.0)))),
                        k => k.strip_prefix(PARAMS).and_then(|p| t.parameters.get(p)).map(|v| Value::String(v)),
                    })
                })
            })
            .take(limit)
            .map(|t| t.name.clone())
            .collect())
    }

    /// All tables of a database (full objects), for filters evaluated here.
    pub async fn list_tables_full(&self, db: &str) -> Result<Vec<Table>> {
        self.store.list_tables_full(&names::normalize(db)).await
    }

    /// Alter (and maybe rename) a table with HMS's rules. A managed table renamed while at its
    /// default location moves to the new default location, partitions included.
    pub async fn alter_table(
        &self,
        actor: &Actor,
        db: &str,
        name: &str,
        mut new: Table,
        options: AlterOptions,
    ) -> Result<()> {
        Self::writable(db, name)?;
        // -- VALIDATE --
        let (db, name) = (names::normalize(db), names::normalize(name));
        let Some(old) = self.store.get_table(&db, &name).await? else {
            return Err(CatalogError::InvalidOperation(msg::alter_missing_table(&db, &name)));
        };
        new.db_name = match names::normalize(&new.db_name) {
            n if n.is_empty() => db.clone(),
            n => n,
        };
        new.name = names::normalize(&new.name);
        if !names::is_valid_name(&new.name) {
            return Err(CatalogError::InvalidOperation(format!("{} is not a valid object name", new.name)));
        }
        normalize_columns(&mut new);
        validate_columns(&new).map_err(|e| CatalogError::InvalidOperation(e.message().to_string()))?;
        strata_core::batch::validate_table_parameters(&new.parameters)
            .map_err(|e| CatalogError::InvalidOperation(e.message().to_string()))?;
        if let Some((key, _)) = &options.expected_param {
            if !new.parameters.contains_key(key) {
                return Err(CatalogError::Meta(msg::cas_new_value_missing(key)));
            }
        }
        // As HMS 2.3's alter handler: the partition keys of a table (not a view) keep their
        // number, names and order (partitions are named by them); types and comments may change.
        if old.table_type != table_type::VIRTUAL_VIEW && !same_partition_keys(&old, &new) {
            return Err(CatalogError::InvalidOperation(msg::PARTITION_KEYS_CHANGED.to_string()));
        }
        new.coerce_table_type();
        new.create_time = old.create_time;
        new.id = old.id;
        new.parameters.entry(param::DDL_TIME.to_string()).or_insert_with(|| self.now_seconds().to_string());
        if let Some(loc) = new.sd.location.as_deref() {
            new.sd.location = Some(
                location::qualify(loc, self.warehouse())
                    .map_err(|e| CatalogError::InvalidOperation(e.message().to_string()))?,
            );
        }
        if let Some(loc) = new.location().filter(|l| old.location().is_none_or(|o| !location::same_place(l, o))) {
            self.check_allowed(loc).map_err(|e| CatalogError::InvalidOperation(e.message().to_string()))?;
        }
        let rename = new.db_name != db || new.name != name;
        let mut store_options =
            AlterTableOptions { expected_param: options.expected_param, ..AlterTableOptions::default() };
        let mut moved = None;
        if rename {
            let Some(new_db) = self.store.get_database(&new.db_name).await? else {
                return Err(CatalogError::InvalidOperation(format!(
                    "Unable to change partition or table. Database {} does not exist Check metastore logs for detailed stack.{}",
                    new.db_name, new.name
                )));
            };
            if self.store.get_table(&new.db_name, &new.name).await?.is_some() {
                return Err(CatalogError::InvalidOperation(msg::rename_target_exists(&new.db_name, &new.name)));
            }
            let old_loc = old.location().unwrap_or_default().to_string();
            let location_kept = new.location().is_none_or(|l| l.is_empty() || location::same_place(l, &old_loc));
            let movable = if owns_data(&old) && location_kept && !old_loc.is_empty() {
                match self.why_not_movable(&old_loc, crate::safety::Owner::Table(&db, &name)).await? {
                    None => true,
                    Some(why) => {
                        tracing::warn!(location = %old_loc, why = %why, "rename: data left in place");
                        false
                    }
                }
            } else {
                false
            };
            if location_kept && !movable && !old_loc.is_empty() {
                new.sd.location = Some(old_loc.clone());
            }
            if movable {
                let new_loc = location::canonical_or_raw(&location::default_table_location(
                    &location::canonical_or_raw(&new_db.location),
                    &new.name,
                ));
                if self.storage.exists(&new_loc).await? && self.storage.exists(&old_loc).await? {
                    return Err(CatalogError::InvalidOperation(format!(
                        "New location for this table {}.{} already exists : {new_loc}",
                        new.db_name, new.name
                    )));
                }
                if self.storage.rename(&old_loc, &new_loc).await? {
                    moved = Some((old_loc.clone(), new_loc.clone()));
                }
                new.sd.location = Some(new_loc.clone());
                store_options.relocate_partitions = Some((old_loc, new_loc));
            }
        }
        if !rename {
            // HMS recounts an unpartitioned table on every alter but a rename.
            self.fill_table_stats(&mut new, options.stats, true).await;
        }
        if new.location() != old.location() {
            let mut row = self.history(actor, HistoryOp::AlterTable, &new.db_name, &new.name);
            row.previous_location.clone_from(&old.sd.location);
            row.new_location.clone_from(&new.sd.location);
            store_options.history.push(row);
        }
        // -- STORE --
        let result = self.store.alter_table(&db, &name, &new, &store_options).await;
        if result.is_ok() {
            self.on_alter_table(&db, &name, &new).await;
        }
        if result.is_err() {
            if let Some((from, to)) = moved {
                if let Err(e) = self.storage.rename(&to, &from).await {
                    tracing::error!(error = %e, "could not move a renamed table's data back");
                }
            }
        }
        result
    }

    /// Drop a table. With `delete_data` a managed table's directory goes to the retained area.
    pub async fn drop_table(&self, actor: &Actor, db: &str, name: &str, delete_data: bool) -> Result<()> {
        Self::writable(db, name)?;
        let (db, name) = (names::normalize(db), names::normalize(name));
        let _name_lock = self.lock_name(&db, &name).await?;
        let Some(table) = self.store.get_table(&db, &name).await? else {
            return Err(CatalogError::NoSuchObject(msg::table_not_found(&db, &name)));
        };
        let mut row = self.history(actor, HistoryOp::DropTable, &db, &name);
        row.previous_location.clone_from(&table.sd.location);
        let mut rows = Vec::new();
        // (index in `rows`, directory, where it goes) of the data to retain.
        let mut plans = Vec::new();
        if delete_data && owns_data(&table) {
            // Partitions whose directories lie outside the table's go to the retained area too
            // (Apache HMS deletes them).
            if !table.partition_keys.is_empty() {
                for (part_name, dir) in self.partitions_outside(&table).await? {
                    let mut h = self.history(actor, HistoryOp::DropPartition, &db, &name);
                    h.partition_name = Some(part_name.clone());
                    h.previous_location = Some(dir.clone());
                    plans.push((rows.len(), dir, self.retained_dir(&db, &name, Some(&part_name))));
                    rows.push(h);
                }
            }
            if let Some(dir) = table.location() {
                plans.push((rows.len(), dir.to_string(), self.retained_dir(&db, &name, None)));
            }
        }
        rows.push(row);
        let retention = self.retain_for(actor, &mut rows, plans).await?;
        let result = self.store.drop_table(&db, &name, &rows).await;
        self.settle(retention, result.is_ok()).await;
        result?;
        self.on_drop_table(&table).await;
        Ok(())
    }

    /// `(name, location)` of a table's partitions whose directories are not inside the table's.
    async fn partitions_outside(&self, table: &Table) -> Result<Vec<(String, String)>> {
        let keys: Vec<(String, strata_core::filter::KeyType)> = table
            .partition_keys
            .iter()
            .map(|k| (k.name.to_lowercase(), strata_core::filter::KeyType::from_hive_type(&k.type_name)))
            .collect();
        let query = strata_store::PartitionQuery { keys: &keys, ..strata_store::PartitionQuery::default() };
        let parts = self.store.list_partitions(&table.db_name, &table.name, &query).await?;
        let table_dir = table.location().map(location::canonical_or_raw).unwrap_or_default();
        let mut out = Vec::new();
        for p in parts {
            if let Some(dir) = p.sd.location.as_deref() {
                if table_dir.is_empty() || !location::is_within(&location::canonical_or_raw(dir), &table_dir) {
                    out.push((Self::partition_name(table, &p.values)?, dir.to_string()));
                }
            }
        }
        Ok(out)
    }

    /// Truncate a table: each data directory (the table's, or for a partitioned table its
    /// partitions', all or those named) goes to the retained area and an empty one takes its place.
    pub async fn truncate_table(
        &self,
        actor: &Actor,
        db: &str,
        name: &str,
        part_names: Option<Vec<String>>,
    ) -> Result<()> {
        Self::writable(db, name)?;
        let table = self.get_table(db, name).await?;
        let mut dirs: Vec<(Option<String>, String)> = Vec::new();
        if table.partition_keys.is_empty() {
            dirs.extend(table.location().map(|d| (None, d.to_string())));
        } else {
            let parts = match part_names.filter(|n| !n.is_empty()) {
                Some(wanted) => self.store.get_partitions_by_names(&table.db_name, &table.name, &wanted).await?,
                None => {
                    let keys: Vec<(String, strata_core::filter::KeyType)> = Vec::new();
                    let query = strata_store::PartitionQuery { keys: &keys, ..strata_store::PartitionQuery::default() };
                    self.store.list_partitions(&table.db_name, &table.name, &query).await?
                }
            };
            for p in parts {
                if let Some(dir) = p.sd.location.clone() {
                    dirs.push((Some(Self::partition_name(&table, &p.values)?), dir));
                }
            }
        }
        let mut rows = Vec::with_capacity(dirs.len());
        let mut plans = Vec::with_capacity(dirs.len());
        for (part, dir) in dirs {
            let mut row = self.history(actor, HistoryOp::TruncateTable, &table.db_name, &table.name);
            row.partition_name.clone_from(&part);
            row.previous_location = Some(dir.clone());
            plans.push((rows.len(), dir, self.retained_dir(&table.db_name, &table.name, part.as_deref())));
            rows.push(row);
        }
        let retention = self.retain_for(actor, &mut rows, plans).await?;
        for dir in rows.iter().filter_map(|row| row.previous_location.as_deref()) {
            if let Err(e) = self.storage.mkdirs(dir).await {
                tracing::warn!(error = %e, location = %dir, "could not re-create a truncated directory");
            }
        }
        let result = self.store.append_history(&rows).await;
        self.settle(retention, result.is_ok()).await;
        result
    }

    /// `get_fields`: the table's columns. A missing table is an `UnknownTable` error.
    pub async fn get_fields(&self, db: &str, name: &str) -> Result<Vec<FieldSchema>> {
        match self.get_table(db, name).await {
            Ok(t) => Ok(t.sd.cols),
            Err(CatalogError::NoSuchObject(m)) => Err(CatalogError::UnknownTable(m)),
            Err(e) => Err(e),
        }
    }

    /// `get_schema`: columns followed by partition keys.
    pub async fn get_schema(&self, db: &str, name: &str) -> Result<Vec<FieldSchema>> {
        match self.get_table(db, name).await {
            Ok(t) => Ok(t.sd.cols.into_iter().chain(t.partition_keys).collect()),
            Err(CatalogError::NoSuchObject(m)) => Err(CatalogError::UnknownTable(m)),
            Err(e) => Err(e),
        }
    }
}

/// Column and partition-key names are lower-cased; views may have no location; a table needs a
/// storage descriptor with valid column names.
fn validate_columns(table: &Table) -> Result<()> {
    for col in table.sd.cols.iter().chain(&table.partition_keys) {
        if col.name.trim().is_empty() || col.type_name.trim().is_empty() {
            return Err(CatalogError::InvalidObject(format!(
                "Invalid column {}: name and type are required",
                col.name
            )));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for key in &table.partition_keys {
        if !seen.insert(key.name.to_lowercase()) {
            return Err(CatalogError::InvalidObject(format!("Partition key {} is repeated", key.name)));
        }
    }
    if table.table_type == table_type::VIRTUAL_VIEW
        && table.view_original_text.is_none()
        && table.view_expanded_text.is_none()
    {
        tracing::debug!(table = %table.name, "view without text");
    }
    Ok(())
}

/// Whether two tables have the same partition keys as HMS 2.3 compares them: the same names
/// (as stored, lower-case) in the same order; types and comments are free to differ.
fn same_partition_keys(old: &Table, new: &Table) -> bool {
    old.partition_keys.len() == new.partition_keys.len()
        && old.partition_keys.iter().zip(&new.partition_keys).all(|(a, b)| a.name == b.name)
}

/// Lower-case column and key names as HMS stores them.
pub fn normalize_columns(table: &mut Table) {
    for col in table.sd.cols.iter_mut().chain(table.partition_keys.iter_mut()) {
        col.name = col.name.to_lowercase();
    }
}
