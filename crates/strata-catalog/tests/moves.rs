//! The journal of moves to the retained area: drops record their moves before and after, and
//! `resume_moves` finishes or undoes the moves of a server that stopped halfway. Over a real
//! SQLite store and the local file system.

use std::{path::PathBuf, time::Duration};

use strata_core::model::{Actor, Database, FieldSchema, HistoryEntry, Partition, Table};
use strata_store::moves::move_state;

mod common;

use common::Fixture;

/// The shared fixture with a database `db`.
async fn fixture() -> Fixture {
    let f = Fixture::new().await;
    f.catalog.create_database(Database { name: "db".into(), ..Database::default() }).await.unwrap();
    f
}

impl Fixture {
    fn path(&self, uri: &str) -> PathBuf {
        PathBuf::from(uri.strip_prefix("file://").unwrap())
    }

    /// A file with `body` in directory `uri`.
    fn write(&self, uri: &str, body: &str) {
        let dir = self.path(uri);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("part-0.parquet"), body).unwrap();
    }

    fn read(&self, uri: &str) -> Option<String> {
        std::fs::read_to_string(self.path(uri).join("part-0.parquet")).ok()
    }
}

fn actor(request_id: &str) -> Actor {
    Actor { user: "alice".into(), client_addr: "127.0.0.1:1".into(), request_id: request_id.into() }
}

fn table(name: &str, partitioned: bool) -> Table {
    let col = |n: &str| FieldSchema { name: n.into(), type_name: "string".into(), comment: None };
    let mut t =
        Table { db_name: "db".into(), name: name.into(), table_type: "MANAGED_TABLE".into(), ..Table::default() };
    t.sd.cols = vec![col("id")];
    if partitioned {
        t.partition_keys = vec![col("ds")];
    }
    t
}

#[tokio::test]
async fn drops_record_their_moves_before_and_after() {
    let f = fixture().await;
    let c = &f.catalog;
    c.create_table(&actor("create"), table("t", true)).await.unwrap();
    let t = c.get_table("db", "t").await.unwrap();
    let mut dirs = Vec::new();
    let mut parts = Vec::new();
    for day in ["d1", "d2"] {
        let mut p = Partition { values: vec![day.into()], ..Partition::default() };
        let dir = format!("{}/ds={day}", t.location().unwrap());
        p.sd.location = Some(dir.clone());
        f.write(&dir, day);
        dirs.push(dir);
        parts.push(p);
    }
    c.add_partitions(&actor("add"), "db", "t", parts, false).await.unwrap();

    c.drop_partition(&actor("drop-d1"), "db", "t", &["d1".to_string()], true).await.unwrap();
    let moves = c.moves(true).await.unwrap();
    assert_eq!(moves.len(), 1);
    let m = &moves[0];
    assert_eq!(
        (m.from_location.as_str(), m.state.as_str(), m.request_id.as_str()),
        (dirs[0].as_str(), move_state::DONE, "drop-d1")
    );
    assert_eq!(f.read(&m.to_location).as_deref(), Some("d1"), "the data is in the retained area");
    assert_eq!(f.read(&dirs[0]), None);
    assert!(c.store().history_records_move(&m.from_location, &m.to_location).await.unwrap());

    c.drop_table(&actor("drop-t"), "db", "t", true).await.unwrap();
    let moves = c.moves(true).await.unwrap();
    assert_eq!(moves.len(), 2, "the table directory (with d2 inside) is one move");
    assert_eq!((moves[1].from_location.as_str(), moves[1].state.as_str()), (t.location().unwrap(), move_state::DONE));
    assert_eq!(f.read(&format!("{}/ds=d2", moves[1].to_location)).as_deref(), Some("d2"));
    assert!(c.moves(false).await.unwrap().is_empty(), "nothing left open");
    assert!(c.resume_moves(Duration::ZERO).await.unwrap().is_empty());
}

#[tokio::test]
async fn resume_finishes_committed_moves_and_undoes_the_others() {
    let f = fixture().await;
    let c = &f.catalog;
    let store = c.store();
    let wh = c.warehouse().to_string();
    // A server stopped in the middle of two drops: the first committed (its history row is
    // there) with its data still at the source; the second did not commit, its data already
    // moved.
    let (committed_from, committed_to) = (format!("{wh}/db.db/a"), format!("{wh}/.retained/db.db/a/x1"));
    let (lost_from, lost_to) = (format!("{wh}/db.db/b"), format!("{wh}/.retained/db.db/b/x2"));
    f.write(&committed_from, "a");
    f.write(&lost_to, "b");
    let ids = store
        .record_moves(
            "crashed",
            &[(committed_from.clone(), committed_to.clone()), (lost_from.clone(), lost_to.clone())],
            1,
            "stopped-server",
            1,
        )
        .await
        .unwrap();
    store
        .append_history(&[HistoryEntry {
            operation: strata_core::model::HistoryOp::DropTable,
            db_name: "db".into(),
            table_name: "a".into(),
            previous_location: Some(committed_from.clone()),
            new_location: Some(committed_to.clone()),
            request_id: "crashed".into(),
            at_millis: 2,
            ..HistoryEntry::default()
        }])
        .await
        .unwrap();
    assert_eq!(c.moves(false).await.unwrap().len(), 2);

    assert!(c.resume_moves(Duration::from_secs(3600 * 24 * 365 * 100)).await.unwrap().is_empty(), "too recent");
    let outcomes = c.resume_moves(Duration::ZERO).await.unwrap();
    let actions: Vec<(i64, &str)> = outcomes.iter().map(|o| (o.entry.id, o.action)).collect();
    assert_eq!(actions, vec![(ids[0], "finished"), (ids[1], "moved back")]);
    assert!(outcomes.iter().all(|o| o.error.is_none()));
    assert_eq!(f.read(&committed_to).as_deref(), Some("a"));
    assert_eq!(f.read(&committed_from), None);
    assert_eq!(f.read(&lost_from).as_deref(), Some("b"));
    assert_eq!(f.read(&lost_to), None);
    let states: Vec<String> = c.moves(true).await.unwrap().into_iter().map(|m| m.state).collect();
    assert_eq!(states, vec![move_state::DONE, move_state::UNDONE]);
    assert!(c.moves(false).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_table_dropped_with_its_database_can_be_undropped() {
    let f = fixture().await;
    let c = &f.catalog;
    c.create_database(Database { name: "sales".into(), ..Database::default() }).await.unwrap();
    let db_location = c.get_database("sales").await.unwrap().location;
    let mut t = table("orders", true);
    t.db_name = "sales".into();
    c.create_table(&actor("create"), t).await.unwrap();
    let t = c.get_table("sales", "orders").await.unwrap();
    let dir = format!("{}/ds=d1", t.location().unwrap());
    f.write(&dir, "d1");
    let mut p = Partition { values: vec!["d1".into()], ..Partition::default() };
    p.sd.location = Some(dir.clone());
    c.add_partitions(&actor("add"), "sales", "orders", vec![p], false).await.unwrap();

    c.drop_database(&actor("drop-db"), "sales", true, true).await.unwrap();
    assert!(c.get_database("sales").await.is_err());
    assert_eq!(f.read(&dir), None, "the data went to the retained area with the database directory");
    let moves = c.moves(true).await.unwrap();
    assert_eq!(
        moves.last().map(|m| (m.from_location.as_str(), m.state.as_str())),
        Some((db_location.as_str(), move_state::DONE))
    );

    let changes = c.undrop_table(&actor("undrop"), "sales", "orders").await.unwrap();
    assert_eq!(changes[0].action, "create database");
    assert_eq!(c.get_database("sales").await.unwrap().location, db_location);
    assert_eq!(c.get_table("sales", "orders").await.unwrap().location(), t.location());
    let back = c.get_partition("sales", "orders", &["d1".to_string()]).await.unwrap();
    assert_eq!(back.sd.location.as_deref(), Some(dir.as_str()));
    assert_eq!(f.read(&dir).as_deref(), Some("d1"), "the partition's data is back where it points");
}

#[tokio::test]
async fn moves_of_a_stopped_server_settle_once_their_lease_expires() {
    let f = fixture().await;
    let c = &f.catalog;
    let store = c.store();
    let wh = c.warehouse().to_string();
    let (from, to) = (format!("{wh}/db.db/gone"), format!("{wh}/.strata-retained/db.db/gone/x"));
    let (busy_from, busy_to) = (format!("{wh}/db.db/busy"), format!("{wh}/.strata-retained/db.db/busy/y"));
    f.write(&to, "moved before the crash");
    f.write(&busy_from, "still moving");
    let now = strata_core::time::now_millis();
    // A server that stopped (its lease ran out) and one still at work (its lease holds).
    store.record_moves("crashed", &[(from.clone(), to.clone())], now - 10_000, "stopped", now - 1).await.unwrap();
    store.record_moves("busy", &[(busy_from.clone(), busy_to)], now, "alive", now + 60_000).await.unwrap();
    let outcomes = c.settle_expired_moves().await.unwrap();
    assert_eq!(
        outcomes.iter().map(|o| (o.entry.request_id.as_str(), o.action)).collect::<Vec<_>>(),
        vec![("crashed", "moved back")]
    );
    assert_eq!(f.read(&from).as_deref(), Some("moved before the crash"), "the uncommitted drop is undone");
    assert_eq!(f.read(&busy_from).as_deref(), Some("still moving"), "a live lease is not touched");
    assert_eq!(c.moves(false).await.unwrap().len(), 1);
    assert!(c.settle_expired_moves().await.unwrap().is_empty(), "settled once");
}

#[tokio::test]
async fn only_data_inside_managed_roots_moves() {
    let f = common::Fixture::with(Duration::from_secs(60), |root| strata_catalog::DataSafety {
        managed_roots: vec![format!("file://{}/lake/", root.display())],
        ..strata_catalog::DataSafety::default()
    })
    .await;
    let c = &f.catalog;
    c.create_database(Database { name: "db".into(), ..Database::default() }).await.unwrap();
    let lake = format!("file://{}/lake/t", f.root.display());
    let other = format!("file://{}/other/t", f.root.display());
    for (name, loc) in [("in_lake", &lake), ("outside", &other)] {
        let mut t = table(name, false);
        t.sd.location = Some(loc.clone());
        c.create_table(&actor("create"), t).await.unwrap();
        f.write(loc, name);
        c.drop_table(&actor("drop"), "db", name, true).await.unwrap();
    }
    assert_eq!(f.read(&lake), None, "a managed root's table moves to the retained area");
    assert_eq!(f.read(&other).as_deref(), Some("outside"), "outside every root: left in place");
    let moves = c.moves(true).await.unwrap();
    assert_eq!(moves.iter().map(|m| m.from_location.as_str()).collect::<Vec<_>>(), vec![lake.as_str()]);
    let history = c.store().history("db", "outside", None).await.unwrap();
    let drop = history.iter().find(|h| h.operation == strata_core::model::HistoryOp::DropTable).unwrap();
    assert_eq!((drop.previous_location.as_deref(), drop.new_location.as_deref()), (Some(other.as_str()), None));
}
