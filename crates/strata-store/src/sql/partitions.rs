//! Partitions: writes in batches, reads through the filter pushdown of [`crate::partitions`].
//! The bulk writes (`Dialect::insert_partitions`, `insert_key_values`, `update_partitions`),
//! the batch policy's lookups and paged listings differ by backend; the rest is here.

/// The partitions aggregate for one backend (see [`crate::sql`]).
macro_rules! partitions {
    ($store:ty) => {
        /// Partitions (`crate::sql::partitions`).
        pub(crate) mod partitions {
            use std::collections::{HashMap, HashSet};

            use strata_core::{
                model::{HistoryEntry, Partition},
                Result,
            };

            use $crate::{
                api::{PartitionQuery, Placement},
                dialect::{row_lock, Conn, Dialect, PartitionUpdate},
                errors::{db, internal, violates, PARTITIONS_TABLE_ID_PART_NAME_KEY},
                partitions::{self as part, Batch},
                rows::{self, PartRow, Shapes, PART_COLUMNS},
            };

            type D = $store;

            /// The id of the table whose partitions a call touches; `NoSuchObject` if absent.
            /// Writers take a key-share lock on the table row, so that the table cannot be
            /// dropped under them.
            pub(crate) async fn partition_table_id(
                conn: &mut Conn<D>,
                db_name: &str,
                table: &str,
                write: bool,
            ) -> Result<i64> {
                let lock = if write { row_lock::<D>(" FOR KEY SHARE OF t") } else { "" };
                sqlx::query_scalar(&format!(
                    "SELECT t.id FROM tables t JOIN databases d ON d.id = t.db_id \
                     WHERE d.name = $1 AND t.name = $2{lock}"
                ))
                .bind(db_name)
                .bind(table)
                .fetch_optional(conn)
                .await
                .map_err(db("partition table"))?
                .ok_or_else(|| part::no_table(db_name, table))
            }

            /// The named partitions of a table, by name; locked for update when `for_update`.
            async fn partitions_named(
                conn: &mut Conn<D>,
                table_id: i64,
                names: &[String],
                for_update: bool,
            ) -> Result<Vec<PartRow>> {
                let lock = if for_update { row_lock::<D>(" FOR UPDATE OF p") } else { "" };
                sqlx::query_as::<_, <D as Dialect>::PartRow>(&format!(
                    "SELECT {PART_COLUMNS} {}{lock}",
                    D::NAMED_PARTITIONS
                ))
                .bind(table_id)
                .bind(D::list(names)?)
                .fetch_all(conn)
                .await
                .map_err(db("read partitions"))?
                .into_iter()
                .map(D::part_row)
                .collect()
            }

            /// The id and placement of the named partitions of a table, locked for update.
            async fn placements_named(
                conn: &mut Conn<D>,
                table_id: i64,
                names: &[String],
            ) -> Result<HashMap<String, (i64, Placement)>> {
                let rows: Vec<(i64, String, Option<String>, i32)> = sqlx::query_as(&format!(
                    "SELECT p.id, p.part_name, p.location, p.create_time {}{}",
                    D::NAMED_PARTITIONS,
                    row_lock::<D>(" FOR UPDATE OF p")
                ))
                .bind(table_id)
                .bind(D::list(names)?)
                .fetch_all(conn)
                .await
                .map_err(db("read partitions"))?;
                Ok(part::placements(rows))
            }

            /// The descriptor shapes the rows use, one query for all.
            pub(crate) async fn load_shapes(conn: &mut Conn<D>, rows: &[PartRow]) -> Result<Shapes> {
                shapes_by_id(conn, &rows::shape_ids(rows)).await
            }

            /// The descriptors with these ids.
            pub(crate) async fn shapes_by_id(conn: &mut Conn<D>, ids: &[i64]) -> Result<Shapes> {
                if ids.is_empty() {
                    return Ok(Shapes::new());
                }
                let found: Vec<(i64, String)> = sqlx::query_as(&format!(
                    "SELECT id, shape_json FROM storage_descriptors WHERE id {}",
                    D::in_list("$1")
                ))
                .bind(D::list(ids)?)
                .fetch_all(conn)
                .await
                .map_err(db("read storage descriptors"))?;
                rows::decode_shapes(found)
            }

            /// The descriptor id of each distinct shape of a batch: one lookup of them all (the
            /// common case, shapes already stored), then an insert of each one missing.
            async fn intern_shapes(conn: &mut Conn<D>, batch: &Batch<'_>) -> Result<Vec<i64>> {
                let hashes: Vec<&str> = batch.shapes.iter().map(|s| s.hash.as_str()).collect();
                let stored: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(&format!(
                    "SELECT shape_hash, id FROM storage_descriptors WHERE shape_hash {}",
                    D::in_list("$1")
                ))
                .bind(D::list(&hashes)?)
                .fetch_all(&mut *conn)
                .await
                .map_err(db("look up storage descriptors"))?
                .into_iter()
                .collect();
                let mut ids = Vec::with_capacity(batch.shapes.len());
                for shape in &batch.shapes {
                    ids.push(match stored.get(&shape.hash) {
                        Some(&id) => id,
                        None => super::tables::intern_descriptor(conn, &shape.hash, &shape.json).await?,
                    });
                }
                Ok(ids)
            }

            /// The body of `add_partitions`, inside the caller's transaction.
            async fn add_partitions_tx(
                tx: &mut Conn<D>,
                db_name: &str,
                table: &str,
                parts: &[(String, Partition)],
                if_not_exists: bool,
                history: &[HistoryEntry],
            ) -> Result<Vec<usize>> {
                let table_id = partition_table_id(&mut *tx, db_name, table, true).await?;
                let mut seen = HashSet::with_capacity(parts.len());
                let mut unique = Vec::with_capacity(parts.len());
                for (name, partition) in parts {
                    if seen.insert(name.as_str()) {
                        unique.push((name.as_str(), partition));
                    } else if !if_not_exists {
                        return Err(part::already_exists(name));
                    }
                }
                let batch = part::prepare_batch(unique)?;
                let sd_ids = intern_shapes(&mut *tx, &batch).await?;

                // Insert what is new; a taken name (also by a concurrent add) is skipped.
                let mut ids: HashMap<String, i64> = HashMap::with_capacity(batch.rows.len());
                for chunk in batch.rows.chunks(D::PARTITION_CHUNK) {
                    let rows: Vec<(&str, &Partition, i64, &str)> =
                        chunk.iter().map(|r| (r.name, r.part, sd_ids[r.shape], r.parameters.as_str())).collect();
                    let inserted = D::insert_partitions(&mut *tx, table_id, &rows).await?;
                    ids.extend(inserted.into_iter().map(|(id, name)| (name, id)));
                }
                let skipped: Vec<&str> =
                    batch.rows.iter().filter(|r| !ids.contains_key(r.name)).map(|r| r.name).collect();
                if let (Some(first), false) = (skipped.first(), if_not_exists) {
                    return Err(part::already_exists(first));
                }
                let added: Vec<(i64, &[String])> = batch
                    .rows
                    .iter()
                    .filter_map(|r| ids.get(r.name).map(|id| (*id, r.part.values.as_slice())))
                    .collect();
                D::insert_key_values(&mut *tx, table_id, &added).await?;
                if skipped.is_empty() {
                    D::insert_history(&mut *tx, history).await?;
                } else {
                    D::insert_history(&mut *tx, &part::history_for_added(history, &skipped)).await?;
                }
                Ok(part::added_positions(parts, &ids))
            }

            /// The body of `drop_partitions`, inside the caller's transaction.
            async fn drop_partitions_tx(
                tx: &mut Conn<D>,
                db_name: &str,
                table: &str,
                names: &[String],
                history: &[HistoryEntry],
            ) -> Result<Vec<Partition>> {
                let table_id = partition_table_id(&mut *tx, db_name, table, true).await?;
                let rows = partitions_named(&mut *tx, table_id, names, true).await?;
                let shapes = load_shapes(&mut *tx, &rows).await?;
                let (ids, dropped) = part::dropped_in_request_order(rows, names, db_name, table, &shapes)?;
                for chunk in ids.chunks(D::DELETE_CHUNK) {
                    sqlx::query(&format!("DELETE FROM partitions WHERE id {}", D::in_list("$1")))
                        .bind(D::list(chunk)?)
                        .execute(&mut *tx)
                        .await
                        .map_err(db("drop partitions"))?;
                }
                D::insert_history(&mut *tx, history).await?;
                Ok(dropped)
            }

            pub(super) async fn add_partitions(
                store: &D,
                db_name: &str,
                table: &str,
                parts: &[(String, Partition)],
                if_not_exists: bool,
                history: &[HistoryEntry],
            ) -> Result<Vec<usize>> {
                let mut tx = store.begin_write().await?;
                let out = add_partitions_tx(&mut tx, db_name, table, parts, if_not_exists, history).await?;
                tx.commit().await.map_err(db("add partitions: commit"))?;
                Ok(out)
            }

            pub(super) async fn get_partitions_by_names(
                store: &D,
                db_name: &str,
                table: &str,
                names: &[String],
            ) -> Result<Vec<Partition>> {
                let mut tx = store.begin_read().await?;
                let table_id = partition_table_id(&mut tx, db_name, table, false).await?;
                if names.is_empty() {
                    return Ok(Vec::new());
                }
                let rows = partitions_named(&mut tx, table_id, names, false).await?;
                let shapes = load_shapes(&mut tx, &rows).await?;
                tx.commit().await.map_err(db("get partitions: commit"))?;
                rows::into_models(rows, &shapes, db_name, table)
            }

            pub(super) async fn list_partitions(
                store: &D,
                db_name: &str,
                table: &str,
                query: &PartitionQuery<'_>,
            ) -> Result<Vec<Partition>> {
                let mut tx = store.begin_read().await?;
                let table_id = partition_table_id(&mut tx, db_name, table, false).await?;
                let selection = part::select::<D>(query)?;
                let limit = selection.sql_limit(query.max);
                let sql = selection.sql(PART_COLUMNS, true, limit.is_some());
                let mut rows: Vec<PartRow> = sqlx::query_as_with::<_, <D as Dialect>::PartRow, _>(
                    &sql,
                    D::selection_args(table_id, &selection.binds, limit)?,
                )
                .persistent(query.filter.is_none())
                .fetch_all(&mut *tx)
                .await
                .map_err(db("list partitions"))?
                .into_iter()
                .map(D::part_row)
                .collect::<Result<_>>()?;
                if let Some(check) = &selection.recheck {
                    rows.retain(|r| check.matches(&r.values));
                }
                if let Some(max) = query.max {
                    rows.truncate(max);
                }
                let shapes = load_shapes(&mut tx, &rows).await?;
                tx.commit().await.map_err(db("list partitions: commit"))?;
                rows::into_models(rows, &shapes, db_name, table)
            }

            pub(super) async fn list_partition_names(
                store: &D,
                db_name: &str,
                table: &str,
                query: &PartitionQuery<'_>,
            ) -> Result<Vec<String>> {
                let mut tx = store.begin_read().await?;
                let table_id = partition_table_id(&mut tx, db_name, table, false).await?;
                let selection = part::select::<D>(query)?;
                let limit = selection.sql_limit(query.max);
                let mut names: Vec<String> = match &selection.recheck {
                    None => {
                        let sql = selection.sql("p.part_name", true, limit.is_some());
                        sqlx::query_scalar_with::<_, String, _>(
                            &sql,
                            D::selection_args(table_id, &selection.binds, limit)?,
                        )
                        .persistent(query.filter.is_none())
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db("list partition names"))?
                    }
                    Some(check) => {
                        let sql = selection.sql("p.part_name, p.part_values", true, false);
                        let rows = sqlx::query_as_with::<_, (String, <D as Dialect>::Values), _>(
                            &sql,
                            D::selection_args(table_id, &selection.binds, None)?,
                        )
                        .persistent(false)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db("list partition names"))?;
                        let mut names = Vec::new();
                        for (name, values) in rows {
                            if check.matches(&D::decode_values(values)?) {
                                names.push(name);
                            }
                        }
                        names
                    }
                };
                tx.commit().await.map_err(db("list partition names: commit"))?;
                if let Some(max) = query.max {
                    names.truncate(max);
                }
                Ok(names)
            }

            pub(super) async fn count_partitions(
                store: &D,
                db_name: &str,
                table: &str,
                query: &PartitionQuery<'_>,
            ) -> Result<i64> {
                let mut tx = store.begin_read().await?;
                let table_id = partition_table_id(&mut tx, db_name, table, false).await?;
                let selection = part::select::<D>(query)?;
                let count = match &selection.recheck {
                    None => {
                        let sql = selection.sql("count(*)", false, false);
                        sqlx::query_scalar_with::<_, i64, _>(&sql, D::selection_args(table_id, &selection.binds, None)?)
                            .persistent(query.filter.is_none())
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(db("count partitions"))?
                    }
                    Some(check) => {
                        let sql = selection.sql("p.part_values", false, false);
                        let rows = sqlx::query_scalar_with::<_, <D as Dialect>::Values, _>(
                            &sql,
                            D::selection_args(table_id, &selection.binds, None)?,
                        )
                        .persistent(false)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db("count partitions"))?;
                        let mut count = 0i64;
                        for values in rows {
                            count += i64::from(check.matches(&D::decode_values(values)?));
                        }
                        count
                    }
                };
                tx.commit().await.map_err(db("count partitions: commit"))?;
                Ok(count)
            }

            pub(super) async fn alter_partitions(
                store: &D,
                db_name: &str,
                table: &str,
                parts: &[(String, Partition)],
                history: Vec<HistoryEntry>,
                fresh_locations: bool,
            ) -> Result<Vec<Placement>> {
                let mut tx = store.begin_write().await?;
                let table_id = partition_table_id(&mut tx, db_name, table, true).await?;
                if fresh_locations {
                    // Serialise policy-checked swaps of one table (before any row lock is taken).
                    D::lock_table_swaps(&mut tx, table_id).await?;
                }
                let names: Vec<String> = parts.iter().map(|(name, _)| name.clone()).collect();
                let current = placements_named(&mut tx, table_id, &names).await?;
                if let Some((missing, _)) = parts.iter().find(|(name, _)| !current.contains_key(name)) {
                    return Err(part::not_found_for_alter(db_name, table, missing));
                }
                let history =
                    part::complete_swap_history(history, |name| current.get(name).map(|(_, p)| p.location.clone()));
                if fresh_locations {
                    // The batch policy's check of location swaps, under the transaction's locks.
                    let targets = part::swap_targets(&history);
                    if !targets.is_empty() {
                        let (live, past) = D::fresh_location_uses(&mut tx, table_id, db_name, table, &targets).await?;
                        part::check_fresh_locations(db_name, table, &history, &live, &past)?;
                    }
                }
                let batch = part::prepare_batch(parts.iter().map(|(name, partition)| (name.as_str(), partition)))?;
                let sd_ids = intern_shapes(&mut tx, &batch).await?;
                // One update per partition; when a name repeats, its last definition wins.
                let mut slot: HashMap<i64, usize> = HashMap::with_capacity(batch.rows.len());
                let mut rows: Vec<PartitionUpdate<'_>> = Vec::with_capacity(batch.rows.len());
                for r in &batch.rows {
                    let &(id, ref stored) = &current[r.name];
                    let row = PartitionUpdate {
                        id,
                        sd_id: sd_ids[r.shape],
                        location: stored.kept_location(r.part),
                        create_time: stored.create_time.0,
                        last_access_time: r.part.last_access_time.0,
                        parameters: r.parameters.as_str(),
                    };
                    let at = *slot.entry(id).or_insert(rows.len());
                    if at == rows.len() {
                        rows.push(row);
                    } else {
                        rows[at] = row;
                    }
                }
                D::update_partitions(&mut tx, &rows).await?;
                D::insert_history(&mut tx, &history).await?;
                tx.commit().await.map_err(db("alter partitions: commit"))?;
                Ok(parts.iter().map(|(name, _)| current[name].1.clone()).collect())
            }

            pub(super) async fn rename_partition(
                store: &D,
                db_name: &str,
                table: &str,
                old_name: &str,
                new_name: &str,
                new: &Partition,
                history: &[HistoryEntry],
            ) -> Result<()> {
                let mut tx = store.begin_write().await?;
                let table_id = partition_table_id(&mut tx, db_name, table, true).await?;
                let id: i64 = sqlx::query_scalar(&format!(
                    "SELECT id FROM partitions WHERE table_id = $1 AND part_name = $2{}",
                    row_lock::<D>(" FOR UPDATE")
                ))
                .bind(table_id)
                .bind(old_name)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("rename partition: read"))?
                .ok_or_else(|| part::doesnt_exist(old_name))?;
                let taken: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM partitions WHERE table_id = $1 AND part_name = $2")
                        .bind(table_id)
                        .bind(new_name)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db("rename partition: target"))?;
                if taken.is_some() {
                    return Err(part::already_exists(new_name));
                }
                let batch = part::prepare_batch([(new_name, new)])?;
                let sd_ids = intern_shapes(&mut tx, &batch).await?;
                sqlx::query(
                    "UPDATE partitions SET part_name = $2, part_values = $3, sd_id = $4, location = $5, \
                     create_time = $6, last_access_time = $7, parameters = $8 WHERE id = $1",
                )
                .bind(id)
                .bind(new_name)
                .bind(D::values(&new.values)?)
                .bind(sd_ids[0])
                .bind(&new.sd.location)
                .bind(new.create_time.0)
                .bind(new.last_access_time.0)
                .bind(&batch.rows[0].parameters)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    if violates(&e, PARTITIONS_TABLE_ID_PART_NAME_KEY) {
                        part::already_exists(new_name)
                    } else {
                        internal("rename partition", e)
                    }
                })?;
                sqlx::query("DELETE FROM partition_key_values WHERE partition_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("rename partition: key values"))?;
                D::insert_key_values(&mut tx, table_id, &[(id, new.values.as_slice())]).await?;
                D::insert_history(&mut tx, history).await?;
                tx.commit().await.map_err(db("rename partition: commit"))
            }

            pub(super) async fn drop_partitions(
                store: &D,
                db_name: &str,
                table: &str,
                names: &[String],
                history: &[HistoryEntry],
            ) -> Result<Vec<Partition>> {
                let mut tx = store.begin_write().await?;
                let out = drop_partitions_tx(&mut tx, db_name, table, names, history).await?;
                tx.commit().await.map_err(db("drop partitions: commit"))?;
                Ok(out)
            }

            pub(super) async fn exchange_partitions(
                store: &D,
                source: (&str, &str),
                dest: (&str, &str),
                parts: &[(String, Partition)],
                history: &[HistoryEntry],
            ) -> Result<Vec<Partition>> {
                let mut tx = store.begin_write().await?;
                let added = add_partitions_tx(&mut tx, dest.0, dest.1, parts, false, &[]).await?;
                let names: Vec<String> = parts.iter().map(|(name, _)| name.clone()).collect();
                drop_partitions_tx(&mut tx, source.0, source.1, &names, &[]).await?;
                D::insert_history(&mut tx, history).await?;
                tx.commit().await.map_err(db("exchange partitions: commit"))?;
                Ok(added.into_iter().map(|i| parts[i].1.clone()).collect())
            }
        }
    };
}
pub(crate) use partitions;
