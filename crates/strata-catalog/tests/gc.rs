//! `gc`, the one deleter, over a real SQLite store and the local file system on a manual
//! clock: what the plan lists, what apply deletes and records, and what both must keep (live
//! locations, tags' states, anything inside the retention window, other tables' data).

use std::time::Duration;

use strata_catalog::gc::Candidate;
use strata_core::{
    location::canonical_or_raw as canonical,
    model::{FieldSchema, HistoryOp, Table},
};

mod common;

use common::{actor, Fixture};

const MINUTE: Duration = Duration::from_secs(60);
const HOUR_MS: i64 = 3_600_000;

/// (kind, location) of each candidate, sorted.
fn listed(candidates: &[Candidate]) -> Vec<(&'static str, String)> {
    let mut out: Vec<_> = candidates.iter().map(|c| (c.kind, canonical(&c.location))).collect();
    out.sort();
    out
}

/// The location the drop of partition `ds=value` of `db.events` moved its data to.
async fn retained_partition(f: &Fixture, value: &str) -> String {
    let rows = f.catalog.table_history("db", "events", Some(&format!("ds={value}")), None).await.unwrap();
    let drop = rows.iter().rfind(|h| h.operation == HistoryOp::DropPartition).expect("a drop row");
    drop.new_location.clone().expect("the retained location")
}

#[tokio::test]
async fn gc_deletes_only_what_left_before_the_window_and_nothing_still_needed() {
    let f = Fixture::on_clock().await;
    let t = f.partitioned_table("db", "events").await;
    let base = format!("{}/ds=a", t.location().unwrap());
    // 00:00 partition a in its first batch; 00:01 and 00:02 two more batches swapped in, the
    // middle one tagged; 00:03 partition b added and dropped, c added; an unpartitioned table
    // dropped.
    let a = f.add(&t, "a").await;
    let l1 = a.sd.location.clone().unwrap();
    let (l2, l3) = (format!("{base}/20240101000100"), format!("{base}/20240101000200"));
    f.advance(MINUTE);
    f.swap(&t, "a", &l2).await;
    f.catalog.create_tag(&actor(), "db", "events", "keep_l2", None).await.unwrap();
    f.advance(MINUTE);
    f.swap(&t, "a", &l3).await;
    f.advance(MINUTE);
    let b = f.add(&t, "b").await;
    f.catalog.drop_partition(&actor(), "db", "events", &["b".to_string()], true).await.unwrap();
    let retained_b = retained_partition(&f, "b").await;
    assert!(Fixture::local(&retained_b).is_dir() && !Fixture::local(b.sd.location.as_deref().unwrap()).exists());
    let c = f.add(&t, "c").await;
    let c1 = c.sd.location.clone().unwrap();
    let mut u =
        Table { db_name: "db".into(), name: "u".into(), table_type: "MANAGED_TABLE".into(), ..Table::default() };
    u.sd.cols = vec![FieldSchema { name: "id".into(), type_name: "int".into(), comment: None }];
    let u = f.catalog.create_table(&actor(), u).await.unwrap();
    Fixture::write_data(u.location().unwrap(), "u");
    f.catalog.drop_table(&actor(), "db", "u", true).await.unwrap();
    let retained_u = f
        .catalog
        .table_history("db", "u", None, None)
        .await
        .unwrap()
        .into_iter()
        .rfind(|h| h.operation == HistoryOp::DropTable)
        .and_then(|h| h.new_location)
        .unwrap();
    // 00:13: everything is inside an hour's window.
    f.advance(10 * MINUTE);
    assert_eq!(f.catalog.gc_plan(HOUR_MS, None).await.unwrap(), vec![], "inside the retention window");
    // 02:00 partition c's first batch is replaced.
    f.set(Duration::from_secs(2 * 3600));
    let c2 = format!("{}/ds=c/20240101020000", t.location().unwrap());
    f.swap(&t, "c", &c2).await;

    // 02:30, a window of an hour: what left before 01:30.
    f.set(Duration::from_secs(2 * 3600 + 30 * 60));
    let expected = {
        let mut e = vec![
            ("superseded", canonical(&l1)),
            ("retained", canonical(&retained_b)),
            ("retained", canonical(&retained_u)),
        ];
        e.sort();
        e
    };
    let plan = f.catalog.gc_plan(HOUR_MS, None).await.unwrap();
    assert_eq!(listed(&plan), expected);
    let a_row = plan.iter().find(|c| c.location == canonical(&l1)).unwrap();
    assert_eq!(
        (a_row.db_name.as_str(), a_row.table_name.as_str(), a_row.partition_name.as_deref()),
        ("db", "events", Some("ds=a"))
    );
    assert_eq!(a_row.since_millis, common::START.0 + 60_000, "since the swap that replaced it");
    assert_eq!(f.catalog.gc_plan(3 * HOUR_MS, None).await.unwrap(), vec![], "a wider window keeps it all");
    let events_only: Vec<_> = expected.iter().filter(|(_, l)| *l != canonical(&retained_u)).cloned().collect();
    assert_eq!(listed(&f.catalog.gc_plan(HOUR_MS, Some(("db", "events"))).await.unwrap()), events_only);

    // Apply, scoped to the table: exactly its listed directories go, each recorded.
    let deleted = f.catalog.gc_apply(&actor(), HOUR_MS, Some(("DB", "Events"))).await.unwrap();
    assert_eq!(listed(&deleted), events_only);
    assert!(!Fixture::local(&l1).exists() && !Fixture::local(&retained_b).exists());
    assert!(Fixture::read_data(&l2).is_some(), "a tag's state is kept");
    assert!(Fixture::read_data(&l3).is_some(), "the live location is kept");
    assert!(Fixture::read_data(&c1).is_some(), "replaced inside the window: kept");
    assert!(Fixture::read_data(&c2).is_some());
    assert!(Fixture::local(&retained_u).is_dir(), "another table's data is out of scope");
    let gc_rows: Vec<_> = f
        .catalog
        .table_history("db", "events", None, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|h| h.operation == HistoryOp::Gc)
        .collect();
    let mut recorded: Vec<String> =
        gc_rows.iter().map(|h| canonical(h.previous_location.as_deref().unwrap())).collect();
    recorded.sort();
    let mut want: Vec<String> = events_only.iter().map(|(_, l)| l.clone()).collect();
    want.sort();
    assert_eq!(recorded, want);
    assert!(gc_rows.iter().all(|h| h.actor == "alice" && h.at_millis == f.now()));

    // What is deleted is not listed again; c's first batch leaves the window an hour later.
    assert_eq!(listed(&f.catalog.gc_plan(HOUR_MS, Some(("db", "events"))).await.unwrap()), vec![]);
    f.advance(Duration::from_secs(3600));
    assert_eq!(
        listed(&f.catalog.gc_plan(HOUR_MS, Some(("db", "events"))).await.unwrap()),
        vec![("superseded", canonical(&c1))]
    );
}

#[tokio::test]
async fn gc_keeps_what_a_live_object_uses_again_and_what_is_outside_the_warehouse() {
    let f = Fixture::on_clock().await;
    let t = f.partitioned_table("db", "events").await;
    // a: first batch replaced, then swapped back to (a rollback by hand): both live or needed.
    let a = f.add(&t, "a").await;
    let a1 = a.sd.location.clone().unwrap();
    f.advance(MINUTE);
    let a2 = format!("{}/ds=a/20240101000100", t.location().unwrap());
    f.swap(&t, "a", &a2).await;
    f.advance(MINUTE);
    f.catalog
        .rollback_partition(&actor(), "db", "events", "ds=a", &strata_catalog::versions::Target::Time(common::START.0))
        .await
        .unwrap();
    // b: outside every root Strata owns, replaced: never deleted.
    let outside = format!("file://{}/outside/b1", f.root.display());
    Fixture::write_data(&outside, "b");
    let b = strata_core::model::Partition {
        values: vec!["b".into()],
        sd: strata_core::model::StorageDescriptor { location: Some(outside.clone()), ..t.sd.shape() },
        ..Default::default()
    };
    f.catalog.add_partition(&actor(), "db", "events", b).await.unwrap();
    f.advance(MINUTE);
    f.swap(&t, "b", &format!("{}/ds=b/20240101000300", t.location().unwrap())).await;
    f.advance(Duration::from_secs(2 * 3600));

    let plan = f.catalog.gc_plan(HOUR_MS, None).await.unwrap();
    assert_eq!(listed(&plan), vec![("superseded", canonical(&a2))], "{plan:?}");
    let deleted = f.catalog.gc_apply(&actor(), HOUR_MS, None).await.unwrap();
    assert_eq!(listed(&deleted), vec![("superseded", canonical(&a2))]);
    assert!(Fixture::read_data(&a1).is_some(), "the live location, once superseded, is kept");
    assert!(!Fixture::local(&a2).exists());
    assert!(Fixture::read_data(&outside).is_some(), "outside the managed roots: never deleted");
    assert_eq!(f.catalog.gc_plan(0, None).await.unwrap(), vec![]);
}
