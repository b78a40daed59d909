//! The journal of storage moves to and back from the retained area (`storage_moves`).
//!
//! A move is recorded as `started` before any data moves, and `done` or `undone` after. On S3 a
//! move is copy-then-delete, object by object, so a server that stops halfway leaves `started`
//! rows behind; `strata moves --resume` finishes or undoes them. The SQL is the same on both
//! backends, so one macro writes both impls.

use async_trait::async_trait;
use serde::Serialize;
use strata_core::Result;

use crate::{common::db, postgres::PgStore, sqlite::SqliteStore};

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
}

/// The catalog's move journal.
#[async_trait]
pub trait MoveStore: Send + Sync {
    /// Record moves `(from, to)` as started, in one transaction; returns their ids in the same
    /// order.
    async fn record_moves(&self, request_id: &str, moves: &[(String, String)], now_millis: i64) -> Result<Vec<i64>>;
    /// Close moves with `state` and `detail`.
    async fn finish_moves(&self, ids: &[i64], state: &str, detail: &str, now_millis: i64) -> Result<()>;
    /// Journalled moves, oldest first: only the open (`started`) ones recorded before
    /// `started_before_millis`, or with `all` every move.
    async fn list_moves(&self, all: bool, started_before_millis: i64) -> Result<Vec<StorageMove>>;
    /// Whether the history records a change from `from` to `to` (the change a move belonged to
    /// committed: its history row is written in the change's own transaction).
    async fn history_records_move(&self, from: &str, to: &str) -> Result<bool>;
}

/// Rows per insert statement (4 binds each, well under both backends' limits).
const RECORD_CHUNK: usize = 500;

const MOVE_COLUMNS: &str = "id, from_location, to_location, request_id, state, detail, started_millis, finished_millis";

/// `($3, $4, $1, 'started', $2), ($5, $6, $1, 'started', $2), ...` for `rows` moves.
fn record_values(rows: usize) -> String {
    (0..rows).map(|i| format!("(${}, ${}, $1, 'started', $2)", 3 + 2 * i, 4 + 2 * i)).collect::<Vec<_>>().join(", ")
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
            ) -> Result<Vec<i64>> {
                let mut tx = self.pool().begin().await.map_err(db("record moves: begin"))?;
                let mut ids = Vec::with_capacity(moves.len());
                for chunk in moves.chunks(RECORD_CHUNK) {
                    let sql = format!(
                        "INSERT INTO storage_moves (from_location, to_location, request_id, state, started_millis) \
                         VALUES {} RETURNING id",
                        record_values(chunk.len())
                    );
                    let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(request_id).bind(now_millis);
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

            async fn history_records_move(&self, from: &str, to: &str) -> Result<bool> {
                let found: Option<i64> = sqlx::query_scalar(<$store>::HISTORY_RECORDS_MOVE)
                .bind(to)
                .bind(from)
                .fetch_optional(self.pool())
                .await
                .map_err(db("look up a move in the history"))?;
                Ok(found.is_some())
            }
        }
    };
}

move_store_impl!(PgStore);
move_store_impl!(SqliteStore);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_values_numbers_two_binds_per_row_after_the_shared_ones() {
        assert_eq!(record_values(1), "($3, $4, $1, 'started', $2)");
        assert_eq!(record_values(2), "($3, $4, $1, 'started', $2), ($5, $6, $1, 'started', $2)");
    }
}
