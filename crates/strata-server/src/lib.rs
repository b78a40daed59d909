//! Strata's Thrift front door.
//!
//! # Layout
//! - [`serve`]: the accept loop (tokio), connection limit, graceful shutdown.
//! - [`conn`]: one connection on its own thread: transport/protocol detection, limits, the
//!   call loop.
//! - [`handler`]: one connection's handler: session, and how a call runs (span, access check,
//!   catalog on the runtime, audit, metrics, errors).
//! - `handlers`: the HMS methods by concern (databases, tables, partitions, ...): decode, call the
//!   catalog, encode.
//! - [`listing`]: `get_partitions` and kin, sent page by page from one snapshot.
//! - [`convert`]: Thrift structs ⇄ core model, by concept.
//! - [`errors`]: catalog errors → HMS exceptions, in one place.
//! - [`http`]: Thrift over HTTP (Hive 4's `/metastore` servlet) with JWT or Basic auth.
//! - [`identity`]: the principal a transport authenticated; [`users`]: the users file.
//! - [`access`]: what each method needs (the table the authorization policy is checked with).
//! - [`metrics`]: call, error and connection counters for `/metrics`; [`audit`]: the JSON-lines
//!   audit log.
//! - [`tls`]: TLS on the Thrift port (reloaded when the files change); [`sasl`]: the SASL
//!   negotiation (PLAIN against [`users`] or LDAP); [`identity`]: the principal a transport
//!   established, the actor of the calls on that connection.
//!
//! ```text
//! client ──TCP──▶ serve() ──thread──▶ conn::run ──▶ generated processor ──▶ Handler::handle_x
//!                                                                            │ convert in
//!                                                                            ▼
//!                                               runtime.block_on(Catalog::x) ──▶ Store / Storage
//! ```

pub mod access;
pub mod audit;
pub mod conn;
pub mod convert;
pub mod errors;
pub mod handler;
mod handlers;
pub mod http;
pub mod identity;
pub mod listing;
pub mod metrics;
pub mod sasl;
pub mod tls;
pub mod users;

use std::{
    collections::HashMap,
    future::Future,
    net::IpAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

pub use handler::{Handler, Shared};
use tokio::{net::TcpListener, sync::Semaphore};

/// What any request may decode to, whatever its size, on top of
/// [`ServerConfig::decode_bytes_per_byte`] per byte.
pub const DECODE_ALLOWANCE: usize = 4 * 1024 * 1024;

/// Limits of the Thrift server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request accepted, in bytes (frames, strings and whole unframed messages).
    pub max_message_size: usize,
    /// Most connections served at once; further clients wait in the accept backlog.
    pub max_connections: usize,
    /// A connection with no call for this long is closed.
    pub idle_timeout: Duration,
    /// A request must arrive whole within this time of its first byte (a client trickling
    /// bytes cannot hold a connection).
    pub request_timeout: Duration,
    /// A reply must be written whole within this time of its first byte going out (a client
    /// that does not read cannot hold a connection, nor the database snapshot of a listing).
    pub write_timeout: Duration,
    /// Most connections served at once from one IP address; further ones are closed at once.
    pub max_connections_per_peer: usize,
    /// Most partition listings sent page by page at once (each holds a database connection
    /// while its client reads); further listings wait for one to end, up to `request_timeout`.
    pub max_paged_listings: usize,
    /// Each byte of a request may decode to this many bytes of structs and strings (plus a
    /// fixed allowance of [`DECODE_ALLOWANCE`]); a request over it is refused.
    pub decode_bytes_per_byte: usize,
    /// On shutdown, how long calls in flight get to finish.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_message_size: 100 * 1024 * 1024,
            max_connections: 1024,
            idle_timeout: Duration::from_secs(600),
            request_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(60),
            max_connections_per_peer: 256,
            max_paged_listings: 4,
            decode_bytes_per_byte: 16,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Serve HMS Thrift on `listener` until `shutdown` completes; then stop accepting, let calls in
/// flight finish (up to `shutdown_grace`) and return.
pub async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let config = Arc::new(config);
    let stop = Arc::new(AtomicBool::new(false));
    let max = u32::try_from(config.max_connections.max(1)).unwrap_or(u32::MAX);
    let slots = Arc::new(Semaphore::new(max as usize));
    let peers = Arc::new(Peers::default());
    let limits = Arc::new(conn::Limits::new(&config));
    let metrics = shared.metrics.clone();
    tokio::pin!(shutdown);
    shared.accepting.store(true, Ordering::Relaxed);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let stream = match stream.into_std().and_then(|s| s.set_nonblocking(false).map(|()| s)) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, %peer, "could not set up connection");
                continue;
            }
        };
        let Some(peer_slot) = peers.take(peer.ip(), config.max_connections_per_peer) else {
            if let Some(m) = &metrics {
                m.rejected("per_peer_limit");
            }
            tracing::debug!(%peer, "connection refused: too many connections from this address");
            continue;
        };
        let (shared, config, stop, limits) = (shared.clone(), config.clone(), stop.clone(), limits.clone());
        let spawned = std::thread::Builder::new().name("hms-conn".to_string()).spawn(move || {
            let _permits = (permit, peer_slot);
            // A panic is a bug, but it ends this connection only: its pool connections,
            // snapshot and permits are released as the stack unwinds.
            let run = std::panic::AssertUnwindSafe(|| conn::run(stream, peer, shared, &config, &limits, &stop));
            if std::panic::catch_unwind(run).is_err() {
                tracing::error!(%peer, "connection thread panicked; connection closed");
            }
        });
        if let Err(e) = spawned {
            if let Some(m) = &metrics {
                m.rejected("no_thread");
            }
            tracing::error!(error = %e, %peer, "could not start a connection thread");
        }
    }
    // -- SHUTDOWN --
    shared.accepting.store(false, Ordering::Relaxed);
    drop(listener);
    stop.store(true, Ordering::Relaxed);
    tracing::info!("stopped accepting; waiting for calls in flight");
    match tokio::time::timeout(config.shutdown_grace, slots.acquire_many(max)).await {
        Ok(_) => tracing::info!("all connections closed"),
        Err(_) => tracing::warn!("calls still running after the shutdown grace period; exiting anyway"),
    }
    Ok(())
}

/// Connections open per peer address.
#[derive(Debug, Default)]
struct Peers(Mutex<HashMap<IpAddr, usize>>);

impl Peers {
    /// A slot for one more connection from `ip`, unless it has `max` already.
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<PeerSlot> {
        let mut open = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(ip).or_insert(0);
        if *n >= max.max(1) {
            return None;
        }
        *n += 1;
        Some(PeerSlot { peers: self.clone(), ip })
    }
}

/// One connection's place in [`Peers`], given back on drop.
#[derive(Debug)]
struct PeerSlot {
    peers: Arc<Peers>,
    ip: IpAddr,
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut open = self.peers.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}
