//! Storage descriptors: columns, serde, sort and skew, and where data lives.

use serde::{Deserialize, Serialize};

use super::Params;

/// A column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
pub struct FieldSchema {
    /// Lower-case name.
    pub name: String,
    /// Hive type string (`int`, `array<string>`, ...).
    #[serde(rename = "type")]
    pub type_name: String,
    /// Comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Serialisation library and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
pub struct SerDeInfo {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// SerDe class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serialization_lib: Option<String>,
    /// Parameters.
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub parameters: Params,
    /// Description (Hive 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Serializer class (Hive 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serializer_class: Option<String>,
    /// Deserializer class (Hive 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deserializer_class: Option<String>,
    /// SerDe type (Hive 4 enum value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serde_type: Option<i32>,
}

/// A sort column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
pub struct Order {
    /// Column name.
    pub col: String,
    /// 1 ascending, 0 descending.
    pub order: i32,
}

/// Skew information.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
pub struct SkewedInfo {
    /// Skewed column names.
    pub skewed_col_names: Vec<String>,
    /// Skewed values.
    pub skewed_col_values: Vec<Vec<String>>,
    /// Value lists and their locations.
    pub skewed_col_value_location_maps: Vec<(Vec<String>, String)>,
}

/// How and where data is stored. `location` is kept apart from the rest so that thousands of
/// partitions can share one stored descriptor (see [`StorageDescriptor::shape`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
pub struct StorageDescriptor {
    /// Columns.
    pub cols: Vec<FieldSchema>,
    /// Location; `None` for views.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Input format class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_format: Option<String>,
    /// Output format class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_format: Option<String>,
    /// Compressed flag.
    #[serde(default)]
    pub compressed: bool,
    /// Bucket count (-1 when not bucketed).
    #[serde(default)]
    pub num_buckets: i32,
    /// SerDe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serde_info: Option<SerDeInfo>,
    /// Bucketing columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bucket_cols: Vec<String>,
    /// Sort columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sort_cols: Vec<Order>,
    /// Parameters.
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub parameters: Params,
    /// Skew information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skewed_info: Option<SkewedInfo>,
    /// Stored as sub-directories.
    #[serde(default)]
    pub stored_as_sub_directories: bool,
}

impl StorageDescriptor {
    /// The descriptor without its location: the part that partitions of one table share and that
    /// the store keeps once, keyed by its encoding.
    #[must_use]
    pub fn shape(&self) -> Self {
        Self { location: None, ..self.clone() }
    }

    /// A canonical encoding of [`Self::shape`], used as the dedup key of stored descriptors.
    #[must_use]
    pub fn shape_json(&self) -> String {
        serde_json::to_string(&self.shape()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_drops_location_only() {
        let sd = StorageDescriptor {
            location: Some("file:///x".into()),
            cols: vec![FieldSchema { name: "a".into(), type_name: "int".into(), comment: None }],
            ..StorageDescriptor::default()
        };
        assert_eq!(sd.shape().location, None);
        assert_eq!(sd.shape().cols, sd.cols);
        let other = StorageDescriptor { location: Some("file:///y".into()), ..sd.clone() };
        assert_eq!(sd.shape_json(), other.shape_json());
    }
}
