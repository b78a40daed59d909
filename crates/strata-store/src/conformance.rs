//! The conformance suite every [`Store`] implementation must pass.
//!
//! Each `case_*` function takes a freshly migrated, empty store and panics on failure. The
//! [`conformance_tests!`](crate::conformance_tests) macro turns the whole list into one
//! `#[tokio::test]` per case for a backend (see `tests/sqlite.rs`, `tests/postgres.rs`).
//!
//! Cases reach below the trait only through [`ConformanceHooks`] (counting descriptor rows,
//! inserting partitions and functions before the trait can), which both stores implement.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use async_trait::async_trait;
use strata_core::{
    error::msg,
    lock::{LockLevel, LockState, LockTarget, LockType},
    model::{
        param, table_type, Database, FieldSchema, HistoryEntry, HistoryOp, LockRequest, Order, Params, PrincipalType,
        SerDeInfo, StorageDescriptor, Table,
    },
    time::{now_millis, EpochSeconds},
    CatalogError, Result,
};
use tokio::sync::Barrier;

use crate::api::{AlterTableOptions, LockFilter, Store};

mod partitions;
mod supertraits;
pub use partitions::*;
pub use supertraits::*;

/// What the suite needs beyond the [`Store`] trait. Test-only; not for the catalog.
#[doc(hidden)]
#[async_trait]
pub trait ConformanceHooks: Store {
    /// Rows in `storage_descriptors`.
    async fn storage_descriptor_count(&self) -> Result<i64>;
    /// Insert a function row into an existing database.
    async fn insert_function(&self, db: &str, name: &str) -> Result<()>;
    /// Rows in `functions`.
    async fn function_count(&self) -> Result<i64>;
    /// Insert a partition of an existing table (shape = the table's, own location).
    async fn insert_partition(&self, db: &str, table: &str, values: &[String], location: &str) -> Result<()>;
    /// `(part_name, location)` of a table's partitions, by part name.
    async fn partition_locations(&self, db: &str, table: &str) -> Result<Vec<(String, Option<String>)>>;
    /// Rows in `partitions` and in `partition_key_values`.
    async fn partition_row_count(&self) -> Result<(i64, i64)>;
    /// Try to update and to delete history rows: whether each attempt was refused.
    async fn try_rewrite_history(&self) -> (bool, bool);
}

/// Locations and the key PostgreSQL's history indexes each under (its last path segment): the
/// store's own function and the SQL function of migration 0009 are both checked against it.
pub const LOCATION_KEYS: &[(&str, &str)] = &[
    ("s3://b/sold_items/20161031/20161102234252/", "20161102234252"),
    ("s3://b/sold_items/20161031/20161102234252", "20161102234252"),
    ("file:///w/t/ds=a/batch=000001//", "batch=000001"),
    ("hdfs://nn:8020/w/t/ds=2016-10-31", "ds=2016-10-31"),
    ("relative", "relative"),
    ("s3://", "s3:"),
    ("///", ""),
    ("", ""),
    ("s3://b/t/é/ü", "ü"),
];

/// The store type the cases take.
pub type TestStore = Arc<dyn ConformanceHooks>;

/// Generate one `#[tokio::test]` per conformance case. `$fixture` is an async fn returning
/// `Option<F>` (`None`: the backend is deliberately skipped, the test passes without running)
/// where `F` has `fn store(&self) -> TestStore` and `async fn teardown(self)`; teardown runs
/// even when the case panics.
#[macro_export]
macro_rules! conformance_tests {
    ($fixture:path) => {
        $crate::conformance_tests!(@cases $fixture;
            case_migrate_is_idempotent,
            case_databases,
            case_drop_database,
            case_tables,
            case_storage_descriptor_dedup,
            case_drop_table,
            case_alter_table,
            case_alter_table_cas,
            case_rename_relocates_partitions,
            case_history,
            case_locks_exclusive,
            case_locks_shared_and_fifo,
            case_locks_expiry,
            case_concurrent_cas,
            case_concurrent_locks,
            case_concurrent_creates,
            case_partitions_add_and_get,
            case_partitions_list,
            case_partition_pages,
            case_partitions_alter,
            case_partitions_rename,
            case_partitions_swap_history,
            case_concurrent_swaps,
            case_dropped_table_is_kept,
            case_exchange_partitions,
            case_partitions_drop,
            case_partition_filters,
            case_partition_filter_differential,
            case_functions,
            case_functions_and_drop_database,
            case_table_stats,
            case_partition_stats,
            case_events,
            case_concurrent_events,
            case_tags,
            case_storage_moves,
            case_move_leases,
            case_live_near,
            case_browse,
        );
    };
    (@cases $fixture:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let Some(fixture) = $fixture().await else {
                    return;
                };
                let outcome = ::futures::FutureExt::catch_unwind(::std::panic::AssertUnwindSafe(
                    $crate::conformance::$case(fixture.store()),
                ))
                .await;
                fixture.teardown().await;
                if let Err(panic) = outcome {
                    ::std::panic::resume_unwind(panic);
                }
            }
        )*
    };
}

// ------------------------------------------------------------------ fixtures

fn database(name: &str) -> Database {
    Database {
        name: name.to_string(),
        description: Some(format!("{name} database")),
        location: format!("file:///warehouse/{name}.db"),
        managed_location: None,
        parameters: Params::new(),
        owner_name: Some("alice".into()),
        owner_type: Some(PrincipalType::User),
        create_time: EpochSeconds(1_700_000_000),
    }
}

fn column(name: &str, type_name: &str) -> FieldSchema {
    FieldSchema { name: name.into(), type_name: type_name.into(), comment: None }
}

fn descriptor(location: Option<String>) -> StorageDescriptor {
    StorageDescriptor {
        cols: vec![
            column("id", "bigint"),
            FieldSchema { comment: Some("amount in cents".into()), ..column("amount", "int") },
        ],
        location,
        input_format: Some("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat".into()),
        output_format: Some("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat".into()),
        compressed: false,
        num_buckets: -1,
        serde_info: Some(SerDeInfo {
            serialization_lib: Some("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe".into()),
            parameters: Params::from_iter([("serialization.format".to_string(), "1".to_string())]),
            ..SerDeInfo::default()
        }),
        bucket_cols: vec![],
        sort_cols: vec![],
        parameters: Params::new(),
        skewed_info: None,
        stored_as_sub_directories: false,
    }
}

fn table(db: &str, name: &str) -> Table {
    Table {
        db_name: db.into(),
        name: name.into(),
        owner: Some("bob".into()),
        owner_type: Some(PrincipalType::User),
        create_time: EpochSeconds(1_700_000_100),
        last_access_time: EpochSeconds(0),
        retention: 0,
        sd: descriptor(Some(format!("file:///warehouse/{db}.db/{name}"))),
        partition_keys: vec![],
        parameters: Params::from_iter([(param::DDL_TIME.to_string(), "1700000100".to_string())]),
        view_original_text: None,
        view_expanded_text: None,
        table_type: table_type::MANAGED.into(),
        temporary: false,
        rewrite_enabled: None,
        id: 0,
    }
}

fn partitioned(db: &str, name: &str) -> Table {
    Table { partition_keys: vec![column("ds", "string")], ..table(db, name) }
}

fn entry(op: HistoryOp, db: &str, table: &str, at_millis: i64) -> HistoryEntry {
    HistoryEntry {
        id: 0,
        operation: op,
        db_name: db.into(),
        table_name: table.into(),
        partition_name: None,
        partition_values: None,
        batch_id: None,
        previous_location: Some(format!("file:///old/{table}")),
        new_location: Some(format!("file:///new/{table}")),
        actor: "carol".into(),
        client_addr: "10.0.0.7:50123".into(),
        request_id: format!("req-{at_millis}"),
        at_millis,
    }
}

fn target(lock_type: LockType, db: &str, table: Option<&str>, partition: Option<&str>) -> LockTarget {
    let level = match (table, partition) {
        (_, Some(_)) => LockLevel::Partition,
        (Some(_), None) => LockLevel::Table,
        (None, None) => LockLevel::Db,
    };
    LockTarget { lock_type, level, db: db.into(), table: table.map(Into::into), partition: partition.map(Into::into) }
}

fn request(components: Vec<LockTarget>) -> LockRequest {
    LockRequest {
        components,
        txn_id: 0,
        user: "dave".into(),
        hostname: "worker-1".into(),
        agent_info: Some("spark".into()),
    }
}

fn excl(db: &str, table: &str) -> LockRequest {
    request(vec![target(LockType::Exclusive, db, Some(table), None)])
}

fn shared(db: &str, table: &str) -> LockRequest {
    request(vec![target(LockType::SharedRead, db, Some(table), None)])
}

/// A history row as read back, with its store-assigned id cleared for comparison.
fn without_id(mut e: HistoryEntry) -> HistoryEntry {
    assert!(e.id > 0, "history ids are assigned by the store");
    e.id = 0;
    e
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

#[track_caller]
fn assert_err<T: std::fmt::Debug>(result: Result<T>, expected: CatalogError) {
    match result {
        Err(e) => assert_eq!(e, expected),
        Ok(v) => panic!("expected {expected:?}, got Ok({v:?})"),
    }
}

const NOW: i64 = 1_700_000_000_000;
/// An expiry threshold that expires nothing in the lock cases.
const NEVER: i64 = 0;

// ------------------------------------------------------------------ cases: migrations, databases

/// `migrate` runs again (also concurrently) without effect; `backend` names the engine.
pub async fn case_migrate_is_idempotent(store: TestStore) {
    store.migrate().await.unwrap();
    let (a, b) = tokio::join!(store.migrate(), store.migrate());
    a.unwrap();
    b.unwrap();
    assert!(matches!(store.backend(), "postgres" | "sqlite"));
    assert!(store.list_databases().await.unwrap().is_empty(), "a fresh store has no databases");
    // The metastore id is made once and then kept, also when two callers race.
    let (a, b) = tokio::join!(store.metastore_uuid(), store.metastore_uuid());
    let id = a.unwrap();
    assert_eq!(b.unwrap(), id);
    assert_eq!(uuid::Uuid::parse_str(&id).map(|u| u.to_string()).ok(), Some(id.clone()));
    assert_eq!(store.metastore_uuid().await.unwrap(), id);
}

/// Create, read, list (bytewise order), alter; duplicate and missing errors.
pub async fn case_databases(store: TestStore) {
    let mut sales = database("sales");
    sales.managed_location = Some("file:///managed/sales.db".into());
    sales.parameters.insert("team".into(), "finance".into());
    sales.owner_type = Some(PrincipalType::Role);
    store.create_database(&sales).await.unwrap();
    assert_eq!(store.get_database("sales").await.unwrap(), Some(sales.clone()));
    assert_eq!(store.get_database("nope").await.unwrap(), None);
    assert_err(store.create_database(&sales).await, CatalogError::AlreadyExists(msg::database_exists("sales")));

    let minimal = Database { name: "ab".into(), location: "file:///ab".into(), ..Database::default() };
    store.create_database(&minimal).await.unwrap();
    assert_eq!(store.get_database("ab").await.unwrap(), Some(minimal));
    for name in ["zeta", "a_c", "default"] {
        store.create_database(&database(name)).await.unwrap();
    }
    // Bytewise order: '_' (0x5f) sorts before 'b' (0x62), whatever the server's locale.
    assert_eq!(store.list_databases().await.unwrap(), strings(&["a_c", "ab", "default", "sales", "zeta"]));

    let mut altered = sales.clone();
    altered.description = None;
    altered.location = "file:///elsewhere/sales.db".into();
    altered.parameters.insert("tier".into(), "gold".into());
    altered.owner_name = Some("erin".into());
    altered.owner_type = Some(PrincipalType::Group);
    store.alter_database(&altered).await.unwrap();
    assert_eq!(store.get_database("sales").await.unwrap(), Some(altered));
    assert_err(
        store.alter_database(&database("ghost")).await,
        CatalogError::NoSuchObject(msg::no_such_database("ghost")),
    );
    assert_eq!(store.get_database("ghost").await.unwrap(), None);
}

/// Non-cascading drops refuse tables, then functions; cascading drops take everything along.
pub async fn case_drop_database(store: TestStore) {
    assert_err(
        store.drop_database("ghost", true, &[]).await,
        CatalogError::NoSuchObject(msg::no_such_database("ghost")),
    );

    store.create_database(&database("d1")).await.unwrap();
    let t2 = table("d1", "t2");
    let t1 = partitioned("d1", "t1");
    store.create_table(&t2, &[]).await.unwrap();
    store.create_table(&t1, &[]).await.unwrap();
    store.insert_function("d1", "f1").await.unwrap();
    store.insert_partition("d1", "t1", &strings(&["2024-01-01"]), "file:///x/ds=2024-01-01").await.unwrap();
    let before = store.list_tables_full("d1").await.unwrap();

    assert_err(
        store.drop_database("d1", false, &[]).await,
        CatalogError::InvalidOperation(msg::database_not_empty_tables("d1")),
    );
    assert_eq!(store.list_tables_full("d1").await.unwrap(), before, "a refused drop changes nothing");

    store.create_database(&database("d2")).await.unwrap();
    store.insert_function("d2", "f2").await.unwrap();
    assert_err(
        store.drop_database("d2", false, &[]).await,
        CatalogError::InvalidOperation(msg::database_not_empty_functions("d2")),
    );
    assert!(store.get_database("d2").await.unwrap().is_some());

    store.create_database(&database("d3")).await.unwrap();
    assert!(store.drop_database("d3", false, &[]).await.unwrap().is_empty());
    assert_eq!(store.get_database("d3").await.unwrap(), None);

    let drop_entry = entry(HistoryOp::DropDatabase, "d1", "", 500);
    let dropped = store.drop_database("d1", true, std::slice::from_ref(&drop_entry)).await.unwrap();
    assert_eq!(dropped, before, "cascade returns the dropped tables, by name");
    assert_eq!(dropped.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["t1", "t2"]);
    assert_eq!(store.get_database("d1").await.unwrap(), None);
    assert!(store.list_tables("d1").await.unwrap().is_empty());
    assert_eq!(store.partition_row_count().await.unwrap(), (0, 0));
    assert_eq!(store.function_count().await.unwrap(), 1, "only d2's function is left");
    let history = store.history("d1", "", None).await.unwrap();
    assert_eq!(history.into_iter().map(without_id).collect::<Vec<_>>(), vec![drop_entry]);

    store.drop_database("d2", true, &[]).await.unwrap();
    assert_eq!(store.function_count().await.unwrap(), 0);

    // Nothing is left behind under the old names.
    store.create_database(&database("d1")).await.unwrap();
    store.create_table(&t1, &[]).await.unwrap();
    assert!(store.partition_locations("d1", "t1").await.unwrap().is_empty());
}

// ------------------------------------------------------------------ cases: tables

/// Create and read back every field; views; listings; duplicate and missing-database errors.
pub async fn case_tables(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let mut orders = partitioned("db", "orders");
    orders.parameters.insert("comment".into(), "order facts".into());
    orders.parameters.insert(param::EXTERNAL.into(), "TRUE".into());
    orders.table_type = table_type::EXTERNAL.into();
    orders.retention = 7;
    orders.last_access_time = EpochSeconds(1_700_000_200);
    orders.rewrite_enabled = Some(false);
    orders.owner_type = Some(PrincipalType::Role);
    orders.sd.bucket_cols = strings(&["id"]);
    orders.sd.num_buckets = 4;
    orders.sd.sort_cols = vec![Order { col: "id".into(), order: 1 }];
    orders.sd.parameters.insert("k".into(), "v".into());
    let id = store.create_table(&orders, &[]).await.unwrap();
    assert!(id > 0);
    orders.id = id;
    assert_eq!(store.get_table("db", "orders").await.unwrap(), Some(orders.clone()));

    let view = Table {
        sd: descriptor(None),
        table_type: table_type::VIRTUAL_VIEW.into(),
        view_original_text: Some("select * from orders".into()),
        view_expanded_text: Some("select `orders`.`id` from `db`.`orders`".into()),
        owner: None,
        owner_type: None,
        parameters: Params::new(),
        ..table("db", "v_orders")
    };
    let view_id = store.create_table(&view, &[]).await.unwrap();
    assert_ne!(view_id, id);
    let view = Table { id: view_id, ..view };
    assert_eq!(store.get_table("db", "v_orders").await.unwrap(), Some(view.clone()));

    let mut temp = table("db", "a_tmp");
    temp.temporary = true;
    temp.id = store.create_table(&temp, &[]).await.unwrap();

    assert_err(store.create_table(&orders, &[]).await, CatalogError::AlreadyExists(msg::table_exists("orders")));
    assert_err(
        store.create_table(&table("nodb", "t"), &[]).await,
        CatalogError::NoSuchObject(msg::no_such_database("nodb")),
    );
    assert_eq!(store.get_table("db", "missing").await.unwrap(), None);
    assert_eq!(store.get_table("nodb", "orders").await.unwrap(), None);

    let summaries = store.list_tables("db").await.unwrap();
    let names: Vec<_> = summaries.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a_tmp", "orders", "v_orders"]);
    assert_eq!(summaries[1].comment.as_deref(), Some("order facts"));
    assert_eq!(summaries[1].table_type, table_type::EXTERNAL);
    assert_eq!(summaries[1].owner.as_deref(), Some("bob"));
    assert_eq!(summaries[1].db_name, "db");
    assert_eq!(summaries[2].comment, None);
    assert_eq!(summaries[2].owner, None);

    assert_eq!(store.list_tables_full("db").await.unwrap(), vec![temp.clone(), orders.clone(), view.clone()]);
    assert_eq!(
        store.get_tables("db", &strings(&["v_orders", "missing", "orders", "orders"])).await.unwrap(),
        vec![orders, view]
    );
    assert!(store.get_tables("db", &[]).await.unwrap().is_empty());
    assert!(store.get_tables("nodb", &strings(&["orders"])).await.unwrap().is_empty());
    assert!(store.list_tables("nodb").await.unwrap().is_empty());
    assert!(store.list_tables_full("nodb").await.unwrap().is_empty());
}

/// Descriptors are stored once per shape, whatever the locations; alters and partitions reuse them.
pub async fn case_storage_descriptor_dedup(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let base = store.storage_descriptor_count().await.unwrap();
    store.create_table(&partitioned("db", "t1"), &[]).await.unwrap();
    assert_eq!(store.storage_descriptor_count().await.unwrap(), base + 1);
    let mut t2 = partitioned("db", "t2");
    t2.sd.location = Some("s3://elsewhere/t2".into());
    store.create_table(&t2, &[]).await.unwrap();
    assert_eq!(store.storage_descriptor_count().await.unwrap(), base + 1, "same shape, other location: shared");
    assert_eq!(store.get_table("db", "t2").await.unwrap().unwrap().location(), Some("s3://elsewhere/t2"));

    let mut t3 = partitioned("db", "t3");
    t3.sd.cols.push(column("note", "string"));
    store.create_table(&t3, &[]).await.unwrap();
    assert_eq!(store.storage_descriptor_count().await.unwrap(), base + 2);

    // Altering t3 back to the common shape stores nothing new and keeps t3's location.
    let mut t3_new = partitioned("db", "t3");
    t3_new.sd.location = Some("s3://t3-home".into());
    store.alter_table("db", "t3", &t3_new, &AlterTableOptions::default()).await.unwrap();
    assert_eq!(store.storage_descriptor_count().await.unwrap(), base + 2);
    let read = store.get_table("db", "t3").await.unwrap().unwrap();
    assert_eq!(read.sd, t3_new.sd);

    for day in 1..=5 {
        let value = format!("2024-01-0{day}");
        store
            .insert_partition(
                "db",
                "t1",
                std::slice::from_ref(&value),
                &format!("file:///warehouse/db.db/t1/ds={value}"),
            )
            .await
            .unwrap();
    }
    assert_eq!(store.storage_descriptor_count().await.unwrap(), base + 2, "partitions share the table's shape");
    assert_eq!(store.partition_row_count().await.unwrap(), (5, 5));
}

/// Drops remove the table with its partitions and append history; missing tables fail.
pub async fn case_drop_table(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    assert_err(
        store.drop_table("db", "ghost", &[]).await,
        CatalogError::NoSuchObject(msg::table_doesnt_exist("ghost")),
    );
    assert_err(
        store.drop_table("nodb", "ghost", &[]).await,
        CatalogError::NoSuchObject(msg::table_doesnt_exist("ghost")),
    );

    let old_id = store.create_table(&partitioned("db", "t"), &[]).await.unwrap();
    store.create_table(&table("db", "keep"), &[]).await.unwrap();
    for v in ["a", "b"] {
        store.insert_partition("db", "t", &strings(&[v]), &format!("file:///p/{v}")).await.unwrap();
    }
    let dropped = entry(HistoryOp::DropTable, "db", "t", 42);
    store.drop_table("db", "t", std::slice::from_ref(&dropped)).await.unwrap();
    assert_eq!(store.get_table("db", "t").await.unwrap(), None);
    assert!(store.get_table("db", "keep").await.unwrap().is_some());
    assert_eq!(store.partition_row_count().await.unwrap(), (0, 0));
    let history = store.history("db", "t", None).await.unwrap();
    assert_eq!(history.into_iter().map(without_id).collect::<Vec<_>>(), vec![dropped]);
    assert_err(store.drop_table("db", "t", &[]).await, CatalogError::NoSuchObject(msg::table_doesnt_exist("t")));

    let new_id = store.create_table(&partitioned("db", "t"), &[]).await.unwrap();
    assert_ne!(new_id, old_id, "ids are not reused");
    assert!(store.partition_locations("db", "t").await.unwrap().is_empty());
}

/// Replacing fields, renames within and across databases, and their errors.
pub async fn case_alter_table(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    store.create_database(&database("db2")).await.unwrap();
    let id = store.create_table(&table("db", "t1"), &[]).await.unwrap();

    let mut new = table("db", "t1");
    new.sd.cols.push(column("extra", "string"));
    new.sd.location = Some("s3://moved/t1".into());
    new.parameters.insert("comment".into(), "changed".into());
    new.owner = Some("frank".into());
    new.retention = 3;
    store.alter_table("db", "t1", &new, &AlterTableOptions::default()).await.unwrap();
    assert_eq!(store.get_table("db", "t1").await.unwrap(), Some(Table { id, ..new.clone() }));

    assert_err(
        store.alter_table("db", "ghost", &table("db", "ghost"), &AlterTableOptions::default()).await,
        CatalogError::InvalidOperation(msg::alter_missing_table("db", "ghost")),
    );

    let renamed = Table { name: "t9".into(), ..new.clone() };
    store.alter_table("db", "t1", &renamed, &AlterTableOptions::default()).await.unwrap();
    assert_eq!(store.get_table("db", "t1").await.unwrap(), None);
    assert_eq!(store.get_table("db", "t9").await.unwrap(), Some(Table { id, ..renamed.clone() }));

    store.create_table(&table("db", "t2"), &[]).await.unwrap();
    let clash = Table { name: "t2".into(), ..renamed.clone() };
    assert_err(
        store.alter_table("db", "t9", &clash, &AlterTableOptions::default()).await,
        CatalogError::InvalidOperation(msg::rename_target_exists("db", "t2")),
    );
    assert_eq!(store.get_table("db", "t9").await.unwrap().map(|t| t.sd), Some(renamed.sd.clone()));

    let moved = Table { db_name: "db2".into(), ..renamed.clone() };
    store.alter_table("db", "t9", &moved, &AlterTableOptions::default()).await.unwrap();
    assert_eq!(store.get_table("db", "t9").await.unwrap(), None);
    assert_eq!(store.get_table("db2", "t9").await.unwrap(), Some(Table { id, ..moved.clone() }));
    assert_eq!(store.list_tables("db").await.unwrap().len(), 1);

    let nowhere = Table { db_name: "nodb".into(), ..moved.clone() };
    match store.alter_table("db2", "t9", &nowhere, &AlterTableOptions::default()).await {
        Err(CatalogError::InvalidOperation(m)) => assert!(m.contains("nodb"), "{m}"),
        other => panic!("rename into a missing database: {other:?}"),
    }
    assert!(store.get_table("db2", "t9").await.unwrap().is_some());
}

/// Compare-and-swap on a parameter: success, mismatch (value and absent), missing new value.
pub async fn case_alter_table_cas(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let mut t = table("db", "ice");
    t.parameters.insert("metadata_location".into(), "s3://m/v1.json".into());
    store.create_table(&t, &[]).await.unwrap();

    let cas = |expected: &str, history: Vec<HistoryEntry>| AlterTableOptions {
        expected_param: Some(("metadata_location".into(), expected.into())),
        relocate_partitions: None,
        history,
    };
    let mut v2 = t.clone();
    v2.parameters.insert("metadata_location".into(), "s3://m/v2.json".into());
    store.alter_table("db", "ice", &v2, &cas("s3://m/v1.json", vec![])).await.unwrap();
    let read = store.get_table("db", "ice").await.unwrap().unwrap();
    assert_eq!(read.parameters.get("metadata_location").unwrap().as_str(), "s3://m/v2.json");

    let mut v3 = t.clone();
    v3.parameters.insert("metadata_location".into(), "s3://m/v3.json".into());
    let attempt = entry(HistoryOp::AlterTable, "db", "ice", 7);
    assert_err(
        store.alter_table("db", "ice", &v3, &cas("s3://m/v1.json", vec![attempt])).await,
        CatalogError::Meta(msg::cas_mismatch("metadata_location", Some("s3://m/v2.json"), "s3://m/v1.json")),
    );
    assert_eq!(
        store.get_table("db", "ice").await.unwrap().unwrap().parameters.get("metadata_location").unwrap().as_str(),
        "s3://m/v2.json"
    );
    assert!(store.history("db", "ice", None).await.unwrap().is_empty(), "a failed alter appends no history");

    let mut other = v3.clone();
    other.parameters.insert("other".into(), "y".into());
    let expect_other =
        AlterTableOptions { expected_param: Some(("other".into(), "x".into())), ..AlterTableOptions::default() };
    assert_err(
        store.alter_table("db", "ice", &other, &expect_other).await,
        CatalogError::Meta(msg::cas_mismatch("other", None, "x")),
    );

    let mut lacking = v3.clone();
    lacking.parameters.remove("metadata_location");
    assert_err(
        store.alter_table("db", "ice", &lacking, &cas("s3://m/v2.json", vec![])).await,
        CatalogError::Meta(msg::cas_new_value_missing("metadata_location")),
    );

    store.alter_table("db", "ice", &v3, &cas("s3://m/v2.json", vec![])).await.unwrap();
    assert_eq!(
        store.get_table("db", "ice").await.unwrap().unwrap().parameters.get("metadata_location").unwrap().as_str(),
        "s3://m/v3.json"
    );
}

/// A rename that moves the table directory rewrites partition locations under it (on path
/// boundaries only), records one history row per moved partition, all in one transaction.
pub async fn case_rename_relocates_partitions(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let old_dir = "s3://wh/db.db/events";
    let new_dir = "s3://wh/db.db/events2";
    let mut events = partitioned("db", "events");
    events.sd.location = Some(old_dir.into());
    store.create_table(&events, &[]).await.unwrap();
    let parts = [
        ("1", format!("{old_dir}/ds=1")),
        ("2", format!("{old_dir}/ds=2")),
        ("3", "s3://other/ds=3".to_string()),
        ("4", "s3://wh/db.db/events_old/ds=4".to_string()),
    ];
    for (v, loc) in &parts {
        store.insert_partition("db", "events", &strings(&[v]), loc).await.unwrap();
    }

    // A failing rename moves nothing.
    store.create_table(&table("db", "taken"), &[]).await.unwrap();
    let clash = Table { name: "taken".into(), ..events.clone() };
    let relocate = AlterTableOptions {
        relocate_partitions: Some((format!("{old_dir}/"), new_dir.to_string())),
        history: vec![entry(HistoryOp::AlterTable, "db", "events2", 1_000)],
        ..AlterTableOptions::default()
    };
    assert!(store.alter_table("db", "events", &clash, &relocate).await.is_err());
    assert_eq!(store.partition_locations("db", "events").await.unwrap()[0].1.as_deref(), Some(parts[0].1.as_str()));

    let mut renamed = Table { name: "events2".into(), ..events.clone() };
    renamed.sd.location = Some(new_dir.into());
    store.alter_table("db", "events", &renamed, &relocate).await.unwrap();
    let locations = store.partition_locations("db", "events2").await.unwrap();
    assert_eq!(
        locations,
        vec![
            ("ds=1".to_string(), Some(format!("{new_dir}/ds=1"))),
            ("ds=2".to_string(), Some(format!("{new_dir}/ds=2"))),
            ("ds=3".to_string(), Some(parts[2].1.clone())),
            ("ds=4".to_string(), Some(parts[3].1.clone())),
        ]
    );
    assert!(store.partition_locations("db", "events").await.unwrap().is_empty());

    let history: Vec<_> = store.history("db", "events2", None).await.unwrap().into_iter().map(without_id).collect();
    let template = &relocate.history[0];
    let moved = |v: &str| HistoryEntry {
        operation: HistoryOp::AlterPartition,
        partition_name: Some(format!("ds={v}")),
        partition_values: Some(strings(&[v])),
        batch_id: None,
        previous_location: Some(format!("{old_dir}/ds={v}")),
        new_location: Some(format!("{new_dir}/ds={v}")),
        ..template.clone()
    };
    assert_eq!(history, vec![template.clone(), moved("1"), moved("2")]);

    // Without history rows to copy from, partitions still move and no rows are invented.
    let back = Table { name: "events3".into(), ..renamed.clone() };
    let quiet = AlterTableOptions {
        relocate_partitions: Some((new_dir.to_string(), "s3://wh/db.db/events3".to_string())),
        ..AlterTableOptions::default()
    };
    store.alter_table("db", "events2", &back, &quiet).await.unwrap();
    assert_eq!(
        store.partition_locations("db", "events3").await.unwrap()[1].1.as_deref(),
        Some("s3://wh/db.db/events3/ds=2")
    );
    assert!(store.history("db", "events3", None).await.unwrap().is_empty());
}

// ------------------------------------------------------------------ cases: history

/// Append and read back: order, `since`, isolation per table, atomicity, append-only.
pub async fn case_history(store: TestStore) {
    let e300 = entry(HistoryOp::TruncateTable, "db", "t", 300);
    let e100 = entry(HistoryOp::CreateTable, "db", "t", 100);
    let e200 = HistoryEntry {
        operation: HistoryOp::AddPartition,
        partition_name: Some("ds=2024-01-01/hr=a%2Fb".into()),
        partition_values: Some(strings(&["2024-01-01", "a/b"])),
        batch_id: Some("batch-0001".into()),
        previous_location: None,
        ..entry(HistoryOp::AddPartition, "db", "t", 200)
    };
    let other = entry(HistoryOp::CreateTable, "db", "other", 150);
    // Every character a location or name may carry survives the trip (PostgreSQL appends with
    // COPY's text format, which escapes some of them).
    let odd = HistoryEntry {
        previous_location: Some("file:///tab\there/new\nline/back\\slash/cr\r/\\N/é".into()),
        new_location: Some("s3://b/\\N".into()),
        actor: "\\N".into(),
        ..entry(HistoryOp::AlterTable, "db", "odd", 150)
    };
    store.append_history(&[e300.clone(), e100.clone()]).await.unwrap();
    store.append_history(&[e200.clone(), other.clone(), odd.clone()]).await.unwrap();
    let odd_read: Vec<_> = store.history("db", "odd", None).await.unwrap().into_iter().map(without_id).collect();
    assert_eq!(odd_read, vec![odd.clone()]);
    // Many rows at once (PostgreSQL switches to COPY), in order, odd characters included.
    let many: Vec<HistoryEntry> = (0..100)
        .map(|i| HistoryEntry { request_id: format!("odd-{i}"), table_name: "odd_many".into(), ..odd.clone() })
        .collect();
    store.append_history(&many).await.unwrap();
    let many_read: Vec<_> = store.history("db", "odd_many", None).await.unwrap().into_iter().map(without_id).collect();
    assert_eq!(many_read, many);
    store.append_history(&[]).await.unwrap();

    let all = store.history("db", "t", None).await.unwrap();
    let ids: Vec<i64> = all.iter().map(|e| e.id).collect();
    assert!(ids.iter().all(|id| *id > 0));
    // Read in append order (300, 100, 200), whatever the times say: ids are the order writes
    // committed in, which is what keeps each partition's chain exact.
    assert!(ids[0] < ids[1] && ids[1] < ids[2], "ids follow append order: {ids:?}");
    assert_eq!(all.into_iter().map(without_id).collect::<Vec<_>>(), vec![e300.clone(), e100, e200.clone()]);
    let since: Vec<_> = store.history("db", "t", Some(200)).await.unwrap().into_iter().map(without_id).collect();
    assert_eq!(since, vec![e300, e200]);
    assert!(store.history("db", "t", Some(301)).await.unwrap().is_empty());
    assert_eq!(store.history("db", "other", None).await.unwrap().len(), 1);
    assert!(store.history("db", "nothing", None).await.unwrap().is_empty());

    // Rows go in with the change they record, or not at all.
    store.create_database(&database("db")).await.unwrap();
    let created = entry(HistoryOp::CreateTable, "db", "fresh", 400);
    store.create_table(&table("db", "fresh"), std::slice::from_ref(&created)).await.unwrap();
    assert!(store
        .create_table(&table("db", "fresh"), &[entry(HistoryOp::CreateTable, "db", "fresh", 401)])
        .await
        .is_err());
    let fresh: Vec<_> = store.history("db", "fresh", None).await.unwrap().into_iter().map(without_id).collect();
    assert_eq!(fresh, vec![created]);

    let before = store.history("db", "t", None).await.unwrap();
    assert_eq!(store.try_rewrite_history().await, (true, true), "history refuses UPDATE and DELETE");
    assert_eq!(store.history("db", "t", None).await.unwrap(), before);
}

// ------------------------------------------------------------------ cases: locks

/// Exclusive against exclusive waits; release lets the waiter acquire; unknown ids fail.
pub async fn case_locks_exclusive(store: TestStore) {
    let a = store.lock(&excl("db", "t"), NOW, NEVER).await.unwrap();
    assert_eq!(a.state, LockState::Acquired);
    assert!(a.lock_id > 0);
    let b = store.lock(&excl("db", "t"), NOW + 1, NEVER).await.unwrap();
    assert_eq!(b.state, LockState::Waiting);
    assert!(b.lock_id > a.lock_id);
    assert_eq!(store.check_lock(b.lock_id, NOW + 2, NEVER).await.unwrap().state, LockState::Waiting);
    let c = store.lock(&excl("db", "other"), NOW + 3, NEVER).await.unwrap();
    assert_eq!(c.state, LockState::Acquired, "other tables are independent");
    let d = store.lock(&excl("db2", "t"), NOW + 3, NEVER).await.unwrap();
    assert_eq!(d.state, LockState::Acquired, "other databases are independent");

    let all = store.show_locks(&LockFilter::default()).await.unwrap();
    assert_eq!(
        all.iter().map(|l| (l.lock_id, l.state)).collect::<Vec<_>>(),
        vec![
            (a.lock_id, LockState::Acquired),
            (b.lock_id, LockState::Waiting),
            (c.lock_id, LockState::Acquired),
            (d.lock_id, LockState::Acquired),
        ]
    );
    let first = &all[0];
    assert_eq!(first.target, target(LockType::Exclusive, "db", Some("t"), None));
    assert_eq!(
        (first.user.as_str(), first.hostname.as_str(), first.agent_info.as_deref()),
        ("dave", "worker-1", Some("spark"))
    );
    assert_eq!((first.txn_id, first.last_heartbeat_millis, first.acquired_at_millis), (0, NOW, Some(NOW)));
    assert_eq!(all[1].acquired_at_millis, None);
    assert_eq!(all[1].last_heartbeat_millis, NOW + 2, "check_lock refreshes the heartbeat");
    let on_t = LockFilter { db: Some("db".into()), table: Some("t".into()), partition: None };
    assert_eq!(store.show_locks(&on_t).await.unwrap().len(), 2);
    let on_db = LockFilter { db: Some("db".into()), ..LockFilter::default() };
    assert_eq!(store.show_locks(&on_db).await.unwrap().len(), 3);
    assert!(store.show_locks(&LockFilter { db: Some("x".into()), ..LockFilter::default() }).await.unwrap().is_empty());

    store.unlock(a.lock_id).await.unwrap();
    assert_eq!(store.check_lock(b.lock_id, NOW + 10, NEVER).await.unwrap().state, LockState::Acquired);
    let b_info = store.show_locks(&on_t).await.unwrap();
    assert_eq!(b_info.len(), 1);
    assert_eq!((b_info[0].state, b_info[0].acquired_at_millis), (LockState::Acquired, Some(NOW + 10)));
    assert_eq!(store.check_lock(b.lock_id, NOW + 11, NEVER).await.unwrap().state, LockState::Acquired);

    let no_a = CatalogError::NoSuchLock(msg::no_such_lock(a.lock_id));
    assert_err(store.unlock(a.lock_id).await, no_a.clone());
    assert_err(store.check_lock(a.lock_id, NOW, NEVER).await, no_a.clone());
    assert_err(store.heartbeat(a.lock_id, NOW).await, no_a);
    assert_err(store.heartbeat(999_999, NOW).await, CatalogError::NoSuchLock(msg::no_such_lock(999_999)));
    store.heartbeat(b.lock_id, NOW + 20).await.unwrap();
    assert!(matches!(store.lock(&request(vec![]), NOW, NEVER).await, Err(CatalogError::Meta(_))));
}

/// Shared locks coexist; an exclusive request queues behind them and later requests queue
/// behind it (first come, first served); levels and multi-component requests.
pub async fn case_locks_shared_and_fifo(store: TestStore) {
    let r1 = store.lock(&shared("db", "t"), NOW, NEVER).await.unwrap();
    let r2 = store.lock(&shared("db", "t"), NOW, NEVER).await.unwrap();
    let sw =
        store.lock(&request(vec![target(LockType::SharedWrite, "db", Some("t"), None)]), NOW, NEVER).await.unwrap();
    assert_eq!((r1.state, r2.state, sw.state), (LockState::Acquired, LockState::Acquired, LockState::Acquired));
    let x = store.lock(&excl("db", "t"), NOW, NEVER).await.unwrap();
    assert_eq!(x.state, LockState::Waiting);
    let r3 = store.lock(&shared("db", "t"), NOW, NEVER).await.unwrap();
    assert_eq!(r3.state, LockState::Waiting, "a reader queues behind an earlier waiting writer");

    for id in [r1.lock_id, r2.lock_id, sw.lock_id] {
        store.unlock(id).await.unwrap();
    }
    assert_eq!(store.check_lock(r3.lock_id, NOW, NEVER).await.unwrap().state, LockState::Waiting);
    assert_eq!(store.check_lock(x.lock_id, NOW, NEVER).await.unwrap().state, LockState::Acquired);
    assert_eq!(store.check_lock(r3.lock_id, NOW, NEVER).await.unwrap().state, LockState::Waiting);
    store.unlock(x.lock_id).await.unwrap();
    assert_eq!(store.check_lock(r3.lock_id, NOW, NEVER).await.unwrap().state, LockState::Acquired);

    // A database lock covers its tables; partitions of one table are independent.
    let db_x = store.lock(&request(vec![target(LockType::Exclusive, "db", None, None)]), NOW, NEVER).await.unwrap();
    assert_eq!(db_x.state, LockState::Waiting, "r3 holds a table of the database");
    let p1 = store
        .lock(&request(vec![target(LockType::Exclusive, "pdb", Some("p"), Some("ds=1"))]), NOW, NEVER)
        .await
        .unwrap();
    let p2 = store
        .lock(&request(vec![target(LockType::Exclusive, "pdb", Some("p"), Some("ds=2"))]), NOW, NEVER)
        .await
        .unwrap();
    assert_eq!((p1.state, p2.state), (LockState::Acquired, LockState::Acquired));
    let whole = store.lock(&excl("pdb", "p"), NOW, NEVER).await.unwrap();
    assert_eq!(whole.state, LockState::Waiting, "a table lock waits for its partitions");
    let by_partition = LockFilter { db: Some("pdb".into()), table: Some("p".into()), partition: Some("ds=1".into()) };
    assert_eq!(store.show_locks(&by_partition).await.unwrap().len(), 1);

    // Multi-component: waits if any component conflicts; all components share the id and state.
    let held = store.lock(&excl("m", "b"), NOW, NEVER).await.unwrap();
    let both = request(vec![
        target(LockType::Exclusive, "m", Some("a"), None),
        target(LockType::SharedRead, "m", Some("b"), None),
    ]);
    let multi = store.lock(&both, NOW, NEVER).await.unwrap();
    assert_eq!(multi.state, LockState::Waiting);
    let rows = store.show_locks(&LockFilter { db: Some("m".into()), ..LockFilter::default() }).await.unwrap();
    assert_eq!(rows.iter().filter(|l| l.lock_id == multi.lock_id).count(), 2);
    store.unlock(held.lock_id).await.unwrap();
    assert_eq!(store.check_lock(multi.lock_id, NOW, NEVER).await.unwrap().state, LockState::Acquired);
    let rows = store.show_locks(&LockFilter { db: Some("m".into()), ..LockFilter::default() }).await.unwrap();
    assert!(rows.iter().all(|l| l.state == LockState::Acquired && l.lock_id == multi.lock_id));
    store.unlock(multi.lock_id).await.unwrap();
    assert!(store.show_locks(&LockFilter { db: Some("m".into()), ..LockFilter::default() }).await.unwrap().is_empty());
}

/// Locks outside transactions expire when their heartbeat is older than the threshold.
pub async fn case_locks_expiry(store: TestStore) {
    let a = store.lock(&excl("db", "t"), 1_000, NEVER).await.unwrap();
    let b = store.lock(&excl("db", "t"), 2_000, NEVER).await.unwrap();
    assert_eq!((a.state, b.state), (LockState::Acquired, LockState::Waiting));
    store.heartbeat(b.lock_id, 5_000).await.unwrap();
    let in_txn = store.lock(&LockRequest { txn_id: 7, ..excl("db", "txn") }, 1_000, NEVER).await.unwrap();

    // a's heartbeat (1000) is older than 3000, b's (5000) is not.
    assert_eq!(store.check_lock(b.lock_id, 6_000, 3_000).await.unwrap().state, LockState::Acquired);
    let ids: Vec<i64> = store.show_locks(&LockFilter::default()).await.unwrap().iter().map(|l| l.lock_id).collect();
    assert_eq!(ids, vec![b.lock_id, in_txn.lock_id], "transactional locks do not expire here");
    assert_err(store.check_lock(a.lock_id, 6_000, 3_000).await, CatalogError::NoSuchLock(msg::no_such_lock(a.lock_id)));
    assert_err(store.unlock(a.lock_id).await, CatalogError::NoSuchLock(msg::no_such_lock(a.lock_id)));

    // A lock request expires stale locks before it checks for conflicts.
    let c = store.lock(&excl("db", "t"), 100_000, 50_000).await.unwrap();
    assert_eq!(c.state, LockState::Acquired, "b's last heartbeat (6000) expired");
    // A lock that expires itself is gone when it is checked.
    assert_err(
        store.check_lock(c.lock_id, 200_000, 150_000).await,
        CatalogError::NoSuchLock(msg::no_such_lock(c.lock_id)),
    );
    let ids: Vec<i64> = store.show_locks(&LockFilter::default()).await.unwrap().iter().map(|l| l.lock_id).collect();
    assert_eq!(ids, vec![in_txn.lock_id]);
}

// ------------------------------------------------------------------ cases: concurrency

const WORKERS: usize = 8;

/// Eight tasks race compare-and-swap alters on one table for several rounds: exactly one wins
/// each round, the others see the winner's value, and no update is lost.
pub async fn case_concurrent_cas(store: TestStore) {
    const ROUNDS: usize = 5;
    store.create_database(&database("db")).await.unwrap();
    let mut t = table("db", "ice");
    t.parameters.insert("version".into(), "0".into());
    t.parameters.insert("log".into(), String::new());
    store.create_table(&t, &[]).await.unwrap();

    let barrier = Arc::new(Barrier::new(WORKERS));
    let wins = Arc::new(Mutex::new(vec![Vec::new(); ROUNDS]));
    let mut tasks = Vec::new();
    for worker in 0..WORKERS {
        let (store, barrier, wins) = (store.clone(), barrier.clone(), wins.clone());
        tasks.push(tokio::spawn(async move {
            for round in 0..ROUNDS {
                barrier.wait().await;
                let mut new = store.get_table("db", "ice").await.unwrap().unwrap();
                new.parameters.insert("version".into(), (round + 1).to_string());
                let log = format!("{}{worker},", new.parameters.get("log").unwrap().as_str());
                new.parameters.insert("log".into(), log);
                let options = AlterTableOptions {
                    expected_param: Some(("version".into(), round.to_string())),
                    history: vec![entry(HistoryOp::AlterTable, "db", "ice", i64::try_from(round).unwrap())],
                    ..AlterTableOptions::default()
                };
                match store.alter_table("db", "ice", &new, &options).await {
                    Ok(()) => wins.lock().unwrap()[round].push(worker),
                    Err(e) => assert_eq!(
                        e,
                        CatalogError::Meta(msg::cas_mismatch(
                            "version",
                            Some(&(round + 1).to_string()),
                            &round.to_string()
                        ))
                    ),
                }
                barrier.wait().await;
            }
        }));
    }
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(120), task).await.expect("CAS workers finish").unwrap();
    }
    let wins = wins.lock().unwrap().clone();
    assert!(wins.iter().all(|w| w.len() == 1), "exactly one winner per round: {wins:?}");
    let read = store.get_table("db", "ice").await.unwrap().unwrap();
    assert_eq!(read.parameters.get("version").unwrap().as_str(), ROUNDS.to_string());
    let expected_log: String = wins.iter().map(|w| format!("{},", w[0])).collect();
    assert_eq!(read.parameters.get("log").unwrap().as_str(), expected_log, "no lost update");
    assert_eq!(store.history("db", "ice", None).await.unwrap().len(), ROUNDS, "history only from winners");
}

/// Eight tasks request an exclusive lock on one table at once: one acquires, the rest wait,
/// and as each holder releases the next acquires; never two holders at a time.
pub async fn case_concurrent_locks(store: TestStore) {
    let barrier = Arc::new(Barrier::new(WORKERS));
    let first_states = Arc::new(Mutex::new(Vec::new()));
    let holders = Arc::new(AtomicUsize::new(0));
    let served = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..WORKERS {
        let (store, barrier, first_states, holders, served) =
            (store.clone(), barrier.clone(), first_states.clone(), holders.clone(), served.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let now = now_millis();
            let mut outcome = store.lock(&excl("db", "hot"), now, now - 600_000).await.unwrap();
            first_states.lock().unwrap().push(outcome.state);
            barrier.wait().await;
            while outcome.state != LockState::Acquired {
                tokio::time::sleep(Duration::from_millis(5)).await;
                let now = now_millis();
                outcome = store.check_lock(outcome.lock_id, now, now - 600_000).await.unwrap();
            }
            assert_eq!(holders.fetch_add(1, Ordering::SeqCst), 0, "two holders at once");
            let acquired = store
                .show_locks(&LockFilter { db: Some("db".into()), table: Some("hot".into()), partition: None })
                .await
                .unwrap()
                .iter()
                .filter(|l| l.state == LockState::Acquired)
                .count();
            assert_eq!(acquired, 1);
            tokio::time::sleep(Duration::from_millis(10)).await;
            holders.fetch_sub(1, Ordering::SeqCst);
            served.fetch_add(1, Ordering::SeqCst);
            store.unlock(outcome.lock_id).await.unwrap();
        }));
    }
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(120), task).await.expect("lock workers finish").unwrap();
    }
    let states = first_states.lock().unwrap().clone();
    assert_eq!(states.iter().filter(|s| **s == LockState::Acquired).count(), 1, "{states:?}");
    assert_eq!(served.load(Ordering::SeqCst), WORKERS);
    assert!(store.show_locks(&LockFilter::default()).await.unwrap().is_empty());
}

/// Concurrent creates of one name: one succeeds. Concurrent creates of one new shape: one
/// descriptor row.
pub async fn case_concurrent_creates(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let barrier = Arc::new(Barrier::new(WORKERS));
    let mut tasks = Vec::new();
    for _ in 0..WORKERS {
        let (store, barrier) = (store.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            store.create_table(&table("db", "dup"), &[]).await
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(e) => assert_eq!(e, CatalogError::AlreadyExists(msg::table_exists("dup"))),
        }
    }
    assert_eq!(created, 1);

    let base = store.storage_descriptor_count().await.unwrap();
    let mut tasks = Vec::new();
    for worker in 0..WORKERS {
        let (store, barrier) = (store.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let mut t = table("db", &format!("s{worker}"));
            t.sd.cols.push(column("fresh_shape", "string"));
            barrier.wait().await;
            store.create_table(&t, &[]).await.unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(store.storage_descriptor_count().await.unwrap(), base + 1);
    assert_eq!(store.list_tables("db").await.unwrap().len(), WORKERS + 1);
}
