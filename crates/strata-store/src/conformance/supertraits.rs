//! Conformance cases of the [`Store`](crate::Store)'s supertraits: functions, column
//! statistics, the notification log, tags, storage moves and the admin reads. Listed in
//! [`conformance_tests!`](crate::conformance_tests) with the rest of the suite.

use std::sync::Arc;

use strata_core::{
    error::msg,
    model::{
        function_msg, resource_type, stats_msg, BinaryStats, BooleanStats, ColumnStats, ColumnStatsData, DecimalValue,
        Function, HistoryOp, NotificationEvent, RangeStats, ResourceUri, StringStats, FUNCTION_TYPE_JAVA,
        MESSAGE_FORMAT,
    },
    model::{table_type, Database, FieldSchema, HistoryEntry, Partition, PrincipalType, StorageDescriptor, Table},
    time::EpochSeconds,
    CatalogError, Result,
};
use tokio::sync::Barrier;

use crate::conformance::TestStore;

// ------------------------------------------------------------------ fixtures

fn database(name: &str) -> Database {
    Database { name: name.into(), location: format!("file:///wh/{name}.db"), ..Database::default() }
}

fn column(name: &str, type_name: &str) -> FieldSchema {
    FieldSchema { name: name.into(), type_name: type_name.into(), comment: None }
}

fn table(db: &str, name: &str, partitioned: bool) -> Table {
    Table {
        db_name: db.into(),
        name: name.into(),
        table_type: table_type::MANAGED.into(),
        sd: StorageDescriptor {
            cols: vec![column("id", "bigint"), column("name", "string")],
            location: Some(format!("file:///wh/{db}.db/{name}")),
            num_buckets: -1,
            ..StorageDescriptor::default()
        },
        partition_keys: if partitioned { vec![column("ds", "string")] } else { vec![] },
        ..Table::default()
    }
}

fn function(db: &str, name: &str) -> Function {
    Function {
        db_name: db.into(),
        name: name.into(),
        class_name: "com.example.Upper".into(),
        owner_name: Some("alice".into()),
        owner_type: Some(PrincipalType::User),
        create_time: EpochSeconds(1_700_000_000),
        function_type: FUNCTION_TYPE_JAVA,
        resource_uris: vec![
            ResourceUri { resource_type: resource_type::JAR, uri: "s3://jars/udf.jar".into() },
            ResourceUri { resource_type: resource_type::FILE, uri: "s3://files/dict.txt".into() },
        ],
    }
}

fn long_stats(name: &str, low: i64, high: i64) -> ColumnStats {
    ColumnStats {
        column_name: name.into(),
        column_type: "bigint".into(),
        data: ColumnStatsData::Long(RangeStats {
            low_value: Some(low),
            high_value: Some(high),
            num_nulls: 1,
            num_dvs: 10,
            bit_vectors: Some(vec![0x48, 0x4c, 0x4c, 0x00, 0xff]),
            histogram: Some(vec![1, 2, 3]),
        }),
    }
}

fn string_stats(name: &str) -> ColumnStats {
    ColumnStats {
        column_name: name.into(),
        column_type: "string".into(),
        data: ColumnStatsData::String(StringStats {
            max_col_len: 12,
            avg_col_len: 5.5,
            num_nulls: 0,
            num_dvs: 3,
            bit_vectors: None,
        }),
    }
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

fn event(event_type: &str, db: &str, table: Option<&str>) -> NotificationEvent {
    NotificationEvent {
        event_id: 0,
        event_time: EpochSeconds(1_700_000_000),
        event_type: event_type.into(),
        catalog_name: Some("hive".into()),
        db_name: Some(db.into()),
        table_name: table.map(Into::into),
        message: format!("{{\"db\":\"{db}\"}}"),
        message_format: Some(MESSAGE_FORMAT.into()),
    }
}

// ------------------------------------------------------------------ functions

/// Create, read, list, alter (including a rename) and drop functions.
pub async fn case_functions(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    store.create_database(&database("db2")).await.unwrap();
    let upper = function("db", "upper");
    store.create_function(&upper).await.unwrap();
    assert_eq!(store.get_function("db", "upper").await.unwrap(), Some(upper.clone()));
    assert_eq!(store.get_function("db", "ghost").await.unwrap(), None);
    assert_eq!(store.get_function("db2", "upper").await.unwrap(), None);
    assert_err(store.create_function(&upper).await, CatalogError::AlreadyExists(function_msg::exists("upper")));
    assert_err(
        store.create_function(&function("nodb", "f")).await,
        CatalogError::NoSuchObject(msg::no_such_database("nodb")),
    );
    let bare = Function { owner_name: None, owner_type: None, resource_uris: vec![], ..function("db", "bare") };
    store.create_function(&bare).await.unwrap();
    store.create_function(&function("db2", "lower")).await.unwrap();

    let names = |fs: Vec<Function>| fs.into_iter().map(|f| format!("{}.{}", f.db_name, f.name)).collect::<Vec<_>>();
    assert_eq!(names(store.list_functions(Some("db")).await.unwrap()), strings(&["db.bare", "db.upper"]));
    assert_eq!(names(store.list_functions(None).await.unwrap()), strings(&["db.bare", "db.upper", "db2.lower"]));
    assert!(store.list_functions(Some("nodb")).await.unwrap().is_empty());

    let mut changed = upper.clone();
    changed.class_name = "com.example.Upper2".into();
    changed.resource_uris.pop();
    store.alter_function("db", "upper", &changed).await.unwrap();
    assert_eq!(store.get_function("db", "upper").await.unwrap(), Some(changed.clone()));
    assert_err(
        store.alter_function("db", "ghost", &changed).await,
        CatalogError::NoSuchObject(function_msg::not_found("db", "ghost")),
    );
    let onto_bare = Function { name: "bare".into(), ..changed.clone() };
    assert_err(
        store.alter_function("db", "upper", &onto_bare).await,
        CatalogError::AlreadyExists(function_msg::exists("bare")),
    );
    let moved = Function { db_name: "db2".into(), name: "upper3".into(), ..changed.clone() };
    store.alter_function("db", "upper", &moved).await.unwrap();
    assert_eq!(store.get_function("db", "upper").await.unwrap(), None);
    assert_eq!(store.get_function("db2", "upper3").await.unwrap(), Some(moved.clone()));
    let to_nowhere = Function { db_name: "nodb".into(), ..moved.clone() };
    assert_err(
        store.alter_function("db2", "upper3", &to_nowhere).await,
        CatalogError::NoSuchObject(msg::no_such_database("nodb")),
    );

    assert_eq!(store.drop_function("db2", "upper3").await.unwrap(), moved);
    assert_err(
        store.drop_function("db2", "upper3").await,
        CatalogError::NoSuchObject(function_msg::not_found("db2", "upper3")),
    );
    assert_eq!(names(store.list_functions(None).await.unwrap()), strings(&["db.bare", "db2.lower"]));
}

/// A database with functions only drops with `cascade`, which takes its functions along.
pub async fn case_functions_and_drop_database(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    store.create_function(&function("db", "f1")).await.unwrap();
    assert_err(
        store.drop_database("db", false, &[]).await,
        CatalogError::InvalidOperation(msg::database_not_empty_functions("db")),
    );
    store.drop_database("db", true, &[]).await.unwrap();
    assert!(store.list_functions(None).await.unwrap().is_empty());
    // The name is free again, in a new database of the same name.
    store.create_database(&database("db")).await.unwrap();
    assert_eq!(store.get_function("db", "f1").await.unwrap(), None);
    store.create_function(&function("db", "f1")).await.unwrap();
}

// ------------------------------------------------------------------ statistics

/// Table-level statistics: upsert, read by column, engines kept apart, delete, gone with the
/// table. Every kind of statistics round-trips.
pub async fn case_table_stats(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    store.create_table(&table("db", "t", false), &[]).await.unwrap();
    assert!(store.get_table_column_stats("db", "t", "hive", &[]).await.unwrap().is_empty());

    let id = long_stats("id", 1, 100);
    let name = string_stats("name");
    store.update_column_stats("db", "t", None, "hive", 1_700_000_001, &[id.clone(), name.clone()]).await.unwrap();
    let all = store.get_table_column_stats("db", "t", "hive", &[]).await.unwrap();
    assert_eq!(all.iter().map(|s| s.stats.clone()).collect::<Vec<_>>(), vec![id.clone(), name.clone()]);
    assert!(all.iter().all(|s| s.part_name.is_none() && s.engine == "hive" && s.last_analyzed == 1_700_000_001));
    let only_name = store.get_table_column_stats("db", "t", "hive", &strings(&["name", "ghost"])).await.unwrap();
    assert_eq!(only_name.into_iter().map(|s| s.stats).collect::<Vec<_>>(), vec![name.clone()]);

    // Upsert replaces, and another engine is separate.
    let id2 = long_stats("id", -5, 7);
    store.update_column_stats("db", "t", None, "hive", 1_700_000_002, std::slice::from_ref(&id2)).await.unwrap();
    store.update_column_stats("db", "t", None, "impala", 1_700_000_003, &[long_stats("id", 0, 1)]).await.unwrap();
    let hive = store.get_table_column_stats("db", "t", "hive", &strings(&["id"])).await.unwrap();
    assert_eq!((hive[0].stats.clone(), hive[0].last_analyzed), (id2, 1_700_000_002));
    assert_eq!(store.get_table_column_stats("db", "t", "impala", &[]).await.unwrap().len(), 1);

    // Every kind round-trips.
    let kinds = vec![
        ColumnStats {
            column_name: "b".into(),
            column_type: "boolean".into(),
            data: ColumnStatsData::Boolean(BooleanStats {
                num_trues: 3,
                num_falses: 4,
                num_nulls: 5,
                bit_vectors: Some(vec![7]),
            }),
        },
        ColumnStats {
            column_name: "bin".into(),
            column_type: "binary".into(),
            data: ColumnStatsData::Binary(BinaryStats {
                max_col_len: 9,
                avg_col_len: 4.25,
                num_nulls: 1,
                bit_vectors: None,
            }),
        },
        ColumnStats {
            column_name: "d".into(),
            column_type: "double".into(),
            data: ColumnStatsData::Double(RangeStats {
                low_value: Some(-1.5),
                high_value: Some(2.25e10),
                num_nulls: 0,
                num_dvs: 2,
                bit_vectors: None,
                histogram: Some(vec![0, 1]),
            }),
        },
        ColumnStats {
            column_name: "dec".into(),
            column_type: "decimal(10,2)".into(),
            data: ColumnStatsData::Decimal(RangeStats {
                low_value: Some(DecimalValue { unscaled: vec![0xff, 0x38], scale: 2 }),
                high_value: Some(DecimalValue { unscaled: vec![0x01, 0x00], scale: 2 }),
                num_nulls: 0,
                num_dvs: 2,
                bit_vectors: Some(vec![1, 2, 3]),
                histogram: None,
            }),
        },
        ColumnStats {
            column_name: "dt".into(),
            column_type: "date".into(),
            data: ColumnStatsData::Date(RangeStats {
                low_value: Some(19_000),
                high_value: Some(19_700),
                num_nulls: 0,
                num_dvs: 700,
                bit_vectors: None,
                histogram: None,
            }),
        },
        ColumnStats {
            column_name: "ts".into(),
            column_type: "timestamp".into(),
            data: ColumnStatsData::Timestamp(RangeStats {
                low_value: None,
                high_value: Some(1_700_000_000),
                num_nulls: 8,
                num_dvs: 1,
                bit_vectors: None,
                histogram: None,
            }),
        },
    ];
    store.update_column_stats("db", "t", None, "spark", 1, &kinds).await.unwrap();
    let back: Vec<ColumnStats> =
        store.get_table_column_stats("db", "t", "spark", &[]).await.unwrap().into_iter().map(|s| s.stats).collect();
    assert_eq!(back, kinds);

    // Deletes: one column of one engine, then everything.
    assert_eq!(store.delete_column_stats("db", "t", None, Some("hive"), Some("id")).await.unwrap(), 1);
    assert_eq!(store.delete_column_stats("db", "t", None, Some("hive"), Some("id")).await.unwrap(), 0);
    assert_eq!(store.get_table_column_stats("db", "t", "hive", &[]).await.unwrap().len(), 1);
    assert_eq!(store.delete_column_stats("db", "t", None, None, None).await.unwrap(), 1 + 1 + 6);

    // Missing table.
    let missing = CatalogError::NoSuchObject(stats_msg::no_such_table("db", "ghost"));
    assert_err(
        store.update_column_stats("db", "ghost", None, "hive", 0, &[long_stats("id", 0, 1)]).await,
        missing.clone(),
    );
    assert_err(store.get_table_column_stats("db", "ghost", "hive", &[]).await, missing.clone());
    assert_err(store.delete_column_stats("db", "ghost", None, None, None).await, missing);

    // Statistics go with their table.
    store.update_column_stats("db", "t", None, "hive", 1, &[long_stats("id", 0, 1)]).await.unwrap();
    store.drop_table("db", "t", &[]).await.unwrap();
    store.create_table(&table("db", "t", false), &[]).await.unwrap();
    assert!(store.get_table_column_stats("db", "t", "hive", &[]).await.unwrap().is_empty());
}

/// Partition-level statistics: need the partition, read by partitions and columns, delete,
/// gone with the table.
pub async fn case_partition_stats(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    store.create_table(&table("db", "p", true), &[]).await.unwrap();
    for ds in ["2024-01-01", "2024-01-02", "2024-01-03"] {
        store.insert_partition("db", "p", &[ds.to_string()], &format!("file:///wh/db.db/p/ds={ds}")).await.unwrap();
    }
    let p1 = "ds=2024-01-01";
    let p2 = "ds=2024-01-02";
    store
        .update_column_stats("db", "p", Some(p1), "hive", 10, &[long_stats("id", 1, 5), string_stats("name")])
        .await
        .unwrap();
    store.update_column_stats("db", "p", Some(p2), "hive", 20, &[long_stats("id", 3, 9)]).await.unwrap();
    assert_err(
        store.update_column_stats("db", "p", Some("ds=1999-01-01"), "hive", 0, &[long_stats("id", 0, 1)]).await,
        CatalogError::NoSuchObject(stats_msg::NO_SUCH_PARTITION.into()),
    );
    // Partition statistics are not table statistics.
    assert!(store.get_table_column_stats("db", "p", "hive", &[]).await.unwrap().is_empty());

    let got = store
        .get_partition_column_stats("db", "p", "hive", &strings(&[p2, p1, "ds=2024-01-03", "ds=ghost"]), &[])
        .await
        .unwrap();
    let keys: Vec<(Option<String>, String, i64)> =
        got.iter().map(|s| (s.part_name.clone(), s.stats.column_name.clone(), s.last_analyzed)).collect();
    assert_eq!(
        keys,
        vec![
            (Some(p1.to_string()), "id".to_string(), 10),
            (Some(p1.to_string()), "name".to_string(), 10),
            (Some(p2.to_string()), "id".to_string(), 20),
        ]
    );
    assert_eq!(got[2].stats, long_stats("id", 3, 9));
    let names_only =
        store.get_partition_column_stats("db", "p", "hive", &strings(&[p1, p2]), &strings(&["name"])).await.unwrap();
    assert_eq!(names_only.len(), 1);
    assert!(store.get_partition_column_stats("db", "p", "hive", &[], &[]).await.unwrap().is_empty());
    assert!(store.get_partition_column_stats("db", "p", "other", &strings(&[p1]), &[]).await.unwrap().is_empty());

    assert_eq!(store.delete_column_stats("db", "p", Some(p1), None, Some("name")).await.unwrap(), 1);
    assert_err(
        store.delete_column_stats("db", "p", Some("ds=ghost"), None, None).await,
        CatalogError::NoSuchObject(stats_msg::NO_SUCH_PARTITION.into()),
    );
    assert_eq!(store.delete_column_stats("db", "p", Some(p2), Some("hive"), None).await.unwrap(), 1);
    assert_eq!(store.get_partition_column_stats("db", "p", "hive", &strings(&[p1, p2]), &[]).await.unwrap().len(), 1);

    store.drop_table("db", "p", &[]).await.unwrap();
    assert_err(
        store.get_partition_column_stats("db", "p", "hive", &strings(&[p1]), &[]).await,
        CatalogError::NoSuchObject(stats_msg::no_such_table("db", "p")),
    );
}

// ------------------------------------------------------------------ events

/// Ids start at 1 and follow each other; reads are ascending, bounded and filtered.
pub async fn case_events(store: TestStore) {
    assert_eq!(store.current_event_id().await.unwrap(), 0);
    assert!(store.events_after(0, 100, &[]).await.unwrap().is_empty());
    let first = event("CREATE_DATABASE", "db", None);
    assert_eq!(store.append_event(&first).await.unwrap(), 1);
    assert_eq!(store.append_event(&event("CREATE_TABLE", "db", Some("t"))).await.unwrap(), 2);
    assert_eq!(store.append_event(&event("CREATE_TABLE", "other", Some("u"))).await.unwrap(), 3);
    assert_eq!(store.append_event(&event("DROP_TABLE", "db", Some("t"))).await.unwrap(), 4);
    assert_eq!(store.current_event_id().await.unwrap(), 4);

    let all = store.events_after(0, 100, &[]).await.unwrap();
    assert_eq!(all.iter().map(|e| e.event_id).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert_eq!(all[0], NotificationEvent { event_id: 1, ..first });
    assert_eq!(all[1].table_name.as_deref(), Some("t"));
    let page = store.events_after(1, 2, &[]).await.unwrap();
    assert_eq!(page.iter().map(|e| e.event_id).collect::<Vec<_>>(), vec![2, 3]);
    let skipped = store.events_after(0, 100, &strings(&["CREATE_TABLE"])).await.unwrap();
    assert_eq!(skipped.iter().map(|e| e.event_id).collect::<Vec<_>>(), vec![1, 4]);
    assert!(store.events_after(4, 100, &[]).await.unwrap().is_empty());

    assert_eq!(store.count_events("db", 0, None).await.unwrap(), 3);
    assert_eq!(store.count_events("DB", 1, Some(2)).await.unwrap(), 1);
    assert_eq!(store.count_events("none", 0, None).await.unwrap(), 0);
}

/// Concurrent appends get every id exactly once, with no holes.
pub async fn case_concurrent_events(store: TestStore) {
    const WORKERS: usize = 8;
    const EACH: usize = 10;
    let barrier = Arc::new(Barrier::new(WORKERS));
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let (store, barrier) = (store.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut ids = Vec::new();
            for _ in 0..EACH {
                ids.push(store.append_event(&event("INSERT", &format!("db{w}"), None)).await.unwrap());
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let mine = t.await.unwrap();
        assert!(mine.windows(2).all(|w| w[0] < w[1]), "one writer's ids increase");
        ids.extend(mine);
    }
    ids.sort_unstable();
    let total = i64::try_from(WORKERS * EACH).unwrap();
    assert_eq!(ids, (1..=total).collect::<Vec<_>>());
    assert_eq!(store.current_event_id().await.unwrap(), total);
    let read: Vec<i64> = store.events_after(0, 1_000, &[]).await.unwrap().into_iter().map(|e| e.event_id).collect();
    assert_eq!(read, (1..=total).collect::<Vec<_>>());
}

/// Tags: create, read, list, refuse a duplicate, delete.
pub async fn case_tags(store: TestStore) {
    use crate::tags::Tag;
    let tag = |name: &str, at: i64| Tag {
        db_name: "db".into(),
        table_name: "t".into(),
        name: name.into(),
        at_millis: at,
        created_by: "carol".into(),
        created_at_millis: at + 1,
    };
    store.create_tag(&tag("v2", 200)).await.unwrap();
    store.create_tag(&tag("v1", 100)).await.unwrap();
    assert!(matches!(store.create_tag(&tag("v1", 300)).await, Err(CatalogError::AlreadyExists(_))));
    assert_eq!(store.get_tag("db", "t", "v1").await.unwrap(), Some(tag("v1", 100)));
    assert_eq!(store.get_tag("db", "other", "v1").await.unwrap(), None);
    assert_eq!(store.list_tags("db", "t").await.unwrap(), vec![tag("v1", 100), tag("v2", 200)]);
    assert_eq!(store.delete_tag("db", "t", "v1").await.unwrap(), tag("v1", 100));
    assert!(matches!(store.delete_tag("db", "t", "v1").await, Err(CatalogError::NoSuchObject(_))));
    assert_eq!(store.list_tags("db", "t").await.unwrap(), vec![tag("v2", 200)]);
}

/// The move journal: moves recorded in order (more than one insert statement's worth), closed,
/// listed open or all, and matched against the history.
pub async fn case_storage_moves(store: TestStore) {
    use crate::moves::move_state;
    use strata_core::model::HistoryEntry;
    let moves: Vec<(String, String)> =
        (0..1_203).map(|i| (format!("s3://b/t/p={i}"), format!("s3://b/.retained/t/p={i}"))).collect();
    let ids = store.record_moves("req-1", &moves, 1_000, "server-a", 5_000).await.unwrap();
    assert_eq!(ids.len(), moves.len());
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids follow the order of the moves");
    let open = store.list_moves(false, 1_001).await.unwrap();
    assert_eq!(open.len(), moves.len());
    assert_eq!(
        (open[7].from_location.as_str(), open[7].to_location.as_str()),
        (moves[7].0.as_str(), moves[7].1.as_str())
    );
    assert_eq!(open[7].id, ids[7]);
    assert_eq!(
        (open[0].state.as_str(), open[0].request_id.as_str(), open[0].started_millis),
        (move_state::STARTED, "req-1", 1_000)
    );
    assert!(store.list_moves(false, 1_000).await.unwrap().is_empty(), "only moves started before the cut-off");

    store.finish_moves(&ids[..1_200], move_state::DONE, "moved", 2_000).await.unwrap();
    store.finish_moves(&ids[1_200..1_201], move_state::UNDONE, "moved back", 2_000).await.unwrap();
    let open = store.list_moves(false, i64::MAX).await.unwrap();
    assert_eq!(open.iter().map(|m| m.id).collect::<Vec<_>>(), ids[1_201..].to_vec());
    let all = store.list_moves(true, 0).await.unwrap();
    assert_eq!(all.len(), moves.len());
    assert_eq!(
        (all[0].state.as_str(), all[0].detail.as_str(), all[0].finished_millis),
        (move_state::DONE, "moved", Some(2_000))
    );
    assert_eq!(all[1_200].state, move_state::UNDONE);

    assert!(!store.history_records_move(&moves[0].0, &moves[0].1).await.unwrap());
    let row = HistoryEntry {
        operation: HistoryOp::DropPartition,
        db_name: "db".into(),
        table_name: "t".into(),
        partition_name: Some("p=0".into()),
        previous_location: Some(moves[0].0.clone()),
        new_location: Some(moves[0].1.clone()),
        at_millis: 1_500,
        ..HistoryEntry::default()
    };
    store.append_history(&[row]).await.unwrap();
    assert!(store.history_records_move(&moves[0].0, &moves[0].1).await.unwrap());
    assert!(!store.history_records_move(&moves[1].0, &moves[0].1).await.unwrap(), "both ends must match");
}

/// Leases: a server renews the open moves of its own it names; an expired move is claimed by exactly one
/// server, and only once its lease is past.
pub async fn case_move_leases(store: TestStore) {
    use crate::moves::move_state;
    let moves = vec![("file:///w/a".to_string(), "file:///w/.r/a".to_string())];
    let a = store.record_moves("r", &moves, 1_000, "server-a", 2_000).await.unwrap()[0];
    let b = store.record_moves("r", &moves, 1_000, "server-b", 2_000).await.unwrap()[0];
    assert!(store.expired_moves(1_500).await.unwrap().is_empty(), "leases hold");
    assert!(!store.claim_move(a, "server-c", 1_500, 9_000).await.unwrap(), "not before the lease expires");
    assert_eq!(store.renew_move_leases("server-a", &[a, b], 10_000).await.unwrap(), 1, "its own moves only");
    let expired = store.expired_moves(3_000).await.unwrap();
    assert_eq!(expired.iter().map(|m| m.id).collect::<Vec<_>>(), vec![b], "a renewed lease holds");
    assert_eq!((expired[0].server_id.as_str(), expired[0].lease_until_millis), ("server-b", 2_000));
    assert!(store.claim_move(b, "server-c", 3_000, 4_000).await.unwrap());
    assert!(!store.claim_move(b, "server-d", 3_000, 4_000).await.unwrap(), "claimed once");
    store.finish_moves(&[a], move_state::DONE, "moved", 3_000).await.unwrap();
    assert!(!store.claim_move(a, "server-c", 20_000, 30_000).await.unwrap(), "a closed move is not claimed");
    assert_eq!(store.renew_move_leases("server-a", &[a], 40_000).await.unwrap(), 0, "only open moves are renewed");
    assert_eq!(store.renew_move_leases("server-a", &[], 40_000).await.unwrap(), 0);
}

/// The live locations at, inside and around a directory, exact and by path boundary, with
/// exclusions.
pub async fn case_live_near(store: TestStore) {
    use crate::moves::Near;
    use strata_core::location;
    store.create_database(&database("db")).await.unwrap();
    let mut outer = table("db", "outer", false);
    outer.sd.location = Some("file:///data/outer".into());
    store.create_table(&outer, &[]).await.unwrap();
    let part = table("db", "p", true);
    store.create_table(&part, &[]).await.unwrap();
    let mut p1 = Partition { values: vec!["1".into()], sd: part.sd.clone(), ..Partition::default() };
    p1.sd.location = Some("file:///data/outer/inner".into());
    let mut p2 = p1.clone();
    p2.values = vec!["2".into()];
    p2.sd.location = Some("file:///wh/db.db/p/ds=2".into());
    store.add_partitions("db", "p", &[("ds=1".into(), p1), ("ds=2".into(), p2)], false, &[]).await.unwrap();
    let near = |loc: &'static str, exclude: Option<(&'static str, Option<&'static str>)>| {
        let store = &store;
        async move {
            let ancestors = location::ancestors(loc);
            let mut found: Vec<String> = store
                .live_near(&Near { location: loc, ancestors: &ancestors, exclude, limit: 100 })
                .await
                .unwrap()
                .into_iter()
                .map(|l| {
                    format!("{}.{}.{}={}", l.db_name, l.table_name, l.partition_name.unwrap_or_default(), l.location)
                })
                .collect();
            found.sort();
            found
        }
    };
    // Around: the partition lies inside the table's directory.
    assert_eq!(
        near("file:///data/outer/inner", None).await,
        vec!["db.outer.=file:///data/outer", "db.p.ds=1=file:///data/outer/inner"]
    );
    // Inside, and not `outer2` or `outer-x`.
    assert_eq!(
        near("file:///data", None).await,
        vec!["db.outer.=file:///data/outer", "db.p.ds=1=file:///data/outer/inner"]
    );
    assert!(near("file:///data/oute", None).await.is_empty());
    assert!(near("file:///data/outer-x", None).await.is_empty());
    // The database directory and everything in it.
    assert_eq!(
        near("file:///wh/db.db", None).await,
        vec!["db..=file:///wh/db.db", "db.p.=file:///wh/db.db/p", "db.p.ds=2=file:///wh/db.db/p/ds=2"]
    );
    assert_eq!(near("file:///wh/db.db", Some(("db", Some("p")))).await, vec!["db..=file:///wh/db.db"]);
    assert!(near("file:///wh/db.db", Some(("db", None))).await.is_empty());
    assert_eq!(near("file:///", None).await.len(), 5, "the root holds everything");
}

// ------------------------------------------------------------------ cases: the admin listener's reads

/// Health, pool status, keyset pages of partitions, one partition's history, the timeline of
/// writes (one per request, newest first) and the table-level events.
pub async fn case_browse(store: TestStore) {
    store.check_health().await.expect("a migrated store is healthy");
    let pool = store.pool_status();
    assert!(pool.max >= 1 && pool.size >= pool.idle, "{pool:?}");

    store.create_database(&database("b")).await.unwrap();
    store.create_table(&table("b", "t", true), &[]).await.unwrap();
    for i in 0..25 {
        store
            .insert_partition("b", "t", &[format!("d{i:02}")], &format!("file:///wh/b.db/t/ds=d{i:02}/1"))
            .await
            .unwrap();
    }
    assert_eq!(store.partition_count("b", "t").await.unwrap(), 25);
    let first = store.partition_page("b", "t", None, 10).await.unwrap();
    assert_eq!(first.len(), 10);
    assert_eq!(first[0], ("ds=d00".to_string(), Some("file:///wh/b.db/t/ds=d00/1".to_string())));
    let mut all = first.clone();
    let mut after = first.last().map(|(n, _)| n.clone());
    while let Some(a) = after {
        let page = store.partition_page("b", "t", Some(&a), 10).await.unwrap();
        after = if page.len() == 10 { page.last().map(|(n, _)| n.clone()) } else { None };
        all.extend(page);
    }
    let names: Vec<String> = all.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(names, (0..25).map(|i| format!("ds=d{i:02}")).collect::<Vec<_>>());
    assert!(store.partition_page("b", "missing", None, 10).await.unwrap().is_empty());
    assert_eq!(store.partition_count("b", "missing").await.unwrap(), 0);

    let row = |op: HistoryOp, request: &str, part: Option<&str>, batch: Option<&str>, at: i64| HistoryEntry {
        id: 0,
        operation: op,
        db_name: "b".into(),
        table_name: "t".into(),
        partition_name: part.map(Into::into),
        partition_values: part.map(|p| vec![p.trim_start_matches("ds=").to_string()]),
        batch_id: batch.map(Into::into),
        previous_location: None,
        new_location: part.map(|p| format!("file:///wh/b.db/t/{p}/{}", batch.unwrap_or("0"))),
        actor: format!("user-{request}"),
        client_addr: "10.0.0.1:1".into(),
        request_id: request.into(),
        at_millis: at,
    };
    store.append_history(&[row(HistoryOp::CreateTable, "r0", None, None, 1_000)]).await.unwrap();
    store
        .append_history(&[
            row(HistoryOp::AddPartition, "r1", Some("ds=d00"), Some("20240101000000"), 2_000),
            row(HistoryOp::AddPartition, "r1", Some("ds=d01"), Some("20240101000000"), 2_000),
        ])
        .await
        .unwrap();
    store
        .append_history(&[row(HistoryOp::AlterPartition, "r2", Some("ds=d00"), Some("20240102000000"), 3_000)])
        .await
        .unwrap();
    store
        .append_history(&[row(HistoryOp::AlterPartition, "r3", Some("ds=d00"), Some("20240103000000"), 4_000)])
        .await
        .unwrap();

    let batches = store.batch_summaries("b", "t", 10).await.unwrap();
    let requests: Vec<&str> = batches.iter().map(|b| b.request_id.as_str()).collect();
    assert_eq!(requests, ["r3", "r2", "r1"], "newest first, table-level rows left out");
    let r1 = &batches[2];
    assert_eq!((r1.partitions, r1.first_millis, r1.operation.as_str()), (2, 2_000, "add"));
    assert_eq!((r1.min_partition.as_deref(), r1.max_partition.as_deref()), (Some("ds=d00"), Some("ds=d01")));
    assert_eq!((r1.min_batch.as_deref(), r1.actor.as_str()), (Some("20240101000000"), "user-r1"));
    assert_eq!(store.batch_summaries("b", "t", 2).await.unwrap().len(), 2);

    let chain = store.partition_history("b", "t", "ds=d00").await.unwrap();
    let batches_of: Vec<_> = chain.iter().map(|h| h.batch_id.clone().unwrap_or_default()).collect();
    assert_eq!(batches_of, ["20240101000000", "20240102000000", "20240103000000"]);
    assert!(store.partition_history("b", "t", "ds=zz").await.unwrap().is_empty());
    let events = store.table_events("b", "t", 5).await.unwrap();
    assert_eq!(events.iter().map(|e| e.operation.as_str()).collect::<Vec<_>>(), ["create_table"]);
}
