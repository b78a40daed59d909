//! Reads pinned to a moment (`TABLE@TIME`, `TABLE@BATCH_ID`) and tags naming one
//! (`TABLE@TAG`), over a real SQLite store and the local file system on a manual clock.

use std::time::Duration;

use strata_catalog::timetravel::AS_OF_PARAM;
use strata_core::{
    location::canonical_or_raw as canonical,
    model::{Partition, StorageDescriptor},
    CatalogError,
};

mod common;

use common::{actor, Fixture, START};

const MINUTE: Duration = Duration::from_secs(60);

fn part(value: &str, loc: &str) -> (Vec<String>, String) {
    (vec![value.to_string()], canonical(loc))
}

/// 00:00 a in its first batch; 00:01 a's second batch and b; 00:02 a dropped.
async fn three_minutes(f: &Fixture) -> (String, String, String) {
    let t = f.partitioned_table("db", "events").await;
    let a1 = f.add(&t, "a").await.sd.location.unwrap();
    f.advance(MINUTE);
    let a2 = format!("{}/ds=a/20240101000100", t.location().unwrap());
    f.swap(&t, "a", &a2).await;
    let b1 = f.add(&t, "b").await.sd.location.unwrap();
    f.advance(MINUTE);
    f.catalog.drop_partition(&actor(), "db", "events", &["a".to_string()], true).await.unwrap();
    f.advance(MINUTE);
    (a1, a2, b1)
}

#[tokio::test]
async fn reads_at_a_time_or_a_batch_show_the_partitions_as_they_were() {
    let f = Fixture::on_clock().await;
    let (a1, a2, b1) = three_minutes(&f).await;
    // Times, in both spellings.
    assert_eq!(f.partitions("db", "events@20240101000030").await, vec![part("a", &a1)]);
    assert_eq!(f.partitions("db", "events@2024-01-01T00:01:30Z").await, vec![part("a", &a2), part("b", &b1)]);
    assert_eq!(f.partitions("db", "events@20240101000230").await, vec![part("b", &b1)]);
    assert_eq!(f.partitions("db", "events").await, vec![part("b", &b1)]);
    // A batch id: right after that batch was committed; one the table never had is its second.
    assert_eq!(f.partitions("db", "events@20240101000000").await, vec![part("a", &a1)]);
    assert_eq!(f.partitions("db", "events@20240101000100").await, vec![part("a", &a2), part("b", &b1)]);
    assert_eq!(f.partitions("db", "events@20240101000059").await, vec![part("a", &a1)]);

    let past = f.catalog.get_table("db", "events@20240101000030").await.unwrap();
    assert_eq!(past.name, "events@20240101000030");
    assert_eq!(past.parameters.get(AS_OF_PARAM).map(String::as_str), Some("2024-01-01T00:00:30Z"));
    let a = f.catalog.get_partition("db", "events@20240101000030", &["a".to_string()]).await.unwrap();
    assert_eq!(canonical(a.sd.location.as_deref().unwrap()), canonical(&a1));
    let err = f.catalog.get_partition("db", "events@20240101000030", &["b".to_string()]).await.unwrap_err();
    assert!(matches!(err, CatalogError::NoSuchObject(_)), "{err:?}");

    let err = f.catalog.get_table("db", "events@20231231000000").await.unwrap_err();
    assert!(matches!(&err, CatalogError::NoSuchObject(m) if m.contains("did not exist at")), "{err:?}");
    let err = f.catalog.get_table("db", "events@sometime").await.unwrap_err();
    assert!(matches!(&err, CatalogError::NoSuchObject(m) if m.contains("is not a batch id")), "{err:?}");
    // The past is read-only.
    let p = Partition {
        values: vec!["x".into()],
        sd: StorageDescriptor { location: Some(a1.clone()), ..StorageDescriptor::default() },
        ..Partition::default()
    };
    let err = f.catalog.add_partition(&actor(), "db", "events@20240101000030", p).await.unwrap_err();
    assert!(matches!(&err, CatalogError::Meta(m) if m.contains("read-only")), "{err:?}");
}

#[tokio::test]
async fn tags_name_a_state_until_deleted() {
    let f = Fixture::on_clock().await;
    let t = f.partitioned_table("db", "events").await;
    let a1 = f.add(&t, "a").await.sd.location.unwrap();
    f.advance(MINUTE);
    // Now, and a moment given.
    let v1 = f.catalog.create_tag(&actor(), "db", "events", "v1", None).await.unwrap();
    assert_eq!((v1.at_millis, v1.created_at_millis, v1.created_by.as_str()), (f.now(), f.now(), "alice"));
    let before = f.catalog.create_tag(&actor(), "db", "events", "before", Some(START.0 - 1)).await.unwrap();
    assert_eq!(before.at_millis, START.0 - 1);
    // A tag covers what committed up to its millisecond: write after it.
    f.advance(Duration::from_secs(1));
    let b1 = f.add(&t, "b").await.sd.location.unwrap();
    f.advance(MINUTE);
    f.swap(&t, "a", &format!("{}/ds=a/20240101000200", t.location().unwrap())).await;

    assert_eq!(f.partitions("db", "events@v1").await, vec![part("a", &a1)]);
    assert_eq!(f.partitions("db", "EVENTS@V1").await, vec![part("a", &a1)], "names are case-insensitive");
    assert_eq!(
        f.catalog.get_table("db", "events@v1").await.unwrap().parameters.get(AS_OF_PARAM).map(String::as_str),
        Some("2024-01-01T00:01:00Z")
    );
    let err = f.catalog.get_table("db", "events@before").await.unwrap_err();
    assert!(matches!(&err, CatalogError::NoSuchObject(m) if m.contains("did not exist at")), "{err:?}");
    assert_eq!(f.partitions("db", "events").await.len(), 2);
    assert!(Fixture::read_data(&b1).is_some());

    let err = f.catalog.create_tag(&actor(), "db", "events", "v1", None).await.unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err:?}");
    for bad in ["20240101000000", "2024-01-01", "V2", "1st", "a b"] {
        let err = f.catalog.create_tag(&actor(), "db", "events", bad, None).await.unwrap_err();
        assert!(matches!(&err, CatalogError::Meta(m) if m.contains("Invalid tag name")), "{bad}: {err:?}");
    }
    let err = f.catalog.create_tag(&actor(), "db", "events@v1", "v3", None).await.unwrap_err();
    assert!(matches!(&err, CatalogError::Meta(m) if m.contains("read-only")), "{err:?}");
    let mut names: Vec<String> =
        f.catalog.list_tags("db", "events").await.unwrap().into_iter().map(|t| t.name).collect();
    names.sort();
    assert_eq!(names, ["before", "v1"]);

    let deleted = f.catalog.delete_tag("db", "events", "v1").await.unwrap();
    assert_eq!(deleted.at_millis, v1.at_millis);
    let err = f.catalog.get_table("db", "events@v1").await.unwrap_err();
    assert!(matches!(&err, CatalogError::NoSuchObject(m) if m.contains("strata tag")), "{err:?}");
    assert_eq!(f.catalog.list_tags("db", "events").await.unwrap().len(), 1);
}
