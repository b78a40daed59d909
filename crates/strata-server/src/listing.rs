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

use thrift::{
    protocol::{
        field_id, TFieldIdentifier, TInputProtocol, TListIdentifier, TMessageIdentifier, TMessageType, TOutputProtocol,
        TSerializable, TStructIdentifier, TType,
    },
    ApplicationError, ApplicationErrorKind,
};

use std::time::Duration;

use strata_thrift as t;

use crate::{
    conn::Slots,
    handler::{Handler, Listed},
};

/// Partitions read from the store per page.
pub const PAGE: usize = 1000;

/// The methods served here: whole-table or partial listings that reply `list<Partition>`.
const STREAMED: &[&str] = &[
    "get_partitions",
    "get_partitions_with_auth",
    "get_partitions_ps",
    "get_partitions_ps_with_auth",
    "get_partitions_by_filter",
];

/// True when `method` is answered by this module.
#[must_use]
pub fn is_streamed(method: &str) -> bool {
    STREAMED.contains(&method)
}

/// A decoded listing call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCall {
    /// The method (one of [`STREAMED`]).
    pub method: &'static str,
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

/// Where each argument of a method sits: (db, table, values, filter, max) field ids.
struct Fields {
    values: Option<i16>,
    filter: Option<i16>,
    max: i16,
}

fn fields(method: &str) -> Option<(&'static str, Fields)> {
    let (name, f) = match method {
        "get_partitions" => ("get_partitions", Fields { values: None, filter: None, max: 3 }),
        "get_partitions_with_auth" => ("get_partitions_with_auth", Fields { values: None, filter: None, max: 3 }),
        "get_partitions_ps" => ("get_partitions_ps", Fields { values: Some(3), filter: None, max: 4 }),
        "get_partitions_ps_with_auth" => {
            ("get_partitions_ps_with_auth", Fields { values: Some(3), filter: None, max: 4 })
        }
        "get_partitions_by_filter" => ("get_partitions_by_filter", Fields { values: None, filter: Some(3), max: 4 }),
        _ => return None,
    };
    Some((name, f))
}

/// Decode the arguments of a listing call (the message header already read), as the generated
/// code does: unknown or mistyped fields are skipped, missing ones take their IDL default.
pub fn read_call(method: &str, i: &mut dyn TInputProtocol) -> thrift::Result<ListCall> {
    let Some((method, f)) = fields(method) else {
        return Err(thrift::Error::Application(ApplicationError::new(
            ApplicationErrorKind::UnknownMethod,
            format!("Invalid method name: '{method}'"),
        )));
    };
    let mut call = ListCall {
        method,
        db: String::new(),
        table: String::new(),
        values: f.values.map(|_| Vec::new()),
        filter: f.filter.map(|_| String::new()),
        max: -1,
    };
    i.read_struct_begin()?;
    loop {
        let ident = i.read_field_begin()?;
        if ident.field_type == TType::Stop {
            break;
        }
        let id = field_id(&ident)?;
        match (id, ident.field_type) {
            (1, TType::String) => call.db = i.read_string()?,
            (2, TType::String) => call.table = i.read_string()?,
            (id, TType::I16) if id == f.max => call.max = i.read_i16()?,
            (id, TType::String) if Some(id) == f.filter => call.filter = Some(i.read_string()?),
            (id, TType::List) if Some(id) == f.values => {
                let list = i.read_list_begin()?;
                let mut values = Vec::with_capacity(usize::try_from(list.size).unwrap_or(0).min(1024));
                for _ in 0..list.size {
                    values.push(i.read_string()?);
                }
                i.read_list_end()?;
                call.values = Some(values);
            }
            (_, ty) => i.skip(ty)?,
        }
        i.read_field_end()?;
    }
    i.read_struct_end()?;
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
        tracing::warn!(method, "listing refused: every listing place stayed busy");
        let busy =
            t::MetaException { message: Some("Too many partition listings in progress; try again later".to_string()) };
        return write_error(o, method, sequence, thrift::Error::User(Box::new(busy)));
    };
    match handler.open_listing(call) {
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
            while let Some(page) = handler.next_page(&mut stream)? {
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

fn begin_list(o: &mut dyn TOutputProtocol, method: &str, sequence: i32, len: usize) -> thrift::Result<()> {
    let len = i32::try_from(len).map_err(|_| {
        thrift::Error::Protocol(thrift::ProtocolError::new(
            thrift::ProtocolErrorKind::SizeLimit,
            format!("{len} partitions do not fit in one Thrift list"),
        ))
    })?;
    o.write_message_begin(&TMessageIdentifier::new(method, TMessageType::Reply, sequence))?;
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
fn write_error(o: &mut dyn TOutputProtocol, method: &str, sequence: i32, e: thrift::Error) -> thrift::Result<()> {
    let declared = t::methods::declared_exceptions(method);
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
    o.write_message_begin(&TMessageIdentifier::new(method, TMessageType::Exception, sequence))?;
    thrift::Error::write_application_error_to_out_protocol(&app, o)?;
    o.write_message_end()?;
    o.flush()
}

/// A reply whose result struct holds a declared exception in field `id`.
fn write_exception<E: TSerializable>(
    o: &mut dyn TOutputProtocol,
    method: &str,
    sequence: i32,
    id: i16,
    exception: &E,
) -> thrift::Result<()> {
    o.write_message_begin(&TMessageIdentifier::new(method, TMessageType::Reply, sequence))?;
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
        let call = read_call("get_partitions_ps_with_auth", &mut input).unwrap();
        assert_eq!(
            call,
            ListCall {
                method: "get_partitions_ps_with_auth",
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
        let call = read_call("get_partitions_by_filter", &mut input).unwrap();
        assert_eq!((call.filter.as_deref(), call.values, call.max), (Some(""), None, -1));
    }

    #[test]
    fn only_list_methods_are_streamed() {
        for m in STREAMED {
            assert!(fields(m).is_some(), "{m}");
            assert!(t::methods::is_served(m), "{m}");
        }
        assert!(!is_streamed("get_partitions_by_names"));
        assert!(!is_streamed("get_table"));
        assert!(read_call("get_table", &mut TBinaryInputProtocol::new(&[][..], true)).is_err());
    }

    #[test]
    fn errors_go_in_the_declared_field() {
        let err = thrift::Error::User(Box::new(t::NoSuchObjectException { message: Some("gone".into()) }));
        let bytes = encode(|o| write_error(o, "get_partitions_ps", 5, err).unwrap());
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
        let bytes = encode(|o| write_error(o, "get_partitions", 6, app).unwrap());
        let mut i = TBinaryInputProtocol::new(&bytes[..], true);
        assert_eq!(i.read_message_begin().unwrap().message_type, TMessageType::Exception);
        let read = thrift::Error::read_application_error_from_in_protocol(&mut i).unwrap();
        assert_eq!((read.kind, read.message.as_str()), (ApplicationErrorKind::InternalError, "boom"));
    }
}
