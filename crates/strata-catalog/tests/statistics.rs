//! Column statistics of tables and partitions through the catalog, over a real SQLite store
//! and the local file system.

use strata_core::{
    model::{stats_msg, ColumnStatistics, ColumnStats, ColumnStatsData, RangeStats, StringStats},
    model::{Actor, Partition},
    CatalogError,
};

mod common;

use common::{table, with_db, with_partitioned_table, Fixture};

fn actor() -> Actor {
    Actor { user: "alice".into(), client_addr: "127.0.0.1:1".into(), request_id: "r1".into() }
}

fn long(name: &str, low: i64, high: i64, nulls: i64, ndv: i64) -> ColumnStats {
    ColumnStats {
        column_name: name.into(),
        column_type: "BIGINT".into(),
        data: ColumnStatsData::Long(RangeStats {
            low_value: Some(low),
            high_value: Some(high),
            num_nulls: nulls,
            num_dvs: ndv,
            bit_vectors: None,
            histogram: None,
        }),
    }
}

fn text(name: &str) -> ColumnStats {
    ColumnStats {
        column_name: name.into(),
        column_type: "string".into(),
        data: ColumnStatsData::String(StringStats {
            max_col_len: 9,
            avg_col_len: 4.5,
            num_nulls: 2,
            num_dvs: 3,
            bit_vectors: None,
        }),
    }
}

fn table_stats(db: &str, t: &str, columns: Vec<ColumnStats>) -> ColumnStatistics {
    ColumnStatistics {
        is_table_level: true,
        db_name: db.into(),
        table_name: t.into(),
        part_name: None,
        last_analyzed: Some(1_700_000_000),
        engine: None,
        columns,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

#[tokio::test]
async fn table_statistics_round_trip_merge_and_delete() {
    let f = Fixture::new().await;
    with_db(&f, "db").await;
    f.catalog.create_table(&actor(), table("db", "t")).await.unwrap();
    f.catalog
        .update_column_statistics(table_stats("DB", "T", vec![long("ID", 1, 10, 0, 5), text("name")]))
        .await
        .unwrap();
    let got = f.catalog.table_column_statistics("db", "t", &strings(&["id", "NAME", "ghost"]), None).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].stats, ColumnStats { column_type: "bigint".into(), ..long("id", 1, 10, 0, 5) });
    assert_eq!((got[0].engine.as_str(), got[0].last_analyzed), ("hive", 1_700_000_000));
    assert_eq!(got[1].stats, text("name"));
    assert!(f.catalog.table_column_statistics("db", "t", &[], None).await.unwrap().is_empty());
    assert!(f.catalog.table_column_statistics("db", "t", &strings(&["id"]), Some("impala")).await.unwrap().is_empty());

    assert_eq!(
        f.catalog.update_column_statistics(table_stats("db", "t", vec![long("ghost", 0, 1, 0, 1)])).await.unwrap_err(),
        CatalogError::Meta(stats_msg::no_such_column("db", "t", "ghost"))
    );
    assert_eq!(
        f.catalog.update_column_statistics(table_stats("db", "nope", vec![long("id", 0, 1, 0, 1)])).await.unwrap_err(),
        CatalogError::NoSuchObject("Specified database/table does not exist : db.nope".into())
    );

    // set_aggr_stats_for with needMerge folds the new numbers into the stored ones.
    f.catalog
        .set_column_statistics(vec![table_stats("db", "t", vec![long("id", -3, 4, 2, 9)])], true, None)
        .await
        .unwrap();
    let merged = f.catalog.table_column_statistics("db", "t", &strings(&["id"]), None).await.unwrap();
    let ColumnStatsData::Long(m) = &merged[0].stats.data else { panic!("long stats expected") };
    assert_eq!((m.low_value, m.high_value, m.num_nulls, m.num_dvs), (Some(-3), Some(10), 2, 9));
    // Without merge, they replace.
    f.catalog
        .set_column_statistics(vec![table_stats("db", "t", vec![long("id", 0, 1, 0, 1)])], false, None)
        .await
        .unwrap();
    let replaced = f.catalog.table_column_statistics("db", "t", &strings(&["id"]), None).await.unwrap();
    assert_eq!(replaced[0].stats, ColumnStats { column_type: "bigint".into(), ..long("id", 0, 1, 0, 1) });

    f.catalog.delete_column_statistics("db", "t", None, Some("ID"), None).await.unwrap();
    assert_eq!(
        f.catalog.delete_column_statistics("db", "t", None, Some("id"), None).await.unwrap_err(),
        CatalogError::NoSuchObject(stats_msg::nothing_to_delete("db", "t", None, Some("id")))
    );
    f.catalog.delete_column_statistics("db", "t", None, None, Some("")).await.unwrap();
    assert!(f.catalog.table_column_statistics("db", "t", &strings(&["name"]), None).await.unwrap().is_empty());

    // A dropped table takes its statistics along.
    f.catalog.update_column_statistics(table_stats("db", "t", vec![long("id", 0, 1, 0, 1)])).await.unwrap();
    f.catalog.drop_table(&actor(), "db", "t", false).await.unwrap();
    f.catalog.create_table(&actor(), table("db", "t")).await.unwrap();
    assert!(f.catalog.table_column_statistics("db", "t", &strings(&["id"]), None).await.unwrap().is_empty());
}

#[tokio::test]
async fn partition_statistics_need_the_partition_and_aggregate() {
    let f = Fixture::new().await;
    with_partitioned_table(&f).await;
    let part_stats = |ds: &str, columns: Vec<ColumnStats>| ColumnStatistics {
        is_table_level: false,
        part_name: Some(format!("ds={ds}")),
        ..table_stats("db", "p", columns)
    };
    assert_eq!(
        f.catalog.update_column_statistics(part_stats("1999-01-01", vec![long("id", 0, 1, 0, 1)])).await.unwrap_err(),
        CatalogError::NoSuchObject(stats_msg::NO_SUCH_PARTITION.into())
    );
    let parts: Vec<Partition> = ["2024-01-01", "2024-01-02", "2024-01-03"]
        .iter()
        .map(|ds| Partition { values: vec![(*ds).to_string()], ..Partition::default() })
        .collect();
    assert_eq!(f.catalog.add_partitions(&actor(), "db", "p", parts, false).await.unwrap().len(), 3);
    f.catalog
        .update_column_statistics(part_stats("2024-01-01", vec![long("id", 5, 10, 1, 4), text("name")]))
        .await
        .unwrap();
    f.catalog.update_column_statistics(part_stats("2024-01-02", vec![long("id", -2, 7, 3, 6)])).await.unwrap();

    let got = f
        .catalog
        .partition_column_statistics(
            "db",
            "p",
            &strings(&["ds=2024-01-02", "ds=2024-01-01", "ds=2024-01-03"]),
            &strings(&["id", "name"]),
            None,
        )
        .await
        .unwrap();
    let keys: Vec<(String, String)> =
        got.iter().map(|s| (s.part_name.clone().unwrap(), s.stats.column_name.clone())).collect();
    assert_eq!(
        keys,
        vec![
            ("ds=2024-01-01".to_string(), "id".to_string()),
            ("ds=2024-01-01".to_string(), "name".to_string()),
            ("ds=2024-01-02".to_string(), "id".to_string()),
        ]
    );

    let all = strings(&["ds=2024-01-01", "ds=2024-01-02", "ds=2024-01-03"]);
    let aggr = f.catalog.aggregate_statistics("db", "p", &all, &strings(&["id"]), None).await.unwrap();
    assert_eq!(aggr.parts_found, 2);
    let ColumnStatsData::Long(l) = &aggr.columns[0].data else { panic!("long stats expected") };
    assert_eq!((l.low_value, l.high_value, l.num_nulls, l.num_dvs), (Some(-2), Some(10), 4, 6));
    let both = f.catalog.aggregate_statistics("db", "p", &all, &strings(&["id", "name"]), None).await.unwrap();
    assert_eq!((both.columns.len(), both.parts_found), (2, 1));

    f.catalog.delete_column_statistics("db", "p", Some("ds=2024-01-01"), None, None).await.unwrap();
    let after = f.catalog.aggregate_statistics("db", "p", &all, &strings(&["id"]), None).await.unwrap();
    assert_eq!(after.parts_found, 1);
}
