//! Tables, their shared storage descriptors, and what a dropped table leaves for `strata undrop`.

/// Directory-prefix relocation: normalised `(old, new)` prefixes without trailing slashes, or
/// `None` when the old prefix is empty (nothing sensible to match).
pub(crate) fn relocation_prefixes(old: &str, new: &str) -> Option<(String, String)> {
    let old = old.trim_end_matches('/');
    if old.is_empty() {
        return None;
    }
    Some((old.to_string(), new.trim_end_matches('/').to_string()))
}

/// `InvalidOperation` text of a rename into a database that does not exist (HMS's
/// `HiveAlterHandler` wording).
pub(crate) fn rename_missing_database(db: &str) -> String {
    format!(
        "Unable to change partition or table. Database {db} does not exist Check metastore logs for detailed stack."
    )
}

/// The partitions of table `$1` whose location is prefix `$2` or lies below it (matched on path
/// boundaries, so `…/t1` does not match `…/t10/…`).
pub(crate) const RELOCATED_PARTITIONS: &str =
    "table_id = $1 AND (location = $2 OR substr(location, 1, length($2) + 1) = $2 || '/')";

/// Keep what a table is before it is dropped (`$1` database, `$2` table, `$3` now in ms);
/// returns `drop_id, table_id`, or no row if the table does not exist.
pub(crate) const SNAPSHOT_TABLE: &str = "INSERT INTO dropped_tables (table_id, db_name, name, table_type, owner, \
     owner_type, create_time, last_access_time, retention, sd_id, location, partition_keys, parameters, \
     view_original_text, view_expanded_text, temporary, rewrite_enabled, dropped_at_millis) \
     SELECT t.id, d.name, t.name, t.table_type, t.owner, t.owner_type, t.create_time, t.last_access_time, \
     t.retention, t.sd_id, t.location, t.partition_keys, t.parameters, t.view_original_text, \
     t.view_expanded_text, t.temporary, t.rewrite_enabled, $3 \
     FROM tables t JOIN databases d ON d.id = t.db_id WHERE d.name = $1 AND t.name = $2 \
     RETURNING drop_id, table_id";

/// Keep a dropped table's partitions (`$1` drop id, `$2` table id).
pub(crate) const SNAPSHOT_PARTITIONS: &str = "INSERT INTO dropped_partitions (drop_id, id, part_name, part_values, \
     sd_id, location, create_time, last_access_time, parameters) \
     SELECT $1, id, part_name, part_values, sd_id, location, create_time, last_access_time, parameters \
     FROM partitions WHERE table_id = $2";

/// The latest dropped incarnation of a table, as a `TableRow` whose `id` is the drop id.
pub(crate) const DROPPED_TABLE_SELECT: &str = "SELECT t.drop_id AS id, t.db_name, t.name, t.table_type, t.owner, \
     t.owner_type, t.create_time, t.last_access_time, t.retention, s.shape_json, t.location, t.partition_keys, \
     t.parameters, t.view_original_text, t.view_expanded_text, t.temporary, t.rewrite_enabled \
     FROM dropped_tables t JOIN storage_descriptors s ON s.id = t.sd_id \
     WHERE t.db_name = $1 AND t.name = $2 ORDER BY t.drop_id DESC LIMIT 1";

/// The tables aggregate for one backend (see [`crate::sql`]).
macro_rules! tables {
    ($store:ty) => {
        /// Tables (`crate::sql::tables`).
        mod tables {
            use strata_core::{
                error::msg,
                model::{HistoryOp, HistoryEntry, Params, Partition, Table, TableSummary},
                CatalogError, Result,
            };

            use $crate::{
                api::AlterTableOptions,
                dialect::{row_lock, Conn, Dialect},
                errors::{db, internal, violates, TABLES_DB_ID_FKEY, TABLES_DB_ID_NAME_KEY},
                rows::{from_json, PartRow, TableColumns, TableRow, TableSummaryRow, PART_COLUMNS, TABLE_SELECT},
                sql::tables::{
                    relocation_prefixes, rename_missing_database, DROPPED_TABLE_SELECT, RELOCATED_PARTITIONS,
                    SNAPSHOT_PARTITIONS, SNAPSHOT_TABLE,
                },
            };

            use super::databases::database_id;

            type D = $store;

            /// The id of the stored descriptor with this shape, inserting it when absent.
            /// Concurrent inserts of one shape: the loser's `ON CONFLICT` waits for the winner
            /// (PostgreSQL; SQLite's writers are serialised), then reads its row.
            pub(super) async fn intern_descriptor(
                conn: &mut Conn<D>,
                shape_hash: &str,
                shape_json: &str,
            ) -> Result<i64> {
                let inserted: Option<i64> = sqlx::query_scalar(&format!(
                    "INSERT INTO storage_descriptors (shape_hash, shape_json) VALUES ($1, $2) \
                     ON CONFLICT {} DO NOTHING RETURNING id",
                    D::SHAPE_HASH_CONFLICT
                ))
                .bind(shape_hash)
                .bind(shape_json)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db("insert storage descriptor"))?;
                if let Some(id) = inserted {
                    return Ok(id);
                }
                sqlx::query_scalar("SELECT id FROM storage_descriptors WHERE shape_hash = $1")
                    .bind(shape_hash)
                    .fetch_one(conn)
                    .await
                    .map_err(db("select storage descriptor"))
            }

            /// Copy a table's definition and partition rows to `dropped_tables` /
            /// `dropped_partitions` (for `strata undrop`) inside the drop's transaction;
            /// `false` if the table does not exist.
            pub(super) async fn keep_dropped_table(conn: &mut Conn<D>, db_name: &str, name: &str) -> Result<bool> {
                let snapshot: Option<(i64, i64)> = sqlx::query_as(SNAPSHOT_TABLE)
                    .bind(db_name)
                    .bind(name)
                    .bind(strata_core::time::now_millis())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db("drop table: keep definition"))?;
                let Some((drop_id, table_id)) = snapshot else {
                    return Ok(false);
                };
                sqlx::query(SNAPSHOT_PARTITIONS)
                    .bind(drop_id)
                    .bind(table_id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db("drop table: keep partitions"))?;
                Ok(true)
            }

            pub(super) async fn create_table(store: &D, table: &Table, history: &[HistoryEntry]) -> Result<i64> {
                let cols = TableColumns::of(table)?;
                let no_db = || CatalogError::NoSuchObject(msg::no_such_database(&table.db_name));
                let mut tx = store.begin_write().await?;
                let db_id = database_id(&mut tx, &table.db_name, false).await?.ok_or_else(no_db)?;
                let sd_id = intern_descriptor(&mut tx, &cols.shape_hash, &cols.shape_json).await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO tables (db_id, name, table_type, owner, owner_type, create_time, last_access_time, \
                     retention, sd_id, location, partition_keys, parameters, view_original_text, view_expanded_text, \
                     temporary, rewrite_enabled) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
                )
                .bind(db_id)
                .bind(&table.name)
                .bind(&table.table_type)
                .bind(&table.owner)
                .bind(cols.owner_type)
                .bind(table.create_time.0)
                .bind(table.last_access_time.0)
                .bind(table.retention)
                .bind(sd_id)
                .bind(&table.sd.location)
                .bind(&cols.partition_keys)
                .bind(&cols.parameters)
                .bind(&table.view_original_text)
                .bind(&table.view_expanded_text)
                .bind(table.temporary)
                .bind(table.rewrite_enabled)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| {
                    if violates(&e, TABLES_DB_ID_NAME_KEY) {
                        CatalogError::AlreadyExists(msg::table_exists(&table.name))
                    } else if violates(&e, TABLES_DB_ID_FKEY) {
                        no_db()
                    } else {
                        internal("create table", e)
                    }
                })?;
                D::insert_history(&mut tx, history).await?;
                tx.commit().await.map_err(db("create table: commit"))?;
                Ok(id)
            }

            pub(super) async fn get_table(store: &D, db_name: &str, name: &str) -> Result<Option<Table>> {
                sqlx::query_as::<_, TableRow>(&format!("{TABLE_SELECT} WHERE d.name = $1 AND t.name = $2"))
                    .bind(db_name)
                    .bind(name)
                    .fetch_optional(store.pool())
                    .await
                    .map_err(db("get table"))?
                    .map(TableRow::into_model)
                    .transpose()
            }

            pub(super) async fn get_tables(store: &D, db_name: &str, names: &[String]) -> Result<Vec<Table>> {
                if names.is_empty() {
                    return Ok(Vec::new());
                }
                sqlx::query_as::<_, TableRow>(&format!(
                    "{TABLE_SELECT} WHERE d.name = $1 AND t.name {} ORDER BY t.name",
                    D::in_list("$2")
                ))
                .bind(db_name)
                .bind(D::list(names)?)
                .fetch_all(store.pool())
                .await
                .map_err(db("get tables"))?
                .into_iter()
                .map(TableRow::into_model)
                .collect()
            }

            pub(super) async fn list_tables_full(store: &D, db_name: &str) -> Result<Vec<Table>> {
                sqlx::query_as::<_, TableRow>(&format!("{TABLE_SELECT} WHERE d.name = $1 ORDER BY t.name"))
                    .bind(db_name)
                    .fetch_all(store.pool())
                    .await
                    .map_err(db("list tables full"))?
                    .into_iter()
                    .map(TableRow::into_model)
                    .collect()
            }

            pub(super) async fn list_tables(store: &D, db_name: &str) -> Result<Vec<TableSummary>> {
                sqlx::query_as::<_, TableSummaryRow>(
                    "SELECT t.name, t.table_type, t.owner, t.parameters FROM tables t \
                     JOIN databases d ON d.id = t.db_id WHERE d.name = $1 ORDER BY t.name",
                )
                .bind(db_name)
                .fetch_all(store.pool())
                .await
                .map_err(db("list tables"))?
                .into_iter()
                .map(|row| row.into_model(db_name))
                .collect()
            }

            pub(super) async fn alter_table(
                store: &D,
                db_name: &str,
                name: &str,
                new: &Table,
                options: &AlterTableOptions,
            ) -> Result<()> {
                let cols = TableColumns::of(new)?;
                // SQLite: the write lock is held from here to commit, as good as a row lock.
                let mut tx = store.begin_write().await?;

                // -- lock the row and check what the change expects --
                let current: Option<(i64, i64, String)> = sqlx::query_as(&format!(
                    "SELECT t.id, t.db_id, t.parameters FROM tables t JOIN databases d ON d.id = t.db_id \
                     WHERE d.name = $1 AND t.name = $2{}",
                    row_lock::<D>(" FOR UPDATE OF t")
                ))
                .bind(db_name)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("alter table: lock"))?;
                let (table_id, db_id, current_params) =
                    current.ok_or_else(|| CatalogError::InvalidOperation(msg::alter_missing_table(db_name, name)))?;
                if let Some((key, expected)) = &options.expected_param {
                    if !new.parameters.contains_key(key) {
                        return Err(CatalogError::Meta(msg::cas_new_value_missing(key)));
                    }
                    let current_params: Params = from_json("decode table parameters", &current_params)?;
                    let current = current_params.get(key).map(String::as_str);
                    if current != Some(expected.as_str()) {
                        return Err(CatalogError::Meta(msg::cas_mismatch(key, current, expected)));
                    }
                }
                let renamed = new.db_name != db_name || new.name != name;
                let new_db_id = if new.db_name == db_name {
                    db_id
                } else {
                    database_id(&mut tx, &new.db_name, false)
                        .await?
                        .ok_or_else(|| CatalogError::InvalidOperation(rename_missing_database(&new.db_name)))?
                };
                if renamed {
                    let taken: Option<i64> =
                        sqlx::query_scalar("SELECT id FROM tables WHERE db_id = $1 AND name = $2")
                            .bind(new_db_id)
                            .bind(&new.name)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(db("alter table: target"))?;
                    if taken.is_some() {
                        return Err(CatalogError::InvalidOperation(msg::rename_target_exists(
                            &new.db_name,
                            &new.name,
                        )));
                    }
                }

                // -- write --
                let sd_id = intern_descriptor(&mut tx, &cols.shape_hash, &cols.shape_json).await?;
                sqlx::query(
                    "UPDATE tables SET db_id = $2, name = $3, table_type = $4, owner = $5, owner_type = $6, \
                     create_time = $7, last_access_time = $8, retention = $9, sd_id = $10, location = $11, \
                     partition_keys = $12, parameters = $13, view_original_text = $14, view_expanded_text = $15, \
                     temporary = $16, rewrite_enabled = $17 WHERE id = $1",
                )
                .bind(table_id)
                .bind(new_db_id)
                .bind(&new.name)
                .bind(&new.table_type)
                .bind(&new.owner)
                .bind(cols.owner_type)
                .bind(new.create_time.0)
                .bind(new.last_access_time.0)
                .bind(new.retention)
                .bind(sd_id)
                .bind(&new.sd.location)
                .bind(&cols.partition_keys)
                .bind(&cols.parameters)
                .bind(&new.view_original_text)
                .bind(&new.view_expanded_text)
                .bind(new.temporary)
                .bind(new.rewrite_enabled)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    if violates(&e, TABLES_DB_ID_NAME_KEY) {
                        CatalogError::InvalidOperation(msg::rename_target_exists(&new.db_name, &new.name))
                    } else {
                        internal("alter table", e)
                    }
                })?;
                D::insert_history(&mut tx, &options.history).await?;

                // -- move partitions with the table directory --
                if let Some((old, new_prefix)) = options
                    .relocate_partitions
                    .as_ref()
                    .and_then(|(old, new_prefix)| relocation_prefixes(old, new_prefix))
                {
                    if let Some(template) = options.history.first() {
                        // One entry per moved partition, in name order.
                        sqlx::query(&D::relocation_history(RELOCATED_PARTITIONS))
                            .bind(table_id)
                            .bind(&old)
                            .bind(&new_prefix)
                            .bind(HistoryOp::AlterPartition.as_str())
                            .bind(&new.db_name)
                            .bind(&new.name)
                            .bind(&template.actor)
                            .bind(&template.client_addr)
                            .bind(&template.request_id)
                            .bind(template.at_millis)
                            .execute(&mut *tx)
                            .await
                            .map_err(db("alter table: partition history"))?;
                    }
                    let moved = sqlx::query(&format!(
                        "UPDATE partitions SET location = $3 || substr(location, length($2) + 1) \
                         WHERE {RELOCATED_PARTITIONS}"
                    ))
                    .bind(table_id)
                    .bind(&old)
                    .bind(&new_prefix)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("alter table: relocate partitions"))?;
                    tracing::debug!(partitions = moved.rows_affected(), "relocated partitions");
                }
                tx.commit().await.map_err(db("alter table: commit"))?;
                Ok(())
            }

            pub(super) async fn drop_table(
                store: &D,
                db_name: &str,
                name: &str,
                history: &[HistoryEntry],
            ) -> Result<()> {
                let mut tx = store.begin_write().await?;
                if !keep_dropped_table(&mut tx, db_name, name).await? {
                    return Err(CatalogError::NoSuchObject(msg::table_doesnt_exist(name)));
                }
                let deleted: Option<i64> = sqlx::query_scalar(
                    "DELETE FROM tables WHERE db_id = (SELECT id FROM databases WHERE name = $1) AND name = $2 \
                     RETURNING id",
                )
                .bind(db_name)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("drop table"))?;
                if deleted.is_none() {
                    return Err(CatalogError::NoSuchObject(msg::table_doesnt_exist(name)));
                }
                D::insert_history(&mut tx, history).await?;
                tx.commit().await.map_err(db("drop table: commit"))?;
                Ok(())
            }

            pub(super) async fn dropped_table(
                store: &D,
                db_name: &str,
                name: &str,
            ) -> Result<Option<(Table, Vec<(String, Partition)>)>> {
                let mut conn = store.pool().acquire().await.map_err(db("dropped table: connect"))?;
                let Some(row) = sqlx::query_as::<_, TableRow>(DROPPED_TABLE_SELECT)
                    .bind(db_name)
                    .bind(name)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db("dropped table"))?
                else {
                    return Ok(None);
                };
                let drop_id = row.id;
                let table = row.into_model()?;
                let rows: Vec<PartRow> = sqlx::query_as::<_, <D as Dialect>::PartRow>(&format!(
                    "SELECT {PART_COLUMNS} FROM dropped_partitions p WHERE p.drop_id = $1 ORDER BY p.part_name"
                ))
                .bind(drop_id)
                .fetch_all(&mut *conn)
                .await
                .map_err(db("dropped partitions"))?
                .into_iter()
                .map(D::part_row)
                .collect::<Result<_>>()?;
                let shapes = super::partitions::load_shapes(&mut conn, &rows).await?;
                let parts = rows
                    .into_iter()
                    .map(|r| {
                        let name = r.part_name.clone();
                        let part = r.into_model(db_name, &table.name, &shapes)?;
                        Ok((name, part))
                    })
                    .collect::<Result<_>>()?;
                Ok(Some((table, parts)))
            }
        }
    };
}
pub(crate) use tables;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_drop_trailing_slashes() {
        assert_eq!(relocation_prefixes("s3://b/t1/", "s3://b/t2"), Some(("s3://b/t1".into(), "s3://b/t2".into())));
        assert_eq!(relocation_prefixes("/", "x"), None);
    }
}
