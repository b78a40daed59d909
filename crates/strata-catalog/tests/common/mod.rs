//! The fixture the catalog's integration tests share: a catalog over a real SQLite store and the
//! local file system (track mode), in a temporary directory that is removed on drop.

use std::{path::PathBuf, time::Duration};

use strata_catalog::{Catalog, CatalogConfig};

pub struct Fixture {
    pub catalog: Catalog,
    pub root: PathBuf,
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with_lock_timeout(Duration::from_secs(60)).await
    }

    pub async fn with_lock_timeout(lock_timeout: Duration) -> Self {
        Self::with(lock_timeout, |_| strata_catalog::DataSafety::default()).await
    }

    /// With data-safety settings made from the fixture's root directory.
    pub async fn with(
        lock_timeout: Duration,
        data: impl FnOnce(&std::path::Path) -> strata_catalog::DataSafety,
    ) -> Self {
        let root = std::env::temp_dir().join(format!("strata-catalog-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).unwrap();
        let store = strata_store::open(&format!("sqlite://{}/s.db", root.display())).await.unwrap();
        store.migrate().await.unwrap();
        let catalog = Catalog::new(
            store,
            strata_storage::Storages::default(),
            CatalogConfig {
                warehouse: format!("file://{}/wh", root.display()),
                lock_timeout,
                max_partitions_per_request: None,
                batch: strata_catalog::BatchPolicy::track(),
                data: data(&root),
                stats: strata_catalog::faststats::FastStats::default(),
            },
        );
        catalog.bootstrap().await.unwrap();
        Self { catalog, root }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
