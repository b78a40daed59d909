//! Partitions: names `k1=v1/k2=v2` with HMS escaping, default locations under the table,
//! filters pushed down to the store, multi-partition writes in one transaction, and
//! never-delete drops.

use strata_core::{
    filter::{self, KeyType},
    location,
    model::{history_op, param, Actor, HistoryEntry, Partition, Table},
    names, partname,
    time::{self, EpochSeconds},
    CatalogError, Result,
};
use strata_store::PartitionQuery;

use crate::{databases::owns_data, Catalog};

/// How many rows a listing may return: `max_parts` as clients send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Everything (`-1`, any negative value).
    All,
    /// At most this many (`0` means none).
    AtMost(usize),
}

impl Limit {
    /// `get_partitions`, `get_partitions_by_filter`, ...: negative = all, `0` = none.
    #[must_use]
    pub fn from_max(max: i32) -> Self {
        usize::try_from(max).map_or(Self::All, Self::AtMost)
    }

    /// `get_partition_names`: Apache HMS 2.3 applies a limit only when it is positive.
    #[must_use]
    pub fn from_max_names(max: i32) -> Self {
        if max > 0 {
            Self::from_max(max)
        } else {
            Self::All
        }
    }

    fn as_option(self) -> Option<usize> {
        match self {
            Self::All => None,
            Self::AtMost(n) => Some(n),
        }
    }
}

/// A table's partition keys with their filter types.
fn key_types(table: &Table) -> Vec<(String, KeyType)> {
    table.partition_keys.iter().map(|k| (k.name.to_lowercase(), KeyType::from_hive_type(&k.type_name))).collect()
}

fn key_names(table: &Table) -> Vec<String> {
    table.partition_keys.iter().map(|k| k.name.to_lowercase()).collect()
}

fn describe_values(values: &[String]) -> String {
    format!("[{}]", values.join(", "))
}

impl Catalog {
    /// The table, for partition calls: `NoSuchObject("<db>.<t> table not found")` if absent.
    async fn partition_table(&self, db: &str, table: &str) -> Result<Table> {
        self.get_table(&names::strip_catalog(db), table).await
    }

    /// The partition name of `values` in `table`, checking the count against the keys.
    pub fn partition_name(table: &Table, values: &[String]) -> Result<String> {
        partname::make_part_name(&key_names(table), values)
    }

    /// Complete a partition sent by a client: owner table, name, location (default
    /// `<table location>/<name>`), creation and DDL times.
    fn prepare(&self, table: &Table, mut part: Partition, now: EpochSeconds) -> Result<(String, Partition)> {
        let name = Self::partition_name(table, &part.values)?;
        part.db_name.clone_from(&table.db_name);
        part.table_name.clone_from(&table.name);
        if part.sd.cols.is_empty() && part.sd.input_format.is_none() {
            // A bare partition (append_partition, hand-written clients) takes the table's storage.
            part.sd = table.sd.shape();
        }
        part.sd.location = match part.sd.location.as_deref().map(str::trim) {
            None | Some("") => {
                let Some(table_location) = table.location() else {
                    return Err(CatalogError::Meta(format!(
                        "Cannot add a partition without a location to {}.{}, which has none",
                        table.db_name, table.name
                    )));
                };
                Some(location::join(table_location, &name))
            }
            Some(given) => Some(location::qualify(given, self.warehouse())),
        };
        part.create_time = now;
        part.parameters.entry(param::DDL_TIME.to_string()).or_insert_with(|| now.to_string());
        Ok((name, part))
    }

    fn partition_history(actor: &Actor, op: &str, name: &str, part: &Partition) -> HistoryEntry {
        HistoryEntry {
            operation: op.to_string(),
            db_name: part.db_name.clone(),
            table_name: part.table_name.clone(),
            partition_name: Some(name.to_string()),
            partition_values: Some(part.values.clone()),
            actor: actor.user.clone(),
            client_addr: actor.client_addr.clone(),
            request_id: actor.request_id.clone(),
            at_millis: time::now_millis(),
            ..HistoryEntry::default()
        }
    }

    /// Add partitions to one table in one transaction. With `if_not_exists`, existing ones are
    /// skipped; else any existing one fails the call. Returns those added. Directories of new
    /// partitions are created.
    pub async fn add_partitions(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        parts: Vec<Partition>,
        if_not_exists: bool,
    ) -> Result<Vec<Partition>> {
        if parts.is_empty() {
            return Ok(Vec::new());
        }
        let table = match self.partition_table(db, table).await {
            Err(CatalogError::NoSuchObject(_)) => {
                return Err(CatalogError::InvalidObject(format!(
                    "Unable to add partitions because database or table {}.{} does not exist",
                    names::normalize(db),
                    names::normalize(table)
                )))
            }
            other => other?,
        };
        let now = EpochSeconds::now();
        let mut prepared = Vec::with_capacity(parts.len());
        let mut seen = std::collections::HashSet::new();
        for part in parts {
            let part_db = names::normalize(&names::strip_catalog(&part.db_name));
            let part_table = names::normalize(&part.table_name);
            if (!part_db.is_empty() && part_db != table.db_name) || (!part_table.is_empty() && part_table != table.name)
            {
                return Err(CatalogError::Meta(format!(
                    "Partition does not belong to target table {}.{}: {}.{}",
                    table.db_name, table.name, part_db, part_table
                )));
            }
            let (name, part) = self.prepare(&table, part, now)?;
            if !seen.insert(name.clone()) {
                if if_not_exists {
                    continue;
                }
                return Err(CatalogError::Meta(format!("Duplicate partitions in the list: {name}")));
            }
            prepared.push((name, part));
        }
        let history: Vec<HistoryEntry> = prepared
            .iter()
            .map(|(name, p)| {
                let mut h = Self::partition_history(actor, history_op::ADD_PARTITION, name, p);
                h.new_location.clone_from(&p.sd.location);
                h
            })
            .collect();
        let added = self.store.add_partitions(&table.db_name, &table.name, &prepared, if_not_exists, &history).await?;
        if !table.is_view() {
            self.make_dirs(added.iter().filter_map(|p| p.sd.location.as_deref())).await;
        }
        self.on_add_partition(&table.db_name, &table.name, &added).await;
        Ok(added)
    }

    async fn make_dirs<'a>(&self, dirs: impl Iterator<Item = &'a str>) {
        for dir in dirs {
            if let Err(e) = self.storage.mkdirs(dir).await {
                tracing::warn!(error = %e, location = dir, "could not create partition directory");
            }
        }
    }

    /// `append_partition`: add the partition with these values at its default location, with the
    /// table's storage.
    pub async fn append_partition(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        values: Vec<String>,
    ) -> Result<Partition> {
        let part = Partition { values, ..Partition::default() };
        let mut added = self.add_partitions(actor, db, table, vec![part], false).await?;
        added.pop().ok_or_else(|| CatalogError::internal("append_partition added nothing"))
    }

    /// `append_partition_by_name`.
    pub async fn append_partition_by_name(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        name: &str,
    ) -> Result<Partition> {
        let t = self.partition_table(db, table).await?;
        let values = self.values_of_name(&t, name)?;
        self.append_partition(actor, db, table, values).await
    }

    /// The values of a partition name, in key order. Keys must match the table's.
    pub fn values_of_name(&self, table: &Table, name: &str) -> Result<Vec<String>> {
        let pairs = partname::parse_part_name(name)?;
        let keys = key_names(table);
        if pairs.len() != keys.len() || pairs.iter().zip(&keys).any(|((k, _), key)| k.to_lowercase() != *key) {
            return Err(CatalogError::Meta(format!(
                "Invalid partition name {name} for table {}.{}",
                table.db_name, table.name
            )));
        }
        Ok(pairs.into_iter().map(|(_, v)| v).collect())
    }

    /// One partition by values.
    pub async fn get_partition(&self, db: &str, table: &str, values: &[String]) -> Result<Partition> {
        let t = self.partition_table(db, table).await?;
        let name = Self::partition_name(&t, values)?;
        self.store.get_partition(&t.db_name, &t.name, &name).await?.ok_or_else(|| {
            CatalogError::NoSuchObject(format!(
                "partition values={} not found in {}.{}",
                describe_values(values),
                t.db_name,
                t.name
            ))
        })
    }

    /// One partition by name.
    pub async fn get_partition_by_name(&self, db: &str, table: &str, name: &str) -> Result<Partition> {
        let t = self.partition_table(db, table).await?;
        let values = self.values_of_name(&t, name)?;
        self.get_partition(db, table, &values).await
    }

    /// Partitions selected by partial values (`""` = any) and/or a filter.
    pub async fn list_partitions(
        &self,
        db: &str,
        table: &str,
        values: Option<&[String]>,
        filter: Option<&str>,
        limit: Limit,
    ) -> Result<Vec<Partition>> {
        let t = self.partition_table(db, table).await?;
        let (keys, expr, partial) = Self::query_parts(&t, values, filter)?;
        let query =
            PartitionQuery { keys: &keys, filter: expr.as_ref(), values: partial.as_deref(), max: limit.as_option() };
        if let Some(cap) = self.config.max_partitions_per_request {
            if limit.as_option().is_none_or(|m| m > cap) {
                let n = self.store.count_partitions(&t.db_name, &t.name, &query).await?;
                if usize::try_from(n).unwrap_or(usize::MAX) > cap {
                    return Err(CatalogError::Meta(format!(
                        "Number of partitions scanned (={n}) on table '{}' exceeds limit (={cap}). This is controlled \
                         by the Strata setting max_partitions_per_request; narrow the request with a filter or ask \
                         for partition names only.",
                        t.name
                    )));
                }
            }
        }
        self.store.list_partitions(&t.db_name, &t.name, &query).await
    }

    /// Names of partitions selected by partial values and/or a filter. A missing table gives an
    /// empty list (as Apache HMS 2.3 does).
    pub async fn list_partition_names(
        &self,
        db: &str,
        table: &str,
        values: Option<&[String]>,
        filter: Option<&str>,
        limit: Limit,
    ) -> Result<Vec<String>> {
        let t = match self.partition_table(db, table).await {
            Err(CatalogError::NoSuchObject(_)) if values.is_none() && filter.is_none() => return Ok(Vec::new()),
            other => other?,
        };
        let (keys, expr, partial) = Self::query_parts(&t, values, filter)?;
        let query =
            PartitionQuery { keys: &keys, filter: expr.as_ref(), values: partial.as_deref(), max: limit.as_option() };
        self.store.list_partition_names(&t.db_name, &t.name, &query).await
    }

    /// How many partitions a filter selects.
    pub async fn count_partitions(&self, db: &str, table: &str, filter: Option<&str>) -> Result<i64> {
        let t = self.partition_table(db, table).await?;
        let (keys, expr, _) = Self::query_parts(&t, None, filter)?;
        let query = PartitionQuery { keys: &keys, filter: expr.as_ref(), values: None, max: None };
        self.store.count_partitions(&t.db_name, &t.name, &query).await
    }

    /// Named partitions that exist, in name order.
    pub async fn get_partitions_by_names(
        &self,
        db: &str,
        table: &str,
        part_names: &[String],
    ) -> Result<Vec<Partition>> {
        let t = self.partition_table(db, table).await?;
        self.store.get_partitions_by_names(&t.db_name, &t.name, part_names).await
    }

    #[allow(clippy::type_complexity)]
    fn query_parts(
        table: &Table,
        values: Option<&[String]>,
        filter: Option<&str>,
    ) -> Result<(Vec<(String, KeyType)>, Option<filter::Expr>, Option<Vec<Option<String>>>)> {
        let keys = key_types(table);
        let expr = match filter {
            Some(f) => filter::parse(f)?,
            None => None,
        };
        if let Some(e) = &expr {
            e.check_types(&|k: &str| keys.iter().find(|(name, _)| name == k).map(|(_, ty)| *ty))?;
        }
        let partial = match values {
            None => None,
            Some(v) if v.len() > keys.len() => {
                return Err(CatalogError::Meta(format!(
                    "Incorrect number of partition values. numPartKeys={}, numValues={}",
                    keys.len(),
                    v.len()
                )))
            }
            Some(v) => Some(v.iter().map(|s| (!s.is_empty()).then(|| s.clone())).collect()),
        };
        Ok((keys, expr, partial))
    }

    /// Replace partitions (identified by their values) in one transaction. A missing partition
    /// fails the call with `InvalidOperation`. Location changes are recorded in the history.
    pub async fn alter_partitions(&self, actor: &Actor, db: &str, table: &str, parts: Vec<Partition>) -> Result<()> {
        let t = match self.partition_table(db, table).await {
            Err(CatalogError::NoSuchObject(m)) => return Err(CatalogError::InvalidOperation(m)),
            other => other?,
        };
        let now = EpochSeconds::now();
        let mut prepared = Vec::with_capacity(parts.len());
        for mut part in parts {
            let name = Self::partition_name(&t, &part.values)
                .map_err(|e| CatalogError::InvalidOperation(e.message().to_string()))?;
            part.db_name.clone_from(&t.db_name);
            part.table_name.clone_from(&t.name);
            if let Some(loc) = part.sd.location.as_deref().filter(|l| !l.trim().is_empty()) {
                part.sd.location = Some(location::qualify(loc, self.warehouse()));
            }
            if part.parameters.get(param::DDL_TIME).is_none_or(|v| v == "0") {
                part.parameters.insert(param::DDL_TIME.to_string(), now.to_string());
            }
            prepared.push((name, part));
        }
        // Read the current partitions first, to keep creation times and record location swaps.
        let names: Vec<String> = prepared.iter().map(|(n, _)| n.clone()).collect();
        let current = self.store.get_partitions_by_names(&t.db_name, &t.name, &names).await?;
        let mut history = Vec::new();
        for (name, part) in &mut prepared {
            let Some(old) = current.iter().find(|c| c.values == part.values) else {
                return Err(CatalogError::InvalidOperation(format!(
                    "alter is not possible: partition {name} of {}.{} does not exist",
                    t.db_name, t.name
                )));
            };
            part.create_time = old.create_time;
            if part.sd.location.as_deref().is_none_or(|l| l.trim().is_empty()) {
                part.sd.location.clone_from(&old.sd.location);
            }
            if part.sd.location != old.sd.location {
                let mut h = Self::partition_history(actor, history_op::ALTER_PARTITION, name, part);
                h.previous_location.clone_from(&old.sd.location);
                h.new_location.clone_from(&part.sd.location);
                history.push(h);
            }
        }
        match self.store.alter_partitions(&t.db_name, &t.name, &prepared, &history).await {
            Err(CatalogError::NoSuchObject(m) | CatalogError::InvalidObject(m)) => {
                Err(CatalogError::InvalidOperation(m))
            }
            Ok(_) => {
                let parts: Vec<Partition> = prepared.into_iter().map(|(_, p)| p).collect();
                self.on_alter_partition(&t.db_name, &t.name, &parts).await;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Give a partition new values. A managed table's partition at its default location moves
    /// to the new default location, data included.
    pub async fn rename_partition(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        old_values: &[String],
        mut new: Partition,
    ) -> Result<()> {
        let t = match self.partition_table(db, table).await {
            Err(CatalogError::NoSuchObject(m)) => return Err(CatalogError::InvalidOperation(m)),
            other => other?,
        };
        let old_name = Self::partition_name(&t, old_values)
            .map_err(|e| CatalogError::InvalidOperation(e.message().to_string()))?;
        let new_name = Self::partition_name(&t, &new.values)
            .map_err(|e| CatalogError::InvalidOperation(e.message().to_string()))?;
        let Some(old) = self.store.get_partition(&t.db_name, &t.name, &old_name).await? else {
            return Err(CatalogError::InvalidOperation(format!(
                "Unable to rename partition because old partition does not exist: {old_name}"
            )));
        };
        new.db_name.clone_from(&t.db_name);
        new.table_name.clone_from(&t.name);
        new.create_time = old.create_time;
        new.parameters.entry(param::DDL_TIME.to_string()).or_insert_with(|| EpochSeconds::now().to_string());
        let old_loc = old.sd.location.clone().unwrap_or_default();
        let default_old = t.location().map(|l| location::join(l, &old_name));
        let kept = new.sd.location.as_deref().is_none_or(|l| l.is_empty() || l == old_loc);
        let mut moved = None;
        if owns_data(&t) && kept && default_old.as_deref() == Some(old_loc.as_str()) {
            let new_loc = location::join(t.location().unwrap_or_default(), &new_name);
            if self.storage.rename(&old_loc, &new_loc).await? {
                moved = Some((old_loc.clone(), new_loc.clone()));
            }
            new.sd.location = Some(new_loc);
        } else if kept {
            new.sd.location = old.sd.location.clone();
        }
        let mut h = Self::partition_history(actor, history_op::ALTER_PARTITION, &new_name, &new);
        h.previous_location.clone_from(&old.sd.location);
        h.new_location.clone_from(&new.sd.location);
        let result = self.store.rename_partition(&t.db_name, &t.name, &old_name, &new_name, &new, &[h]).await;
        if result.is_ok() {
            self.on_alter_partition(&t.db_name, &t.name, std::slice::from_ref(&new)).await;
        }
        if result.is_err() {
            if let Some((from, to)) = moved {
                if let Err(e) = self.storage.rename(&to, &from).await {
                    tracing::error!(error = %e, "could not move a renamed partition's data back");
                }
            }
        }
        result.map_err(|e| match e {
            CatalogError::AlreadyExists(m) => CatalogError::InvalidOperation(m),
            other => other,
        })
    }

    /// Drop partitions by name in one transaction. With `delete_data`, a managed table's
    /// partition directories go to the retained area.
    pub async fn drop_partitions(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        part_names: Vec<String>,
        delete_data: bool,
    ) -> Result<Vec<Partition>> {
        let t = self.partition_table(db, table).await?;
        let current = self.store.get_partitions_by_names(&t.db_name, &t.name, &part_names).await?;
        for name in &part_names {
            let values = self.values_of_name(&t, name)?;
            if !current.iter().any(|p| p.values == values) {
                return Err(CatalogError::NoSuchObject(format!(
                    "Partition doesn't exist. {}",
                    describe_values(&values)
                )));
            }
        }
        let mut moved = Vec::new();
        let mut history = Vec::with_capacity(current.len());
        for part in &current {
            let name = Self::partition_name(&t, &part.values)?;
            let mut h = Self::partition_history(actor, history_op::DROP_PARTITION, &name, part);
            h.previous_location.clone_from(&part.sd.location);
            if delete_data && owns_data(&t) {
                if let Some(dir) = part.sd.location.as_deref() {
                    match self.retain_table_dir(dir, &t.db_name, &t.name, Some(&name)).await {
                        Ok(Some(m)) => {
                            h.new_location = Some(m.to.clone());
                            moved.push(m);
                        }
                        Ok(None) => {}
                        Err(e) => {
                            self.restore(&moved).await;
                            return Err(e);
                        }
                    }
                }
            }
            history.push(h);
        }
        let canonical: Vec<String> =
            current.iter().map(|p| Self::partition_name(&t, &p.values)).collect::<Result<_>>()?;
        match self.store.drop_partitions(&t.db_name, &t.name, &canonical, &history).await {
            Ok(dropped) => {
                self.on_drop_partition(&t.db_name, &t.name, &dropped).await;
                Ok(dropped)
            }
            Err(e) => {
                self.restore(&moved).await;
                Err(e)
            }
        }
    }

    /// Drop one partition by values.
    pub async fn drop_partition(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        values: &[String],
        delete_data: bool,
    ) -> Result<()> {
        let t = self.partition_table(db, table).await?;
        let name = Self::partition_name(&t, values)?;
        self.drop_partitions(actor, db, table, vec![name], delete_data).await.map(|_| ())
    }

    /// Drop one partition by name.
    pub async fn drop_partition_by_name(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        name: &str,
        delete_data: bool,
    ) -> Result<()> {
        let t = self.partition_table(db, table).await?;
        let values = self.values_of_name(&t, name)?;
        self.drop_partition(actor, db, table, &values, delete_data).await
    }
}

/// `partition_name_to_vals`: the values of a name, in order.
pub fn name_to_values(name: &str) -> Result<Vec<String>> {
    if name.is_empty() {
        return Ok(Vec::new());
    }
    Ok(partname::parse_part_name(name)?.into_iter().map(|(_, v)| v).collect())
}

/// `partition_name_to_spec`: key → value.
pub fn name_to_spec(name: &str) -> Result<std::collections::BTreeMap<String, String>> {
    if name.is_empty() {
        return Ok(std::collections::BTreeMap::new());
    }
    Ok(partname::parse_part_name(name)?.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_hms() {
        assert_eq!(Limit::from_max(-1), Limit::All);
        assert_eq!(Limit::from_max(0), Limit::AtMost(0));
        assert_eq!(Limit::from_max(5), Limit::AtMost(5));
        assert_eq!(Limit::from_max_names(0), Limit::All);
        assert_eq!(Limit::from_max_names(-1), Limit::All);
    }

    #[test]
    fn names_to_values_and_specs() {
        assert_eq!(name_to_values("ds=2024-01-01/hr=a%2Fb").unwrap(), vec!["2024-01-01", "a/b"]);
        assert_eq!(name_to_spec("ds=1").unwrap().get("ds").map(String::as_str), Some("1"));
        assert!(name_to_values("garbage").is_err());
    }
}
