//! The append-only partition-location history: who changed what, and how.

use serde::{Deserialize, Serialize};

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
