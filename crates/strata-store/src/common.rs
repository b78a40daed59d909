//! Pure helpers shared by both stores: row structs, JSON encodings of nested values, enum codes,
//! descriptor hashing and the mapping of constraint violations to domain errors.
//!
//! Row structs derive `sqlx::FromRow` generically, so one struct serves PostgreSQL and SQLite:
//! both decode `bigint`/`INTEGER` as `i64`, `integer` as `i32` and `boolean`/`0|1` as `bool`.

use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};
use strata_core::{
    lock::{LockLevel, LockState, LockTarget, LockType},
    model::{
        Database, FieldSchema, HistoryEntry, LockInfo, Params, PrincipalType, StorageDescriptor, Table, TableSummary,
    },
    time::EpochSeconds,
    CatalogError, Result,
};

// ------------------------------------------------------------------ errors

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

// ------------------------------------------------------------------ JSON

pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| internal("encode json", e))
}

pub(crate) fn from_json<T: DeserializeOwned>(what: &'static str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| internal(what, e))
}

/// The dedup key of a storage descriptor shape: hex SHA-256 of its JSON.
pub(crate) fn shape_hash(shape_json: &str) -> String {
    let digest = Sha256::digest(shape_json.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

// ------------------------------------------------------------------ enum codes

pub(crate) fn principal_code(p: PrincipalType) -> &'static str {
    match p {
        PrincipalType::User => "USER",
        PrincipalType::Role => "ROLE",
        PrincipalType::Group => "GROUP",
    }
}

pub(crate) fn principal_from_code(code: Option<&str>) -> Result<Option<PrincipalType>> {
    match code {
        None => Ok(None),
        Some("USER") => Ok(Some(PrincipalType::User)),
        Some("ROLE") => Ok(Some(PrincipalType::Role)),
        Some("GROUP") => Ok(Some(PrincipalType::Group)),
        Some(other) => Err(internal("decode principal type", other)),
    }
}

pub(crate) fn lock_type_code(t: LockType) -> &'static str {
    match t {
        LockType::SharedRead => "SHARED_READ",
        LockType::SharedWrite => "SHARED_WRITE",
        LockType::ExclWrite => "EXCL_WRITE",
        LockType::Exclusive => "EXCLUSIVE",
    }
}

fn lock_type_from_code(code: &str) -> Result<LockType> {
    Ok(match code {
        "SHARED_READ" => LockType::SharedRead,
        "SHARED_WRITE" => LockType::SharedWrite,
        "EXCL_WRITE" => LockType::ExclWrite,
        "EXCLUSIVE" => LockType::Exclusive,
        other => return Err(internal("decode lock type", other)),
    })
}

pub(crate) fn lock_level_code(l: LockLevel) -> &'static str {
    match l {
        LockLevel::Db => "DB",
        LockLevel::Table => "TABLE",
        LockLevel::Partition => "PARTITION",
    }
}

fn lock_level_from_code(code: &str) -> Result<LockLevel> {
    Ok(match code {
        "DB" => LockLevel::Db,
        "TABLE" => LockLevel::Table,
        "PARTITION" => LockLevel::Partition,
        other => return Err(internal("decode lock level", other)),
    })
}

pub(crate) const STATE_ACQUIRED: &str = "ACQUIRED";
pub(crate) const STATE_WAITING: &str = "WAITING";

pub(crate) fn lock_state_code(s: LockState) -> &'static str {
    match s {
        LockState::Acquired => STATE_ACQUIRED,
        LockState::Waiting => STATE_WAITING,
        LockState::Aborted => "ABORTED",
        LockState::NotAcquired => "NOT_ACQUIRED",
    }
}

fn lock_state_from_code(code: &str) -> Result<LockState> {
    Ok(match code {
        STATE_ACQUIRED => LockState::Acquired,
        STATE_WAITING => LockState::Waiting,
        "ABORTED" => LockState::Aborted,
        "NOT_ACQUIRED" => LockState::NotAcquired,
        other => return Err(internal("decode lock state", other)),
    })
}

// ------------------------------------------------------------------ rows

/// `databases` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DatabaseRow {
    pub name: String,
    pub description: Option<String>,
    pub location: String,
    pub managed_location: Option<String>,
    pub parameters: String,
    pub owner_name: Option<String>,
    pub owner_type: Option<String>,
    pub create_time: i32,
}

/// Columns of [`DatabaseRow`].
pub(crate) const DATABASE_COLUMNS: &str =
    "name, description, location, managed_location, parameters, owner_name, owner_type, create_time";

impl DatabaseRow {
    pub(crate) fn into_model(self) -> Result<Database> {
        Ok(Database {
            name: self.name,
            description: self.description,
            location: self.location,
            managed_location: self.managed_location,
            parameters: from_json("decode database parameters", &self.parameters)?,
            owner_name: self.owner_name,
            owner_type: principal_from_code(self.owner_type.as_deref())?,
            create_time: EpochSeconds(self.create_time),
        })
    }
}

/// A `tables` row joined with its database name and descriptor shape.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TableRow {
    pub id: i64,
    pub db_name: String,
    pub name: String,
    pub table_type: String,
    pub owner: Option<String>,
    pub owner_type: Option<String>,
    pub create_time: i32,
    pub last_access_time: i32,
    pub retention: i32,
    pub shape_json: String,
    pub location: Option<String>,
    pub partition_keys: String,
    pub parameters: String,
    pub view_original_text: Option<String>,
    pub view_expanded_text: Option<String>,
    pub temporary: bool,
    pub rewrite_enabled: Option<bool>,
}

/// Select list and joins of [`TableRow`]; append a `WHERE`/`ORDER BY`. Aliases: `t` (tables),
/// `d` (databases), `s` (storage descriptors).
pub(crate) const TABLE_SELECT: &str = "SELECT t.id, d.name AS db_name, t.name, t.table_type, t.owner, t.owner_type, \
     t.create_time, t.last_access_time, t.retention, s.shape_json, t.location, t.partition_keys, \
     t.parameters, t.view_original_text, t.view_expanded_text, t.temporary, t.rewrite_enabled \
     FROM tables t JOIN databases d ON d.id = t.db_id JOIN storage_descriptors s ON s.id = t.sd_id";

impl TableRow {
    pub(crate) fn into_model(self) -> Result<Table> {
        let mut sd: StorageDescriptor = from_json("decode storage descriptor", &self.shape_json)?;
        sd.location = self.location;
        let partition_keys: Vec<FieldSchema> = from_json("decode partition keys", &self.partition_keys)?;
        Ok(Table {
            db_name: self.db_name,
            name: self.name,
            owner: self.owner,
            owner_type: principal_from_code(self.owner_type.as_deref())?,
            create_time: EpochSeconds(self.create_time),
            last_access_time: EpochSeconds(self.last_access_time),
            retention: self.retention,
            sd,
            partition_keys,
            parameters: from_json("decode table parameters", &self.parameters)?,
            view_original_text: self.view_original_text,
            view_expanded_text: self.view_expanded_text,
            table_type: self.table_type,
            temporary: self.temporary,
            rewrite_enabled: self.rewrite_enabled,
            id: self.id,
        })
    }
}

/// The columns `list_tables` needs.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TableSummaryRow {
    pub name: String,
    pub table_type: String,
    pub owner: Option<String>,
    pub parameters: String,
}

impl TableSummaryRow {
    pub(crate) fn into_model(self, db: &str) -> Result<TableSummary> {
        let parameters: Params = from_json("decode table parameters", &self.parameters)?;
        Ok(TableSummary {
            db_name: db.to_string(),
            name: self.name,
            table_type: self.table_type,
            comment: parameters.get("comment").cloned(),
            owner: self.owner,
        })
    }
}

/// The encoded columns of a table write, computed once for both backends.
pub(crate) struct TableColumns {
    pub shape_json: String,
    pub shape_hash: String,
    pub partition_keys: String,
    pub parameters: String,
    pub owner_type: Option<&'static str>,
}

impl TableColumns {
    pub(crate) fn of(table: &Table) -> Result<Self> {
        let shape_json = table.sd.shape_json();
        if shape_json.is_empty() {
            return Err(internal("encode storage descriptor", "empty encoding"));
        }
        Ok(Self {
            shape_hash: shape_hash(&shape_json),
            shape_json,
            partition_keys: to_json(&table.partition_keys)?,
            parameters: to_json(&table.parameters)?,
            owner_type: table.owner_type.map(principal_code),
        })
    }
}

/// `location_history` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct HistoryRow {
    pub id: i64,
    pub operation: String,
    pub db_name: String,
    pub table_name: String,
    pub partition_name: Option<String>,
    pub partition_values: Option<String>,
    pub batch_id: Option<String>,
    pub previous_location: Option<String>,
    pub new_location: Option<String>,
    pub actor: String,
    pub client_addr: String,
    pub request_id: String,
    pub at_millis: i64,
}

pub(crate) const HISTORY_COLUMNS: &str = "id, operation, db_name, table_name, partition_name, partition_values, \
     batch_id, previous_location, new_location, actor, client_addr, request_id, at_millis";

impl HistoryRow {
    pub(crate) fn into_model(self) -> Result<HistoryEntry> {
        let partition_values = match self.partition_values {
            Some(text) => Some(from_json("decode partition values", &text)?),
            None => None,
        };
        Ok(HistoryEntry {
            id: self.id,
            operation: self.operation,
            db_name: self.db_name,
            table_name: self.table_name,
            partition_name: self.partition_name,
            partition_values,
            batch_id: self.batch_id,
            previous_location: self.previous_location,
            new_location: self.new_location,
            actor: self.actor,
            client_addr: self.client_addr,
            request_id: self.request_id,
            at_millis: self.at_millis,
        })
    }
}

/// The changes a list of history entries is stored as (PostgreSQL's `history_changes`): runs of
/// consecutive entries that share what a change holds once (operation, table, actor, client,
/// request and time), at most `max` entries each, in order.
pub(crate) fn history_changes(entries: &[HistoryEntry], max: usize) -> impl Iterator<Item = &[HistoryEntry]> {
    let same_change = |a: &HistoryEntry, b: &HistoryEntry| {
        a.operation == b.operation
            && a.db_name == b.db_name
            && a.table_name == b.table_name
            && a.actor == b.actor
            && a.client_addr == b.client_addr
            && a.request_id == b.request_id
            && a.at_millis == b.at_millis
    };
    entries.chunk_by(move |a, b| same_change(a, b)).flat_map(move |run| run.chunks(max.max(1)))
}

/// `locks` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct LockRow {
    pub lock_id: i64,
    pub lock_type: String,
    pub level: String,
    pub db_name: String,
    pub table_name: Option<String>,
    pub partition_name: Option<String>,
    pub state: String,
    pub txn_id: i64,
    pub user_name: String,
    pub hostname: String,
    pub agent_info: Option<String>,
    pub last_heartbeat_millis: i64,
    pub acquired_at_millis: Option<i64>,
}

pub(crate) const LOCK_COLUMNS: &str = "lock_id, lock_type, level, db_name, table_name, partition_name, state, \
     txn_id, user_name, hostname, agent_info, last_heartbeat_millis, acquired_at_millis";

impl LockRow {
    pub(crate) fn target(&self) -> Result<LockTarget> {
        Ok(LockTarget {
            lock_type: lock_type_from_code(&self.lock_type)?,
            level: lock_level_from_code(&self.level)?,
            db: self.db_name.clone(),
            table: self.table_name.clone(),
            partition: self.partition_name.clone(),
        })
    }

    pub(crate) fn into_model(self) -> Result<LockInfo> {
        Ok(LockInfo {
            lock_id: self.lock_id,
            target: self.target()?,
            state: lock_state_from_code(&self.state)?,
            txn_id: self.txn_id,
            user: self.user_name,
            hostname: self.hostname,
            agent_info: self.agent_info,
            last_heartbeat_millis: self.last_heartbeat_millis,
            acquired_at_millis: self.acquired_at_millis,
        })
    }
}

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

/// `Meta` text of a lock request without components.
pub(crate) const EMPTY_LOCK_REQUEST: &str = "Lock request has no components";

// ------------------------------------------------------------------ dropped tables

/// Keep what a table is before it is dropped (`$1` database, `$2` table, `$3` now in ms);
/// returns `drop_id, table_id`, or no row if the table does not exist. Same SQL on both
/// backends.
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

/// Defines `keep_dropped_table(conn, db, name) -> Result<bool>` for one backend's connection
/// type: copy a table's definition and partition rows to `dropped_tables`/`dropped_partitions`
/// (for `strata undrop`) inside the drop's transaction; `false` if the table does not exist.
macro_rules! keep_dropped_table_fn {
    ($conn:ty) => {
        async fn keep_dropped_table(conn: &mut $conn, db_name: &str, name: &str) -> Result<bool> {
            let snapshot: Option<(i64, i64)> = sqlx::query_as($crate::common::SNAPSHOT_TABLE)
                .bind(db_name)
                .bind(name)
                .bind(strata_core::time::now_millis())
                .fetch_optional(&mut *conn)
                .await
                .map_err($crate::common::db("drop table: keep definition"))?;
            let Some((drop_id, table_id)) = snapshot else {
                return Ok(false);
            };
            sqlx::query($crate::common::SNAPSHOT_PARTITIONS)
                .bind(drop_id)
                .bind(table_id)
                .execute(&mut *conn)
                .await
                .map_err($crate::common::db("drop table: keep partitions"))?;
            Ok(true)
        }
    };
}
pub(crate) use keep_dropped_table_fn;

/// The latest dropped incarnation of a table, as a [`TableRow`] whose `id` is the drop id.
pub(crate) const DROPPED_TABLE_SELECT: &str = "SELECT t.drop_id AS id, t.db_name, t.name, t.table_type, t.owner, \
     t.owner_type, t.create_time, t.last_access_time, t.retention, s.shape_json, t.location, t.partition_keys, \
     t.parameters, t.view_original_text, t.view_expanded_text, t.temporary, t.rewrite_enabled \
     FROM dropped_tables t JOIN storage_descriptors s ON s.id = t.sd_id \
     WHERE t.db_name = $1 AND t.name = $2 ORDER BY t.drop_id DESC LIMIT 1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_hash_is_hex_sha256() {
        assert_eq!(shape_hash("").len(), 64);
        assert_eq!(shape_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn history_is_grouped_into_changes_in_order() {
        let entry = |op: &str, table: &str, at: i64, part: &str| HistoryEntry {
            operation: op.into(),
            db_name: "db".into(),
            table_name: table.into(),
            partition_name: Some(part.into()),
            request_id: "r1".into(),
            at_millis: at,
            ..HistoryEntry::default()
        };
        let entries = vec![
            entry("alter", "t", 1, "a"),
            entry("alter", "t", 1, "b"),
            entry("alter", "t", 1, "c"),
            entry("drop", "t", 1, "d"),
            entry("alter", "t", 1, "e"),
            entry("alter", "u", 1, "f"),
            entry("alter", "u", 2, "g"),
        ];
        let names = |max| {
            history_changes(&entries, max)
                .map(|c| c.iter().map(|e| e.partition_name.clone().unwrap()).collect::<String>())
                .collect::<Vec<_>>()
        };
        // A change never mixes operations, tables or times, and the order is kept.
        assert_eq!(names(1000), ["abc", "d", "e", "f", "g"]);
        // Long runs are cut at `max`.
        assert_eq!(names(2), ["ab", "c", "d", "e", "f", "g"]);
        assert_eq!(names(0), ["a", "b", "c", "d", "e", "f", "g"]);
        assert_eq!(history_changes(&[], 10).count(), 0);
        let mut other_request = entry("alter", "t", 1, "b");
        other_request.request_id = "r2".into();
        let split = [entry("alter", "t", 1, "a"), other_request];
        assert_eq!(history_changes(&split, 10).count(), 2);
    }

    #[test]
    fn prefixes_drop_trailing_slashes() {
        assert_eq!(relocation_prefixes("s3://b/t1/", "s3://b/t2"), Some(("s3://b/t1".into(), "s3://b/t2".into())));
        assert_eq!(relocation_prefixes("/", "x"), None);
    }
}
