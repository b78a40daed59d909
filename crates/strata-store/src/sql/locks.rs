//! HMS locks (`lock`, `check_lock`, `unlock`, `heartbeat`, `show_locks`): Hive's FIFO rule over
//! the `locks` table, lock requests serialised by the backend.

use strata_core::{lock::LockTarget, Result};

use crate::rows::LockRow;

/// `Meta` text of a lock request without components.
pub(crate) const EMPTY_LOCK_REQUEST: &str = "Lock request has no components";

/// Whether any of `request` conflicts with any of `earlier` (Hive's FIFO rule: a lock waits for
/// every earlier lock it conflicts with, acquired or waiting).
pub(crate) fn conflicts(request: &[LockTarget], earlier: &[LockRow]) -> Result<bool> {
    for row in earlier {
        let held = row.target()?;
        if request.iter().any(|target| target.conflicts_with(&held)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The locks aggregate for one backend (see [`crate::sql`]).
macro_rules! locks {
    ($store:ty) => {
        /// Locks (`crate::sql::locks`).
        mod locks {
            use strata_core::{
                error::msg,
                lock::{LockState, LockTarget},
                model::{LockInfo, LockRequest},
                CatalogError, Result,
            };

            use $crate::{
                api::{LockFilter, LockOutcome},
                dialect::{Conn, Dialect},
                errors::{db, internal},
                rows::{
                    lock_level_code, lock_state_code, lock_type_code, LockRow, LOCK_COLUMNS, STATE_ACQUIRED,
                    STATE_WAITING,
                },
                sql::locks::{conflicts, EMPTY_LOCK_REQUEST},
            };

            type D = $store;

            /// Remove locks outside transactions whose last heartbeat is older than `expire_before`.
            async fn expire_locks(conn: &mut Conn<D>, expire_before: i64) -> Result<()> {
                let expired = sqlx::query(
                    "DELETE FROM locks WHERE lock_id IN \
                     (SELECT lock_id FROM locks WHERE txn_id = 0 AND last_heartbeat_millis < $1)",
                )
                .bind(expire_before)
                .execute(conn)
                .await
                .map_err(db("expire locks"))?;
                if expired.rows_affected() > 0 {
                    tracing::debug!(rows = expired.rows_affected(), "expired lock components");
                }
                Ok(())
            }

            /// Locks with an id below `before` on any of the databases `targets` name.
            async fn earlier_locks(conn: &mut Conn<D>, targets: &[LockTarget], before: i64) -> Result<Vec<LockRow>> {
                let dbs: Vec<&str> = targets.iter().map(|t| t.db.as_str()).collect();
                sqlx::query_as::<_, LockRow>(&format!(
                    "SELECT {LOCK_COLUMNS} FROM locks WHERE db_name {} AND lock_id < $2 \
                     ORDER BY lock_id, component_index",
                    D::in_list("$1")
                ))
                .bind(D::list(&dbs)?)
                .bind(before)
                .fetch_all(conn)
                .await
                .map_err(db("earlier locks"))
            }

            pub(super) async fn lock(
                store: &D,
                request: &LockRequest,
                now_millis: i64,
                expire_before_millis: i64,
            ) -> Result<LockOutcome> {
                if request.components.is_empty() {
                    return Err(CatalogError::Meta(EMPTY_LOCK_REQUEST.to_string()));
                }
                let mut tx = store.begin_locks().await?;
                expire_locks(&mut tx, expire_before_millis).await?;
                let lock_id: i64 = sqlx::query_scalar(D::NEXT_LOCK_ID)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db("lock: next id"))?;
                let earlier = earlier_locks(&mut tx, &request.components, lock_id).await?;
                let state =
                    if conflicts(&request.components, &earlier)? { LockState::Waiting } else { LockState::Acquired };
                let acquired_at = (state == LockState::Acquired).then_some(now_millis);
                for (index, c) in request.components.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO locks (lock_id, component_index, lock_type, level, db_name, table_name, \
                         partition_name, state, txn_id, user_name, hostname, agent_info, last_heartbeat_millis, \
                         acquired_at_millis) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                    )
                    .bind(lock_id)
                    .bind(i32::try_from(index).map_err(|e| internal("lock: component index", e))?)
                    .bind(lock_type_code(c.lock_type))
                    .bind(lock_level_code(c.level))
                    .bind(&c.db)
                    .bind(&c.table)
                    .bind(&c.partition)
                    .bind(lock_state_code(state))
                    .bind(request.txn_id)
                    .bind(&request.user)
                    .bind(&request.hostname)
                    .bind(&request.agent_info)
                    .bind(now_millis)
                    .bind(acquired_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("lock: insert"))?;
                }
                tx.commit().await.map_err(db("lock: commit"))?;
                Ok(LockOutcome { lock_id, state })
            }

            pub(super) async fn check_lock(
                store: &D,
                lock_id: i64,
                now_millis: i64,
                expire_before_millis: i64,
            ) -> Result<LockOutcome> {
                let mut tx = store.begin_locks().await?;
                expire_locks(&mut tx, expire_before_millis).await?;
                let rows = sqlx::query_as::<_, LockRow>(&format!(
                    "SELECT {LOCK_COLUMNS} FROM locks WHERE lock_id = $1 ORDER BY component_index"
                ))
                .bind(lock_id)
                .fetch_all(&mut *tx)
                .await
                .map_err(db("check lock: read"))?;
                if rows.is_empty() {
                    // Keep the expiry done above: the answer is the same either way.
                    tx.commit().await.map_err(db("check lock: commit"))?;
                    return Err(CatalogError::NoSuchLock(msg::no_such_lock(lock_id)));
                }
                let mut state = LockState::Acquired;
                if rows.iter().any(|r| r.state == STATE_WAITING) {
                    let targets = rows.iter().map(LockRow::target).collect::<Result<Vec<_>>>()?;
                    let earlier = earlier_locks(&mut tx, &targets, lock_id).await?;
                    if conflicts(&targets, &earlier)? {
                        state = LockState::Waiting;
                    } else {
                        sqlx::query("UPDATE locks SET state = $2, acquired_at_millis = $3 WHERE lock_id = $1")
                            .bind(lock_id)
                            .bind(STATE_ACQUIRED)
                            .bind(now_millis)
                            .execute(&mut *tx)
                            .await
                            .map_err(db("check lock: acquire"))?;
                    }
                }
                sqlx::query("UPDATE locks SET last_heartbeat_millis = $2 WHERE lock_id = $1")
                    .bind(lock_id)
                    .bind(now_millis)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("check lock: heartbeat"))?;
                tx.commit().await.map_err(db("check lock: commit"))?;
                Ok(LockOutcome { lock_id, state })
            }

            pub(super) async fn unlock(store: &D, lock_id: i64) -> Result<()> {
                let deleted = sqlx::query("DELETE FROM locks WHERE lock_id = $1")
                    .bind(lock_id)
                    .execute(store.pool())
                    .await
                    .map_err(db("unlock"))?;
                if deleted.rows_affected() == 0 {
                    return Err(CatalogError::NoSuchLock(msg::no_such_lock(lock_id)));
                }
                Ok(())
            }

            pub(super) async fn heartbeat(store: &D, lock_id: i64, now_millis: i64) -> Result<()> {
                let updated = sqlx::query("UPDATE locks SET last_heartbeat_millis = $2 WHERE lock_id = $1")
                    .bind(lock_id)
                    .bind(now_millis)
                    .execute(store.pool())
                    .await
                    .map_err(db("heartbeat"))?;
                if updated.rows_affected() == 0 {
                    return Err(CatalogError::NoSuchLock(msg::no_such_lock(lock_id)));
                }
                Ok(())
            }

            pub(super) async fn show_locks(store: &D, filter: &LockFilter) -> Result<Vec<LockInfo>> {
                sqlx::query_as::<_, LockRow>(&format!(
                    "SELECT {LOCK_COLUMNS} FROM locks WHERE (CAST($1 AS TEXT) IS NULL OR db_name = $1) \
                     AND (CAST($2 AS TEXT) IS NULL OR table_name = $2) \
                     AND (CAST($3 AS TEXT) IS NULL OR partition_name = $3) \
                     ORDER BY lock_id, component_index"
                ))
                .bind(&filter.db)
                .bind(&filter.table)
                .bind(&filter.partition)
                .fetch_all(store.pool())
                .await
                .map_err(db("show locks"))?
                .into_iter()
                .map(LockRow::into_model)
                .collect()
            }
        }
    };
}
pub(crate) use locks;
