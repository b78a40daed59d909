//! The catalog: every metastore operation with Apache HMS's semantics, on top of a [`Store`]
//! (metadata) and [`Storages`] (data directories). The Thrift layer converts and calls in here;
//! nothing in this crate knows about Thrift or SQL.
//!
//! # Layout
//! - [`databases`]: create/get/list/alter/drop databases.
//! - [`tables`]: create/get/list/alter/rename/drop/truncate tables.
//! - [`partitions`]: add/get/list/filter/alter/rename/drop partitions.
//! - [`functions`], [`stats`], [`events`]: functions, column statistics, the notification log.
//! - [`locks`]: table and partition locks with heartbeat expiry.
//! - [`retain`]: where data goes instead of being deleted.

pub mod databases;
pub mod events;
pub mod functions;
pub mod gc;
pub mod import;
pub mod locks;
pub mod partitions;
pub mod retain;
pub mod stats;
pub mod tables;
pub mod timetravel;
pub mod versions;

use std::{sync::Arc, time::Duration};

use strata_core::{
    batch, location,
    model::{Actor, Database, HistoryEntry, PrincipalType},
    names, time, Result,
};
use strata_storage::Storages;
use strata_store::Store;

/// Settings of the catalog.
#[derive(Debug, Clone)]
pub struct CatalogConfig {
    /// Warehouse root, e.g. `file:///var/lib/strata/warehouse` or `s3://bucket/warehouse`.
    pub warehouse: String,
    /// A lock whose holder has not heartbeaten for this long is released.
    pub lock_timeout: Duration,
    /// At most this many partition objects in one reply (Apache HMS's
    /// `hive.metastore.limit.partition.request`); `None` = no limit. A larger request fails
    /// with a `MetaException` instead of exhausting memory.
    pub max_partitions_per_request: Option<usize>,
    /// The batch-ID policy.
    pub batch: BatchPolicy,
}

/// The server-wide side of the batch-ID policy ([`strata_core::batch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchPolicy {
    /// The mode of tables without a `strata.batch.mode` parameter.
    pub default_mode: batch::Mode,
    /// Under `enforce`, refuse a location swap to a directory that holds no data.
    pub require_data: bool,
}

impl Default for BatchPolicy {
    fn default() -> Self {
        Self { default_mode: batch::Mode::Enforce, require_data: true }
    }
}

impl BatchPolicy {
    /// Record everything, refuse nothing: Apache HMS's behaviour plus the history.
    #[must_use]
    pub fn track() -> Self {
        Self { default_mode: batch::Mode::Track, require_data: false }
    }
}

/// The catalog. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Catalog {
    store: Arc<dyn Store>,
    storage: Storages,
    config: Arc<CatalogConfig>,
}

impl Catalog {
    /// A catalog over a store and storage.
    #[must_use]
    pub fn new(store: Arc<dyn Store>, storage: Storages, mut config: CatalogConfig) -> Self {
        config.warehouse = location::trim_trailing_slash(&config.warehouse).to_string();
        Self { store, storage, config: Arc::new(config) }
    }

    /// The store behind the catalog.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The warehouse root.
    #[must_use]
    pub fn warehouse(&self) -> &str {
        &self.config.warehouse
    }

    /// The batch-ID mode of a table.
    #[must_use]
    pub fn batch_mode(&self, table: &strata_core::model::Table) -> batch::Mode {
        batch::Mode::of_table(&table.parameters, self.config.batch.default_mode)
    }

    /// Make sure the `default` database exists (at the warehouse root, as in HMS).
    pub async fn bootstrap(&self) -> Result<()> {
        if self.store.get_database(names::DEFAULT_DATABASE).await?.is_some() {
            return Ok(());
        }
        let db = Database {
            name: names::DEFAULT_DATABASE.to_string(),
            description: Some("Default Hive database".to_string()),
            location: self.config.warehouse.clone(),
            owner_name: Some("public".to_string()),
            owner_type: Some(PrincipalType::Role),
            create_time: time::EpochSeconds::now(),
            ..Database::default()
        };
        match self.store.create_database(&db).await {
            Ok(()) | Err(strata_core::CatalogError::AlreadyExists(_)) => {}
            Err(e) => return Err(e),
        }
        if let Err(e) = self.storage.mkdirs(&db.location).await {
            tracing::warn!(error = %e, location = %db.location, "could not create the warehouse root");
        }
        Ok(())
    }

    /// A history row for a table-level change, stamped now.
    fn history(actor: &Actor, operation: &str, db: &str, table: &str) -> HistoryEntry {
        HistoryEntry {
            operation: operation.to_string(),
            db_name: db.to_string(),
            table_name: table.to_string(),
            actor: actor.user.clone(),
            client_addr: actor.client_addr.clone(),
            request_id: actor.request_id.clone(),
            at_millis: time::now_millis(),
            ..HistoryEntry::default()
        }
    }
}
