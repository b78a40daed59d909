//! The notification log: event types and the JSON body of an event.

use serde::{Deserialize, Serialize};

use super::{Database, Function, Partition, Table};
use crate::time::EpochSeconds;

/// Event types as HMS names them.
pub mod event_type {
    /// A database was created.
    pub const CREATE_DATABASE: &str = "CREATE_DATABASE";
    /// A database was dropped.
    pub const DROP_DATABASE: &str = "DROP_DATABASE";
    /// A database was altered.
    pub const ALTER_DATABASE: &str = "ALTER_DATABASE";
    /// A table was created.
    pub const CREATE_TABLE: &str = "CREATE_TABLE";
    /// A table was dropped.
    pub const DROP_TABLE: &str = "DROP_TABLE";
    /// A table was altered (or renamed).
    pub const ALTER_TABLE: &str = "ALTER_TABLE";
    /// Partitions were added.
    pub const ADD_PARTITION: &str = "ADD_PARTITION";
    /// Partitions were dropped.
    pub const DROP_PARTITION: &str = "DROP_PARTITION";
    /// A partition was altered (or renamed).
    pub const ALTER_PARTITION: &str = "ALTER_PARTITION";
    /// A function was created.
    pub const CREATE_FUNCTION: &str = "CREATE_FUNCTION";
    /// A function was dropped.
    pub const DROP_FUNCTION: &str = "DROP_FUNCTION";
    /// Data was inserted (`fire_listener_event`).
    pub const INSERT: &str = "INSERT";
}

/// The `messageFormat` of Strata's events.
pub const MESSAGE_FORMAT: &str = "json-0.2";

/// One entry of the notification log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NotificationEvent {
    /// Gap-free id, assigned by the store (0 before).
    pub event_id: i64,
    /// When.
    pub event_time: EpochSeconds,
    /// One of [`event_type`].
    pub event_type: String,
    /// Catalog (`hive`).
    pub catalog_name: Option<String>,
    /// Database.
    pub db_name: Option<String>,
    /// Table.
    pub table_name: Option<String>,
    /// JSON message ([`EventMessage`]).
    pub message: String,
    /// [`MESSAGE_FORMAT`].
    pub message_format: Option<String>,
}

/// The JSON body of an event. The envelope keys (`server`, `servicePrincipal`, `db`, `table`,
/// `tableType`, `timestamp`, `files`) are those of Hive's `JSONMessageFactory` (`json-0.2`);
/// the objects are Strata's own JSON encoding of its model (`tableObj`, `partitionObjs`, ...),
/// not Hive's Thrift-JSON `*ObjJson` strings, so Hive's message deserializers will not read
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct EventMessage<'a> {
    /// The server (Hive's `hive.metastore.uris`); empty.
    pub server: String,
    /// Kerberos principal; empty.
    pub service_principal: String,
    /// Database.
    pub db: Option<String>,
    /// Table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Table type, for table events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_type: Option<String>,
    /// Seconds since the epoch.
    pub timestamp: i64,
    /// The database, for database events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_obj: Option<Database>,
    /// The table (after the change), for table and partition events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_obj: Option<Table>,
    /// The table before an alter (its old db/name show a rename).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_obj_before: Option<Table>,
    /// The partitions, for partition events (borrowed: a 10,000-partition add is not copied
    /// to be written down).
    #[serde(skip_serializing_if = "<[Partition]>::is_empty")]
    pub partition_objs: std::borrow::Cow<'a, [Partition]>,
    /// The partition before an alter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_obj_before: Option<Partition>,
    /// The function, for function events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_obj: Option<Function>,
    /// Files added, for insert events.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Partition values, for insert events into a partition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_vals: Option<Vec<String>>,
    /// Whether an insert replaced the data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace: Option<bool>,
}

impl EventMessage<'_> {
    /// The message as JSON text.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_message_has_the_envelope() {
        let m =
            EventMessage { db: Some("db".into()), table: Some("t".into()), timestamp: 5, ..EventMessage::default() };
        let v: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(v["server"], "");
        assert_eq!(v["servicePrincipal"], "");
        assert_eq!(v["db"], "db");
        assert_eq!(v["table"], "t");
        assert_eq!(v["timestamp"], 5);
        assert!(v.get("tableObj").is_none());
    }
}
