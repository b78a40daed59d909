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
        assert_eq!(applied, 11);
        let version: String = sqlx::query_scalar("SELECT value FROM strata_meta WHERE key = 'schema_version'")
            .fetch_one(pool.pool())
            .await
            .unwrap();
        assert_eq!(version, "11");
        pool.close().await;
    }))
    .await;
    database.drop_database().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Migration 0009 moves the history written under the one-row-per-entry layout into
/// `history_changes`: every entry keeps its id and columns (NULLs and odd characters included),
/// the `location_history` view and the store read them as before, the location lookup finds
/// them, new entries get higher ids, and nothing can rewrite them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_survives_the_move_to_changes() {
    use strata_core::model::HistoryEntry;
    use strata_store::{conformance::ConformanceHooks, moves::MoveStore};

    let Some(database) = TempDatabase::create().await else {
        return;
    };
    let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(async {
        let all: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");
        let before_changes = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(all.migrations.iter().take(8).cloned().collect()),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        let pool = PgStore::connect(&database.url).await.unwrap();
        before_changes.run(pool.pool()).await.unwrap();
        // Two requests interleaved by id, a table-level row, NULLs, and a tab in a location.
        // (operation, request, partition, values, previous, new, actor, at)
        type OldRow<'a> =
            (&'a str, &'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<&'a str>, &'a str, i64);
        let rows: [OldRow<'_>; 4] = [
            ("add", "r1", Some("ds=a"), Some(r#"["a"]"#), None, Some("file:///w/t/ds=a/b1"), "ana", 10),
            ("drop_table", "r2", None, None, Some("file:///w/t"), Some("file:///w/.retained/t"), "bob", 11),
            ("add", "r1", Some("ds=b"), Some(r#"["b"]"#), None, Some("file:///w/t/ds=b/b\t1/"), "ana", 10),
            (
                "alter",
                "r3",
                Some("ds=a"),
                Some(r#"["a"]"#),
                Some("file:///w/t/ds=a/b1"),
                Some("file:///w/t/ds=a/b2"),
                "ana",
                12,
            ),
        ];
        for (op, request, part, values, previous, new, actor, at) in rows {
            sqlx::query(
                "INSERT INTO location_history (operation, db_name, table_name, partition_name, partition_values, \
                 batch_id, previous_location, new_location, actor, client_addr, request_id, at_millis) \
                 VALUES ($1, 'db', 't', $2, $3, NULL, $4, $5, $6, '10.0.0.1:5', $7, $8)",
            )
            .bind(op)
            .bind(part)
            .bind(values)
            .bind(previous)
            .bind(new)
            .bind(actor)
            .bind(request)
            .bind(at)
            .execute(pool.pool())
            .await
            .unwrap();
        }
        let old: Vec<(i64, String, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT id, operation, partition_name, new_location FROM location_history ORDER BY id")
                .fetch_all(pool.pool())
                .await
                .unwrap();
        assert_eq!(old.len(), 4);

        let store = PgStore::connect(&database.url).await.unwrap();
        store.migrate().await.unwrap();
        let history = store.history("db", "t", None).await.unwrap();
        let read: Vec<_> = history
            .iter()
            .map(|h| (h.id, h.operation.as_str().to_string(), h.partition_name.clone(), h.new_location.clone()))
            .collect();
        // Migration 0011 stores every location in its canonical form (no trailing `/`).
        let old: Vec<_> = old
            .into_iter()
            .map(|(id, op, part, loc)| (id, op, part, loc.map(|l| strata_core::location::canonical_or_raw(&l))))
            .collect();
        assert_eq!(read, old, "same ids, same order, same columns");
        assert_eq!(store.history_all().await.unwrap(), history);
        assert_eq!(history[1].previous_location.as_deref(), Some("file:///w/t"));
        assert_eq!(history[1].partition_values, None);
        assert_eq!(history[2].partition_values, Some(vec!["b".to_string()]));
        assert_eq!((history[0].actor.as_str(), history[0].client_addr.as_str()), ("ana", "10.0.0.1:5"));
        // Each moved row is a change of its own.
        let changes: i64 =
            sqlx::query_scalar("SELECT count(*) FROM history_changes").fetch_one(store.pool()).await.unwrap();
        assert_eq!(changes, 4);
        assert_eq!(store.history("db", "t", Some(11)).await.unwrap().len(), 2, "since a time");

        // The location lookup reads the moved entries, with and without their odd characters.
        assert!(store.history_records_move("file:///w/t", "file:///w/.retained/t").await.unwrap());
        assert!(store.history_records_move("file:///w/t/ds=a/b1", "file:///w/t/ds=a/b2").await.unwrap());
        assert!(!store.history_records_move("file:///w/t/ds=a/b2", "file:///w/t/ds=a/b1").await.unwrap());

        // New entries come after every moved one, in their own order.
        let entry = |part: &str| HistoryEntry {
            operation: strata_core::model::HistoryOp::AlterPartition,
            db_name: "db".into(),
            table_name: "t".into(),
            partition_name: Some(part.into()),
            new_location: Some(format!("file:///w/t/{part}/b3")),
            request_id: "r4".into(),
            at_millis: 13,
            ..HistoryEntry::default()
        };
        store.append_history(&[entry("ds=a"), entry("ds=b")]).await.unwrap();
        let after = store.history("db", "t", None).await.unwrap();
        assert_eq!(after.len(), 6);
        assert!(after[4].id > old[3].0 && after[5].id > after[4].id);
        assert_eq!(after[5].partition_name.as_deref(), Some("ds=b"));
        let changes: i64 =
            sqlx::query_scalar("SELECT count(*) FROM history_changes").fetch_one(store.pool()).await.unwrap();
        assert_eq!(changes, 5, "one request's entries are one change");

        // Append-only, through the view and underneath it.
        assert_eq!(store.try_rewrite_history().await, (true, true));
        assert_eq!(store.history("db", "t", None).await.unwrap(), after);
        pool.close().await;
        store.close().await;
    }))
    .await;
    database.drop_database().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// The SQL function that keys locations in the history (migration 0009) agrees with the store's
/// own (both are checked against the same table of locations).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_location_keys_agree() {
    let Some(fixture) = fresh().await else {
        return;
    };
    let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(async {
        for (location, key) in strata_store::conformance::LOCATION_KEYS {
            let keys: Vec<String> = sqlx::query_scalar("SELECT history_location_keys(ARRAY[$1::text, NULL])")
                .bind(location)
                .fetch_one(fixture.store.pool())
                .await
                .unwrap();
            assert_eq!(keys, [*key], "{location}");
        }
        let keys: Vec<String> = sqlx::query_scalar("SELECT history_location_keys(ARRAY['a/2/', 'b/2', 'b/1'])")
            .fetch_one(fixture.store.pool())
            .await
            .unwrap();
        assert_eq!(keys, ["1", "2"], "distinct and sorted");
    }))
    .await;
    fixture.teardown().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
