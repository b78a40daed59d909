//! Conformance cases of the partition methods, including a differential test of the filter
//! pushdown against the in-memory evaluator (`Expr::matcher`), and an ignored timing run.

use std::time::Instant;

use strata_core::{
    error::msg,
    filter::{self, CompareOp, Expr, KeyType, Literal, Value},
    model::{HistoryEntry, HistoryOp, Params, Partition, StorageDescriptor, Table},
    partname::{self, DEFAULT_PARTITION_NAME},
    time::EpochSeconds,
    CatalogError,
};

use super::{assert_err, column, database, strings, table, without_id, TestStore};
use crate::api::{PartitionQuery, Placement};

// ------------------------------------------------------------------ fixtures

fn keyed(db: &str, name: &str, keys: &[(&str, &str)]) -> Table {
    Table { partition_keys: keys.iter().map(|(n, t)| column(n, t)).collect(), ..table(db, name) }
}

fn key_types(t: &Table) -> Vec<(String, KeyType)> {
    t.partition_keys.iter().map(|k| (k.name.clone(), KeyType::from_hive_type(&k.type_name))).collect()
}

fn part_name(t: &Table, values: &[String]) -> String {
    let keys: Vec<String> = t.partition_keys.iter().map(|k| k.name.clone()).collect();
    partname::make_part_name(&keys, values).unwrap()
}

/// A partition of `t` with the table's shape, its own location and a parameter.
fn partition(t: &Table, values: &[&str]) -> (String, Partition) {
    let values = strings(values);
    let name = part_name(t, &values);
    let sd = StorageDescriptor { location: Some(format!("{}/{name}", t.location().unwrap())), ..t.sd.clone() };
    let part = Partition {
        values,
        db_name: t.db_name.clone(),
        table_name: t.name.clone(),
        create_time: EpochSeconds(1_700_000_300),
        last_access_time: EpochSeconds(0),
        sd,
        parameters: Params::from_iter([("numFiles".to_string(), "1".to_string())]),
    };
    (name, part)
}

fn history_of(op: HistoryOp, (name, p): &(String, Partition), at_millis: i64) -> HistoryEntry {
    HistoryEntry {
        id: 0,
        operation: op,
        db_name: p.db_name.clone(),
        table_name: p.table_name.clone(),
        partition_name: Some(name.clone()),
        partition_values: Some(p.values.clone()),
        batch_id: None,
        previous_location: None,
        new_location: p.sd.location.clone(),
        actor: "carol".into(),
        client_addr: "10.0.0.7:50123".into(),
        request_id: format!("req-{at_millis}"),
        at_millis,
    }
}

fn query<'a>(keys: &'a [(String, KeyType)]) -> PartitionQuery<'a> {
    PartitionQuery { keys, filter: None, values: None, max: None }
}

fn parse(f: &str) -> Expr {
    filter::parse(f).unwrap().unwrap()
}

fn names_of(parts: &[(String, Partition)]) -> Vec<String> {
    parts.iter().map(|(n, _)| n.clone()).collect()
}

async fn history_of_table(store: &TestStore, db: &str, table: &str) -> Vec<HistoryEntry> {
    store.history(db, table, None).await.unwrap().into_iter().map(without_id).collect()
}

// ------------------------------------------------------------------ cases

/// Add (one transaction, all or nothing), read back every field, descriptor sharing, key-value
/// rows, history, `if_not_exists`, and the errors of every method on a missing table.
pub async fn case_partitions_add_and_get(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let t = keyed("db", "t", &[("ds", "string"), ("hr", "int")]);
    store.create_table(&t, &[]).await.unwrap();
    let base_sd = store.storage_descriptor_count().await.unwrap();

    let p1 = partition(&t, &["2024-01-01", "1"]);
    let p2 = partition(&t, &["2024-01-01", "10"]);
    let h = vec![history_of(HistoryOp::AddPartition, &p1, 10), history_of(HistoryOp::AddPartition, &p2, 11)];
    let added = store.add_partitions("db", "t", &[p2.clone(), p1.clone()], false, &h).await.unwrap();
    assert_eq!(added, vec![0, 1], "the positions of the added partitions, in input order");
    assert_eq!(store.storage_descriptor_count().await.unwrap(), base_sd, "partitions share the table's descriptor");
    assert_eq!(store.partition_row_count().await.unwrap(), (2, 4), "one key-value row per key");
    assert_eq!(store.get_partition("db", "t", &p1.0).await.unwrap(), Some(p1.1.clone()));
    assert_eq!(store.get_partition("db", "t", "ds=x/hr=1").await.unwrap(), None);
    assert_eq!(history_of_table(&store, "db", "t").await, h);

    // A view-like partition without a location, and one of a new shape (stored once).
    let mut p3 = partition(&t, &["2024-01-02", "1"]);
    p3.1.sd.location = None;
    let mut p4 = partition(&t, &["2024-01-03", "1"]);
    p4.1.sd.cols.push(column("extra", "string"));
    p4.1.sd.serde_info = None;
    let mut p5 = partition(&t, &["2024-01-04", "1"]);
    p5.1.sd = StorageDescriptor { location: p5.1.sd.location.clone(), ..p4.1.sd.clone() };
    p5.1.parameters.clear();
    store.add_partitions("db", "t", &[p3.clone(), p4.clone(), p5.clone()], false, &[]).await.unwrap();
    assert_eq!(store.storage_descriptor_count().await.unwrap(), base_sd + 1, "one new shape, stored once");
    for p in [&p3, &p4, &p5] {
        assert_eq!(store.get_partition("db", "t", &p.0).await.unwrap().as_ref(), Some(&p.1));
    }
    let by_names = store
        .get_partitions_by_names("db", "t", &[p4.0.clone(), "ds=none/hr=1".into(), p1.0.clone(), p4.0.clone()])
        .await
        .unwrap();
    assert_eq!(by_names, vec![p1.1.clone(), p4.1.clone()], "existing ones, by name, each once");
    assert!(store.get_partitions_by_names("db", "t", &[]).await.unwrap().is_empty());

    // An existing name fails the whole call: nothing of it is written.
    let p6 = partition(&t, &["2024-01-05", "1"]);
    let h6 = vec![history_of(HistoryOp::AddPartition, &p6, 20), history_of(HistoryOp::AddPartition, &p1, 21)];
    assert_err(
        store.add_partitions("db", "t", &[p6.clone(), p1.clone()], false, &h6).await,
        CatalogError::AlreadyExists(format!("Partition already exists: {}", p1.0)),
    );
    assert_eq!(store.partition_row_count().await.unwrap(), (5, 10));
    assert_eq!(store.get_partition("db", "t", &p6.0).await.unwrap(), None);
    assert_eq!(history_of_table(&store, "db", "t").await, h, "no history from a failed add");
    assert_err(
        store.add_partitions("db", "t", &[p6.clone(), p6.clone()], false, &[]).await,
        CatalogError::AlreadyExists(format!("Partition already exists: {}", p6.0)),
    );

    // if_not_exists skips existing names (and their history rows).
    let mut p1_again = p1.clone();
    p1_again.1.parameters.insert("changed".into(), "yes".into());
    let added = store.add_partitions("db", "t", &[p1_again, p6.clone(), p6.clone()], true, &h6).await.unwrap();
    assert_eq!(added, vec![1], "p1 exists and the second p6 is a repeat: only the first p6 is added");
    assert_eq!(store.get_partition("db", "t", &p1.0).await.unwrap(), Some(p1.1.clone()), "kept as it was");
    assert_eq!(history_of_table(&store, "db", "t").await, [h.clone(), vec![h6[0].clone()]].concat());
    assert!(store.add_partitions("db", "t", &[], false, &[]).await.unwrap().is_empty());

    // A missing table (or database) is NoSuchObject for every method.
    let none = CatalogError::NoSuchObject(msg::table_not_found("db", "nope"));
    let keys = key_types(&t);
    assert_err(store.add_partitions("db", "nope", std::slice::from_ref(&p1), false, &[]).await, none.clone());
    assert_err(store.get_partition("db", "nope", &p1.0).await, none.clone());
    assert_err(store.get_partitions_by_names("db", "nope", std::slice::from_ref(&p1.0)).await, none.clone());
    assert_err(store.list_partitions("db", "nope", &query(&keys)).await, none.clone());
    assert_err(store.list_partition_names("db", "nope", &query(&keys)).await, none.clone());
    assert_err(store.count_partitions("db", "nope", &query(&keys)).await, none.clone());
    assert_err(store.alter_partitions("db", "nope", std::slice::from_ref(&p1), vec![], false).await, none.clone());
    assert_err(store.rename_partition("db", "nope", &p1.0, &p6.0, &p6.1, &[]).await, none.clone());
    assert_err(store.drop_partitions("db", "nope", std::slice::from_ref(&p1.0), &[]).await, none);
    assert_err(
        store.get_partition("nodb", "t", &p1.0).await,
        CatalogError::NoSuchObject(msg::table_not_found("nodb", "t")),
    );

    // Partitions go with their table.
    store.drop_table("db", "t", &[]).await.unwrap();
    assert_eq!(store.partition_row_count().await.unwrap(), (0, 0));
}

/// Listings: bytewise name order, partial values, `max`, counts, names, whole partitions.
pub async fn case_partitions_list(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let t = keyed("db", "t", &[("ds", "string"), ("hr", "int")]);
    store.create_table(&t, &[]).await.unwrap();
    let other = keyed("db", "other", &[("ds", "string"), ("hr", "int")]);
    store.create_table(&other, &[]).await.unwrap();
    let values = [["b", "1"], ["a_c", "2"], ["ab", "10"], ["ab", "9"], ["B", "1"], ["é", "1"]];
    let parts: Vec<_> = values.iter().map(|v| partition(&t, v)).collect();
    store.add_partitions("db", "t", &parts, false, &[]).await.unwrap();
    store.add_partitions("db", "other", &[partition(&other, &["ab", "9"])], false, &[]).await.unwrap();
    let keys = key_types(&t);

    let mut sorted = names_of(&parts);
    sorted.sort();
    assert_eq!(sorted[0], "ds=B/hr=1", "bytewise: upper case first, '_' before 'b'");
    assert_eq!(sorted[1], "ds=a_c/hr=2");
    assert_eq!(store.list_partition_names("db", "t", &query(&keys)).await.unwrap(), sorted);
    let all = store.list_partitions("db", "t", &query(&keys)).await.unwrap();
    let mut expected: Vec<_> = parts.clone();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(all, expected.iter().map(|(_, p)| p.clone()).collect::<Vec<_>>());
    assert_eq!(store.count_partitions("db", "t", &query(&keys)).await.unwrap(), 6);

    let max2 = PartitionQuery { max: Some(2), ..query(&keys) };
    assert_eq!(store.list_partition_names("db", "t", &max2).await.unwrap(), sorted[..2]);
    assert_eq!(store.list_partitions("db", "t", &max2).await.unwrap().len(), 2);
    assert_eq!(store.count_partitions("db", "t", &max2).await.unwrap(), 6, "count ignores max");
    let max0 = PartitionQuery { max: Some(0), ..query(&keys) };
    assert!(store.list_partition_names("db", "t", &max0).await.unwrap().is_empty());

    let ab = [Some("ab".to_string())];
    let by_ab = PartitionQuery { values: Some(&ab), ..query(&keys) };
    assert_eq!(store.list_partition_names("db", "t", &by_ab).await.unwrap(), strings(&["ds=ab/hr=10", "ds=ab/hr=9"]));
    let any_1 = [None, Some("1".to_string())];
    let by_hr = PartitionQuery { values: Some(&any_1), ..query(&keys) };
    assert_eq!(
        store.list_partition_names("db", "t", &by_hr).await.unwrap(),
        strings(&["ds=B/hr=1", "ds=b/hr=1", "ds=é/hr=1"])
    );
    assert_eq!(store.count_partitions("db", "t", &by_hr).await.unwrap(), 3);
    let both = [Some("ab".to_string()), Some("9".to_string())];
    let exact = PartitionQuery { values: Some(&both), ..query(&keys) };
    let found = store.list_partitions("db", "t", &exact).await.unwrap();
    assert_eq!(found, vec![parts[3].1.clone()], "other tables' partitions are not listed");
    // Partial values compare as strings, whatever the key type.
    let nine = [None, Some("09".to_string())];
    let no_match = PartitionQuery { values: Some(&nine), ..query(&keys) };
    assert!(store.list_partition_names("db", "t", &no_match).await.unwrap().is_empty());
    // Partial values and a filter together.
    let f = parse("hr > 5");
    let both = PartitionQuery { values: Some(&ab), filter: Some(&f), max: Some(1), ..query(&keys) };
    assert_eq!(store.list_partition_names("db", "t", &both).await.unwrap(), strings(&["ds=ab/hr=10"]));
    assert_eq!(store.count_partitions("db", "t", &both).await.unwrap(), 2);
}

/// Every page of an open listing, checking the page size; `None` when the store does not page
/// this query.
async fn read_pages(store: &TestStore, t: &Table, q: &PartitionQuery<'_>, page: usize) -> Option<Vec<Partition>> {
    let mut pages = store.page_partitions(&t.db_name, &t.name, q, page).await.unwrap()?;
    let total = pages.total();
    let mut all = Vec::new();
    while let Some(next) = pages.next_page().await.unwrap() {
        assert!(!next.is_empty() && next.len() <= page, "page of {} (size {page})", next.len());
        all.extend(next);
    }
    assert_eq!(all.len(), total, "pages add up to the announced total");
    assert!(pages.next_page().await.unwrap().is_none(), "stays done");
    Some(all)
}

/// Paged listings: the same partitions in the same order as `list_partitions` for every kind of
/// query, a total announced before the first page, one snapshot for all pages (writes after
/// the listing opened are not seen), the missing-table error, and `None` for a filter
/// evaluated in memory. PostgreSQL pages every query it evaluates; SQLite pages whole-table
/// listings only (a condition would make each page walk the table's names).
pub async fn case_partition_pages(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let t = keyed("db", "t", &[("ds", "string"), ("hr", "int")]);
    store.create_table(&t, &[]).await.unwrap();
    let other = keyed("db", "other", &[("ds", "string"), ("hr", "int")]);
    store.create_table(&other, &[]).await.unwrap();
    let mut parts = Vec::new();
    for ds in ["2016-10-31", "2016-11-01", "B", "a_c", "é"] {
        for hr in ["1", "2", "9", "10", "23"] {
            parts.push(partition(&t, &[ds, hr]));
        }
    }
    store.add_partitions("db", "t", &parts, false, &[]).await.unwrap();
    store.add_partitions("db", "other", &[partition(&other, &["B", "1"])], false, &[]).await.unwrap();
    let keys = key_types(&t);

    let ab = [Some("B".to_string())];
    let any_9 = [None, Some("9".to_string())];
    let f = parse("hr > 5 and ds <> 'B'");
    let queries = [
        query(&keys),
        PartitionQuery { max: Some(7), ..query(&keys) },
        PartitionQuery { max: Some(0), ..query(&keys) },
        PartitionQuery { max: Some(100), ..query(&keys) },
        PartitionQuery { values: Some(&ab), ..query(&keys) },
        PartitionQuery { values: Some(&any_9), ..query(&keys) },
        PartitionQuery { filter: Some(&f), ..query(&keys) },
        PartitionQuery { filter: Some(&f), max: Some(3), ..query(&keys) },
    ];
    for (i, q) in queries.iter().enumerate() {
        let listed = store.list_partitions("db", "t", q).await.unwrap();
        let whole = q.values.is_none() && q.filter.is_none();
        for page in [1, 4, 25, 1000] {
            match read_pages(&store, &t, q, page).await {
                Some(paged) => assert_eq!(paged, listed, "query {i}, page {page}"),
                None => assert!(!whole && store.backend() == "sqlite", "query {i} is not paged"),
            }
        }
    }
    assert_eq!(read_pages(&store, &t, &query(&keys), 4).await.map(|all| all.len()), Some(25));

    // One snapshot: a partition added and a location swapped after the listing opened are not
    // in its pages, and the announced total holds.
    let before = store.list_partitions("db", "t", &query(&keys)).await.unwrap();
    let mut pages = store.page_partitions("db", "t", &query(&keys), 10).await.unwrap().expect("pageable");
    assert_eq!(pages.total(), 25);
    let mut seen = pages.next_page().await.unwrap().unwrap();
    store.add_partitions("db", "t", &[partition(&t, &["0000", "1"])], false, &[]).await.unwrap();
    let (last_name, mut last) = parts.last().cloned().unwrap();
    last.sd.location = Some("file:///elsewhere/batch-2".into());
    store.alter_partitions("db", "t", &[(last_name, last)], Vec::new(), false).await.unwrap();
    while let Some(page) = pages.next_page().await.unwrap() {
        seen.extend(page);
    }
    assert_eq!(seen, before, "pages read the snapshot the listing opened on");
    drop(pages);
    assert_eq!(store.list_partitions("db", "t", &query(&keys)).await.unwrap().len(), 26);

    // An abandoned listing releases its snapshot: writes still go through.
    let mut abandoned = store.page_partitions("db", "t", &query(&keys), 5).await.unwrap().expect("pageable");
    abandoned.next_page().await.unwrap();
    drop(abandoned);
    store.add_partitions("db", "t", &[partition(&t, &["0001", "1"])], false, &[]).await.unwrap();

    // Same error as a listing of a missing table.
    let missing = store.list_partitions("db", "nope", &query(&keys)).await.unwrap_err();
    assert_err(store.page_partitions("db", "nope", &query(&keys), 10).await.map(|p| p.map(|p| p.total())), missing);

    // A filter evaluated in memory cannot be paged by the store.
    let long = parse(&format!("ds like '{}'", "a".repeat(300)));
    let in_memory = PartitionQuery { filter: Some(&long), ..query(&keys) };
    assert!(store.page_partitions("db", "t", &in_memory, 10).await.unwrap().is_none());
}

/// Alter replaces descriptor, location, parameters and access time (name, values and creation
/// time stay; so does the location when none is given), all or nothing; returns the previous
/// placements.
pub async fn case_partitions_alter(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let t = keyed("db", "t", &[("ds", "string")]);
    store.create_table(&t, &[]).await.unwrap();
    let parts: Vec<_> = ["a", "b", "c"].iter().map(|v| partition(&t, &[v])).collect();
    store.add_partitions("db", "t", &parts, false, &[]).await.unwrap();
    let base_sd = store.storage_descriptor_count().await.unwrap();

    let mut new_c = parts[2].clone();
    new_c.1.sd.location = Some("s3://elsewhere/c".into());
    new_c.1.sd.cols.push(column("added", "string"));
    new_c.1.parameters.insert("numRows".into(), "42".into());
    new_c.1.create_time = EpochSeconds(5);
    new_c.1.last_access_time = EpochSeconds(6);
    let mut new_a = parts[0].clone();
    new_a.1.parameters.clear();
    // No location given: the stored one stays.
    new_a.1.sd.location = None;
    let moved = HistoryEntry {
        operation: HistoryOp::AlterPartition,
        previous_location: parts[2].1.sd.location.clone(),
        ..history_of(HistoryOp::AlterPartition, &new_c, 30)
    };
    let previous =
        store.alter_partitions("db", "t", &[new_c.clone(), new_a.clone()], vec![moved.clone()], false).await.unwrap();
    let placement = |p: &Partition| Placement { location: p.sd.location.clone(), create_time: p.create_time };
    assert_eq!(previous, vec![placement(&parts[2].1), placement(&parts[0].1)], "previous placements, in input order");
    // The creation time stays too.
    let stored_c = Partition { create_time: parts[2].1.create_time, ..new_c.1.clone() };
    assert_eq!(store.get_partition("db", "t", &parts[2].0).await.unwrap(), Some(stored_c.clone()));
    let stored_a = parts[0].1.clone();
    let stored_a = Partition { parameters: Params::new(), ..stored_a };
    assert_eq!(store.get_partition("db", "t", &parts[0].0).await.unwrap(), Some(stored_a));
    assert_eq!(store.get_partition("db", "t", &parts[1].0).await.unwrap(), Some(parts[1].1.clone()));
    assert_eq!(store.storage_descriptor_count().await.unwrap(), base_sd + 1);
    assert_eq!(history_of_table(&store, "db", "t").await, vec![moved.clone()]);

    // Back to the table's shape: no new descriptor row.
    store.alter_partitions("db", "t", &[parts[2].clone()], vec![], false).await.unwrap();
    assert_eq!(store.get_partition("db", "t", &parts[2].0).await.unwrap(), Some(parts[2].1.clone()));
    assert_eq!(store.storage_descriptor_count().await.unwrap(), base_sd + 1);

    // A missing one fails the call; nothing changes.
    let ghost = partition(&t, &["zz"]);
    let mut new_b = parts[1].clone();
    new_b.1.sd.location = Some("s3://b".into());
    assert_err(
        store
            .alter_partitions(
                "db",
                "t",
                &[new_b, ghost.clone()],
                vec![history_of(HistoryOp::AlterPartition, &ghost, 40)],
                false,
            )
            .await,
        CatalogError::NoSuchObject(format!("partition {} of db.t does not exist", ghost.0)),
    );
    assert_eq!(store.get_partition("db", "t", &parts[1].0).await.unwrap(), Some(parts[1].1.clone()));
    assert_eq!(history_of_table(&store, "db", "t").await, vec![moved]);
}

/// Rename rewrites name, values and key-value rows; errors for a missing source or taken target.
pub async fn case_partitions_rename(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let t = keyed("db", "t", &[("ds", "string"), ("hr", "int")]);
    store.create_table(&t, &[]).await.unwrap();
    let a = partition(&t, &["2024-01-01", "1"]);
    let b = partition(&t, &["2024-01-01", "2"]);
    store.add_partitions("db", "t", &[a.clone(), b.clone()], false, &[]).await.unwrap();
    let keys = key_types(&t);

    let mut c = partition(&t, &["2024-02-01", "30"]);
    c.1.sd.location = a.1.sd.location.clone();
    let h = history_of(HistoryOp::AlterPartition, &c, 50);
    store.rename_partition("db", "t", &a.0, &c.0, &c.1, std::slice::from_ref(&h)).await.unwrap();
    assert_eq!(store.get_partition("db", "t", &a.0).await.unwrap(), None);
    assert_eq!(store.get_partition("db", "t", &c.0).await.unwrap(), Some(c.1.clone()));
    assert_eq!(store.partition_row_count().await.unwrap(), (2, 4));
    // Filters see the new values (the key-value rows were rewritten).
    for (f, expected) in [
        ("hr = 30", vec![c.0.clone()]),
        ("hr = 1", vec![]),
        ("ds like '2024-02.*'", vec![c.0.clone()]),
        ("ds = '2024-01-01'", vec![b.0.clone()]),
    ] {
        let e = parse(f);
        let q = PartitionQuery { filter: Some(&e), ..query(&keys) };
        assert_eq!(store.list_partition_names("db", "t", &q).await.unwrap(), expected, "{f}");
    }
    assert_eq!(history_of_table(&store, "db", "t").await, vec![h]);

    assert_err(
        store.rename_partition("db", "t", &a.0, &c.0, &c.1, &[]).await,
        CatalogError::NoSuchObject(format!("Partition doesn't exist. {}", a.0)),
    );
    assert_err(
        store.rename_partition("db", "t", &c.0, &b.0, &b.1, &[]).await,
        CatalogError::AlreadyExists(format!("Partition already exists: {}", b.0)),
    );
    assert_err(
        store.rename_partition("db", "t", &c.0, &c.0, &c.1, &[]).await,
        CatalogError::AlreadyExists(format!("Partition already exists: {}", c.0)),
    );
    assert_eq!(store.get_partition("db", "t", &c.0).await.unwrap(), Some(c.1));
    assert_eq!(history_of_table(&store, "db", "t").await.len(), 1);
}

/// Drops: all or nothing, returned in input order, key-value rows and history.
pub async fn case_partitions_drop(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let t = keyed("db", "t", &[("ds", "string"), ("hr", "int")]);
    store.create_table(&t, &[]).await.unwrap();
    let parts: Vec<_> = [["a", "1"], ["b", "2"], ["c", "3"]].iter().map(|v| partition(&t, v)).collect();
    store.add_partitions("db", "t", &parts, false, &[]).await.unwrap();

    let ghost = partition(&t, &["x", "1"]);
    assert_err(
        store.drop_partitions("db", "t", &[parts[0].0.clone(), ghost.0.clone()], &[]).await,
        CatalogError::NoSuchObject(format!("Partition doesn't exist. {}", ghost.0)),
    );
    assert_eq!(store.partition_row_count().await.unwrap(), (3, 6));

    let h =
        vec![history_of(HistoryOp::DropPartition, &parts[2], 60), history_of(HistoryOp::DropPartition, &parts[0], 61)];
    let dropped = store
        .drop_partitions("db", "t", &[parts[2].0.clone(), parts[0].0.clone(), parts[2].0.clone()], &h)
        .await
        .unwrap();
    assert_eq!(dropped, vec![parts[2].1.clone(), parts[0].1.clone()], "input order, each once");
    assert_eq!(store.partition_row_count().await.unwrap(), (1, 2));
    let keys = key_types(&t);
    assert_eq!(store.list_partition_names("db", "t", &query(&keys)).await.unwrap(), vec![parts[1].0.clone()]);
    assert_eq!(history_of_table(&store, "db", "t").await, h);
    // The name can be used again.
    store.add_partitions("db", "t", &[parts[0].clone()], false, &[]).await.unwrap();
    assert_eq!(store.count_partitions("db", "t", &query(&keys)).await.unwrap(), 2);
}

/// Filter semantics, case by case (HMS directSQL): numeric integers, dates as dates, the
/// default partition never matching, `LIKE` as a whole-string regex, IN/BETWEEN and nesting.
pub async fn case_partition_filters(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let t = keyed("db", "t", &[("s", "string"), ("i", "bigint"), ("d", "date")]);
    store.create_table(&t, &[]).await.unwrap();
    let d = DEFAULT_PARTITION_NAME;
    let rows: [[&str; 3]; 8] = [
        ["a", "9", "2024-01-05"],
        ["ab", "10", "2024-1-6"],
        ["a/b", "-3", "2024-02-30"],
        ["100%", "007", d],
        [d, d, "2023-12-31"],
        ["x\ny", "x", "2024-02-29"],
        ["it's", " 12 ", "0001-01-01"],
        ["é", "99999999999999999999", "2024-01-05"],
    ];
    let parts: Vec<_> = rows.iter().map(|r| partition(&t, r)).collect();
    store.add_partitions("db", "t", &parts, false, &[]).await.unwrap();
    let keys = key_types(&t);
    let name = |i: usize| parts[i].0.clone();

    let cases: Vec<(&str, Vec<usize>)> = vec![
        ("i > 9", vec![1, 6]),
        ("i >= 7 and i < 10", vec![0, 3]),
        ("i = 7", vec![3]),
        ("i != 7", vec![0, 1, 2, 6]),
        ("(i) in (9, -3, 12)", vec![0, 2, 6]),
        ("(i) not in (9, -3)", vec![1, 3, 6]),
        ("i between -3 and 9", vec![0, 2, 3]),
        ("i not between -3 and 9", vec![1, 6]),
        ("-5 < i", vec![0, 1, 2, 3, 6]),
        ("s > 'a'", vec![1, 2, 5, 6, 7]),
        ("s < 'a'", vec![3, 4]),
        (r#"s = "it's""#, vec![6]),
        ("s = '__HIVE_DEFAULT_PARTITION__'", vec![4]),
        ("s like 'a.*'", vec![0, 1, 2]),
        ("s like '.*/.*'", vec![2]),
        ("s like '100%'", vec![3]),
        ("s like 'a.'", vec![1]),
        ("s like 'x.*'", vec![]),
        ("s like 'x.y'", vec![]),
        ("s like 'a|ab'", vec![0, 1]),
        ("s like '[ab]+'", vec![0, 1]),
        ("s like '.*'", vec![0, 1, 2, 3, 4, 6, 7]),
        ("s like 'é'", vec![7]),
        ("d = 2024-01-05", vec![0, 7]),
        ("d = '2024-1-5'", vec![0, 7]),
        ("d > 2024-01-05", vec![1, 5]),
        ("d < '2024-01-01'", vec![4, 6]),
        ("d != 2024-01-05", vec![1, 4, 5, 6]),
        ("d between 2024-01-01 and 2024-01-31", vec![0, 1, 7]),
        ("(d) in (2024-01-06, '2023-12-31')", vec![1, 4]),
        ("(d) not in (2024-01-06)", vec![0, 4, 5, 6, 7]),
        ("d = 'nonsense'", vec![]),
        ("s = 'a' or i = 10 or d = 2023-12-31", vec![0, 1, 4]),
        ("(s = 'a' or s = 'ab') and (i > 9 or d < 2024-01-06)", vec![0, 1]),
        ("s like 'a.*' and (i < 0 or s like '.*b')", vec![1, 2]),
        ("s like 'a|ab' or i = 12", vec![0, 1, 6]),
        ("s = 'a' and s = 'ab'", vec![]),
    ];
    for (f, expected) in cases {
        let e = parse(f);
        let expected: Vec<String> = {
            let mut names: Vec<String> = expected.into_iter().map(name).collect();
            names.sort();
            names
        };
        let q = PartitionQuery { filter: Some(&e), ..query(&keys) };
        assert_eq!(store.list_partition_names("db", "t", &q).await.unwrap(), expected, "{f}");
        assert_eq!(store.count_partitions("db", "t", &q).await.unwrap(), expected.len() as i64, "{f}");
        let listed: Vec<Vec<String>> =
            store.list_partitions("db", "t", &q).await.unwrap().into_iter().map(|p| p.values).collect();
        assert_eq!(listed.len(), expected.len(), "{f}");
        let limited = PartitionQuery { max: Some(1), ..q };
        assert_eq!(
            store.list_partition_names("db", "t", &limited).await.unwrap(),
            expected[..expected.len().min(1)],
            "{f}"
        );
    }
    // Unknown keys, type mismatches and bad patterns (which the parser and the catalog reject
    // first) match nothing.
    for e in [
        Expr::Compare { key: "zz".into(), op: CompareOp::Ne, value: Literal::String("a".into()) },
        Expr::Compare { key: "i".into(), op: CompareOp::Ne, value: Literal::String("9".into()) },
        Expr::Like { key: "i".into(), pattern: "%".into() },
        Expr::Like { key: "s".into(), pattern: "(".into() },
        Expr::In { key: "s".into(), values: vec![Literal::String("a".into()), Literal::Integer(1)], negated: true },
    ] {
        let q = PartitionQuery { filter: Some(&e), ..query(&keys) };
        assert!(store.list_partition_names("db", "t", &q).await.unwrap().is_empty(), "{e}");
    }
    // Nesting as deep as the parser allows: in SQL up to a depth, in memory below it.
    for depth in [64, filter::MAX_DEPTH] {
        let mut deep = Expr::Compare { key: "i".into(), op: CompareOp::Eq, value: Literal::Integer(9) };
        for level in 0..depth {
            let n = i64::try_from(level).unwrap();
            deep = if level % 2 == 0 {
                let other =
                    Expr::Compare { key: "s".into(), op: CompareOp::Eq, value: Literal::String(format!("{n}")) };
                Expr::Or(vec![other, deep])
            } else {
                let other = Expr::Compare { key: "i".into(), op: CompareOp::Ne, value: Literal::Integer(-1000 - n) };
                Expr::And(vec![other, deep])
            };
        }
        let q = PartitionQuery { filter: Some(&deep), ..query(&keys) };
        assert_eq!(store.list_partition_names("db", "t", &q).await.unwrap(), vec![name(0)], "depth {depth}");
        assert_eq!(store.count_partitions("db", "t", &q).await.unwrap(), 1, "depth {depth}");
    }
    // NUL characters (PostgreSQL text cannot hold them) still compare.
    let mut all: Vec<String> = (0..parts.len()).map(name).collect();
    all.sort();
    let ne_nul = Expr::Compare { key: "s".into(), op: CompareOp::Ne, value: Literal::String("a\0b".into()) };
    let q = PartitionQuery { filter: Some(&ne_nul), ..query(&keys) };
    assert_eq!(store.list_partition_names("db", "t", &q).await.unwrap(), all);
    let like_nul = Expr::Like { key: "s".into(), pattern: "a\0.*".into() };
    let q = PartitionQuery { filter: Some(&like_nul), ..query(&keys) };
    assert!(store.list_partition_names("db", "t", &q).await.unwrap().is_empty());
    let nul_value = [Some("a\0".to_string())];
    let q = PartitionQuery { values: Some(&nul_value), ..query(&keys) };
    assert!(store.list_partition_names("db", "t", &q).await.unwrap().is_empty());
    // A very long filter is evaluated without hitting statement limits.
    let long = Expr::Or(
        (0..30_000).map(|n| Expr::Compare { key: "i".into(), op: CompareOp::Eq, value: Literal::Integer(n) }).collect(),
    );
    let q = PartitionQuery { filter: Some(&long), ..query(&keys) };
    let mut expected = vec![name(0), name(1), name(3), name(6)];
    expected.sort();
    assert_eq!(store.list_partition_names("db", "t", &q).await.unwrap(), expected);
}

// ------------------------------------------------------------------ differential

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).unwrap()).unwrap()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const S_VALUES: &[&str] = &[
    "a",
    "ab",
    "abc",
    "b",
    "B",
    "ba",
    "a_c",
    "abc_",
    "a%c",
    "a/b",
    "a=b",
    "100%",
    "it's",
    "say \"hi\"",
    "x y",
    "é",
    "éa",
    "日本",
    "a\nb",
    "a.c",
    "a*c",
    "a?c",
    "[x]",
    "back\\slash",
    "tab\tx",
    "2024-01-05",
    "-1",
    "0",
    DEFAULT_PARTITION_NAME,
];
const I_VALUES: &[&str] = &[
    "0",
    "1",
    "2",
    "7",
    "10",
    "12",
    "-5",
    "-10",
    "007",
    "+3",
    " 4",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999",
    "1e3",
    "x",
    "-0",
    "٣",
    DEFAULT_PARTITION_NAME,
];
const D_VALUES: &[&str] = &[
    "2024-01-05",
    "2024-1-5",
    "2024-01-31",
    "2024-02-29",
    "2023-02-29",
    "2024-02-30",
    "0001-01-01",
    "9999-12-31",
    "2023-12-31",
    "garbage",
    " 2024-01-05",
    "2024-13-01",
    "10000-01-01",
    "2024-01-5",
    "2024-01-06",
    DEFAULT_PARTITION_NAME,
];
const INTS: &[i64] = &[0, 1, -1, 2, 3, 4, 7, 10, 12, -5, -10, 100, i64::MAX, i64::MIN];
const DATES: &[&str] =
    &["2024-01-05", "2024-01-31", "2024-02-29", "0001-01-01", "9999-12-31", "2023-12-31", "2024-01-04", "2024-01-06"];
const DATE_STRINGS: &[&str] = &["2024-1-5", "2024-01-05", "bad", "2024-02-30", "2024-2-29", "1-1-1"];
const PATTERNS: &[&str] = &[
    "a%",
    "%a%",
    "_",
    "a_c",
    ".*b.*",
    "a|b",
    "[ab]%",
    r"100\%",
    r"a\_c",
    "%/%",
    "%=%",
    "%'%",
    "a+b*",
    "(a|b)%",
    r"\d+",
    "é%",
    "%\n%",
    "a\nb",
    "a.c",
    "%",
    "",
    "日%",
    r"a\.c",
    "x y",
    ".+",
    ".?",
    "a**",
    "(",
    "%\"%",
    r"\w+",
    "B%",
    "a%c",
    "%c",
    r"\[x]",
    r"a\*c",
    "__",
    "%_",
    r"back\\slash",
    "tab\tx",
    "a?c",
];

fn random_literal(rng: &mut Rng, kt: KeyType) -> Literal {
    let kind = if rng.chance(10) { rng.below(3) } else { usize::MAX };
    match (kt, kind) {
        (_, 0) => Literal::String((*rng.pick(S_VALUES)).to_string()),
        (_, 1) => Literal::Integer(*rng.pick(INTS)),
        (_, 2) => Literal::Date((*rng.pick(DATES)).to_string()),
        (KeyType::Integer, _) => Literal::Integer(*rng.pick(INTS)),
        (KeyType::Date, _) if rng.chance(70) => Literal::Date((*rng.pick(DATES)).to_string()),
        (KeyType::Date, _) => Literal::String((*rng.pick(DATE_STRINGS)).to_string()),
        (_, _) if rng.chance(15) => Literal::Date((*rng.pick(DATES)).to_string()),
        (_, _) => Literal::String((*rng.pick(S_VALUES)).to_string()),
    }
}

fn random_leaf(rng: &mut Rng, keys: &[(String, KeyType)]) -> Expr {
    let (key, kt) = if rng.chance(3) { ("zz".to_string(), KeyType::String) } else { rng.pick(keys).clone() };
    match rng.below(10) {
        0..=3 => {
            use CompareOp::*;
            let op = *rng.pick(&[Eq, Ne, Lt, Le, Gt, Ge]);
            Expr::Compare { key, op, value: random_literal(rng, kt) }
        }
        4 | 5 => {
            let n = 1 + rng.below(4);
            let values = (0..n).map(|_| random_literal(rng, kt)).collect();
            Expr::In { key, values, negated: rng.chance(40) }
        }
        6 | 7 => {
            let (low, high) = (random_literal(rng, kt), random_literal(rng, kt));
            Expr::Between { key, low, high, negated: rng.chance(40) }
        }
        _ => {
            let key = if rng.chance(85) { "s".to_string() } else { key };
            Expr::Like { key, pattern: (*rng.pick(PATTERNS)).to_string() }
        }
    }
}

fn random_expr(rng: &mut Rng, keys: &[(String, KeyType)], depth: usize) -> Expr {
    if depth == 0 || rng.chance(40) {
        return random_leaf(rng, keys);
    }
    let n = 2 + rng.below(3);
    let items = (0..n).map(|_| random_expr(rng, keys, depth - 1)).collect();
    if rng.chance(50) {
        Expr::And(items)
    } else {
        Expr::Or(items)
    }
}

/// The pushdown against the in-memory evaluator: ~300 partitions with awkward values, 250
/// random filters of every operator and literal kind (nested AND/OR), with random partial
/// values and limits; names, counts and whole partitions must agree.
pub async fn case_partition_filter_differential(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let t = keyed("db", "t", &[("s", "string"), ("i", "int"), ("d", "date")]);
    store.create_table(&t, &[]).await.unwrap();
    let keys = key_types(&t);
    let mut rng = Rng(0x5eed_1234_abcd_0042);

    let mut parts: Vec<(String, Partition)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    while parts.len() < 300 {
        let values = [*rng.pick(S_VALUES), *rng.pick(I_VALUES), *rng.pick(D_VALUES)];
        let p = partition(&t, &values);
        if seen.insert(p.0.clone()) {
            parts.push(p);
        }
    }
    for chunk in parts.chunks(120) {
        store.add_partitions("db", "t", chunk, false, &[]).await.unwrap();
    }
    parts.sort_by(|a, b| a.0.cmp(&b.0));

    let started = Instant::now();
    let (mut nonempty, mut partial_hits) = (0, 0);
    for round in 0..250 {
        let expr = random_expr(&mut rng, &keys, 3);
        let partial: Option<Vec<Option<String>>> = rng.chance(20).then(|| {
            let n = 1 + rng.below(3);
            (0..n)
                .map(|k| {
                    let pool = [S_VALUES, I_VALUES, D_VALUES][k];
                    rng.chance(60).then(|| (*rng.pick(pool)).to_string())
                })
                .collect()
        });
        let max = rng.chance(25).then(|| rng.below(12));

        let matcher = expr.matcher();
        let expected: Vec<&(String, Partition)> = parts
            .iter()
            .filter(|(_, p)| {
                let partial_ok = partial.as_ref().is_none_or(|vals| {
                    vals.iter().enumerate().all(|(k, v)| v.as_ref().is_none_or(|v| p.values.get(k) == Some(v)))
                });
                let lookup = |key: &str| -> Option<Value<'_>> {
                    let index = keys.iter().position(|(name, _)| name == key)?;
                    Some(Value::for_partition_value(keys[index].1, p.values.get(index)?, DEFAULT_PARTITION_NAME))
                };
                partial_ok && matcher.matches(&lookup)
            })
            .collect();
        nonempty += usize::from(!expected.is_empty());
        partial_hits += usize::from(!expected.is_empty() && expected.len() < parts.len());
        let q = PartitionQuery { keys: &keys, filter: Some(&expr), values: partial.as_deref(), max };
        let context = format!("round {round}: filter `{expr}` values {partial:?} max {max:?}");

        let names = store.list_partition_names("db", "t", &q).await.unwrap_or_else(|e| panic!("{context}: {e}"));
        let limit = max.unwrap_or(usize::MAX);
        let expected_names: Vec<String> = expected.iter().take(limit).map(|(n, _)| n.clone()).collect();
        assert_eq!(names, expected_names, "{context}");
        let count = store.count_partitions("db", "t", &q).await.unwrap_or_else(|e| panic!("{context}: {e}"));
        assert_eq!(count, expected.len() as i64, "{context}");
        if round % 10 == 0 {
            let listed = store.list_partitions("db", "t", &q).await.unwrap_or_else(|e| panic!("{context}: {e}"));
            let expected_parts: Vec<Partition> = expected.iter().take(limit).map(|(_, p)| p.clone()).collect();
            assert_eq!(listed, expected_parts, "{context}");
        }
    }
    eprintln!(
        "{}: 250 differential filters in {:?}; {nonempty} select something, {partial_hits} some but not all",
        store.backend(),
        started.elapsed()
    );
    assert!(partial_hits > 100, "the filters discriminate: {partial_hits}");

    // Partial values alone, and limits alone.
    for _ in 0..50 {
        let n = 1 + rng.below(3);
        let partial: Vec<Option<String>> = (0..n)
            .map(|k| rng.chance(70).then(|| (*rng.pick([S_VALUES, I_VALUES, D_VALUES][k])).to_string()))
            .collect();
        let max = rng.chance(50).then(|| rng.below(5));
        let q = PartitionQuery { keys: &keys, filter: None, values: Some(&partial), max };
        let expected: Vec<String> = parts
            .iter()
            .filter(|(_, p)| partial.iter().enumerate().all(|(k, v)| v.as_ref().is_none_or(|v| &p.values[k] == v)))
            .map(|(n, _)| n.clone())
            .collect();
        let names = store.list_partition_names("db", "t", &q).await.unwrap();
        assert_eq!(names, expected[..expected.len().min(max.unwrap_or(usize::MAX))], "{partial:?} {max:?}");
        assert_eq!(store.count_partitions("db", "t", &q).await.unwrap(), expected.len() as i64);
    }
}

// ------------------------------------------------------------------ timing

/// Timings of bulk adds and full listings (not a test: run by the ignored `partition_timings`
/// tests with `--ignored --nocapture`).
pub async fn partition_timings(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    for n in [1_000usize, 10_000] {
        let name = format!("t{n}");
        let t = keyed("db", &name, &[("ds", "string"), ("hr", "int"), ("region", "string")]);
        store.create_table(&t, &[]).await.unwrap();
        let parts: Vec<_> = (0..n)
            .map(|i| {
                let d = i / 24;
                let day = format!("{}-{:02}-{:02}", 2020 + d / 336, 1 + d / 28 % 12, 1 + d % 28);
                partition(&t, &[&day, &(i % 24).to_string(), &format!("r{}", i % 7)])
            })
            .collect();
        let history: Vec<_> = parts.iter().map(|p| history_of(HistoryOp::AddPartition, p, 1)).collect();
        let started = Instant::now();
        let added = store.add_partitions("db", &name, &parts, false, &history).await.unwrap();
        let add = started.elapsed();
        assert_eq!(added.len(), n);
        let keys = key_types(&t);
        let started = Instant::now();
        let names = store.list_partition_names("db", &name, &query(&keys)).await.unwrap();
        let list_names = started.elapsed();
        assert_eq!(names.len(), n);
        let started = Instant::now();
        let listed = store.list_partitions("db", &name, &query(&keys)).await.unwrap();
        let list = started.elapsed();
        assert_eq!(listed.len(), n);
        let f = parse("hr > 20 and region like 'r.*' and ds >= '2020-06'");
        let started = Instant::now();
        let filtered = store
            .list_partition_names("db", &name, &PartitionQuery { filter: Some(&f), ..query(&keys) })
            .await
            .unwrap();
        let filter = started.elapsed();
        eprintln!(
            "{} {n:>6} partitions: add_partitions {add:?}, list_partition_names {list_names:?}, list_partitions {list:?}, \
             filtered names ({} hits) {filter:?}",
            store.backend(),
            filtered.len()
        );
    }
}

/// Location swaps: history rows are completed under the row locks (previous location from the
/// stored row, unchanged ones dropped, repeated names chained), and `fresh_locations` refuses a
/// location the table uses now or used before, changing nothing.
pub async fn case_partitions_swap_history(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let t = keyed("db", "t", &[("ds", "string")]);
    store.create_table(&t, &[]).await.unwrap();
    let a = partition(&t, &["a"]);
    let b = partition(&t, &["b"]);
    let adds = vec![history_of(HistoryOp::AddPartition, &a, 1), history_of(HistoryOp::AddPartition, &b, 2)];
    store.add_partitions("db", "t", &[a.clone(), b.clone()], false, &adds).await.unwrap();
    let at = |p: &(String, Partition), loc: &str| {
        let mut p = p.clone();
        p.1.sd.location = Some(loc.into());
        p
    };
    // The caller's previous location is ignored; an unchanged partition gets no row.
    let a1 = at(&a, "file:///w/t/ds=a/1");
    let stale =
        HistoryEntry { previous_location: Some("stale".into()), ..history_of(HistoryOp::AlterPartition, &a1, 3) };
    store
        .alter_partitions(
            "db",
            "t",
            &[a1.clone(), b.clone()],
            vec![stale, history_of(HistoryOp::AlterPartition, &b, 3)],
            true,
        )
        .await
        .unwrap();
    // A name given twice chains.
    let a2 = at(&a, "file:///w/t/ds=a/2");
    let a3 = at(&a, "file:///w/t/ds=a/3");
    store
        .alter_partitions(
            "db",
            "t",
            &[a2.clone(), a3.clone()],
            vec![history_of(HistoryOp::AlterPartition, &a2, 4), history_of(HistoryOp::AlterPartition, &a3, 4)],
            true,
        )
        .await
        .unwrap();
    let rows = history_of_table(&store, "db", "t").await;
    let chain: Vec<(Option<String>, Option<String>)> = rows
        .iter()
        .filter(|h| h.partition_name.as_deref() == Some(a.0.as_str()))
        .map(|h| (h.previous_location.clone(), h.new_location.clone()))
        .collect();
    assert_eq!(
        chain,
        vec![
            (None, a.1.sd.location.clone()),
            (a.1.sd.location.clone(), a1.1.sd.location.clone()),
            (a1.1.sd.location.clone(), a2.1.sd.location.clone()),
            (a2.1.sd.location.clone(), a3.1.sd.location.clone()),
        ]
    );
    assert_eq!(rows.len(), 5, "b's unchanged location recorded nothing: {rows:?}");

    // Fresh locations: a location used before (even with a trailing slash) or live elsewhere is refused.
    for (target, why) in
        [("file:///w/t/ds=a/1/", "used it before"), (b.1.sd.location.clone().unwrap().as_str(), "is there now")]
    {
        let moved = at(&a, target);
        let err = store
            .alter_partitions(
                "db",
                "t",
                std::slice::from_ref(&moved),
                vec![history_of(HistoryOp::AlterPartition, &moved, 5)],
                true,
            )
            .await;
        match err {
            Err(CatalogError::InvalidOperation(m)) => assert!(m.contains(why) && m.contains("strata rollback"), "{m}"),
            other => panic!("expected InvalidOperation for {target}, got {other:?}"),
        }
        assert_eq!(store.get_partition("db", "t", &a.0).await.unwrap(), Some(a3.1.clone()), "nothing changed");
    }
    assert_eq!(history_of_table(&store, "db", "t").await.len(), 5, "no history row for a refused swap");
    // Without the check (the `track` mode, or a rollback) the same swap is allowed and recorded.
    let back = at(&a, "file:///w/t/ds=a/1/");
    store
        .alter_partitions(
            "db",
            "t",
            std::slice::from_ref(&back),
            vec![history_of(HistoryOp::Rollback, &back, 6)],
            false,
        )
        .await
        .unwrap();
    let last = history_of_table(&store, "db", "t").await.pop().unwrap();
    assert_eq!((last.operation.as_str(), last.previous_location), ("rollback", a3.1.sd.location.clone()));
}

/// 32 concurrent location swaps of one partition (policy-checked, each to its own fresh
/// location): every swap lands, and the history is one exact chain.
pub async fn case_concurrent_swaps(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let t = keyed("db", "t", &[("ds", "string")]);
    store.create_table(&t, &[]).await.unwrap();
    let p = partition(&t, &["x"]);
    store
        .add_partitions("db", "t", std::slice::from_ref(&p), false, &[history_of(HistoryOp::AddPartition, &p, 1)])
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..32 {
        let store = store.clone();
        let mut moved = p.clone();
        moved.1.sd.location = Some(format!("file:///w/t/ds=x/{i:02}"));
        tasks.push(tokio::spawn(async move {
            let h = history_of(HistoryOp::AlterPartition, &moved, 10 + i);
            store.alter_partitions("db", "t", &[moved], vec![h], true).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let rows = history_of_table(&store, "db", "t").await;
    assert_eq!(rows.len(), 33, "one add and 32 swaps");
    for pair in rows.windows(2) {
        assert_eq!(pair[1].previous_location, pair[0].new_location, "chain broken: {rows:#?}");
    }
    let now = store.get_partition("db", "t", &p.0).await.unwrap().unwrap();
    assert_eq!(now.sd.location, rows.last().unwrap().new_location, "the last swap is the current location");
}

/// A dropped table's definition and partitions are kept (the latest drop wins).
pub async fn case_dropped_table_is_kept(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let t = keyed("db", "t", &[("ds", "string")]);
    store.create_table(&t, &[]).await.unwrap();
    assert_eq!(store.dropped_table("db", "t").await.unwrap(), None);
    let parts = vec![partition(&t, &["b"]), partition(&t, &["a"])];
    store.add_partitions("db", "t", &parts, false, &[]).await.unwrap();
    let before = store.get_table("db", "t").await.unwrap().unwrap();
    store.drop_table("db", "t", &[]).await.unwrap();
    let (table, kept) = store.dropped_table("db", "t").await.unwrap().unwrap();
    assert_eq!(table, before);
    assert_eq!(kept, vec![parts[1].clone(), parts[0].clone()], "partitions in name order");
    // Again, with no partitions: the latest drop is what is kept.
    store.create_table(&t, &[]).await.unwrap();
    store.drop_table("db", "t", &[]).await.unwrap();
    let (_, kept) = store.dropped_table("db", "t").await.unwrap().unwrap();
    assert!(kept.is_empty());
    assert_eq!(store.dropped_table("db", "other").await.unwrap(), None);
}

/// `exchange_partitions` is one transaction: a clash in the destination changes nothing.
pub async fn case_exchange_partitions(store: TestStore) {
    store.create_database(&database("db")).await.unwrap();
    let src = keyed("db", "src", &[("ds", "string")]);
    let dst = keyed("db", "dst", &[("ds", "string")]);
    store.create_table(&src, &[]).await.unwrap();
    store.create_table(&dst, &[]).await.unwrap();
    let (a, b) = (partition(&src, &["a"]), partition(&src, &["b"]));
    store.add_partitions("db", "src", &[a.clone(), b.clone()], false, &[]).await.unwrap();
    let moved = |p: &(String, Partition)| {
        let mut p = p.clone();
        p.1.table_name = "dst".into();
        p.1.sd.location = Some(format!("file:///w/dst/{}", p.0));
        p
    };
    // b already in the destination: nothing moves.
    store.add_partitions("db", "dst", &[moved(&b)], false, &[]).await.unwrap();
    let err = store.exchange_partitions(("db", "src"), ("db", "dst"), &[moved(&a), moved(&b)], &[]).await;
    assert!(matches!(err, Err(CatalogError::AlreadyExists(_))), "{err:?}");
    assert_eq!(store.get_partitions_by_names("db", "src", &[a.0.clone(), b.0.clone()]).await.unwrap().len(), 2);
    assert_eq!(store.get_partition("db", "dst", &a.0).await.unwrap(), None);
    // a alone moves, with its history rows.
    let h = history_of(HistoryOp::AddPartition, &moved(&a), 7);
    let added =
        store.exchange_partitions(("db", "src"), ("db", "dst"), &[moved(&a)], std::slice::from_ref(&h)).await.unwrap();
    assert_eq!(added, vec![moved(&a).1]);
    assert_eq!(store.get_partition("db", "src", &a.0).await.unwrap(), None);
    assert_eq!(store.get_partition("db", "dst", &a.0).await.unwrap(), Some(moved(&a).1));
    assert_eq!(history_of_table(&store, "db", "dst").await, vec![h]);
}
