//! Rows both stores read and write: the row structs (deriving `sqlx::FromRow` generically, so
//! one struct serves PostgreSQL and SQLite: both decode `bigint`/`INTEGER` as `i64`, `integer`
//! as `i32` and `boolean`/`0|1` as `bool`), their column lists, the JSON encodings of nested
//! values, enum codes and descriptor hashing.

use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

use strata_core::{
    lock::{LockLevel, LockState, LockTarget, LockType},
    model::{
        Database, FieldSchema, HistoryEntry, HistoryOp, LockInfo, Params, Partition, PrincipalType, StorageDescriptor,
        Table, TableSummary,
    },
    time::EpochSeconds,
    CatalogError, Result,
};

use crate::errors::internal;

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
            operation: history_op(&self.operation)?,
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

// ------------------------------------------------------------------ partitions

/// A `partitions` row as both stores read it (values decoded).
#[derive(Debug)]
pub(crate) struct PartRow {
    pub id: i64,
    pub part_name: String,
    pub values: Vec<String>,
    pub sd_id: i64,
    pub location: Option<String>,
    pub create_time: i32,
    pub last_access_time: i32,
    pub parameters: String,
}

/// Columns of a [`PartRow`] (alias `p`), in its field order.
pub(crate) const PART_COLUMNS: &str =
    "p.id, p.part_name, p.part_values, p.sd_id, p.location, p.create_time, p.last_access_time, p.parameters";

/// Descriptor shapes by id, decoded once per call.
pub(crate) type Shapes = HashMap<i64, StorageDescriptor>;

/// The distinct descriptor ids of some rows (for one batched shape query).
pub(crate) fn shape_ids(rows: &[PartRow]) -> Vec<i64> {
    let mut ids: Vec<i64> = rows.iter().map(|r| r.sd_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Decode `(id, shape_json)` rows.
pub(crate) fn decode_shapes(rows: Vec<(i64, String)>) -> Result<Shapes> {
    rows.into_iter().map(|(id, json)| Ok((id, from_json("decode storage descriptor", &json)?))).collect()
}

/// The partitions of some rows, in their order (one exact allocation: a `Result` collect would
/// grow the list by doubling).
pub(crate) fn into_models(rows: Vec<PartRow>, shapes: &Shapes, db: &str, table: &str) -> Result<Vec<Partition>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(row.into_model(db, table, shapes)?);
    }
    Ok(out)
}

impl PartRow {
    pub(crate) fn into_model(self, db: &str, table: &str, shapes: &Shapes) -> Result<Partition> {
        let mut sd =
            shapes.get(&self.sd_id).cloned().ok_or_else(|| internal("partition descriptor", "missing shape"))?;
        sd.location = self.location;
        Ok(Partition {
            values: self.values,
            db_name: db.to_string(),
            table_name: table.to_string(),
            create_time: EpochSeconds(self.create_time),
            last_access_time: EpochSeconds(self.last_access_time),
            sd,
            parameters: from_json("decode partition parameters", &self.parameters)?,
        })
    }
}

/// A stored history operation name as its kind; an unknown name is a corrupt row.
pub(crate) fn history_op(name: &str) -> Result<HistoryOp> {
    HistoryOp::parse(name).ok_or_else(|| CatalogError::Meta(format!("unknown history operation '{name}' in the store")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_hash_is_hex_sha256() {
        assert_eq!(shape_hash("").len(), 64);
        assert_eq!(shape_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
