//! The notification log (`notification_log`, `notification_sequence`). Appending differs by
//! backend (`Dialect::append_event`); reading is shared.

use strata_core::{model::NotificationEvent, time::EpochSeconds};

/// A `notification_log` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EventRow {
    event_id: i64,
    event_time: i32,
    event_type: String,
    catalog_name: Option<String>,
    db_name: Option<String>,
    table_name: Option<String>,
    message: String,
    message_format: Option<String>,
}

impl EventRow {
    pub(crate) fn into_model(self) -> NotificationEvent {
        NotificationEvent {
            event_id: self.event_id,
            event_time: EpochSeconds(self.event_time),
            event_type: self.event_type,
            catalog_name: self.catalog_name,
            db_name: self.db_name,
            table_name: self.table_name,
            message: self.message,
            message_format: self.message_format,
        }
    }
}

/// Columns of [`EventRow`].
pub(crate) const EVENT_COLUMNS: &str =
    "event_id, event_time, event_type, catalog_name, db_name, table_name, message, message_format";

/// The insert of an event, followed by `SELECT <id>, $1, …, $7 …` (see [`bind_event!`]).
pub(crate) const EVENT_INSERT: &str = "INSERT INTO notification_log (event_id, event_time, event_type, \
     catalog_name, db_name, table_name, message, message_format)";

/// Bind an event's columns as `$1`..`$7` of [`EVENT_INSERT`]`… SELECT s.id, $1, …, $7 FROM s`.
macro_rules! bind_event {
    ($query:expr, $e:expr) => {
        $query
            .bind($e.event_time.0)
            .bind(&$e.event_type)
            .bind(&$e.catalog_name)
            .bind(&$e.db_name)
            .bind(&$e.table_name)
            .bind(&$e.message)
            .bind(&$e.message_format)
    };
}
pub(crate) use bind_event;

/// The events aggregate for one backend (see [`crate::sql`]).
macro_rules! events {
    ($store:ty) => {
        /// The notification log (`crate::sql::events`).
        mod events {
            use async_trait::async_trait;
            use strata_core::{model::NotificationEvent, Result};

            use $crate::{
                api::events::EventStore,
                dialect::Dialect,
                errors::db,
                sql::events::{EventRow, EVENT_COLUMNS},
            };

            type D = $store;

            #[async_trait]
            impl EventStore for D {
                async fn append_event(&self, e: &NotificationEvent) -> Result<i64> {
                    <D as Dialect>::append_event(self, e).await
                }

                async fn current_event_id(&self) -> Result<i64> {
                    let next: i64 = sqlx::query_scalar("SELECT next_event_id FROM notification_sequence WHERE id = 1")
                        .fetch_one(self.pool())
                        .await
                        .map_err(db("current event id"))?;
                    Ok(next - 1)
                }

                async fn events_after(
                    &self,
                    last_event: i64,
                    max: usize,
                    skip_types: &[String],
                ) -> Result<Vec<NotificationEvent>> {
                    let rows = sqlx::query_as::<_, EventRow>(&format!(
                        "SELECT {EVENT_COLUMNS} FROM notification_log WHERE event_id > $1 \
                         AND NOT (event_type {}) ORDER BY event_id LIMIT $3",
                        D::in_list("$2")
                    ))
                    .bind(last_event)
                    .bind(D::list(skip_types)?)
                    .bind(i64::try_from(max).unwrap_or(i64::MAX))
                    .fetch_all(self.pool())
                    .await
                    .map_err(db("events after"))?;
                    Ok(rows.into_iter().map(EventRow::into_model).collect())
                }

                async fn count_events(&self, db_name: &str, from: i64, to: Option<i64>) -> Result<i64> {
                    sqlx::query_scalar(
                        "SELECT count(*) FROM notification_log WHERE event_id > $1 \
                         AND ($2 IS NULL OR event_id <= $2) AND lower(db_name) = lower($3)",
                    )
                    .bind(from)
                    .bind(to)
                    .bind(db_name)
                    .fetch_one(self.pool())
                    .await
                    .map_err(db("count events"))
                }
            }
        }
    };
}
pub(crate) use events;
