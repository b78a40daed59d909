//! The notification log (`notification_log`, `notification_sequence`), for both backends.
//!
//! Ids are gap-free: each append takes the next id from the one-row `notification_sequence`
//! under its row lock (the `UPDATE`'s on PostgreSQL; SQLite's `BEGIN IMMEDIATE` write lock) and
//! writes the event in the same transaction, so a rolled-back append consumes no id
//! and ids are committed in order (Hive ≥ 3 clients reject a log with holes).

use async_trait::async_trait;
use strata_core::{model::NotificationEvent, time::EpochSeconds, Result};

use crate::{common::db, functions::begin_sqlite, postgres::PgStore, sqlite::SqliteStore};

/// The catalog's notification log.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Append an event (its `event_id` is ignored); returns the id it got: the previous last id
    /// plus one.
    async fn append_event(&self, event: &NotificationEvent) -> Result<i64>;
    /// The last id handed out (0 when none).
    async fn current_event_id(&self) -> Result<i64>;
    /// Events with an id above `last_event`, ascending, at most `max`, leaving out the types in
    /// `skip_types`.
    async fn events_after(&self, last_event: i64, max: usize, skip_types: &[String]) -> Result<Vec<NotificationEvent>>;
    /// How many events of database `db` have an id above `from` (and at most `to`, if given).
    async fn count_events(&self, db: &str, from: i64, to: Option<i64>) -> Result<i64>;
}

#[derive(Debug, sqlx::FromRow)]
struct EventRow {
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
    fn into_model(self) -> NotificationEvent {
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

const EVENT_COLUMNS: &str =
    "event_id, event_time, event_type, catalog_name, db_name, table_name, message, message_format";

fn limit(max: usize) -> i64 {
    i64::try_from(max).unwrap_or(i64::MAX)
}

macro_rules! event_store_impl {
    ($store:ty, $append:expr, $skip:literal, $skip_list:expr) => {
        #[async_trait]
        impl EventStore for $store {
            async fn append_event(&self, e: &NotificationEvent) -> Result<i64> {
                $append(self, e).await
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
                    "SELECT {EVENT_COLUMNS} FROM notification_log WHERE event_id > $1 AND {} \
                     ORDER BY event_id LIMIT $3",
                    $skip
                ))
                .bind(last_event)
                .bind($skip_list(skip_types))
                .bind(limit(max))
                .fetch_all(self.pool())
                .await
                .map_err(db("events after"))?;
                Ok(rows.into_iter().map(EventRow::into_model).collect())
            }

            async fn count_events(&self, db_name: &str, from: i64, to: Option<i64>) -> Result<i64> {
                sqlx::query_scalar(
                    "SELECT count(*) FROM notification_log WHERE event_id > $1 AND ($2 IS NULL OR event_id <= $2) \
                     AND lower(db_name) = lower($3)",
                )
                .bind(from)
                .bind(to)
                .bind(db_name)
                .fetch_one(self.pool())
                .await
                .map_err(db("count events"))
            }
        }
    };
}

fn pg_skip(types: &[String]) -> Vec<String> {
    types.to_vec()
}

fn sqlite_skip(types: &[String]) -> String {
    serde_json::to_string(types).unwrap_or_else(|_| "[]".into())
}

const EVENT_INSERT: &str = "INSERT INTO notification_log (event_id, event_time, event_type, catalog_name, db_name, \
     table_name, message, message_format)";

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

/// One statement (one round trip, its own transaction): the sequence row's update takes its
/// row lock, so concurrent appends commit their ids in order.
async fn append_pg(store: &PgStore, e: &NotificationEvent) -> Result<i64> {
    let sql = format!(
        "WITH s AS (UPDATE notification_sequence SET next_event_id = next_event_id + 1 WHERE id = 1 \
         RETURNING next_event_id - 1 AS id) \
         {EVENT_INSERT} SELECT s.id, $1, $2, $3, $4, $5, $6, $7 FROM s RETURNING event_id"
    );
    bind_event!(sqlx::query_scalar(&sql), e).fetch_one(store.pool()).await.map_err(db("append event"))
}

/// SQLite cannot write inside a `WITH`: the sequence and the log in one write transaction.
async fn append_sqlite(store: &SqliteStore, e: &NotificationEvent) -> Result<i64> {
    let mut tx = begin_sqlite(store).await?;
    sqlx::query("UPDATE notification_sequence SET next_event_id = next_event_id + 1 WHERE id = 1")
        .execute(&mut *tx)
        .await
        .map_err(db("append event: sequence"))?;
    let sql = format!(
        "{EVENT_INSERT} SELECT s.id, $1, $2, $3, $4, $5, $6, $7 \
         FROM (SELECT next_event_id - 1 AS id FROM notification_sequence WHERE id = 1) AS s RETURNING event_id"
    );
    let id = bind_event!(sqlx::query_scalar(&sql), e).fetch_one(&mut *tx).await.map_err(db("append event"))?;
    tx.commit().await.map_err(db("append event: commit"))?;
    Ok(id)
}

event_store_impl!(PgStore, append_pg, "NOT (event_type = ANY($2))", pg_skip);
event_store_impl!(SqliteStore, append_sqlite, "event_type NOT IN (SELECT value FROM json_each($2))", sqlite_skip);
