//! `strata gc`: the one place Strata deletes data, and only data nothing needs any more.
//!
//! Every location is compared in its canonical form (`location::canonical`), whatever spelling
//! the history or a client used. A directory is a candidate when the history shows a
//! partition or table left it (a swap replaced it, or a drop moved it to the retained area:
//! then the retained copy is the candidate) before the retention window, and
//! - it lies strictly inside a root Strata owns (the warehouse, `[storage] managed_roots`):
//!   anything else is never deleted;
//! - no live table or partition is there now, or inside it, or around it;
//! - no tag's state uses it (tags keep their data);
//! - gc has not already deleted it.
//!
//! `gc --apply` checks each candidate against the live state again (an indexed lookup) right
//! before deleting it, and records every deletion as a `gc` history row whose
//! `previous_location` is what was deleted. Without `--apply`, gc lists what these same
//! checks let through, so the list is what `--apply` deletes unless the live state changes
//! in between.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use strata_core::{
    location,
    model::{Actor, HistoryEntry, HistoryOp},
    names, Result,
};
use strata_store::PartitionQuery;

use crate::Catalog;

/// A directory gc may delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The directory.
    pub location: String,
    /// `retained` (a dropped partition's or table's data) or `superseded` (a swapped-out batch).
    pub kind: &'static str,
    /// Database.
    pub db_name: String,
    /// Table.
    pub table_name: String,
    /// Partition, for partition data.
    pub partition_name: Option<String>,
    /// When it stopped being needed (ms since the epoch).
    pub since_millis: i64,
}

fn key(loc: &str) -> String {
    location::canonical_or_raw(loc)
}

impl Catalog {
    /// What `gc` would delete: data left before `now - older_than_millis`, of one table
    /// (`Some((db, table))`) or of all.
    pub async fn gc_plan(&self, older_than_millis: i64, only: Option<(&str, &str)>) -> Result<Vec<Candidate>> {
        let cutoff = self.now_millis() - older_than_millis;
        let rows = self.store.history_all().await?;
        let keep = self.gc_keep_set(&rows).await?;
        let deleted: HashSet<String> = rows
            .iter()
            .filter(|h| h.operation == HistoryOp::Gc)
            .filter_map(|h| h.previous_location.as_deref().map(key))
            .collect();
        // Per object (db, table, partition): the location it is at, as the history tells.
        let mut at: BTreeMap<(String, String, Option<String>), String> = BTreeMap::new();
        let mut found: BTreeMap<String, Candidate> = BTreeMap::new();
        // Where a drop moved each object's data (an undrop or a restoring rollback moves it back).
        let mut retained_at: BTreeMap<(String, String, Option<String>), String> = BTreeMap::new();
        for h in &rows {
            if h.operation == HistoryOp::Gc {
                continue;
            }
            let object = (h.db_name.clone(), h.table_name.clone(), h.partition_name.clone());
            if h.operation == HistoryOp::Undrop || h.operation == HistoryOp::Rollback {
                if let Some(r) = retained_at.remove(&object) {
                    found.remove(&r);
                }
            }
            let removes = h.operation.removes_partition()
                || h.operation == HistoryOp::DropTable
                || h.operation == HistoryOp::TruncateTable
                || h.operation == HistoryOp::DropDatabase;
            let left = at.get(&object).cloned().or_else(|| h.previous_location.clone());
            let (candidate, kind) = if removes {
                (h.new_location.clone(), "retained")
            } else {
                (left.filter(|l| h.new_location.as_deref().is_none_or(|n| key(n) != key(l))), "superseded")
            };
            if let (Some(loc), true) = (&candidate, removes) {
                retained_at.insert(object.clone(), key(loc));
            }
            if let Some(loc) = candidate {
                found.insert(
                    key(&loc),
                    Candidate {
                        location: key(&loc),
                        kind,
                        db_name: h.db_name.clone(),
                        table_name: h.table_name.clone(),
                        partition_name: h.partition_name.clone(),
                        since_millis: h.at_millis,
                    },
                );
            }
            match (&h.new_location, removes) {
                (Some(n), false) => {
                    // The object is here again: whatever was found at this place is needed.
                    found.remove(&key(n));
                    at.insert(object, n.clone());
                }
                _ => {
                    at.remove(&object);
                }
            }
        }
        let listed: Vec<Candidate> = found
            .into_values()
            .filter(|c| c.since_millis < cutoff)
            .filter(|c| {
                only.is_none_or(|(d, t)| c.db_name == names::normalize(d) && c.table_name == names::normalize(t))
            })
            .filter(|c| !deleted.contains(&key(&c.location)))
            .filter(|c| self.owns_location(&c.location))
            .filter(|c| {
                !keep.iter().any(|(k, read)| {
                    k == &key(&c.location)
                        || location::is_within(k, &c.location)
                        || (*read && location::is_within(&c.location, k))
                })
            })
            .collect();
        // Only what is still there and what the live state, read now, does not need.
        let mut out = Vec::with_capacity(listed.len());
        for c in listed {
            if let Some(why) = self.gc_blocked_by_live(&c.location).await? {
                tracing::debug!(location = %c.location, needed_by = %why, "gc: kept");
                continue;
            }
            if self.storage.exists(&c.location).await? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Locations something still needs: live tables and partitions, and every tag's state. The
    /// flag says whether engines read the directory (partitions, unpartitioned tables: nothing
    /// inside it may go) or only hold their partitions under it (partitioned tables: only the
    /// directory itself and what contains it are kept).
    async fn gc_keep_set(&self, rows: &[HistoryEntry]) -> Result<Vec<(String, bool)>> {
        let mut keep = Vec::new();
        for db in self.store.list_databases().await? {
            for t in self.store.list_tables_full(&db).await? {
                if let Some(l) = t.location() {
                    keep.push((key(l), t.partition_keys.is_empty()));
                }
                if !t.partition_keys.is_empty() {
                    let parts = self.store.list_partitions(&db, &t.name, &PartitionQuery::default()).await?;
                    keep.extend(parts.iter().filter_map(|p| p.sd.location.as_deref().map(|l| (key(l), true))));
                }
            }
        }
        let tables: HashSet<(String, String)> =
            rows.iter().map(|h| (h.db_name.clone(), h.table_name.clone())).collect();
        for (db, table) in tables {
            for tag in self.store.list_tags(&db, &table).await? {
                let as_of = crate::timetravel::AsOf {
                    base: table.clone(),
                    full: format!("{table}@{}", tag.name),
                    millis: tag.at_millis,
                    batch: None,
                };
                let Ok(t) = self.table_as_of(&db, &as_of).await else { continue };
                if let Some(l) = t.location() {
                    keep.push((key(l), t.partition_keys.is_empty()));
                }
                for (_, p) in self.partitions_as_of(&t, &as_of).await? {
                    keep.extend(p.sd.location.as_deref().map(|l| (key(l), true)));
                }
            }
        }
        Ok(keep)
    }

    /// Delete what [`Self::gc_plan`] lists (computed again now), recording each deletion.
    /// Returns what was deleted.
    pub async fn gc_apply(
        &self,
        actor: &Actor,
        older_than_millis: i64,
        only: Option<(&str, &str)>,
    ) -> Result<Vec<Candidate>> {
        let mut done = Vec::new();
        for c in self.gc_plan(older_than_millis, only).await? {
            // Right before deleting: is anything live there now?
            if let Some(why) = self.gc_blocked_by_live(&c.location).await? {
                tracing::warn!(location = %c.location, needed_by = %why, "gc: needed again, not deleted");
                continue;
            }
            if !self.storage.delete_dir(&c.location).await? {
                tracing::info!(location = %c.location, "gc: already gone");
            }
            let row = HistoryEntry {
                partition_name: c.partition_name.clone(),
                previous_location: Some(c.location.clone()),
                ..self.history(actor, HistoryOp::Gc, &c.db_name, &c.table_name)
            };
            self.store.append_history(&[row]).await?;
            done.push(c);
        }
        Ok(done)
    }
}
