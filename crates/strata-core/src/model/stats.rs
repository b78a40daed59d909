//! Column statistics: a typed enum with one variant per HMS `ColumnStatisticsData` kind;
//! every Thrift field is carried, including the opaque `bitVectors` and `histogram` bytes
//! (hex-encoded in our JSON). The store keeps [`ColumnStatsData`] as that JSON.

use serde::{Deserialize, Serialize};

/// The engine stats belong to when a client names none (HMS 4's default).
pub const DEFAULT_STATS_ENGINE: &str = "hive";

/// Opaque bytes (`bitVectors`, `histogram`, decimal digits), hex-encoded in JSON.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn encode(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub(super) fn decode(text: &str) -> Result<Vec<u8>, String> {
        if text.len() & 1 == 1 {
            return Err("odd number of hex digits".into());
        }
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|e| e.to_string())).collect()
    }

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        decode(&text).map_err(serde::de::Error::custom)
    }

    pub(super) mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        #[allow(clippy::ref_option)] // serde's `with` passes `&Option<T>`
        pub(crate) fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
            match bytes {
                Some(b) => s.serialize_some(&super::encode(b)),
                None => s.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
            match Option::<String>::deserialize(d)? {
                Some(text) => super::decode(&text).map(Some).map_err(serde::de::Error::custom),
                None => Ok(None),
            }
        }
    }
}

/// A decimal as HMS sends it: big-endian two's-complement unscaled value and a scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DecimalValue {
    /// Unscaled value, big-endian two's complement.
    #[serde(with = "hex_bytes")]
    pub unscaled: Vec<u8>,
    /// Digits after the point.
    pub scale: i16,
}

impl DecimalValue {
    /// An approximation as `f64`, for ordering (exact for up to 15 significant digits).
    #[must_use]
    pub fn approx(&self) -> f64 {
        let mut value: f64 = 0.0;
        for (i, byte) in self.unscaled.iter().enumerate() {
            // The first byte carries the sign.
            let b = if i == 0 { f64::from(i8::from_ne_bytes([*byte])) } else { f64::from(*byte) };
            value = value * 256.0 + b;
        }
        value / 10f64.powi(i32::from(self.scale))
    }
}

/// Boolean column statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BooleanStats {
    /// Trues.
    pub num_trues: i64,
    /// Falses.
    pub num_falses: i64,
    /// Nulls.
    pub num_nulls: i64,
    /// NDV sketch.
    #[serde(default, with = "hex_bytes::option", skip_serializing_if = "Option::is_none")]
    pub bit_vectors: Option<Vec<u8>>,
}

/// Statistics of an ordered type (`long`, `double`, `decimal`, `date`, `timestamp`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RangeStats<T> {
    /// Lowest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_value: Option<T>,
    /// Highest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_value: Option<T>,
    /// Nulls.
    pub num_nulls: i64,
    /// Distinct values.
    pub num_dvs: i64,
    /// NDV sketch.
    #[serde(default, with = "hex_bytes::option", skip_serializing_if = "Option::is_none")]
    pub bit_vectors: Option<Vec<u8>>,
    /// Histogram (KLL sketch, Hive 4).
    #[serde(default, with = "hex_bytes::option", skip_serializing_if = "Option::is_none")]
    pub histogram: Option<Vec<u8>>,
}

/// String column statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StringStats {
    /// Longest value.
    pub max_col_len: i64,
    /// Average length.
    pub avg_col_len: f64,
    /// Nulls.
    pub num_nulls: i64,
    /// Distinct values.
    pub num_dvs: i64,
    /// NDV sketch.
    #[serde(default, with = "hex_bytes::option", skip_serializing_if = "Option::is_none")]
    pub bit_vectors: Option<Vec<u8>>,
}

/// Binary column statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BinaryStats {
    /// Longest value.
    pub max_col_len: i64,
    /// Average length.
    pub avg_col_len: f64,
    /// Nulls.
    pub num_nulls: i64,
    /// NDV sketch.
    #[serde(default, with = "hex_bytes::option", skip_serializing_if = "Option::is_none")]
    pub bit_vectors: Option<Vec<u8>>,
}

/// One column's statistics, by kind (HMS `ColumnStatisticsData`). Dates are days since the
/// epoch, timestamps seconds since the epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnStatsData {
    /// `booleanStats`.
    Boolean(BooleanStats),
    /// `longStats`.
    Long(RangeStats<i64>),
    /// `doubleStats`.
    Double(RangeStats<f64>),
    /// `stringStats`.
    String(StringStats),
    /// `binaryStats`.
    Binary(BinaryStats),
    /// `decimalStats`.
    Decimal(RangeStats<DecimalValue>),
    /// `dateStats`.
    Date(RangeStats<i64>),
    /// `timestampStats`.
    Timestamp(RangeStats<i64>),
}

fn min_by<T: Clone>(a: Option<T>, b: Option<T>, less: impl Fn(&T, &T) -> bool) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if less(&b, &a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

fn merge_range<T: Clone>(a: &mut RangeStats<T>, b: &RangeStats<T>, less: impl Fn(&T, &T) -> bool + Copy) {
    a.low_value = min_by(a.low_value.take(), b.low_value.clone(), less);
    a.high_value = min_by(a.high_value.take(), b.high_value.clone(), |x, y| less(y, x));
    a.num_nulls += b.num_nulls;
    a.num_dvs = a.num_dvs.max(b.num_dvs);
    a.bit_vectors = None;
    a.histogram = None;
}

impl ColumnStatsData {
    /// The kind's name as HMS's union field names it (`longStats`, ...).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Boolean(_) => "booleanStats",
            Self::Long(_) => "longStats",
            Self::Double(_) => "doubleStats",
            Self::String(_) => "stringStats",
            Self::Binary(_) => "binaryStats",
            Self::Decimal(_) => "decimalStats",
            Self::Date(_) => "dateStats",
            Self::Timestamp(_) => "timestampStats",
        }
    }

    /// Fold another partition's statistics of the same column into these, the way HMS's
    /// aggregators do without NDV sketches (`hive.metastore.stats.ndv.tuner` = 0): lowest low,
    /// highest high, summed nulls (and true/false counts), largest NDV, largest `maxColLen`
    /// and `avgColLen`. Sketches (`bitVectors`, `histogram`) cannot be combined without their
    /// algorithms and are dropped. Statistics of a different kind (a column whose type changed)
    /// are ignored: the first kind wins.
    pub fn merge(&mut self, other: &Self) {
        match (self, other) {
            (Self::Boolean(a), Self::Boolean(b)) => {
                a.num_trues += b.num_trues;
                a.num_falses += b.num_falses;
                a.num_nulls += b.num_nulls;
                a.bit_vectors = None;
            }
            (Self::Long(a), Self::Long(b))
            | (Self::Date(a), Self::Date(b))
            | (Self::Timestamp(a), Self::Timestamp(b)) => {
                merge_range(a, b, |x, y| x < y);
            }
            (Self::Double(a), Self::Double(b)) => merge_range(a, b, |x, y| x < y),
            (Self::Decimal(a), Self::Decimal(b)) => merge_range(a, b, |x, y| x.approx() < y.approx()),
            (Self::String(a), Self::String(b)) => {
                a.max_col_len = a.max_col_len.max(b.max_col_len);
                a.avg_col_len = a.avg_col_len.max(b.avg_col_len);
                a.num_nulls += b.num_nulls;
                a.num_dvs = a.num_dvs.max(b.num_dvs);
                a.bit_vectors = None;
            }
            (Self::Binary(a), Self::Binary(b)) => {
                a.max_col_len = a.max_col_len.max(b.max_col_len);
                a.avg_col_len = a.avg_col_len.max(b.avg_col_len);
                a.num_nulls += b.num_nulls;
                a.bit_vectors = None;
            }
            _ => {}
        }
    }
}

/// Statistics of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    /// Lower-case column name.
    pub column_name: String,
    /// Hive type string.
    pub column_type: String,
    /// The numbers.
    pub data: ColumnStatsData,
}

/// Statistics as stored: for a table (`part_name` `None`) or one partition, of one engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredColumnStats {
    /// The partition's name, `None` for table-level statistics.
    pub part_name: Option<String>,
    /// The engine (`hive`, `impala`, ...).
    pub engine: String,
    /// When computed (seconds since the epoch, as the client sent it).
    pub last_analyzed: i64,
    /// The statistics.
    pub stats: ColumnStats,
}

/// A whole `ColumnStatistics` request: which object, and statistics of several columns.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnStatistics {
    /// Table-level (`true`) or partition-level.
    pub is_table_level: bool,
    /// Database.
    pub db_name: String,
    /// Table.
    pub table_name: String,
    /// Partition name (`k=v/...`), for partition-level statistics.
    pub part_name: Option<String>,
    /// When computed.
    pub last_analyzed: Option<i64>,
    /// The engine; `None` means [`DEFAULT_STATS_ENGINE`].
    pub engine: Option<String>,
    /// The columns' statistics.
    pub columns: Vec<ColumnStats>,
}

/// Aggregated partition statistics (`get_aggr_stats_for`).
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateStats {
    /// One entry per requested column that has statistics in any requested partition.
    pub columns: Vec<ColumnStats>,
    /// Requested partitions that have statistics for every requested column.
    pub parts_found: i64,
}

/// Messages of the statistics calls, worded as Apache HMS 2.3's `ObjectStore`.
pub mod stats_msg {
    /// `NoSuchObjectException` for a missing table (`ensureGetTable`).
    #[must_use]
    pub fn no_such_table(db: &str, table: &str) -> String {
        format!("Specified database/table does not exist : {db}.{table}")
    }
    /// `NoSuchObjectException` for statistics of a missing partition.
    pub const NO_SUCH_PARTITION: &str = "Partition for which stats is gathered doesn't exist.";
    /// `MetaException` for statistics of a column the table lacks (`validateTableCols`).
    #[must_use]
    pub fn no_such_column(db: &str, table: &str, column: &str) -> String {
        format!("Column {column} doesn't exist in table {table} in database {db}")
    }
    /// `NoSuchObjectException` from a delete that found nothing.
    #[must_use]
    pub fn nothing_to_delete(db: &str, table: &str, part: Option<&str>, column: Option<&str>) -> String {
        let column = column.unwrap_or("null");
        match part {
            Some(p) => format!("Column stats doesn't exist for db={db} table={table} partition={p} col={column}"),
            None => format!("Column stats doesn't exist for db={db} table={table} col={column}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range<T>(low: Option<T>, high: Option<T>, nulls: i64, ndv: i64) -> RangeStats<T> {
        RangeStats {
            low_value: low,
            high_value: high,
            num_nulls: nulls,
            num_dvs: ndv,
            bit_vectors: Some(vec![1, 2]),
            histogram: None,
        }
    }

    #[test]
    fn every_kind_round_trips_through_json() {
        let all = vec![
            ColumnStatsData::Boolean(BooleanStats {
                num_trues: 1,
                num_falses: 2,
                num_nulls: 3,
                bit_vectors: Some(vec![0, 255]),
            }),
            ColumnStatsData::Long(RangeStats { histogram: Some(vec![9, 8]), ..range(Some(-5), Some(7), 1, 2) }),
            ColumnStatsData::Double(range(Some(-0.5), Some(1e300), 0, 4)),
            ColumnStatsData::String(StringStats {
                max_col_len: 10,
                avg_col_len: 3.25,
                num_nulls: 1,
                num_dvs: 7,
                bit_vectors: None,
            }),
            ColumnStatsData::Binary(BinaryStats { max_col_len: 5, avg_col_len: 2.5, num_nulls: 0, bit_vectors: None }),
            ColumnStatsData::Decimal(range(
                Some(DecimalValue { unscaled: vec![0xff, 0x38], scale: 2 }),
                Some(DecimalValue { unscaled: vec![0x01, 0x00], scale: 1 }),
                0,
                1,
            )),
            ColumnStatsData::Date(range(Some(19_000), Some(19_500), 2, 3)),
            ColumnStatsData::Timestamp(range(None, Some(1_700_000_000), 0, 0)),
        ];
        for data in all {
            let json = serde_json::to_string(&data).unwrap();
            let back: ColumnStatsData = serde_json::from_str(&json).unwrap();
            assert_eq!(back, data, "{json}");
        }
    }

    #[test]
    fn decimals_order_by_value() {
        let minus_two = DecimalValue { unscaled: vec![0xff, 0x38], scale: 2 }; // -200 / 100
        let twenty_five_six = DecimalValue { unscaled: vec![0x01, 0x00], scale: 1 }; // 256 / 10
        assert!((minus_two.approx() + 2.0).abs() < 1e-9);
        assert!((twenty_five_six.approx() - 25.6).abs() < 1e-9);
    }

    #[test]
    fn merge_follows_hms_aggregators() {
        let mut a = ColumnStatsData::Long(range(Some(3), Some(10), 1, 5));
        a.merge(&ColumnStatsData::Long(range(Some(-1), Some(8), 2, 9)));
        assert_eq!(
            a,
            ColumnStatsData::Long(RangeStats {
                low_value: Some(-1),
                high_value: Some(10),
                num_nulls: 3,
                num_dvs: 9,
                bit_vectors: None,
                histogram: None
            })
        );
        let mut d = ColumnStatsData::Double(range(None, Some(1.0), 0, 1));
        d.merge(&ColumnStatsData::Double(range(Some(0.5), Some(0.7), 4, 1)));
        let ColumnStatsData::Double(d) = d else { panic!() };
        assert_eq!((d.low_value, d.high_value, d.num_nulls), (Some(0.5), Some(1.0), 4));
        let mut b =
            ColumnStatsData::Boolean(BooleanStats { num_trues: 1, num_falses: 1, num_nulls: 0, bit_vectors: None });
        b.merge(&ColumnStatsData::Boolean(BooleanStats {
            num_trues: 2,
            num_falses: 0,
            num_nulls: 1,
            bit_vectors: None,
        }));
        assert_eq!(
            b,
            ColumnStatsData::Boolean(BooleanStats { num_trues: 3, num_falses: 1, num_nulls: 1, bit_vectors: None })
        );
        let mut s = ColumnStatsData::String(StringStats {
            max_col_len: 4,
            avg_col_len: 2.0,
            num_nulls: 1,
            num_dvs: 3,
            bit_vectors: None,
        });
        s.merge(&ColumnStatsData::Long(range(Some(1), Some(2), 0, 0)));
        assert_eq!(s.kind(), "stringStats", "a different kind is ignored");
    }
}
