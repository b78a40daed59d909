//! The wire-test fixture shared by the integration tests: a real server on port 0 over a
//! SQLite store in a temp dir, and clients of the generated Thrift code.

#![allow(dead_code)] // Each test binary uses its own part of the fixture.

use std::{
    net::{SocketAddr, TcpStream},
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use strata_catalog::{Catalog, CatalogConfig};
use strata_server::{ServerConfig, Shared};
use strata_thrift::ThriftHiveMetastoreSyncClient;
use thrift::{
    protocol::{
        TBinaryInputProtocol, TBinaryOutputProtocol, TCompactInputProtocol, TCompactOutputProtocol, TInputProtocol,
        TOutputProtocol,
    },
    transport::{TBufferedReadTransport, TBufferedWriteTransport, TFramedReadTransport, TFramedWriteTransport},
};

/// A server on `127.0.0.1:0` with its own SQLite store and warehouse, stopped and removed on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub dir: PathBuf,
}

impl TestServer {
    /// A server in a fresh temp dir.
    pub fn start(config: ServerConfig) -> Self {
        let dir = std::env::temp_dir().join(format!("strata-wire-{}", uuid::Uuid::new_v4().simple()));
        Self::start_in(config, &dir)
    }

    /// A server whose store and warehouse (`<dir>/warehouse`) live in `dir` (created).
    pub fn start_in(config: ServerConfig, dir: &Path) -> Self {
        let dir = dir.to_path_buf();
        std::fs::create_dir_all(&dir).unwrap();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let db_url = format!("sqlite://{}/strata.db", dir.display());
        let warehouse = format!("file://{}/warehouse", dir.display());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let store = strata_store::open(&db_url).await.unwrap();
                store.migrate().await.unwrap();
                let catalog = Catalog::new(
                    store,
                    strata_storage::Storages::default(),
                    CatalogConfig {
                        warehouse,
                        lock_timeout: Duration::from_secs(60),
                        max_partitions_per_request: None,
                        batch: strata_catalog::BatchPolicy::track(),
                        data: strata_catalog::DataSafety::default(),
                        stats: strata_catalog::faststats::FastStats::default(),
                    },
                );
                catalog.bootstrap().await.unwrap();
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let shared = Arc::new(Shared::new(catalog, tokio::runtime::Handle::current()));
                strata_server::serve(listener, shared, config, async move {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(20)).expect("server started");
        Self { addr, stop: Some(stop_tx), thread: Some(thread), dir }
    }

    /// A connection with a 10 s read timeout.
    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }

    /// A generated client over a new connection (binary protocol, buffered).
    pub fn client(&self) -> Client {
        client(&self.connect(), false, false)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The generated client over boxed protocols.
pub type Client = ThriftHiveMetastoreSyncClient<Box<dyn TInputProtocol + Send>, Box<dyn TOutputProtocol + Send>>;

/// A generated client on `stream` with the given transport and protocol.
pub fn client(stream: &TcpStream, framed: bool, compact: bool) -> Client {
    let (r, w) = (stream.try_clone().unwrap(), stream.try_clone().unwrap());
    let input: Box<dyn TInputProtocol + Send> = match (framed, compact) {
        (false, false) => Box::new(TBinaryInputProtocol::new(TBufferedReadTransport::new(r), true)),
        (true, false) => Box::new(TBinaryInputProtocol::new(TFramedReadTransport::new(r), true)),
        (false, true) => Box::new(TCompactInputProtocol::new(TBufferedReadTransport::new(r))),
        (true, true) => Box::new(TCompactInputProtocol::new(TFramedReadTransport::new(r))),
    };
    let output: Box<dyn TOutputProtocol + Send> = match (framed, compact) {
        (false, false) => Box::new(TBinaryOutputProtocol::new(TBufferedWriteTransport::new(w), true)),
        (true, false) => Box::new(TBinaryOutputProtocol::new(TFramedWriteTransport::new(w), true)),
        (false, true) => Box::new(TCompactOutputProtocol::new(TBufferedWriteTransport::new(w))),
        (true, true) => Box::new(TCompactOutputProtocol::new(TFramedWriteTransport::new(w))),
    };
    ThriftHiveMetastoreSyncClient::new(input, output)
}

/// The statistics of a `double` column both the stats tests and the golden script send.
pub fn double_obj(col: &str) -> strata_thrift::ColumnStatisticsObj {
    strata_thrift::ColumnStatisticsObj {
        col_name: col.into(),
        col_type: "double".into(),
        stats_data: strata_thrift::ColumnStatisticsData::DoubleStats(strata_thrift::DoubleColumnStatsData {
            low_value: Some(thrift::OrderedFloat(0.5)),
            high_value: Some(thrift::OrderedFloat(99.25)),
            num_nulls: 0,
            num_d_vs: 7,
            bit_vectors: None,
            histogram: None,
        }),
    }
}
