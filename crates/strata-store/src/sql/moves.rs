//! The journal of storage moves (`storage_moves`) and the lookup of live locations near a
//! directory about to move or be deleted. Name locks differ by backend (`Dialect::lock_name`).

/// Rows per insert statement (4 binds each, well under both backends' limits).
pub(crate) const RECORD_CHUNK: usize = 500;

/// Columns of [`StorageMove`](crate::api::moves::StorageMove).
pub(crate) const MOVE_COLUMNS: &str = "id, from_location, to_location, request_id, state, detail, started_millis, \
                                       finished_millis, server_id, lease_until_millis";

/// `($5, $6, $1, 'started', $2, $3, $4), ...` for `rows` moves.
pub(crate) fn record_values(rows: usize) -> String {
    (0..rows)
        .map(|i| format!("(${}, ${}, $1, 'started', $2, $3, $4)", 5 + 2 * i, 6 + 2 * i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The live-location lookup. `c` is the collation the location indexes use (PostgreSQL:
/// `COLLATE "C"`, so the prefix range is bytewise; SQLite compares bytes anyway), `ancestors`
/// the SQL of the list of ancestors (bound as `$4`). Binds: `$1` the location, `$2`/`$3` the
/// range below it, `$5`/`$6` the excluded database and table, `$7` the limit.
pub(crate) fn near_sql(c: &str, ancestors: &str) -> String {
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

/// The moves aggregate for one backend (see [`crate::sql`]).
macro_rules! moves {
    ($store:ty) => {
        /// Storage moves (`crate::sql::moves`).
        mod moves {
            use std::sync::LazyLock;

            use async_trait::async_trait;
            use strata_core::Result;

            use $crate::{
                api::moves::{below_range, LiveLocation, MoveStore, NameLock, Near, StorageMove},
                dialect::Dialect,
                errors::db,
                sql::moves::{near_sql, record_values, MOVE_COLUMNS, RECORD_CHUNK},
            };

            type D = $store;

            static NEAR_SQL: LazyLock<String> =
                LazyLock::new(|| near_sql(<D as Dialect>::LOCATION_COLLATION, &<D as Dialect>::text_rows("$4")));

            #[async_trait]
            impl MoveStore for D {
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
                            "INSERT INTO storage_moves (from_location, to_location, request_id, state, \
                             started_millis, server_id, lease_until_millis) VALUES {} RETURNING id",
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
                            "UPDATE storage_moves SET state = $1, detail = $2, finished_millis = $3 \
                             WHERE id IN ({list})"
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
                            "SELECT {MOVE_COLUMNS} FROM storage_moves WHERE state = 'started' \
                             AND started_millis < $1 ORDER BY id"
                        )
                    };
                    let mut q = sqlx::query_as::<_, StorageMove>(&sql);
                    if !all {
                        q = q.bind(started_before_millis);
                    }
                    q.fetch_all(self.pool()).await.map_err(db("list moves"))
                }

                async fn renew_move_leases(
                    &self,
                    server_id: &str,
                    ids: &[i64],
                    lease_until_millis: i64,
                ) -> Result<u64> {
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
                        "SELECT {MOVE_COLUMNS} FROM storage_moves WHERE state = 'started' \
                         AND lease_until_millis < $1 ORDER BY id"
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
                    sqlx::query_as::<_, LiveLocation>(NEAR_SQL.as_str())
                        .bind(near.location)
                        .bind(lower)
                        .bind(upper)
                        .bind(D::list(near.ancestors)?)
                        .bind(db_name)
                        .bind(table)
                        .bind(near.limit)
                        .fetch_all(self.pool())
                        .await
                        .map_err(db("live locations near a directory"))
                }

                async fn history_records_move(&self, from: &str, to: &str) -> Result<bool> {
                    let found: Option<i64> = sqlx::query_scalar(D::HISTORY_RECORDS_MOVE)
                        .bind(to)
                        .bind(from)
                        .fetch_optional(self.pool())
                        .await
                        .map_err(db("look up a move in the history"))?;
                    Ok(found.is_some())
                }

                async fn lock_name(&self, name: &str) -> Result<NameLock> {
                    <D as Dialect>::lock_name(self, name).await
                }
            }
        }
    };
}
pub(crate) use moves;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_values_numbers_two_binds_per_row_after_the_shared_ones() {
        assert_eq!(record_values(1), "($5, $6, $1, 'started', $2, $3, $4)");
        assert_eq!(record_values(2), "($5, $6, $1, 'started', $2, $3, $4), ($7, $8, $1, 'started', $2, $3, $4)");
    }
}
