//! Errors of the catalog, one variant per kind of exception an HMS client can receive.
//!
//! The message of each variant is sent to the client as-is, so it is written the way Apache HMS
//! words it. The server maps every variant to its Thrift exception in one place.

/// A catalog error. The variant decides the HMS exception type; the message is the client's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// `NoSuchObjectException`: the object asked for does not exist.
    #[error("{0}")]
    NoSuchObject(String),
    /// `AlreadyExistsException`.
    #[error("{0}")]
    AlreadyExists(String),
    /// `InvalidObjectException`: the object sent is malformed (bad name, missing parent).
    #[error("{0}")]
    InvalidObject(String),
    /// `InvalidOperationException`: the operation is not allowed in the current state.
    #[error("{0}")]
    InvalidOperation(String),
    /// `MetaException`: anything else the client should see.
    #[error("{0}")]
    Meta(String),
    /// `UnknownDBException`.
    #[error("{0}")]
    UnknownDb(String),
    /// `UnknownTableException` (`get_fields`, `get_schema`).
    #[error("{0}")]
    UnknownTable(String),
    /// `NoSuchLockException`.
    #[error("{0}")]
    NoSuchLock(String),
    /// `NoSuchTxnException`.
    #[error("{0}")]
    NoSuchTxn(String),
    /// `TxnAbortedException`.
    #[error("{0}")]
    TxnAborted(String),
    /// `ConfigValSecurityException`.
    #[error("{0}")]
    ConfigValSecurity(String),
    /// A fault inside Strata (database down, I/O error). Logged in full; the client gets a
    /// `MetaException` that names the error id.
    #[error("internal error: {0}")]
    Internal(String),
}

impl CatalogError {
    /// An internal error from any displayable cause.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    /// The HMS exception name this error becomes on the wire (for logs).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NoSuchObject(_) => "NoSuchObjectException",
            Self::AlreadyExists(_) => "AlreadyExistsException",
            Self::InvalidObject(_) => "InvalidObjectException",
            Self::InvalidOperation(_) => "InvalidOperationException",
            Self::Meta(_) | Self::Internal(_) => "MetaException",
            Self::UnknownDb(_) => "UnknownDBException",
            Self::UnknownTable(_) => "UnknownTableException",
            Self::NoSuchLock(_) => "NoSuchLockException",
            Self::NoSuchTxn(_) => "NoSuchTxnException",
            Self::TxnAborted(_) => "TxnAbortedException",
            Self::ConfigValSecurity(_) => "ConfigValSecurityException",
        }
    }

    /// The message carried by the error.
    #[must_use]
    pub fn message(&self) -> &str {
        match self {
            Self::NoSuchObject(m)
            | Self::AlreadyExists(m)
            | Self::InvalidObject(m)
            | Self::InvalidOperation(m)
            | Self::Meta(m)
            | Self::UnknownDb(m)
            | Self::UnknownTable(m)
            | Self::NoSuchLock(m)
            | Self::NoSuchTxn(m)
            | Self::TxnAborted(m)
            | Self::ConfigValSecurity(m)
            | Self::Internal(m) => m,
        }
    }
}

/// Result with a [`CatalogError`].
pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// The messages Apache HMS sends, in one place so that handlers and tests agree.
pub mod msg {
    /// `NoSuchObjectException` for a missing database (`get_database` and friends): Apache HMS
    /// 2.3 sends the bare name.
    #[must_use]
    pub fn no_such_database(db: &str) -> String {
        db.to_string()
    }
    /// `AlreadyExistsException` from `create_database`.
    #[must_use]
    pub fn database_exists(db: &str) -> String {
        format!("Database {db} already exists")
    }
    /// `InvalidOperationException` from a non-cascading drop of a database with tables.
    #[must_use]
    pub fn database_not_empty_tables(db: &str) -> String {
        format!("Database {db} is not empty. One or more tables exist.")
    }
    /// `InvalidOperationException` from a non-cascading drop of a database with functions.
    #[must_use]
    pub fn database_not_empty_functions(db: &str) -> String {
        format!("Database {db} is not empty. One or more functions exist.")
    }
    /// `MetaException` when dropping `default`.
    pub const CANNOT_DROP_DEFAULT: &str = "Can not drop default database";
    /// `NoSuchObjectException` for a missing table on reads.
    #[must_use]
    pub fn table_not_found(db: &str, table: &str) -> String {
        format!("{db}.{table} table not found")
    }
    /// `AlreadyExistsException` from `create_table` (with the name as the client spelled it).
    #[must_use]
    pub fn table_exists(table: &str) -> String {
        format!("Table {table} already exists")
    }
    /// The store's `NoSuchObjectException` from `drop_table` (the catalog answers clients with
    /// [`table_not_found`], as 2.3 does).
    #[must_use]
    pub fn table_doesnt_exist(table: &str) -> String {
        format!("{table} doesn't exist")
    }
    /// `InvalidOperationException` from `alter_table` of a missing table (2.3 answers with the
    /// `get_table` text).
    #[must_use]
    pub fn alter_missing_table(db: &str, table: &str) -> String {
        table_not_found(db, table)
    }
    /// `InvalidOperationException` from an alter that changes a table's partition keys.
    pub const PARTITION_KEYS_CHANGED: &str = "partition keys can not be changed.";
    /// `InvalidOperationException` from a rename onto an existing table.
    #[must_use]
    pub fn rename_target_exists(db: &str, table: &str) -> String {
        format!("new table {db}.{table} already exists")
    }
    /// `MetaException` from Iceberg's compare-and-swap when the current value differs.
    #[must_use]
    pub fn cas_mismatch(key: &str, current: Option<&str>, expected: &str) -> String {
        let current = current.unwrap_or("null");
        format!(
            "The table has been modified. The parameter value for key '{key}' is '{current}'. The expected was value was '{expected}'"
        )
    }
    /// `MetaException` from compare-and-swap when the new table lacks the key.
    #[must_use]
    pub fn cas_new_value_missing(key: &str) -> String {
        format!("New value for expected key {key} is not set")
    }
    /// `UnknownDBException` from `get_table_objects_by_name_req`.
    #[must_use]
    pub fn could_not_find_database(db: &str) -> String {
        format!("Could not find database {db}")
    }
    /// `NoSuchLockException`.
    #[must_use]
    pub fn no_such_lock(id: i64) -> String {
        format!("No such lock lockid:{id}")
    }
}
