//! Undrop of partitions and tables from the retained area, over a real SQLite store and the
//! local file system on a manual clock: definitions, locations and data come back, whatever
//! took their place is retained in turn, and every step is in the history.

use std::time::Duration;

use strata_core::{
    location::canonical_or_raw as canonical,
    model::{HistoryOp, Partition, StorageDescriptor, Table},
    time::EpochSeconds,
    CatalogError,
};

mod common;

use common::{actor, Fixture, START};

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_partition_comes_back_with_its_data_and_the_new_one_is_retained() {
    let f = Fixture::on_clock().await;
    let t = f.partitioned_table("db", "events").await;
    let a1 = f.add(&t, "a").await.sd.location.unwrap();
    let first = Fixture::read_data(&a1).unwrap();
    f.advance(MINUTE);
    f.catalog.drop_partition(&actor(), "db", "events", &["a".to_string()], true).await.unwrap();
    assert!(!Fixture::local(&a1).exists());
    f.advance(MINUTE);
    let a2 = f.add(&t, "a").await.sd.location.unwrap();
    assert_eq!(canonical(&a2), canonical(&format!("{}/ds=a/20240101000200", t.location().unwrap())));
    f.advance(MINUTE);

    let change = f.catalog.undrop_partition(&actor(), "db", "events", "ds=a").await.unwrap();
    assert_eq!((change.action, change.to.as_deref().map(canonical)), ("restore", Some(canonical(&a1))));
    assert!(change.from.as_deref().is_some_and(|r| r.contains(".strata-retained")), "{change:?}");
    assert_eq!(f.partitions("db", "events").await, vec![(vec!["a".to_string()], canonical(&a1))]);
    assert_eq!(Fixture::read_data(&a1), Some(first), "the first incarnation's data is back");
    assert!(!Fixture::local(change.from.as_deref().unwrap()).exists(), "moved out of the retained area");
    let rows = f.catalog.table_history("db", "events", Some("ds=a"), None).await.unwrap();
    let tail: Vec<_> = rows[rows.len() - 2..]
        .iter()
        .map(|h| (h.operation, h.previous_location.as_deref().map(canonical), h.at_millis))
        .collect();
    assert_eq!(
        tail,
        vec![(HistoryOp::DropPartition, Some(canonical(&a2)), f.now()), (HistoryOp::Undrop, None, f.now())]
    );
    let second_retained = rows[rows.len() - 2].new_location.clone().unwrap();
    assert!(Fixture::read_data(&second_retained).is_some(), "the re-created partition's data is retained");
    assert!(!Fixture::local(&a2).exists());
}

#[tokio::test]
async fn a_partition_whose_place_is_taken_comes_back_in_a_fresh_batch() {
    let f = Fixture::on_clock().await;
    let t = f.partitioned_table("db", "events").await;
    let b1 = f.add(&t, "b").await.sd.location.unwrap();
    let data = Fixture::read_data(&b1).unwrap();
    f.catalog.drop_partition(&actor(), "db", "events", &["b".to_string()], true).await.unwrap();
    Fixture::write_data(&b1, "someone else's");
    f.set(Duration::from_secs(5 * 60 + 7));
    let change = f.catalog.undrop_partition(&actor(), "db", "events", "ds=b").await.unwrap();
    let fresh = canonical(&format!("{}/ds=b/20240101000507", t.location().unwrap()));
    assert_eq!(change.to.as_deref().map(canonical), Some(fresh.clone()), "a batch id of the clock's second");
    assert_eq!(f.partitions("db", "events").await, vec![(vec!["b".to_string()], fresh.clone())]);
    assert_eq!(Fixture::read_data(&fresh), Some(data));
    assert_eq!(Fixture::read_data(&b1).as_deref(), Some("someone else's"), "what took the place is left alone");

    let err = f.catalog.undrop_partition(&actor(), "db", "events", "ds=zzz").await.unwrap_err();
    assert!(matches!(&err, CatalogError::NoSuchObject(m) if m.contains("was never dropped")), "{err:?}");
}

#[tokio::test]
async fn a_table_comes_back_with_its_definition_partitions_and_data() {
    let f = Fixture::on_clock().await;
    let t = f.partitioned_table("db", "events").await;
    let a1 = f.add(&t, "a").await.sd.location.unwrap();
    // A partition outside the table's directory (still inside the warehouse).
    let outside = format!("file://{}/wh/elsewhere/c", f.root.display());
    Fixture::write_data(&outside, "c");
    let c = Partition {
        values: vec!["c".into()],
        sd: StorageDescriptor { location: Some(outside.clone()), ..t.sd.shape() },
        ..Partition::default()
    };
    f.catalog.add_partition(&actor(), "db", "events", c).await.unwrap();
    f.advance(MINUTE);
    f.catalog.drop_table(&actor(), "db", "events", true).await.unwrap();
    assert!(!Fixture::local(&a1).exists() && !Fixture::local(&outside).exists(), "moved to the retained area");
    // The name is taken again.
    f.advance(MINUTE);
    let mut again = Table {
        db_name: "db".into(),
        name: "events".into(),
        table_type: "MANAGED_TABLE".into(),
        partition_keys: t.partition_keys.clone(),
        ..Table::default()
    };
    again.sd.cols.clone_from(&t.sd.cols);
    again.parameters.insert("fresh".into(), "yes".into());
    f.catalog.create_table(&actor(), again).await.unwrap();
    let z = f.add(&f.catalog.get_table("db", "events").await.unwrap(), "z").await.sd.location.unwrap();
    f.advance(MINUTE);

    let changes = f.catalog.undrop_table(&actor(), "DB", "Events").await.unwrap();
    assert!(!changes.is_empty() && changes.iter().all(|c| c.action == "restore"), "{changes:?}");
    let restored = f.catalog.get_table("db", "events").await.unwrap();
    assert!(!restored.parameters.contains_key("fresh"));
    assert_eq!(restored.create_time, EpochSeconds(i32::try_from(START.0 / 1000).unwrap()), "the first creation");
    assert_eq!(
        f.partitions("db", "events").await,
        vec![(vec!["a".to_string()], canonical(&a1)), (vec!["c".to_string()], canonical(&outside))]
    );
    assert!(Fixture::read_data(&a1).is_some() && Fixture::read_data(&outside).as_deref() == Some("c"));
    assert!(!Fixture::local(&z).exists(), "the table that took the name is dropped, its data retained");
    let rows = f.catalog.table_history("db", "events", None, None).await.unwrap();
    let tail: Vec<_> =
        rows[rows.len() - 3..].iter().map(|h| (h.operation, h.partition_name.as_deref(), h.at_millis)).collect();
    assert_eq!(
        tail,
        vec![
            (HistoryOp::Undrop, None, f.now()),
            (HistoryOp::Undrop, Some("ds=a"), f.now()),
            (HistoryOp::Undrop, Some("ds=c"), f.now())
        ]
    );
    assert_eq!(rows.iter().filter(|h| h.operation == HistoryOp::DropTable).count(), 2, "two drops recorded");

    let err = f.catalog.undrop_table(&actor(), "db", "never").await.unwrap_err();
    assert!(matches!(&err, CatalogError::NoSuchObject(m) if m.contains("was never dropped")), "{err:?}");
}
