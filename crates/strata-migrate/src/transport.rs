//! The byte stream under a Thrift connection to another metastore: TCP, optionally wrapped
//! in TLS (rustls) and authenticated with SASL PLAIN, framed as Thrift's
//! `TSaslClientTransport` does.
//!
//! SASL negotiation messages are one status byte (START=1, OK=2, BAD=3, ERROR=4,
//! COMPLETE=5), a 4-byte big-endian length and the payload. The client sends START with the
//! mechanism name (`PLAIN`), then COMPLETE with `\0user\0password`; the server answers
//! COMPLETE (accepted) or BAD/ERROR with a message. Afterwards every Thrift message travels in
//! a 4-byte-length frame, exactly like the framed transport (PLAIN has no security layer).

use std::{
    io::{self, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer, ServerName};

use crate::Error;

/// Negotiation status bytes of Thrift's SASL transport.
pub mod status {
    /// The client names its mechanism.
    pub const START: u8 = 1;
    /// More negotiation follows.
    pub const OK: u8 = 2;
    /// The peer refused (bad credentials, unknown mechanism).
    pub const BAD: u8 = 3;
    /// The peer failed.
    pub const ERROR: u8 = 4;
    /// Negotiation is complete.
    pub const COMPLETE: u8 = 5;
}

/// Largest negotiation message accepted from a server.
const MAX_SASL_MESSAGE: usize = 64 * 1024;

/// TLS settings for connections to another metastore.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// PEM file of the CA(s) to trust; `None`: the system's trusted roots.
    pub ca: Option<PathBuf>,
    /// PEM client certificate (chain) and its key, for servers that ask for one.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

/// SASL PLAIN credentials.
#[derive(Clone)]
pub struct PlainCredentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for PlainCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainCredentials").field("user", &self.user).field("password", &"***").finish()
    }
}

/// How to secure a connection: TLS, SASL PLAIN, both or neither.
#[derive(Debug, Clone, Default)]
pub struct Security {
    /// TLS client configuration, built once.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// SASL PLAIN credentials.
    pub sasl: Option<PlainCredentials>,
}

fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| Error::msg(format!("cannot read certificates from {}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Error::msg(format!("no certificate in {}", path.display())));
    }
    Ok(certs)
}

/// Build a TLS client configuration (TLS 1.2 and 1.3, aws-lc-rs).
pub fn tls_config(options: &TlsOptions) -> Result<Arc<rustls::ClientConfig>, Error> {
    let mut roots = rustls::RootCertStore::empty();
    match &options.ca {
        Some(path) => {
            for cert in read_pem_certs(path)? {
                roots.add(cert).map_err(|e| Error::msg(format!("bad CA certificate in {}: {e}", path.display())))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                // a system store may hold certificates rustls cannot use: skip those
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err(Error::msg("no trusted CA certificates found on this system: give --tls-ca FILE"));
            }
        }
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::msg(format!("TLS: {e}")))?
        .with_root_certificates(roots);
    let config = match &options.client_cert {
        Some((cert, key)) => {
            let chain = read_pem_certs(cert)?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| Error::msg(format!("cannot read a private key from {}: {e}", key.display())))?;
            builder.with_client_auth_cert(chain, key).map_err(|e| Error::msg(format!("TLS client certificate: {e}")))?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// A readable and writable byte stream.
pub trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// One stream shared by the read and the write half of a Thrift client (a synchronous client
/// never reads and writes at once, so the lock is never contended).
#[derive(Clone)]
pub struct Shared(Arc<Mutex<Box<dyn Stream>>>);

impl Shared {
    fn new(stream: Box<dyn Stream>) -> Self {
        Self(Arc::new(Mutex::new(stream)))
    }

    fn with<T>(&self, f: impl FnOnce(&mut Box<dyn Stream>) -> io::Result<T>) -> io::Result<T> {
        let mut guard = self.0.lock().map_err(|_| io::Error::other("connection lock poisoned"))?;
        f(&mut guard)
    }
}

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.with(|s| s.read(buf))
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.with(|s| s.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.with(std::io::Write::flush)
    }
}

/// The host part of `host:port` (`[v6]:port` too), for TLS server name checks.
fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// Connect to `addr` (`host:port`) with `security`. Returns the stream and whether the
/// Thrift messages on it must be framed (always after SASL).
pub fn connect(addr: &str, security: &Security, timeout: Duration) -> Result<(Shared, bool), Error> {
    let tcp = TcpStream::connect(addr)?;
    tcp.set_nodelay(true)?;
    tcp.set_read_timeout(Some(timeout))?;
    tcp.set_write_timeout(Some(timeout))?;
    let mut stream: Box<dyn Stream> = match &security.tls {
        None => Box::new(tcp),
        Some(config) => {
            let name = ServerName::try_from(host_of(addr).to_string())
                .map_err(|e| Error::msg(format!("not a TLS server name: {}: {e}", host_of(addr))))?;
            let conn =
                rustls::ClientConnection::new(Arc::clone(config), name).map_err(|e| Error::msg(format!("TLS: {e}")))?;
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            // handshake now, so a bad certificate is reported as such at connect time
            while tls.conn.is_handshaking() {
                tls.conn.complete_io(&mut tls.sock).map_err(|e| Error::msg(format!("TLS handshake: {e}")))?;
            }
            Box::new(tls)
        }
    };
    let framed = match &security.sasl {
        None => false,
        Some(creds) => {
            sasl_plain(&mut stream, creds)?;
            true
        }
    };
    Ok((Shared::new(stream), framed))
}

fn send<W: Write + ?Sized>(stream: &mut W, status: u8, payload: &[u8]) -> Result<(), Error> {
    let len = u32::try_from(payload.len()).map_err(|_| Error::msg("SASL message too long"))?;
    let mut message = Vec::with_capacity(5 + payload.len());
    message.push(status);
    message.extend_from_slice(&len.to_be_bytes());
    message.extend_from_slice(payload);
    stream.write_all(&message)?;
    Ok(())
}

/// Read one negotiation message: (status, payload).
pub fn receive<R: Read + ?Sized>(stream: &mut R) -> Result<(u8, Vec<u8>), Error> {
    let mut header = [0u8; 5];
    stream.read_exact(&mut header)?;
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if len > MAX_SASL_MESSAGE {
        return Err(Error::msg(format!("SASL: the server sent a {len}-byte negotiation message")));
    }
    let mut payload = vec![0u8; len];
    stream.read_exact(&mut payload)?;
    Ok((header[0], payload))
}

/// Client side of SASL PLAIN over Thrift's SASL transport.
pub fn sasl_plain<S: Read + Write + ?Sized>(stream: &mut S, creds: &PlainCredentials) -> Result<(), Error> {
    send(stream, status::START, b"PLAIN")?;
    let mut response = Vec::with_capacity(creds.user.len() + creds.password.len() + 2);
    response.push(0);
    response.extend_from_slice(creds.user.as_bytes());
    response.push(0);
    response.extend_from_slice(creds.password.as_bytes());
    // PLAIN is complete after its initial response
    send(stream, status::COMPLETE, &response)?;
    stream.flush()?;
    let (code, payload) = receive(stream)?;
    let text = String::from_utf8_lossy(&payload);
    match code {
        status::COMPLETE => Ok(()),
        status::BAD | status::ERROR => {
            Err(Error::msg(format!("SASL PLAIN: the server refused user {}: {text}", creds.user)))
        }
        status::OK => Err(Error::msg("SASL PLAIN: the server asked for more negotiation (not PLAIN?)")),
        other => Err(Error::msg(format!("SASL PLAIN: unexpected negotiation status {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use thrift::{
        protocol::{
            TBinaryInputProtocol, TBinaryOutputProtocol, TFieldIdentifier, TInputProtocol, TListIdentifier,
            TMessageIdentifier, TMessageType, TOutputProtocol, TStructIdentifier, TType,
        },
        transport::{TFramedReadTransport, TFramedWriteTransport},
    };

    use super::*;
    use crate::{Endpoint, ThriftAddress, ThriftEndpoint};

    /// The server side of Thrift's SASL transport (as `TSaslServerTransport` plays it) with
    /// PLAIN, accepting `user`/`secret`; then answers one framed `get_all_databases`.
    /// Returns what it saw: (mechanism, initial response status, method called).
    fn serve_once(listener: TcpListener) -> std::thread::JoinHandle<(String, u8, String)> {
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let (start, mech) = receive(&mut s).unwrap();
            assert_eq!(start, status::START);
            let (st, resp) = receive(&mut s).unwrap();
            let mechanism = String::from_utf8(mech).unwrap();
            if resp != b"\0user\0secret" {
                send(&mut s, status::BAD, b"Error validating the login").unwrap();
                return (mechanism, st, String::new());
            }
            send(&mut s, status::COMPLETE, b"").unwrap();
            let r = s.try_clone().unwrap();
            let mut input = TBinaryInputProtocol::new(TFramedReadTransport::new(r), true);
            let mut output = TBinaryOutputProtocol::new(TFramedWriteTransport::new(s), true);
            let call = input.read_message_begin().unwrap();
            input.skip(TType::Struct).unwrap();
            input.read_message_end().unwrap();
            output
                .write_message_begin(&TMessageIdentifier::new(&call.name, TMessageType::Reply, call.sequence_number))
                .unwrap();
            output.write_struct_begin(&TStructIdentifier::new("get_all_databases_result")).unwrap();
            output.write_field_begin(&TFieldIdentifier::new("success", TType::List, 0)).unwrap();
            output.write_list_begin(&TListIdentifier::new(TType::String, 2)).unwrap();
            output.write_string("default").unwrap();
            output.write_string("sales").unwrap();
            output.write_list_end().unwrap();
            output.write_field_end().unwrap();
            output.write_field_stop().unwrap();
            output.write_struct_end().unwrap();
            output.write_message_end().unwrap();
            output.flush().unwrap();
            (mechanism, st, call.name)
        })
    }

    fn address(listener: &TcpListener, password: &str) -> ThriftAddress {
        let uri = format!("thrift://{}", listener.local_addr().unwrap());
        ThriftAddress::parse(&uri, false).unwrap().with_security(Security {
            tls: None,
            sasl: Some(PlainCredentials { user: "user".into(), password: password.into() }),
        })
    }

    #[test]
    fn sasl_plain_negotiates_then_frames_every_message() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = address(&listener, "secret");
        let server = serve_once(listener);
        let mut endpoint = ThriftEndpoint::connect(&address).unwrap();
        assert_eq!(endpoint.database_names().unwrap(), vec!["default".to_string(), "sales".to_string()]);
        let (mechanism, initial, method) = server.join().unwrap();
        assert_eq!(mechanism, "PLAIN");
        assert_eq!(initial, status::COMPLETE);
        assert_eq!(method, "get_all_databases");
    }

    #[test]
    fn sasl_plain_reports_a_refusal_with_the_servers_message() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = address(&listener, "wrong");
        let server = serve_once(listener);
        let err = ThriftEndpoint::connect(&address).unwrap_err().to_string();
        assert!(err.contains("refused user user") && err.contains("Error validating the login"), "{err}");
        assert!(!err.contains("wrong"), "the password must not appear in errors: {err}");
        server.join().unwrap();
    }

    #[test]
    fn an_oversized_negotiation_message_is_refused_not_allocated() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = address(&listener, "secret");
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let _ = receive(&mut s).unwrap();
            let _ = receive(&mut s).unwrap();
            s.write_all(&[status::COMPLETE, 0xff, 0xff, 0xff, 0xff]).unwrap();
        });
        let err = ThriftEndpoint::connect(&address).unwrap_err().to_string();
        assert!(err.contains("negotiation message"), "{err}");
        server.join().unwrap();
    }

    #[test]
    fn host_of_strips_the_port_and_brackets() {
        assert_eq!(host_of("hms.example.com:9083"), "hms.example.com");
        assert_eq!(host_of("127.0.0.1:9083"), "127.0.0.1");
        assert_eq!(host_of("[::1]:9083"), "::1");
    }

    #[test]
    fn a_missing_ca_file_is_a_clear_error() {
        let err = tls_config(&TlsOptions { ca: Some("/nonexistent/ca.pem".into()), client_cert: None })
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");
    }
}
