//! Apache HMS's "fast stats": `numFiles` and `totalSize` of an unpartitioned table or of a
//! partition, counted from the files under its location when it is created or altered.
//!
//! The rules follow HMS 2.3 (`MetaStoreUtils.updateTableStatsFast`, `updatePartitionStatsFast`,
//! `requireCalStats`):
//! - never for views, never for a partitioned table itself (its partitions carry them);
//! - a table's `DO_NOT_UPDATE_STATS` parameter is removed and, when `true`, skips the count;
//!   an alter whose environment context says `DO_NOT_UPDATE_STATS=true` skips it too;
//! - on create and add: only when the client did not send both values, and only when the
//!   directory existed before the call (a directory the call creates is empty: nothing to
//!   count, so nothing is written, as HMS does for a directory it made);
//! - on alter of a table: always recounted; on alter of a partition: when the partition comes
//!   without both values, or the context says `STATS_GENERATED` (`TASK` or `USER`);
//! - a count resets the basic-stats state: `COLUMN_STATS_ACCURATE` is removed, unless the
//!   context says `STATS_GENERATED=TASK` (the writer computed them), which marks it accurate.
//!
//! Strata bounds the work HMS does not: the listings of one call run at most
//! [`FastStats::concurrency`] at a time and stop at [`FastStats::budget`]; what is not counted
//! by then keeps no values (a warning names how many), and the call goes on.

use std::time::Duration;

use futures::StreamExt;
use strata_core::model::{param, Params, Partition, Table};
use strata_storage::QuickStats;

use crate::Catalog;

/// `numFiles`.
pub const NUM_FILES: &str = "numFiles";
/// `totalSize`.
pub const TOTAL_SIZE: &str = "totalSize";
/// Environment context key: who generated the statistics (`TASK` or `USER`).
pub const STATS_GENERATED: &str = "STATS_GENERATED";
/// The basic-stats state parameter.
pub const COLUMN_STATS_ACCURATE: &str = "COLUMN_STATS_ACCURATE";

/// The fast-stats settings (`[stats]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FastStats {
    /// Count files on create and alter, as HMS does (`stats.fast`, default on).
    pub enabled: bool,
    /// The most time one call spends listing (`stats.fast_budget_ms`).
    pub budget: Duration,
    /// Listings of one call at once.
    pub concurrency: usize,
}

impl Default for FastStats {
    fn default() -> Self {
        Self { enabled: true, budget: Duration::from_secs(5), concurrency: 16 }
    }
}

impl FastStats {
    /// Off: values are stored as clients send them.
    #[must_use]
    pub fn off() -> Self {
        Self { enabled: false, ..Self::default() }
    }
}

/// What a call's environment context says about statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsEnv {
    /// `DO_NOT_UPDATE_STATS=true`.
    pub do_not_update: bool,
    /// `STATS_GENERATED=TASK`: the writer computed the statistics.
    pub by_task: bool,
    /// `STATS_GENERATED` is `TASK` or `USER`: recount even if values came with the call.
    pub generated: bool,
}

impl StatsEnv {
    /// Read an environment context's properties.
    #[must_use]
    pub fn from_env(env: &Params) -> Self {
        let generated = env.get(STATS_GENERATED).map(String::as_str);
        Self {
            do_not_update: env.get(param::DO_NOT_UPDATE_STATS).is_some_and(|v| v.eq_ignore_ascii_case("true")),
            by_task: generated == Some("TASK"),
            generated: matches!(generated, Some("TASK" | "USER")),
        }
    }

    /// Strata's own location swaps (batch commit, rollback): the directory changed, recount.
    #[must_use]
    pub fn recount() -> Self {
        Self { generated: true, ..Self::default() }
    }
}

/// Whether both fast-stats values are present.
#[must_use]
pub fn has_fast_stats(params: &Params) -> bool {
    params.contains_key(NUM_FILES) && params.contains_key(TOTAL_SIZE)
}

/// Write a count into parameters and reset the basic-stats state.
pub fn apply(params: &mut Params, stats: QuickStats, env: StatsEnv) {
    params.insert(NUM_FILES.to_string(), stats.num_files.to_string());
    params.insert(TOTAL_SIZE.to_string(), stats.total_size.to_string());
    if env.by_task {
        if !params.contains_key(COLUMN_STATS_ACCURATE) {
            params.insert(COLUMN_STATS_ACCURATE.to_string(), r#"{"BASIC_STATS":"true"}"#.to_string());
        }
    } else {
        params.remove(COLUMN_STATS_ACCURATE);
    }
}

/// Remove a table's `DO_NOT_UPDATE_STATS` marker; whether it said `true`.
fn take_marker(params: &mut Params) -> bool {
    params.remove(param::DO_NOT_UPDATE_STATS).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

impl Catalog {
    /// The fast-stats settings.
    #[must_use]
    pub fn fast_stats(&self) -> FastStats {
        self.config.stats
    }

    /// Count the files of an unpartitioned table being created (`recount = false`: only when
    /// the client sent no values) or altered (`recount = true`).
    pub(crate) async fn fill_table_stats(&self, table: &mut Table, env: StatsEnv, recount: bool) {
        let config = self.config.stats;
        if !config.enabled || table.is_view() || !table.partition_keys.is_empty() {
            return;
        }
        if take_marker(&mut table.parameters) || env.do_not_update {
            return;
        }
        if !recount && has_fast_stats(&table.parameters) {
            return;
        }
        let Some(loc) = table.location().map(str::to_string) else { return };
        match tokio::time::timeout(config.budget, self.storage.quick_stats(&loc)).await {
            Ok(Ok(Some(stats))) => apply(&mut table.parameters, stats, env),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, location = %loc, "fast stats: could not list"),
            Err(_) => {
                tracing::warn!(location = %loc, budget_ms = config.budget.as_millis(), "fast stats: listing ran out of time");
            }
        }
    }

    /// Count the files of partitions being added or altered. `which(part)` says whether a
    /// partition is to be counted at all (its location was given, it lacks values...).
    pub(crate) async fn fill_partition_stats<'a, I>(&self, table: &Table, parts: I, env: StatsEnv)
    where
        I: IntoIterator<Item = &'a mut Partition>,
    {
        let config = self.config.stats;
        if !config.enabled || table.is_view() || env.do_not_update {
            return;
        }
        let (local, todo): (Vec<&'a mut Partition>, Vec<&'a mut Partition>) = parts
            .into_iter()
            .filter(|p| p.sd.location.is_some())
            .partition(|p| p.sd.location.as_deref().is_some_and(|l| l.starts_with("file:")));
        let deadline = tokio::time::Instant::now() + config.budget;
        if !local.is_empty() {
            // Local directories: one blocking task walks them all (a thread hop per partition
            // would cost more than the listings).
            let locations: Vec<String> = local.iter().map(|p| p.sd.location.clone().unwrap_or_default()).collect();
            match tokio::time::timeout_at(deadline, strata_storage::local_quick_stats_many(locations)).await {
                Ok(Ok(results)) => {
                    for (part, result) in local.into_iter().zip(results) {
                        match result {
                            Ok(Some(stats)) => apply(&mut part.parameters, stats, env),
                            Ok(None) => {}
                            Err(e) => tracing::warn!(error = %e, "fast stats: could not list"),
                        }
                    }
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "fast stats: could not list"),
                Err(_) => tracing::warn!(
                    table = %format!("{}.{}", table.db_name, table.name),
                    not_counted = local.len(),
                    budget_ms = config.budget.as_millis(),
                    "fast stats: listing ran out of time; these keep no values"
                ),
            }
        }
        if todo.is_empty() {
            return;
        }
        let total = todo.len();
        let storage = &self.storage;
        let mut listings = futures::stream::iter(todo.into_iter().map(|part| async move {
            let loc = part.sd.location.clone().unwrap_or_default();
            let result = storage.quick_stats(&loc).await;
            (part, loc, result)
        }))
        .buffer_unordered(config.concurrency.max(1));
        let mut done = 0usize;
        loop {
            match tokio::time::timeout_at(deadline, listings.next()).await {
                Ok(Some((part, loc, result))) => {
                    done += 1;
                    match result {
                        Ok(Some(stats)) => apply(&mut part.parameters, stats, env),
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = %e, location = %loc, "fast stats: could not list"),
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    tracing::warn!(
                        table = %format!("{}.{}", table.db_name, table.name),
                        counted = done,
                        not_counted = total - done,
                        budget_ms = config.budget.as_millis(),
                        "fast stats: listing ran out of time; the rest keep no values"
                    );
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    #[test]
    fn the_environment_context_is_read_as_hms_does() {
        let env = StatsEnv::from_env(&params(&[("DO_NOT_UPDATE_STATS", "TRUE")]));
        assert!(env.do_not_update && !env.generated);
        let env = StatsEnv::from_env(&params(&[("DO_NOT_UPDATE_STATS", "false"), ("STATS_GENERATED", "TASK")]));
        assert!(!env.do_not_update && env.generated && env.by_task);
        let env = StatsEnv::from_env(&params(&[("STATS_GENERATED", "USER")]));
        assert!(env.generated && !env.by_task);
    }

    #[test]
    fn a_count_resets_the_basic_stats_state_unless_a_task_made_it() {
        let mut p = params(&[(COLUMN_STATS_ACCURATE, r#"{"BASIC_STATS":"true"}"#), ("numRows", "5")]);
        apply(&mut p, QuickStats { num_files: 2, total_size: 10 }, StatsEnv::default());
        assert_eq!(p, params(&[("numRows", "5"), (NUM_FILES, "2"), (TOTAL_SIZE, "10")]));
        let mut p = Params::new();
        apply(&mut p, QuickStats::default(), StatsEnv { by_task: true, generated: true, ..StatsEnv::default() });
        assert_eq!(p.get(COLUMN_STATS_ACCURATE).map(String::as_str), Some(r#"{"BASIC_STATS":"true"}"#));
        assert!(has_fast_stats(&p));
        let mut marked = params(&[(param::DO_NOT_UPDATE_STATS, "true")]);
        assert!(take_marker(&mut marked));
        assert!(marked.is_empty());
    }
}
