//! Wire tests of functions, column statistics and notifications: a real server on port 0
//! (SQLite store in a temp dir) driven by the generated client (binary protocol, buffered).

mod common;

use common::{double_obj, Client, TestServer};
use strata_core::model::{self, FieldSchema};
use strata_server::{convert, ServerConfig};
use strata_thrift::{self as t, TThriftHiveMetastoreSyncClient};

/// The message of a declared exception of type `E`, panicking on anything else.
#[track_caller]
fn exception<E: std::error::Error + 'static, T: std::fmt::Debug>(
    result: thrift::Result<T>,
    message: fn(&E) -> Option<String>,
) -> String {
    match result {
        Err(thrift::Error::User(e)) => match e.downcast_ref::<E>() {
            Some(e) => message(e).unwrap_or_default(),
            None => panic!("expected {}, got {e:?}", std::any::type_name::<E>()),
        },
        other => panic!("expected {}, got {other:?}", std::any::type_name::<E>()),
    }
}

fn create_db(c: &mut Client, name: &str) {
    let db = model::Database { name: name.into(), ..model::Database::default() };
    c.create_database(convert::database_out(db)).unwrap();
}

fn create_table(c: &mut Client, db: &str, name: &str) {
    let mut table = model::Table {
        db_name: db.into(),
        name: name.into(),
        table_type: "MANAGED_TABLE".into(),
        ..model::Table::default()
    };
    table.sd.cols = vec![
        FieldSchema { name: "id".into(), type_name: "bigint".into(), comment: None },
        FieldSchema { name: "price".into(), type_name: "double".into(), comment: None },
    ];
    table.sd.num_buckets = -1;
    c.create_table(convert::table_out(table)).unwrap();
}

fn function(db: &str, name: &str) -> t::Function {
    t::Function {
        function_name: Some(name.into()),
        db_name: Some(db.into()),
        class_name: Some("com.example.Upper".into()),
        owner_name: Some("alice".into()),
        owner_type: Some(t::PrincipalType::USER),
        create_time: Some(1_700_000_000),
        function_type: Some(t::FunctionType::JAVA),
        resource_uris: Some(vec![t::ResourceUri {
            resource_type: Some(t::ResourceType::JAR),
            uri: Some("file:///jars/udf.jar".into()),
        }]),
        cat_name: None,
    }
}

#[test]
fn functions_over_the_wire() {
    let server = TestServer::start(ServerConfig::default());
    let mut c = server.client();
    create_db(&mut c, "db");
    c.create_function(function("db", "Upper")).unwrap();
    let got = c.get_function("db".into(), "upper".into()).unwrap();
    assert_eq!(
        got,
        t::Function { function_name: Some("upper".into()), cat_name: Some("hive".into()), ..function("db", "upper") }
    );
    assert_eq!(
        exception(c.create_function(function("db", "upper")), |e: &t::AlreadyExistsException| e.message.clone()),
        "Function upper already exists"
    );
    assert_eq!(
        exception(c.create_function(function("nodb", "f")), |e: &t::NoSuchObjectException| e.message.clone()),
        "nodb"
    );
    assert_eq!(
        exception(c.get_function("db".into(), "ghost".into()), |e: &t::NoSuchObjectException| e.message.clone()),
        "Function db.ghost does not exist"
    );
    c.create_function(function("db", "lower")).unwrap();
    assert_eq!(c.get_functions("db".into(), "*".into()).unwrap(), vec!["lower".to_string(), "upper".to_string()]);
    assert_eq!(c.get_functions("db".into(), "low*".into()).unwrap(), vec!["lower".to_string()]);
    let all = c.get_all_functions().unwrap().functions.unwrap();
    assert_eq!(all.len(), 2);
    let new = t::Function { class_name: Some("com.example.Lower2".into()), ..function("db", "lower") };
    c.alter_function("db".into(), "lower".into(), new).unwrap();
    assert_eq!(c.get_function("db".into(), "lower".into()).unwrap().class_name.as_deref(), Some("com.example.Lower2"));
    assert_eq!(
        exception(c.alter_function("db".into(), "ghost".into(), function("db", "ghost")), |e: &t::MetaException| {
            e.message.clone()
        }),
        "function ghost doesn't exist"
    );
    c.drop_function("db".into(), "upper".into()).unwrap();
    assert_eq!(
        exception(c.drop_function("db".into(), "upper".into()), |e: &t::NoSuchObjectException| e.message.clone()),
        "Function upper does not exist"
    );
}

fn long_obj(col: &str, low: i64, high: i64) -> t::ColumnStatisticsObj {
    t::ColumnStatisticsObj {
        col_name: col.into(),
        col_type: "bigint".into(),
        stats_data: t::ColumnStatisticsData::LongStats(t::LongColumnStatsData {
            low_value: Some(low),
            high_value: Some(high),
            num_nulls: 1,
            num_d_vs: 42,
            bit_vectors: Some(vec![0x48, 0x4c, 0x4c]),
            histogram: None,
        }),
    }
}

fn table_stats(db: &str, table: &str, objs: Vec<t::ColumnStatisticsObj>) -> t::ColumnStatistics {
    t::ColumnStatistics {
        stats_desc: t::ColumnStatisticsDesc {
            is_tbl_level: true,
            db_name: db.into(),
            table_name: table.into(),
            part_name: None,
            last_analyzed: Some(1_700_000_123),
            cat_name: None,
        },
        stats_obj: objs,
        is_stats_compliant: None,
        engine: None,
    }
}

#[test]
fn table_statistics_round_trip() {
    let server = TestServer::start(ServerConfig::default());
    let mut c = server.client();
    create_db(&mut c, "db");
    create_table(&mut c, "db", "sales");
    assert!(c.update_table_column_statistics(table_stats("db", "sales", vec![long_obj("id", 1, 1000)])).unwrap());
    let req = t::SetPartitionsStatsRequest {
        col_stats: vec![table_stats("db", "sales", vec![double_obj("price")])],
        need_merge: None,
        write_id: None,
        valid_write_id_list: None,
        engine: None,
    };
    assert!(c.update_table_column_statistics_req(req).unwrap().result);

    let request = t::TableStatsRequest {
        db_name: "db".into(),
        tbl_name: "sales".into(),
        col_names: vec!["id".into(), "price".into(), "ghost".into()],
        cat_name: None,
        valid_write_id_list: None,
        engine: None,
        id: None,
    };
    let result = c.get_table_statistics_req(request.clone()).unwrap();
    assert_eq!(result.table_stats, vec![long_obj("id", 1, 1000), double_obj("price")]);

    let one = c.get_table_column_statistics("db".into(), "sales".into(), "price".into()).unwrap();
    assert!(one.stats_desc.is_tbl_level);
    assert_eq!(one.stats_desc.last_analyzed, Some(1_700_000_123));
    assert_eq!(one.stats_obj, vec![double_obj("price")]);

    assert_eq!(
        exception(
            c.update_table_column_statistics(table_stats("db", "sales", vec![long_obj("ghost", 0, 1)])),
            |e: &t::MetaException| e.message.clone()
        ),
        "Column ghost doesn't exist in table sales in database db"
    );
    assert_eq!(
        exception(
            c.update_table_column_statistics(table_stats("db", "nope", vec![long_obj("id", 0, 1)])),
            |e: &t::NoSuchObjectException| e.message.clone()
        ),
        "Specified database/table does not exist : db.nope"
    );

    assert!(c.delete_table_column_statistics("db".into(), "sales".into(), "id".into(), String::new()).unwrap());
    let after = c.get_table_statistics_req(request).unwrap();
    assert_eq!(after.table_stats, vec![double_obj("price")]);
    let aggr = c
        .get_aggr_stats_for(t::PartitionsStatsRequest {
            db_name: "db".into(),
            tbl_name: "sales".into(),
            col_names: vec!["id".into()],
            part_names: vec![],
            cat_name: None,
            valid_write_id_list: None,
            engine: None,
        })
        .unwrap();
    assert_eq!((aggr.col_stats.len(), aggr.parts_found), (0, 0));
}

#[test]
fn notification_ids_are_contiguous_after_ddl() {
    let server = TestServer::start(ServerConfig::default());
    let mut c = server.client();
    let start = c.get_current_notification_event_id().unwrap().event_id;
    create_db(&mut c, "ndb");
    create_table(&mut c, "ndb", "t1");
    c.create_function(function("ndb", "f1")).unwrap();
    c.drop_table("ndb".into(), "t1".into(), false).unwrap();
    c.drop_function("ndb".into(), "f1".into()).unwrap();
    c.drop_database("ndb".into(), false, false).unwrap();
    let current = c.get_current_notification_event_id().unwrap().event_id;
    assert_eq!(current, start + 6);

    let request = |last: i64, max: Option<i32>| t::NotificationEventRequest {
        last_event: last,
        max_events: max,
        event_type_skip_list: None,
        cat_name: None,
        db_name: None,
        table_names: None,
    };
    let events = c.get_next_notification(request(start, None)).unwrap().events;
    assert_eq!(events.iter().map(|e| e.event_id).collect::<Vec<_>>(), (start + 1..=start + 6).collect::<Vec<_>>());
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        vec!["CREATE_DATABASE", "CREATE_TABLE", "CREATE_FUNCTION", "DROP_TABLE", "DROP_FUNCTION", "DROP_DATABASE"]
    );
    assert!(events
        .iter()
        .all(|e| e.db_name.as_deref() == Some("ndb") && e.message_format.as_deref() == Some("json-0.2")));
    assert_eq!(events[1].table_name.as_deref(), Some("t1"));
    let page = c.get_next_notification(request(start + 2, Some(2))).unwrap().events;
    assert_eq!(page.iter().map(|e| e.event_id).collect::<Vec<_>>(), vec![start + 3, start + 4]);
    let count = c
        .get_notification_events_count(t::NotificationEventsCountRequest {
            from_event_id: start,
            db_name: "ndb".into(),
            cat_name: None,
            to_event_id: None,
            limit: None,
            table_names: None,
        })
        .unwrap();
    assert_eq!(count.events_count, 6);

    let fired = c
        .fire_listener_event(t::FireEventRequest {
            successful: true,
            data: t::FireEventRequestData::InsertData(t::InsertEventRequestData {
                replace: Some(false),
                files_added: Some(vec!["file:///x/part-0".into()]),
                files_added_checksum: None,
                sub_directory_list: None,
                partition_val: None,
            }),
            db_name: Some("default".into()),
            table_name: Some("t".into()),
            partition_vals: None,
            cat_name: None,
            tbl_params: None,
        })
        .unwrap();
    assert_eq!(fired.event_ids, Some(vec![start + 7]));
    assert_eq!(c.get_current_notification_event_id().unwrap().event_id, start + 7);
}
