//! Databases, and the metastore's id.

/// The databases aggregate for one backend (see [`crate::sql`]).
macro_rules! databases {
    ($store:ty) => {
        /// Databases (`crate::sql::databases`).
        mod databases {
            use strata_core::{
                error::msg,
                model::{Database, HistoryEntry, Table},
                CatalogError, Result,
            };

            use $crate::{
                dialect::{row_lock, Conn, Dialect},
                errors::{db, internal, violates, DATABASES_NAME_KEY},
                rows::{principal_code, to_json, DatabaseRow, TableRow, DATABASE_COLUMNS, TABLE_SELECT},
            };

            type D = $store;

            /// A database's id, its row locked for update when `for_update` (so concurrent
            /// `create_table` calls wait: their FK check needs a key-share lock on it).
            pub(super) async fn database_id(conn: &mut Conn<D>, name: &str, for_update: bool) -> Result<Option<i64>> {
                let lock = if for_update { row_lock::<D>(" FOR UPDATE") } else { "" };
                sqlx::query_scalar(&format!("SELECT id FROM databases WHERE name = $1{lock}"))
                    .bind(name)
                    .fetch_optional(conn)
                    .await
                    .map_err(db("database id"))
            }

            pub(super) async fn metastore_uuid(store: &D) -> Result<String> {
                sqlx::query(
                    "INSERT INTO strata_meta (key, value) VALUES ('metastore_uuid', $1) ON CONFLICT (key) DO NOTHING",
                )
                .bind(uuid::Uuid::new_v4().to_string())
                .execute(store.pool())
                .await
                .map_err(db("make the metastore uuid"))?;
                sqlx::query_scalar("SELECT value FROM strata_meta WHERE key = 'metastore_uuid'")
                    .fetch_one(store.pool())
                    .await
                    .map_err(db("read the metastore uuid"))
            }

            pub(super) async fn create_database(store: &D, d: &Database) -> Result<()> {
                let parameters = to_json(&d.parameters)?;
                sqlx::query(
                    "INSERT INTO databases (name, description, location, managed_location, parameters, owner_name, \
                     owner_type, create_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&d.name)
                .bind(&d.description)
                .bind(&d.location)
                .bind(&d.managed_location)
                .bind(parameters)
                .bind(&d.owner_name)
                .bind(d.owner_type.map(principal_code))
                .bind(d.create_time.0)
                .execute(store.pool())
                .await
                .map_err(|e| {
                    if violates(&e, DATABASES_NAME_KEY) {
                        CatalogError::AlreadyExists(msg::database_exists(&d.name))
                    } else {
                        internal("create database", e)
                    }
                })?;
                Ok(())
            }

            pub(super) async fn get_database(store: &D, name: &str) -> Result<Option<Database>> {
                sqlx::query_as::<_, DatabaseRow>(&format!("SELECT {DATABASE_COLUMNS} FROM databases WHERE name = $1"))
                    .bind(name)
                    .fetch_optional(store.pool())
                    .await
                    .map_err(db("get database"))?
                    .map(DatabaseRow::into_model)
                    .transpose()
            }

            pub(super) async fn list_databases(store: &D) -> Result<Vec<String>> {
                sqlx::query_scalar("SELECT name FROM databases ORDER BY name")
                    .fetch_all(store.pool())
                    .await
                    .map_err(db("list databases"))
            }

            pub(super) async fn alter_database(store: &D, d: &Database) -> Result<()> {
                let parameters = to_json(&d.parameters)?;
                let updated = sqlx::query(
                    "UPDATE databases SET description = $2, location = $3, managed_location = $4, parameters = $5, \
                     owner_name = $6, owner_type = $7, create_time = $8 WHERE name = $1",
                )
                .bind(&d.name)
                .bind(&d.description)
                .bind(&d.location)
                .bind(&d.managed_location)
                .bind(parameters)
                .bind(&d.owner_name)
                .bind(d.owner_type.map(principal_code))
                .bind(d.create_time.0)
                .execute(store.pool())
                .await
                .map_err(db("alter database"))?;
                if updated.rows_affected() == 0 {
                    return Err(CatalogError::NoSuchObject(msg::no_such_database(&d.name)));
                }
                Ok(())
            }

            pub(super) async fn drop_database(
                store: &D,
                name: &str,
                cascade: bool,
                history: &[HistoryEntry],
            ) -> Result<Vec<Table>> {
                let mut tx = store.begin_write().await?;
                // The row lock makes concurrent create_table calls wait and then fail, so no
                // table is left behind (SQLite: the write lock does).
                let db_id = database_id(&mut tx, name, true)
                    .await?
                    .ok_or_else(|| CatalogError::NoSuchObject(msg::no_such_database(name)))?;
                let tables =
                    sqlx::query_as::<_, TableRow>(&format!("{TABLE_SELECT} WHERE t.db_id = $1 ORDER BY t.name"))
                        .bind(db_id)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db("drop database: tables"))?
                        .into_iter()
                        .map(TableRow::into_model)
                        .collect::<Result<Vec<_>>>()?;
                if !cascade {
                    if !tables.is_empty() {
                        return Err(CatalogError::InvalidOperation(msg::database_not_empty_tables(name)));
                    }
                    let functions: i64 = sqlx::query_scalar("SELECT count(*) FROM functions WHERE db_id = $1")
                        .bind(db_id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db("drop database: functions"))?;
                    if functions > 0 {
                        return Err(CatalogError::InvalidOperation(msg::database_not_empty_functions(name)));
                    }
                }
                // Each table's definition and partitions are kept, as for drop_table, so
                // `strata undrop` can bring a table back after its database was dropped.
                for t in &tables {
                    super::tables::keep_dropped_table(&mut tx, name, &t.name).await?;
                }
                for sql in [
                    "DELETE FROM functions WHERE db_id = $1",
                    // Partitions, their key values and column statistics go by ON DELETE CASCADE.
                    "DELETE FROM tables WHERE db_id = $1",
                    "DELETE FROM databases WHERE id = $1",
                ] {
                    sqlx::query(sql).bind(db_id).execute(&mut *tx).await.map_err(db("drop database"))?;
                }
                D::insert_history(&mut tx, history).await?;
                tx.commit().await.map_err(db("drop database: commit"))?;
                Ok(tables)
            }
        }
    };
}
pub(crate) use databases;
