//! Catalog behaviour over a real SQLite store and the local file system: HMS semantics that
//! clients rely on, and "never delete".

use std::{path::PathBuf, time::Duration};

use strata_catalog::tables::AlterOptions;
use strata_core::{
    error::msg,
    lock::{LockLevel, LockState, LockTarget, LockType},
    model::{Actor, Database, FieldSchema, HistoryOp, LockRequest, Table},
    CatalogError,
};

mod common;

use common::Fixture;

impl Fixture {
    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

fn actor() -> Actor {
    Actor { user: "alice".into(), client_addr: "127.0.0.1:1".into(), request_id: "r1".into() }
}

fn table(db: &str, name: &str) -> Table {
    let mut t = Table { db_name: db.into(), name: name.into(), table_type: "MANAGED_TABLE".into(), ..Table::default() };
    t.sd.cols = vec![FieldSchema { name: "ID".into(), type_name: "int".into(), comment: None }];
    t
}

async fn with_db(f: &Fixture, name: &str) {
    f.catalog.create_database(Database { name: name.into(), ..Database::default() }).await.unwrap();
}

#[tokio::test]
async fn defaults_follow_hms() {
    let f = Fixture::new().await;
    let default = f.catalog.get_database("default").await.unwrap();
    assert_eq!(default.location, format!("file://{}/wh", f.root.display()));
    with_db(&f, "Sales").await;
    let db = f.catalog.get_database("SALES").await.unwrap();
    assert_eq!(db.location, format!("file://{}/wh/sales.db", f.root.display()));
    assert!(f.path("wh/sales.db").is_dir(), "database directory created");
    let t = f.catalog.create_table(&actor(), table("sales", "Items")).await.unwrap();
    assert_eq!(t.name, "items");
    assert_eq!(t.sd.cols[0].name, "id", "column names are lower-cased");
    assert_eq!(t.location(), Some(format!("file://{}/wh/sales.db/items", f.root.display()).as_str()));
    assert!(t.parameters.contains_key("transient_lastDdlTime"));
    assert!(t.create_time.0 > 0);
    assert!(f.path("wh/sales.db/items").is_dir(), "table directory created");
    assert_eq!(
        f.catalog.create_table(&actor(), table("sales", "ITEMS")).await.unwrap_err(),
        CatalogError::AlreadyExists(msg::table_exists("ITEMS"))
    );
    assert_eq!(
        f.catalog.create_table(&actor(), table("nodb", "t")).await.unwrap_err(),
        CatalogError::InvalidObject("nodb".into())
    );
    assert_eq!(
        f.catalog.create_table(&actor(), table("sales", "bad-name")).await.unwrap_err(),
        CatalogError::InvalidObject("bad-name is not a valid object name".into())
    );
}

#[tokio::test]
async fn dropped_table_data_is_retained_and_recreate_starts_empty() {
    let f = Fixture::new().await;
    with_db(&f, "db").await;
    f.catalog.create_table(&actor(), table("db", "t")).await.unwrap();
    std::fs::write(f.path("wh/db.db/t/part-0.parquet"), b"old rows").unwrap();
    f.catalog.drop_table(&actor(), "db", "t", true).await.unwrap();
    assert!(!f.path("wh/db.db/t").exists(), "table directory moved away");
    let history = f.catalog.store().history("db", "t", None).await.unwrap();
    let drop = history.iter().find(|h| h.operation == HistoryOp::DropTable).expect("drop recorded");
    assert_eq!(drop.actor, "alice");
    let retained = drop.new_location.clone().expect("retained location recorded");
    assert!(retained.contains("/.strata-retained/db.db/t/"), "{retained}");
    let retained_path = PathBuf::from(retained.strip_prefix("file://").unwrap());
    assert_eq!(std::fs::read(retained_path.join("part-0.parquet")).unwrap(), b"old rows");
    // Re-create at the default location: empty, as with Apache HMS.
    f.catalog.create_table(&actor(), table("db", "t")).await.unwrap();
    assert_eq!(std::fs::read_dir(f.path("wh/db.db/t")).unwrap().count(), 0);
}

#[tokio::test]
async fn external_tables_and_metadata_only_drops_keep_data_in_place() {
    let f = Fixture::new().await;
    with_db(&f, "db").await;
    let mut ext = table("db", "ext");
    ext.parameters.insert("EXTERNAL".into(), "TRUE".into());
    ext.sd.location = Some(format!("file://{}/outside/ext", f.root.display()));
    let ext = f.catalog.create_table(&actor(), ext).await.unwrap();
    assert_eq!(ext.table_type, "EXTERNAL_TABLE");
    std::fs::write(f.path("outside/ext/a"), b"x").unwrap();
    f.catalog.drop_table(&actor(), "db", "ext", true).await.unwrap();
    assert!(f.path("outside/ext/a").exists());
    f.catalog.create_table(&actor(), table("db", "m")).await.unwrap();
    std::fs::write(f.path("wh/db.db/m/a"), b"x").unwrap();
    f.catalog.drop_table(&actor(), "db", "m", false).await.unwrap();
    assert!(f.path("wh/db.db/m/a").exists(), "deleteData=false leaves data alone");
}

#[tokio::test]
async fn rename_moves_a_managed_table_and_its_data() {
    let f = Fixture::new().await;
    with_db(&f, "db").await;
    let t = f.catalog.create_table(&actor(), table("db", "old")).await.unwrap();
    std::fs::write(f.path("wh/db.db/old/a"), b"x").unwrap();
    let mut renamed = t.clone();
    renamed.name = "New".into();
    f.catalog.alter_table(&actor(), "db", "old", renamed, AlterOptions::default()).await.unwrap();
    let n = f.catalog.get_table("db", "new").await.unwrap();
    assert_eq!(n.location(), Some(format!("file://{}/wh/db.db/new", f.root.display()).as_str()));
    assert!(f.path("wh/db.db/new/a").exists() && !f.path("wh/db.db/old").exists());
    assert_eq!(
        f.catalog.get_table("db", "old").await.unwrap_err(),
        CatalogError::NoSuchObject(msg::table_not_found("db", "old"))
    );
    assert_eq!(n.create_time, t.create_time);
    // Rename onto an existing table.
    f.catalog.create_table(&actor(), table("db", "other")).await.unwrap();
    let mut clash = n.clone();
    clash.name = "other".into();
    assert_eq!(
        f.catalog.alter_table(&actor(), "db", "new", clash, AlterOptions::default()).await.unwrap_err(),
        CatalogError::InvalidOperation(msg::rename_target_exists("db", "other"))
    );
    // Altering a missing table.
    assert_eq!(
        f.catalog.alter_table(&actor(), "db", "ghost", n, AlterOptions::default()).await.unwrap_err(),
        CatalogError::InvalidOperation(msg::table_not_found("db", "ghost"))
    );
}

#[tokio::test]
async fn compare_and_swap_follows_iceberg_contract() {
    let f = Fixture::new().await;
    with_db(&f, "db").await;
    let mut t = table("db", "ice");
    t.parameters.insert("metadata_location".into(), "m1".into());
    let t = f.catalog.create_table(&actor(), t).await.unwrap();
    let cas = |expected: &str| AlterOptions {
        expected_param: Some(("metadata_location".into(), expected.into())),
        ..AlterOptions::default()
    };
    let mut next = t.clone();
    next.parameters.insert("metadata_location".into(), "m2".into());
    f.catalog.alter_table(&actor(), "db", "ice", next.clone(), cas("m1")).await.unwrap();
    // A second writer still expecting m1 loses.
    let err = f.catalog.alter_table(&actor(), "db", "ice", next.clone(), cas("m1")).await.unwrap_err();
    assert_eq!(err, CatalogError::Meta(msg::cas_mismatch("metadata_location", Some("m2"), "m1")));
    assert!(err
        .message()
        .starts_with("The table has been modified. The parameter value for key 'metadata_location' is"));
    let mut without = next;
    without.parameters.remove("metadata_location");
    assert_eq!(
        f.catalog.alter_table(&actor(), "db", "ice", without, cas("m2")).await.unwrap_err(),
        CatalogError::Meta(msg::cas_new_value_missing("metadata_location"))
    );
}

#[tokio::test]
async fn drop_database_rules_and_retention() {
    let f = Fixture::new().await;
    with_db(&f, "db").await;
    f.catalog.create_table(&actor(), table("db", "t")).await.unwrap();
    std::fs::write(f.path("wh/db.db/t/a"), b"x").unwrap();
    assert_eq!(
        f.catalog.drop_database(&actor(), "db", true, false).await.unwrap_err(),
        CatalogError::InvalidOperation(msg::database_not_empty_tables("db"))
    );
    assert_eq!(
        f.catalog.drop_database(&actor(), "default", true, true).await.unwrap_err(),
        CatalogError::Meta(msg::CANNOT_DROP_DEFAULT.into())
    );
    f.catalog.drop_database(&actor(), "db", true, true).await.unwrap();
    assert!(!f.path("wh/db.db").exists());
    assert_eq!(f.catalog.get_database("db").await.unwrap_err(), CatalogError::NoSuchObject("db".into()));
    // The data is under the retained area.
    let retained: Vec<_> = std::fs::read_dir(f.path("wh/.strata-retained/db.db")).unwrap().collect();
    assert_eq!(retained.len(), 1);
    let dir = retained[0].as_ref().unwrap().path();
    assert_eq!(std::fs::read(dir.join("t/a")).unwrap(), b"x");
}

#[tokio::test]
async fn truncate_moves_data_away_and_keeps_the_table() {
    let f = Fixture::new().await;
    with_db(&f, "db").await;
    f.catalog.create_table(&actor(), table("db", "t")).await.unwrap();
    std::fs::write(f.path("wh/db.db/t/a"), b"x").unwrap();
    f.catalog.truncate_table(&actor(), "db", "t", None).await.unwrap();
    assert!(f.path("wh/db.db/t").is_dir());
    assert_eq!(std::fs::read_dir(f.path("wh/db.db/t")).unwrap().count(), 0);
    let history = f.catalog.store().history("db", "t", None).await.unwrap();
    assert!(history.iter().any(|h| h.operation == HistoryOp::TruncateTable && h.new_location.is_some()));
}

#[tokio::test]
async fn listings_patterns_and_filters() {
    let f = Fixture::new().await;
    with_db(&f, "db").await;
    for name in ["b_t", "a_t", "c_view"] {
        let mut t = table("db", name);
        if name == "c_view" {
            t.table_type = "VIRTUAL_VIEW".into();
            t.view_original_text = Some("select 1".into());
            t.parameters.insert("presto_view".into(), "true".into());
        } else {
            t.parameters.insert("table_type".into(), if name == "a_t" { "ICEBERG" } else { "HIVE" }.into());
        }
        f.catalog.create_table(&actor(), t).await.unwrap();
    }
    assert_eq!(f.catalog.list_table_names("db", None, None).await.unwrap(), vec!["a_t", "b_t", "c_view"]);
    assert_eq!(f.catalog.list_table_names("db", Some("*_t"), None).await.unwrap(), vec!["a_t", "b_t"]);
    assert_eq!(f.catalog.list_table_names("db", Some("*"), Some("VIRTUAL_VIEW")).await.unwrap(), vec!["c_view"]);
    assert_eq!(
        f.catalog
            .table_names_by_filter("db", r#"hive_filter_field_params__table_type like "ICEBERG""#, -1)
            .await
            .unwrap(),
        vec!["a_t"]
    );
    assert_eq!(
        f.catalog.table_names_by_filter("db", r#"hive_filter_field_params__presto_view = "true""#, -1).await.unwrap(),
        vec!["c_view"]
    );
    assert!(matches!(
        f.catalog.table_names_by_filter("db", r#"name = "x""#, -1).await.unwrap_err(),
        CatalogError::Meta(m) if m.starts_with("Invalid key name in filter")
    ));
    let meta = f.catalog.table_meta(Some("d*"), Some("*"), &["MANAGED_TABLE".into()]).await.unwrap();
    assert_eq!(meta.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), vec!["a_t", "b_t"]);
    assert_eq!(f.catalog.get_schema("db", "a_t").await.unwrap().len(), 1);
    assert!(matches!(f.catalog.get_fields("db", "zz").await.unwrap_err(), CatalogError::UnknownTable(_)));
}

#[tokio::test]
async fn locks_conflict_release_and_expire() {
    let f = Fixture::with_lock_timeout(Duration::from_millis(300)).await;
    let req = || LockRequest {
        components: vec![LockTarget {
            lock_type: LockType::Exclusive,
            level: LockLevel::Table,
            db: "DB".into(),
            table: Some("T".into()),
            partition: None,
        }],
        txn_id: 0,
        user: "u".into(),
        hostname: "h".into(),
        agent_info: None,
    };
    let a = f.catalog.lock(req()).await.unwrap();
    assert_eq!(a.state, LockState::Acquired);
    let b = f.catalog.lock(req()).await.unwrap();
    assert_eq!(b.state, LockState::Waiting);
    f.catalog.unlock(a.lock_id).await.unwrap();
    assert_eq!(f.catalog.check_lock(b.lock_id).await.unwrap().state, LockState::Acquired);
    // Unlocking twice is not an error (HMS 2.3).
    f.catalog.unlock(a.lock_id).await.unwrap();
    // A holder that stops heartbeating loses the lock.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let c = f.catalog.lock(req()).await.unwrap();
    assert_eq!(c.state, LockState::Acquired, "the expired lock no longer blocks");
    assert!(matches!(f.catalog.check_lock(b.lock_id).await.unwrap_err(), CatalogError::NoSuchLock(_)));
    let shown = f.catalog.show_locks(strata_store::LockFilter::default()).await.unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].target.table.as_deref(), Some("t"));
}

#[tokio::test]
async fn partition_keys_cannot_change_and_owner_type_defaults_to_user() {
    let f = Fixture::new().await;
    with_db(&f, "db").await;
    assert_eq!(f.catalog.get_database("db").await.unwrap().owner_type, Some(strata_core::model::PrincipalType::User));
    let key = |n: &str, ty: &str| FieldSchema { name: n.into(), type_name: ty.into(), comment: None };
    let mut t = table("db", "p");
    t.partition_keys = vec![key("ds", "string"), key("hr", "int"), key("m", "string")];
    let t = f.catalog.create_table(&actor(), t).await.unwrap();
    let refused = CatalogError::InvalidOperation(msg::PARTITION_KEYS_CHANGED.to_string());
    let changes: [fn(&mut Vec<FieldSchema>); 4] =
        [|k| k.truncate(1), |k| k.clear(), |k| k.reverse(), |k| k[2].name = "n".into()];
    for change in changes {
        let mut new = t.clone();
        change(&mut new.partition_keys);
        assert_eq!(
            f.catalog.alter_table(&actor(), "db", "p", new, AlterOptions::default()).await.unwrap_err(),
            refused
        );
    }
    // As HMS 2.3: the names decide (case-insensitively, as stored); types and comments may change.
    let mut new = t.clone();
    new.partition_keys[0].name = "DS".into();
    new.partition_keys[0].comment = Some("the day".into());
    new.partition_keys[1].type_name = "bigint".into();
    f.catalog.alter_table(&actor(), "db", "p", new, AlterOptions::default()).await.unwrap();
    let keys = f.catalog.get_table("db", "p").await.unwrap().partition_keys;
    assert_eq!((keys[0].comment.as_deref(), keys[1].type_name.as_str()), (Some("the day"), "bigint"));
}
