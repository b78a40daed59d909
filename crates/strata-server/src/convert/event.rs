//! Notification events.

use strata_core::model::NotificationEvent;
use strata_thrift as t;

/// A notification event to the wire.
#[must_use]
pub fn event_out(e: NotificationEvent) -> t::NotificationEvent {
    t::NotificationEvent {
        event_id: e.event_id,
        event_time: e.event_time.0,
        event_type: e.event_type,
        db_name: e.db_name,
        table_name: e.table_name,
        message: e.message,
        message_format: e.message_format,
        cat_name: e.catalog_name,
    }
}
