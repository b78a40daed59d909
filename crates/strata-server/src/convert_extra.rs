//! Thrift ⇄ core for functions, column statistics and notification events. Pure functions;
//! every field is carried.

use strata_core::{
    model::{
        BinaryStats, BooleanStats, ColumnStatistics, ColumnStats, ColumnStatsData, DecimalValue, Function,
        NotificationEvent, RangeStats, ResourceUri, StoredColumnStats, StringStats, FUNCTION_TYPE_JAVA,
    },
    names,
    time::EpochSeconds,
};
use strata_thrift as t;
use thrift::OrderedFloat;

use crate::convert::{principal_in, principal_out};

/// Function from the wire (names not normalised here; the catalog does it).
#[must_use]
pub fn function_in(f: t::Function) -> Function {
    Function {
        db_name: f.db_name.unwrap_or_default(),
        name: f.function_name.unwrap_or_default(),
        class_name: f.class_name.unwrap_or_default(),
        owner_name: f.owner_name,
        owner_type: principal_in(f.owner_type),
        create_time: EpochSeconds(f.create_time.unwrap_or_default()),
        function_type: f.function_type.map_or(FUNCTION_TYPE_JAVA, |ft| ft.0),
        resource_uris: f
            .resource_uris
            .unwrap_or_default()
            .into_iter()
            .map(|r| ResourceUri {
                resource_type: r.resource_type.map_or(0, |rt| rt.0),
                uri: r.uri.unwrap_or_default(),
            })
            .collect(),
    }
}

/// Function to the wire.
#[must_use]
pub fn function_out(f: Function) -> t::Function {
    t::Function {
        function_name: Some(f.name),
        db_name: Some(f.db_name),
        class_name: Some(f.class_name),
        owner_name: f.owner_name,
        owner_type: principal_out(f.owner_type),
        create_time: Some(f.create_time.0),
        function_type: Some(t::FunctionType(f.function_type)),
        resource_uris: Some(
            f.resource_uris
                .into_iter()
                .map(|r| t::ResourceUri { resource_type: Some(t::ResourceType(r.resource_type)), uri: Some(r.uri) })
                .collect(),
        ),
        cat_name: Some(names::DEFAULT_CATALOG.to_string()),
    }
}

fn decimal_in(d: t::Decimal) -> DecimalValue {
    DecimalValue { unscaled: d.unscaled, scale: d.scale }
}

fn decimal_out(d: DecimalValue) -> t::Decimal {
    t::Decimal { unscaled: d.unscaled, scale: d.scale }
}

/// Statistics numbers from the wire.
#[must_use]
pub fn stats_data_in(d: t::ColumnStatisticsData) -> ColumnStatsData {
    use t::ColumnStatisticsData as D;
    match d {
        D::BooleanStats(s) => ColumnStatsData::Boolean(BooleanStats {
            num_trues: s.num_trues,
            num_falses: s.num_falses,
            num_nulls: s.num_nulls,
            bit_vectors: s.bit_vectors,
        }),
        D::LongStats(s) => ColumnStatsData::Long(RangeStats {
            low_value: s.low_value,
            high_value: s.high_value,
            num_nulls: s.num_nulls,
            num_dvs: s.num_d_vs,
            bit_vectors: s.bit_vectors,
            histogram: s.histogram,
        }),
        D::DoubleStats(s) => ColumnStatsData::Double(RangeStats {
            low_value: s.low_value.map(|v| v.0),
            high_value: s.high_value.map(|v| v.0),
            num_nulls: s.num_nulls,
            num_dvs: s.num_d_vs,
            bit_vectors: s.bit_vectors,
            histogram: s.histogram,
        }),
        D::StringStats(s) => ColumnStatsData::String(StringStats {
            max_col_len: s.max_col_len,
            avg_col_len: s.avg_col_len.0,
            num_nulls: s.num_nulls,
            num_dvs: s.num_d_vs,
            bit_vectors: s.bit_vectors,
        }),
        D::BinaryStats(s) => ColumnStatsData::Binary(BinaryStats {
            max_col_len: s.max_col_len,
            avg_col_len: s.avg_col_len.0,
            num_nulls: s.num_nulls,
            bit_vectors: s.bit_vectors,
        }),
        D::DecimalStats(s) => ColumnStatsData::Decimal(RangeStats {
            low_value: s.low_value.map(decimal_in),
            high_value: s.high_value.map(decimal_in),
            num_nulls: s.num_nulls,
            num_dvs: s.num_d_vs,
            bit_vectors: s.bit_vectors,
            histogram: s.histogram,
        }),
        D::DateStats(s) => ColumnStatsData::Date(RangeStats {
            low_value: s.low_value.map(|v| v.days_since_epoch),
            high_value: s.high_value.map(|v| v.days_since_epoch),
            num_nulls: s.num_nulls,
            num_dvs: s.num_d_vs,
            bit_vectors: s.bit_vectors,
            histogram: s.histogram,
        }),
        D::TimestampStats(s) => ColumnStatsData::Timestamp(RangeStats {
            low_value: s.low_value.map(|v| v.seconds_since_epoch),
            high_value: s.high_value.map(|v| v.seconds_since_epoch),
            num_nulls: s.num_nulls,
            num_dvs: s.num_d_vs,
            bit_vectors: s.bit_vectors,
            histogram: s.histogram,
        }),
    }
}

/// Statistics numbers to the wire.
#[must_use]
pub fn stats_data_out(d: ColumnStatsData) -> t::ColumnStatisticsData {
    use t::ColumnStatisticsData as D;
    match d {
        ColumnStatsData::Boolean(s) => D::BooleanStats(t::BooleanColumnStatsData {
            num_trues: s.num_trues,
            num_falses: s.num_falses,
            num_nulls: s.num_nulls,
            bit_vectors: s.bit_vectors,
        }),
        ColumnStatsData::Long(s) => D::LongStats(t::LongColumnStatsData {
            low_value: s.low_value,
            high_value: s.high_value,
            num_nulls: s.num_nulls,
            num_d_vs: s.num_dvs,
            bit_vectors: s.bit_vectors,
            histogram: s.histogram,
        }),
        ColumnStatsData::Double(s) => D::DoubleStats(t::DoubleColumnStatsData {
            low_value: s.low_value.map(OrderedFloat),
            high_value: s.high_value.map(OrderedFloat),
            num_nulls: s.num_nulls,
            num_d_vs: s.num_dvs,
            bit_vectors: s.bit_vectors,
            histogram: s.histogram,
        }),
        ColumnStatsData::String(s) => D::StringStats(t::StringColumnStatsData {
            max_col_len: s.max_col_len,
            avg_col_len: OrderedFloat(s.avg_col_len),
            num_nulls: s.num_nulls,
            num_d_vs: s.num_dvs,
            bit_vectors: s.bit_vectors,
        }),
        ColumnStatsData::Binary(s) => D::BinaryStats(t::BinaryColumnStatsData {
            max_col_len: s.max_col_len,
            avg_col_len: OrderedFloat(s.avg_col_len),
            num_nulls: s.num_nulls,
            bit_vectors: s.bit_vectors,
        }),
        ColumnStatsData::Decimal(s) => D::DecimalStats(t::DecimalColumnStatsData {
            low_value: s.low_value.map(decimal_out),
            high_value: s.high_value.map(decimal_out),
            num_nulls: s.num_nulls,
            num_d_vs: s.num_dvs,
            bit_vectors: s.bit_vectors,
            histogram: s.histogram,
        }),
        ColumnStatsData::Date(s) => D::DateStats(t::DateColumnStatsData {
            low_value: s.low_value.map(|v| t::Date { days_since_epoch: v }),
            high_value: s.high_value.map(|v| t::Date { days_since_epoch: v }),
            num_nulls: s.num_nulls,
            num_d_vs: s.num_dvs,
            bit_vectors: s.bit_vectors,
            histogram: s.histogram,
        }),
        ColumnStatsData::Timestamp(s) => D::TimestampStats(t::TimestampColumnStatsData {
            low_value: s.low_value.map(|v| t::Timestamp { seconds_since_epoch: v }),
            high_value: s.high_value.map(|v| t::Timestamp { seconds_since_epoch: v }),
            num_nulls: s.num_nulls,
            num_d_vs: s.num_dvs,
            bit_vectors: s.bit_vectors,
            histogram: s.histogram,
        }),
    }
}

/// One column's statistics from the wire.
#[must_use]
pub fn stats_obj_in(o: t::ColumnStatisticsObj) -> ColumnStats {
    ColumnStats { column_name: o.col_name, column_type: o.col_type, data: stats_data_in(o.stats_data) }
}

/// One column's statistics to the wire.
#[must_use]
pub fn stats_obj_out(s: ColumnStats) -> t::ColumnStatisticsObj {
    t::ColumnStatisticsObj { col_name: s.column_name, col_type: s.column_type, stats_data: stats_data_out(s.data) }
}

/// A `ColumnStatistics` from the wire (`@cat#` prefixes stripped).
#[must_use]
pub fn column_statistics_in(cs: t::ColumnStatistics) -> ColumnStatistics {
    let desc = cs.stats_desc;
    ColumnStatistics {
        is_table_level: desc.is_tbl_level,
        db_name: names::strip_catalog(&desc.db_name),
        table_name: desc.table_name,
        part_name: desc.part_name,
        last_analyzed: desc.last_analyzed,
        engine: cs.engine,
        columns: cs.stats_obj.into_iter().map(stats_obj_in).collect(),
    }
}

/// Stored statistics of one table or partition to a `ColumnStatistics` (`lastAnalyzed` is the
/// latest of the rows).
#[must_use]
pub fn column_statistics_out(
    db: &str,
    table: &str,
    part_name: Option<String>,
    rows: Vec<StoredColumnStats>,
) -> t::ColumnStatistics {
    let last_analyzed = rows.iter().map(|r| r.last_analyzed).max();
    let engine = rows.first().map(|r| r.engine.clone());
    t::ColumnStatistics {
        stats_desc: t::ColumnStatisticsDesc {
            is_tbl_level: part_name.is_none(),
            db_name: db.to_string(),
            table_name: table.to_string(),
            part_name,
            last_analyzed,
            cat_name: Some(names::DEFAULT_CATALOG.to_string()),
        },
        stats_obj: rows.into_iter().map(|r| stats_obj_out(r.stats)).collect(),
        is_stats_compliant: None,
        engine,
    }
}

/// A notification event to the wire.
#[must_use]
pub fn event_out(e: NotificationEvent) -> t::NotificationEvent {
    t::NotificationEvent {
        event_id: e.event_id,
        event_time: e.event_time.0,
        event_type: e.event_type,
        db_name: e.db_name,
        table_name: e.table_name,
        message: e.message,
        message_format: e.message_format,
        cat_name: e.catalog_name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
