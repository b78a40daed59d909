//! The notification log through the catalog (events follow DDL), over a real SQLite store and
//! the local file system.

use strata_catalog::{events::InsertEvent, tables::AlterOptions};
use strata_core::{
    model::{event_type, Function},
    model::{Actor, Database, Partition},
};

mod common;

use common::{table, with_db, with_partitioned_table, Fixture};

fn actor() -> Actor {
    Actor { user: "alice".into(), client_addr: "127.0.0.1:1".into(), request_id: "r1".into() }
}

fn function(db: &str, name: &str) -> Function {
    Function { db_name: db.into(), name: name.into(), class_name: "com.example.Upper".into(), ..Function::default() }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

#[tokio::test]
async fn events_follow_ddl_with_contiguous_ids() {
    let f = Fixture::new().await;
    assert_eq!(f.catalog.current_event_id().await.unwrap(), 0, "bootstrap records no event");
    with_db(&f, "db").await;
    f.catalog.alter_database("db", Database { name: "db".into(), ..Database::default() }).await.unwrap();
    f.catalog.create_table(&actor(), table("db", "t")).await.unwrap();
    let mut changed = table("db", "t2");
    changed.parameters.insert("k".into(), "v".into());
    f.catalog.alter_table(&actor(), "db", "t", changed, AlterOptions::default()).await.unwrap();
    f.catalog.create_function(function("db", "fn1")).await.unwrap();
    f.catalog.drop_function("db", "fn1").await.unwrap();
    f.catalog.drop_table(&actor(), "db", "t2", false).await.unwrap();
    // Failed DDL records nothing.
    assert!(f.catalog.drop_table(&actor(), "db", "t2", false).await.is_err());
    f.catalog.create_table(&actor(), table("db", "t3")).await.unwrap();
    f.catalog.drop_database(&actor(), "db", false, true).await.unwrap();

    let events = f.catalog.next_events(0, -1, &[]).await.unwrap();
    let ids: Vec<i64> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids, (1..=10).collect::<Vec<_>>());
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        vec![
            event_type::CREATE_DATABASE,
            event_type::ALTER_DATABASE,
            event_type::CREATE_TABLE,
            event_type::ALTER_TABLE,
            event_type::CREATE_FUNCTION,
            event_type::DROP_FUNCTION,
            event_type::DROP_TABLE,
            event_type::CREATE_TABLE,
            event_type::DROP_TABLE,
            event_type::DROP_DATABASE,
        ]
    );
    assert_eq!(f.catalog.current_event_id().await.unwrap(), 10);
    let alter = &events[3];
    assert_eq!((alter.db_name.as_deref(), alter.table_name.as_deref()), (Some("db"), Some("t")));
    assert_eq!(alter.message_format.as_deref(), Some("json-0.2"));
    assert_eq!(alter.catalog_name.as_deref(), Some("hive"));
    for key in ["\"server\":\"\"", "\"servicePrincipal\":\"\"", "\"db\":\"db\"", "\"table\":\"t\"", "\"timestamp\":"] {
        assert!(alter.message.contains(key), "{key} in {}", alter.message);
    }
    assert!(alter.message.contains("\"tableObj\":{") && alter.message.contains("\"name\":\"t2\""), "{}", alter.message);

    let page = f.catalog.next_events(2, 3, &[]).await.unwrap();
    assert_eq!(page.iter().map(|e| e.event_id).collect::<Vec<_>>(), vec![3, 4, 5]);
    let skip = strings(&[event_type::CREATE_FUNCTION, event_type::DROP_FUNCTION]);
    assert_eq!(f.catalog.next_events(0, 0, &skip).await.unwrap().len(), 8);
    assert_eq!(f.catalog.count_events("DB", 0, None).await.unwrap(), 10);
    assert_eq!(f.catalog.count_events("db", 5, Some(7)).await.unwrap(), 2);

    let insert = InsertEvent { files: strings(&["s3://b/f1"]), replace: Some(false), partition_vals: None };
    let ids = f.catalog.fire_insert_events("@hive#db", "t", None, vec![insert.clone(), insert]).await.unwrap();
    assert_eq!(ids, vec![11, 12]);
    let last = f.catalog.next_events(10, 10, &[]).await.unwrap();
    assert_eq!(last[0].event_type, event_type::INSERT);
    assert!(last[0].message.contains("s3://b/f1"));
}

#[tokio::test]
async fn a_large_partition_change_is_written_down_as_several_events_in_order() {
    use strata_catalog::events::MAX_PARTITIONS_PER_EVENT;
    let f = Fixture::new().await;
    with_partitioned_table(&f).await;
    let n = 2 * MAX_PARTITIONS_PER_EVENT + 7;
    let parts: Vec<Partition> =
        (0..n).map(|i| Partition { values: vec![format!("v{i:05}")], ..Partition::default() }).collect();
    let before = f.catalog.current_event_id().await.unwrap();
    f.catalog.add_partitions(&actor(), "db", "p", parts, false).await.unwrap();

    let events = f.catalog.next_events(before, -1, &[]).await.unwrap();
    assert!(events.iter().all(|e| e.event_type == event_type::ADD_PARTITION));
    let values: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let message: serde_json::Value = serde_json::from_str(&e.message).unwrap();
            message["partitionObjs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["values"][0].as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    assert_eq!(
        values.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![MAX_PARTITIONS_PER_EVENT, MAX_PARTITIONS_PER_EVENT, 7],
        "three events: two full, one with the rest"
    );
    let all: Vec<String> = values.concat();
    assert_eq!(all, (0..n).map(|i| format!("v{i:05}")).collect::<Vec<_>>(), "every partition once, in order");
}
