//! The notification log: events appended after each successful DDL, and the read API
//! (`get_next_notification`, `get_current_notificationEventId`, ...).
//!
//! Events are appended after the change commits, in a transaction of their own: a crash between
//! the two loses the event (HMS's transactional listener writes both in one transaction). A
//! failed append is logged and never fails the DDL. Messages are `json-0.2`-shaped envelopes
//! carrying Strata's own JSON of the objects (`strata_core::model::EventMessage`).

use strata_core::{
    model::{event_type, EventMessage, Function, NotificationEvent, MESSAGE_FORMAT},
    model::{Database, Partition, Table},
    names, Result,
};

use crate::Catalog;

/// One insert of `fire_listener_event`.
#[derive(Debug, Clone, Default)]
pub struct InsertEvent {
    /// Files the insert added.
    pub files: Vec<String>,
    /// Whether the insert replaced the data (`INSERT OVERWRITE`).
    pub replace: Option<bool>,
    /// The partition written, when it differs from the request's.
    pub partition_vals: Option<Vec<String>>,
}

/// Most events one `get_next_notification` returns (a client asking for all gets this many and
/// asks again from the last id).
pub const MAX_EVENTS_PER_CALL: usize = 10_000;

/// Most partitions one partition event carries: a call that adds, alters or drops more is
/// written down as several events of the same type (in order), so a 10,000-partition add does
/// not build, encode and send one message of ~10 MB.
pub const MAX_PARTITIONS_PER_EVENT: usize = 1_000;

impl Catalog {
    /// Append one event; failures are logged, not returned. Returns the id when appended.
    pub(crate) async fn emit(
        &self,
        kind: &str,
        db: &str,
        table: Option<&str>,
        message: EventMessage<'_>,
    ) -> Option<i64> {
        let now = self.now_seconds();
        let message = EventMessage {
            db: Some(db.to_string()),
            table: table.map(str::to_string),
            timestamp: i64::from(now.0),
            ..message
        };
        let event = NotificationEvent {
            event_id: 0,
            event_time: now,
            event_type: kind.to_string(),
            catalog_name: Some(names::DEFAULT_CATALOG.to_string()),
            db_name: Some(db.to_string()),
            table_name: table.map(str::to_string),
            message: message.to_json(),
            message_format: Some(MESSAGE_FORMAT.to_string()),
        };
        match self.store.append_event(&event).await {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::error!(error = %e, event_type = kind, db, table, "could not append a notification event");
                None
            }
        }
    }

    async fn emit_database(&self, kind: &str, db: &Database) {
        let message = EventMessage { database_obj: Some(db.clone()), ..EventMessage::default() };
        self.emit(kind, &db.name, None, message).await;
    }

    async fn emit_table(&self, kind: &str, table: &Table) {
        let message = EventMessage {
            table_type: Some(table.table_type.clone()),
            table_obj: Some(table.clone()),
            ..EventMessage::default()
        };
        self.emit(kind, &table.db_name, Some(&table.name), message).await;
    }

    /// One event per [`MAX_PARTITIONS_PER_EVENT`] partitions, in order.
    async fn emit_partitions(&self, kind: &str, db: &str, table: &str, parts: &[Partition]) {
        for chunk in parts.chunks(MAX_PARTITIONS_PER_EVENT) {
            let message = EventMessage { partition_objs: chunk.into(), ..EventMessage::default() };
            self.emit(kind, db, Some(table), message).await;
        }
    }

    /// `CREATE_DATABASE`.
    pub(crate) async fn on_create_database(&self, db: &Database) {
        self.emit_database(event_type::CREATE_DATABASE, db).await;
    }

    /// `ALTER_DATABASE`.
    pub(crate) async fn on_alter_database(&self, db: &Database) {
        self.emit_database(event_type::ALTER_DATABASE, db).await;
    }

    /// `DROP_DATABASE` (after one `DROP_TABLE` per table a cascade took along).
    pub(crate) async fn on_drop_database(&self, db: &Database) {
        self.emit_database(event_type::DROP_DATABASE, db).await;
    }

    /// `CREATE_TABLE`.
    pub(crate) async fn on_create_table(&self, table: &Table) {
        self.emit_table(event_type::CREATE_TABLE, table).await;
    }

    /// `DROP_TABLE`.
    pub(crate) async fn on_drop_table(&self, table: &Table) {
        self.emit_table(event_type::DROP_TABLE, table).await;
    }

    /// `ALTER_TABLE`, under the table's old name; `tableObj` is the table as stored after the
    /// change (so a rename shows its new db/name there).
    pub(crate) async fn on_alter_table(&self, db: &str, name: &str, after: &Table) {
        let stored = self.store.get_table(&after.db_name, &after.name).await.ok().flatten();
        let message = EventMessage {
            table_type: Some(after.table_type.clone()),
            table_obj: stored.or_else(|| Some(after.clone())),
            ..EventMessage::default()
        };
        self.emit(event_type::ALTER_TABLE, db, Some(name), message).await;
    }

    /// `ADD_PARTITION` (one event for the partitions one call added; none for none).
    pub(crate) async fn on_add_partition(&self, db: &str, table: &str, parts: &[Partition]) {
        self.emit_partitions(event_type::ADD_PARTITION, db, table, parts).await;
    }

    /// `ALTER_PARTITION` (partitions after the change; a rename carries the new values).
    pub(crate) async fn on_alter_partition(&self, db: &str, table: &str, parts: &[Partition]) {
        self.emit_partitions(event_type::ALTER_PARTITION, db, table, parts).await;
    }

    /// `DROP_PARTITION`.
    pub(crate) async fn on_drop_partition(&self, db: &str, table: &str, parts: &[Partition]) {
        self.emit_partitions(event_type::DROP_PARTITION, db, table, parts).await;
    }

    /// `CREATE_FUNCTION`, `DROP_FUNCTION`.
    pub(crate) async fn emit_function(&self, kind: &str, f: &Function) {
        let message = EventMessage { function_obj: Some(f.clone()), ..EventMessage::default() };
        self.emit(kind, &f.db_name, None, message).await;
    }

    /// The last event id (0 when none).
    pub async fn current_event_id(&self) -> Result<i64> {
        self.store.current_event_id().await
    }

    /// Events after `last_event`, ascending; at most `max` (≤ 0: up to
    /// [`MAX_EVENTS_PER_CALL`]), leaving out `skip_types`.
    pub async fn next_events(
        &self,
        last_event: i64,
        max: i32,
        skip_types: &[String],
    ) -> Result<Vec<NotificationEvent>> {
        let max =
            usize::try_from(max).ok().filter(|m| *m > 0).map_or(MAX_EVENTS_PER_CALL, |m| m.min(MAX_EVENTS_PER_CALL));
        self.store.events_after(last_event, max, skip_types).await
    }

    /// How many events of a database follow `from` (up to `to`, inclusive, if given).
    pub async fn count_events(&self, db: &str, from: i64, to: Option<i64>) -> Result<i64> {
        self.store.count_events(&names::normalize(&names::strip_catalog(db)), from, to).await
    }

    /// `fire_listener_event` with insert data: record one `INSERT` event per entry (one for an
    /// empty list) and return their ids.
    pub async fn fire_insert_events(
        &self,
        db: &str,
        table: &str,
        partition_vals: Option<Vec<String>>,
        inserts: Vec<InsertEvent>,
    ) -> Result<Vec<i64>> {
        let (db, table) = (names::normalize(&names::strip_catalog(db)), names::normalize(table));
        let inserts = if inserts.is_empty() { vec![InsertEvent::default()] } else { inserts };
        let mut ids = Vec::with_capacity(inserts.len());
        for InsertEvent { files, replace, partition_vals: part } in inserts {
            let now = self.now_seconds();
            let message = EventMessage {
                db: Some(db.clone()),
                table: (!table.is_empty()).then(|| table.clone()),
                timestamp: i64::from(now.0),
                files,
                replace,
                partition_vals: part.or_else(|| partition_vals.clone()),
                ..EventMessage::default()
            };
            let event = NotificationEvent {
                event_id: 0,
                event_time: now,
                event_type: event_type::INSERT.to_string(),
                catalog_name: Some(names::DEFAULT_CATALOG.to_string()),
                db_name: Some(db.clone()),
                table_name: (!table.is_empty()).then(|| table.clone()),
                message: message.to_json(),
                message_format: Some(MESSAGE_FORMAT.to_string()),
            };
            ids.push(self.store.append_event(&event).await?);
        }
        Ok(ids)
    }
}
