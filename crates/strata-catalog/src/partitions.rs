//! Partitions: names `k1=v1/k2=v2` with HMS escaping, default locations under the table,
//! filters pushed down to the store, multi-partition writes in one transaction, and
//! never-delete drops.

use strata_core::{
    batch,
    filter::{self, KeyType},
    location,
    model::{param, Actor, HistoryEntry, HistoryOp, Params, Partition, Table},
    names, partname,
    time::EpochSeconds,
    CatalogError, Result,
};
use strata_store::{PartitionPages, PartitionQuery};

use crate::{
    databases::owns_data,
    faststats::{self, StatsEnv},
    Catalog,
};

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

pub(crate) fn key_names(table: &Table) -> Vec<String> {
    table.partition_keys.iter().map(|k| k.name.to_lowercase()).collect()
}

/// HMS's answer to a missing partition of an existing table (`get_partition`, `drop_partition`).
fn no_such_partition(values: &[String]) -> String {
    format!("partition values={}", partname::values_list(values))
}

/// A partition the way HMS's messages print one (`Partition(values:[a, 1], dbName:…, …)`).
fn describe_partition(table: &Table, values: &[String]) -> String {
    format!("Partition(values:{}, dbName:{}, tableName:{})", partname::values_list(values), table.db_name, table.name)
}

/// HMS's answer to `add_partition`/`append_partition` on a missing table.
const SINGLE_ADD_MISSING_TABLE: &str = "Unable to add partition because table or database do not exist";

/// A partition listing: whole, or open and read page by page.
pub enum Listing {
    /// Every partition, in name order.
    Whole(Vec<Partition>),
    /// An open snapshot: `total()` partitions, `next_page()` until `None`.
    Pages(Box<dyn PartitionPages>),
}

impl std::fmt::Debug for Listing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Whole(parts) => f.debug_tuple("Whole").field(&parts.len()).finish(),
            Self::Pages(pages) => f.debug_struct("Pages").field("total", &pages.total()).finish(),
        }
    }
}

impl Listing {
    /// How many partitions the listing has.
    #[must_use]
    pub fn total(&self) -> usize {
        match self {
            Self::Whole(parts) => parts.len(),
            Self::Pages(pages) => pages.total(),
        }
    }

    /// Every partition, reading the remaining pages.
    pub async fn collect(self) -> Result<Vec<Partition>> {
        match self {
            Self::Whole(parts) => Ok(parts),
            Self::Pages(mut pages) => {
                let mut all = Vec::with_capacity(pages.total());
                while let Some(page) = pages.next_page().await? {
                    all.extend(page);
                }
                Ok(all)
            }
        }
    }
}

/// `max_partitions_per_request`: refuse a listing of more than `cap` partitions, as HMS's
/// `hive.metastore.limit.partition.request` does.
fn check_cap(t: &Table, n: usize, cap: usize) -> Result<()> {
    if n > cap {
        return Err(CatalogError::Meta(format!(
            "Number of partitions scanned (={n}) on table '{}' exceeds limit (={cap}). This is controlled by the \
             Strata setting max_partitions_per_request; narrow the request with a filter or ask for partition \
             names only.",
            t.name
        )));
    }
    Ok(())
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
                let table_location = &location::canonical_or_raw(table_location);
                Some(if self.batch_mode(table) == batch::Mode::Enforce {
                    // The batch-ID pattern: a new partition's data goes to a batch directory.
                    let id = batch::next_batch_id(self.now_millis(), None);
                    batch::batch_location(table_location, &name, &id)
                } else {
                    location::join(table_location, &name)
                })
            }
            Some(given) => Some(location::qualify(given, self.warehouse())?),
        };
        part.create_time = now;
        part.parameters.entry(param::DDL_TIME.to_string()).or_insert_with(|| now.to_string());
        Ok((name, part))
    }

    /// A history row putting `part` at its location, with the batch that location names.
    pub(crate) fn placement_history(&self, actor: &Actor, op: HistoryOp, name: &str, part: &Partition) -> HistoryEntry {
        HistoryEntry {
            new_location: part.sd.location.clone(),
            batch_id: part.sd.location.as_deref().and_then(batch::batch_of_location).map(|b| b.to_string()),
            ..self.partition_history(actor, op, name, part)
        }
    }

    pub(crate) fn partition_history(&self, actor: &Actor, op: HistoryOp, name: &str, part: &Partition) -> HistoryEntry {
        HistoryEntry {
            operation: op,
            db_name: part.db_name.clone(),
            table_name: part.table_name.clone(),
            partition_name: Some(name.to_string()),
            partition_values: Some(part.values.clone()),
            actor: actor.user.clone(),
            client_addr: actor.client_addr.clone(),
            request_id: actor.request_id.clone(),
            at_millis: self.now_millis(),
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
        self.add_partitions_as(actor, db, table, parts, if_not_exists, HistoryOp::AddPartition).await
    }

    /// [`Self::add_partitions`], recording the additions as `op`.
    pub(crate) async fn add_partitions_as(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        parts: Vec<Partition>,
        if_not_exists: bool,
        op: HistoryOp,
    ) -> Result<Vec<Partition>> {
        Self::writable(db, table)?;
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
        let now = self.now_seconds();
        let mut prepared = Vec::with_capacity(parts.len());
        let mut given = Vec::with_capacity(parts.len());
        let mut seen = std::collections::HashSet::new();
        for part in parts {
            // A location the client chose may hold files already; one Strata chooses is new.
            let located = part.sd.location.as_deref().is_some_and(|l| !l.trim().is_empty());
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
                return Err(CatalogError::Meta(format!(
                    "Duplicate partitions in the list: {}",
                    describe_partition(&table, &part.values)
                )));
            }
            prepared.push((name, part));
            given.push(located);
        }
        for (_, p) in &prepared {
            if let Some(loc) = p.sd.location.as_deref() {
                self.check_allowed(loc)?;
            }
        }
        // Fast stats of the partitions placed in directories that may exist, before the
        // directories are made.
        let to_count = prepared
            .iter_mut()
            .zip(&given)
            .filter(|((_, p), located)| **located && !faststats::has_fast_stats(&p.parameters))
            .map(|((_, p), _)| p);
        self.fill_partition_stats(&table, to_count, StatsEnv::default()).await;
        // The directories exist before the partitions do: a partition is never visible
        // without its directory, whatever happens to this server after the commit.
        if !table.is_view() {
            self.make_dirs(prepared.iter().filter_map(|(_, p)| p.sd.location.as_deref())).await;
        }
        let history: Vec<HistoryEntry> =
            prepared.iter().map(|(name, p)| self.placement_history(actor, op, name, p)).collect();
        let added_at =
            match self.store.add_partitions(&table.db_name, &table.name, &prepared, if_not_exists, &history).await {
                Err(CatalogError::AlreadyExists(m)) => {
                    // HMS names the partition by its values.
                    let name = m.strip_prefix("Partition already exists: ").unwrap_or(&m);
                    let values = prepared.iter().find(|(n, _)| n == name).map_or_else(
                        || partname::spec_from_name(name).into_iter().map(|(_, v)| v).collect(),
                        |(_, p)| p.values.clone(),
                    );
                    return Err(CatalogError::AlreadyExists(format!(
                        "Partition already exists: {}",
                        describe_partition(&table, &values)
                    )));
                }
                other => other?,
            };
        let mut was_added = vec![false; prepared.len()];
        for i in added_at {
            was_added[i] = true;
        }
        let added: Vec<Partition> =
            prepared.into_iter().zip(was_added).filter_map(|((_, part), added)| added.then_some(part)).collect();
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

    /// `add_partition`: one partition (HMS words a missing table differently than for many).
    pub async fn add_partition(&self, actor: &Actor, db: &str, table: &str, part: Partition) -> Result<Partition> {
        match self.add_partitions(actor, db, table, vec![part], false).await {
            Err(CatalogError::InvalidObject(m)) if m.starts_with("Unable to add partitions") => {
                Err(CatalogError::InvalidObject(SINGLE_ADD_MISSING_TABLE.to_string()))
            }
            Err(e) => Err(e),
            Ok(mut added) => added.pop().ok_or_else(|| CatalogError::internal("add_partition added nothing")),
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
        match self.add_partition(actor, db, table, Partition { values, ..Partition::default() }).await {
            // HMS words this one without a space after the colon.
            Err(CatalogError::AlreadyExists(m)) => Err(CatalogError::AlreadyExists(m.replacen(": ", ":", 1))),
            other => other,
        }
    }

    /// `append_partition_by_name`.
    pub async fn append_partition_by_name(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        name: &str,
    ) -> Result<Partition> {
        let t = match self.partition_table(db, table).await {
            Err(CatalogError::NoSuchObject(_)) => {
                return Err(CatalogError::InvalidObject(SINGLE_ADD_MISSING_TABLE.to_string()))
            }
            other => other?,
        };
        let values = self.values_of_name(&t, name).map_err(|e| CatalogError::InvalidObject(e.message().to_string()))?;
        self.append_partition(actor, db, table, values).await
    }

    /// The values of a partition name, in key order (pieces that are not `key=value` are
    /// ignored, as in HMS). A key of the table missing from the name is a `NoSuchObject`
    /// `incomplete partition name - missing <key>`.
    pub fn values_of_name(&self, table: &Table, name: &str) -> Result<Vec<String>> {
        let spec = partname::spec_from_name(name);
        key_names(table)
            .into_iter()
            .map(|key| {
                spec.iter()
                    .find(|(k, _)| k.to_lowercase() == key)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| CatalogError::NoSuchObject(format!("incomplete partition name - missing {key}")))
            })
            .collect()
    }

    /// One partition by values.
    pub async fn get_partition(&self, db: &str, table: &str, values: &[String]) -> Result<Partition> {
        let t = self.partition_table(db, table).await?;
        let name = Self::partition_name(&t, values)?;
        let found = match self.resolve_as_of(db, table).await? {
            Some(as_of) => self.partitions_as_of_named(&t, &as_of, std::slice::from_ref(&name)).await?.pop(),
            None => self.store.get_partition(&t.db_name, &t.name, &name).await?,
        };
        found.ok_or_else(|| CatalogError::NoSuchObject(no_such_partition(values)))
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
        self.listing(db, table, values, filter, limit, None).await?.collect().await
    }

    /// Like [`Catalog::list_partitions`], but a listing the store can page comes back open, to
    /// be read `page` partitions at a time from one snapshot (a reply of any size is sent
    /// without holding it all). Time travel and filters evaluated in memory come back whole.
    pub async fn open_partition_listing(
        &self,
        db: &str,
        table: &str,
        values: Option<&[String]>,
        filter: Option<&str>,
        limit: Limit,
        page: usize,
    ) -> Result<Listing> {
        self.listing(db, table, values, filter, limit, Some(page)).await
    }

    async fn listing(
        &self,
        db: &str,
        table: &str,
        values: Option<&[String]>,
        filter: Option<&str>,
        limit: Limit,
        page: Option<usize>,
    ) -> Result<Listing> {
        let t = self.partition_table(db, table).await?;
        let (keys, expr, partial) = Self::query_parts(&t, values, filter)?;
        let query =
            PartitionQuery { keys: &keys, filter: expr.as_ref(), values: partial.as_deref(), max: limit.as_option() };
        if let Some(as_of) = self.resolve_as_of(db, table).await? {
            let all = self.partitions_as_of(&t, &as_of).await?;
            return Ok(Listing::Whole(Self::select_in_memory(all, &query).into_iter().map(|(_, p)| p).collect()));
        }
        let cap = self.config.max_partitions_per_request.filter(|&cap| limit.as_option().is_none_or(|m| m > cap));
        if let Some(page) = page {
            if let Some(pages) = self.store.page_partitions(&t.db_name, &t.name, &query, page).await? {
                if let Some(cap) = cap {
                    // `total` is already cut to `max`, which is above the cap here.
                    check_cap(&t, pages.total(), cap)?;
                }
                return Ok(Listing::Pages(pages));
            }
        }
        if let Some(cap) = cap {
            let n = self.store.count_partitions(&t.db_name, &t.name, &query).await?;
            check_cap(&t, usize::try_from(n).unwrap_or(usize::MAX), cap)?;
        }
        self.store.list_partitions(&t.db_name, &t.name, &query).await.map(Listing::Whole)
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
        if let Some(as_of) = self.resolve_as_of(db, table).await? {
            let all = self.partitions_as_of(&t, &as_of).await?;
            return Ok(Self::select_in_memory(all, &query).into_iter().map(|(n, _)| n).collect());
        }
        self.store.list_partition_names(&t.db_name, &t.name, &query).await
    }

    /// How many partitions a filter selects.
    pub async fn count_partitions(&self, db: &str, table: &str, filter: Option<&str>) -> Result<i64> {
        let t = self.partition_table(db, table).await?;
        let (keys, expr, _) = Self::query_parts(&t, None, filter)?;
        let query = PartitionQuery { keys: &keys, filter: expr.as_ref(), values: None, max: None };
        if let Some(as_of) = self.resolve_as_of(db, table).await? {
            let all = self.partitions_as_of(&t, &as_of).await?;
            return Ok(i64::try_from(Self::select_in_memory(all, &query).len()).unwrap_or(i64::MAX));
        }
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
        if let Some(as_of) = self.resolve_as_of(db, table).await? {
            return self.partitions_as_of_named(&t, &as_of, part_names).await;
        }
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
                    "Incorrect number of partition values. numPartKeys={}, part_val={}",
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
        self.alter_partitions_in(actor, db, table, parts, false, StatsEnv::default()).await
    }

    /// `alter_partition`: one partition (HMS words its errors differently than for many).
    pub async fn alter_partition(&self, actor: &Actor, db: &str, table: &str, part: Partition) -> Result<()> {
        self.alter_partitions_in(actor, db, table, vec![part], true, StatsEnv::default()).await
    }

    /// `alter_partition(s)` with what the call's environment context says about statistics;
    /// `single`: worded as `alter_partition`.
    pub async fn alter_partitions_in(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        parts: Vec<Partition>,
        single: bool,
        stats: StatsEnv,
    ) -> Result<()> {
        self.alter_with(actor, db, table, parts, single, HistoryOp::AlterPartition, stats).await
    }

    /// Alter partitions, recording location swaps as `op`. Swaps are checked against the batch
    /// policy, except rollbacks (which go back to a location the partition had).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn alter_with(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        parts: Vec<Partition>,
        single: bool,
        op: HistoryOp,
        stats: StatsEnv,
    ) -> Result<()> {
        Self::writable(db, table)?;
        let t = match self.partition_table(db, table).await {
            Err(CatalogError::NoSuchObject(_)) => {
                return Err(CatalogError::InvalidOperation(
                    "Unable to alter partition because table or database does not exist.".to_string(),
                ))
            }
            other => other?,
        };
        let enforce = op != HistoryOp::Rollback && self.batch_mode(&t) == batch::Mode::Enforce;
        let now = self.now_seconds();
        let mut prepared = Vec::with_capacity(parts.len());
        for mut part in parts {
            let name = match Self::partition_name(&t, &part.values) {
                Ok(name) => name,
                Err(e) if single => return Err(e),
                Err(e) => return Err(CatalogError::InvalidOperation(format!("Alter partition operation failed: {e}"))),
            };
            part.db_name.clone_from(&t.db_name);
            part.table_name.clone_from(&t.name);
            part.sd.location = match part.sd.location.as_deref().filter(|l| !l.trim().is_empty()) {
                None => None,
                Some(loc) => Some(location::qualify(loc, self.warehouse()).map_err(|e| match e {
                    CatalogError::InvalidObject(m) => CatalogError::InvalidOperation(m),
                    other => other,
                })?),
            };
            if let Some(loc) = part.sd.location.as_deref() {
                self.check_allowed(loc).map_err(|e| CatalogError::InvalidOperation(e.message().to_string()))?;
            }
            if part.parameters.get(param::DDL_TIME).is_none_or(|v| v == "0") {
                part.parameters.insert(param::DDL_TIME.to_string(), now.to_string());
            }
            prepared.push((name, part));
        }
        // One candidate history row per partition given a location: the store completes it
        // under the row lock (the previous location as it is then) and drops it if the location
        // does not change. A partition given no location keeps its own (no swap).
        let history: Vec<HistoryEntry> = prepared
            .iter()
            .filter(|(_, part)| part.sd.location.is_some())
            .map(|(name, part)| self.placement_history(actor, op, name, part))
            .collect();
        if enforce && self.config.batch.require_data {
            self.check_swaps_have_data(&t, &prepared).await?;
        }
        // HMS's requireCalStats: a partition that comes without both values, or a context
        // saying the statistics were generated, is recounted.
        let to_count = prepared
            .iter_mut()
            .map(|(_, p)| p)
            .filter(|p| stats.generated || !faststats::has_fast_stats(&p.parameters));
        self.fill_partition_stats(&t, to_count, stats).await;
        match self.store.alter_partitions(&t.db_name, &t.name, &prepared, history, enforce).await {
            Ok(stored) => {
                // The event carries the partitions as stored: creation time and, where none
                // was given, location kept.
                let parts: Vec<Partition> = prepared
                    .into_iter()
                    .zip(stored)
                    .map(|((_, mut part), old)| {
                        part.sd.location = old.kept_location(&part).map(str::to_string);
                        part.create_time = old.create_time;
                        part
                    })
                    .collect();
                self.on_alter_partition(&t.db_name, &t.name, &parts).await;
                Ok(())
            }
            Err(CatalogError::NoSuchObject(_)) if single => {
                Err(CatalogError::InvalidOperation("alter is not possible".to_string()))
            }
            Err(CatalogError::NoSuchObject(m)) => {
                Err(CatalogError::InvalidOperation(format!("Alter partition operation failed: {m}")))
            }
            Err(CatalogError::InvalidObject(m)) => Err(CatalogError::InvalidOperation(m)),
            Err(e) => Err(e),
        }
    }

    /// The batch policy's data rule: every location a swap moves to must hold data. Reads the
    /// current partitions (a swap is a location that differs from the stored one); a missing
    /// partition is left to the store's check.
    async fn check_swaps_have_data(&self, t: &Table, prepared: &[(String, Partition)]) -> Result<()> {
        let names: Vec<String> = prepared.iter().map(|(n, _)| n.clone()).collect();
        let current = self.store.get_partitions_by_names(&t.db_name, &t.name, &names).await?;
        let current: std::collections::HashMap<String, &Partition> =
            current.iter().map(|c| Ok((Self::partition_name(t, &c.values)?, c))).collect::<Result<_>>()?;
        for (name, part) in prepared {
            let (Some(&old), Some(to)) = (current.get(name.as_str()), part.sd.location.as_deref()) else {
                continue;
            };
            if !batch::same_location(old.sd.location.as_deref(), to) && !self.storage.has_data(to).await? {
                return Err(CatalogError::InvalidOperation(batch::empty_location_message(
                    &format!("{}.{}", t.db_name, t.name),
                    name,
                    to,
                )));
            }
        }
        Ok(())
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
        Self::writable(db, table)?;
        let t = match self.partition_table(db, table).await {
            Err(CatalogError::NoSuchObject(m)) => return Err(CatalogError::InvalidOperation(m)),
            other => other?,
        };
        let old_name = Self::partition_name(&t, old_values)
            .map_err(|e| CatalogError::InvalidOperation(e.message().to_string()))?;
        let new_name = Self::partition_name(&t, &new.values)
            .map_err(|e| CatalogError::InvalidOperation(e.message().to_string()))?;
        let Some(old) = self.store.get_partition(&t.db_name, &t.name, &old_name).await? else {
            return Err(CatalogError::InvalidOperation(
                "Unable to rename partition because old partition does not exist".to_string(),
            ));
        };
        if new_name != old_name && self.store.get_partition(&t.db_name, &t.name, &new_name).await?.is_some() {
            return Err(CatalogError::InvalidOperation(format!(
                "Partition already exists:{}.{}.{}",
                t.db_name,
                t.name,
                partname::values_list(&new.values)
            )));
        }
        new.db_name.clone_from(&t.db_name);
        new.table_name.clone_from(&t.name);
        new.create_time = old.create_time;
        new.parameters.entry(param::DDL_TIME.to_string()).or_insert_with(|| self.now_seconds().to_string());
        let old_loc = old.sd.location.clone().unwrap_or_default();
        let table_loc = t.location().map(location::canonical_or_raw);
        let default_old = table_loc.as_deref().map(|l| location::join(l, &old_name));
        let kept = new.sd.location.as_deref().is_none_or(|l| l.is_empty() || location::same_place(l, &old_loc));
        let mut moved = None;
        let at_default = default_old.as_deref().is_some_and(|d| location::same_place(d, &old_loc));
        let movable = owns_data(&t)
            && kept
            && at_default
            && match self
                .why_not_movable(&old_loc, crate::safety::Owner::Partition(&t.db_name, &t.name, &old_name))
                .await?
            {
                None => true,
                Some(why) => {
                    tracing::warn!(location = %old_loc, why = %why, "rename partition: data left in place");
                    false
                }
            };
        if movable {
            let new_loc = location::join(table_loc.as_deref().unwrap_or_default(), &new_name);
            if self.storage.rename(&old_loc, &new_loc).await? {
                moved = Some((old_loc.clone(), new_loc.clone()));
            }
            new.sd.location = Some(new_loc);
        } else if kept {
            new.sd.location = old.sd.location.clone();
        }
        let mut h = self.partition_history(actor, HistoryOp::AlterPartition, &new_name, &new);
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
            CatalogError::AlreadyExists(_) => CatalogError::InvalidOperation(format!(
                "Partition already exists:{}.{}.{}",
                t.db_name,
                t.name,
                partname::values_list(&new.values)
            )),
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
        self.drop_partitions_as(actor, db, table, part_names, delete_data, HistoryOp::DropPartition).await
    }

    /// [`Self::drop_partitions`], recording the drops as `op`.
    pub(crate) async fn drop_partitions_as(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        part_names: Vec<String>,
        delete_data: bool,
        op: HistoryOp,
    ) -> Result<Vec<Partition>> {
        Self::writable(db, table)?;
        let t = self.partition_table(db, table).await?;
        // Names as the store spells them (escaping, key case, the default-partition value).
        let wanted: Vec<String> = part_names
            .iter()
            .map(|n| self.values_of_name(&t, n).and_then(|v| Self::partition_name(&t, &v)))
            .collect::<Result<_>>()?;
        let current = self.store.get_partitions_by_names(&t.db_name, &t.name, &wanted).await?;
        let current_names: std::collections::HashSet<String> =
            current.iter().map(|p| Self::partition_name(&t, &p.values)).collect::<Result<_>>()?;
        if wanted.iter().any(|w| !current_names.contains(w)) {
            return Err(CatalogError::NoSuchObject("Some partitions to drop are missing".to_string()));
        }
        let mut history = Vec::with_capacity(current.len());
        let mut canonical = Vec::with_capacity(current.len());
        // (index in `history`, directory, where it goes) of the data to retain.
        let mut plans = Vec::new();
        for part in &current {
            let name = Self::partition_name(&t, &part.values)?;
            let mut h = self.partition_history(actor, op, &name, part);
            h.previous_location.clone_from(&part.sd.location);
            if delete_data && owns_data(&t) {
                if let Some(dir) = part.sd.location.as_deref() {
                    plans.push((history.len(), dir.to_string(), self.retained_dir(&t.db_name, &t.name, Some(&name))));
                }
            }
            history.push(h);
            canonical.push(name);
        }
        // The store answers with the partitions as it dropped them (read under its locks); this
        // earlier read is not needed any more, and at 10,000 partitions it is tens of MB.
        drop(current);
        let retention = self.retain_for(actor, &mut history, plans).await?;
        let result = self.store.drop_partitions(&t.db_name, &t.name, &canonical, &history).await;
        self.settle(retention, result.is_ok()).await;
        let dropped = result?;
        self.on_drop_partition(&t.db_name, &t.name, &dropped).await;
        Ok(dropped)
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
        let t = match self.partition_table(db, table).await {
            Err(CatalogError::NoSuchObject(_)) => return Err(CatalogError::NoSuchObject(no_such_partition(values))),
            other => other?,
        };
        let name = Self::partition_name(&t, values)?;
        match self.drop_partitions(actor, db, table, vec![name], delete_data).await {
            Ok(_) => Ok(()),
            Err(CatalogError::NoSuchObject(m)) if m == "Some partitions to drop are missing" => {
                Err(CatalogError::NoSuchObject(no_such_partition(values)))
            }
            Err(e) => Err(e),
        }
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

impl Catalog {
    /// `exchange_partition(s)`: move the partitions of `source` selected by `spec` (key → value,
    /// a prefix of the keys) into `dest`, which must have the same partition keys. Their
    /// directories move to `dest`'s default partition locations, when both lie inside the roots
    /// Strata owns and neither is shared with another live table or partition; otherwise a
    /// partition keeps its directory (the history row says so). Returns the moved partitions
    /// as they are in `dest`.
    ///
    /// Not one transaction across the two tables: the partitions are added to `dest`, then
    /// dropped from `source`; if that drop fails the additions are undone.
    pub async fn exchange_partitions(
        &self,
        actor: &Actor,
        spec: &Params,
        (source_db, source_table): (&str, &str),
        (dest_db, dest_table): (&str, &str),
    ) -> Result<Vec<Partition>> {
        let source = self.partition_table(source_db, source_table).await?;
        let dest = self.partition_table(dest_db, dest_table).await?;
        let same_keys =
            source.partition_keys.len() == dest.partition_keys.len()
                && source.partition_keys.iter().zip(&dest.partition_keys).all(|(a, b)| {
                    a.name.eq_ignore_ascii_case(&b.name) && a.type_name.eq_ignore_ascii_case(&b.type_name)
                });
        if !same_keys {
            return Err(CatalogError::Meta("The tables have different partition keys".to_string()));
        }
        // The spec as partial values: the leading keys it names, wildcards after.
        let keys = key_names(&source);
        let spec: Params = spec.iter().map(|(k, v)| (k.to_lowercase(), v.clone())).collect();
        let mut values = Vec::new();
        for key in &keys {
            match spec.get(key) {
                Some(v) => values.push(v.clone()),
                None => break,
            }
        }
        if values.is_empty() || values.len() != spec.len() {
            return Err(CatalogError::Meta(format!(
                "Invalid partition spec {} for the keys {}",
                partname::java_map(spec.iter()),
                partname::java_list(&keys)
            )));
        }
        let parts = self.list_partitions(source_db, source_table, Some(&values), None, Limit::All).await?;
        if parts.is_empty() {
            // HMS's message and type (MetaException), the spec printed as a Java map.
            return Err(CatalogError::Meta(format!(
                "No partition is found with the values {} for the table {}",
                partname::java_map(spec.iter()),
                source.name
            )));
        }
        let names: Vec<String> =
            parts.iter().map(|p| Self::partition_name(&source, &p.values)).collect::<Result<_>>()?;
        let clash = self.store.get_partitions_by_names(&dest.db_name, &dest.name, &names).await?;
        if let Some(c) = clash.first() {
            return Err(CatalogError::Meta(format!(
                "The partition {} already exists in the table {}.{}",
                partname::values_list(&c.values),
                dest.db_name,
                dest.name
            )));
        }
        let Some(dest_dir) = dest.location().map(str::to_string) else {
            return Err(CatalogError::Meta(format!("{}.{} has no location", dest.db_name, dest.name)));
        };
        // Move the data, then the metadata.
        let mut moved = Vec::new();
        let mut new_parts = Vec::with_capacity(parts.len());
        for (part, name) in parts.iter().zip(&names) {
            let mut to = location::join(&location::canonical_or_raw(&dest_dir), name);
            if let Some(from) = part.sd.location.as_deref() {
                // As for a drop or rename: only a directory Strata owns, shared with no other
                // live object, moves, and only to a place it owns where nothing live is; else
                // the partition keeps its directory where it is.
                let why_not = match self
                    .why_not_movable(from, crate::safety::Owner::Partition(&source.db_name, &source.name, name))
                    .await?
                {
                    Some(why) => Some(why),
                    None => {
                        self.why_not_movable(&to, crate::safety::Owner::Partition(&dest.db_name, &dest.name, name))
                            .await?
                    }
                };
                if let Some(why) = why_not {
                    tracing::warn!(location = %from, why = %why, "exchange partition: data left in place");
                    to = location::canonical_or_raw(from);
                } else {
                    match self.storage.rename(from, &to).await {
                        Ok(true) => moved.push(crate::retain::Retained { from: from.to_string(), to: to.clone() }),
                        Ok(false) => {}
                        Err(e) => {
                            self.restore(&moved).await;
                            return Err(e);
                        }
                    }
                }
            }
            let mut p = part.clone();
            p.db_name.clone_from(&dest.db_name);
            p.table_name.clone_from(&dest.name);
            p.sd.location = Some(to);
            new_parts.push((name.clone(), p));
        }
        // One transaction: added to the destination and dropped from the source, with both
        // sides' history rows.
        let mut history: Vec<HistoryEntry> = Vec::with_capacity(parts.len() * 2);
        for ((name, p), old) in new_parts.iter().zip(&parts) {
            let mut drop = self.partition_history(actor, HistoryOp::DropPartition, name, old);
            drop.previous_location.clone_from(&old.sd.location);
            drop.new_location.clone_from(&p.sd.location);
            let mut add = self.partition_history(actor, HistoryOp::AddPartition, name, p);
            add.previous_location.clone_from(&old.sd.location);
            add.new_location.clone_from(&p.sd.location);
            history.push(drop);
            history.push(add);
        }
        let added = match self
            .store
            .exchange_partitions((&source.db_name, &source.name), (&dest.db_name, &dest.name), &new_parts, &history)
            .await
        {
            Ok(a) => a,
            Err(e) => {
                self.restore(&moved).await;
                return Err(e);
            }
        };
        self.on_add_partition(&dest.db_name, &dest.name, &added).await;
        self.on_drop_partition(&source.db_name, &source.name, &parts).await;
        Ok(added)
    }
}

/// `partition_name_to_vals`: the values of a name, in order (pieces that are not `key=value`
/// are skipped, as HMS does).
#[must_use]
pub fn name_to_values(name: &str) -> Vec<String> {
    partname::spec_from_name(name).into_iter().map(|(_, v)| v).collect()
}

/// `partition_name_to_spec`: key → value.
#[must_use]
pub fn name_to_spec(name: &str) -> Params {
    partname::spec_from_name(name).into_iter().collect()
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
        assert_eq!(name_to_values("ds=2024-01-01/hr=a%2Fb"), vec!["2024-01-01", "a/b"]);
        assert_eq!(name_to_spec("ds=1").get("ds").map(String::as_str), Some("1"));
        assert!(name_to_values("garbage").is_empty());
        assert_eq!(name_to_spec("a=1/b").len(), 1);
    }
}
