//! Rolling a partition or a whole table back, to a batch or to a time, over a real SQLite store
//! and the local file system on a manual clock: the locations afterwards, the history rows, and
//! the data on disk.

use std::time::Duration;
use strata_core::model::HistoryOp;

use strata_catalog::versions::{Change, Target};
use strata_core::{location::canonical_or_raw as canonical, CatalogError};

mod common;

use common::{actor, Fixture, START};

const MINUTE: Duration = Duration::from_secs(60);

fn batch(id: &str) -> Target {
    Target::Batch(id.parse().unwrap())
}

/// Operation, partition, previous and new location (canonical) of the last `n` history rows.
async fn last_rows(f: &Fixture, n: usize) -> Vec<(HistoryOp, Option<String>, Option<String>, Option<String>)> {
    let rows = f.catalog.table_history("db", "events", None, None).await.unwrap();
    rows[rows.len() - n..]
        .iter()
        .map(|h| {
            (
                h.operation,
                h.partition_name.clone(),
                h.previous_location.as_deref().map(canonical),
                h.new_location.as_deref().map(canonical),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_partition_rolls_back_to_a_batch_or_a_time() {
    let f = Fixture::on_clock().await;
    let t = f.partitioned_table("db", "events").await;
    let base = format!("{}/ds=a", t.location().unwrap());
    // 00:00 the first batch (its id is the clock's second), 00:01 and 00:02 two more.
    let a = f.add(&t, "a").await;
    let l1 = a.sd.location.clone().unwrap();
    assert_eq!(canonical(&l1), canonical(&format!("{base}/20240101000000")), "the batch id is the clock's");
    let (l2, l3) = (format!("{base}/20240101000100"), format!("{base}/20240101000200"));
    f.advance(MINUTE);
    f.swap(&t, "a", &l2).await;
    f.advance(MINUTE);
    f.swap(&t, "a", &l3).await;
    f.advance(MINUTE);

    // To a batch: the first one.
    let change =
        f.catalog.rollback_partition(&actor(), "db", "events", "ds=a", &batch("20240101000000")).await.unwrap();
    assert_eq!(
        (
            change.action,
            change.partition.as_str(),
            change.from.as_deref().map(canonical),
            change.to.as_deref().map(canonical)
        ),
        ("swap", "ds=a", Some(canonical(&l3)), Some(canonical(&l1)))
    );
    assert_eq!(f.partitions("db", "events").await, vec![(vec!["a".to_string()], canonical(&l1))]);
    assert_eq!(
        last_rows(&f, 1).await,
        vec![(HistoryOp::Rollback, Some("ds=a".into()), Some(canonical(&l3)), Some(canonical(&l1)))]
    );
    let row = f.catalog.table_history("db", "events", Some("ds=a"), None).await.unwrap().pop().unwrap();
    assert_eq!((row.at_millis, row.actor.as_str()), (f.now(), "alice"));
    for l in [&l1, &l2, &l3] {
        assert!(Fixture::read_data(l).is_some(), "a rollback moves no data: {l}");
    }

    // To a time: half a minute after the second batch went in.
    f.advance(MINUTE);
    let at = START.0 + 90_000;
    let change = f.catalog.rollback_partition(&actor(), "db", "events", "ds=a", &Target::Time(at)).await.unwrap();
    assert_eq!((change.action, change.to.as_deref().map(canonical)), ("swap", Some(canonical(&l2))));
    assert_eq!(f.partitions("db", "events").await, vec![(vec!["a".to_string()], canonical(&l2))]);
    // Already there: nothing to do, nothing recorded.
    let rows_before = f.catalog.table_history("db", "events", None, None).await.unwrap().len();
    let same = f.catalog.rollback_partition(&actor(), "db", "events", "ds=a", &Target::Time(at)).await.unwrap();
    assert_eq!(same.action, "none");
    assert_eq!(f.catalog.table_history("db", "events", None, None).await.unwrap().len(), rows_before);
    // A rollback can itself be rolled back: the batch the first one went back to.
    let again = f.catalog.rollback_partition(&actor(), "db", "events", "ds=a", &batch("20240101000200")).await.unwrap();
    assert_eq!(again.to.as_deref().map(canonical), Some(canonical(&l3)));
}

#[tokio::test]
async fn a_partition_rollback_refuses_what_it_cannot_do() {
    let f = Fixture::on_clock().await;
    let t = f.partitioned_table("db", "events").await;
    let a = f.add(&t, "a").await;
    let l1 = a.sd.location.clone().unwrap();
    f.advance(MINUTE);
    let l2 = format!("{}/ds=a/20240101000100", t.location().unwrap());
    f.swap(&t, "a", &l2).await;

    let err =
        f.catalog.rollback_partition(&actor(), "db", "events", "ds=a", &batch("20230101000000")).await.unwrap_err();
    assert!(matches!(&err, CatalogError::NoSuchObject(m) if m.contains("never had batch 20230101000000")), "{err:?}");
    let err =
        f.catalog.rollback_partition(&actor(), "db", "events", "ds=a", &Target::Time(START.0 - 1)).await.unwrap_err();
    assert!(matches!(&err, CatalogError::NoSuchObject(m) if m.contains("did not exist at")), "{err:?}");
    let err =
        f.catalog.rollback_partition(&actor(), "db", "events", "nope=1", &Target::Time(START.0)).await.unwrap_err();
    assert!(matches!(&err, CatalogError::Meta(m) if m.contains("must give exactly the keys")), "{err:?}");
    // The first batch's data is gone (deleted by hand): no swap to an empty place.
    std::fs::remove_dir_all(Fixture::local(&l1)).unwrap();
    let err = f.catalog.rollback_partition(&actor(), "db", "events", "ds=a", &Target::Time(START.0)).await.unwrap_err();
    assert!(matches!(&err, CatalogError::InvalidOperation(m) if m.contains("is gone")), "{err:?}");
    assert_eq!(f.partitions("db", "events").await, vec![(vec!["a".to_string()], canonical(&l2))]);
    // A dropped partition is undropped, not rolled back.
    f.catalog.drop_partition(&actor(), "db", "events", &["a".to_string()], true).await.unwrap();
    let err =
        f.catalog.rollback_partition(&actor(), "db", "events", "ds=a", &batch("20240101000100")).await.unwrap_err();
    assert!(matches!(&err, CatalogError::NoSuchObject(m) if m.contains("strata undrop")), "{err:?}");
}

#[tokio::test]
async fn a_table_rolls_back_to_a_time_swapping_dropping_and_restoring() {
    let f = Fixture::on_clock().await;
    let t = f.partitioned_table("db", "events").await;
    // 00:00 a and b; 00:01 a's second batch; 00:02 b dropped, c added.
    let a1 = f.add(&t, "a").await.sd.location.unwrap();
    let b1 = f.add(&t, "b").await.sd.location.unwrap();
    let b_data = Fixture::read_data(&b1).unwrap();
    f.advance(MINUTE);
    let a2 = format!("{}/ds=a/20240101000100", t.location().unwrap());
    f.swap(&t, "a", &a2).await;
    f.advance(MINUTE);
    f.catalog.drop_partition(&actor(), "db", "events", &["b".to_string()], true).await.unwrap();
    assert!(!Fixture::local(&b1).exists(), "dropped data moved to the retained area");
    let c1 = f.add(&t, "c").await.sd.location.unwrap();
    f.advance(MINUTE);

    let moment = START.0 + 30_000;
    let mut plan = f.catalog.plan_table_rollback("db", "events", moment).await.unwrap();
    plan.sort_by(|x, y| x.partition.cmp(&y.partition));
    let shape = |c: &Change| (c.action, c.partition.clone(), c.to.as_deref().map(canonical));
    assert_eq!(
        plan.iter().map(shape).collect::<Vec<_>>(),
        vec![
            ("swap", "ds=a".to_string(), Some(canonical(&a1))),
            ("restore", "ds=b".to_string(), Some(canonical(&b1))),
            ("drop", "ds=c".to_string(), None),
        ]
    );
    assert!(plan[1].from.as_deref().is_some_and(|r| r.contains(".strata-retained")), "{plan:?}");

    let steps = std::sync::atomic::AtomicU64::new(0);
    let done = f
        .catalog
        .rollback_table(&actor(), "db", "events", moment, &|n| {
            steps.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
        })
        .await
        .unwrap();
    assert_eq!(done.len(), 3);
    assert_eq!(steps.load(std::sync::atomic::Ordering::SeqCst), 3 + 3, "a check per change, then three steps");
    assert_eq!(
        f.partitions("db", "events").await,
        vec![(vec!["a".to_string()], canonical(&a1)), (vec!["b".to_string()], canonical(&b1))]
    );
    assert_eq!(Fixture::read_data(&b1), Some(b_data), "b's data is back where it was");
    assert!(Fixture::read_data(&a2).is_some(), "a's later batch is kept");
    assert!(!Fixture::local(&c1).exists(), "c's data went to the retained area, not away");
    let retained_c = f.catalog.table_history("db", "events", Some("ds=c"), None).await.unwrap().pop().unwrap();
    assert_eq!(retained_c.operation, HistoryOp::RollbackDrop);
    assert!(Fixture::read_data(retained_c.new_location.as_deref().unwrap()).is_some());
    let mut ops: Vec<(HistoryOp, Option<String>)> =
        last_rows(&f, 3).await.into_iter().map(|(op, part, _, _)| (op, part)).collect();
    ops.sort();
    assert_eq!(
        ops,
        vec![
            (HistoryOp::Rollback, Some("ds=a".into())),
            (HistoryOp::Rollback, Some("ds=b".into())),
            (HistoryOp::RollbackDrop, Some("ds=c".into())),
        ]
    );
    // Rolled back to where it is: nothing to change.
    assert_eq!(f.catalog.plan_table_rollback("db", "events", moment).await.unwrap(), vec![]);
}

#[tokio::test]
async fn a_table_rollback_stops_at_its_creation_and_needs_partitions() {
    let f = Fixture::on_clock().await;
    f.advance(MINUTE);
    f.partitioned_table("db", "events").await;
    let err = f.catalog.plan_table_rollback("db", "events", START.0).await.unwrap_err();
    assert!(
        matches!(&err, CatalogError::InvalidOperation(m) if m.contains("was created at 20240101000100")),
        "{err:?}"
    );
    let mut u = strata_core::model::Table {
        db_name: "db".into(),
        name: "u".into(),
        table_type: "MANAGED_TABLE".into(),
        ..Default::default()
    };
    u.sd.cols = vec![strata_core::model::FieldSchema { name: "id".into(), type_name: "int".into(), comment: None }];
    f.catalog.create_table(&actor(), u).await.unwrap();
    let err = f.catalog.plan_table_rollback("db", "u", f.now()).await.unwrap_err();
    assert!(matches!(&err, CatalogError::InvalidOperation(m) if m.contains("not partitioned")), "{err:?}");
}
