//! Column statistics.

use strata_core::{
    model::{
        BinaryStats, BooleanStats, ColumnStatistics, ColumnStats, ColumnStatsData, DecimalValue, RangeStats,
        StoredColumnStats, StringStats,
    },
    names,
};
use strata_thrift as t;
use thrift::OrderedFloat;

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
