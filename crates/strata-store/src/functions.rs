//! Permanent functions (`functions` table), for both backends.
//!
//! Names passed in are already normalised (lower-case) by the catalog. Each method is one
//! transaction.

use async_trait::async_trait;
use strata_core::{
    error::msg,
    model::{function_msg, Function, ResourceUri},
    time::EpochSeconds,
    CatalogError, Result,
};

use crate::{
    common::{db, from_json, principal_code, principal_from_code, to_json, violates, Constraint},
    postgres::PgStore,
    sqlite::SqliteStore,
};

/// The catalog's function persistence.
#[async_trait]
pub trait FunctionStore: Send + Sync {
    /// Create a function. `AlreadyExists(function_msg::exists)` if the name is taken in its
    /// database, `NoSuchObject(msg::no_such_database)` if the database is absent.
    async fn create_function(&self, function: &Function) -> Result<()>;
    /// A function, `None` if absent.
    async fn get_function(&self, db: &str, name: &str) -> Result<Option<Function>>;
    /// Functions of one database (`Some`) or of all (`None`), ordered by database and name.
    async fn list_functions(&self, db: Option<&str>) -> Result<Vec<Function>>;
    /// Replace function `db.name` with `new`, which may name another database or function (a
    /// rename). `NoSuchObject(function_msg::not_found)` if absent,
    /// `AlreadyExists(function_msg::exists)` if the new name is taken,
    /// `NoSuchObject(msg::no_such_database)` if the new database is absent.
    async fn alter_function(&self, db: &str, name: &str, new: &Function) -> Result<()>;
    /// Drop a function; returns it. `NoSuchObject(function_msg::not_found)` if absent.
    async fn drop_function(&self, db: &str, name: &str) -> Result<Function>;
}

const FUNCTIONS_DB_ID_NAME_KEY: Constraint = Constraint {
    name: "functions_db_id_name_key",
    sqlite_message: "UNIQUE constraint failed: functions.db_id, functions.name",
};

/// A `functions` row joined with its database name.
#[derive(Debug, sqlx::FromRow)]
struct FunctionRow {
    db_name: String,
    name: String,
    class_name: String,
    owner: Option<String>,
    owner_type: Option<String>,
    function_type: i32,
    create_time: i32,
    resource_uris: String,
}

const FUNCTION_SELECT: &str = "SELECT d.name AS db_name, f.name, f.class_name, f.owner, f.owner_type, \
     f.function_type, f.create_time, f.resource_uris FROM functions f JOIN databases d ON d.id = f.db_id";

impl FunctionRow {
    fn into_model(self) -> Result<Function> {
        let resource_uris: Vec<ResourceUri> = from_json("decode resource uris", &self.resource_uris)?;
        Ok(Function {
            db_name: self.db_name,
            name: self.name,
            class_name: self.class_name,
            owner_name: self.owner,
            owner_type: principal_from_code(self.owner_type.as_deref())?,
            create_time: EpochSeconds(self.create_time),
            function_type: self.function_type,
            resource_uris,
        })
    }
}

fn unique_violation(err: sqlx::Error, name: &str, context: &'static str) -> CatalogError {
    if violates(&err, FUNCTIONS_DB_ID_NAME_KEY) {
        CatalogError::AlreadyExists(function_msg::exists(name))
    } else {
        db(context)(err)
    }
}

/// The SQL is the same on both backends (`$n` placeholders work in SQLite too); only the
/// pool, the transaction start and the row lock differ, so one macro writes both impls.
macro_rules! function_store_impl {
    ($store:ty, $begin:expr, $for_update:literal) => {
        #[async_trait]
        impl FunctionStore for $store {
            async fn create_function(&self, f: &Function) -> Result<()> {
                let mut tx = $begin(self).await?;
                let db_id: Option<i64> = sqlx::query_scalar("SELECT id FROM databases WHERE name = $1")
                        .bind(&f.db_name)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db("create function: database"))?;
                let Some(db_id) = db_id else {
                    return Err(CatalogError::NoSuchObject(msg::no_such_database(&f.db_name)));
                };
                sqlx::query(
                    "INSERT INTO functions (db_id, name, class_name, owner, owner_type, function_type, create_time, \
                     resource_uris) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(db_id)
                .bind(&f.name)
                .bind(&f.class_name)
                .bind(&f.owner_name)
                .bind(f.owner_type.map(principal_code))
                .bind(f.function_type)
                .bind(f.create_time.0)
                .bind(to_json(&f.resource_uris)?)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation(e, &f.name, "create function"))?;
                tx.commit().await.map_err(db("create function: commit"))
            }

            async fn get_function(&self, db_name: &str, name: &str) -> Result<Option<Function>> {
                sqlx::query_as::<_, FunctionRow>(&format!("{FUNCTION_SELECT} WHERE d.name = $1 AND f.name = $2"))
                    .bind(db_name)
                    .bind(name)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(db("get function"))?
                    .map(FunctionRow::into_model)
                    .transpose()
            }

            async fn list_functions(&self, db_name: Option<&str>) -> Result<Vec<Function>> {
                sqlx::query_as::<_, FunctionRow>(&format!(
                    "{FUNCTION_SELECT} WHERE ($1 IS NULL OR d.name = $1) ORDER BY d.name, f.name"
                ))
                .bind(db_name)
                .fetch_all(self.pool())
                .await
                .map_err(db("list functions"))?
                .into_iter()
                .map(FunctionRow::into_model)
                .collect()
            }

            async fn alter_function(&self, db_name: &str, name: &str, new: &Function) -> Result<()> {
                let mut tx = $begin(self).await?;
                let id: Option<i64> = sqlx::query_scalar(concat!(
                    "SELECT f.id FROM functions f JOIN databases d ON d.id = f.db_id WHERE d.name = $1 AND f.name = $2",
                    $for_update
                ))
                .bind(db_name)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("alter function: select"))?;
                let Some(id) = id else {
                    return Err(CatalogError::NoSuchObject(function_msg::not_found(db_name, name)));
                };
                let new_db_id: Option<i64> = sqlx::query_scalar("SELECT id FROM databases WHERE name = $1")
                    .bind(&new.db_name)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db("alter function: database"))?;
                let Some(new_db_id) = new_db_id else {
                    return Err(CatalogError::NoSuchObject(msg::no_such_database(&new.db_name)));
                };
                sqlx::query(
                    "UPDATE functions SET db_id = $1, name = $2, class_name = $3, owner = $4, owner_type = $5, \
                     function_type = $6, create_time = $7, resource_uris = $8 WHERE id = $9",
                )
                .bind(new_db_id)
                .bind(&new.name)
                .bind(&new.class_name)
                .bind(&new.owner_name)
                .bind(new.owner_type.map(principal_code))
                .bind(new.function_type)
                .bind(new.create_time.0)
                .bind(to_json(&new.resource_uris)?)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_violation(e, &new.name, "alter function"))?;
                tx.commit().await.map_err(db("alter function: commit"))
            }

            async fn drop_function(&self, db_name: &str, name: &str) -> Result<Function> {
                let mut tx = $begin(self).await?;
                let row = sqlx::query_as::<_, FunctionRow>(&format!(
                    "{FUNCTION_SELECT} WHERE d.name = $1 AND f.name = $2{}",
                    $for_update
                ))
                .bind(db_name)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("drop function: select"))?;
                let Some(row) = row else {
                    return Err(CatalogError::NoSuchObject(function_msg::not_found(db_name, name)));
                };
                let function = row.into_model()?;
                sqlx::query(
                    "DELETE FROM functions WHERE name = $2 AND db_id = (SELECT id FROM databases WHERE name = $1)",
                )
                .bind(db_name)
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(db("drop function"))?;
                tx.commit().await.map_err(db("drop function: commit"))?;
                Ok(function)
            }
        }
    };
}

pub(crate) async fn begin_pg(store: &PgStore) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
    store.pool().begin().await.map_err(db("begin"))
}

/// A SQLite write transaction (takes the write lock at once, like the store's own writers).
pub(crate) async fn begin_sqlite(store: &SqliteStore) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    store.pool().begin_with("BEGIN IMMEDIATE").await.map_err(db("begin immediate"))
}

function_store_impl!(PgStore, begin_pg, " FOR UPDATE OF f");
function_store_impl!(SqliteStore, begin_sqlite, "");
