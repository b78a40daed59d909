//! Strata's persistence layer. All SQL of the project lives in this crate.
//!
//! # Layout (dependencies point down this list, never up)
//! - [`api`]: the [`Store`] trait and its supertraits ([`functions`], [`stats`], [`events`],
//!   [`tags`], [`moves`], [`browse`]), one transaction per method, and the values they exchange.
//!   It imports no implementation.
//! - `rows` (private): row structs, column lists, JSON encodings and enum codes; `errors`
//!   (private): named constraints and the mapping of database errors.
//! - `partitions` (private): typed key values, write batches and the filter pushdown.
//! - `dialect` (private): the `Dialect` trait, what the backends do differently, by name.
//! - `sql` (private): each aggregate's SQL, written once as a macro over a `Dialect` and
//!   stamped per backend, with the `Store` impl.
//! - [`postgres`] (production) and [`sqlite`] (embedded default): connection, migrations and
//!   their `Dialect`. Nothing but [`open`] (and tests) names a backend.
//! - `canonical` (private): the data migration that rewrites stored locations to their
//!   canonical form (schema version 11).
//! - [`conformance`] (feature `testkit`): the suite both implementations must pass, and the
//!   test hooks it needs beyond the trait.
//!
//! Migrations live at the workspace root in `migrations/postgres` and `migrations/sqlite`.

pub mod api;
mod canonical;
#[cfg(feature = "testkit")]
pub mod conformance;
mod dialect;
mod errors;
mod partitions;
pub mod postgres;
mod rows;
mod sql;
pub mod sqlite;

use std::sync::Arc;

pub use api::{
    browse, events, functions, moves, stats, tags, AlterTableOptions, LockFilter, LockOutcome, PartitionPages,
    PartitionQuery, Placement, Store,
};
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
