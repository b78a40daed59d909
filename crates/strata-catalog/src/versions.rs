//! Versioned tables on top of the location history: read the history, roll a partition or a
//! whole table back, undrop a partition, and write batches from outside the engines
//! (`strata batch new` / `strata batch commit`). The admin CLI calls in here.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use strata_core::{
    batch::{self, BatchId},
    location,
    model::{Actor, Database, HistoryEntry, HistoryOp, Partition, Table},
    names, partname, time, CatalogError, Result,
};

use crate::{faststats::StatsEnv, Catalog};

/// What a rollback goes back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The location the partition had in this batch.
    Batch(BatchId),
    /// The state at this moment (milliseconds since the epoch).
    Time(i64),
}

impl Target {
    /// `YYYYMMDDHHMMSS` is a batch id for a partition; any other form is a time (ISO 8601).
    pub fn parse(s: &str) -> Result<Self> {
        if let Ok(id) = s.parse::<BatchId>() {
            return Ok(Self::Batch(id));
        }
        time::parse_instant_millis(s).map(Self::Time).ok_or_else(|| {
            CatalogError::Meta(format!(
                "Cannot read '{s}' as a batch id or a time: use YYYYMMDDHHMMSS (UTC) or ISO 8601 such as \
                 2016-11-02T23:42:52Z"
            ))
        })
    }

    /// The target as a moment: a batch id names its second.
    #[must_use]
    pub fn millis(&self) -> i64 {
        match self {
            Self::Batch(id) => id.to_millis() + 999,
            Self::Time(ms) => *ms,
        }
    }
}

/// One partition change a rollback makes (or made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `swap`, `drop` or `restore`.
    pub action: &'static str,
    /// The partition.
    pub partition: String,
    /// Its location before.
    pub from: Option<String>,
    /// Its location after.
    pub to: Option<String>,
}

/// What a partition looked like at some moment, from the history.
#[derive(Debug, Clone)]
struct PastPartition {
    location: Option<String>,
    /// Where a drop after that moment moved its data, if it was dropped since.
    retained: Option<String>,
}

/// Each partition's location after these history rows (in order): the new location of its last
/// row, or absent when that row removed it.
pub(crate) fn partition_locations<'a>(
    rows: impl Iterator<Item = &'a HistoryEntry>,
) -> BTreeMap<String, Option<String>> {
    let mut state = BTreeMap::new();
    for h in rows {
        let Some(name) = h.partition_name.clone() else { continue };
        if h.operation.removes_partition() {
            state.remove(&name);
        } else {
            state.insert(name, h.new_location.clone());
        }
    }
    state
}

/// Whether a history row put its object into batch `id` (by its batch id or its location).
pub(crate) fn row_has_batch(h: &HistoryEntry, id: &BatchId) -> bool {
    h.batch_id.as_deref() == Some(id.as_str())
        || h.new_location.as_deref().and_then(batch::batch_of_location).as_ref() == Some(id)
}

/// A partition of `table` as the batch layer re-creates it (restore, undrop, batch commit): the
/// table's storage shape at `location`.
pub(crate) fn bare_partition(values: Vec<String>, table: &Table, location: String) -> Partition {
    Partition {
        values,
        sd: strata_core::model::StorageDescriptor { location: Some(location), ..table.sd.shape() },
        ..Partition::default()
    }
}

impl Catalog {
    /// The history of a table (oldest first), optionally of one partition (`k=v,k2=v2`) and
    /// from a moment on.
    pub async fn table_history(
        &self,
        db: &str,
        table: &str,
        partition: Option<&str>,
        since_millis: Option<i64>,
    ) -> Result<Vec<HistoryEntry>> {
        let (db, table) = (names::normalize(db), names::normalize(table));
        let name = match partition {
            Some(spec) => Some(self.partition_name_of_spec(&self.get_table(&db, &table).await?, spec)?),
            None => None,
        };
        let rows = self.store.history(&db, &table, since_millis).await?;
        Ok(match name {
            Some(name) => rows.into_iter().filter(|h| h.partition_name.as_deref() == Some(name.as_str())).collect(),
            None => rows,
        })
    }

    /// The partition name of a spec `k1=v1,k2=v2` (or `k1=v1/k2=v2`), which must give a value
    /// for every partition key of the table.
    pub fn partition_name_of_spec(&self, table: &Table, spec: &str) -> Result<String> {
        let keys: Vec<String> = table.partition_keys.iter().map(|k| k.name.to_lowercase()).collect();
        let mut given: HashMap<String, String> = HashMap::new();
        for piece in spec.split([',', '/']).map(str::trim).filter(|p| !p.is_empty()) {
            let Some((k, v)) = piece.split_once('=') else {
                return Err(CatalogError::Meta(format!("Partition spec piece '{piece}' is not key=value")));
            };
            given.insert(k.trim().to_lowercase(), partname::unescape(v.trim()));
        }
        let wrong = || {
            CatalogError::Meta(format!(
                "Partition spec '{spec}' must give exactly the keys of {}.{}: {}",
                table.db_name,
                table.name,
                keys.join(", ")
            ))
        };
        if keys.is_empty() || given.len() != keys.len() {
            return Err(wrong());
        }
        let values: Vec<String> =
            keys.iter().map(|k| given.get(k).cloned().ok_or_else(wrong)).collect::<Result<_>>()?;
        Self::partition_name(table, &values)
    }

    /// The state of each partition of a table at a moment, from the history since the table
    /// was (last) created. Also says where data dropped since went.
    async fn partitions_at(&self, table: &Table, at_millis: i64) -> Result<BTreeMap<String, PastPartition>> {
        let rows = self.store.history(&table.db_name, &table.name, None).await?;
        let created = rows.iter().rposition(|h| h.operation == HistoryOp::CreateTable).unwrap_or(0);
        if let Some(c) = rows.get(created) {
            if c.operation == HistoryOp::CreateTable && c.at_millis > at_millis {
                return Err(CatalogError::InvalidOperation(format!(
                    "{}.{} was created at {} (UTC), after the time asked for; its earlier incarnation cannot be \
                     reached by a rollback",
                    table.db_name,
                    table.name,
                    time::compact_utc(c.at_millis / 1000)
                )));
            }
        }
        let since = &rows[created..];
        let mut retained: HashMap<String, String> = HashMap::new();
        for h in since.iter().filter(|h| h.at_millis > at_millis) {
            let Some(name) = h.partition_name.clone() else { continue };
            if h.operation.removes_partition() {
                if let Some(to) = &h.new_location {
                    retained.insert(name, to.clone());
                }
            } else if h.operation == HistoryOp::Undrop || h.operation == HistoryOp::Rollback {
                retained.remove(&name);
            }
        }
        Ok(partition_locations(since.iter().filter(|h| h.at_millis <= at_millis))
            .into_iter()
            .map(|(name, location)| {
                let retained = retained.remove(&name);
                (name, PastPartition { location, retained })
            })
            .collect())
    }

    /// Check that a location a rollback goes back to still holds data.
    async fn verify_data(&self, table: &Table, partition: &str, loc: &str) -> Result<()> {
        if self.storage.has_data(loc).await? {
            Ok(())
        } else {
            Err(CatalogError::InvalidOperation(format!(
                "Cannot roll back partition {partition} of {}.{}: its data at {loc} is gone (removed by gc or by hand)",
                table.db_name, table.name
            )))
        }
    }

    /// Roll one partition back to the location it had in a batch, or at a time. The target data
    /// must still exist; the swap is recorded as a `rollback` row.
    pub async fn rollback_partition(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        spec: &str,
        target: &Target,
    ) -> Result<Change> {
        let t = self.get_table(db, table).await?;
        let name = self.partition_name_of_spec(&t, spec)?;
        let rows = self.store.history(&t.db_name, &t.name, None).await?;
        let mine: Vec<&HistoryEntry> = rows.iter().filter(|h| h.partition_name.as_deref() == Some(&name)).collect();
        let qualified = format!("{}.{}", t.db_name, t.name);
        let list_cmd = format!("`strata history {qualified} --partition {spec}` lists them");
        let goal = match target {
            Target::Batch(id) => mine
                .iter()
                .rev()
                .filter(|h| !h.operation.removes_partition())
                .find(|h| row_has_batch(h, id))
                .and_then(|h| h.new_location.clone())
                .ok_or_else(|| {
                    CatalogError::NoSuchObject(format!(
                        "Partition {name} of {qualified} never had batch {id}; {list_cmd}"
                    ))
                })?,
            Target::Time(ms) => match mine.iter().rev().find(|h| h.at_millis <= *ms) {
                None => {
                    return Err(CatalogError::NoSuchObject(format!(
                        "Partition {name} of {qualified} did not exist at {}; {list_cmd}",
                        time::compact_utc(ms / 1000)
                    )))
                }
                Some(h) if h.operation.removes_partition() => {
                    return Err(CatalogError::InvalidOperation(format!(
                        "Partition {name} of {qualified} was dropped at that time; to drop it now use \
                         `ALTER TABLE ... DROP PARTITION`, or roll the whole table back with \
                         `strata rollback {qualified} --to TIME`"
                    )))
                }
                Some(h) => h.new_location.clone().ok_or_else(|| {
                    CatalogError::InvalidOperation(format!("Partition {name} of {qualified} had no location then"))
                })?,
            },
        };
        let Some(mut current) = self.store.get_partition(&t.db_name, &t.name, &name).await? else {
            return Err(CatalogError::NoSuchObject(format!(
                "Partition {name} of {qualified} is dropped; restore it first with `strata undrop {qualified} \
                 --partition {spec}`"
            )));
        };
        let from = current.sd.location.clone();
        if batch::same_location(from.as_deref(), &goal) {
            return Ok(Change { action: "none", partition: name, from, to: Some(goal) });
        }
        self.verify_data(&t, &name, &goal).await?;
        current.sd.location = Some(goal.clone());
        self.alter_with(actor, &t.db_name, &t.name, vec![current], true, HistoryOp::Rollback, StatsEnv::recount())
            .await?;
        Ok(Change { action: "swap", partition: name, from, to: Some(goal) })
    }

    /// What rolling a whole table back to a moment changes: location swaps, partitions added
    /// since (to drop, data retained) and partitions dropped since (to restore from the retained
    /// area). Checks nothing in storage.
    pub async fn plan_table_rollback(&self, db: &str, table: &str, at_millis: i64) -> Result<Vec<Change>> {
        let t = self.get_table(db, table).await?;
        if t.partition_keys.is_empty() {
            return Err(CatalogError::InvalidOperation(format!(
                "{}.{} is not partitioned: only partitioned tables can be rolled back",
                t.db_name, t.name
            )));
        }
        let past = self.partitions_at(&t, at_millis).await?;
        let live = self.store.list_partitions(&t.db_name, &t.name, &strata_store::PartitionQuery::default()).await?;
        let mut changes = Vec::new();
        let mut live_names = std::collections::HashSet::new();
        for p in &live {
            let name = Self::partition_name(&t, &p.values)?;
            match past.get(&name) {
                Some(then) if then.location != p.sd.location => changes.push(Change {
                    action: "swap",
                    partition: name.clone(),
                    from: p.sd.location.clone(),
                    to: then.location.clone(),
                }),
                Some(_) => {}
                None => changes.push(Change {
                    action: "drop",
                    partition: name.clone(),
                    from: p.sd.location.clone(),
                    to: None,
                }),
            }
            live_names.insert(name);
        }
        for (name, then) in &past {
            if !live_names.contains(name) {
                changes.push(Change {
                    action: "restore",
                    partition: name.clone(),
                    from: then.retained.clone().or_else(|| then.location.clone()),
                    to: then.location.clone(),
                });
            }
        }
        Ok(changes)
    }

    /// Roll a whole table back to a moment, as planned by [`Self::plan_table_rollback`]. The
    /// data every kept or restored partition needs is verified first (`progress` is called after
    /// each check and each step); then swaps, drops and restores are each one transaction.
    pub async fn rollback_table(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        at_millis: i64,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Vec<Change>> {
        let t = self.get_table(db, table).await?;
        let changes = self.plan_table_rollback(db, table, at_millis).await?;
        for c in &changes {
            if let (Some(from), "restore" | "swap") = (c.from.as_deref(), c.action) {
                let loc = if c.action == "swap" { c.to.as_deref().unwrap_or(from) } else { from };
                self.verify_data(&t, &c.partition, loc).await?;
            }
            progress(1);
        }
        let values_of = |name: &str| -> Result<Vec<String>> { self.values_of_name(&t, name) };
        // Swaps: one transaction.
        let mut swaps = Vec::new();
        for c in changes.iter().filter(|c| c.action == "swap") {
            let mut p = self
                .store
                .get_partition(&t.db_name, &t.name, &c.partition)
                .await?
                .ok_or_else(|| CatalogError::NoSuchObject(format!("Partition {} vanished", c.partition)))?;
            p.sd.location.clone_from(&c.to);
            swaps.push(p);
        }
        if !swaps.is_empty() {
            self.alter_with(actor, &t.db_name, &t.name, swaps, false, HistoryOp::Rollback, StatsEnv::recount()).await?;
        }
        progress(1);
        // Partitions added since: dropped, data retained.
        let drops: Vec<String> = changes.iter().filter(|c| c.action == "drop").map(|c| c.partition.clone()).collect();
        if !drops.is_empty() {
            self.drop_partitions_as(actor, &t.db_name, &t.name, drops, true, HistoryOp::RollbackDrop).await?;
        }
        progress(1);
        // Partitions dropped since: data moved back from the retained area, then re-added.
        let mut restores = Vec::new();
        for c in changes.iter().filter(|c| c.action == "restore") {
            let loc = self.bring_back(&t, &c.partition, c.from.as_deref(), c.to.as_deref()).await?;
            restores.push(bare_partition(values_of(&c.partition)?, &t, loc));
        }
        if !restores.is_empty() {
            self.add_partitions_as(actor, &t.db_name, &t.name, restores, false, HistoryOp::Rollback).await?;
        }
        progress(1);
        Ok(changes)
    }

    /// Move a dropped partition's data from the retained area back to where it was (or, if that
    /// place is taken, to a fresh batch directory of the partition). Returns where it is now.
    async fn bring_back(
        &self,
        t: &Table,
        name: &str,
        retained: Option<&str>,
        original: Option<&str>,
    ) -> Result<String> {
        let Some(original) = original else {
            return Err(CatalogError::InvalidOperation(format!("Partition {name} had no location to restore")));
        };
        let Some(retained) = retained.filter(|r| !batch::same_location(Some(original), r)) else {
            return Ok(original.to_string());
        };
        let target = if self.storage.exists(original).await? {
            let table_location = t.location().unwrap_or(original);
            batch::batch_location(table_location, name, &batch::next_batch_id(self.now_millis(), None))
        } else {
            original.to_string()
        };
        if !self.storage.rename(retained, &target).await? {
            return Err(CatalogError::InvalidOperation(format!(
                "Cannot restore partition {name} of {}.{}: its retained data at {retained} is gone",
                t.db_name, t.name
            )));
        }
        Ok(target)
    }

    /// Restore the most recently dropped incarnation of a partition from the retained area. If
    /// the partition was re-created since, the new one is dropped first (its data retained too).
    pub async fn undrop_partition(&self, actor: &Actor, db: &str, table: &str, spec: &str) -> Result<Change> {
        let t = self.get_table(db, table).await?;
        let name = self.partition_name_of_spec(&t, spec)?;
        let qualified = format!("{}.{}", t.db_name, t.name);
        let rows = self.store.history(&t.db_name, &t.name, None).await?;
        let Some(dropped) = rows
            .iter()
            .rev()
            .filter(|h| h.partition_name.as_deref() == Some(&name))
            .find(|h| h.operation.removes_partition())
            .cloned()
        else {
            return Err(CatalogError::NoSuchObject(format!(
                "Partition {name} of {qualified} was never dropped; `strata history {qualified} --partition {spec}` \
                 shows its changes"
            )));
        };
        if self.store.get_partition(&t.db_name, &t.name, &name).await?.is_some() {
            self.drop_partitions_as(actor, &t.db_name, &t.name, vec![name.clone()], true, HistoryOp::DropPartition)
                .await?;
        }
        let loc =
            self.bring_back(&t, &name, dropped.new_location.as_deref(), dropped.previous_location.as_deref()).await?;
        let part = bare_partition(self.values_of_name(&t, &name)?, &t, loc.clone());
        self.add_partitions_as(actor, &t.db_name, &t.name, vec![part], false, HistoryOp::Undrop).await?;
        Ok(Change { action: "restore", partition: name, from: dropped.new_location, to: Some(loc) })
    }

    /// Restore the most recently dropped incarnation of a table: its definition and partitions
    /// as they were, its data moved back from the retained area. If the name was taken again
    /// since, that table is dropped first (its data retained too). Every restored object is
    /// recorded as an `undrop` row.
    pub async fn undrop_table(&self, actor: &Actor, db: &str, table: &str) -> Result<Vec<Change>> {
        let (db, table) = (names::normalize(db), names::normalize(table));
        let qualified = format!("{db}.{table}");
        let Some((def, parts)) = self.store.dropped_table(&db, &table).await? else {
            return Err(CatalogError::NoSuchObject(format!(
                "{qualified} was never dropped; `strata history {qualified}` shows its changes"
            )));
        };
        let rows = self.store.history(&db, &table, None).await?;
        let Some(drop_row) = rows.iter().rev().find(|h| h.operation == HistoryOp::DropTable).cloned() else {
            return Err(CatalogError::NoSuchObject(format!("No drop of {qualified} in the history")));
        };
        let mut changes = Vec::new();
        if self.store.get_database(&db).await?.is_none() {
            // Dropped together with its database: bring the database back first, at its old
            // location (its description and parameters are not kept).
            let location = self
                .store
                .history(&db, "", None)
                .await?
                .into_iter()
                .rev()
                .find(|h| h.operation == HistoryOp::DropDatabase)
                .and_then(|h| h.previous_location);
            self.create_database(Database {
                name: db.clone(),
                location: location.clone().unwrap_or_default(),
                ..Database::default()
            })
            .await?;
            changes.push(Change { action: "create database", partition: String::new(), from: None, to: location });
        }
        if self.store.get_table(&db, &table).await?.is_some() {
            self.drop_table(actor, &db, &table, true).await?;
        }
        // The table's directory (with the partitions inside it), then partitions kept elsewhere.
        if let (Some(retained), Some(original)) =
            (drop_row.new_location.as_deref(), drop_row.previous_location.as_deref())
        {
            if !self.storage.rename(retained, original).await? {
                return Err(CatalogError::InvalidOperation(format!(
                    "Cannot restore {qualified}: its retained data at {retained} is gone"
                )));
            }
            changes.push(Change {
                action: "restore",
                partition: String::new(),
                from: Some(retained.to_string()),
                to: Some(original.to_string()),
            });
        }
        for h in rows.iter().filter(|h| {
            h.request_id == drop_row.request_id && h.operation == HistoryOp::DropPartition && h.partition_name.is_some()
        }) {
            if let (Some(retained), Some(original)) = (h.new_location.as_deref(), h.previous_location.as_deref()) {
                if self.storage.rename(retained, original).await? {
                    changes.push(Change {
                        action: "restore",
                        partition: h.partition_name.clone().unwrap_or_default(),
                        from: Some(retained.to_string()),
                        to: Some(original.to_string()),
                    });
                }
            }
        }
        let mut row = self.history(actor, HistoryOp::Undrop, &db, &table);
        row.new_location.clone_from(&def.sd.location);
        self.store.create_table(&def, &[row]).await?;
        if !parts.is_empty() {
            let history: Vec<HistoryEntry> =
                parts.iter().map(|(name, p)| self.placement_history(actor, HistoryOp::Undrop, name, p)).collect();
            if let Err(e) = self.store.add_partitions(&db, &table, &parts, false, &history).await {
                // Leave no half-restored table behind (the data stays where it now is).
                let _ = self.store.drop_table(&db, &table, &[]).await;
                return Err(e);
            }
        }
        self.on_create_table(&def).await;
        if !parts.is_empty() {
            let added: Vec<Partition> = parts.into_iter().map(|(_, p)| p).collect();
            self.on_add_partition(&db, &table, &added).await;
        }
        Ok(changes)
    }

    /// A fresh batch location for a partition: `<table>/<partition>/<batch id>`, the batch id
    /// later than any the partition has had.
    pub async fn new_batch_location(&self, db: &str, table: &str, spec: &str) -> Result<(String, BatchId)> {
        let t = self.get_table(db, table).await?;
        let name = self.partition_name_of_spec(&t, spec)?;
        let Some(table_location) = t.location() else {
            return Err(CatalogError::InvalidOperation(format!("{}.{} has no location", t.db_name, t.name)));
        };
        let rows = self.store.history(&t.db_name, &t.name, None).await?;
        let latest = rows
            .iter()
            .filter(|h| h.partition_name.as_deref() == Some(&name))
            .filter_map(|h| {
                h.batch_id
                    .as_deref()
                    .and_then(|b| b.parse().ok())
                    .or_else(|| h.new_location.as_deref().and_then(batch::batch_of_location))
            })
            .max();
        let id = batch::next_batch_id(self.now_millis(), latest.as_ref());
        Ok((batch::batch_location(table_location, &name, &id), id))
    }

    /// Swap a batch written outside the engines into a partition (adding the partition if it
    /// does not exist). Under `enforce` the location must be new to the table and, with
    /// `batch.require_data`, hold data.
    pub async fn commit_batch(&self, actor: &Actor, db: &str, table: &str, spec: &str, loc: &str) -> Result<Change> {
        let t = self.get_table(db, table).await?;
        let name = self.partition_name_of_spec(&t, spec)?;
        let loc = location::qualify(loc, self.warehouse())?;
        match self.store.get_partition(&t.db_name, &t.name, &name).await? {
            Some(mut p) => {
                let from = p.sd.location.clone();
                p.sd.location = Some(loc.clone());
                self.alter_with(actor, &t.db_name, &t.name, vec![p], true, HistoryOp::BatchCommit, StatsEnv::recount())
                    .await?;
                Ok(Change { action: "swap", partition: name, from, to: Some(loc) })
            }
            None => {
                if self.batch_mode(&t) == batch::Mode::Enforce
                    && self.config.batch.require_data
                    && !self.storage.has_data(&loc).await?
                {
                    return Err(CatalogError::InvalidOperation(batch::empty_location_message(
                        &format!("{}.{}", t.db_name, t.name),
                        &name,
                        &loc,
                    )));
                }
                let part = bare_partition(self.values_of_name(&t, &name)?, &t, loc.clone());
                self.add_partitions_as(actor, &t.db_name, &t.name, vec![part], false, HistoryOp::BatchCommit).await?;
                Ok(Change { action: "add", partition: name, from: None, to: Some(loc) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_batch_ids_or_times() {
        assert_eq!(Target::parse("20161102234252").unwrap(), Target::Batch("20161102234252".parse().unwrap()));
        assert_eq!(Target::parse("2016-11-02T23:42:52Z").unwrap(), Target::Time(1_478_130_172_000));
        assert!(Target::parse("last tuesday").is_err());
        assert_eq!(Target::parse("20161102234252").unwrap().millis(), 1_478_130_172_999);
    }
}
