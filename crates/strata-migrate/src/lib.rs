//! Moving between metastores over Thrift: `strata import` (copy an HMS into Strata, and with
//! `--watch` keep following it), `strata verify` (compare the two) and `strata export` (copy
//! Strata back out into any HMS).
//!
//! # Layout
//! - [`endpoint`]: the two kinds of metastore behind one trait: an HMS over Thrift, Strata's
//!   catalog (written through `strata_catalog::import`).
//! - [`copy`]: the one engine: per database, function, table, partition page (names from
//!   `get_partition_names`, objects by `get_partitions_by_names` in pages) and column
//!   statistics, compare source and target and write what differs, or only report it.
//! - [`normal`]: what two metastores legitimately differ on, normalised away before comparing.
//! - [`transport`]: the stream under a Thrift connection: TCP, TLS (rustls), SASL PLAIN.
//! - [`watch`]: following a source: its notification log when it has one, else re-diffing.

pub mod copy;
pub mod endpoint;
pub mod normal;
pub mod transport;
pub mod watch;

pub use copy::{run, Difference, Mode, Options, Report, Scope};
pub use endpoint::{CatalogEndpoint, Endpoint, ThriftAddress, ThriftEndpoint};

/// What can go wrong talking to either side.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Thrift call failed (transport, protocol, or an exception the server sent).
    #[error("thrift: {0}")]
    Thrift(#[from] thrift::Error),
    /// Strata's catalog refused or failed.
    #[error("{0}")]
    Catalog(#[from] strata_core::CatalogError),
    /// A socket option or other I/O.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Anything else.
    #[error("{0}")]
    Msg(String),
}

impl Error {
    /// An error with a message.
    pub fn msg(m: impl Into<String>) -> Self {
        Self::Msg(m.into())
    }
}

/// Makes a fresh connection to one side (each worker thread has its own).
pub type Connect = dyn Fn() -> Result<Box<dyn Endpoint>, Error> + Send + Sync;
