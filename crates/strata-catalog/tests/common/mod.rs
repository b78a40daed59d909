//! The one fixture the catalog's integration tests share: a catalog over a real SQLite store
//! and the local file system, in a temporary directory that is removed on drop. By default it
//! runs in track mode on the system clock; [`Fixture::on_clock`] gives the batch-ID policy of a
//! production server (enforce) on a [`ManualClock`] the test moves by hand, so history rows,
//! batch ids and retention windows land at times the test chose.

// Each test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use strata_catalog::{BatchPolicy, Catalog, CatalogConfig, DataSafety};
use strata_core::{
    model::{Actor, Database, FieldSchema, Partition, StorageDescriptor, Table},
    time::{Clock, EpochMillis, ManualClock},
};

/// Where a manual clock starts: 2024-01-01T00:00:00Z.
pub const START: EpochMillis = EpochMillis(1_704_067_200_000);

pub struct Fixture {
    pub catalog: Catalog,
    pub root: PathBuf,
    /// The catalog's clock when it is a manual one ([`Fixture::on_clock`]).
    pub clock: Option<Arc<ManualClock>>,
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with_lock_timeout(Duration::from_secs(60)).await
    }

    pub async fn with_lock_timeout(lock_timeout: Duration) -> Self {
        Self::with(lock_timeout, |_| DataSafety::default()).await
    }

    /// With data-safety settings made from the fixture's root directory.
    pub async fn with(lock_timeout: Duration, data: impl FnOnce(&Path) -> DataSafety) -> Self {
        Self::build(None, |root, config| {
            config.lock_timeout = lock_timeout;
            config.data = data(root);
        })
        .await
    }

    /// Batch-ID mode `enforce` (a production server's default) on a manual clock showing
    /// [`START`].
    pub async fn on_clock() -> Self {
        Self::build(Some(Arc::new(ManualClock::new(START))), |_, config| config.batch = BatchPolicy::default()).await
    }

    /// The catalog with the default settings of these tests (track mode, a minute's lock
    /// timeout, warehouse `<root>/wh`) as changed by `configure`, on `clock` (the system's if
    /// `None`), bootstrapped.
    pub async fn build(clock: Option<Arc<ManualClock>>, configure: impl FnOnce(&Path, &mut CatalogConfig)) -> Self {
        let root = std::env::temp_dir().join(format!("strata-catalog-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).unwrap();
        let mut config = CatalogConfig {
            warehouse: format!("file://{}/wh", root.display()),
            lock_timeout: Duration::from_secs(60),
            max_partitions_per_request: None,
            batch: BatchPolicy::track(),
            data: DataSafety::default(),
            stats: strata_catalog::faststats::FastStats::default(),
        };
        configure(&root, &mut config);
        let store = strata_store::open(&format!("sqlite://{}/s.db", root.display())).await.unwrap();
        store.migrate().await.unwrap();
        let mut builder = Catalog::builder(store, config);
        if let Some(clock) = &clock {
            builder = builder.clock(Arc::clone(clock) as Arc<dyn Clock>);
        }
        let catalog = builder.build();
        catalog.bootstrap().await.unwrap();
        Self { catalog, root, clock }
    }

    /// Move the manual clock forward.
    pub fn advance(&self, d: Duration) -> EpochMillis {
        self.clock.as_ref().expect("a fixture on a manual clock").advance(d)
    }

    /// Set the manual clock to `since_start` after [`START`].
    pub fn set(&self, since_start: Duration) {
        self.clock.as_ref().expect("a fixture on a manual clock").set(START.plus(since_start));
    }

    /// The manual clock's time in milliseconds.
    pub fn now(&self) -> i64 {
        self.clock.as_ref().expect("a fixture on a manual clock").now_millis()
    }

    /// The local path of a `file://` URI.
    pub fn local(uri: &str) -> PathBuf {
        PathBuf::from(uri.strip_prefix("file://").unwrap_or(uri))
    }

    /// Write a data file into directory `uri` (created if missing).
    pub fn write_data(uri: &str, body: &str) {
        let dir = Self::local(uri);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("part-00000"), body).unwrap();
    }

    /// The data file of directory `uri`, if it is there.
    pub fn read_data(uri: &str) -> Option<String> {
        std::fs::read_to_string(Self::local(uri).join("part-00000")).ok()
    }

    /// Database `db` and in it a managed table `t` partitioned by `ds` (a string).
    pub async fn partitioned_table(&self, db: &str, t: &str) -> Table {
        if self.catalog.get_database(db).await.is_err() {
            self.catalog.create_database(Database { name: db.into(), ..Database::default() }).await.unwrap();
        }
        let col = |n: &str| FieldSchema { name: n.into(), type_name: "string".into(), comment: None };
        let mut table =
            Table { db_name: db.into(), name: t.into(), table_type: "MANAGED_TABLE".into(), ..Table::default() };
        table.sd.cols = vec![col("id")];
        table.partition_keys = vec![col("ds")];
        self.catalog.create_table(&actor(), table).await.unwrap()
    }

    /// Add partition `ds=value` where the catalog places it (a batch directory under enforce),
    /// and write a data file there.
    pub async fn add(&self, t: &Table, value: &str) -> Partition {
        let p = Partition { values: vec![value.into()], sd: StorageDescriptor::default(), ..Partition::default() };
        let added = self.catalog.add_partition(&actor(), &t.db_name, &t.name, p).await.unwrap();
        Self::write_data(added.sd.location.as_deref().unwrap(), &format!("{value} at {}", added.create_time));
        added
    }

    /// Point partition `ds=value` at `location` (an engine's INSERT OVERWRITE into a new batch),
    /// after writing data there.
    pub async fn swap(&self, t: &Table, value: &str, location: &str) {
        Self::write_data(location, &format!("{value} in {location}"));
        let mut p = self.catalog.get_partition(&t.db_name, &t.name, &[value.to_string()]).await.unwrap();
        p.sd.location = Some(location.to_string());
        self.catalog.alter_partition(&actor(), &t.db_name, &t.name, p).await.unwrap();
    }

    /// Each partition of `db.t` (a time-travel name works too) with its location, in name order.
    pub async fn partitions(&self, db: &str, t: &str) -> Vec<(Vec<String>, String)> {
        let parts =
            self.catalog.list_partitions(db, t, None, None, strata_catalog::partitions::Limit::All).await.unwrap();
        parts
            .into_iter()
            .map(|p| (p.values, strata_core::location::canonical_or_raw(p.sd.location.as_deref().unwrap_or_default())))
            .collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The user every call of these tests is made as.
pub fn actor() -> Actor {
    Actor { user: "alice".into(), client_addr: "127.0.0.1:1".into(), request_id: uuid::Uuid::new_v4().to_string() }
}

/// A column.
pub fn col(name: &str, type_name: &str) -> FieldSchema {
    FieldSchema { name: name.into(), type_name: type_name.into(), comment: None }
}

/// A managed table with two columns.
pub fn table(db: &str, name: &str) -> Table {
    let mut t = Table { db_name: db.into(), name: name.into(), table_type: "MANAGED_TABLE".into(), ..Table::default() };
    t.sd.cols = vec![col("id", "bigint"), col("name", "string")];
    t
}

/// Database `name`.
pub async fn with_db(f: &Fixture, name: &str) {
    f.catalog.create_database(Database { name: name.into(), ..Database::default() }).await.unwrap();
}

/// Database `db` and in it table `p`, partitioned by `ds` (a string).
pub async fn with_partitioned_table(f: &Fixture) {
    with_db(f, "db").await;
    let mut t = table("db", "p");
    t.partition_keys = vec![col("ds", "string")];
    f.catalog.create_table(&actor(), t).await.unwrap();
}
