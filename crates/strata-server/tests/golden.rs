//! Golden wire tests: a fixed script of raw Thrift calls (binary protocol, framed) per concern,
//! whose reply bytes must equal the files under `tests/golden/`. They pin what a client receives
//! (values, field order, exception types and messages, the listing fast path's envelope) so that
//! a refactor of the server is proven byte-identical.
//!
//! Regenerate with `STRATA_GOLDEN_UPDATE=1 cargo nextest run -p strata-server --test golden`
//! (only after a change that is meant to alter the wire, and say so in the commit).
//!
//! Replies are deterministic because the script sends its own names, parameters and
//! `transient_lastDdlTime`, and each server lives in `/tmp/strata-golden-<32 hex>`. What the
//! server alone decides is masked, and nothing else:
//! - the 32 hex digits of that directory (in locations) become `0`s (same length, so string
//!   lengths on the wire are kept);
//! - an `i32`/`i64` field whose value is the current time (epoch seconds, milliseconds or
//!   microseconds within two minutes of the run: `createTime`, lock and transaction times,
//!   transaction ids, which are taken from the clock) becomes 0;
//! - in a string, a run of 10, 13 or 16 digits that is such a time (event messages, a
//!   transaction id in an error message) becomes `0`s.

mod common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::PathBuf,
    time::{SystemTime, UNIX_EPOCH},
};

use common::{double_obj, TestServer};
use strata_core::model::{self, FieldSchema};
use strata_server::{convert, ServerConfig};
use strata_thrift as t;
use thrift::protocol::{
    TBinaryInputProtocol, TBinaryOutputProtocol, TFieldIdentifier, TInputProtocol, TListIdentifier, TMessageIdentifier,
    TMessageType, TOutputProtocol, TSerializable, TStructIdentifier, TType,
};

/// One argument of a call: its field id and how to write its value.
type Arg = (i16, TType, Box<dyn Fn(&mut dyn TOutputProtocol) -> thrift::Result<()>>);

fn s(id: i16, v: &str) -> Arg {
    let v = v.to_string();
    (id, TType::String, Box::new(move |o| o.write_string(&v)))
}

fn i16_(id: i16, v: i16) -> Arg {
    (id, TType::I16, Box::new(move |o| o.write_i16(v)))
}

fn i32_(id: i16, v: i32) -> Arg {
    (id, TType::I32, Box::new(move |o| o.write_i32(v)))
}

fn b(id: i16, v: bool) -> Arg {
    (id, TType::Bool, Box::new(move |o| o.write_bool(v)))
}

fn list(id: i16, v: &[&str]) -> Arg {
    let v: Vec<String> = v.iter().map(|x| (*x).to_string()).collect();
    (
        id,
        TType::List,
        Box::new(move |o| {
            o.write_list_begin(&TListIdentifier::new(TType::String, i32::try_from(v.len()).unwrap()))?;
            for x in &v {
                o.write_string(x)?;
            }
            o.write_list_end()
        }),
    )
}

fn st<T: TSerializable + 'static>(id: i16, v: T) -> Arg {
    (id, TType::Struct, Box::new(move |o| v.write_to_out_protocol(o)))
}

fn structs<T: TSerializable + 'static>(id: i16, v: Vec<T>) -> Arg {
    (
        id,
        TType::List,
        Box::new(move |o| {
            o.write_list_begin(&TListIdentifier::new(TType::Struct, i32::try_from(v.len()).unwrap()))?;
            for x in &v {
                x.write_to_out_protocol(o)?;
            }
            o.write_list_end()
        }),
    )
}

/// A golden script: a server, one connection, and the replies so far.
struct Script {
    name: &'static str,
    _server: TestServer,
    stream: TcpStream,
    token: String,
    seq: i32,
    out: String,
    now: (i64, i64),
}

fn epoch_secs() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

impl Script {
    fn new(name: &'static str) -> Self {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let dir = PathBuf::from(format!("/tmp/strata-golden-{token}"));
        let server = TestServer::start_in(ServerConfig::default(), &dir);
        let stream = server.connect();
        let start = epoch_secs();
        Self { name, _server: server, stream, token, seq: 0, out: String::new(), now: (start, start) }
    }

    /// Send `method` with `args` as one frame; the reply's bytes are recorded masked and
    /// returned as sent (for the ids later calls use).
    fn call(&mut self, method: &str, args: Vec<Arg>) -> Vec<u8> {
        self.seq += 1;
        let mut body = Vec::new();
        {
            let mut o = TBinaryOutputProtocol::new(&mut body, true);
            o.write_message_begin(&TMessageIdentifier::new(method, TMessageType::Call, self.seq)).unwrap();
            o.write_struct_begin(&TStructIdentifier::new("args")).unwrap();
            for (id, ty, write) in &args {
                o.write_field_begin(&TFieldIdentifier::new("a", *ty, *id)).unwrap();
                write(&mut o).unwrap();
                o.write_field_end().unwrap();
            }
            o.write_field_stop().unwrap();
            o.write_struct_end().unwrap();
            o.write_message_end().unwrap();
        }
        let mut frame = u32::try_from(body.len()).unwrap().to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        self.stream.write_all(&frame).unwrap();
        let mut len = [0u8; 4];
        self.stream.read_exact(&mut len).unwrap_or_else(|e| panic!("{method}: no reply: {e}"));
        let mut reply = vec![0u8; u32::from_be_bytes(len) as usize];
        self.stream.read_exact(&mut reply).unwrap();
        self.now.1 = epoch_secs();
        let masked = self.mask(reply.clone());
        self.out.push_str(&format!("## {:03} {method}\n", self.seq));
        for line in masked.chunks(32) {
            let hex: Vec<String> = line.iter().map(|b| format!("{b:02x}")).collect();
            self.out.push_str(&hex.join(" "));
            self.out.push('\n');
        }
        reply
    }

    /// The reply's `success` value (field 0), decoded.
    fn success<T: TSerializable>(reply: &[u8]) -> T {
        let mut i = TBinaryInputProtocol::new(reply, true);
        let ident = i.read_message_begin().unwrap();
        assert_eq!(ident.message_type, TMessageType::Reply);
        i.read_struct_begin().unwrap();
        let field = i.read_field_begin().unwrap();
        assert_eq!(field.id, Some(0), "not a success reply");
        T::read_from_in_protocol(&mut i).unwrap()
    }

    fn mask(&self, mut reply: Vec<u8>) -> Vec<u8> {
        let token = self.token.as_bytes();
        let mut at = 0;
        while let Some(pos) = reply[at..].windows(token.len()).position(|w| w == token) {
            let p = at + pos;
            reply[p..p + token.len()].fill(b'0');
            at = p + token.len();
        }
        let mut w = Walker { buf: &mut reply, pos: 0, now: (self.now.0 - 120, self.now.1 + 120) };
        w.message();
        reply
    }

    /// Compare with (or, with `STRATA_GOLDEN_UPDATE=1`, write) `tests/golden/<name>.txt`.
    fn finish(self) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{}.txt", self.name));
        if std::env::var("STRATA_GOLDEN_UPDATE").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &self.out).unwrap();
            return;
        }
        let golden = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (STRATA_GOLDEN_UPDATE=1 writes it)", path.display()));
        if golden != self.out {
            let split = |s: &str| s.split("## ").map(str::to_string).collect::<Vec<_>>();
            let (want, got) = (split(&golden), split(&self.out));
            let first = want.iter().zip(&got).position(|(a, b)| a != b).unwrap_or(want.len().min(got.len()));
            panic!(
                "{}: reply bytes differ from the golden file at call\n--- golden\n## {}\n--- now\n## {}",
                path.display(),
                want.get(first).map_or("(none)", String::as_str),
                got.get(first).map_or("(none)", String::as_str)
            );
        }
    }
}

/// Walks a binary-protocol reply in place, zeroing values that are the current time.
struct Walker<'a> {
    buf: &'a mut [u8],
    pos: usize,
    now: (i64, i64),
}

impl Walker<'_> {
    fn take(&mut self, n: usize) -> usize {
        let at = self.pos;
        self.pos += n;
        assert!(self.pos <= self.buf.len(), "reply ends early");
        at
    }

    fn i32_at(&self, at: usize) -> i32 {
        i32::from_be_bytes(self.buf[at..at + 4].try_into().unwrap())
    }

    /// Whether `v` is the current time in epoch seconds, milliseconds or microseconds.
    fn is_now(&self, v: i64) -> bool {
        [1, 1000, 1_000_000].iter().any(|unit| (self.now.0 * unit..=self.now.1 * unit).contains(&v))
    }

    fn message(&mut self) {
        self.take(4);
        let name = self.take(4);
        let len = usize::try_from(self.i32_at(name)).unwrap();
        self.take(len + 4);
        self.strukt();
        assert_eq!(self.pos, self.buf.len(), "bytes after the reply");
    }

    fn strukt(&mut self) {
        loop {
            let ty = self.buf[self.take(1)];
            if ty == 0 {
                return;
            }
            self.take(2);
            self.value(ty);
        }
    }

    fn value(&mut self, ty: u8) {
        match ty {
            2 | 3 => {
                self.take(1);
            }
            4 => {
                self.take(8);
            }
            6 => {
                self.take(2);
            }
            8 => {
                let at = self.take(4);
                if self.is_now(i64::from(self.i32_at(at))) {
                    self.buf[at..at + 4].fill(0);
                }
            }
            10 => {
                let at = self.take(8);
                if self.is_now(i64::from_be_bytes(self.buf[at..at + 8].try_into().unwrap())) {
                    self.buf[at..at + 8].fill(0);
                }
            }
            11 => {
                let at = self.take(4);
                let len = usize::try_from(self.i32_at(at)).unwrap();
                let at = self.take(len);
                self.mask_digits(at, len);
            }
            12 => self.strukt(),
            13 => {
                let at = self.take(6);
                let (k, v, n) = (self.buf[at], self.buf[at + 1], self.i32_at(at + 2));
                for _ in 0..n {
                    self.value(k);
                    self.value(v);
                }
            }
            14 | 15 => {
                let at = self.take(5);
                let (e, n) = (self.buf[at], self.i32_at(at + 1));
                for _ in 0..n {
                    self.value(e);
                }
            }
            other => panic!("unknown wire type {other}"),
        }
    }

    /// Runs of exactly 10, 13 or 16 digits that are the current time, inside a string.
    fn mask_digits(&mut self, at: usize, len: usize) {
        let mut i = at;
        while i < at + len {
            if !self.buf[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let start = i;
            while i < at + len && self.buf[i].is_ascii_digit() {
                i += 1;
            }
            if matches!(i - start, 10 | 13 | 16) {
                let v: i64 = std::str::from_utf8(&self.buf[start..i]).unwrap().parse().unwrap();
                if self.is_now(v) {
                    self.buf[start..i].fill(b'0');
                }
            }
        }
    }
}

// ------------------------------------------------------------------------- objects

const DDL_TIME: &str = "1700000000";

fn database(name: &str) -> t::Database {
    t::Database {
        name: Some(name.to_string()),
        description: Some("golden".into()),
        location_uri: None,
        parameters: Some(t::StrMap::from_iter([("k".to_string(), "v".to_string())])),
        privileges: None,
        owner_name: Some("alice".into()),
        owner_type: Some(t::PrincipalType::USER),
        catalog_name: None,
        create_time: None,
        managed_location_uri: None,
        type_: None,
        connector_name: None,
        remote_dbname: None,
    }
}

fn cols() -> Vec<FieldSchema> {
    vec![
        FieldSchema { name: "id".into(), type_name: "bigint".into(), comment: Some("the id".into()) },
        FieldSchema { name: "price".into(), type_name: "double".into(), comment: None },
    ]
}

fn table(db: &str, name: &str, partitioned: bool) -> t::Table {
    let mut table = model::Table {
        db_name: db.into(),
        name: name.into(),
        owner: Some("alice".into()),
        table_type: "EXTERNAL_TABLE".into(),
        ..model::Table::default()
    };
    table.sd.cols = cols();
    table.sd.num_buckets = -1;
    table.sd.input_format = Some("org.apache.hadoop.mapred.TextInputFormat".into());
    table.sd.output_format = Some("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat".into());
    table.sd.serde_info = Some(model::SerDeInfo {
        serialization_lib: Some("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe".into()),
        ..model::SerDeInfo::default()
    });
    table.parameters.insert("transient_lastDdlTime".into(), DDL_TIME.into());
    table.parameters.insert("EXTERNAL".into(), "TRUE".into());
    if partitioned {
        table.partition_keys = vec![
            FieldSchema { name: "year".into(), type_name: "int".into(), comment: None },
            FieldSchema { name: "region".into(), type_name: "string".into(), comment: None },
        ];
    }
    convert::table_out(table)
}

fn partition(db: &str, table: &str, values: &[&str]) -> t::Partition {
    let mut p = model::Partition {
        values: values.iter().map(|v| (*v).to_string()).collect(),
        db_name: db.into(),
        table_name: table.into(),
        ..model::Partition::default()
    };
    p.sd.cols = cols();
    p.sd.num_buckets = -1;
    p.parameters.insert("transient_lastDdlTime".into(), DDL_TIME.into());
    convert::partition_out(p)
}

/// A script with database `db1` and the partitioned table `db1.sales` (2 partitions).
fn with_sales(name: &'static str) -> Script {
    let mut g = Script::new(name);
    g.call("create_database", vec![st(1, database("db1"))]);
    g.call("create_table", vec![st(1, table("db1", "sales", true))]);
    g.call(
        "add_partitions",
        vec![structs(1, vec![partition("db1", "sales", &["2024", "eu"]), partition("db1", "sales", &["2025", "us"])])],
    );
    g
}

// ------------------------------------------------------------------------- scripts

#[test]
fn golden_session_and_config() {
    let mut g = Script::new("session_and_config");
    g.call("set_ugi", vec![s(1, "alice"), list(2, &["staff"])]);
    g.call("getMetaConf", vec![s(1, "hive.metastore.try.direct.sql")]);
    g.call("getMetaConf", vec![s(1, "hive.exec.default.partition.name")]);
    g.call("getMetaConf", vec![s(1, "no.such.key")]);
    g.call("setMetaConf", vec![s(1, "hive.metastore.batch.retrieve.max"), s(2, "50")]);
    g.call("getMetaConf", vec![s(1, "hive.metastore.batch.retrieve.max")]);
    g.call("setMetaConf", vec![s(1, "no.such.key"), s(2, "1")]);
    g.call("get_config_value", vec![s(1, "hive.txn.timeout"), s(2, "1s")]);
    g.call("get_config_value", vec![s(1, "hive.metastore.partition.name.whitelist.pattern"), s(2, "fallback")]);
    g.call("get_config_value", vec![s(1, "hive.unknown.key"), s(2, "fallback")]);
    g.call("get_config_value", vec![s(1, "hive.metastore.warehouse.dir"), s(2, "")]);
    g.call("get_config_value", vec![s(1, "javax.jdo.option.ConnectionPassword"), s(2, "")]);
    g.call("get_catalogs", vec![]);
    g.call("get_catalog", vec![st(1, t::GetCatalogRequest { name: Some("hive".into()) })]);
    g.call("get_catalog", vec![st(1, t::GetCatalogRequest { name: Some("spark".into()) })]);
    g.call("no_such_method", vec![s(1, "x")]);
    g.call("get_role_names", vec![]);
    g.call("list_roles", vec![s(1, "alice"), i32_(2, 1)]);
    g.call(
        "get_primary_keys",
        vec![st(
            1,
            t::PrimaryKeysRequest {
                db_name: "db1".into(),
                tbl_name: "t".into(),
                cat_name: None,
                valid_write_id_list: None,
                table_id: None,
            },
        )],
    );
    g.call("partition_name_to_vals", vec![s(1, "year=2024/region=eu")]);
    g.call("partition_name_to_spec", vec![s(1, "year=2024/region=eu")]);
    g.finish();
}

#[test]
fn golden_databases() {
    let mut g = Script::new("databases");
    g.call("create_database", vec![st(1, database("db1"))]);
    g.call("create_database", vec![st(1, database("db1"))]);
    g.call("create_database", vec![st(1, database("Bad Name!"))]);
    g.call("create_database", vec![st(1, database("db2"))]);
    g.call("get_database", vec![s(1, "db1")]);
    g.call("get_database", vec![s(1, "@hive#DB1")]);
    g.call("get_database", vec![s(1, "nope")]);
    g.call(
        "get_database_req",
        vec![st(
            1,
            t::GetDatabaseRequest {
                name: Some("db2".into()),
                catalog_name: None,
                processor_capabilities: None,
                processor_identifier: None,
            },
        )],
    );
    g.call("get_databases", vec![s(1, "db*")]);
    g.call("get_all_databases", vec![]);
    let mut altered = database("db2");
    altered.description = Some("altered".into());
    g.call("alter_database", vec![s(1, "db2"), st(2, altered)]);
    g.call("get_database", vec![s(1, "db2")]);
    g.call("drop_database", vec![s(1, "db2"), b(2, false), b(3, false)]);
    g.call("drop_database", vec![s(1, "db2"), b(2, false), b(3, false)]);
    g.call("get_all_databases", vec![]);
    g.finish();
}

#[test]
fn golden_tables() {
    let mut g = Script::new("tables");
    g.call("create_database", vec![st(1, database("db1"))]);
    g.call("create_table", vec![st(1, table("db1", "t1", false))]);
    g.call("create_table", vec![st(1, table("db1", "t1", false))]);
    g.call("create_table", vec![st(1, table("nodb", "t1", false))]);
    g.call("create_table", vec![st(1, table("db1", "t2", true))]);
    g.call("get_table", vec![s(1, "db1"), s(2, "t1")]);
    g.call("get_table", vec![s(1, "@hive#db1"), s(2, "T2")]);
    g.call("get_table", vec![s(1, "db1"), s(2, "nope")]);
    g.call("get_tables", vec![s(1, "db1"), s(2, "t*")]);
    g.call("get_all_tables", vec![s(1, "db1")]);
    g.call("get_tables_by_type", vec![s(1, "db1"), s(2, "*"), s(3, "EXTERNAL_TABLE")]);
    g.call("get_table_meta", vec![s(1, "db1"), s(2, "*"), list(3, &[])]);
    g.call("get_table_objects_by_name", vec![s(1, "db1"), list(2, &["t1", "nope", "t2"])]);
    g.call(
        "get_table_objects_by_name_req",
        vec![st(
            1,
            t::GetTablesRequest {
                db_name: "nodb".into(),
                tbl_names: Some(vec!["t1".into()]),
                capabilities: None,
                cat_name: None,
                processor_capabilities: None,
                processor_identifier: None,
                projection_spec: None,
                tables_pattern: None,
            },
        )],
    );
    g.call(
        "get_table_objects_by_name_req",
        vec![st(
            1,
            t::GetTablesRequest {
                db_name: "db1".into(),
                tbl_names: None,
                capabilities: None,
                cat_name: None,
                processor_capabilities: None,
                processor_identifier: None,
                projection_spec: None,
                tables_pattern: None,
            },
        )],
    );
    g.call("get_fields", vec![s(1, "db1"), s(2, "t2")]);
    g.call("get_schema", vec![s(1, "db1"), s(2, "t2")]);
    g.call("get_fields", vec![s(1, "db1"), s(2, "nope")]);
    g.call(
        "get_table_names_by_filter",
        vec![s(1, "db1"), s(2, "hive_filter_field_params__EXTERNAL = \"TRUE\""), i16_(3, -1)],
    );
    let mut altered = table("db1", "t1", false);
    if let Some(p) = altered.parameters.as_mut() {
        p.insert("comment".into(), "altered".into());
    }
    g.call("alter_table", vec![s(1, "db1"), s(2, "t1"), st(3, altered)]);
    g.call("get_table", vec![s(1, "db1"), s(2, "t1")]);
    g.call("alter_table", vec![s(1, "db1"), s(2, "nope"), st(3, table("db1", "nope", false))]);
    g.call("drop_table", vec![s(1, "db1"), s(2, "t1"), b(3, false)]);
    g.call("drop_table", vec![s(1, "db1"), s(2, "t1"), b(3, false)]);
    g.call("get_all_tables", vec![s(1, "db1")]);
    g.finish();
}

#[test]
fn golden_partitions() {
    let mut g = with_sales("partitions");
    let (db, tb) = (|| s(1, "db1"), || s(2, "sales"));
    g.call("add_partition", vec![st(1, partition("db1", "sales", &["2026", "eu"]))]);
    g.call("add_partition", vec![st(1, partition("db1", "sales", &["2026", "eu"]))]);
    g.call("add_partition", vec![st(1, partition("db1", "sales", &["2026"]))]);
    g.call(
        "add_partitions_req",
        vec![st(
            1,
            t::AddPartitionsRequest {
                db_name: "db1".into(),
                tbl_name: "sales".into(),
                parts: vec![partition("db1", "sales", &["2027", "us"]), partition("db1", "sales", &["2026", "eu"])],
                if_not_exists: true,
                need_result: Some(true),
                cat_name: None,
                valid_write_id_list: None,
                skip_column_schema_for_partition: None,
                partition_col_schema: None,
                environment_context: None,
            },
        )],
    );
    g.call("append_partition", vec![db(), tb(), list(3, &["2028", "apac"])]);
    g.call("append_partition_by_name", vec![db(), tb(), s(3, "year=2029/region=eu")]);
    g.call("get_partition", vec![db(), tb(), list(3, &["2024", "eu"])]);
    g.call("get_partition", vec![db(), tb(), list(3, &["1999", "eu"])]);
    g.call("get_partition_by_name", vec![s(1, "@hive#db1"), tb(), s(3, "year=2025/region=us")]);
    // The listing fast path (conn.rs routes these to listing.rs).
    g.call("get_partitions", vec![db(), tb(), i16_(3, -1)]);
    g.call("get_partitions", vec![db(), tb(), i16_(3, 2)]);
    g.call("get_partitions", vec![db(), s(2, "nope"), i16_(3, -1)]);
    g.call("get_partitions_with_auth", vec![db(), tb(), i16_(3, -1), s(4, "alice"), list(5, &["g"])]);
    g.call("get_partitions_ps", vec![db(), tb(), list(3, &["2026"]), i16_(4, -1)]);
    g.call(
        "get_partitions_ps_with_auth",
        vec![db(), tb(), list(3, &["", "eu"]), i16_(4, -1), s(5, "alice"), list(6, &[])],
    );
    g.call("get_partitions_by_filter", vec![db(), tb(), s(3, "year > 2025 and region = \"eu\""), i16_(4, -1)]);
    g.call("get_partitions_by_filter", vec![db(), tb(), s(3, "year >>> 1"), i16_(4, -1)]);
    // The same through the generated processor.
    g.call(
        "get_partitions_req",
        vec![st(
            1,
            t::PartitionsRequest {
                db_name: "db1".into(),
                tbl_name: "sales".into(),
                max_parts: Some(-1),
                cat_name: None,
                valid_write_id_list: None,
                id: None,
                skip_column_schema_for_partition: None,
                include_param_key_pattern: None,
                exclude_param_key_pattern: None,
            },
        )],
    );
    g.call(
        "get_partitions_by_names",
        vec![db(), tb(), list(3, &["year=2024/region=eu", "year=1/region=x", "year=2026/region=eu"])],
    );
    g.call("get_partition_names", vec![db(), tb(), i16_(3, -1)]);
    g.call("get_partition_names_ps", vec![db(), tb(), list(3, &["2026"]), i16_(4, -1)]);
    g.call("get_num_partitions_by_filter", vec![db(), tb(), s(3, "year >= 2026")]);
    g.call("get_partitions_pspec", vec![db(), tb(), i32_(3, -1)]);
    g.call("get_part_specs_by_filter", vec![db(), tb(), s(3, "region = \"us\""), i32_(4, -1)]);
    g.call(
        "get_partition_values",
        vec![st(
            1,
            t::PartitionValuesRequest {
                db_name: "db1".into(),
                tbl_name: "sales".into(),
                partition_keys: vec![t::FieldSchema {
                    name: Some("region".into()),
                    type_: Some("string".into()),
                    comment: None,
                }],
                apply_distinct: Some(true),
                filter: None,
                partition_order: None,
                ascending: Some(true),
                max_parts: None,
                cat_name: None,
                valid_write_id_list: None,
            },
        )],
    );
    let mut altered = partition("db1", "sales", &["2024", "eu"]);
    if let Some(p) = altered.parameters.as_mut() {
        p.insert("note".into(), "altered".into());
    }
    g.call("alter_partition", vec![db(), tb(), st(3, altered)]);
    g.call("get_partition", vec![db(), tb(), list(3, &["2024", "eu"])]);
    g.call("alter_partition", vec![db(), tb(), st(3, partition("db1", "sales", &["1999", "eu"]))]);
    g.call("drop_partition", vec![db(), tb(), list(3, &["2028", "apac"]), b(4, false)]);
    g.call("drop_partition", vec![db(), tb(), list(3, &["2028", "apac"]), b(4, false)]);
    g.call("drop_partition_by_name", vec![db(), tb(), s(3, "year=2029/region=eu"), b(4, false)]);
    g.call(
        "drop_partitions_req",
        vec![st(
            1,
            t::DropPartitionsRequest {
                db_name: "db1".into(),
                tbl_name: "sales".into(),
                parts: t::RequestPartsSpec::Names(vec!["year=2027/region=us".into(), "year=3000/region=x".into()]),
                delete_data: Some(false),
                if_exists: Some(true),
                ignore_protection: None,
                environment_context: None,
                need_result: Some(true),
                cat_name: None,
                skip_column_schema_for_partition: None,
            },
        )],
    );
    g.call("get_partition_names", vec![db(), tb(), i16_(3, -1)]);
    g.finish();
}

#[test]
fn golden_functions() {
    let mut g = Script::new("functions");
    g.call("create_database", vec![st(1, database("db1"))]);
    let function = |name: &str, class: &str| t::Function {
        function_name: Some(name.into()),
        db_name: Some("db1".into()),
        class_name: Some(class.into()),
        owner_name: Some("alice".into()),
        owner_type: Some(t::PrincipalType::USER),
        create_time: Some(1_700_000_000),
        function_type: Some(t::FunctionType::JAVA),
        resource_uris: Some(vec![t::ResourceUri {
            resource_type: Some(t::ResourceType::JAR),
            uri: Some("file:///jars/udf.jar".into()),
        }]),
        cat_name: None,
    };
    g.call("create_function", vec![st(1, function("upper2", "com.example.Upper"))]);
    g.call("create_function", vec![st(1, function("upper2", "com.example.Upper"))]);
    g.call("create_function", vec![st(1, function("lower2", "com.example.Lower"))]);
    g.call("get_function", vec![s(1, "db1"), s(2, "upper2")]);
    g.call("get_function", vec![s(1, "db1"), s(2, "nope")]);
    g.call("get_functions", vec![s(1, "db1"), s(2, "*")]);
    g.call("get_all_functions", vec![]);
    g.call("alter_function", vec![s(1, "db1"), s(2, "upper2"), st(3, function("upper2", "com.example.Upper3"))]);
    g.call("get_function", vec![s(1, "db1"), s(2, "upper2")]);
    g.call("drop_function", vec![s(1, "db1"), s(2, "lower2")]);
    g.call("drop_function", vec![s(1, "db1"), s(2, "lower2")]);
    g.call("get_functions", vec![s(1, "db1"), s(2, "*")]);
    g.finish();
}

fn long_obj(col: &str, low: i64, high: i64) -> t::ColumnStatisticsObj {
    t::ColumnStatisticsObj {
        col_name: col.into(),
        col_type: "bigint".into(),
        stats_data: t::ColumnStatisticsData::LongStats(t::LongColumnStatsData {
            low_value: Some(low),
            high_value: Some(high),
            num_nulls: 1,
            num_d_vs: 10,
            bit_vectors: None,
            histogram: None,
        }),
    }
}

fn stats(part: Option<&str>, objs: Vec<t::ColumnStatisticsObj>) -> t::ColumnStatistics {
    t::ColumnStatistics {
        stats_desc: t::ColumnStatisticsDesc {
            is_tbl_level: part.is_none(),
            db_name: "db1".into(),
            table_name: "sales".into(),
            part_name: part.map(str::to_string),
            last_analyzed: Some(1_700_000_123),
            cat_name: None,
        },
        stats_obj: objs,
        is_stats_compliant: None,
        engine: Some("hive".into()),
    }
}

#[test]
fn golden_stats() {
    let mut g = with_sales("stats");
    let (db, tb) = (|| s(1, "db1"), || s(2, "sales"));
    g.call(
        "update_table_column_statistics",
        vec![st(1, stats(None, vec![long_obj("id", 1, 100), double_obj("price")]))],
    );
    g.call("get_table_column_statistics", vec![db(), tb(), s(3, "id")]);
    g.call("get_table_column_statistics", vec![db(), tb(), s(3, "nope")]);
    g.call("get_table_column_statistics", vec![db(), s(2, "nope"), s(3, "id")]);
    g.call(
        "get_table_statistics_req",
        vec![st(
            1,
            t::TableStatsRequest {
                db_name: "db1".into(),
                tbl_name: "sales".into(),
                col_names: vec!["price".into(), "id".into()],
                cat_name: None,
                valid_write_id_list: None,
                engine: Some("hive".into()),
                id: None,
            },
        )],
    );
    let part = "year=2024/region=eu";
    g.call("update_partition_column_statistics", vec![st(1, stats(Some(part), vec![long_obj("id", 5, 50)]))]);
    g.call(
        "update_partition_column_statistics",
        vec![st(1, stats(Some("year=2025/region=us"), vec![long_obj("id", 7, 70)]))],
    );
    g.call("get_partition_column_statistics", vec![db(), tb(), s(3, part), s(4, "id")]);
    g.call("get_partition_column_statistics", vec![db(), tb(), s(3, part), s(4, "price")]);
    let req = || t::PartitionsStatsRequest {
        db_name: "db1".into(),
        tbl_name: "sales".into(),
        col_names: vec!["id".into()],
        part_names: vec!["year=2024/region=eu".into(), "year=2025/region=us".into()],
        cat_name: None,
        valid_write_id_list: None,
        engine: Some("hive".into()),
    };
    g.call("get_partitions_statistics_req", vec![st(1, req())]);
    g.call("get_aggr_stats_for", vec![st(1, req())]);
    g.call("delete_table_column_statistics", vec![db(), tb(), s(3, "id"), s(4, "hive")]);
    g.call("get_table_column_statistics", vec![db(), tb(), s(3, "id")]);
    g.call("delete_partition_column_statistics", vec![db(), tb(), s(3, part), s(4, "id"), s(5, "hive")]);
    g.call("get_partition_column_statistics", vec![db(), tb(), s(3, part), s(4, "id")]);
    g.finish();
}

#[test]
fn golden_events() {
    let mut g = with_sales("events");
    g.call("get_current_notificationEventId", vec![]);
    g.call(
        "get_notification_events_count",
        vec![st(
            1,
            t::NotificationEventsCountRequest {
                from_event_id: 0,
                db_name: "db1".into(),
                cat_name: None,
                to_event_id: None,
                limit: None,
                table_names: None,
            },
        )],
    );
    g.call(
        "get_next_notification",
        vec![st(
            1,
            t::NotificationEventRequest {
                last_event: 0,
                max_events: Some(2),
                event_type_skip_list: None,
                cat_name: None,
                db_name: None,
                table_names: None,
            },
        )],
    );
    let fire = |table: &str| t::FireEventRequest {
        successful: true,
        data: t::FireEventRequestData::InsertData(t::InsertEventRequestData {
            replace: Some(false),
            files_added: Some(vec!["file:///data/f1".into()]),
            files_added_checksum: None,
            sub_directory_list: None,
            partition_val: None,
        }),
        db_name: Some("db1".into()),
        table_name: Some(table.into()),
        partition_vals: Some(vec!["2024".into(), "eu".into()]),
        cat_name: None,
        tbl_params: None,
    };
    g.call("fire_listener_event", vec![st(1, fire("sales"))]);
    g.call("fire_listener_event", vec![st(1, fire("nope"))]);
    g.call("get_current_notificationEventId", vec![]);
    g.finish();
}

#[test]
fn golden_locks_and_txns() {
    let mut g = with_sales("locks_and_txns");
    let lock = t::LockRequest {
        component: vec![t::LockComponent {
            type_: t::LockType::SHARED_READ,
            level: t::LockLevel::TABLE,
            dbname: "db1".into(),
            tablename: Some("sales".into()),
            partitionname: None,
            operation_type: None,
            is_transactional: None,
            is_dynamic_partition_write: None,
        }],
        txnid: None,
        user: "alice".into(),
        hostname: "host1".into(),
        agent_info: Some("golden".into()),
        zero_wait_read_enabled: None,
        exclusive_c_t_a_s: None,
        lockless_reads_enabled: None,
    };
    let reply = g.call("lock", vec![st(1, lock)]);
    let id = Script::success::<t::LockResponse>(&reply).lockid;
    g.call("check_lock", vec![st(1, t::CheckLockRequest { lockid: id, txnid: None, elapsed_ms: None })]);
    g.call("check_lock", vec![st(1, t::CheckLockRequest { lockid: 987_654, txnid: None, elapsed_ms: None })]);
    g.call(
        "show_locks",
        vec![st(
            1,
            t::ShowLocksRequest {
                dbname: Some("db1".into()),
                tablename: None,
                partname: None,
                is_extended: None,
                txnid: None,
            },
        )],
    );
    g.call("heartbeat", vec![st(1, t::HeartbeatRequest { lockid: Some(id), txnid: None })]);
    g.call("heartbeat", vec![st(1, t::HeartbeatRequest { lockid: Some(987_654), txnid: None })]);
    g.call("unlock", vec![st(1, t::UnlockRequest { lockid: id })]);
    let open = |n: i32| t::OpenTxnRequest {
        num_txns: n,
        user: "alice".into(),
        hostname: "host1".into(),
        agent_info: Some("golden".into()),
        repl_policy: None,
        repl_src_txn_ids: None,
        txn_type: None,
    };
    // open_txns declares no exception: a refused request is a TApplicationException.
    g.call("open_txns", vec![st(1, open(-1))]);
    let reply = g.call("open_txns", vec![st(1, open(2))]);
    let ids = Script::success::<t::OpenTxnsResponse>(&reply).txn_ids;
    g.call("get_open_txns", vec![]);
    g.call("get_open_txns_info", vec![]);
    g.call("heartbeat_txn_range", vec![st(1, t::HeartbeatTxnRangeRequest { min: ids[0], max: ids[1] + 5 })]);
    g.call(
        "abort_txn",
        vec![st(1, t::AbortTxnRequest { txnid: ids[1], repl_policy: None, txn_type: None, error_code: None })],
    );
    let commit =
        |id: i64| t::CommitTxnRequest { txnid: id, repl_policy: None, excl_write_enabled: None, txn_type: None };
    g.call("commit_txn", vec![st(1, commit(ids[1]))]);
    g.call("commit_txn", vec![st(1, commit(ids[0]))]);
    g.call("commit_txn", vec![st(1, commit(ids[0]))]);
    g.call(
        "abort_txn",
        vec![st(1, t::AbortTxnRequest { txnid: 987_654, repl_policy: None, txn_type: None, error_code: None })],
    );
    g.call(
        "get_valid_write_ids",
        vec![st(
            1,
            t::GetValidWriteIdsRequest {
                full_table_names: vec!["db1.sales".into(), "bad".into()],
                valid_txn_list: None,
                write_id: None,
            },
        )],
    );
    g.call(
        "allocate_table_write_ids",
        vec![st(
            1,
            t::AllocateTableWriteIdsRequest {
                db_name: "db1".into(),
                table_name: "sales".into(),
                txn_ids: Some(vec![ids[0]]),
                repl_policy: None,
                src_txn_to_write_id_list: None,
                reallocate: None,
            },
        )],
    );
    g.finish();
}
