//! One client connection, served on its own thread (as Apache HMS does): detect the transport
//! and protocol from the first bytes, then read a call, process it, write the reply, until the
//! client leaves, the connection idles out, a message is malformed, or the server shuts down.

use std::{
    cell::{Cell, RefCell},
    io::{self, Read, Write},
    net::{SocketAddr, TcpStream},
    rc::Rc,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Condvar, Mutex, PoisonError,
    },
    time::{Duration, Instant},
};

use strata_thrift::{budget, methods::Method, ThriftHiveMetastoreSyncProcessor};
use thrift::{
    protocol::{
        TBinaryInputProtocol, TBinaryOutputProtocol, TCompactInputProtocol, TCompactOutputProtocol, TInputProtocol,
        TMessageType, TOutputProtocol,
    },
    server::TProcessor,
    TConfiguration,
};

use crate::{
    handler::{Handler, Shared},
    identity::{AuthMethod, Principal},
    listing,
    sasl::{self, AuthMode},
    tls, ServerConfig,
};

/// A framed connection keeps its reply buffer between calls up to this size.
const MAX_KEPT_FRAME: usize = 1024 * 1024;

/// How often a connection waiting for its next call checks for shutdown.
const POLL: Duration = Duration::from_millis(200);

/// The read buffer's size between messages (it grows while a long string arrives).
const READ_BUFFER: usize = 64 * 1024;

/// Longest method name accepted in a message header (the longest HMS method has 56).
const MAX_METHOD_NAME: usize = 256;

/// What a string costs in memory on top of its bytes (its `String`).
const STRING_OVERHEAD: usize = std::mem::size_of::<String>();

thread_local! {
    /// Whether a string of the request being served holds a NUL character.
    static NUL_SEEN: Cell<bool> = const { Cell::new(false) };
}

/// Whether a string of the request this thread is serving holds a NUL character (U+0000).
/// No HMS name or value holds one, PostgreSQL cannot store one, and a lookup with one fails
/// there: [`crate::handler`] refuses such a request before it reaches the catalog.
pub(crate) fn request_holds_nul() -> bool {
    NUL_SEEN.with(Cell::get)
}

/// Limits shared by all connections.
#[derive(Debug)]
pub(crate) struct Limits {
    /// Places for partition listings sent page by page.
    pub(crate) listings: Slots,
}

impl Limits {
    pub(crate) fn new(config: &ServerConfig) -> Self {
        Self { listings: Slots::new(config.max_paged_listings.max(1)) }
    }
}

/// A counting semaphore for connection threads (which are not on the runtime).
#[derive(Debug)]
pub struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Slots {
    fn new(n: usize) -> Self {
        Self { free: Mutex::new(n), freed: Condvar::new() }
    }

    /// A slot, waiting up to `wait` for one to free up.
    pub fn take(&self, wait: Duration) -> Option<Slot<'_>> {
        let free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut free, _) =
            self.freed.wait_timeout_while(free, wait, |free| *free == 0).unwrap_or_else(PoisonError::into_inner);
        if *free == 0 {
            return None;
        }
        *free -= 1;
        Some(Slot(self))
    }
}

/// A taken slot of [`Slots`], given back on drop.
#[derive(Debug)]
pub struct Slot<'a>(&'a Slots);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.0.freed.notify_one();
    }
}

/// Transport framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Messages back to back on the socket.
    Unframed,
    /// Each message behind a 4-byte big-endian length.
    Framed,
}

/// Wire protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `TBinaryProtocol` (strict, `0x80 0x01` header).
    Binary,
    /// `TCompactProtocol` (`0x82`).
    Compact,
}

/// What the first bytes of a connection say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    /// A Thrift client Strata can serve.
    Thrift(Framing, Protocol),
    /// Something else, with a reason for the log.
    Unsupported(&'static str),
    /// Not enough bytes yet.
    NeedMore,
}

/// Classify a connection from its first bytes.
#[must_use]
pub fn detect(first: &[u8]) -> Detected {
    match first.first() {
        None => Detected::NeedMore,
        Some(0x80) => Detected::Thrift(Framing::Unframed, Protocol::Binary),
        Some(0x82) => Detected::Thrift(Framing::Unframed, Protocol::Compact),
        Some(0x00) => match first.get(4) {
            None => Detected::NeedMore,
            Some(0x80) => Detected::Thrift(Framing::Framed, Protocol::Binary),
            Some(0x82) => Detected::Thrift(Framing::Framed, Protocol::Compact),
            Some(_) => Detected::Unsupported("framed message that is neither binary nor compact protocol"),
        },
        Some(0x16) => Detected::Unsupported("TLS handshake; Strata serves plain Thrift (terminate TLS in front of it)"),
        Some(0x01..=0x05) => {
            Detected::Unsupported("SASL negotiation; set hive.metastore.sasl.enabled=false on the client")
        }
        Some(b'G' | b'P') => Detected::Unsupported("HTTP request; Strata serves the binary Thrift transport"),
        Some(_) => Detected::Unsupported("not a Thrift binary or compact message"),
    }
}

/// The connection's byte stream: the socket, or TLS over it.
enum Io {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

/// The connection's stream, shared by the read and the write side (one thread serves the
/// connection and uses one side at a time). Timeouts are set on the socket under it.
#[derive(Clone)]
struct Link(Rc<RefCell<Io>>);

impl Link {
    fn new(io: Io) -> Self {
        Self(Rc::new(RefCell::new(io)))
    }

    fn socket<T>(&self, f: impl FnOnce(&TcpStream) -> T) -> T {
        match &*self.0.borrow() {
            Io::Plain(s) => f(s),
            Io::Tls(s) => f(&s.sock),
        }
    }

    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.socket(|s| s.set_read_timeout(t))
    }

    fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.socket(|s| s.set_write_timeout(t))
    }
}

impl Read for Link {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut *self.0.borrow_mut() {
            Io::Plain(s) => s.read(buf),
            Io::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Link {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut *self.0.borrow_mut() {
            Io::Plain(s) => s.write(buf),
            Io::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut *self.0.borrow_mut() {
            Io::Plain(s) => s.flush(),
            Io::Tls(s) => s.flush(),
        }
    }
}

/// A [`Link`] whose every read and write must finish by `deadline` (the TLS handshake and the
/// SASL negotiation together get `request_timeout` from the connection's start).
struct Deadlined {
    link: Link,
    deadline: Instant,
}

impl Deadlined {
    fn left(&self) -> io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "handshake not finished within request_timeout"));
        }
        Ok(left)
    }
}

impl Read for Deadlined {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.link.set_read_timeout(Some(self.left()?))?;
        self.link.read(buf)
    }
}

impl Write for Deadlined {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.link.set_write_timeout(Some(self.left()?))?;
        self.link.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.link.set_write_timeout(Some(self.left()?))?;
        self.link.flush()
    }
}

/// The read side: a buffer over the socket that knows where one message starts, enforces the
/// message-size limit and the request deadline, and (framed) exposes exactly one frame.
///
/// No allocation is sized from a length the client declares before the bytes are there: the
/// method name's length is checked in the header, and when the protocol is about to read a
/// string ([`Watched`] raises `expect_len`), the string's length prefix is checked against
/// what is left of the message and the string's bytes are read into this buffer first (it
/// grows by doubling as they arrive), so the protocol's allocation of that size happens only
/// once the client has sent them.
struct Reader {
    stream: Link,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    /// Bytes handed to the protocol in the current message.
    consumed: usize,
    /// Framed: bytes of the current frame not yet handed out.
    frame_left: Option<usize>,
    max_message: usize,
    /// The protocol, once detected (how string lengths are encoded).
    protocol: Protocol,
    /// Set by [`Watched`] just before the protocol reads a string or binary.
    expect_len: Rc<Cell<bool>>,
    /// When the current message must have arrived.
    deadline: Option<Instant>,
    /// Decode budget credited per byte handed to the protocol.
    budget_per_byte: usize,
}

impl Reader {
    fn new(stream: Link, config: &ServerConfig) -> Self {
        Self {
            stream,
            buf: vec![0; READ_BUFFER],
            pos: 0,
            len: 0,
            consumed: 0,
            frame_left: None,
            max_message: config.max_message_size,
            protocol: Protocol::Binary,
            expect_len: Rc::new(Cell::new(false)),
            deadline: None,
            budget_per_byte: config.decode_bytes_per_byte,
        }
    }

    fn buffered(&self) -> &[u8] {
        &self.buf[self.pos..self.len]
    }

    /// Read more bytes from the socket into the buffer (growing it when full, up to twice
    /// what it holds); `Ok(0)` at end of stream. Fails once the message's deadline passed.
    fn fill(&mut self) -> io::Result<usize> {
        if self.pos == self.len {
            self.pos = 0;
            self.len = 0;
        } else if self.len == self.buf.len() {
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.len, 0);
                self.len -= self.pos;
                self.pos = 0;
            } else {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        if let Some(deadline) = self.deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "request not received whole within request_timeout",
                ));
            }
            self.stream.set_read_timeout(Some(left))?;
        }
        let n = self.stream.read(&mut self.buf[self.len..])?;
        self.len += n;
        Ok(n)
    }

    /// Wait until at least `n` bytes are buffered (or the stream ends / times out).
    fn fill_to(&mut self, n: usize) -> io::Result<bool> {
        while self.buffered().len() < n {
            if self.fill()? == 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Bytes the rest of the current message can hold.
    fn room(&self) -> usize {
        self.frame_left.unwrap_or_else(|| self.max_message.saturating_sub(self.consumed))
    }

    /// The unsigned varint at `at` in the buffer (reading more as needed): value and length.
    fn varint_at(&mut self, at: usize) -> io::Result<Option<(u64, usize)>> {
        let mut value = 0u64;
        for i in 0..10 {
            if !self.fill_to(at + i + 1)? {
                return Ok(None);
            }
            let b = self.buffered()[at + i];
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(Some((value, i + 1)));
            }
        }
        Err(io::Error::new(io::ErrorKind::InvalidData, "varint longer than 10 bytes"))
    }

    /// The protocol is about to read a string: check its declared length against the rest of
    /// the message and have its bytes buffered before the protocol allocates for them.
    fn prefetch_string(&mut self) -> io::Result<()> {
        let (prefix, len) = match self.protocol {
            Protocol::Binary => {
                if !self.fill_to(4)? {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed in a string length"));
                }
                let b = self.buffered();
                let len = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                // A negative length is the protocol's to refuse.
                let Ok(len) = usize::try_from(len) else { return Ok(()) };
                (4, len)
            }
            Protocol::Compact => match self.varint_at(0)? {
                None => return Ok(()),
                Some((len, prefix)) => (prefix, usize::try_from(len).unwrap_or(usize::MAX)),
            },
        };
        let room = self.room().saturating_sub(prefix);
        if len > room {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a string of {len} bytes is declared where the message has at most {room} bytes left"),
            ));
        }
        // Not there whole (the client left): fail here, before the protocol allocates.
        if self.fill_to(prefix + len)? {
            Ok(())
        } else {
            Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed in the middle of a string"))
        }
    }

    /// The message header's method name must be short: check its declared length before the
    /// protocol allocates for it.
    fn check_header(&mut self) -> io::Result<()> {
        let name_len = match self.protocol {
            // Strict binary: 4 bytes of version and type, then the name's length.
            Protocol::Binary => {
                if !self.fill_to(8)? {
                    return Ok(());
                }
                let b = self.buffered();
                u64::from(u32::from_be_bytes([b[4], b[5], b[6], b[7]]))
            }
            // Compact: protocol id, version and type, varint sequence number, varint length.
            Protocol::Compact => {
                let Some((_, seq)) = self.varint_at(2)? else { return Ok(()) };
                let Some((len, _)) = self.varint_at(2 + seq)? else { return Ok(()) };
                len
            }
        };
        if name_len > MAX_METHOD_NAME as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("message header declares a method name of {name_len} bytes"),
            ));
        }
        Ok(())
    }

    /// Between messages: give back a buffer grown for a long string.
    fn shrink(&mut self) {
        if self.buf.len() > READ_BUFFER && self.buffered().len() <= READ_BUFFER {
            self.buf.copy_within(self.pos..self.len, 0);
            self.len -= self.pos;
            self.pos = 0;
            self.buf.truncate(READ_BUFFER);
            self.buf.shrink_to_fit();
        }
    }

    /// Start a new message: framed connections read and check the frame length here.
    fn begin_message(&mut self, framing: Framing) -> io::Result<()> {
        self.consumed = 0;
        self.expect_len.set(false);
        if framing == Framing::Framed {
            if !self.fill_to(4)? {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
            }
            let b = self.buffered();
            let len = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            self.pos += 4;
            let len = usize::try_from(len)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("negative frame size {len}")))?;
            if len > self.max_message {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("frame of {len} bytes exceeds the maximum message size of {} bytes", self.max_message),
                ));
            }
            self.frame_left = Some(len);
        }
        self.check_header()
    }

    /// After a call: a framed message must have been read to its end.
    fn end_message(&mut self) -> io::Result<()> {
        match self.frame_left.take() {
            Some(0) | None => Ok(()),
            Some(left) => Err(io::Error::new(io::ErrorKind::InvalidData, format!("{left} unread bytes left in frame"))),
        }
    }
}

impl Read for Reader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.expect_len.replace(false) {
            self.prefetch_string()?;
        }
        let mut want = out.len();
        if let Some(left) = self.frame_left {
            if left == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "read past the end of the frame"));
            }
            want = want.min(left);
        }
        if self.consumed + want > self.max_message && want > 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("message exceeds the maximum message size of {} bytes", self.max_message),
            ));
        }
        if self.buffered().is_empty() && self.fill()? == 0 {
            return Ok(0);
        }
        let n = want.min(self.buffered().len());
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        self.consumed += n;
        budget::credit(n.saturating_mul(self.budget_per_byte));
        if let Some(left) = self.frame_left.as_mut() {
            *left -= n;
        }
        Ok(n)
    }
}

/// The socket's write side with a deadline per reply: each write may block only for what is
/// left of the time the reply has from its first byte (a client reading one byte now and then
/// cannot hold the connection, nor what the call holds, for longer).
struct Timed {
    stream: Link,
    timeout: Duration,
    deadline: Option<Instant>,
}

impl Write for Timed {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let deadline = *self.deadline.get_or_insert_with(|| Instant::now() + self.timeout);
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "reply not read by the client within write_timeout"));
        }
        self.stream.set_write_timeout(Some(left))?;
        self.stream.write(data)
    }

    fn flush(&mut self) -> io::Result<()> {
        // TLS may still hold bytes to send: they get what is left of the reply's time.
        if let Some(deadline) = self.deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "reply not read by the client within write_timeout",
                ));
            }
            self.stream.set_write_timeout(Some(left))?;
        }
        self.stream.flush()
    }
}

/// The write side: buffered; framed connections get a length prefix per message on flush.
struct Writer {
    stream: io::BufWriter<Timed>,
    framing: Framing,
    frame: Vec<u8>,
    /// Bytes written so far (for the metrics).
    written: u64,
}

impl Write for Writer {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self.framing {
            Framing::Unframed => {
                let n = self.stream.write(data)?;
                self.written += n as u64;
                Ok(n)
            }
            Framing::Framed => {
                self.frame.extend_from_slice(data);
                Ok(data.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.framing == Framing::Framed && !self.frame.is_empty() {
            let len = u32::try_from(self.frame.len())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "reply too large for a frame"))?;
            self.stream.write_all(&len.to_be_bytes())?;
            self.stream.write_all(&self.frame)?;
            self.written += 4 + u64::from(len);
            self.frame.clear();
            // One large reply (10,000 partitions) must not pin its buffer for the life of the
            // connection.
            if self.frame.capacity() > MAX_KEPT_FRAME {
                self.frame = Vec::new();
            }
        }
        self.stream.flush()
    }
}

/// An input protocol that remembers whether any read failed. The generated processor answers a
/// call whose arguments cannot be decoded with a `TApplicationException` and carries on; the
/// rest of that message is then unread, so the connection must close.
/// It also hands back a message header read ahead (to see whether [`listing`] serves the call).
/// It also tells the [`Reader`] when a string is about to be read, charges strings to the
/// decode budget and closes the budget at the end of the message.
struct Watched<'a> {
    inner: &'a mut dyn TInputProtocol,
    failed: bool,
    read_ahead: Option<thrift::protocol::TMessageIdentifier>,
    expect_len: Rc<Cell<bool>>,
}

impl Watched<'_> {
    fn string<T>(
        &mut self,
        read: impl FnOnce(&mut dyn TInputProtocol) -> thrift::Result<T>,
        bytes: impl Fn(&T) -> &[u8],
    ) -> thrift::Result<T> {
        let len = |v: &T| bytes(v).len();
        self.expect_len.set(true);
        let r = read(&mut *self.inner);
        self.expect_len.set(false);
        let r = r.and_then(|v| budget::charge(len(&v).saturating_add(STRING_OVERHEAD)).map(|()| v));
        if let Ok(v) = &r {
            if bytes(v).contains(&0) {
                NUL_SEEN.with(|n| n.set(true));
            }
        }
        self.failed |= r.is_err();
        r
    }
}

macro_rules! watched {
    ($($name:ident -> $ty:ty),* $(,)?) => {
        $(fn $name(&mut self) -> thrift::Result<$ty> {
            let r = self.inner.$name();
            self.failed |= r.is_err();
            r
        })*
    };
}

impl TInputProtocol for Watched<'_> {
    fn read_message_begin(&mut self) -> thrift::Result<thrift::protocol::TMessageIdentifier> {
        if let Some(ident) = self.read_ahead.take() {
            return Ok(ident);
        }
        let r = self.inner.read_message_begin();
        self.failed |= r.is_err();
        r
    }

    fn read_message_end(&mut self) -> thrift::Result<()> {
        budget::close();
        let r = self.inner.read_message_end();
        self.failed |= r.is_err();
        r
    }

    fn read_string(&mut self) -> thrift::Result<String> {
        self.string(|i| i.read_string(), |s: &String| s.as_bytes())
    }

    fn read_bytes(&mut self) -> thrift::Result<Vec<u8>> {
        self.string(|i| i.read_bytes(), |b: &Vec<u8>| b.as_slice())
    }

    fn skip_binary(&mut self) -> thrift::Result<()> {
        let r = self.inner.skip_binary();
        self.failed |= r.is_err();
        r
    }

    watched! {
        read_struct_begin -> Option<thrift::protocol::TStructIdentifier>,
        read_struct_end -> (),
        read_field_begin -> thrift::protocol::TFieldIdentifier,
        read_field_end -> (),
        read_bool -> bool,
        read_i8 -> i8,
        read_i16 -> i16,
        read_i32 -> i32,
        read_i64 -> i64,
        read_double -> f64,
        read_uuid -> uuid::Uuid,
        read_list_begin -> thrift::protocol::TListIdentifier,
        read_list_end -> (),
        read_set_begin -> thrift::protocol::TSetIdentifier,
        read_set_end -> (),
        read_map_begin -> thrift::protocol::TMapIdentifier,
        read_map_end -> (),
        read_byte -> u8,
    }

    fn min_serialized_size(&self, field_type: thrift::protocol::TType) -> usize {
        self.inner.min_serialized_size(field_type)
    }
}

/// Why a connection ended.
#[derive(Debug)]
enum End {
    ClientClosed,
    Idle,
    Shutdown,
    Unsupported(&'static str),
    /// Refused before any call: the metrics reason and what to log.
    Refused(&'static str, String),
    Error(String),
}

/// Serve one connection until it ends. Never panics on client input.
pub(crate) fn run(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    config: &ServerConfig,
    limits: &Limits,
    stop: &AtomicBool,
) {
    let metrics = shared.metrics.clone();
    if let Some(m) = &metrics {
        m.connection_opened();
    }
    let end = serve(stream, peer, shared, config, limits, stop).unwrap_or_else(|e| End::Error(e.to_string()));
    if let Some(m) = &metrics {
        m.connection_closed();
    }
    match end {
        End::ClientClosed | End::Shutdown => tracing::debug!(%peer, reason = ?end, "connection closed"),
        End::Idle => tracing::info!(%peer, "connection closed after idle timeout"),
        End::Unsupported(why) => {
            if let Some(m) = &metrics {
                m.rejected("unsupported_protocol");
            }
            tracing::warn!(%peer, reason = why, "connection refused");
        }
        End::Refused(reason, detail) => {
            if let Some(m) = &metrics {
                m.rejected(reason);
            }
            // Failed logins are an operator's business; a scanner on the TLS port is noise.
            if reason == "auth_failed" {
                tracing::warn!(%peer, reason, detail = %detail, "authentication failed; connection closed");
            } else {
                tracing::debug!(%peer, reason, detail = %detail, "connection refused");
            }
        }
        End::Error(e) => tracing::warn!(%peer, error = %e, "connection closed on a malformed or failed message"),
    }
}

fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    config: &ServerConfig,
    limits: &Limits,
    stop: &AtomicBool,
) -> io::Result<End> {
    stream.set_nodelay(true)?;
    // The TLS handshake and the SASL negotiation must be over within request_timeout.
    let handshake_deadline = Instant::now() + config.request_timeout;
    let (link, mut principal) = match &shared.tls {
        None => (Link::new(Io::Plain(stream)), None),
        Some(tls) => match accept_tls(stream, tls, handshake_deadline)? {
            Ok(accepted) => accepted,
            Err(end) => return Ok(end),
        },
    };
    if shared.auth.mode == AuthMode::Plain {
        let Some(passwords) = &shared.auth.passwords else {
            return Ok(End::Error("[auth] mode is plain but no password source is configured".to_string()));
        };
        let mut timed = Deadlined { link: link.clone(), deadline: handshake_deadline };
        match sasl::negotiate(&mut timed, passwords) {
            Ok(p) => {
                tracing::debug!(%peer, user = %p.name, method = ?p.method, "authenticated");
                principal = Some(p);
            }
            Err(sasl::Failure::NotSasl) => {
                return Ok(End::Refused("auth_required", "the client did not start SASL; [auth] mode is plain".into()))
            }
            Err(sasl::Failure::Refused(why)) => return Ok(End::Refused("auth_failed", why)),
            Err(sasl::Failure::Protocol(why)) => return Ok(End::Refused("sasl_protocol", why)),
            Err(sasl::Failure::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Ok(End::Refused("sasl_protocol", "connection closed during SASL negotiation".into()))
            }
            Err(sasl::Failure::Io(e)) => return Ok(End::Refused("sasl_protocol", format!("SASL negotiation: {e}"))),
        }
    }
    let sasl_on = shared.auth.mode == AuthMode::Plain;
    let write_half = Timed { stream: link.clone(), timeout: config.write_timeout, deadline: None };
    let mut reader = Reader::new(link, config);
    let thrift_config = TConfiguration::builder()
        .max_message_size(Some(config.max_message_size))
        .max_frame_size(Some(config.max_message_size))
        .max_string_size(Some(config.max_message_size))
        .max_container_size(Some(config.max_message_size))
        .build()
        .map_err(|e| io::Error::other(e.to_string()))?;

    // -- DETECT --
    let mut first_byte: Option<Instant> = None;
    let (framing, protocol) = loop {
        if let Some(end) = wait_for_bytes(&mut reader, config, stop)? {
            return Ok(end);
        }
        match detect(reader.buffered()) {
            // After SASL every message is framed.
            Detected::Thrift(Framing::Unframed, _) if sasl_on => {
                return Ok(End::Error("an unframed message after SASL negotiation".to_string()))
            }
            Detected::Thrift(f, p) => break (f, p),
            Detected::Unsupported(why) => return Ok(End::Unsupported(why)),
            Detected::NeedMore => {
                reader.deadline = Some(*first_byte.get_or_insert_with(Instant::now) + config.request_timeout);
                if reader.fill()? == 0 {
                    return Ok(End::ClientClosed);
                }
            }
        }
    };
    tracing::debug!(%peer, ?framing, ?protocol, "connection");
    reader.protocol = protocol;
    let mut writer =
        Writer { stream: io::BufWriter::with_capacity(64 * 1024, write_half), framing, frame: Vec::new(), written: 0 };
    let metrics = shared.metrics.clone();
    let handler = match principal {
        Some(p) => Handler::authenticated(shared, peer, p),
        None => Handler::new(shared, peer),
    };
    let processor = ThriftHiveMetastoreSyncProcessor::new(handler.clone());

    // -- SERVE --
    loop {
        reader.shrink();
        if let Some(end) = wait_for_bytes(&mut reader, config, stop)? {
            return Ok(end);
        }
        // The message has begun: it must arrive whole in time, and decode within its budget.
        reader.deadline = Some(Instant::now() + config.request_timeout);
        writer.stream.get_mut().deadline = None;
        let budget = budget::open(crate::DECODE_ALLOWANCE);
        NUL_SEEN.with(|n| n.set(false));
        let started = Instant::now();
        let written_before = writer.written;
        reader.begin_message(framing)?;
        let expect_len = reader.expect_len.clone();
        let mut method: Option<&'static str> = None;
        let result = {
            let (mut input, mut output): (Box<dyn TInputProtocol + '_>, Box<dyn TOutputProtocol + '_>) = match protocol
            {
                Protocol::Binary => (
                    Box::new(TBinaryInputProtocol::with_config(&mut reader, true, thrift_config.clone())),
                    Box::new(TBinaryOutputProtocol::new(&mut writer, true)),
                ),
                Protocol::Compact => (
                    Box::new(TCompactInputProtocol::with_config(&mut reader, thrift_config.clone())),
                    Box::new(TCompactOutputProtocol::new(&mut writer)),
                ),
            };
            let mut watched = Watched { inner: input.as_mut(), failed: false, read_ahead: None, expect_len };
            let begin = watched.read_message_begin();
            if let (Some(m), Ok(ident)) = (&metrics, &begin) {
                method = Some(m.method(&ident.name));
            }
            let result = match begin {
                Ok(ident) => match streamed(&ident) {
                    Some(method) => listing::read_call(method, &mut watched).and_then(|call| {
                        let slots = (&limits.listings, config.request_timeout);
                        listing::serve(&handler, ident.sequence_number, call, slots, output.as_mut())
                    }),
                    None => {
                        watched.read_ahead = Some(ident);
                        processor.process(&mut watched, output.as_mut())
                    }
                },
                Err(e) => Err(e),
            };
            match result {
                Ok(()) if watched.failed || budget.exceeded() => {
                    Err(thrift::Error::Protocol(thrift::ProtocolError::new(
                        thrift::ProtocolErrorKind::InvalidData,
                        "malformed message (answered with an exception)",
                    )))
                }
                other => other,
            }
        };
        drop(budget);
        if let (Some(m), Some(method)) = (&metrics, method) {
            let framed = if framing == Framing::Framed { 4 } else { 0 };
            m.call(method, started.elapsed(), (reader.consumed + framed) as u64, writer.written - written_before);
        }
        match result {
            Ok(()) => reader.end_message()?,
            Err(thrift::Error::Transport(e)) if e.kind == thrift::TransportErrorKind::EndOfFile => {
                return Ok(End::Error("connection closed in the middle of a message".to_string()));
            }
            Err(e) => return Ok(End::Error(e.to_string())),
        }
        if stop.load(Ordering::Relaxed) {
            return Ok(End::Shutdown);
        }
    }
}

/// The TLS handshake, within `deadline`: the TLS stream and, when client certificates are
/// required, the principal named by the certificate's subject CN. A client that does not start
/// with a TLS handshake record (a plain Thrift client) is refused without a word.
fn accept_tls(
    stream: TcpStream,
    tls: &tls::Reloader,
    deadline: Instant,
) -> io::Result<Result<(Link, Option<Principal>), End>> {
    let left = |what: &str| {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(End::Refused("tls_handshake", format!("{what} not finished within request_timeout")))
        } else {
            Ok(left)
        }
    };
    let mut first = [0u8; 1];
    loop {
        let wait = match left("TLS handshake") {
            Ok(w) => w,
            Err(end) => return Ok(Err(end)),
        };
        stream.set_read_timeout(Some(wait))?;
        match stream.peek(&mut first) {
            Ok(0) => return Ok(Err(End::ClientClosed)),
            Ok(_) => break,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe) => {
                return Ok(Err(End::ClientClosed))
            }
            Err(e) => return Err(e),
        }
    }
    if first[0] != 0x16 {
        let what = match detect(&first) {
            Detected::Unsupported(why) => why,
            Detected::Thrift(..) | Detected::NeedMore => "a plain Thrift client",
        };
        return Ok(Err(End::Refused("not_tls", format!("no TLS handshake on the TLS port ({what})"))));
    }
    let mut conn = rustls::ServerConnection::new(tls.current()).map_err(io::Error::other)?;
    let mut sock = stream;
    while conn.is_handshaking() {
        let wait = match left("TLS handshake") {
            Ok(w) => w,
            Err(end) => return Ok(Err(end)),
        };
        sock.set_read_timeout(Some(wait))?;
        sock.set_write_timeout(Some(wait))?;
        if let Err(e) = conn.complete_io(&mut sock) {
            return Ok(Err(End::Refused("tls_handshake", format!("TLS handshake failed: {e}"))));
        }
    }
    let principal = if tls.requires_client_cert() {
        let cn = conn.peer_certificates().and_then(|c| c.first()).and_then(|c| tls::subject_cn(c));
        let Some(name) = cn else {
            return Ok(Err(End::Refused("tls_client_cert", "client certificate without a subject CN".into())));
        };
        Some(Principal { name, groups: Vec::new(), method: AuthMethod::TlsClientCert })
    } else {
        None
    };
    Ok(Ok((Link::new(Io::Tls(Box::new(rustls::StreamOwned::new(conn, sock)))), principal)))
}

/// What [`process_message`] made of one whole request.
pub(crate) struct Processed {
    /// The reply (empty when the request could not be read far enough to answer).
    pub(crate) reply: Vec<u8>,
    /// The method name of the message header, if it was read.
    pub(crate) method: Option<String>,
    /// The request was malformed or over its decode budget (the reply, if any, is an exception).
    pub(crate) malformed: bool,
}

/// Process one whole binary-protocol request already in memory (a Thrift-over-HTTP body) with
/// `handler`, under the same decode budget and NUL check as a socket's messages. Strings and
/// containers cannot declare more than the body holds. Call it off the runtime (the handler
/// blocks on it).
pub(crate) fn process_message(handler: &Handler, body: &[u8], config: &ServerConfig) -> Processed {
    let limit = body.len().max(1);
    let thrift_config = TConfiguration::builder()
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit))
        .max_string_size(Some(limit))
        .max_container_size(Some(limit))
        .build();
    let Ok(thrift_config) = thrift_config else {
        return Processed { reply: Vec::new(), method: None, malformed: true };
    };
    let budget = budget::open(crate::DECODE_ALLOWANCE);
    budget::credit(body.len().saturating_mul(config.decode_bytes_per_byte));
    NUL_SEEN.with(|n| n.set(false));
    let mut reply = Vec::new();
    let mut reader = body;
    let mut input = TBinaryInputProtocol::with_config(&mut reader, true, thrift_config);
    let mut output = TBinaryOutputProtocol::new(&mut reply, true);
    let mut watched =
        Watched { inner: &mut input, failed: false, read_ahead: None, expect_len: Rc::new(Cell::new(false)) };
    let begin = watched.read_message_begin();
    let method = begin.as_ref().ok().map(|ident| ident.name.clone());
    let result = match begin {
        Ok(ident) => {
            watched.read_ahead = Some(ident);
            let processor = ThriftHiveMetastoreSyncProcessor::new(handler.clone());
            processor.process(&mut watched, &mut output)
        }
        Err(e) => Err(e),
    };
    let malformed = result.is_err() || watched.failed || budget.exceeded();
    drop(budget);
    Processed { reply, method, malformed }
}

/// The method a call's header names, if [`listing`] streams it (else the generated processor
/// serves the call).
fn streamed(ident: &thrift::protocol::TMessageIdentifier) -> Option<Method> {
    if ident.message_type != TMessageType::Call {
        return None;
    }
    Method::from_name(&ident.name).filter(|m| listing::is_streamed(*m))
}

/// Wait until a byte of the next message is buffered. Returns why the connection should end
/// instead, if it should (client gone, idle too long, server stopping).
fn wait_for_bytes(reader: &mut Reader, config: &ServerConfig, stop: &AtomicBool) -> io::Result<Option<End>> {
    let idle_since = Instant::now();
    reader.deadline = None;
    reader.stream.set_read_timeout(Some(POLL))?;
    while reader.buffered().is_empty() {
        if stop.load(Ordering::Relaxed) {
            return Ok(Some(End::Shutdown));
        }
        if idle_since.elapsed() >= config.idle_timeout {
            return Ok(Some(End::Idle));
        }
        match reader.fill() {
            Ok(0) => return Ok(Some(End::ClientClosed)),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) => {}
            // (UnexpectedEof: a TLS client that left without close_notify.)
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe | io::ErrorKind::UnexpectedEof
                ) =>
            {
                return Ok(Some(End::ClientClosed));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_transports_and_protocols() {
        assert_eq!(detect(&[0x80, 0x01]), Detected::Thrift(Framing::Unframed, Protocol::Binary));
        assert_eq!(detect(&[0x82, 0x21]), Detected::Thrift(Framing::Unframed, Protocol::Compact));
        assert_eq!(detect(&[0, 0, 0, 9, 0x80]), Detected::Thrift(Framing::Framed, Protocol::Binary));
        assert_eq!(detect(&[0, 0, 0, 9, 0x82]), Detected::Thrift(Framing::Framed, Protocol::Compact));
        assert_eq!(detect(&[0, 0, 0]), Detected::NeedMore);
        assert!(matches!(detect(&[0x16, 3, 1]), Detected::Unsupported(_)));
        assert!(matches!(detect(&[0x01, 0, 0, 0, 6]), Detected::Unsupported(_)));
        assert!(matches!(detect(b"GET /"), Detected::Unsupported(_)));
    }
}
