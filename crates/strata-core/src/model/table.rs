//! Tables and their listings.

use serde::{Deserialize, Serialize};

use super::{FieldSchema, Params, PrincipalType, StorageDescriptor};
use crate::time::EpochSeconds;

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
}
