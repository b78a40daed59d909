//! The catalog: every metastore operation with Apache HMS's semantics, on top of a [`Store`]
//! (metadata) and [`Storages`] (data directories). The Thrift layer converts and calls in here;
//! nothing in this crate knows about Thrift or SQL.
//!
//! # Layout
//! - [`databases`]: create/get/list/alter/drop databases.
//! - [`tables`]: create/get/list/alter/rename/drop/truncate tables.
//! - [`partitions`]: add/get/list/filter/alter/rename/drop partitions.
//! - [`functions`], [`stats`], [`events`]: functions, column statistics, the notification log.
//! - [`locks`]: table and partition locks with heartbeat expiry.
//! - [`retain`]: where data goes instead of being deleted.
//! - [`txns`]: transaction ids and states (no ACID tables).
//! - [`faststats`]: `numFiles` / `totalSize` counted from the files, as HMS does.
//! - [`authz`]: the authorization policy (who may read, write, administer what).
//! - [`service`]: what the metastore answers about itself (configuration keys, the catalog,
//!   write ids) and single-column statistics lookups.

pub mod authz;
pub mod databases;
pub mod events;
pub mod faststats;
pub mod functions;
pub mod gc;
pub mod import;
pub mod locks;
pub mod partitions;
pub mod retain;
mod safety;
pub mod service;
pub mod stats;
pub mod tables;
pub mod timetravel;
pub mod txns;
pub mod versions;

use std::{sync::Arc, time::Duration};

use strata_core::{
    batch, location,
    model::{Actor, Database, HistoryEntry, HistoryOp, PrincipalType},
    names,
    time::{self, Clock, EpochSeconds},
    Result,
};
use strata_storage::Storages;
use strata_store::Store;

/// Settings of the catalog.
#[derive(Debug, Clone)]
pub struct CatalogConfig {
    /// Warehouse root, e.g. `file:///var/lib/strata/warehouse` or `s3://bucket/warehouse`.
    pub warehouse: String,
    /// A lock whose holder has not heartbeaten for this long is released.
    pub lock_timeout: Duration,
    /// At most this many partition objects in one reply (Apache HMS's
    /// `hive.metastore.limit.partition.request`); `None` = no limit. A larger request fails
    /// with a `MetaException` instead of exhausting memory.
    pub max_partitions_per_request: Option<usize>,
    /// The batch-ID policy.
    pub batch: BatchPolicy,
    /// Where Strata may move and delete data, and how crashed moves settle.
    pub data: DataSafety,
    /// HMS's fast statistics (`numFiles`, `totalSize`) on create and alter.
    pub stats: faststats::FastStats,
}

/// The data-safety settings (`[storage]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSafety {
    /// Roots (besides the warehouse) whose contents Strata owns: it may move (drop, truncate,
    /// rename) and, in `strata gc --apply`, delete what lies strictly inside them. Anything
    /// else is left where it is.
    pub managed_roots: Vec<String>,
    /// When not empty, new tables, partitions and databases must lie inside one of these roots
    /// (or the managed ones); others are refused.
    pub allowed_roots: Vec<String>,
    /// This server's id in the move journal (random per process).
    pub server_id: String,
    /// How long a move's lease lasts; the server renews it every third of that while it runs,
    /// and settles other servers' moves whose lease expired.
    pub move_lease: Duration,
}

impl Default for DataSafety {
    fn default() -> Self {
        Self {
            managed_roots: Vec::new(),
            allowed_roots: Vec::new(),
            server_id: uuid::Uuid::new_v4().simple().to_string(),
            move_lease: Duration::from_secs(30),
        }
    }
}

/// The server-wide side of the batch-ID policy ([`strata_core::batch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchPolicy {
    /// The mode of tables without a `strata.batch.mode` parameter.
    pub default_mode: batch::Mode,
    /// Under `enforce`, refuse a location swap to a directory that holds no data. Off by
    /// default: Apache HMS accepts a swap to a fresh directory, and clients relocate first and
    /// write after (`SET LOCATION` to a directory created later).
    pub require_data: bool,
}

impl Default for BatchPolicy {
    fn default() -> Self {
        Self { default_mode: batch::Mode::Enforce, require_data: false }
    }
}

impl BatchPolicy {
    /// Record everything, refuse nothing: Apache HMS's behaviour plus the history.
    #[must_use]
    pub fn track() -> Self {
        Self { default_mode: batch::Mode::Track, require_data: false }
    }
}

/// A held lock of a table name: the servers' one first, then this process's (fields drop in
/// order).
pub(crate) struct NameGuard {
    _shared: strata_store::moves::NameLock,
    _local: tokio::sync::OwnedMutexGuard<()>,
}

/// The catalog. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Catalog {
    store: Arc<dyn Store>,
    storage: Storages,
    config: Arc<CatalogConfig>,
    /// One lock per table name for the calls that create a table's directory or move it
    /// (create, drop): the data moves before the metadata commits, so two of them on one name
    /// must not interleave (a drop moving a directory another call just re-created).
    name_locks: Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    /// Journal ids of the moves this process is running: the only ones whose lease it renews.
    /// A move it gave up on (it could not close it, say the database was gone) expires and is
    /// settled like a crashed server's.
    in_flight: Arc<std::sync::Mutex<std::collections::HashSet<i64>>>,
    /// This server's transactions ([`txns`]).
    txns: Arc<txns::Txns>,
    /// Where every timestamp the catalog writes comes from.
    clock: Arc<dyn Clock>,
}

/// How a [`Catalog`] is put together: a store and settings, plus storage and a clock that
/// default to none (local files only) and the system clock.
#[derive(Debug)]
#[must_use]
pub struct CatalogBuilder {
    store: Arc<dyn Store>,
    config: CatalogConfig,
    storage: Storages,
    clock: Arc<dyn Clock>,
}

impl CatalogBuilder {
    /// The storage the catalog moves and checks data in.
    pub fn storage(mut self, storage: Storages) -> Self {
        self.storage = storage;
        self
    }

    /// The clock every timestamp comes from (tests use [`time::ManualClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The catalog.
    pub fn build(self) -> Catalog {
        let Self { store, mut config, storage, clock } = self;
        config.warehouse = location::canonical_or_raw(&config.warehouse);
        let mut roots: Vec<String> = config.data.managed_roots.iter().map(|r| location::canonical_or_raw(r)).collect();
        roots.push(config.warehouse.clone());
        roots.sort();
        roots.dedup();
        config.data.managed_roots = roots;
        config.data.allowed_roots = config.data.allowed_roots.iter().map(|r| location::canonical_or_raw(r)).collect();
        let txns = Arc::new(txns::Txns::with_clock(config.lock_timeout, Arc::clone(&clock)));
        Catalog {
            store,
            storage,
            config: Arc::new(config),
            name_locks: Arc::default(),
            in_flight: Arc::default(),
            txns,
            clock,
        }
    }
}

impl Catalog {
    /// Start putting a catalog together over a store.
    pub fn builder(store: Arc<dyn Store>, config: CatalogConfig) -> CatalogBuilder {
        CatalogBuilder { store, config, storage: Storages::default(), clock: Arc::new(time::SystemClock) }
    }

    /// A catalog over a store and storage, on the system clock.
    #[must_use]
    pub fn new(store: Arc<dyn Store>, storage: Storages, config: CatalogConfig) -> Self {
        Self::builder(store, config).storage(storage).build()
    }

    /// Open the database at `database_url` (`sqlite://…` or `postgres://…`), apply its
    /// migrations, and put a catalog on it: what every command of the binary starts with.
    pub async fn open(database_url: &str, storage: Storages, config: CatalogConfig) -> Result<Self> {
        let store = strata_store::open(database_url).await?;
        store.migrate().await?;
        Ok(Self::new(store, storage, config))
    }

    /// The clock the catalog reads.
    #[must_use]
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Now, in milliseconds since the epoch.
    pub(crate) fn now_millis(&self) -> i64 {
        self.clock.now_millis()
    }

    /// Now, in whole seconds (HMS's create times and `transient_lastDdlTime`).
    pub(crate) fn now_seconds(&self) -> EpochSeconds {
        self.clock.now_seconds()
    }

    /// The store behind the catalog.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// This server's transactions.
    #[must_use]
    pub fn txns(&self) -> &txns::Txns {
        &self.txns
    }

    /// The warehouse root.
    #[must_use]
    pub fn warehouse(&self) -> &str {
        &self.config.warehouse
    }

    /// Whether Strata owns the data at a location: it lies strictly inside the warehouse or a
    /// managed root (a root itself never moves).
    #[must_use]
    pub fn owns_location(&self, loc: &str) -> bool {
        let loc = location::canonical_or_raw(loc);
        self.config.data.managed_roots.iter().any(|root| location::is_strictly_within(&loc, root))
    }

    /// With `[storage] allowed_roots` set, refuse a location outside them (and outside the
    /// managed roots).
    pub(crate) fn check_allowed(&self, loc: &str) -> Result<()> {
        let allowed = &self.config.data.allowed_roots;
        if allowed.is_empty() {
            return Ok(());
        }
        let canonical = location::canonical_or_raw(loc);
        let inside = |roots: &[String]| roots.iter().any(|r| location::is_within(&canonical, r));
        if inside(allowed) || inside(&self.config.data.managed_roots) {
            return Ok(());
        }
        Err(strata_core::CatalogError::InvalidObject(format!(
            "Location {loc} is outside the roots this metastore allows ([storage] allowed_roots)"
        )))
    }

    /// Hold the lock of table name `db.table` (see `name_locks`) in this process, then across
    /// every server on the database ([`strata_store::moves::MoveStore::lock_name`]); released
    /// when the guard is dropped.
    pub(crate) async fn lock_name(&self, db: &str, table: &str) -> Result<NameGuard> {
        let key = format!("{}.{}", names::normalize(db), names::normalize(table));
        let lock = {
            let mut locks = self.name_locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            locks.retain(|_, l| Arc::strong_count(l) > 1);
            Arc::clone(locks.entry(key.clone()).or_default())
        };
        let local = lock.lock_owned().await;
        let shared = self.store.lock_name(&key).await?;
        Ok(NameGuard { _shared: shared, _local: local })
    }

    /// The batch-ID mode of a table.
    #[must_use]
    pub fn batch_mode(&self, table: &strata_core::model::Table) -> batch::Mode {
        batch::Mode::of_table(&table.parameters, self.config.batch.default_mode)
    }

    /// Make sure the `default` database exists (at the warehouse root, as in HMS).
    pub async fn bootstrap(&self) -> Result<()> {
        if self.store.get_database(names::DEFAULT_DATABASE).await?.is_some() {
            return Ok(());
        }
        let db = Database {
            name: names::DEFAULT_DATABASE.to_string(),
            description: Some("Default Hive database".to_string()),
            location: self.config.warehouse.clone(),
            owner_name: Some("public".to_string()),
            owner_type: Some(PrincipalType::Role),
            create_time: self.now_seconds(),
            ..Database::default()
        };
        match self.store.create_database(&db).await {
            Ok(()) | Err(strata_core::CatalogError::AlreadyExists(_)) => {}
            Err(e) => return Err(e),
        }
        if let Err(e) = self.storage.mkdirs(&db.location).await {
            tracing::warn!(error = %e, location = %db.location, "could not create the warehouse root");
        }
        Ok(())
    }

    /// A history row for a table-level change, stamped now.
    fn history(&self, actor: &Actor, operation: HistoryOp, db: &str, table: &str) -> HistoryEntry {
        HistoryEntry {
            operation,
            db_name: db.to_string(),
            table_name: table.to_string(),
            actor: actor.user.clone(),
            client_addr: actor.client_addr.clone(),
            request_id: actor.request_id.clone(),
            at_millis: self.now_millis(),
            ..HistoryEntry::default()
        }
    }
}
