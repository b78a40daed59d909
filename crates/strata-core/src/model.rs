//! The catalog's objects. They mirror HMS's Thrift structs field by field where clients care,
//! but are Strata's own types: the server converts at the edge, the store persists them.

use serde::{Deserialize, Serialize};

use crate::time::EpochSeconds;

/// String-to-string parameters, kept sorted so that encodings are stable: a sorted vector,
/// the same type as the Thrift structs' maps, so converting moves it (see `strata_thrift::StrMap`).
pub type Params = litemap::LiteMap<String, String>;

/// Who owns an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PrincipalType {
    /// A user.
    #[default]
    User,
    /// A role.
    Role,
    /// A group.
    Group,
}

/// A database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Database {
    /// Lower-case name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Fully qualified location.
    pub location: String,
    /// Location for managed tables (Hive 4), if set.
    pub managed_location: Option<String>,
    /// Parameters.
    pub parameters: Params,
    /// Owner name.
    pub owner_name: Option<String>,
    /// Owner type.
    pub owner_type: Option<PrincipalType>,
    /// Creation time.
    pub create_time: EpochSeconds,
}

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

/// Table types as HMS names them.
pub mod table_type {
    /// Managed by the metastore.
    pub const MANAGED: &str = "MANAGED_TABLE";
    /// External.
    pub const EXTERNAL: &str = "EXTERNAL_TABLE";
    /// A view.
    pub const VIRTUAL_VIEW: &str = "VIRTUAL_VIEW";
    /// A materialized view.
    pub const MATERIALIZED_VIEW: &str = "MATERIALIZED_VIEW";
}

/// Well-known parameter keys.
pub mod param {
    /// Set by the server on create/alter when absent.
    pub const DDL_TIME: &str = "transient_lastDdlTime";
    /// `TRUE` marks an external table.
    pub const EXTERNAL: &str = "EXTERNAL";
    /// Environment context key: do not recompute stats.
    pub const DO_NOT_UPDATE_STATS: &str = "DO_NOT_UPDATE_STATS";
    /// Environment context key: compare-and-swap key.
    pub const EXPECTED_KEY: &str = "expected_parameter_key";
    /// Environment context key: compare-and-swap value.
    pub const EXPECTED_VALUE: &str = "expected_parameter_value";
    /// Environment context key: push column changes to partitions.
    pub const CASCADE: &str = "CASCADE";
    /// Environment context key: skip the trash.
    pub const IF_PURGE: &str = "ifPurge";
}

/// A table (or view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Table {
    /// Lower-case database name.
    pub db_name: String,
    /// Lower-case table name.
    pub name: String,
    /// Owner.
    pub owner: Option<String>,
    /// Owner type.
    pub owner_type: Option<PrincipalType>,
    /// Creation time (set by the server).
    pub create_time: EpochSeconds,
    /// Last access time.
    pub last_access_time: EpochSeconds,
    /// Retention.
    pub retention: i32,
    /// Storage.
    pub sd: StorageDescriptor,
    /// Partition keys, in order.
    pub partition_keys: Vec<FieldSchema>,
    /// Parameters.
    pub parameters: Params,
    /// View text as written.
    pub view_original_text: Option<String>,
    /// View text expanded.
    pub view_expanded_text: Option<String>,
    /// `MANAGED_TABLE`, `EXTERNAL_TABLE`, `VIRTUAL_VIEW`, ...
    pub table_type: String,
    /// Temporary table flag.
    pub temporary: bool,
    /// Materialized-view rewrite flag.
    pub rewrite_enabled: Option<bool>,
    /// Store-assigned id (0 before it is stored).
    pub id: i64,
}

impl Table {
    /// HMS's "is external" test for data deletion: parameter `EXTERNAL` equals `TRUE`, any case.
    #[must_use]
    pub fn is_external(&self) -> bool {
        self.parameters.get(param::EXTERNAL).is_some_and(|v| v.eq_ignore_ascii_case("TRUE"))
    }

    /// Whether the table is a view (no data of its own).
    #[must_use]
    pub fn is_view(&self) -> bool {
        self.table_type == table_type::VIRTUAL_VIEW || self.table_type == table_type::MATERIALIZED_VIEW
    }

    /// Apply HMS's table-type coercion on write: `MANAGED_TABLE` with `EXTERNAL=TRUE` becomes
    /// `EXTERNAL_TABLE`, `EXTERNAL_TABLE` without it becomes `MANAGED_TABLE`.
    pub fn coerce_table_type(&mut self) {
        let external_param = self.parameters.get(param::EXTERNAL).is_some_and(|v| v == "TRUE");
        if self.table_type.is_empty() {
            self.table_type = table_type::MANAGED.to_string();
        }
        if self.table_type == table_type::MANAGED && external_param {
            self.table_type = table_type::EXTERNAL.to_string();
        } else if self.table_type == table_type::EXTERNAL && !external_param {
            self.table_type = table_type::MANAGED.to_string();
        }
    }

    /// The table's location, if it has one.
    #[must_use]
    pub fn location(&self) -> Option<&str> {
        self.sd.location.as_deref()
    }
}

/// A partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Partition {
    /// Values, one per partition key.
    pub values: Vec<String>,
    /// Lower-case database name.
    pub db_name: String,
    /// Lower-case table name.
    pub table_name: String,
    /// Creation time.
    pub create_time: EpochSeconds,
    /// Last access time.
    pub last_access_time: EpochSeconds,
    /// Storage (its location is the partition's).
    pub sd: StorageDescriptor,
    /// Parameters.
    pub parameters: Params,
}

/// A table's name and type, for listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSummary {
    /// Database.
    pub db_name: String,
    /// Table.
    pub name: String,
    /// Table type.
    pub table_type: String,
    /// The `comment` parameter.
    pub comment: Option<String>,
    /// Owner.
    pub owner: Option<String>,
}

/// Who is calling, for history rows and logs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Actor {
    /// The `set_ugi` user, else the peer address.
    pub user: String,
    /// The client's address.
    pub client_addr: String,
    /// A per-call id.
    pub request_id: String,
}

/// Kinds of location change kept in the history.
pub mod history_op {
    /// A table was created.
    pub const CREATE_TABLE: &str = "create_table";
    /// A table was dropped (data moved to the retained area).
    pub const DROP_TABLE: &str = "drop_table";
    /// A table was truncated (data moved to the retained area).
    pub const TRUNCATE_TABLE: &str = "truncate_table";
    /// A table was renamed or its location changed.
    pub const ALTER_TABLE: &str = "alter_table";
    /// A database was dropped (its directory moved to the retained area).
    pub const DROP_DATABASE: &str = "drop_database";
    /// A partition was added.
    pub const ADD_PARTITION: &str = "add";
    /// A partition's location changed.
    pub const ALTER_PARTITION: &str = "alter";
    /// A partition was dropped.
    pub const DROP_PARTITION: &str = "drop";
    /// A partition was put back to an earlier location, or restored, by `strata rollback`.
    pub const ROLLBACK: &str = "rollback";
    /// A partition added after the time a table was rolled back to was dropped (data retained).
    pub const ROLLBACK_DROP: &str = "rollback_drop";
    /// A dropped partition or table was restored from the retained area (`strata undrop`).
    pub const UNDROP: &str = "undrop";
    /// A batch written outside the engines was swapped in (`strata batch commit`).
    pub const BATCH_COMMIT: &str = "batch_commit";
    /// Data no longer needed was deleted by `strata gc --apply` (`previous_location`).
    pub const GC: &str = "gc";
    /// Copied in by `strata import` from another metastore (`new_location`: where the data
    /// already was; nothing on storage is touched). A partition's history starts here.
    pub const IMPORT: &str = "import";

    /// Whether a partition row of this kind leaves the partition dropped.
    #[must_use]
    pub fn removes_partition(op: &str) -> bool {
        op == DROP_PARTITION || op == ROLLBACK_DROP
    }
}

/// One row of the append-only location history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct HistoryEntry {
    /// Store-assigned sequence number (0 before it is stored).
    pub id: i64,
    /// What happened (see [`history_op`]).
    pub operation: String,
    /// Database.
    pub db_name: String,
    /// Table.
    pub table_name: String,
    /// Partition name, for partition rows.
    pub partition_name: Option<String>,
    /// Partition values, for partition rows.
    pub partition_values: Option<Vec<String>>,
    /// Batch id, where the change carries one.
    pub batch_id: Option<String>,
    /// Location before the change.
    pub previous_location: Option<String>,
    /// Location after the change (the retained path for drops).
    pub new_location: Option<String>,
    /// Who.
    pub actor: String,
    /// From where.
    pub client_addr: String,
    /// Request id.
    pub request_id: String,
    /// When, in milliseconds since the epoch.
    pub at_millis: i64,
}

/// A lock as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Lock id (one per request; shared by its components).
    pub lock_id: i64,
    /// The component.
    pub target: crate::lock::LockTarget,
    /// State.
    pub state: crate::lock::LockState,
    /// Transaction id, 0 for none.
    pub txn_id: i64,
    /// Requesting user.
    pub user: String,
    /// Requesting host.
    pub hostname: String,
    /// Agent info.
    pub agent_info: Option<String>,
    /// Last heartbeat, ms.
    pub last_heartbeat_millis: i64,
    /// When acquired, ms.
    pub acquired_at_millis: Option<i64>,
}

/// A lock request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRequest {
    /// Components.
    pub components: Vec<crate::lock::LockTarget>,
    /// Transaction id, 0 for none.
    pub txn_id: i64,
    /// User.
    pub user: String,
    /// Host.
    pub hostname: String,
    /// Agent info.
    pub agent_info: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_type_coercion() {
        let mut t = Table { table_type: table_type::MANAGED.into(), ..Table::default() };
        t.parameters.insert(param::EXTERNAL.into(), "TRUE".into());
        t.coerce_table_type();
        assert_eq!(t.table_type, table_type::EXTERNAL);
        assert!(t.is_external());
        let mut t = Table { table_type: table_type::EXTERNAL.into(), ..Table::default() };
        t.coerce_table_type();
        assert_eq!(t.table_type, table_type::MANAGED);
    }

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
