//! Round trips of the conversions.

use strata_core::model::{self, Params};
use strata_thrift as t;
use thrift::OrderedFloat;

use super::*;

fn thrift_table() -> t::Table {
    let mut tbl = table_out(model::Table {
        db_name: "db".into(),
        name: "t".into(),
        owner: Some("me".into()),
        sd: model::StorageDescriptor {
            cols: vec![model::FieldSchema { name: "a".into(), type_name: "int".into(), comment: Some("c".into()) }],
            location: Some("file:///wh/db.db/t".into()),
            input_format: Some("in".into()),
            num_buckets: -1,
            serde_info: Some(model::SerDeInfo { serialization_lib: Some("lib".into()), ..Default::default() }),
            ..Default::default()
        },
        partition_keys: vec![model::FieldSchema { name: "ds".into(), type_name: "string".into(), comment: None }],
        table_type: "MANAGED_TABLE".into(),
        ..Default::default()
    });
    tbl.parameters = Some(t::StrMap::from_iter([("k".to_string(), "v".to_string())]));
    tbl
}

#[test]
fn table_round_trips() {
    let wire = thrift_table();
    let core = table_in(wire.clone());
    assert_eq!(core.sd.cols[0].comment.as_deref(), Some("c"));
    assert_eq!(core.parameters.get("k").map(String::as_str), Some("v"));
    let back = table_out(core);
    assert_eq!(back.sd, wire.sd);
    assert_eq!(back.partition_keys, wire.partition_keys);
    assert_eq!(back.parameters, wire.parameters);
}

#[test]
fn catalog_prefix_is_stripped_from_table_db() {
    let mut wire = thrift_table();
    wire.db_name = Some("@hive#sales".into());
    assert_eq!(table_in(wire).db_name, "sales");
}

#[test]
fn database_out_fills_required_fields() {
    let db = database_out(model::Database { name: "d".into(), location: "file:///x".into(), ..Default::default() });
    assert_eq!(db.catalog_name.as_deref(), Some("hive"));
    assert_eq!(db.parameters, Some(Params::new()));
}

#[test]
fn functions_round_trip() {
    let wire = t::Function {
        function_name: Some("upper".into()),
        db_name: Some("db".into()),
        class_name: Some("com.x.Upper".into()),
        owner_name: Some("alice".into()),
        owner_type: Some(t::PrincipalType::USER),
        create_time: Some(1_700_000_000),
        function_type: Some(t::FunctionType::JAVA),
        resource_uris: Some(vec![t::ResourceUri {
            resource_type: Some(t::ResourceType::ARCHIVE),
            uri: Some("s3://a.zip".into()),
        }]),
        cat_name: Some("hive".into()),
    };
    assert_eq!(function_out(function_in(wire.clone())), wire);
}

#[test]
fn every_statistics_kind_round_trips() {
    use t::ColumnStatisticsData as D;
    let all = vec![
        D::BooleanStats(t::BooleanColumnStatsData {
            num_trues: 1,
            num_falses: 2,
            num_nulls: 3,
            bit_vectors: Some(vec![1]),
        }),
        D::LongStats(t::LongColumnStatsData {
            low_value: Some(-1),
            high_value: None,
            num_nulls: 0,
            num_d_vs: 5,
            bit_vectors: None,
            histogram: Some(vec![7, 7]),
        }),
        D::DoubleStats(t::DoubleColumnStatsData {
            low_value: Some(OrderedFloat(-0.5)),
            high_value: Some(OrderedFloat(9.75)),
            num_nulls: 1,
            num_d_vs: 2,
            bit_vectors: Some(vec![0, 1]),
            histogram: None,
        }),
        D::StringStats(t::StringColumnStatsData {
            max_col_len: 4,
            avg_col_len: OrderedFloat(2.5),
            num_nulls: 0,
            num_d_vs: 3,
            bit_vectors: None,
        }),
        D::BinaryStats(t::BinaryColumnStatsData {
            max_col_len: 8,
            avg_col_len: OrderedFloat(1.5),
            num_nulls: 2,
            bit_vectors: None,
        }),
        D::DecimalStats(t::DecimalColumnStatsData {
            low_value: Some(t::Decimal { unscaled: vec![0xff], scale: 1 }),
            high_value: Some(t::Decimal { unscaled: vec![0x10, 0x00], scale: 3 }),
            num_nulls: 0,
            num_d_vs: 1,
            bit_vectors: None,
            histogram: Some(vec![3]),
        }),
        D::DateStats(t::DateColumnStatsData {
            low_value: Some(t::Date { days_since_epoch: 19_000 }),
            high_value: Some(t::Date { days_since_epoch: 19_001 }),
            num_nulls: 0,
            num_d_vs: 2,
            bit_vectors: None,
            histogram: None,
        }),
        D::TimestampStats(t::TimestampColumnStatsData {
            low_value: None,
            high_value: Some(t::Timestamp { seconds_since_epoch: 1_700_000_000 }),
            num_nulls: 3,
            num_d_vs: 1,
            bit_vectors: Some(vec![9]),
            histogram: Some(vec![8]),
        }),
    ];
    for d in all {
        assert_eq!(stats_data_out(stats_data_in(d.clone())), d);
    }
}
