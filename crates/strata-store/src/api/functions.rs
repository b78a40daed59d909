//! Permanent functions (`functions` table): what the catalog asks of the store.
//!
//! Names passed in are already normalised (lower-case) by the catalog. Each method is one
//! transaction.

use async_trait::async_trait;
use strata_core::{model::Function, Result};

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
