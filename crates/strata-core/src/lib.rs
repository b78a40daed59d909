//! Strata's core: what a Hive metastore *is*, with no I/O.
//!
//! # Layout
//! - [`model`]: databases, tables, partitions, storage descriptors, history, locks, functions,
//!   column statistics and notification events (our own types, not Thrift's), a file each.
//! - [`names`]: identifier normalisation, validation, `@cat#db` parsing, HMS name patterns.
//! - [`location`]: default locations, path joining, the retained area.
//! - [`partname`]: partition names `k1=v1/k2=v2` with HMS escaping.
//! - [`filter`]: the HMS partition/table filter language: parser, type rules, evaluator.
//! - [`error`]: [`CatalogError`], one variant per HMS exception kind.
//! - [`time`]: epoch-second timestamps as HMS stores them.
//! - [`lock`]: pure lock-compatibility rules.

pub mod batch;
pub mod error;
pub mod filter;
pub mod location;
pub mod lock;
pub mod model;
pub mod names;
pub mod partname;
pub mod time;

pub use error::{CatalogError, Result};
