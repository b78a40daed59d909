//! The journal of storage moves to and back from the retained area (`storage_moves`), and the
//! lookup of live locations near a directory about to move or be deleted.
//!
//! A move is recorded as `started` before any data moves, and `done` or `undone` after. On S3 a
//! move is copy-then-delete, object by object, so a server that stops halfway leaves `started`
//! rows behind. Each move carries its server's id and a lease the server renews while it runs;
//! any server settles (finishes or undoes) a started move whose lease expired, after claiming
//! it, and `strata moves --resume` does the same by hand.

use async_trait::async_trait;
use serde::Serialize;
use strata_core::Result;

/// Journal states.
pub mod move_state {
    /// Recorded before the move; still open.
    pub const STARTED: &str = "started";
    /// The data is at `to_location` and the change that needed it committed (or there was
    /// nothing to move).
    pub const DONE: &str = "done";
    /// The data went back to `from_location` (the change that needed the move failed).
    pub const UNDONE: &str = "undone";
}

/// One journalled move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StorageMove {
    /// Journal id.
    pub id: i64,
    /// Where the data was.
    pub from_location: String,
    /// Where it goes.
    pub to_location: String,
    /// The request that moved it (joins the history's `request_id`).
    pub request_id: String,
    /// [`move_state`].
    pub state: String,
    /// What happened, in words (empty while started).
    pub detail: String,
    /// When it was recorded, milliseconds since the epoch.
    pub started_millis: i64,
    /// When it was closed.
    pub finished_millis: Option<i64>,
    /// The server that runs it (a random id per process).
    pub server_id: String,
    /// Until when that server's lease holds (ms since the epoch): once past, any server may
    /// settle the move.
    pub lease_until_millis: i64,
}

/// A live database, table or partition whose location is near a directory (equal to it,
/// inside it, or, for tables and partitions, containing it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LiveLocation {
    /// Database.
    pub db_name: String,
    /// Table (empty for a database).
    pub table_name: String,
    /// Partition name, for a partition.
    pub partition_name: Option<String>,
    /// Its location.
    pub location: String,
    /// Whether engines read everything below it (a partition, an unpartitioned table), so
    /// nothing inside it is garbage while it is live.
    pub reads_inside: bool,
}

/// What [`MoveStore::live_near`] looks for.
#[derive(Debug, Clone, Copy)]
pub struct Near<'a> {
    /// The directory (canonical).
    pub location: &'a str,
    /// Its ancestors (canonical, `strata_core::location::ancestors`).
    pub ancestors: &'a [String],
    /// Leave out the objects of this database (and, with `.1`, only of this table).
    pub exclude: Option<(&'a str, Option<&'a str>)>,
    /// At most this many rows.
    pub limit: i64,
}

/// `[lower, upper)`: the range of strings strictly below a canonical location (`loc/…`).
#[must_use]
pub fn below_range(location: &str) -> (String, String) {
    let lower = if location.ends_with('/') { location.to_string() } else { format!("{location}/") };
    let upper = format!("{}0", &lower[..lower.len() - 1]);
    (lower, upper)
}

/// The catalog's move journal.
#[async_trait]
pub trait MoveStore: Send + Sync {
    /// Record moves `(from, to)` as started, in one transaction; returns their ids in the same
    /// order. They belong to `server_id` until `lease_until_millis`.
    async fn record_moves(
        &self,
        request_id: &str,
        moves: &[(String, String)],
        now_millis: i64,
        server_id: &str,
        lease_until_millis: i64,
    ) -> Result<Vec<i64>>;
    /// Extend the lease of the open moves `ids` of `server_id` (the ones it is still running:
    /// a move it gave up on, say when it lost its database, expires and is settled).
    async fn renew_move_leases(&self, server_id: &str, ids: &[i64], lease_until_millis: i64) -> Result<u64>;
    /// Take over an open move whose lease expired before `now_millis`: it becomes
    /// `server_id`'s until `lease_until_millis`. `false` if it is closed or another server
    /// holds it.
    async fn claim_move(&self, id: i64, server_id: &str, now_millis: i64, lease_until_millis: i64) -> Result<bool>;
    /// Open moves whose lease expired before `now_millis`, oldest first.
    async fn expired_moves(&self, now_millis: i64) -> Result<Vec<StorageMove>>;
    /// Live databases, tables and partitions at, inside or (tables and partitions) around a
    /// directory: see [`Near`].
    async fn live_near(&self, near: &Near<'_>) -> Result<Vec<LiveLocation>>;
    /// Close moves with `state` and `detail`.
    async fn finish_moves(&self, ids: &[i64], state: &str, detail: &str, now_millis: i64) -> Result<()>;
    /// Journalled moves, oldest first: only the open (`started`) ones recorded before
    /// `started_before_millis`, or with `all` every move.
    async fn list_moves(&self, all: bool, started_before_millis: i64) -> Result<Vec<StorageMove>>;
    /// Whether the history records a change from `from` to `to` (the change a move belonged to
    /// committed: its history row is written in the change's own transaction).
    async fn history_records_move(&self, from: &str, to: &str) -> Result<bool>;
    /// Hold the lock of a name (`db.table`) for a call that creates or moves its directory,
    /// across every server on this database, until the returned guard is dropped. PostgreSQL:
    /// a session advisory lock on a connection of a small pool of its own (a lost connection
    /// releases it). SQLite: a lock on a file next to the database (all names; callers also
    /// lock the name within the process). Waits at most a minute, then fails (`MetaException`).
    async fn lock_name(&self, name: &str) -> Result<NameLock> {
        let _ = name;
        Ok(Box::new(()))
    }
}

/// A held [`MoveStore::lock_name`] lock: released when dropped.
pub type NameLock = Box<dyn std::any::Any + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_below_a_location_is_its_subtree() {
        assert_eq!(below_range("file:///a/b"), ("file:///a/b/".to_string(), "file:///a/b0".to_string()));
        assert_eq!(below_range("file:///"), ("file:///".to_string(), "file://0".to_string()));
        let (lo, hi) = below_range("file:///a/b");
        for inside in ["file:///a/b/c", "file:///a/b/c/d", "file:///a/b/~"] {
            assert!(lo.as_str() <= inside && inside < hi.as_str(), "{inside}");
        }
        for outside in ["file:///a/b", "file:///a/bc", "file:///a/b-c", "file:///a/b.c", "file:///a/c"] {
            assert!(!(lo.as_str() <= outside && outside < hi.as_str()), "{outside}");
        }
    }
}
