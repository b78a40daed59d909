//! The journal of storage moves to and back from the retained area (`storage_moves`), and the
//! lookup of live locations near a directory about to move or be deleted.
//!
//! A move is recorded as `started` before any data moves, and `done` or `undone` after. On S3 a
//! move is copy-then-delete, object by object, so a server that stops halfway leaves `started`
//! rows behind. Each move carries its server's id and a lease the server renews while it runs;
//! any server settles (finishes or undoes) a started move whose lease expired, after claiming
//! it, and `strata moves --resume` does the same by hand. The SQL is the same on both backends
//! (bar the collation of the location index), so one macro writes both impls.

use async_trait::async_trait;
use serde::Serialize;
use strata_core::Result;

use crate::{
    common::{db, to_json},
    postgres::PgStore,
    sqlite::SqliteStore,
};

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

/// Rows per insert statement (4 binds each, well under both backends' limits).
const RECORD_CHUNK: usize = 500;

const MOVE_COLUMNS: &str = "id, from_location, to_location, request_id, state, detail, started_millis, \
                            finished_millis, server_id, lease_until_millis";

/// `($5, $6, $1, 'started', $2, $3, $4), ...` for `rows` moves.
fn record_values(rows: usize) -> String {
    (0..rows)
        .map(|i| format!("(${}, ${}, $1, 'started', $2, $3, $4)", 5 + 2 * i, 6 + 2 * i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The live-location lookup. `c` is the collation the location indexes use (PostgreSQL:
/// `COLLATE "C"`, so the prefix range is bytewise; SQLite compares bytes anyway), `ancestors`
/// the SQL of the list of ancestors (bound as `$4`). Binds: `$1` the location, `$2`/`$3` the
/// range below it, `$5`/`$6` the excluded database and table, `$7` the limit.
fn near_sql(c: &str, ancestors: &str) -> String {
    let excluded = |db: &str, table: &str| format!("NOT (COALESCE({db} = $5, FALSE) AND ($6 IS NULL OR {table} = $6))");
    format!(
        "SELECT db_name, table_name, partition_name, location, reads_inside FROM ( \
         SELECT d.name AS db_name, '' AS table_name, NULL AS partition_name, d.location AS location, \
           FALSE AS reads_inside \
           FROM databases d WHERE (d.location{c} = $1 OR (d.location{c} >= $2 AND d.location{c} < $3)) \
           AND NOT COALESCE(d.name = $5 AND $6 IS NULL, FALSE) \
         UNION ALL \
         SELECT d.name, t.name, NULL, t.location, t.partition_keys = '[]' \
           FROM tables t JOIN databases d ON d.id = t.db_id \
           WHERE (t.location{c} = $1 OR t.location{c} IN ({ancestors}) \
                  OR (t.location{c} >= $2 AND t.location{c} < $3)) AND {} \
         UNION ALL \
         SELECT d.name, t.name, p.part_name, p.location, TRUE FROM partitions p \
           JOIN tables t ON t.id = p.table_id JOIN databases d ON d.id = t.db_id \
           WHERE (p.location{c} = $1 OR p.location{c} IN ({ancestors}) \
                  OR (p.location{c} >= $2 AND p.location{c} < $3)) AND {} \
         ) near LIMIT $7",
        excluded("d.name", "t.name"),
        excluded("d.name", "t.name"),
    )
}

macro_rules! move_store_impl {
    ($store:ty) => {
        #[async_trait]
        impl MoveStore for $store {
            async fn record_moves(
                &self,
                request_id: &str,
                moves: &[(String, String)],
                now_millis: i64,
                server_id: &str,
                lease_until_millis: i64,
            ) -> Result<Vec<i64>> {
                let mut tx = self.pool().begin().await.map_err(db("record moves: begin"))?;
                let mut ids = Vec::with_capacity(moves.len());
                for chunk in moves.chunks(RECORD_CHUNK) {
                    let sql = format!(
                        "INSERT INTO storage_moves (from_location, to_location, request_id, state, started_millis, \
                         server_id, lease_until_millis) VALUES {} RETURNING id",
                        record_values(chunk.len())
                    );
                    let mut q = sqlx::query_scalar::<_, i64>(&sql)
                        .bind(request_id)
                        .bind(now_millis)
                        .bind(server_id)
                        .bind(lease_until_millis);
                    for (from, to) in chunk {
                        q = q.bind(from).bind(to);
                    }
                    let mut got = q.fetch_all(&mut *tx).await.map_err(db("record moves"))?;
                    // Identity values follow the VALUES order; sort in case RETURNING does not.
                    got.sort_unstable();
                    ids.extend(got);
                }
                tx.commit().await.map_err(db("record moves: commit"))?;
                Ok(ids)
            }

            async fn finish_moves(&self, ids: &[i64], state: &str, detail: &str, now_millis: i64) -> Result<()> {
                let mut tx = self.pool().begin().await.map_err(db("finish moves: begin"))?;
                for chunk in ids.chunks(RECORD_CHUNK) {
                    let list = (0..chunk.len()).map(|i| format!("${}", 4 + i)).collect::<Vec<_>>().join(", ");
                    let sql = format!(
                        "UPDATE storage_moves SET state = $1, detail = $2, finished_millis = $3 WHERE id IN ({list})"
                    );
                    let mut q = sqlx::query(&sql).bind(state).bind(detail).bind(now_millis);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.execute(&mut *tx).await.map_err(db("finish moves"))?;
                }
                tx.commit().await.map_err(db("finish moves: commit"))
            }

            async fn list_moves(&self, all: bool, started_before_millis: i64) -> Result<Vec<StorageMove>> {
                let sql = if all {
                    format!("SELECT {MOVE_COLUMNS} FROM storage_moves ORDER BY id")
                } else {
                    format!(
                        "SELECT {MOVE_COLUMNS} FROM storage_moves WHERE state = 'started' AND started_millis < $1 \
                         ORDER BY id"
                    )
                };
                let mut q = sqlx::query_as::<_, StorageMove>(&sql);
                if !all {
                    q = q.bind(started_before_millis);
                }
                q.fetch_all(self.pool()).await.map_err(db("list moves"))
            }

            async fn renew_move_leases(&self, server_id: &str, ids: &[i64], lease_until_millis: i64) -> Result<u64> {
                let mut renewed = 0;
                for chunk in ids.chunks(RECORD_CHUNK) {
                    let list = (0..chunk.len()).map(|i| format!("${}", 3 + i)).collect::<Vec<_>>().join(", ");
                    let sql = format!(
                        "UPDATE storage_moves SET lease_until_millis = $2 \
                         WHERE state = 'started' AND server_id = $1 AND id IN ({list})"
                    );
                    let mut q = sqlx::query(&sql).bind(server_id).bind(lease_until_millis);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    renewed += q.execute(self.pool()).await.map_err(db("renew move leases"))?.rows_affected();
                }
                Ok(renewed)
            }

            async fn claim_move(
                &self,
                id: i64,
                server_id: &str,
                now_millis: i64,
                lease_until_millis: i64,
            ) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE storage_moves SET server_id = $2, lease_until_millis = $4 \
                     WHERE id = $1 AND state = 'started' AND lease_until_millis < $3",
                )
                .bind(id)
                .bind(server_id)
                .bind(now_millis)
                .bind(lease_until_millis)
                .execute(self.pool())
                .await
                .map_err(db("claim a move"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn expired_moves(&self, now_millis: i64) -> Result<Vec<StorageMove>> {
                let sql = format!(
                    "SELECT {MOVE_COLUMNS} FROM storage_moves WHERE state = 'started' AND lease_until_millis < $1 \
                     ORDER BY id"
                );
                sqlx::query_as::<_, StorageMove>(&sql)
                    .bind(now_millis)
                    .fetch_all(self.pool())
                    .await
                    .map_err(db("list expired moves"))
            }

            async fn live_near(&self, near: &Near<'_>) -> Result<Vec<LiveLocation>> {
                let (lower, upper) = below_range(near.location);
                let (db_name, table) = near.exclude.map_or((None, None), |(d, t)| (Some(d), t));
                <$store>::bind_ancestors(
                    sqlx::query_as::<_, LiveLocation>(<$store>::near_sql())
                        .bind(near.location)
                        .bind(lower)
                        .bind(upper),
                    near.ancestors,
                )?
                .bind(db_name)
                .bind(table)
                .bind(near.limit)
                .fetch_all(self.pool())
                .await
                .map_err(db("live locations near a directory"))
            }

            async fn history_records_move(&self, from: &str, to: &str) -> Result<bool> {
                let found: Option<i64> = sqlx::query_scalar(<$store>::HISTORY_RECORDS_MOVE)
                .bind(to)
                .bind(from)
                .fetch_optional(self.pool())
                .await
                .map_err(db("look up a move in the history"))?;
                Ok(found.is_some())
            }

            async fn lock_name(&self, name: &str) -> Result<NameLock> {
                self.lock_name_impl(name).await
            }
        }
    };
}

move_store_impl!(PgStore);
move_store_impl!(SqliteStore);

type NearQuery<'q, DB> = sqlx::query::QueryAs<'q, DB, LiveLocation, <DB as sqlx::Database>::Arguments<'q>>;

static PG_NEAR_SQL: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| near_sql(" COLLATE \"C\"", "SELECT unnest($4::text[])"));
static SQLITE_NEAR_SQL: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| near_sql("", "SELECT value FROM json_each($4)"));

/// How long a call waits for the lock of a name on SQLite before failing.
const SQLITE_NAME_LOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

impl SqliteStore {
    /// SQLite: an exclusive lock on a file next to the database (`<db>.name-lock`), one for all
    /// names (SQLite serialises writes anyway), so servers sharing the file take turns. It is
    /// polled, not waited for, so no thread blocks; the lock goes with the file handle.
    async fn lock_name_impl(&self, name: &str) -> Result<NameLock> {
        let Some(path) = self.name_lock_file() else { return Ok(Box::new(())) };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| strata_core::CatalogError::Meta(format!("Unable to open {}: {e}", path.display())))?;
        let deadline = tokio::time::Instant::now() + SQLITE_NAME_LOCK_TIMEOUT;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Box::new(file)),
                Err(std::fs::TryLockError::WouldBlock) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                Err(e) => {
                    return Err(strata_core::CatalogError::Meta(format!(
                        "Timed out waiting for the lock of {name}: {e}"
                    )))
                }
            }
        }
    }
}

impl PgStore {
    async fn lock_name_impl(&self, name: &str) -> Result<NameLock> {
        self.lock_name_pg(name).await
    }

    fn near_sql() -> &'static str {
        PG_NEAR_SQL.as_str()
    }

    #[allow(clippy::unnecessary_wraps)]
    fn bind_ancestors<'q>(
        q: NearQuery<'q, sqlx::Postgres>,
        ancestors: &'q [String],
    ) -> Result<NearQuery<'q, sqlx::Postgres>> {
        Ok(q.bind(ancestors))
    }
}

impl SqliteStore {
    fn near_sql() -> &'static str {
        SQLITE_NEAR_SQL.as_str()
    }

    fn bind_ancestors<'q>(
        q: NearQuery<'q, sqlx::Sqlite>,
        ancestors: &'q [String],
    ) -> Result<NearQuery<'q, sqlx::Sqlite>> {
        Ok(q.bind(to_json(ancestors)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_values_numbers_two_binds_per_row_after_the_shared_ones() {
        assert_eq!(record_values(1), "($5, $6, $1, 'started', $2, $3, $4)");
        assert_eq!(record_values(2), "($5, $6, $1, 'started', $2, $3, $4), ($7, $8, $1, 'started', $2, $3, $4)");
    }

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
