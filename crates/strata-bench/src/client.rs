//! An HMS Thrift client (binary protocol, unframed: what Spark and Trino speak; over TLS and/or
//! SASL PLAIN when the URI asks) and builders for the objects the workloads create.
//!
//! URI: `thrift://host:port[?option=value&...]`, options:
//! - `tls_ca=FILE`: TLS, trusting the CA certificates of the PEM `FILE` (`tls_name=NAME`: the
//!   name to check the server's certificate against; default the host);
//! - `sasl_user=NAME&sasl_password_env=VAR`: SASL PLAIN as `NAME`, the password taken from the
//!   environment variable `VAR` (so it is never on a command line or in a report).

use std::{
    io::{self, Read, Write},
    net::TcpStream,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use strata_thrift as t;
use thrift::{
    protocol::{TBinaryInputProtocol, TBinaryOutputProtocol},
    transport::{TBufferedReadTransport, TBufferedWriteTransport},
};

/// The read and write sides of a connection.
pub type ReadSide = Box<dyn Read + Send>;
/// See [`ReadSide`].
pub type WriteSide = Box<dyn Write + Send>;

/// The generated client over a buffered connection.
pub type Client = t::ThriftHiveMetastoreSyncClient<
    TBinaryInputProtocol<TBufferedReadTransport<ReadSide>>,
    TBinaryOutputProtocol<TBufferedWriteTransport<WriteSide>>,
>;

/// The `host:port` of a `thrift://host:port[?options]` URI.
pub fn address(uri: &str) -> Result<String, String> {
    let rest = uri.strip_prefix("thrift://").ok_or_else(|| format!("not a thrift:// URI: {uri}"))?;
    let rest = rest.split('?').next().unwrap_or_default();
    Ok(rest.trim_end_matches('/').to_string())
}

/// The value of `key` in the URI's query, if any.
fn option<'a>(uri: &'a str, key: &str) -> Option<&'a str> {
    let query = uri.split_once('?')?.1;
    query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// A stream both sides of a TLS connection share.
trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

#[derive(Clone)]
struct Shared(Arc<Mutex<Box<dyn Stream>>>);

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).read(buf)
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).flush()
    }
}

/// After SASL: each message behind a 4-byte length (writes are sent on flush).
struct FramedRead<R> {
    inner: R,
    frame: Vec<u8>,
    pos: usize,
}

impl<R: Read> Read for FramedRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.frame.len() {
            let mut len = [0u8; 4];
            self.inner.read_exact(&mut len)?;
            self.frame.resize(u32::from_be_bytes(len) as usize, 0);
            self.inner.read_exact(&mut self.frame)?;
            self.pos = 0;
        }
        let n = buf.len().min(self.frame.len() - self.pos);
        buf[..n].copy_from_slice(&self.frame[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

struct FramedWrite<W> {
    inner: W,
    frame: Vec<u8>,
}

impl<W: Write> Write for FramedWrite<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.frame.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        let len = u32::try_from(self.frame.len()).map_err(|_| io::Error::other("frame too large"))?;
        let mut out = Vec::with_capacity(4 + self.frame.len());
        out.extend_from_slice(&len.to_be_bytes());
        out.append(&mut self.frame);
        self.inner.write_all(&out)?;
        self.inner.flush()
    }
}

fn tls(stream: TcpStream, uri: &str, ca: &str) -> Result<Box<dyn Stream>, String> {
    use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| format!("{ca}: {e}"))? {
        roots.add(cert.map_err(|e| format!("{ca}: {e}"))?).map_err(|e| format!("{ca}: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let host = address(uri)?.rsplit_once(':').map(|(h, _)| h.to_string()).unwrap_or_default();
    let name = option(uri, "tls_name").map_or(host, str::to_string);
    let name = ServerName::try_from(name).map_err(|e| e.to_string())?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    Ok(Box::new(rustls::StreamOwned::new(conn, stream)))
}

/// SASL PLAIN: START with the mechanism, OK with the credentials; the server must answer
/// COMPLETE.
fn sasl_plain(stream: &mut dyn Stream, user: &str, password: &str) -> Result<(), String> {
    fn send(s: &mut dyn Stream, status: u8, payload: &[u8]) -> io::Result<()> {
        let mut m = vec![status];
        m.extend_from_slice(&u32::try_from(payload.len()).unwrap_or(u32::MAX).to_be_bytes());
        m.extend_from_slice(payload);
        s.write_all(&m)?;
        s.flush()
    }
    let response = format!("\0{user}\0{password}");
    send(stream, 1, b"PLAIN").map_err(|e| e.to_string())?;
    send(stream, 2, response.as_bytes()).map_err(|e| e.to_string())?;
    let mut header = [0u8; 5];
    stream.read_exact(&mut header).map_err(|e| format!("SASL: {e}"))?;
    let mut payload = vec![0; u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize];
    stream.read_exact(&mut payload).map_err(|e| format!("SASL: {e}"))?;
    if header[0] != 5 {
        return Err(format!("SASL PLAIN refused: status {} {}", header[0], String::from_utf8_lossy(&payload)));
    }
    Ok(())
}

/// Connect to a metastore.
pub fn connect(uri: &str) -> Result<Client, String> {
    let addr = address(uri)?;
    let stream = TcpStream::connect(&addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(600))).map_err(|e| e.to_string())?;
    let sasl = match (option(uri, "sasl_user"), option(uri, "sasl_password_env")) {
        (Some(user), Some(var)) => {
            let password = std::env::var(var).map_err(|_| format!("{var} (sasl_password_env) is not set"))?;
            Some((user.to_string(), password))
        }
        (None, None) => None,
        _ => return Err(format!("{uri}: sasl_user and sasl_password_env go together")),
    };
    let (r, w): (ReadSide, WriteSide) = match (option(uri, "tls_ca"), sasl) {
        (None, None) => (Box::new(stream.try_clone().map_err(|e| e.to_string())?), Box::new(stream)),
        (ca, sasl) => {
            let mut s: Box<dyn Stream> = match ca {
                Some(ca) => tls(stream, uri, ca)?,
                None => Box::new(stream),
            };
            if let Some((user, password)) = &sasl {
                sasl_plain(s.as_mut(), user, password)?;
            }
            let shared = Shared(Arc::new(Mutex::new(s)));
            if sasl.is_some() {
                (
                    Box::new(FramedRead { inner: shared.clone(), frame: Vec::new(), pos: 0 }),
                    Box::new(FramedWrite { inner: shared, frame: Vec::new() }),
                )
            } else {
                (Box::new(shared.clone()), Box::new(shared))
            }
        }
    };
    Ok(t::ThriftHiveMetastoreSyncClient::new(
        TBinaryInputProtocol::new(TBufferedReadTransport::with_capacity(64 * 1024, r), true),
        TBinaryOutputProtocol::new(TBufferedWriteTransport::with_capacity(64 * 1024, w), true),
    ))
}

/// A database at the server's default location.
#[must_use]
pub fn database(name: &str) -> t::Database {
    t::Database {
        name: Some(name.to_string()),
        description: Some("strata bench".to_string()),
        location_uri: None,
        parameters: Some(t::StrMap::new()),
        privileges: None,
        owner_name: Some("bench".to_string()),
        owner_type: Some(t::PrincipalType::USER),
        catalog_name: None,
        create_time: None,
        managed_location_uri: None,
        type_: None,
        connector_name: None,
        remote_dbname: None,
    }
}

fn field(name: &str, ty: &str) -> t::FieldSchema {
    t::FieldSchema { name: Some(name.to_string()), type_: Some(ty.to_string()), comment: None }
}

/// A parquet storage descriptor (as Spark writes it), optionally with a location.
#[must_use]
pub fn storage(location: Option<String>) -> t::StorageDescriptor {
    t::StorageDescriptor {
        cols: Some(vec![field("id", "bigint"), field("item", "string"), field("price", "double")]),
        location,
        input_format: Some("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat".to_string()),
        output_format: Some("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat".to_string()),
        compressed: Some(false),
        num_buckets: Some(-1),
        serde_info: Some(t::SerDeInfo {
            name: None,
            serialization_lib: Some("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe".to_string()),
            parameters: Some(t::StrMap::from_iter([("serialization.format".to_string(), "1".to_string())])),
            description: None,
            serializer_class: None,
            deserializer_class: None,
            serde_type: None,
        }),
        bucket_cols: Some(Vec::new()),
        sort_cols: Some(Vec::new()),
        parameters: Some(t::StrMap::new()),
        skewed_info: None,
        stored_as_sub_directories: Some(false),
    }
}

/// An external table partitioned by `ds string` (external so that dropping it leaves files
/// alone on both servers: the workloads measure metadata).
#[must_use]
pub fn table(db: &str, name: &str) -> t::Table {
    t::Table {
        table_name: Some(name.to_string()),
        db_name: Some(db.to_string()),
        owner: Some("bench".to_string()),
        create_time: None,
        last_access_time: None,
        retention: Some(0),
        sd: Some(storage(None)),
        partition_keys: Some(vec![field("ds", "string")]),
        parameters: Some(t::StrMap::from_iter([("EXTERNAL".to_string(), "TRUE".to_string())])),
        view_original_text: None,
        view_expanded_text: None,
        table_type: Some("EXTERNAL_TABLE".to_string()),
        privileges: None,
        temporary: None,
        rewrite_enabled: None,
        creation_metadata: None,
        cat_name: None,
        owner_type: None,
        write_id: None,
        is_stats_compliant: None,
        col_stats: None,
        access_type: None,
        required_read_capabilities: None,
        required_write_capabilities: None,
        id: None,
        file_metadata: None,
        dictionary: None,
        txn_id: None,
    }
}

/// The value of the `i`-th partition (sortable).
#[must_use]
pub fn part_value(i: usize) -> String {
    format!("d{i:08}")
}

/// A partition of [`table`] with an explicit location under `root`.
#[must_use]
pub fn partition(db: &str, table: &str, root: &str, value: &str) -> t::Partition {
    t::Partition {
        values: Some(vec![value.to_string()]),
        db_name: Some(db.to_string()),
        table_name: Some(table.to_string()),
        create_time: None,
        last_access_time: None,
        sd: Some(storage(Some(format!("{root}/{table}/ds={value}")))),
        parameters: Some(t::StrMap::new()),
        privileges: None,
        cat_name: None,
        write_id: None,
        is_stats_compliant: None,
        col_stats: None,
        file_metadata: None,
    }
}
