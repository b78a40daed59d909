//! The conformance suite against SQLite: a fresh database file per test.

use std::{path::PathBuf, sync::Arc};

use strata_store::{conformance::TestStore, sqlite::SqliteStore, Store};

struct Fixture {
    store: Arc<SqliteStore>,
    dir: PathBuf,
}

impl Fixture {
    fn store(&self) -> TestStore {
        self.store.clone()
    }

    async fn teardown(self) {
        self.store.close().await;
        let _ = tokio::fs::remove_dir_all(&self.dir).await;
    }
}

fn temp_dir() -> PathBuf {
    std::env::temp_dir().join(format!("strata-store-test-{}", uuid::Uuid::new_v4()))
}

/// A migrated store in a file whose directory does not exist yet (connect creates it).
async fn fresh() -> Option<Fixture> {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.join("nested").join("catalog.db").display());
    let store = SqliteStore::connect(&url).await.expect("open sqlite");
    store.migrate().await.expect("migrate sqlite");
    Some(Fixture { store: Arc::new(store), dir })
}

strata_store::conformance_tests!(fresh);

/// Timings of bulk partition writes and listings on SQLite (no assertions on time):
/// `cargo test -p strata-store --release --test sqlite -- --ignored --nocapture partition_timings`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "timing run, not a test"]
async fn partition_timings() {
    let Some(fixture) = fresh().await else {
        return;
    };
    let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
        strata_store::conformance::partition_timings(fixture.store()),
    ))
    .await;
    fixture.teardown().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[tokio::test]
async fn open_dispatches_on_the_url_and_data_persists() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.join("a/b/strata.db").display());
    let store = strata_store::open(&url).await.unwrap();
    assert_eq!(store.backend(), "sqlite");
    store.migrate().await.unwrap();
    let db =
        strata_core::model::Database { name: "kept".into(), location: "file:///kept".into(), ..Default::default() };
    store.create_database(&db).await.unwrap();
    drop(store);

    let again = strata_store::open(&url).await.unwrap();
    again.migrate().await.unwrap();
    assert_eq!(again.get_database("kept").await.unwrap(), Some(db));
    drop(again);
    let _ = tokio::fs::remove_dir_all(&dir).await;

    assert!(matches!(strata_store::open("mysql://x").await, Err(strata_core::CatalogError::Meta(_))));
}

#[tokio::test]
async fn in_memory_database_works() {
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    let db = strata_core::model::Database { name: "m".into(), location: "file:///m".into(), ..Default::default() };
    store.create_database(&db).await.unwrap();
    assert_eq!(store.list_databases().await.unwrap(), vec!["m".to_string()]);
    // Its one connection is never held between the pages of a listing: listings come whole.
    let t = strata_core::model::Table { db_name: "m".into(), name: "t".into(), ..Default::default() };
    store.create_table(&t, &[]).await.unwrap();
    let keys = [];
    let query = strata_store::PartitionQuery { keys: &keys, filter: None, values: None, max: None };
    assert!(store.page_partitions("m", "t", &query, 10).await.unwrap().is_none());
}
