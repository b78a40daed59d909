//! Wire tests: a real server on port 0 (SQLite store in a temp dir), driven by the generated
//! client over every transport/protocol pair, and by hand-made bytes for the failure cases.

mod common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

use common::{client, Client, TestServer};
use strata_server::ServerConfig;
use strata_thrift::{Database, TThriftHiveMetastoreSyncClient};
use thrift::{
    protocol::{TBinaryInputProtocol, TInputProtocol},
    transport::TBufferedReadTransport,
};

fn db(name: &str) -> Database {
    Database {
        name: Some(name.to_string()),
        description: Some("d".into()),
        location_uri: None,
        parameters: Some(strata_thrift::StrMap::from_iter([("k".to_string(), "v".to_string())])),
        privileges: None,
        owner_name: Some("alice".into()),
        owner_type: None,
        catalog_name: None,
        create_time: None,
        managed_location_uri: None,
        type_: None,
        connector_name: None,
        remote_dbname: None,
    }
}

/// The server still answers a normal call on a fresh connection.
fn assert_serving(server: &TestServer) {
    let s = server.connect();
    let mut c = client(&s, false, false);
    let d = c.get_database("default".into()).expect("server keeps serving");
    assert_eq!(d.name.as_deref(), Some("default"));
}

/// The server closed this connection (EOF or reset). Before closing it may have answered the
/// broken call with a Thrift EXCEPTION message (a `TApplicationException`), never with a reply.
fn assert_closed(mut s: TcpStream) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => {
                assert!(
                    matches!(e.kind(), std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe),
                    "expected a closed connection, got {e}"
                );
                break;
            }
        }
    }
    if !got.is_empty() {
        assert_eq!(&got[..4], &[0x80, 0x01, 0x00, 0x03], "only an EXCEPTION message may precede the close: {got:?}");
    }
}

#[test]
fn every_transport_and_protocol_pair_works() {
    let server = TestServer::start(ServerConfig::default());
    for (i, (framed, compact)) in [(false, false), (true, false), (false, true), (true, true)].into_iter().enumerate() {
        let s = server.connect();
        let mut c = client(&s, framed, compact);
        let name = format!("wire_db_{i}");
        c.create_database(db(&name)).unwrap();
        let got = c.get_database(name.clone()).unwrap();
        assert_eq!(got.name.as_deref(), Some(name.as_str()));
        assert_eq!(got.owner_name.as_deref(), Some("alice"));
        assert!(got.location_uri.unwrap().ends_with(&format!("/warehouse/{name}.db")));
        assert_eq!(got.parameters.unwrap().get("k").map(String::as_str), Some("v"));
        // set_ugi answers the groups with the user appended.
        assert_eq!(c.set_ugi("bob".into(), vec!["g".into()]).unwrap(), vec!["g".to_string(), "bob".to_string()]);
        let all = c.get_all_databases().unwrap();
        assert!(all.contains(&name) && all.contains(&"default".to_string()));
    }
}

/// A raw binary CALL of `name` whose argument struct holds one string field (id 1).
fn raw_call(name: &str, arg: &[u8]) -> Vec<u8> {
    let mut m = vec![0x80, 0x01, 0x00, 0x01];
    m.extend_from_slice(&u32::try_from(name.len()).unwrap().to_be_bytes());
    m.extend_from_slice(name.as_bytes());
    m.extend_from_slice(&7i32.to_be_bytes()); // seqid
    m.push(11); // field type string
    m.extend_from_slice(&1i16.to_be_bytes());
    m.extend_from_slice(&u32::try_from(arg.len()).unwrap().to_be_bytes());
    m.extend_from_slice(arg);
    m.push(0); // stop
    m
}

#[test]
fn unknown_method_answers_and_the_connection_stays_usable() {
    let server = TestServer::start(ServerConfig::default());
    let mut s = server.connect();
    s.write_all(&raw_call("get_partitions_by_expr", b"some args to skip")).unwrap();
    let mut input = TBinaryInputProtocol::new(TBufferedReadTransport::new(s.try_clone().unwrap()), true);
    let ident = input.read_message_begin().unwrap();
    assert_eq!(ident.name, "get_partitions_by_expr");
    assert_eq!(ident.message_type, thrift::protocol::TMessageType::Exception);
    assert_eq!(ident.sequence_number, 7);
    let err = thrift::Error::read_application_error_from_in_protocol(&mut input).unwrap();
    assert_eq!(err.kind, thrift::ApplicationErrorKind::UnknownMethod);
    assert_eq!(err.message, "Invalid method name: 'get_partitions_by_expr'");
    // Same connection, a normal call.
    let mut c = client(&s, false, false);
    assert_eq!(c.get_database("default".into()).unwrap().name.as_deref(), Some("default"));
}

#[test]
fn declared_exceptions_reach_the_client() {
    let server = TestServer::start(ServerConfig::default());
    let s = server.connect();
    let mut c = client(&s, false, false);
    match c.get_table("default".into(), "nope".into()) {
        Err(thrift::Error::User(e)) => {
            let e = e.downcast_ref::<strata_thrift::NoSuchObjectException>().expect("NoSuchObjectException");
            assert_eq!(e.message.as_deref(), Some("default.nope table not found"));
        }
        other => panic!("expected NoSuchObjectException, got {other:?}"),
    }
    match c.drop_database("default".into(), true, true) {
        Err(thrift::Error::User(e)) => {
            let e = e.downcast_ref::<strata_thrift::MetaException>().expect("MetaException");
            assert_eq!(e.message.as_deref(), Some("Can not drop default database"));
        }
        other => panic!("expected MetaException, got {other:?}"),
    }
    // The connection is still fine after exceptions.
    assert!(c.get_all_databases().unwrap().contains(&"default".to_string()));
}

#[test]
fn truncated_message_closes_only_that_connection() {
    let server = TestServer::start(ServerConfig::default());
    let mut s = server.connect();
    let full = raw_call("get_database", b"default");
    s.write_all(&full[..full.len() - 5]).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    assert_closed(s);
    assert_serving(&server);
}

#[test]
fn oversized_messages_are_refused() {
    let server = TestServer::start(ServerConfig { max_message_size: 1024, ..ServerConfig::default() });
    // Unframed: a 4 KiB argument.
    let mut s = server.connect();
    let _ = s.write_all(&raw_call("get_database", &[b'x'; 4096]));
    assert_closed(s);
    // Framed: a frame header announcing 1 MiB.
    let mut s = server.connect();
    let mut frame = (1u32 << 20).to_be_bytes().to_vec();
    frame.extend_from_slice(&[0x80, 0x01, 0x00, 0x01]);
    let _ = s.write_all(&frame);
    assert_closed(s);
    // A string claiming 2 GiB.
    let mut s = server.connect();
    let mut m = raw_call("get_database", b"");
    let at = m.len() - 5; // the string length of the argument
    m[at..at + 4].copy_from_slice(&0x7fff_fff0u32.to_be_bytes());
    let _ = s.write_all(&m);
    assert_closed(s);
    assert_serving(&server);
}

#[test]
fn negative_lengths_and_invalid_utf8_are_refused() {
    let server = TestServer::start(ServerConfig::default());
    // Negative string length in the argument.
    let mut s = server.connect();
    let mut m = raw_call("get_database", b"");
    let at = m.len() - 5;
    m[at..at + 4].copy_from_slice(&(-5i32).to_be_bytes());
    s.write_all(&m).unwrap();
    assert_closed(s);
    // Negative length of the method name.
    let mut s = server.connect();
    let mut m = vec![0x80, 0x01, 0x00, 0x01];
    m.extend_from_slice(&(-1i32).to_be_bytes());
    s.write_all(&m).unwrap();
    assert_closed(s);
    // Invalid UTF-8 in a string argument.
    let mut s = server.connect();
    s.write_all(&raw_call("get_database", &[0xff, 0xfe, 0xfd])).unwrap();
    assert_closed(s);
    // Garbage that is not Thrift at all, and a TLS hello.
    let mut s = server.connect();
    s.write_all(b"hello there\r\n").unwrap();
    assert_closed(s);
    let mut s = server.connect();
    s.write_all(&[0x16, 0x03, 0x01, 0x00, 0x05]).unwrap();
    assert_closed(s);
    assert_serving(&server);
}

#[test]
fn idle_connections_are_closed() {
    let server =
        TestServer::start(ServerConfig { idle_timeout: Duration::from_millis(500), ..ServerConfig::default() });
    let s = server.connect();
    std::thread::sleep(Duration::from_millis(900));
    assert_closed(s);
    assert_serving(&server);
}

#[test]
fn connection_limit_queues_clients() {
    let server = TestServer::start(ServerConfig {
        max_connections: 1,
        idle_timeout: Duration::from_millis(800),
        ..ServerConfig::default()
    });
    let first = server.connect();
    let mut c1 = client(&first, false, false);
    c1.get_all_databases().unwrap();
    // The second client is not served while the first holds the only slot...
    let second = server.connect();
    second.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut c2 = client(&second, false, false);
    assert!(c2.get_all_databases().is_err(), "second connection must wait for a slot");
    // ...and is served once the first goes away.
    drop(c1);
    drop(first);
    let third = server.connect();
    third.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut c3 = client(&third, false, false);
    assert!(c3.get_all_databases().unwrap().contains(&"default".to_string()));
}

/// A table `big.t` partitioned by `(ds string, hr int)` with `n` partitions, added in calls
/// of 1,000; returns the partition names in the server's order.
fn partitioned_table(c: &mut Client, n: usize) -> Vec<String> {
    use strata_core::model::{FieldSchema, Partition, Table};
    use strata_server::convert;
    c.create_database(db("big")).unwrap();
    let key = |name: &str, ty: &str| FieldSchema { name: name.into(), type_name: ty.into(), comment: None };
    let mut table = Table {
        db_name: "big".into(),
        name: "t".into(),
        table_type: "EXTERNAL_TABLE".into(),
        partition_keys: vec![key("ds", "string"), key("hr", "int")],
        parameters: [("EXTERNAL".to_string(), "TRUE".to_string())].into_iter().collect(),
        ..Table::default()
    };
    table.sd.cols = vec![key("id", "bigint")];
    table.sd.num_buckets = -1;
    table.sd.location = Some("file:///tmp/strata-wire-big/t".into());
    c.create_table(convert::table_out(table.clone())).unwrap();
    let parts: Vec<_> = (0..n)
        .map(|i| {
            let values = vec![format!("d{:04}", i / 10), (i % 10).to_string()];
            let mut sd = table.sd.clone();
            sd.location = Some(format!("file:///tmp/strata-wire-big/t/ds={}/hr={}/b1", values[0], values[1]));
            convert::partition_out(Partition {
                values,
                db_name: "big".into(),
                table_name: "t".into(),
                sd,
                ..Partition::default()
            })
        })
        .collect();
    for chunk in parts.chunks(1000) {
        c.add_partitions(chunk.to_vec()).unwrap();
    }
    c.get_partition_names("big".into(), "t".into(), -1).unwrap()
}

fn names_of(parts: &[strata_thrift::Partition]) -> Vec<String> {
    parts
        .iter()
        .map(|p| {
            let v = p.values.as_ref().unwrap();
            format!("ds={}/hr={}", v[0], v[1])
        })
        .collect()
}

/// `get_partitions` and kin are sent page by page from one snapshot (more partitions than a
/// page here), over every transport and protocol: same partitions, same order, same limits and
/// same declared exceptions as before, and the connection carries on after them.
#[test]
fn partition_listings_are_sent_page_by_page() {
    let server = TestServer::start(ServerConfig::default());
    let n = 2 * strata_server::listing::PAGE + 345;
    let names = partitioned_table(&mut client(&server.connect(), false, false), n);
    assert_eq!(names.len(), n);
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_string()).collect::<Vec<_>>();
    for (framed, compact) in [(false, false), (true, false), (false, true), (true, true)] {
        let stream = server.connect();
        let mut c = client(&stream, framed, compact);
        let all = c.get_partitions("big".into(), "t".into(), -1).unwrap();
        assert_eq!(names_of(&all), names, "framed {framed}, compact {compact}");
        let first = &all[0];
        assert_eq!(first.db_name.as_deref(), Some("big"));
        let sd = first.sd.as_ref().unwrap();
        assert_eq!(sd.location.as_deref(), Some("file:///tmp/strata-wire-big/t/ds=d0000/hr=0/b1"));
        assert_eq!(sd.cols.as_ref().unwrap()[0].name.as_deref(), Some("id"));
        assert_eq!(names_of(&c.get_partitions("big".into(), "t".into(), 1500).unwrap()), names[..1500]);
        assert!(c.get_partitions("big".into(), "t".into(), 0).unwrap().is_empty());
        let with_auth =
            c.get_partitions_with_auth("@hive#big".into(), "t".into(), -1, "ana".into(), s(&["g"])).unwrap();
        assert_eq!(with_auth.len(), n);
        let ps = c.get_partitions_ps("big".into(), "t".into(), s(&["d0100"]), -1).unwrap();
        assert_eq!(names_of(&ps), names.iter().filter(|x| x.starts_with("ds=d0100/")).cloned().collect::<Vec<_>>());
        let hr3 = c.get_partitions_ps_with_auth("big".into(), "t".into(), s(&["", "3"]), -1, "ana".into(), vec![]);
        let expected: Vec<_> = names.iter().filter(|x| x.ends_with("/hr=3")).cloned().collect();
        assert_eq!(names_of(&hr3.unwrap()), expected);
        let filtered = c.get_partitions_by_filter("big".into(), "t".into(), "hr = 3".into(), -1).unwrap();
        assert_eq!(names_of(&filtered), expected);
        let limited = c.get_partitions_by_filter("big".into(), "t".into(), "hr > 0".into(), 1200).unwrap();
        assert_eq!(limited.len(), 1200);

        // Declared exceptions, in each method's own result field.
        match c.get_partitions("big".into(), "nope".into(), -1) {
            Err(thrift::Error::User(e)) => {
                let e = e.downcast_ref::<strata_thrift::NoSuchObjectException>().expect("NoSuchObjectException");
                assert_eq!(e.message.as_deref(), Some("big.nope table not found"));
            }
            other => panic!("expected NoSuchObjectException, got {other:?}"),
        }
        match c.get_partitions_ps("big".into(), "nope".into(), s(&["x"]), -1) {
            Err(thrift::Error::User(e)) => {
                assert!(e.downcast_ref::<strata_thrift::NoSuchObjectException>().is_some(), "{e:?}");
            }
            other => panic!("expected NoSuchObjectException, got {other:?}"),
        }
        match c.get_partitions_by_filter("big".into(), "t".into(), "hr = = 3".into(), -1) {
            Err(thrift::Error::User(e)) => {
                assert!(e.downcast_ref::<strata_thrift::MetaException>().is_some(), "{e:?}");
            }
            other => panic!("expected MetaException, got {other:?}"),
        }
        // Still the same connection.
        assert_eq!(c.get_partitions("big".into(), "t".into(), 3).unwrap().len(), 3);
    }
}

/// A raw binary `add_partitions` CALL whose list holds `n` empty `Partition` structs (one stop
/// byte each on the wire, kilobytes each once decoded).
fn empty_partitions_call(n: u32) -> Vec<u8> {
    let name = "add_partitions";
    let mut m = vec![0x80, 0x01, 0x00, 0x01];
    m.extend_from_slice(&u32::try_from(name.len()).unwrap().to_be_bytes());
    m.extend_from_slice(name.as_bytes());
    m.extend_from_slice(&7i32.to_be_bytes());
    m.push(15); // field type list
    m.extend_from_slice(&1i16.to_be_bytes());
    m.push(12); // of structs
    m.extend_from_slice(&n.to_be_bytes());
    m.resize(m.len() + n as usize, 0);
    m.push(0);
    m
}

/// A request of empty structs is refused by the decode budget long before its end, whatever
/// the message-size limit allows; a legitimate batch of 1,000 partitions (partitioned_table)
/// fits in it.
#[test]
fn empty_structs_are_refused_by_the_decode_budget() {
    let server = TestServer::start(ServerConfig::default());
    let mut s = server.connect();
    let call = empty_partitions_call(20_000_000);
    // The server stops reading once the budget is spent: the write may fail, the
    // connection must close with at most an exception.
    let writer = {
        let mut s = s.try_clone().unwrap();
        std::thread::spawn(move || {
            let _ = s.write_all(&call);
        })
    };
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    writer.join().unwrap();
    if !got.is_empty() {
        assert_eq!(&got[..4], &[0x80, 0x01, 0x00, 0x03], "only an exception may precede the close");
    }
    assert_eq!(partitioned_table(&mut client(&server.connect(), false, false), 2000).len(), 2000);
}

/// A string longer than what is left of its frame is refused before anything is allocated for
/// it; an unframed string is read into memory only as its bytes arrive.
#[test]
fn declared_lengths_must_fit_the_message() {
    let server = TestServer::start(ServerConfig::default());
    let mut call = raw_call("get_database", b"");
    let at = call.len() - 5;
    call[at..at + 4].copy_from_slice(&(50u32 << 20).to_be_bytes());
    call.truncate(at + 4);
    let mut framed = u32::try_from(call.len()).unwrap().to_be_bytes().to_vec();
    framed.extend_from_slice(&call);
    let mut s = server.connect();
    s.write_all(&framed).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    if !got.is_empty() {
        assert_eq!(&got[4..8], &[0x80, 0x01, 0x00, 0x03], "only a framed exception may precede the close");
    }
    // A message header that declares a 1 MiB method name.
    let mut s = server.connect();
    let mut m = vec![0x80, 0x01, 0x00, 0x01];
    m.extend_from_slice(&(1u32 << 20).to_be_bytes());
    s.write_all(&m).unwrap();
    assert_closed(s);
    assert_serving(&server);
}

/// A client trickling a request one byte at a time is cut at `request_timeout`, counted from the
/// request's first byte.
#[test]
fn trickled_requests_are_cut_at_the_request_timeout() {
    let server =
        TestServer::start(ServerConfig { request_timeout: Duration::from_millis(600), ..ServerConfig::default() });
    let mut s = server.connect();
    let call = raw_call("get_database", b"default");
    let start = std::time::Instant::now();
    let mut cut = false;
    for b in &call[..call.len() - 1] {
        if s.write_all(&[*b]).is_err() {
            cut = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if start.elapsed() > Duration::from_secs(5) {
            break;
        }
    }
    assert!(cut || start.elapsed() < Duration::from_secs(5), "the trickle was never cut");
    assert_closed(s);
    assert_serving(&server);
}

/// One address may hold only `max_connections_per_peer` connections; more are closed at once,
/// and a slot frees when a connection ends.
#[test]
fn connections_per_peer_are_limited() {
    let server = TestServer::start(ServerConfig { max_connections_per_peer: 2, ..ServerConfig::default() });
    let (a, b) = (server.connect(), server.connect());
    client(&a, false, false).get_all_databases().unwrap();
    client(&b, false, false).get_all_databases().unwrap();
    let third = server.connect();
    assert!(client(&third, false, false).get_all_databases().is_err(), "a third connection is refused");
    drop(a);
    std::thread::sleep(Duration::from_millis(300));
    assert_serving(&server);
}

/// Clients that ask for a long listing and do not read it hold at most
/// `max_paged_listings` database connections, each for at most `write_timeout`; other calls are
/// served meanwhile, and a client that leaves in the middle of a listing frees its snapshot.
#[test]
fn slow_listing_readers_do_not_hold_the_pool() {
    let server = TestServer::start(ServerConfig {
        write_timeout: Duration::from_secs(2),
        max_paged_listings: 1,
        ..ServerConfig::default()
    });
    partitioned_table(&mut client(&server.connect(), false, false), 3 * strata_server::listing::PAGE);
    let mut call = raw_call("get_partitions", b"big");
    call.pop();
    call.push(11);
    call.extend_from_slice(&2i16.to_be_bytes());
    call.extend_from_slice(&1u32.to_be_bytes());
    call.push(b't');
    call.push(6);
    call.extend_from_slice(&3i16.to_be_bytes());
    call.extend_from_slice(&(-1i16).to_be_bytes());
    call.push(0);
    let slow: Vec<TcpStream> = (0..12)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(&call).unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..20 {
        assert_serving(&server);
    }
    // One leaves in the middle of its listing: no panic, no snapshot kept.
    drop(slow);
    let stream = server.connect();
    let mut c = client(&stream, false, false);
    assert_eq!(c.get_partitions("big".into(), "t".into(), -1).unwrap().len(), 3 * strata_server::listing::PAGE);
}

/// A NUL character in a name is refused before the catalog is called, with the method's
/// declared exception, and nothing is created.
#[test]
fn nul_in_a_name_is_refused() {
    let server = TestServer::start(ServerConfig::default());
    let stream = server.connect();
    let mut c = client(&stream, false, false);
    match c.create_database(db("a\0b")) {
        Err(thrift::Error::User(e)) => {
            assert!(e.downcast_ref::<strata_thrift::InvalidObjectException>().is_some(), "{e}");
        }
        other => panic!("expected InvalidObjectException, got {other:?}"),
    }
    match c.get_database("a\0b".into()) {
        Err(thrift::Error::User(e)) => assert!(e.downcast_ref::<strata_thrift::MetaException>().is_some(), "{e}"),
        other => panic!("expected MetaException, got {other:?}"),
    }
    assert!(!c.get_all_databases().unwrap().iter().any(|d| d.contains('\0')));
}
