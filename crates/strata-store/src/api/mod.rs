//! The persistence seam: what the catalog asks of a database, whatever the engine. The traits
//! and the values they exchange only; no implementation is imported here.
//!
//! Every method is one transaction: it either applies completely or not at all. History rows
//! handed to a write are appended in the same transaction as the change they record.
//! Names passed in are already normalised (lower-case) by the catalog.

use async_trait::async_trait;
use strata_core::{
    filter::{Expr, KeyType},
    lock::LockState,
    model::{Database, HistoryEntry, LockInfo, LockRequest, Partition, Table, TableSummary},
    time::EpochSeconds,
    Result,
};

pub mod browse;
pub mod events;
pub mod functions;
pub mod moves;
pub mod stats;
pub mod tags;

use self::{
    browse::BrowseStore, events::EventStore, functions::FunctionStore, moves::MoveStore, stats::StatsStore,
    tags::TagStore,
};

/// Where a partition is stored and since when (what an alter keeps or reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Its location.
    pub location: Option<String>,
    /// When it was created.
    pub create_time: EpochSeconds,
}

impl Placement {
    /// The location a partition stored here keeps when altered to `new`: the new definition's,
    /// or this one when the new definition names none (blank counts as none). The creation time
    /// is always kept.
    #[must_use]
    pub fn kept_location<'a>(&'a self, new: &'a Partition) -> Option<&'a str> {
        new.sd.location.as_deref().filter(|l| !l.trim().is_empty()).or(self.location.as_deref())
    }
}

/// Options of [`Store::alter_table`].
#[derive(Debug, Clone, Default)]
pub struct AlterTableOptions {
    /// Compare-and-swap: the current value of parameter `.0` must be `.1` (Iceberg's
    /// `expected_parameter_key`/`expected_parameter_value`), checked under the row lock.
    /// On mismatch: `CatalogError::Meta(msg::cas_mismatch(..))`; when the new table lacks key
    /// `.0`: `CatalogError::Meta(msg::cas_new_value_missing(..))` (both checked after the
    /// table's existence, as HMS does).
    pub expected_param: Option<(String, String)>,
    /// When the table's directory moved (rename of a managed table): rewrite every partition
    /// location that starts with `.0` to start with `.1` instead. Matched on path boundaries:
    /// trailing slashes of both are ignored, and a location moves when it equals `.0` or starts
    /// with `.0` followed by `/` (so `…/t1` does not move `…/t10/…`).
    /// When `history` is not empty, the store also appends one `HistoryOp::AlterPartition`
    /// row per moved partition (new db/table names, partition name and values, previous and
    /// new location), copying actor, client address, request id and time from `history[0]`.
    pub relocate_partitions: Option<(String, String)>,
    /// History rows to append with the change (before any per-partition rows).
    pub history: Vec<HistoryEntry>,
}

/// An open, paged partition listing (see [`Store::page_partitions`]). Its snapshot stays open
/// until the last page is read or the value is dropped.
#[async_trait]
pub trait PartitionPages: Send {
    /// How many partitions the listing has in all (known before the first page).
    fn total(&self) -> usize;
    /// The next page, in partition-name order; `None` once all `total` were returned.
    async fn next_page(&mut self) -> Result<Option<Vec<Partition>>>;
}

/// Which partitions of a table a read or count selects. Everything given must hold (AND).
#[derive(Debug, Clone, Copy, Default)]
pub struct PartitionQuery<'a> {
    /// The table's partition keys with their filter types, in key order (key index = position).
    /// Keys of the filter are matched against these names (lower-case).
    pub keys: &'a [(String, KeyType)],
    /// A parsed HMS filter (`get_partitions_by_filter`), already checked with
    /// `Expr::check_types` by the caller. Must be pushed down into SQL with bound parameters,
    /// with the semantics of `strata_core::filter::Expr::eval` (HMS directSQL: integer keys
    /// compare as numbers, date keys as dates, the default partition never matches).
    pub filter: Option<&'a Expr>,
    /// Partial values (`get_partitions_ps`, `get_partition_names_ps`): one entry per leading
    /// key; `Some(v)` means the stored value equals `v` exactly (as strings, any key type),
    /// `None` (an empty string on the wire) is a wildcard. Shorter than `keys`: the rest are
    /// wildcards.
    pub values: Option<&'a [Option<String>]>,
    /// At most this many results (in partition-name order); `None` = all.
    pub max: Option<usize>,
}

/// What [`Store::lock`] and [`Store::check_lock`] answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockOutcome {
    /// The lock id.
    pub lock_id: i64,
    /// Its state after the call.
    pub state: LockState,
}

/// Filter of [`Store::show_locks`].
#[derive(Debug, Clone, Default)]
pub struct LockFilter {
    /// Database, if any.
    pub db: Option<String>,
    /// Table, if any (with `db`).
    pub table: Option<String>,
    /// Partition name, if any (with `table`).
    pub partition: Option<String>,
}

/// The catalog's persistence. Implemented for PostgreSQL and SQLite; both pass one
/// conformance suite (`crate::conformance`, behind the `testkit` feature).
#[async_trait]
pub trait Store:
    FunctionStore + StatsStore + EventStore + TagStore + MoveStore + BrowseStore + Send + Sync + std::fmt::Debug + 'static
{
    /// `"postgres"` or `"sqlite"`.
    fn backend(&self) -> &'static str;

    /// Apply pending migrations (idempotent; safe to run concurrently).
    async fn migrate(&self) -> Result<()>;

    /// This metastore database's id (`get_metastore_db_uuid`): a random UUID made the first
    /// time it is asked for and kept in `strata_meta`, the same for every server on the store.
    async fn metastore_uuid(&self) -> Result<String>;

    // ---- databases ----

    /// Create a database. `AlreadyExists(msg::database_exists)` if the name is taken.
    async fn create_database(&self, db: &Database) -> Result<()>;
    /// A database by name, `None` if absent.
    async fn get_database(&self, name: &str) -> Result<Option<Database>>;
    /// All database names, ascending.
    async fn list_databases(&self) -> Result<Vec<String>>;
    /// Replace a database's definition (same name). `NoSuchObject(msg::no_such_database)` if absent.
    async fn alter_database(&self, db: &Database) -> Result<()>;
    /// Drop a database. Without `cascade`, a database that still has tables fails with
    /// `InvalidOperation(msg::database_not_empty_tables)` (functions: `..._functions`). With
    /// `cascade` its tables, partitions and functions go too. `NoSuchObject` if absent.
    /// Returns the tables that were dropped with it.
    async fn drop_database(&self, name: &str, cascade: bool, history: &[HistoryEntry]) -> Result<Vec<Table>>;

    // ---- tables ----

    /// Create a table; returns its id. `AlreadyExists(msg::table_exists)` if the name is taken,
    /// `NoSuchObject(msg::no_such_database)` if the database is absent.
    async fn create_table(&self, table: &Table, history: &[HistoryEntry]) -> Result<i64>;
    /// A table by name, `None` if absent.
    async fn get_table(&self, db: &str, name: &str) -> Result<Option<Table>>;
    /// The named tables that exist, ordered by name; absent names are skipped.
    async fn get_tables(&self, db: &str, names: &[String]) -> Result<Vec<Table>>;
    /// Every table of a database, ordered by name (full objects).
    async fn list_tables_full(&self, db: &str) -> Result<Vec<Table>>;
    /// Name, type, comment and owner of every table of a database, ordered by name.
    async fn list_tables(&self, db: &str) -> Result<Vec<TableSummary>>;
    /// Replace table `db.name` with `new` (which may carry a new db/name: a rename). The id is
    /// kept; every other field (including `create_time`) is taken from `new`.
    /// `InvalidOperation(msg::alter_missing_table)` if absent,
    /// `InvalidOperation(msg::rename_target_exists)` if the new name is taken,
    /// `InvalidOperation` (HMS's "Unable to change partition or table. Database … does not
    /// exist …") if `new.db_name` names a missing database.
    async fn alter_table(&self, db: &str, name: &str, new: &Table, options: &AlterTableOptions) -> Result<()>;
    /// Drop a table and its partitions. `NoSuchObject(msg::table_doesnt_exist)` if absent.
    /// What the table was (definition and partitions) is kept, in the same transaction, for
    /// [`Store::dropped_table`].
    async fn drop_table(&self, db: &str, name: &str, history: &[HistoryEntry]) -> Result<()>;
    /// The latest dropped incarnation of a table: its definition and its partitions (name
    /// order) as they were when it was dropped; `None` if it was never dropped (tables dropped
    /// with their database are not kept).
    async fn dropped_table(&self, db: &str, name: &str) -> Result<Option<(Table, Vec<(String, Partition)>)>>;

    // ---- partitions ----
    //
    // Partitions are identified by their name `k1=v1/k2=v2` (`strata_core::partname::make_part_name`
    // of the table's keys and the values), computed by the caller and passed alongside. A missing
    // table is `NoSuchObject(msg::table_not_found)` for every partition method. Results are in
    // partition-name order. Each partition's storage descriptor is stored through the shared,
    // content-addressed `storage_descriptors` rows (the location apart).

    /// Add partitions `(name, partition)` in one transaction. An existing name fails the whole
    /// call with `AlreadyExists(format!("Partition already exists: {name}"))` unless
    /// `if_not_exists`, in which case it is skipped. Returns the positions in `parts` of the
    /// partitions actually added, ascending (the caller keeps its partitions; nothing is copied
    /// back). A name given twice counts as existing the second time. History rows naming a
    /// skipped partition (`partition_name`) are not appended; the others are.
    async fn add_partitions(
        &self,
        db: &str,
        table: &str,
        parts: &[(String, Partition)],
        if_not_exists: bool,
        history: &[HistoryEntry],
    ) -> Result<Vec<usize>>;
    /// One partition by name, `None` if absent.
    async fn get_partition(&self, db: &str, table: &str, name: &str) -> Result<Option<Partition>>;
    /// The named partitions that exist (others skipped), in name order.
    async fn get_partitions_by_names(&self, db: &str, table: &str, names: &[String]) -> Result<Vec<Partition>>;
    /// Partitions selected by a query.
    async fn list_partitions(&self, db: &str, table: &str, query: &PartitionQuery<'_>) -> Result<Vec<Partition>>;
    /// The partitions a query selects, read page by page from one snapshot, so a caller can
    /// send a listing of any size without holding it all: the same rows, in the same order, as
    /// [`Store::list_partitions`]. `None` when the query cannot be paged (a filter evaluated
    /// in memory, or a store that cannot hold a snapshot open without blocking other calls);
    /// the caller then lists with [`Store::list_partitions`].
    async fn page_partitions(
        &self,
        db: &str,
        table: &str,
        query: &PartitionQuery<'_>,
        page: usize,
    ) -> Result<Option<Box<dyn PartitionPages>>>;
    /// Names of the partitions selected by a query.
    async fn list_partition_names(&self, db: &str, table: &str, query: &PartitionQuery<'_>) -> Result<Vec<String>>;
    /// Number of partitions selected by a query (`max` ignored).
    async fn count_partitions(&self, db: &str, table: &str, query: &PartitionQuery<'_>) -> Result<i64>;
    /// Replace existing partitions `(name, new definition)` in one transaction (values and name
    /// unchanged; storage descriptor, location, parameters, access time replaced; the creation
    /// time kept, and the location kept when the new definition names none). Any missing name
    /// fails the whole call with
    /// `NoSuchObject(format!("partition {name} of {db}.{table} does not exist"))`.
    /// Returns where each partition was stored before (its [`Placement`]), in input order. A
    /// name given twice: the last definition wins.
    ///
    /// History rows that name an altered partition are location swaps, completed under the
    /// partitions' row locks: each gets the partition's location at that moment as
    /// `previous_location`, and one whose location does not change is not appended (so
    /// concurrent writers keep each partition's chain exact). With `fresh_locations` (the batch
    /// policy's `enforce`), a swap to a location that another live partition of the table uses,
    /// or that any history row of the table has as its new location, fails the whole call with
    /// `InvalidOperation` (`strata_core::batch::check_swap`'s message); such calls on one table
    /// are serialised, so two of them cannot both take the same fresh location.
    async fn alter_partitions(
        &self,
        db: &str,
        table: &str,
        parts: &[(String, Partition)],
        history: Vec<HistoryEntry>,
        fresh_locations: bool,
    ) -> Result<Vec<Placement>>;
    /// Give partition `old_name` new values (`new_name`, `new`; every stored field is replaced,
    /// the key values too). `NoSuchObject(format!("Partition doesn't exist. {old_name}"))` if
    /// the old one is absent, `AlreadyExists(format!("Partition already exists: {new_name}"))`
    /// if the new name is taken (also when it is `old_name`).
    async fn rename_partition(
        &self,
        db: &str,
        table: &str,
        old_name: &str,
        new_name: &str,
        new: &Partition,
        history: &[HistoryEntry],
    ) -> Result<()>;
    /// Drop partitions by name in one transaction; any missing name fails the whole call with
    /// `NoSuchObject(format!("Partition doesn't exist. {name}"))`. Returns the dropped
    /// partitions in input order (each once).
    async fn drop_partitions(
        &self,
        db: &str,
        table: &str,
        names: &[String],
        history: &[HistoryEntry],
    ) -> Result<Vec<Partition>>;

    /// `exchange_partitions`: move partitions from `source` to `dest` in one transaction: add
    /// `parts` (their definitions in `dest`) to `dest`, drop the same names from `source`, and
    /// append `history`. Errors as [`Store::add_partitions`] for `dest` (a taken name) and
    /// [`Store::drop_partitions`] for `source` (a missing name). Returns the added partitions.
    async fn exchange_partitions(
        &self,
        source: (&str, &str),
        dest: (&str, &str),
        parts: &[(String, Partition)],
        history: &[HistoryEntry],
    ) -> Result<Vec<Partition>>;

    // ---- history ----

    /// Append history rows on their own (e.g. a truncate, which changes no metadata).
    async fn append_history(&self, entries: &[HistoryEntry]) -> Result<()>;
    /// The whole history (every table), in the order it was written.
    async fn history_all(&self) -> Result<Vec<HistoryEntry>>;
    /// History of a table in the order it was written (by id); only rows at or after `since_millis` if given.
    async fn history(&self, db: &str, table: &str, since_millis: Option<i64>) -> Result<Vec<HistoryEntry>>;

    // ---- locks ----

    /// Request a lock (all components under one id). Locks whose last heartbeat is older than
    /// `expire_before_millis` are removed first. The lock is `Acquired` when no earlier lock
    /// (acquired or waiting) conflicts with any component, else `Waiting`.
    async fn lock(&self, request: &LockRequest, now_millis: i64, expire_before_millis: i64) -> Result<LockOutcome>;
    /// Re-check a waiting lock (acquire it if nothing earlier conflicts now) and refresh its
    /// heartbeat. `NoSuchLock(msg::no_such_lock)` if unknown (or expired).
    async fn check_lock(&self, lock_id: i64, now_millis: i64, expire_before_millis: i64) -> Result<LockOutcome>;
    /// Release a lock. `NoSuchLock` if unknown.
    async fn unlock(&self, lock_id: i64) -> Result<()>;
    /// Refresh a lock's heartbeat. `NoSuchLock` if unknown.
    async fn heartbeat(&self, lock_id: i64, now_millis: i64) -> Result<()>;
    /// Current locks (one row per component), by lock id.
    async fn show_locks(&self, filter: &LockFilter) -> Result<Vec<LockInfo>>;
}
