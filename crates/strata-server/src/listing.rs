//! Partition listings written to the client as they are read.
//!
//! `get_partitions` and its kin can return every partition of a table. Built whole, a reply of
//! 100,000 partitions holds about 250 MB of structs before the first byte is sent. These calls
//! are decoded here instead of by the generated processor: the catalog opens the listing in one
//! snapshot and counts it, the reply's list header carries that count, and each page of
//! partitions is encoded and sent before the next is read. The bytes on the wire are the same as
//! the generated processor's; on an unframed connection the server's memory stays flat at any
//! size (a framed reply is still buffered whole as bytes, to write its length first).
//!
//! A failure before the first byte is answered with the declared exception, as the generated
//! processor does. A failure between pages cannot be answered (the count was sent): the
//! connection is closed and the client sees the call fail.

use std::time::{Duration, Instant};

use strata_catalog::partitions::{Limit, Listing};
use strata_core::names;
use strata_store::PartitionPages;
use strata_thrift::{self as t, methods::Method};
use thrift::{
    protocol::{
        TFieldIdentifier, TInputProtocol, TListIdentifier, TMessageIdentifier, TMessageType, TOutputProtocol,
        TSerializable, TStructIdentifier, TType,
    },
    ApplicationError, ApplicationErrorKind,
};
use tracing::Instrument;

use crate::{
    conn::Slots,
    convert, errors,
    handler::{target, Handler, R},
};

/// Partitions read from the store per page.
pub const PAGE: usize = 1000;

/// The methods served here: whole-table or partial listings that reply `list<Partition>`.
const STREAMED: &[Method] = &[
    Method::GetPartitions,
    Method::GetPartitionsWithAuth,
    Method::GetPartitionsPs,
    Method::GetPartitionsPsWithAuth,
    Method::GetPartitionsByFilter,
];

/// True when `method` is answered by this module.
#[must_use]
pub fn is_streamed(method: Method) -> bool {
    STREAMED.contains(&method)
}

/// A decoded listing call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCall {
    /// The method (one of [`STREAMED`]).
    pub method: Method,
    /// Database (possibly `@catalog#db`).
    pub db: String,
    /// Table.
    pub table: String,
    /// Partial values (`get_partitions_ps*`).
    pub values: Option<Vec<String>>,
    /// Filter (`get_partitions_by_filter`).
    pub filter: Option<String>,
    /// `max_parts` (negative: all).
    pub max: i16,
}

/// Decode the arguments of a listing call (the message header already read) with the
/// generated decoders: unknown or mistyped fields are skipped, missing ones take their IDL
/// default, exactly as when the generated processor serves the call.
pub fn read_call(method: Method, i: &mut dyn TInputProtocol) -> thrift::Result<ListCall> {
    let call = |db, table, values, filter, max| ListCall { method, db, table, values, filter, max };
    let call = match method {
        Method::GetPartitions => {
            let a = t::ThriftHiveMetastoreGetPartitionsArgs::read_from_in_protocol(i)?;
            call(a.db_name, a.tbl_name, None, None, a.max_parts)
        }
        Method::GetPartitionsWithAuth => {
            let a = t::ThriftHiveMetastoreGetPartitionsWithAuthArgs::read_from_in_protocol(i)?;
            call(a.db_name, a.tbl_name, None, None, a.max_parts)
        }
        Method::GetPartitionsPs => {
            let a = t::ThriftHiveMetastoreGetPartitionsPsArgs::read_from_in_protocol(i)?;
            call(a.db_name, a.tbl_name, Some(a.part_vals), None, a.max_parts)
        }
        Method::GetPartitionsPsWithAuth => {
            let a = t::ThriftHiveMetastoreGetPartitionsPsWithAuthArgs::read_from_in_protocol(i)?;
            call(a.db_name, a.tbl_name, Some(a.part_vals), None, a.max_parts)
        }
        Method::GetPartitionsByFilter => {
            let a = t::ThriftHiveMetastoreGetPartitionsByFilterArgs::read_from_in_protocol(i)?;
            call(a.db_name, a.tbl_name, None, Some(a.filter), a.max_parts)
        }
        other => {
            return Err(thrift::Error::Application(ApplicationError::new(
                ApplicationErrorKind::UnknownMethod,
                format!("Invalid method name: '{other}'"),
            )))
        }
    };
    i.read_message_end()?;
    Ok(call)
}

/// Answer a decoded listing call on `o`.
///
/// A listing sent page by page holds a database connection until its client has read it, so
/// only `slots.0` of them run at once (the others wait, up to `slots.1`): however many clients
/// are slow to read, the pool keeps connections for other calls.
pub fn serve(
    handler: &Handler,
    sequence: i32,
    call: ListCall,
    slots: (&Slots, Duration),
    o: &mut dyn TOutputProtocol,
) -> thrift::Result<()> {
    let method = call.method;
    let Some(slot) = slots.0.take(slots.1) else {
        tracing::warn!(method = method.name(), "listing refused: every listing place stayed busy");
        let busy =
            t::MetaException { message: Some("Too many partition listings in progress; try again later".to_string()) };
        return write_error(o, method, sequence, thrift::Error::User(Box::new(busy)));
    };
    match open(handler, call) {
        Ok(Listed::Whole(parts)) => {
            drop(slot);
            begin_list(o, method, sequence, parts.len())?;
            for part in &parts {
                part.write_to_out_protocol(o)?;
            }
            end_list(o)
        }
        Ok(Listed::Pages(mut stream)) => {
            begin_list(o, method, sequence, stream.total())?;
            while let Some(page) = next_page(handler, &mut stream)? {
                for part in &page {
                    part.write_to_out_protocol(o)?;
                }
            }
            end_list(o)
        }
        Err(e) => {
            drop(slot);
            write_error(o, method, sequence, e)
        }
    }
}

/// Open a partition listing (`get_partitions` and kin, see [`crate::listing`]): whole when
/// small or not pageable, else open on a snapshot to be read with [`next_page`].
fn open(handler: &Handler, call: ListCall) -> R<Listed> {
    let ListCall { method, db, table, values, filter, max } = call;
    let db = names::strip_catalog(&db);
    let start = Instant::now();
    let (result, span) = handler.call_in_span(method, &target(&db, &table), false, |c, _| async move {
        c.open_partition_listing(
            &db,
            &table,
            values.as_deref(),
            filter.as_deref(),
            Limit::from_max(i32::from(max)),
            PAGE,
        )
        .await
    });
    Ok(match result? {
        Listing::Whole(parts) => Listed::Whole(convert::partitions_out(parts)),
        Listing::Pages(pages) => Listed::Pages(PageStream {
            pages: Some(pages),
            runtime: handler.shared.runtime.clone(),
            span,
            method,
            start,
            sent: 0,
        }),
    })
}

/// The next page of an open listing, converted; `None` after the last.
fn next_page(handler: &Handler, stream: &mut PageStream) -> R<Option<Vec<t::Partition>>> {
    let Some(pages) = stream.pages.as_mut() else { return Ok(None) };
    let result = handler.shared.runtime.block_on(pages.next_page().instrument(stream.span.clone()));
    let _entered = stream.span.enter();
    match result {
        Ok(Some(page)) => {
            stream.sent += page.len();
            Ok(Some(convert::partitions_out(page)))
        }
        Ok(None) => {
            let latency_us = u64::try_from(stream.start.elapsed().as_micros()).unwrap_or(u64::MAX);
            tracing::debug!(latency_us, partitions = stream.sent, outcome = "ok", "listing sent");
            Ok(None)
        }
        Err(e) => {
            tracing::warn!(partitions = stream.sent, error = %e.message(), "listing failed after its first page");
            Err(errors::to_thrift(stream.method, e))
        }
    }
}

/// A listing as [`open`] returns it.
enum Listed {
    /// Every partition.
    Whole(Vec<t::Partition>),
    /// An open snapshot, read page by page.
    Pages(PageStream),
}

/// An open listing with the span of the call it answers.
struct PageStream {
    /// Always `Some` until dropped.
    pages: Option<Box<dyn PartitionPages>>,
    /// Where the open snapshot is given back when the listing ends early (see `Drop`).
    runtime: tokio::runtime::Handle,
    span: tracing::Span,
    method: Method,
    start: Instant,
    sent: usize,
}

impl PageStream {
    /// How many partitions the listing has.
    fn total(&self) -> usize {
        self.pages.as_ref().map_or(0, |p| p.total())
    }
}

impl Drop for PageStream {
    /// A listing dropped before its end (the client left, a write failed) still holds its
    /// snapshot: a pooled transaction whose drop starts a rollback task, which needs the
    /// runtime. Connection threads are not runtime threads, so drop it inside the runtime.
    fn drop(&mut self) {
        let _runtime = self.runtime.enter();
        drop(self.pages.take());
    }
}

fn begin_list(o: &mut dyn TOutputProtocol, method: Method, sequence: i32, len: usize) -> thrift::Result<()> {
    let len = i32::try_from(len).map_err(|_| {
        thrift::Error::Protocol(thrift::ProtocolError::new(
            thrift::ProtocolErrorKind::SizeLimit,
            format!("{len} partitions do not fit in one Thrift list"),
        ))
    })?;
    o.write_message_begin(&TMessageIdentifier::new(method.name(), TMessageType::Reply, sequence))?;
    o.write_struct_begin(&TStructIdentifier::new("result"))?;
    o.write_field_begin(&TFieldIdentifier::new("success", TType::List, 0))?;
    o.write_list_begin(&TListIdentifier::new(TType::Struct, len))
}

fn end_list(o: &mut dyn TOutputProtocol) -> thrift::Result<()> {
    o.write_list_end()?;
    o.write_field_end()?;
    o.write_field_stop()?;
    o.write_struct_end()?;
    o.write_message_end()?;
    o.flush()
}

/// The reply to a failed call, as the generated processor writes it: a declared exception in
/// its result field, anything else as a `TApplicationException`.
fn write_error(o: &mut dyn TOutputProtocol, method: Method, sequence: i32, e: thrift::Error) -> thrift::Result<()> {
    let declared = method.declared_exceptions();
    let field = |name: &str| declared.iter().position(|d| *d == name).and_then(|p| i16::try_from(p + 1).ok());
    let app = match e {
        thrift::Error::User(err) => {
            if let (Some(x), Some(id)) =
                (err.downcast_ref::<t::NoSuchObjectException>(), field("NoSuchObjectException"))
            {
                return write_exception(o, method, sequence, id, x);
            }
            if let (Some(x), Some(id)) = (err.downcast_ref::<t::MetaException>(), field("MetaException")) {
                return write_exception(o, method, sequence, id, x);
            }
            ApplicationError::new(ApplicationErrorKind::Unknown, err.to_string())
        }
        thrift::Error::Application(app) => app,
        other => ApplicationError::new(ApplicationErrorKind::Unknown, other.to_string()),
    };
    o.write_message_begin(&TMessageIdentifier::new(method.name(), TMessageType::Exception, sequence))?;
    thrift::Error::write_application_error_to_out_protocol(&app, o)?;
    o.write_message_end()?;
    o.flush()
}

/// A reply whose result struct holds a declared exception in field `id`.
fn write_exception<E: TSerializable>(
    o: &mut dyn TOutputProtocol,
    method: Method,
    sequence: i32,
    id: i16,
    exception: &E,
) -> thrift::Result<()> {
    o.write_message_begin(&TMessageIdentifier::new(method.name(), TMessageType::Reply, sequence))?;
    o.write_struct_begin(&TStructIdentifier::new("result"))?;
    o.write_field_begin(&TFieldIdentifier::new("o", TType::Struct, id))?;
    exception.write_to_out_protocol(o)?;
    o.write_field_end()?;
    o.write_field_stop()?;
    o.write_struct_end()?;
    o.write_message_end()?;
    o.flush()
}

#[cfg(test)]
mod tests {
    use thrift::protocol::{TBinaryInputProtocol, TBinaryOutputProtocol};

    use super::*;

    fn encode(write: impl FnOnce(&mut dyn TOutputProtocol)) -> Vec<u8> {
        let mut buf = Vec::new();
        {
            let mut o = TBinaryOutputProtocol::new(&mut buf, true);
            write(&mut o);
        }
        buf
    }

    #[test]
    fn decodes_each_method_with_defaults_and_skips() {
        // get_partitions_ps_with_auth: db, table, values, max, then user and groups (skipped).
        let bytes = encode(|o| {
            o.write_struct_begin(&TStructIdentifier::new("args")).unwrap();
            o.write_field_begin(&TFieldIdentifier::new("db_name", TType::String, 1)).unwrap();
            o.write_string("@hive#Sales").unwrap();
            o.write_field_begin(&TFieldIdentifier::new("tbl_name", TType::String, 2)).unwrap();
            o.write_string("Items").unwrap();
            o.write_field_begin(&TFieldIdentifier::new("part_vals", TType::List, 3)).unwrap();
            o.write_list_begin(&TListIdentifier::new(TType::String, 2)).unwrap();
            o.write_string("2016").unwrap();
            o.write_string("").unwrap();
            o.write_field_begin(&TFieldIdentifier::new("max_parts", TType::I16, 4)).unwrap();
            o.write_i16(7).unwrap();
            o.write_field_begin(&TFieldIdentifier::new("user_name", TType::String, 5)).unwrap();
            o.write_string("ana").unwrap();
            o.write_field_begin(&TFieldIdentifier::new("group_names", TType::List, 6)).unwrap();
            o.write_list_begin(&TListIdentifier::new(TType::String, 1)).unwrap();
            o.write_string("g").unwrap();
            o.write_field_stop().unwrap();
            o.write_struct_end().unwrap();
        });
        let mut input = TBinaryInputProtocol::new(&bytes[..], true);
        let call = read_call(Method::GetPartitionsPsWithAuth, &mut input).unwrap();
        assert_eq!(
            call,
            ListCall {
                method: Method::GetPartitionsPsWithAuth,
                db: "@hive#Sales".into(),
                table: "Items".into(),
                values: Some(vec!["2016".into(), String::new()]),
                filter: None,
                max: 7,
            }
        );

        // get_partitions_by_filter with only db and table: filter "" and max -1, as generated.
        let bytes = encode(|o| {
            o.write_struct_begin(&TStructIdentifier::new("args")).unwrap();
            o.write_field_begin(&TFieldIdentifier::new("db_name", TType::String, 1)).unwrap();
            o.write_string("d").unwrap();
            o.write_field_begin(&TFieldIdentifier::new("tbl_name", TType::String, 2)).unwrap();
            o.write_string("t").unwrap();
            // A mistyped max (i32) is skipped.
            o.write_field_begin(&TFieldIdentifier::new("max_parts", TType::I32, 4)).unwrap();
            o.write_i32(9).unwrap();
            o.write_field_stop().unwrap();
            o.write_struct_end().unwrap();
        });
        let mut input = TBinaryInputProtocol::new(&bytes[..], true);
        let call = read_call(Method::GetPartitionsByFilter, &mut input).unwrap();
        assert_eq!((call.filter.as_deref(), call.values, call.max), (Some(""), None, -1));
    }

    #[test]
    fn only_list_methods_are_streamed() {
        for m in STREAMED {
            assert!(t::methods::is_served(m.name()), "{m}");
            // Each one's arguments decode (all defaults from an empty struct).
            let bytes = encode(|o| {
                o.write_struct_begin(&TStructIdentifier::new("args")).unwrap();
                o.write_field_stop().unwrap();
                o.write_struct_end().unwrap();
            });
            let call = read_call(*m, &mut TBinaryInputProtocol::new(&bytes[..], true)).unwrap();
            assert_eq!((call.method, call.max), (*m, -1), "{m}");
        }
        assert!(!is_streamed(Method::GetPartitionsByNames));
        assert!(!is_streamed(Method::GetTable));
        assert!(read_call(Method::GetTable, &mut TBinaryInputProtocol::new(&[][..], true)).is_err());
    }

    #[test]
    fn errors_go_in_the_declared_field() {
        let err = thrift::Error::User(Box::new(t::NoSuchObjectException { message: Some("gone".into()) }));
        let bytes = encode(|o| write_error(o, Method::GetPartitionsPs, 5, err).unwrap());
        let mut i = TBinaryInputProtocol::new(&bytes[..], true);
        let ident = i.read_message_begin().unwrap();
        assert_eq!(
            (ident.name.as_str(), ident.message_type, ident.sequence_number),
            ("get_partitions_ps", TMessageType::Reply, 5)
        );
        i.read_struct_begin().unwrap();
        let field = i.read_field_begin().unwrap();
        // get_partitions_ps declares (1: MetaException, 2: NoSuchObjectException).
        assert_eq!((field.id, field.field_type), (Some(2), TType::Struct));
        let e = t::NoSuchObjectException::read_from_in_protocol(&mut i).unwrap();
        assert_eq!(e.message.as_deref(), Some("gone"));

        let app = thrift::Error::Application(ApplicationError::new(ApplicationErrorKind::InternalError, "boom"));
        let bytes = encode(|o| write_error(o, Method::GetPartitions, 6, app).unwrap());
        let mut i = TBinaryInputProtocol::new(&bytes[..], true);
        assert_eq!(i.read_message_begin().unwrap().message_type, TMessageType::Exception);
        let read = thrift::Error::read_application_error_from_in_protocol(&mut i).unwrap();
        assert_eq!((read.kind, read.message.as_str()), (ApplicationErrorKind::InternalError, "boom"));
    }
}
