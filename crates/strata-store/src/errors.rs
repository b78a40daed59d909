//! Errors: the schema's named constraints and how a violation of one is recognised on either
//! backend, and the mapping of unexpected database errors to `Internal`.

use strata_core::CatalogError;

/// A named constraint of the schema. PostgreSQL reports violations by constraint name; SQLite
/// only by message (`UNIQUE constraint failed: t.a, t.b`, `FOREIGN KEY constraint failed`), so
/// each constraint also carries the text SQLite uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Constraint {
    /// The name in the migrations.
    pub name: &'static str,
    /// What SQLite's error message contains for it.
    pub sqlite_message: &'static str,
}

pub(crate) const DATABASES_NAME_KEY: Constraint =
    Constraint { name: "databases_name_key", sqlite_message: "UNIQUE constraint failed: databases.name" };
pub(crate) const TABLES_DB_ID_NAME_KEY: Constraint =
    Constraint { name: "tables_db_id_name_key", sqlite_message: "UNIQUE constraint failed: tables.db_id, tables.name" };
/// SQLite does not say which foreign key failed: only use it where one FK can fail.
pub(crate) const TABLES_DB_ID_FKEY: Constraint =
    Constraint { name: "tables_db_id_fkey", sqlite_message: "FOREIGN KEY constraint failed" };
pub(crate) const PARTITIONS_TABLE_ID_PART_NAME_KEY: Constraint = Constraint {
    name: "partitions_table_id_part_name_key",
    sqlite_message: "UNIQUE constraint failed: partitions.table_id, partitions.part_name",
};
pub(crate) const FUNCTIONS_DB_ID_NAME_KEY: Constraint = Constraint {
    name: "functions_db_id_name_key",
    sqlite_message: "UNIQUE constraint failed: functions.db_id, functions.name",
};

/// Whether `err` is a violation of `constraint`.
pub(crate) fn violates(err: &sqlx::Error, constraint: Constraint) -> bool {
    let Some(db_err) = err.as_database_error() else {
        return false;
    };
    match db_err.constraint() {
        Some(name) => name == constraint.name,
        None => db_err.message().contains(constraint.sqlite_message),
    }
}

/// An unexpected database error: logged, and returned as `Internal` (never shown to clients).
pub(crate) fn internal(context: &'static str, err: impl std::fmt::Display) -> CatalogError {
    tracing::debug!(context, error = %err, "store error");
    CatalogError::Internal(format!("{context}: {err}"))
}

/// `map_err` helper: `.map_err(db("create_table"))`.
pub(crate) fn db(context: &'static str) -> impl Fn(sqlx::Error) -> CatalogError {
    move |err| internal(context, err)
}
