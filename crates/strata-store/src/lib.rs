//! Strata's persistence layer. All SQL of the project lives in this crate.
//!
//! # Layout
//! - [`api`]: the [`Store`] trait, one transaction per method.
//! - [`browse`]: health, pool status and the paged reads of the admin listener's history UI.
//! - [`postgres`]: the PostgreSQL implementation (production).
//! - [`sqlite`]: the SQLite implementation (embedded default).
//! - [`conformance`]: the suite both implementations must pass.
//! - [`functions`], [`stats`], [`events`]: functions, column statistics and the notification log
//!   (supertraits of [`Store`]); [`conformance_extra`]: their conformance cases.
//! - `partitions` (private): typed key values, write batches and the filter pushdown both
//!   stores share.
//! - `canonical` (private): the data migration that rewrites stored locations to their
//!   canonical form (schema version 11).
//! - `common` (private): row structs, JSON encodings and constraint-to-error mapping both share.
//!
//! Migrations live at the workspace root in `migrations/postgres` and `migrations/sqlite`.

pub mod api;
pub mod browse;
mod canonical;
mod common;
pub mod conformance;
pub mod conformance_extra;
pub mod events;
pub mod functions;
pub mod moves;
mod partitions;
pub mod postgres;
pub mod sqlite;
pub mod stats;
pub mod tags;

use std::sync::Arc;

pub use api::{AlterTableOptions, LockFilter, LockOutcome, PartitionPages, PartitionQuery, Placement, Store};
use strata_core::{CatalogError, Result};

/// Open the store a URL names (`postgres://…`/`postgresql://…` or `sqlite://…`), without
/// migrating. For SQLite the file and its directory are created when missing.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(url).await?))
    } else {
        Err(CatalogError::Meta(format!("unsupported database URL '{url}': use postgres://… or sqlite://…")))
    }
}
