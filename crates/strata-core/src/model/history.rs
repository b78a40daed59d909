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

/// Kinds of location change kept in the history. Stored, logged and shown as [`Self::as_str`]
/// (`create_table`, `add`, `alter`, `drop`, ...), the names the audit SQL of docs/audit.md uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HistoryOp {
    /// A table was created.
    #[default]
    CreateTable,
    /// A table was dropped (data moved to the retained area).
    DropTable,
    /// A table was truncated (data moved to the retained area).
    TruncateTable,
    /// A table was renamed or its location changed.
    AlterTable,
    /// A database was dropped (its directory moved to the retained area).
    DropDatabase,
    /// A partition was added.
    #[serde(rename = "add")]
    AddPartition,
    /// A partition's location changed.
    #[serde(rename = "alter")]
    AlterPartition,
    /// A partition was dropped.
    #[serde(rename = "drop")]
    DropPartition,
    /// A partition was put back to an earlier location, or restored, by `strata rollback`.
    Rollback,
    /// A partition added after the time a table was rolled back to was dropped (data retained).
    RollbackDrop,
    /// A dropped partition or table was restored from the retained area (`strata undrop`).
    Undrop,
    /// A batch written outside the engines was swapped in (`strata batch commit`).
    BatchCommit,
    /// Data no longer needed was deleted by `strata gc --apply` (`previous_location`).
    Gc,
    /// Copied in by `strata import` from another metastore (`new_location`: where the data
    /// already was; nothing on storage is touched). A partition's history starts here.
    Import,
}

impl HistoryOp {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 14] = [
        Self::CreateTable,
        Self::DropTable,
        Self::TruncateTable,
        Self::AlterTable,
        Self::DropDatabase,
        Self::AddPartition,
        Self::AlterPartition,
        Self::DropPartition,
        Self::Rollback,
        Self::RollbackDrop,
        Self::Undrop,
        Self::BatchCommit,
        Self::Gc,
        Self::Import,
    ];

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CreateTable => "create_table",
            Self::DropTable => "drop_table",
            Self::TruncateTable => "truncate_table",
            Self::AlterTable => "alter_table",
            Self::DropDatabase => "drop_database",
            Self::AddPartition => "add",
            Self::AlterPartition => "alter",
            Self::DropPartition => "drop",
            Self::Rollback => "rollback",
            Self::RollbackDrop => "rollback_drop",
            Self::Undrop => "undrop",
            Self::BatchCommit => "batch_commit",
            Self::Gc => "gc",
            Self::Import => "import",
        }
    }

    /// The kind a stored name names, if any.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str() == name)
    }

    /// Whether a partition row of this kind leaves the partition dropped.
    #[must_use]
    pub const fn removes_partition(self) -> bool {
        matches!(self, Self::DropPartition | Self::RollbackDrop)
    }
}

impl std::fmt::Display for HistoryOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the append-only location history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct HistoryEntry {
    /// Store-assigned sequence number (0 before it is stored).
    pub id: i64,
    /// What happened.
    pub operation: HistoryOp,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip_and_match_serde() {
        for op in HistoryOp::ALL {
            assert_eq!(HistoryOp::parse(op.as_str()), Some(op));
            assert_eq!(serde_json::to_string(&op).unwrap(), format!("\"{}\"", op.as_str()));
        }
        assert_eq!(HistoryOp::parse("nonsense"), None);
        assert!(HistoryOp::DropPartition.removes_partition() && HistoryOp::RollbackDrop.removes_partition());
        assert!(!HistoryOp::Undrop.removes_partition());
    }
}
