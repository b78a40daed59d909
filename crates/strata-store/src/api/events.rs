//! The notification log: what the catalog asks of the store.
//!
//! Ids are gap-free: each append takes the next id from the one-row `notification_sequence`
//! under its row lock and writes the event in the same transaction, so a rolled-back append
//! consumes no id and ids are committed in order (Hive >= 3 clients reject a log with holes).

use async_trait::async_trait;
use strata_core::{model::NotificationEvent, Result};

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
