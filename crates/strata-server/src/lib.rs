//! Strata's Thrift front door.
//!
//! # Layout
//! - [`serve`]: the accept loop (tokio), connection limit, graceful shutdown.
//! - [`conn`]: one connection on its own thread: transport/protocol detection, limits, the
//!   call loop.
//! - [`handler`]: the HMS methods: decode, call the catalog, encode.
//! - [`listing`]: `get_partitions` and kin, sent page by page from one snapshot.
//! - [`convert`]: Thrift structs ⇄ core model ([`convert_extra`]: functions, statistics, events).
//! - [`errors`]: catalog errors → HMS exceptions, in one place.
//! - [`metrics`]: call, error and connection counters for `/metrics`; [`audit`]: the JSON-lines
//!   audit log.
//!
//! ```text
//! client ──TCP──▶ serve() ──thread──▶ conn::run ──▶ generated processor ──▶ Handler::handle_x
//!                                                                            │ convert in
//!                                                                            ▼
//!                                               runtime.block_on(Catalog::x) ──▶ Store / Storage
//! ```

pub mod audit;
pub mod conn;
pub mod convert;
pub mod convert_extra;
pub mod errors;
pub mod handler;
pub mod listing;
pub mod metrics;

use std::{
    future::Future,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

pub use handler::{Handler, Shared};
use tokio::{net::TcpListener, sync::Semaphore};

/// Limits of the Thrift server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request accepted, in bytes (frames, strings and whole unframed messages).
    pub max_message_size: usize,
    /// Most connections served at once; further clients wait in the accept backlog.
    pub max_connections: usize,
    /// A connection with no call for this long is closed (also the read/write timeout inside
    /// a message).
    pub idle_timeout: Duration,
    /// On shutdown, how long calls in flight get to finish.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_message_size: 100 * 1024 * 1024,
            max_connections: 1024,
            idle_timeout: Duration::from_secs(600),
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
        let (shared, config, stop) = (shared.clone(), config.clone(), stop.clone());
        let spawned = std::thread::Builder::new().name("hms-conn".to_string()).spawn(move || {
            let _permit = permit;
            conn::run(stream, peer, shared, &config, &stop);
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
