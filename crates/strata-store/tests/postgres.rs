//! The conformance suite against PostgreSQL: a fresh database `strata_t_<uuid>` per test,
//! created through the admin URL in `STRATA_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and dropped afterwards, even on failure.
//!
//! An unreachable server fails the tests; set `STRATA_TEST_SKIP_PG=1` to skip them instead.

use std::sync::Arc;

use sqlx::{Connection, PgConnection};
use strata_store::{conformance::TestStore, postgres::PgStore, Store};

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn admin_url() -> String {
    std::env::var("STRATA_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_string())
}

fn skipped() -> bool {
    std::env::var("STRATA_TEST_SKIP_PG").is_ok_and(|v| v == "1")
}

/// A fresh, empty database; its URL and name.
struct TempDatabase {
    name: String,
    url: String,
}

impl TempDatabase {
    async fn create() -> Option<Self> {
        if skipped() {
            eprintln!("STRATA_TEST_SKIP_PG=1: skipping a PostgreSQL test");
            return None;
        }
        let admin = admin_url();
        let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is unreachable at {admin} ({e}); start it or set STRATA_TEST_SKIP_PG=1")
        });
        let name = format!("strata_t_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).await.expect("create test database");
        conn.close().await.ok();
        let mut url = url::Url::parse(&admin).expect("admin URL");
        url.set_path(&format!("/{name}"));
        Some(Self { name, url: url.to_string() })
    }

    /// Best effort: a failure here must not hide the test's own outcome.
    async fn drop_database(&self) {
        match PgConnection::connect(&admin_url()).await {
            Ok(mut conn) => {
                let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
                if let Err(e) = sqlx::query(&sql).execute(&mut conn).await {
                    eprintln!("could not drop {}: {e}", self.name);
                }
                conn.close().await.ok();
            }
            Err(e) => eprintln!("could not drop {}: {e}", self.name),
        }
    }
}

struct Fixture {
    store: Arc<PgStore>,
    database: TempDatabase,
}

impl Fixture {
    fn store(&self) -> TestStore {
        self.store.clone()
    }

    async fn teardown(self) {
        self.store.close().await;
        self.database.drop_database().await;
    }
}

async fn fresh() -> Option<Fixture> {
    let database = TempDatabase::create().await?;
    let store = match PgStore::connect(&database.url).await {
        Ok(store) => store,
        Err(e) => {
            database.drop_database().await;
            panic!("connect to {}: {e}", database.name);
        }
    };
    if let Err(e) = store.migrate().await {
        store.close().await;
        database.drop_database().await;
        panic!("migrate {}: {e}", database.name);
    }
    Some(Fixture { store: Arc::new(store), database })
}

strata_store::conformance_tests!(fresh);
strata_store::conformance_extra_tests!(fresh);

/// Timings of bulk partition writes and listings on PostgreSQL (no assertions on time):
/// `cargo test -p strata-store --release --test postgres -- --ignored --nocapture partition_timings`.
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

/// Servers starting together on an empty database apply the migrations once (sqlx's migrator
/// holds an advisory lock), and all of them succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_migrations() {
    let Some(database) = TempDatabase::create().await else {
        return;
    };
    let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(async {
        let mut stores = Vec::new();
        for _ in 0..4 {
            stores.push(strata_store::open(&database.url).await.unwrap());
        }
        assert_eq!(stores[0].backend(), "postgres");
        let results = futures::future::join_all(stores.iter().map(|s| s.migrate())).await;
        for result in results {
            result.unwrap();
        }
        let store = &stores[0];
        assert!(store.list_databases().await.unwrap().is_empty());
        let pool = PgStore::connect(&database.url).await.unwrap();
        let applied: i64 =
            sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations").fetch_one(pool.pool()).await.unwrap();
        assert_eq!(applied, 8);
        let version: String = sqlx::query_scalar("SELECT value FROM strata_meta WHERE key = 'schema_version'")
            .fetch_one(pool.pool())
            .await
            .unwrap();
        assert_eq!(version, "8");
        pool.close().await;
    }))
    .await;
    database.drop_database().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
