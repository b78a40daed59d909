//! Permanent functions (`functions` table).

use strata_core::{
    model::{Function, ResourceUri},
    time::EpochSeconds,
    Result,
};

use crate::rows::{from_json, principal_from_code};

/// A `functions` row joined with its database name.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct FunctionRow {
    db_name: String,
    name: String,
    class_name: String,
    owner: Option<String>,
    owner_type: Option<String>,
    function_type: i32,
    create_time: i32,
    resource_uris: String,
}

/// Select list and join of [`FunctionRow`]; aliases `f` (functions), `d` (databases).
pub(crate) const FUNCTION_SELECT: &str = "SELECT d.name AS db_name, f.name, f.class_name, f.owner, f.owner_type, \
     f.function_type, f.create_time, f.resource_uris FROM functions f JOIN databases d ON d.id = f.db_id";

impl FunctionRow {
    pub(crate) fn into_model(self) -> Result<Function> {
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

/// `AlreadyExists` for a taken function name, else an internal error.
pub(crate) fn unique_violation(err: sqlx::Error, name: &str, context: &'static str) -> strata_core::CatalogError {
    if crate::errors::violates(&err, crate::errors::FUNCTIONS_DB_ID_NAME_KEY) {
        strata_core::CatalogError::AlreadyExists(strata_core::model::function_msg::exists(name))
    } else {
        crate::errors::db(context)(err)
    }
}

/// The functions aggregate for one backend (see [`crate::sql`]).
macro_rules! functions {
    ($store:ty) => {
        /// Functions (`crate::sql::functions`).
        mod functions {
            use async_trait::async_trait;
            use strata_core::{
                error::msg,
                model::{function_msg, Function},
                CatalogError, Result,
            };

            use $crate::{
                api::functions::FunctionStore,
                dialect::{row_lock, Dialect},
                errors::db,
                rows::{principal_code, to_json},
                sql::functions::{unique_violation, FunctionRow, FUNCTION_SELECT},
            };

            type D = $store;

            #[async_trait]
            impl FunctionStore for D {
                async fn create_function(&self, f: &Function) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    let db_id: Option<i64> = sqlx::query_scalar("SELECT id FROM databases WHERE name = $1")
                        .bind(&f.db_name)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db("create function: database"))?;
                    let Some(db_id) = db_id else {
                        return Err(CatalogError::NoSuchObject(msg::no_such_database(&f.db_name)));
                    };
                    sqlx::query(
                        "INSERT INTO functions (db_id, name, class_name, owner, owner_type, function_type, \
                         create_time, resource_uris) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
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
                    let mut tx = self.begin_write().await?;
                    let id: Option<i64> = sqlx::query_scalar(&format!(
                        "SELECT f.id FROM functions f JOIN databases d ON d.id = f.db_id \
                         WHERE d.name = $1 AND f.name = $2{}",
                        row_lock::<D>(" FOR UPDATE OF f")
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
                    let mut tx = self.begin_write().await?;
                    let row = sqlx::query_as::<_, FunctionRow>(&format!(
                        "{FUNCTION_SELECT} WHERE d.name = $1 AND f.name = $2{}",
                        row_lock::<D>(" FOR UPDATE OF f")
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
        }
    };
}
pub(crate) use functions;
