//! The notification log.

use strata_thrift::{self as t, methods::Method as M};

use crate::{
    convert,
    handler::{target, Handler, R},
};

impl Handler {
    pub(super) fn get_next_notification(&self, rqst: t::NotificationEventRequest) -> R<t::NotificationEventResponse> {
        self.call(M::GetNextNotification, "", |c, _| async move {
            let skip = rqst.event_type_skip_list.unwrap_or_default();
            let events = c.next_events(rqst.last_event, rqst.max_events.unwrap_or(-1), &skip).await?;
            Ok(t::NotificationEventResponse { events: events.into_iter().map(convert::event_out).collect() })
        })
    }

    pub(super) fn get_current_notification_event_id(&self) -> R<t::CurrentNotificationEventId> {
        self.call(M::GetCurrentNotificationEventId, "", |c, _| async move {
            Ok(t::CurrentNotificationEventId { event_id: c.current_event_id().await? })
        })
    }

    pub(super) fn get_notification_events_count(
        &self,
        rqst: t::NotificationEventsCountRequest,
    ) -> R<t::NotificationEventsCountResponse> {
        self.call(M::GetNotificationEventsCount, &rqst.db_name.clone(), |c, _| async move {
            let events_count = c.count_events(&rqst.db_name, rqst.from_event_id, rqst.to_event_id).await?;
            Ok(t::NotificationEventsCountResponse { events_count })
        })
    }

    pub(super) fn fire_listener_event(&self, rqst: t::FireEventRequest) -> R<t::FireEventResponse> {
        let db = rqst.db_name.unwrap_or_default();
        let table = rqst.table_name.unwrap_or_default();
        self.call(M::FireListenerEvent, &target(&db, &table), |c, _| async move {
            if !rqst.successful {
                return Ok(t::FireEventResponse { event_ids: Some(Vec::new()) });
            }
            let inserts = match rqst.data {
                t::FireEventRequestData::InsertData(d) => vec![d],
                t::FireEventRequestData::InsertDatas(ds) => ds,
                t::FireEventRequestData::RefreshEvent(_) => {
                    return Ok(t::FireEventResponse { event_ids: Some(Vec::new()) })
                }
            };
            let inserts = inserts
                .into_iter()
                .map(|d| strata_catalog::events::InsertEvent {
                    files: d.files_added.unwrap_or_default(),
                    replace: d.replace,
                    partition_vals: d.partition_val,
                })
                .collect();
            let ids = c.fire_insert_events(&db, &table, rqst.partition_vals, inserts).await?;
            Ok(t::FireEventResponse { event_ids: Some(ids) })
        })
    }
}
