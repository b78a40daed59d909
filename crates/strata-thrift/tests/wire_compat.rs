//! Wire-compatibility tests for the generated HMS types and processor.

use strata_thrift::methods::{is_oneway, is_served, Method, ONEWAY_METHODS, SERVED_METHODS};
use strata_thrift::*;
use thrift::protocol::{
    TBinaryInputProtocol, TBinaryOutputProtocol, TCompactInputProtocol, TCompactOutputProtocol, TFieldIdentifier,
    TInputProtocol, TMessageIdentifier, TMessageType, TOutputProtocol, TSerializable, TStructIdentifier, TType,
};
use thrift::server::TProcessor;
use thrift::{ApplicationErrorKind, OrderedFloat};

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

fn to_binary<T: TSerializable>(v: &T) -> Vec<u8> {
    let mut buf = Vec::new();
    {
        let mut p = TBinaryOutputProtocol::new(&mut buf, true);
        v.write_to_out_protocol(&mut p).unwrap();
        p.flush().unwrap();
    }
    buf
}

fn from_binary<T: TSerializable>(bytes: &[u8]) -> thrift::Result<T> {
    let mut p = TBinaryInputProtocol::new(bytes, true);
    T::read_from_in_protocol(&mut p)
}

fn to_compact<T: TSerializable>(v: &T) -> Vec<u8> {
    let mut buf = Vec::new();
    {
        let mut p = TCompactOutputProtocol::new(&mut buf);
        v.write_to_out_protocol(&mut p).unwrap();
        p.flush().unwrap();
    }
    buf
}

fn from_compact<T: TSerializable>(bytes: &[u8]) -> thrift::Result<T> {
    let mut p = TCompactInputProtocol::new(bytes);
    T::read_from_in_protocol(&mut p)
}

fn params(kv: &[(&str, &str)]) -> StrMap {
    kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn sample_sd(location: &str) -> StorageDescriptor {
    StorageDescriptor {
        cols: Some(vec![
            FieldSchema { name: Some("id".into()), type_: Some("bigint".into()), comment: None },
            FieldSchema {
                name: Some("name".into()),
                type_: Some("string".into()),
                comment: Some("display name".into()),
            },
        ]),
        location: Some(location.into()),
        input_format: Some("org.apache.hadoop.mapred.TextInputFormat".into()),
        output_format: Some("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat".into()),
        compressed: Some(false),
        num_buckets: Some(-1),
        serde_info: Some(SerDeInfo {
            name: None,
            serialization_lib: Some("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe".into()),
            parameters: Some(params(&[("serialization.format", "1")])),
            description: None,
            serializer_class: None,
            deserializer_class: None,
            serde_type: None,
        }),
        bucket_cols: Some(vec![]),
        sort_cols: Some(vec![Order { col: Some("id".into()), order: Some(1) }]),
        parameters: Some(StrMap::new()),
        skewed_info: None,
        stored_as_sub_directories: Some(false),
    }
}

fn sample_table() -> Table {
    Table {
        table_name: Some("events".into()),
        db_name: Some("sales".into()),
        owner: Some("alice".into()),
        create_time: Some(1_700_000_000),
        last_access_time: Some(0),
        retention: Some(0),
        sd: Some(sample_sd("file:/warehouse/sales.db/events")),
        partition_keys: Some(vec![FieldSchema {
            name: Some("ds".into()),
            type_: Some("string".into()),
            comment: None,
        }]),
        parameters: Some(params(&[("EXTERNAL", "TRUE"), ("transient_lastDdlTime", "1")])),
        view_original_text: None,
        view_expanded_text: None,
        table_type: Some("EXTERNAL_TABLE".into()),
        privileges: None,
        temporary: Some(false),
        rewrite_enabled: None,
        creation_metadata: None,
        cat_name: None,
        owner_type: Some(PrincipalType::USER),
        write_id: None,
        is_stats_compliant: None,
        col_stats: None,
        access_type: None,
        required_read_capabilities: None,
        required_write_capabilities: None,
        id: None,
        file_metadata: None,
        dictionary: None,
        txn_id: None,
    }
}

fn sample_database() -> Database {
    Database {
        name: Some("sales".into()),
        description: Some("sales data".into()),
        location_uri: Some("file:/warehouse/sales.db".into()),
        parameters: Some(params(&[("owner_team", "bi")])),
        privileges: None,
        owner_name: Some("alice".into()),
        owner_type: Some(PrincipalType::USER),
        catalog_name: Some("hive".into()),
        create_time: Some(1_700_000_000),
        managed_location_uri: None,
        type_: Some(DatabaseType::NATIVE),
        connector_name: None,
        remote_dbname: None,
    }
}

fn sample_partition() -> Partition {
    Partition {
        values: Some(vec!["2024-01-01".into()]),
        db_name: Some("sales".into()),
        table_name: Some("events".into()),
        create_time: Some(1_700_000_001),
        last_access_time: Some(0),
        sd: Some(sample_sd("file:/warehouse/sales.db/events/ds=2024-01-01")),
        parameters: Some(params(&[("numFiles", "3")])),
        privileges: None,
        cat_name: Some("hive".into()),
        write_id: Some(-1),
        is_stats_compliant: None,
        col_stats: Some(ColumnStatistics {
            stats_desc: ColumnStatisticsDesc {
                is_tbl_level: false,
                db_name: "sales".into(),
                table_name: "events".into(),
                part_name: Some("ds=2024-01-01".into()),
                last_analyzed: Some(1_700_000_002),
                cat_name: None,
            },
            stats_obj: vec![ColumnStatisticsObj {
                col_name: "id".into(),
                col_type: "bigint".into(),
                stats_data: ColumnStatisticsData::DoubleStats(DoubleColumnStatsData {
                    low_value: Some(OrderedFloat(-1.5)),
                    high_value: Some(OrderedFloat(99.25)),
                    num_nulls: 0,
                    num_d_vs: 10,
                    bit_vectors: None,
                    histogram: None,
                }),
            }],
            is_stats_compliant: None,
            engine: Some("hive".into()),
        }),
        file_metadata: None,
    }
}

// ---------------------------------------------------------------------------
// (a) Hive 2.3 layout: Table.16 arrives as a string
// ---------------------------------------------------------------------------

#[test]
fn binary_table_with_hive23_string_field_16_decodes() {
    let table = sample_table();
    let mut bytes = to_binary(&table);
    // Drop the struct's stop byte and append what branch-2.3 sends:
    // field 16, type STRING (11), value "hive" (its catName), then stop.
    assert_eq!(bytes.pop(), Some(0));
    bytes.push(11);
    bytes.extend_from_slice(&16i16.to_be_bytes());
    bytes.extend_from_slice(&4i32.to_be_bytes());
    bytes.extend_from_slice(b"hive");
    bytes.push(0);

    let decoded: Table = from_binary(&bytes).expect("2.3 layout must decode");
    assert_eq!(decoded.creation_metadata, None);
    assert_eq!(decoded.cat_name, None);
    assert_eq!(decoded, table, "all other fields intact");
}

#[test]
fn compact_table_with_hive23_string_field_16_decodes() {
    // Write the 2.3 shape by hand: a few ordinary fields, 16 as a string in
    // the middle, and fields after it that must still be read.
    let sd = sample_sd("s3://bucket/t");
    let mut buf = Vec::new();
    {
        let mut p = TCompactOutputProtocol::new(&mut buf);
        p.write_struct_begin(&TStructIdentifier::new("Table")).unwrap();
        p.write_field_begin(&TFieldIdentifier::new("tableName", TType::String, 1)).unwrap();
        p.write_string("t").unwrap();
        p.write_field_end().unwrap();
        p.write_field_begin(&TFieldIdentifier::new("dbName", TType::String, 2)).unwrap();
        p.write_string("d").unwrap();
        p.write_field_end().unwrap();
        p.write_field_begin(&TFieldIdentifier::new("sd", TType::Struct, 7)).unwrap();
        sd.write_to_out_protocol(&mut p).unwrap();
        p.write_field_end().unwrap();
        p.write_field_begin(&TFieldIdentifier::new("tableType", TType::String, 12)).unwrap();
        p.write_string("MANAGED_TABLE").unwrap();
        p.write_field_end().unwrap();
        p.write_field_begin(&TFieldIdentifier::new("catName", TType::String, 16)).unwrap();
        p.write_string("hive").unwrap();
        p.write_field_end().unwrap();
        p.write_field_begin(&TFieldIdentifier::new("ownerType", TType::I32, 18)).unwrap();
        p.write_i32(PrincipalType::ROLE.0).unwrap();
        p.write_field_end().unwrap();
        p.write_field_stop().unwrap();
        p.write_struct_end().unwrap();
        p.flush().unwrap();
    }
    let t: Table = from_compact(&buf).expect("2.3 layout must decode");
    assert_eq!(t.table_name.as_deref(), Some("t"));
    assert_eq!(t.db_name.as_deref(), Some("d"));
    assert_eq!(t.sd, Some(sd));
    assert_eq!(t.table_type.as_deref(), Some("MANAGED_TABLE"));
    assert_eq!(t.creation_metadata, None);
    assert_eq!(t.owner_type, Some(PrincipalType::ROLE));
}

#[test]
fn type_mismatch_on_scalar_field_is_skipped() {
    // Database.9 createTime is i32; a sender using i64 must not break decoding.
    let mut bytes = to_binary(&Database { name: Some("x".into()), ..empty_database() });
    assert_eq!(bytes.pop(), Some(0));
    bytes.push(10); // I64
    bytes.extend_from_slice(&9i16.to_be_bytes());
    bytes.extend_from_slice(&7i64.to_be_bytes());
    bytes.push(0);
    let db: Database = from_binary(&bytes).unwrap();
    assert_eq!(db.name.as_deref(), Some("x"));
    assert_eq!(db.create_time, None);
}

// ---------------------------------------------------------------------------
// (b) round trips
// ---------------------------------------------------------------------------

#[test]
fn round_trip_binary_and_compact() {
    let db = sample_database();
    let table = {
        let mut t = sample_table();
        t.cat_name = Some("hive".into());
        t.creation_metadata = Some(CreationMetadata {
            cat_name: "hive".into(),
            db_name: "sales".into(),
            tbl_name: "mv".into(),
            tables_used: ["sales.events".to_string()].into_iter().collect(),
            valid_txn_list: None,
            materialization_time: Some(5),
            source_tables: None,
        });
        t
    };
    let part = sample_partition();

    assert_eq!(from_binary::<Database>(&to_binary(&db)).unwrap(), db);
    assert_eq!(from_compact::<Database>(&to_compact(&db)).unwrap(), db);
    assert_eq!(from_binary::<Table>(&to_binary(&table)).unwrap(), table);
    assert_eq!(from_compact::<Table>(&to_compact(&table)).unwrap(), table);
    assert_eq!(from_binary::<Partition>(&to_binary(&part)).unwrap(), part);
    assert_eq!(from_compact::<Partition>(&to_compact(&part)).unwrap(), part);
}

// ---------------------------------------------------------------------------
// (c) absent fields
// ---------------------------------------------------------------------------

fn empty_database() -> Database {
    Database {
        name: None,
        description: None,
        location_uri: None,
        parameters: None,
        privileges: None,
        owner_name: None,
        owner_type: None,
        catalog_name: None,
        create_time: None,
        managed_location_uri: None,
        type_: None,
        connector_name: None,
        remote_dbname: None,
    }
}

#[test]
fn absent_fields_decode_as_none() {
    // Only the name on the wire (what a minimal 2.3 client may send).
    let db = Database { name: Some("only_name".into()), ..empty_database() };
    let back: Database = from_binary(&to_binary(&db)).unwrap();
    assert_eq!(back, db);
    assert_eq!(back.description, None, "absent default-requiredness field stays None");
    assert_eq!(back.parameters, None);

    // Pre-4.x stats request: no `engine` (required in 4.0.0, optional here).
    let req = TableStatsRequest {
        db_name: "d".into(),
        tbl_name: "t".into(),
        col_names: vec!["c".into()],
        cat_name: None,
        valid_write_id_list: None,
        engine: None,
        id: None,
    };
    let back: TableStatsRequest = from_compact(&to_compact(&req)).unwrap();
    assert_eq!(back.engine, None);
    assert_eq!(back.col_names, vec!["c".to_string()]);

    // A lock request without txnid / agentInfo.
    let lock = LockRequest {
        component: vec![LockComponent {
            type_: LockType::EXCLUSIVE,
            level: LockLevel::TABLE,
            dbname: "d".into(),
            tablename: Some("t".into()),
            partitionname: None,
            operation_type: None,
            is_transactional: None,
            is_dynamic_partition_write: None,
        }],
        txnid: None,
        user: "u".into(),
        hostname: "h".into(),
        agent_info: None,
        zero_wait_read_enabled: None,
        exclusive_c_t_a_s: None,
        lockless_reads_enabled: None,
    };
    assert_eq!(from_binary::<LockRequest>(&to_binary(&lock)).unwrap(), lock);
}

#[test]
fn missing_required_field_is_still_an_error() {
    // LockResponse.state is required in every Hive version.
    let mut buf = Vec::new();
    {
        let mut p = TBinaryOutputProtocol::new(&mut buf, true);
        p.write_struct_begin(&TStructIdentifier::new("LockResponse")).unwrap();
        p.write_field_begin(&TFieldIdentifier::new("lockid", TType::I64, 1)).unwrap();
        p.write_i64(1).unwrap();
        p.write_field_end().unwrap();
        p.write_field_stop().unwrap();
        p.write_struct_end().unwrap();
    }
    assert!(from_binary::<LockResponse>(&buf).is_err());
}

#[test]
fn union_with_unknown_member_is_an_error_not_a_panic() {
    // ColumnStatisticsData with only a member id this IDL does not know.
    let mut buf = Vec::new();
    {
        let mut p = TBinaryOutputProtocol::new(&mut buf, true);
        p.write_struct_begin(&TStructIdentifier::new("ColumnStatisticsData")).unwrap();
        p.write_field_begin(&TFieldIdentifier::new("future", TType::I32, 42)).unwrap();
        p.write_i32(1).unwrap();
        p.write_field_end().unwrap();
        p.write_field_stop().unwrap();
        p.write_struct_end().unwrap();
    }
    assert!(from_binary::<ColumnStatisticsData>(&buf).is_err());
}

// ---------------------------------------------------------------------------
// processor
// ---------------------------------------------------------------------------

type Created = std::sync::Arc<std::sync::Mutex<Vec<(Table, EnvironmentContext)>>>;

#[derive(Default)]
struct Handler {
    created: Created,
}

impl ThriftHiveMetastoreSyncHandler for Handler {
    fn handle_get_database(&self, name: String) -> thrift::Result<Database> {
        if name == "sales" {
            Ok(sample_database())
        } else {
            Err(thrift::Error::User(Box::new(NoSuchObjectException { message: Some(name) })))
        }
    }

    fn handle_create_table_with_environment_context(
        &self,
        tbl: Table,
        environment_context: EnvironmentContext,
    ) -> thrift::Result<()> {
        self.created.lock().unwrap().push((tbl, environment_context));
        Ok(())
    }
}

/// Writes one call: message header, then `args` writes the argument fields.
fn call(out: &mut Vec<u8>, name: &str, kind: TMessageType, seq: i32, args: impl FnOnce(&mut dyn TOutputProtocol)) {
    let mut p = TBinaryOutputProtocol::new(out, true);
    p.write_message_begin(&TMessageIdentifier::new(name, kind, seq)).unwrap();
    p.write_struct_begin(&TStructIdentifier::new("args")).unwrap();
    args(&mut p);
    p.write_field_stop().unwrap();
    p.write_struct_end().unwrap();
    p.write_message_end().unwrap();
    p.flush().unwrap();
}

fn run(processor: &ThriftHiveMetastoreSyncProcessor<Handler>, input: &[u8], calls: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = TBinaryInputProtocol::new(input, true);
    {
        let mut o = TBinaryOutputProtocol::new(&mut out, true);
        for _ in 0..calls {
            processor.process(&mut i, &mut o).unwrap();
        }
    }
    out
}

#[test]
fn processor_replies_results_exceptions_and_unknown_methods() {
    let handler = Handler::default();
    let created = handler.created.clone();
    let processor = ThriftHiveMetastoreSyncProcessor::new(handler);
    let mut input = Vec::new();
    // 1. get_database("sales") -> success
    call(&mut input, "get_database", TMessageType::Call, 1, |p| {
        p.write_field_begin(&TFieldIdentifier::new("name", TType::String, 1)).unwrap();
        p.write_string("sales").unwrap();
        p.write_field_end().unwrap();
    });
    // 2. get_database("nope") -> NoSuchObjectException in result field 1
    call(&mut input, "get_database", TMessageType::Call, 2, |p| {
        p.write_field_begin(&TFieldIdentifier::new("name", TType::String, 1)).unwrap();
        p.write_string("nope").unwrap();
        p.write_field_end().unwrap();
    });
    // 3. not declared at all: must be skipped and answered like Java.
    call(&mut input, "get_partitions_by_expr", TMessageType::Call, 3, |p| {
        p.write_field_begin(&TFieldIdentifier::new("req", TType::Struct, 1)).unwrap();
        sample_database().write_to_out_protocol(p).unwrap();
        p.write_field_end().unwrap();
    });
    // 4. declared but not implemented by this handler.
    call(&mut input, "get_partitions", TMessageType::Call, 4, |p| {
        p.write_field_begin(&TFieldIdentifier::new("db_name", TType::String, 1)).unwrap();
        p.write_string("sales").unwrap();
        p.write_field_end().unwrap();
    });
    // 5. Spark sends create_table_with_environment_context(tbl, null).
    call(&mut input, "create_table_with_environment_context", TMessageType::Call, 5, |p| {
        p.write_field_begin(&TFieldIdentifier::new("tbl", TType::Struct, 1)).unwrap();
        sample_table().write_to_out_protocol(p).unwrap();
        p.write_field_end().unwrap();
    });
    // 6. oneway shutdown: no reply at all.
    call(&mut input, "shutdown", TMessageType::OneWay, 6, |_| {});

    let out = run(&processor, &input, 6);
    let mut r = TBinaryInputProtocol::new(&out[..], true);

    let read_result_field = |r: &mut TBinaryInputProtocol<&[u8]>| -> i16 {
        r.read_struct_begin().unwrap();
        let f = r.read_field_begin().unwrap();
        f.id.unwrap()
    };

    // 1
    let m = r.read_message_begin().unwrap();
    assert_eq!((m.name.as_str(), m.message_type, m.sequence_number), ("get_database", TMessageType::Reply, 1));
    assert_eq!(read_result_field(&mut r), 0);
    assert_eq!(Database::read_from_in_protocol(&mut r).unwrap(), sample_database());
    r.read_field_end().unwrap();
    assert_eq!(r.read_field_begin().unwrap().field_type, TType::Stop);
    r.read_struct_end().unwrap();
    r.read_message_end().unwrap();

    // 2
    let m = r.read_message_begin().unwrap();
    assert_eq!((m.message_type, m.sequence_number), (TMessageType::Reply, 2));
    assert_eq!(read_result_field(&mut r), 1, "o1: NoSuchObjectException");
    let e = NoSuchObjectException::read_from_in_protocol(&mut r).unwrap();
    assert_eq!(e.message.as_deref(), Some("nope"));
    r.read_field_end().unwrap();
    assert_eq!(r.read_field_begin().unwrap().field_type, TType::Stop);
    r.read_struct_end().unwrap();
    r.read_message_end().unwrap();

    // 3 and 4
    for (seq, name) in [(3, "get_partitions_by_expr"), (4, "get_partitions")] {
        let m = r.read_message_begin().unwrap();
        assert_eq!((m.name.as_str(), m.message_type, m.sequence_number), (name, TMessageType::Exception, seq));
        let app = thrift::Error::read_application_error_from_in_protocol(&mut r).unwrap();
        assert_eq!(app.kind, ApplicationErrorKind::UnknownMethod);
        assert_eq!(app.message, format!("Invalid method name: '{name}'"));
        r.read_message_end().unwrap();
    }

    // 5: the handler saw an empty EnvironmentContext, the client got a void reply.
    let m = r.read_message_begin().unwrap();
    assert_eq!((m.message_type, m.sequence_number), (TMessageType::Reply, 5));
    r.read_struct_begin().unwrap();
    assert_eq!(r.read_field_begin().unwrap().field_type, TType::Stop);
    r.read_struct_end().unwrap();
    r.read_message_end().unwrap();
    assert_eq!(*created.lock().unwrap(), vec![(sample_table(), EnvironmentContext::default())]);

    // 6: nothing more was written.
    assert!(r.read_message_begin().is_err(), "oneway call must not be answered");
}

// ---------------------------------------------------------------------------
// method list
// ---------------------------------------------------------------------------

#[test]
fn served_methods_match_the_idl() {
    let idl = include_str!("../../../thrift/hive_metastore.thrift");
    let body = idl.split("service ThriftHiveMetastore {").nth(1).expect("service block").split("\n}").next().unwrap();
    let declared: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| {
            let head = &l[..l.find('(').expect("one declaration per line")];
            head.rsplit(' ').next().unwrap()
        })
        .collect();
    assert_eq!(SERVED_METHODS, declared.as_slice());
    assert_eq!(ONEWAY_METHODS, &["shutdown"]);
    assert!(is_oneway("shutdown"));
    assert!(is_served("get_table") && is_served("get_table_req") && is_served("lock"));
    assert!(!is_served("get_partitions_by_expr"));
    assert_eq!(SERVED_METHODS.len(), 147);
}

#[test]
fn methods_are_typed_with_their_declared_exceptions() {
    let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
    assert_eq!(names.as_slice(), SERVED_METHODS);
    for m in Method::ALL {
        assert_eq!(Method::from_name(m.name()), Some(*m));
        assert_eq!(m.is_oneway(), is_oneway(m.name()), "{m}");
        assert_eq!(m.to_string(), m.name());
    }
    assert_eq!(Method::from_name("get_partitions_by_expr"), None);
    assert_eq!(Method::from_name("getMetaConf"), Some(Method::GetMetaConf));
    assert_eq!(Method::GetTable.declared_exceptions(), &["MetaException", "NoSuchObjectException"]);
    assert_eq!(
        Method::Heartbeat.declared_exceptions(),
        &["NoSuchLockException", "NoSuchTxnException", "TxnAbortedException"]
    );
    assert!(Method::GetNextNotification.declared_exceptions().is_empty());
}
