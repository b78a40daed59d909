//! The SQLite store (embedded default).
//!
//! One file in WAL mode: readers never block, writers take the database's single write lock at
//! the start of their transaction (`BEGIN IMMEDIATE`), so a transaction never has to upgrade a
//! read lock (which is what fails with `SQLITE_BUSY`). Writers therefore run one at a time, which
//! is also what makes lock requests and compare-and-swap alters serialisable here.

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    str::FromStr,
    time::Duration,
};

use async_trait::async_trait;
use sqlx::{
    migrate::Migrator,
    sqlite::{SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    Arguments, Sqlite, SqliteConnection, SqlitePool, Transaction,
};
use strata_core::{
    error::msg,
    lock::{LockState, LockTarget},
    model::{Database, HistoryEntry, LockInfo, LockRequest, Params, Partition, Table, TableSummary},
    partname, CatalogError, Result,
};

use crate::{
    api::{AlterTableOptions, LockFilter, LockOutcome, PartitionPages, PartitionQuery, Placement, Store},
    common::{
        self, conflicts, db, from_json, internal, lock_level_code, lock_state_code, lock_type_code, principal_code,
        to_json, violates, DatabaseRow, HistoryRow, LockRow, TableColumns, TableRow, TableSummaryRow,
        DATABASES_NAME_KEY, DATABASE_COLUMNS, DROPPED_TABLE_SELECT, HISTORY_COLUMNS, LOCK_COLUMNS,
        PARTITIONS_TABLE_ID_PART_NAME_KEY, STATE_ACQUIRED, STATE_WAITING, TABLES_DB_ID_FKEY, TABLES_DB_ID_NAME_KEY,
        TABLE_SELECT,
    },
    conformance::ConformanceHooks,
    partitions::{self, Batch, Bind, Dialect, PartRow, Shapes, PART_COLUMNS},
};

static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/sqlite");

/// Most connections to the file (readers; writers queue on the write lock).
const MAX_CONNECTIONS: u32 = 8;
/// How long a writer waits for the write lock before failing with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a call waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite implementation of [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Whether a paged listing may hold a connection between pages (not with the single
    /// connection of an in-memory database: every other call would wait for it).
    pages: bool,
    /// The file whose lock is the name lock of every server on this database file
    /// ([`crate::moves::MoveStore::lock_name`]); none in memory.
    name_lock_file: Option<PathBuf>,
}

/// Where a `sqlite:` URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A private in-memory database (one connection, gone when the store is).
    Memory,
    /// A file.
    File(PathBuf),
}

/// Read `sqlite://<path>`, `sqlite:<path>` or `sqlite::memory:`; a `?query` is ignored.
/// `sqlite:///abs/file.db` is absolute, `sqlite://rel/file.db` relative to the working directory.
fn parse_url(url: &str) -> Result<Target> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| CatalogError::Meta(format!("not a sqlite URL: '{url}'")))?;
    let path = rest.split_once('?').map_or(rest, |(path, _)| path);
    match path {
        "" => Err(CatalogError::Meta(format!("sqlite URL without a path: '{url}'"))),
        ":memory:" => Ok(Target::Memory),
        path => Ok(Target::File(PathBuf::from(path))),
    }
}

impl SqliteStore {
    /// The id of a history row with new location `$1` and previous location `$2`, if any (a
    /// move's change committed).
    pub(crate) const HISTORY_RECORDS_MOVE: &'static str =
        "SELECT id FROM location_history WHERE new_location = $1 AND previous_location = $2 LIMIT 1";

    /// Open the database a `sqlite://<path>` URL names, creating the file and its directory when
    /// missing. Does not migrate. `sqlite::memory:` gives a private in-memory database.
    pub async fn connect(url: &str) -> Result<Self> {
        let target = parse_url(url)?;
        let (options, max_connections) = match &target {
            // sqlx names a fresh shared-cache database; keep one connection (idle-forever) on it.
            Target::Memory => {
                (SqliteConnectOptions::from_str("sqlite::memory:").map_err(|e| internal("sqlite options", e))?, 1)
            }
            Target::File(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    tokio::fs::create_dir_all(parent).await.map_err(|e| internal("create sqlite directory", e))?;
                }
                (SqliteConnectOptions::new().filename(path).create_if_missing(true), MAX_CONNECTIONS)
            }
        };
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Normal);
        let mut pool = SqlitePoolOptions::new().max_connections(max_connections).acquire_timeout(ACQUIRE_TIMEOUT);
        if target == Target::Memory {
            pool = pool.min_connections(1).idle_timeout(None).max_lifetime(None);
        }
        let pool = pool.connect_with(options).await.map_err(db("open sqlite"))?;
        let name_lock_file = match &target {
            Target::Memory => None,
            Target::File(path) => {
                let mut name = path.as_os_str().to_owned();
                name.push(".name-lock");
                Some(PathBuf::from(name))
            }
        };
        Ok(Self { pool, pages: max_connections > 1, name_lock_file })
    }

    /// The lock file of [`crate::moves::MoveStore::lock_name`], if the database is a file.
    pub(crate) fn name_lock_file(&self) -> Option<&std::path::Path> {
        self.name_lock_file.as_deref()
    }

    /// The newest migration this build has.
    pub(crate) fn latest_migration() -> i64 {
        MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// The connection pool (for tests and admin tools).
    #[must_use]
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Close every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction: takes the write lock now rather than on the first write.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db("begin immediate"))
    }
}

// ------------------------------------------------------------------ helpers (inside a transaction)

async fn database_id(conn: &mut SqliteConnection, name: &str) -> Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM databases WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await
        .map_err(db("database id"))
}

/// The id of the stored descriptor with this shape, inserting it when absent (writers are
/// serialised, so insert-then-select cannot race).
async fn intern_descriptor(conn: &mut SqliteConnection, shape_hash: &str, shape_json: &str) -> Result<i64> {
    sqlx::query(
        "INSERT INTO storage_descriptors (shape_hash, shape_json) VALUES ($1, $2) ON CONFLICT (shape_hash) DO NOTHING",
    )
    .bind(shape_hash)
    .bind(shape_json)
    .execute(&mut *conn)
    .await
    .map_err(db("insert storage descriptor"))?;
    sqlx::query_scalar("SELECT id FROM storage_descriptors WHERE shape_hash = $1")
        .bind(shape_hash)
        .fetch_one(conn)
        .await
        .map_err(db("select storage descriptor"))
}

async fn insert_history(conn: &mut SqliteConnection, entries: &[HistoryEntry]) -> Result<()> {
    crate::browse::count_history_rows(entries.len());
    const COLUMNS: usize = 12;
    for chunk in entries.chunks(SQLITE_HISTORY_CHUNK) {
        let sql = format!(
            "INSERT INTO location_history (operation, db_name, table_name, partition_name, partition_values, \
             batch_id, previous_location, new_location, actor, client_addr, request_id, at_millis) VALUES {}",
            placeholders(chunk.len(), COLUMNS)
        );
        let mut args = SqliteArguments::default();
        for e in chunk {
            let values = e.partition_values.as_ref().map(to_json).transpose()?;
            add(&mut args, e.operation.clone())?;
            add(&mut args, e.db_name.clone())?;
            add(&mut args, e.table_name.clone())?;
            add(&mut args, e.partition_name.clone())?;
            add(&mut args, values)?;
            add(&mut args, e.batch_id.clone())?;
            add(&mut args, e.previous_location.clone())?;
            add(&mut args, e.new_location.clone())?;
            add(&mut args, e.actor.clone())?;
            add(&mut args, e.client_addr.clone())?;
            add(&mut args, e.request_id.clone())?;
            add(&mut args, e.at_millis)?;
        }
        sqlx::query_with(&sql, args).execute(&mut *conn).await.map_err(db("insert history"))?;
    }
    Ok(())
}

/// Remove locks outside transactions whose last heartbeat is older than `expire_before`.
async fn expire_locks(conn: &mut SqliteConnection, expire_before: i64) -> Result<()> {
    let expired = sqlx::query(
        "DELETE FROM locks WHERE lock_id IN \
         (SELECT lock_id FROM locks WHERE txn_id = 0 AND last_heartbeat_millis < $1)",
    )
    .bind(expire_before)
    .execute(conn)
    .await
    .map_err(db("expire locks"))?;
    if expired.rows_affected() > 0 {
        tracing::debug!(rows = expired.rows_affected(), "expired lock components");
    }
    Ok(())
}

/// Locks with an id below `before` on any of the databases `targets` name.
async fn earlier_locks(conn: &mut SqliteConnection, targets: &[LockTarget], before: i64) -> Result<Vec<LockRow>> {
    let dbs: Vec<&str> = targets.iter().map(|t| t.db.as_str()).collect();
    sqlx::query_as::<_, LockRow>(&format!(
        "SELECT {LOCK_COLUMNS} FROM locks WHERE db_name IN (SELECT value FROM json_each($1)) AND lock_id < $2 \
         ORDER BY lock_id, component_index"
    ))
    .bind(to_json(&dbs)?)
    .bind(before)
    .fetch_all(conn)
    .await
    .map_err(db("earlier locks"))
}

// ------------------------------------------------------------------ partitions (inside a transaction)

/// Partitions written per statement (8 parameters each).
const SQLITE_PART_CHUNK: usize = 1_000;
/// Key-value rows written per statement (6 parameters each).
const SQLITE_KV_CHUNK: usize = 2_500;
/// History rows written per statement (12 parameters each).
const SQLITE_HISTORY_CHUNK: usize = 1_000;

/// `(?, ?, …), (…)`: `rows` groups of `columns` anonymous parameters. Anonymous, because
/// SQLite looks numbered and named parameters up in a list, which is quadratic in big
/// statements.
fn placeholders(rows: usize, columns: usize) -> String {
    let row = format!("({})", vec!["?"; columns].join(", "));
    vec![row.as_str(); rows].join(", ")
}

/// Add one argument.
fn add<'q, T>(args: &mut SqliteArguments<'q>, value: T) -> Result<()>
where
    T: 'q + sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite>,
{
    args.add(value).map_err(|e| internal("bind", e))
}

/// A `partitions` row as SQLite returns it ([`PART_COLUMNS`]; values are a JSON array).
#[derive(Debug, sqlx::FromRow)]
struct SqlitePartRow {
    id: i64,
    part_name: String,
    part_values: String,
    sd_id: i64,
    location: Option<String>,
    create_time: i32,
    last_access_time: i32,
    parameters: String,
}

impl SqlitePartRow {
    fn decode(self) -> Result<PartRow> {
        Ok(PartRow {
            id: self.id,
            part_name: self.part_name,
            values: from_json("decode partition values", &self.part_values)?,
            sd_id: self.sd_id,
            location: self.location,
            create_time: self.create_time,
            last_access_time: self.last_access_time,
            parameters: self.parameters,
        })
    }
}

/// The id of the table whose partitions a call touches; `NoSuchObject` if absent.
async fn partition_table_id(conn: &mut SqliteConnection, db_name: &str, table: &str) -> Result<i64> {
    sqlx::query_scalar("SELECT t.id FROM tables t JOIN databases d ON d.id = t.db_id WHERE d.name = $1 AND t.name = $2")
        .bind(db_name)
        .bind(table)
        .fetch_optional(conn)
        .await
        .map_err(db("partition table"))?
        .ok_or_else(|| partitions::no_table(db_name, table))
}

/// The named partitions of a table, by name.
/// The batch policy's check of location swaps, inside the (serialised) write transaction.
async fn check_fresh_locations(
    conn: &mut SqliteConnection,
    table_id: i64,
    db_name: &str,
    table: &str,
    swaps: &[HistoryEntry],
) -> Result<()> {
    let targets = partitions::swap_targets(swaps);
    if targets.is_empty() {
        return Ok(());
    }
    let targets = to_json(&targets)?;
    let live: Vec<(String, String)> = sqlx::query_as(
        // `+table_id`: looked up on the location index (migration 0010), not by scanning the
        // table's partitions.
        "SELECT part_name, location FROM partitions WHERE +table_id = $1 \
         AND location IN (SELECT value FROM json_each($2))",
    )
    .bind(table_id)
    .bind(&targets)
    .fetch_all(&mut *conn)
    .await
    .map_err(db("alter partitions: live locations"))?;
    let past: Vec<(Option<String>, String)> = sqlx::query_as(
        "SELECT partition_name, new_location FROM location_history \
         WHERE db_name = $1 AND table_name = $2 AND new_location IN (SELECT value FROM json_each($3))",
    )
    .bind(db_name)
    .bind(table)
    .bind(&targets)
    .fetch_all(&mut *conn)
    .await
    .map_err(db("alter partitions: past locations"))?;
    partitions::check_fresh_locations(db_name, table, swaps, &live, &past)
}

async fn partitions_named(conn: &mut SqliteConnection, table_id: i64, names: &[String]) -> Result<Vec<PartRow>> {
    sqlx::query_as::<_, SqlitePartRow>(&format!(
        "SELECT {PART_COLUMNS} FROM partitions p WHERE p.table_id = $1 \
         AND p.part_name IN (SELECT value FROM json_each($2)) ORDER BY p.part_name"
    ))
    .bind(table_id)
    .bind(to_json(names)?)
    .fetch_all(conn)
    .await
    .map_err(db("read partitions"))?
    .into_iter()
    .map(SqlitePartRow::decode)
    .collect()
}

/// The id and placement of the named partitions of a table.
async fn placements_named(
    conn: &mut SqliteConnection,
    table_id: i64,
    names: &[String],
) -> Result<HashMap<String, (i64, Placement)>> {
    let rows: Vec<(i64, String, Option<String>, i32)> = sqlx::query_as(
        "SELECT p.id, p.part_name, p.location, p.create_time FROM partitions p WHERE p.table_id = $1 \
         AND p.part_name IN (SELECT value FROM json_each($2))",
    )
    .bind(table_id)
    .bind(to_json(names)?)
    .fetch_all(conn)
    .await
    .map_err(db("read partitions"))?;
    Ok(partitions::placements(rows))
}

/// The descriptor shapes the rows use, one query for all.
async fn load_shapes(conn: &mut SqliteConnection, rows: &[PartRow]) -> Result<Shapes> {
    let ids = partitions::shape_ids(rows);
    if ids.is_empty() {
        return Ok(Shapes::new());
    }
    let found: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, shape_json FROM storage_descriptors WHERE id IN (SELECT value FROM json_each($1))")
            .bind(to_json(&ids)?)
            .fetch_all(conn)
            .await
            .map_err(db("read storage descriptors"))?;
    partitions::decode_shapes(found)
}

crate::common::keep_dropped_table_fn!(SqliteConnection);

/// The descriptor id of each distinct shape of a batch.
async fn intern_shapes(conn: &mut SqliteConnection, batch: &Batch<'_>) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(batch.shapes.len());
    for shape in &batch.shapes {
        ids.push(intern_descriptor(conn, &shape.hash, &shape.json).await?);
    }
    Ok(ids)
}

/// Write the key-value rows of partitions `(id, values)`.
async fn insert_key_values<'a>(
    conn: &mut SqliteConnection,
    table_id: i64,
    parts: impl IntoIterator<Item = (i64, &'a [String])>,
) -> Result<()> {
    let mut rows = Vec::new();
    for (id, values) in parts {
        rows.extend(partitions::key_values(values)?.into_iter().map(|kv| (id, kv)));
    }
    for chunk in rows.chunks(SQLITE_KV_CHUNK) {
        let sql = format!(
            "INSERT INTO partition_key_values (partition_id, table_id, key_index, value, int_value, date_value) \
             VALUES {}",
            placeholders(chunk.len(), 6)
        );
        let mut args = SqliteArguments::default();
        for (id, kv) in chunk {
            add(&mut args, *id)?;
            add(&mut args, table_id)?;
            add(&mut args, kv.key_index)?;
            add(&mut args, kv.value.to_string())?;
            add(&mut args, kv.int_value)?;
            add(&mut args, kv.date_value)?;
        }
        sqlx::query_with(&sql, args).execute(&mut *conn).await.map_err(db("insert partition key values"))?;
    }
    Ok(())
}

/// A paged listing inside one read transaction: every page sees the snapshot of the count.
struct SqlitePages {
    tx: Option<sqlx::Transaction<'static, sqlx::Sqlite>>,
    table_id: i64,
    /// [`partitions::Selection::page_sql`] of the listing.
    sql: String,
    binds: Vec<Bind>,
    persistent: bool,
    /// The last name returned.
    after: String,
    total: usize,
    sent: usize,
    page: usize,
    db_name: String,
    table: String,
}

#[async_trait]
impl PartitionPages for SqlitePages {
    fn total(&self) -> usize {
        self.total
    }

    async fn next_page(&mut self) -> Result<Option<Vec<Partition>>> {
        let Some(tx) = self.tx.as_mut() else { return Ok(None) };
        let want = self.page.min(self.total - self.sent);
        if want == 0 {
            if let Some(tx) = self.tx.take() {
                tx.commit().await.map_err(db("list partitions: commit"))?;
            }
            return Ok(None);
        }
        let mut args = selection_args(self.table_id, &self.binds, None)?;
        add(&mut args, self.after.clone())?;
        add(&mut args, i64::try_from(want).unwrap_or(i64::MAX))?;
        let rows: Vec<PartRow> = sqlx::query_as_with::<_, SqlitePartRow, _>(&self.sql, args)
            .persistent(self.persistent)
            .fetch_all(&mut **tx)
            .await
            .map_err(db("list partitions"))?
            .into_iter()
            .map(SqlitePartRow::decode)
            .collect::<Result<_>>()?;
        if rows.len() != want {
            // The snapshot cannot change under the transaction; fewer rows is a defect.
            return Err(internal("list partitions", format!("page of {} rows, expected {want}", rows.len())));
        }
        let shapes = load_shapes(tx, &rows).await?;
        if let Some(last) = rows.last() {
            self.after.clone_from(&last.part_name);
        }
        self.sent += rows.len();
        partitions::into_models(rows, &shapes, &self.db_name, &self.table).map(Some)
    }
}

/// Arguments `$1 = table id`, then a selection's binds, then the limit if any.
fn selection_args(table_id: i64, binds: &[Bind], limit: Option<i64>) -> Result<SqliteArguments<'static>> {
    let mut args = SqliteArguments::default();
    add(&mut args, table_id)?;
    for b in binds {
        match b {
            Bind::Text(s) => add(&mut args, s.clone())?,
            Bind::Int(n) => add(&mut args, *n)?,
            Bind::Int4(n) => add(&mut args, *n)?,
            Bind::Texts(_) | Bind::Ints(_) | Bind::Int4s(_) => {
                return Err(internal("bind partition query", "arrays are PostgreSQL only"))
            }
        }
    }
    if let Some(limit) = limit {
        add(&mut args, limit)?;
    }
    Ok(args)
}

// ------------------------------------------------------------------ the trait

/// The body of `add_partitions`, inside the caller's transaction.
async fn add_partitions_tx(
    tx: &mut SqliteConnection,
    db_name: &str,
    table: &str,
    parts: &[(String, Partition)],
    if_not_exists: bool,
    history: &[HistoryEntry],
) -> Result<Vec<usize>> {
    let table_id = partition_table_id(&mut *tx, db_name, table).await?;
    let mut seen = HashSet::with_capacity(parts.len());
    let mut unique = Vec::with_capacity(parts.len());
    for (name, part) in parts {
        if seen.insert(name.as_str()) {
            unique.push((name.as_str(), part));
        } else if !if_not_exists {
            return Err(partitions::already_exists(name));
        }
    }
    let batch = partitions::prepare_batch(unique)?;
    let sd_ids = intern_shapes(&mut *tx, &batch).await?;

    let mut ids: HashMap<String, i64> = HashMap::with_capacity(batch.rows.len());
    for chunk in batch.rows.chunks(SQLITE_PART_CHUNK) {
        let sql = format!(
            "INSERT INTO partitions (table_id, part_name, part_values, sd_id, location, create_time, \
             last_access_time, parameters) VALUES {} \
             ON CONFLICT (table_id, part_name) DO NOTHING RETURNING id, part_name",
            placeholders(chunk.len(), 8)
        );
        let mut args = SqliteArguments::default();
        for r in chunk {
            add(&mut args, table_id)?;
            add(&mut args, r.name.to_string())?;
            add(&mut args, to_json(&r.part.values)?)?;
            add(&mut args, sd_ids[r.shape])?;
            add(&mut args, r.part.sd.location.clone())?;
            add(&mut args, r.part.create_time.0)?;
            add(&mut args, r.part.last_access_time.0)?;
            add(&mut args, r.parameters.clone())?;
        }
        let inserted: Vec<(i64, String)> =
            sqlx::query_as_with(&sql, args).fetch_all(&mut *tx).await.map_err(db("add partitions"))?;
        ids.extend(inserted.into_iter().map(|(id, name)| (name, id)));
    }
    let skipped: Vec<&str> = batch.rows.iter().filter(|r| !ids.contains_key(r.name)).map(|r| r.name).collect();
    if let (Some(first), false) = (skipped.first(), if_not_exists) {
        return Err(partitions::already_exists(first));
    }
    let added: Vec<(i64, &Partition)> =
        batch.rows.iter().filter_map(|r| ids.get(r.name).map(|id| (*id, r.part))).collect();
    insert_key_values(&mut *tx, table_id, added.iter().map(|(id, p)| (*id, p.values.as_slice()))).await?;
    if skipped.is_empty() {
        insert_history(&mut *tx, history).await?;
    } else {
        insert_history(&mut *tx, &partitions::history_for_added(history, &skipped)).await?;
    }
    Ok(partitions::added_positions(parts, &ids))
}

/// The body of `drop_partitions`, inside the caller's transaction.
async fn drop_partitions_tx(
    tx: &mut SqliteConnection,
    db_name: &str,
    table: &str,
    names: &[String],
    history: &[HistoryEntry],
) -> Result<Vec<Partition>> {
    let table_id = partition_table_id(&mut *tx, db_name, table).await?;
    let rows = partitions_named(&mut *tx, table_id, names).await?;
    let shapes = load_shapes(&mut *tx, &rows).await?;
    let (ids, dropped) = partitions::dropped_in_request_order(rows, names, db_name, table, &shapes)?;
    sqlx::query("DELETE FROM partitions WHERE id IN (SELECT value FROM json_each($1))")
        .bind(to_json(&ids)?)
        .execute(&mut *tx)
        .await
        .map_err(db("drop partitions"))?;
    insert_history(&mut *tx, history).await?;
    Ok(dropped)
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await.map_err(|e| internal("migrate sqlite", e))?;
        let mut conn = self.pool.acquire().await.map_err(db("migrate: acquire"))?;
        let changed = crate::canonical::rewrite_sqlite(&mut conn).await?;
        if changed > 0 {
            tracing::info!(rows = changed, "stored locations rewritten to their canonical form");
        }
        Ok(())
    }

    // ---- databases ----

    async fn create_database(&self, d: &Database) -> Result<()> {
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
        .execute(&self.pool)
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

    async fn metastore_uuid(&self) -> Result<String> {
        sqlx::query("INSERT INTO strata_meta (key, value) VALUES ('metastore_uuid', $1) ON CONFLICT (key) DO NOTHING")
            .bind(uuid::Uuid::new_v4().to_string())
            .execute(&self.pool)
            .await
            .map_err(db("make the metastore uuid"))?;
        sqlx::query_scalar("SELECT value FROM strata_meta WHERE key = 'metastore_uuid'")
            .fetch_one(&self.pool)
            .await
            .map_err(db("read the metastore uuid"))
    }

    async fn get_database(&self, name: &str) -> Result<Option<Database>> {
        sqlx::query_as::<_, DatabaseRow>(&format!("SELECT {DATABASE_COLUMNS} FROM databases WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("get database"))?
            .map(DatabaseRow::into_model)
            .transpose()
    }

    async fn list_databases(&self) -> Result<Vec<String>> {
        sqlx::query_scalar("SELECT name FROM databases ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(db("list databases"))
    }

    async fn alter_database(&self, d: &Database) -> Result<()> {
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
        .execute(&self.pool)
        .await
        .map_err(db("alter database"))?;
        if updated.rows_affected() == 0 {
            return Err(CatalogError::NoSuchObject(msg::no_such_database(&d.name)));
        }
        Ok(())
    }

    async fn drop_database(&self, name: &str, cascade: bool, history: &[HistoryEntry]) -> Result<Vec<Table>> {
        let mut tx = self.begin_write().await?;
        let db_id =
            database_id(&mut tx, name).await?.ok_or_else(|| CatalogError::NoSuchObject(msg::no_such_database(name)))?;
        let tables = sqlx::query_as::<_, TableRow>(&format!("{TABLE_SELECT} WHERE t.db_id = $1 ORDER BY t.name"))
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
            keep_dropped_table(&mut tx, name, &t.name).await?;
        }
        for sql in [
            "DELETE FROM functions WHERE db_id = $1",
            // Partitions, their key values and column statistics go by ON DELETE CASCADE.
            "DELETE FROM tables WHERE db_id = $1",
            "DELETE FROM databases WHERE id = $1",
        ] {
            sqlx::query(sql).bind(db_id).execute(&mut *tx).await.map_err(db("drop database"))?;
        }
        insert_history(&mut tx, history).await?;
        tx.commit().await.map_err(db("drop database: commit"))?;
        Ok(tables)
    }

    // ---- tables ----

    async fn create_table(&self, table: &Table, history: &[HistoryEntry]) -> Result<i64> {
        let cols = TableColumns::of(table)?;
        let no_db = || CatalogError::NoSuchObject(msg::no_such_database(&table.db_name));
        let mut tx = self.begin_write().await?;
        let db_id = database_id(&mut tx, &table.db_name).await?.ok_or_else(no_db)?;
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
        insert_history(&mut tx, history).await?;
        tx.commit().await.map_err(db("create table: commit"))?;
        Ok(id)
    }

    async fn get_table(&self, db_name: &str, name: &str) -> Result<Option<Table>> {
        sqlx::query_as::<_, TableRow>(&format!("{TABLE_SELECT} WHERE d.name = $1 AND t.name = $2"))
            .bind(db_name)
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("get table"))?
            .map(TableRow::into_model)
            .transpose()
    }

    async fn get_tables(&self, db_name: &str, names: &[String]) -> Result<Vec<Table>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query_as::<_, TableRow>(&format!(
            "{TABLE_SELECT} WHERE d.name = $1 AND t.name IN (SELECT value FROM json_each($2)) ORDER BY t.name"
        ))
        .bind(db_name)
        .bind(to_json(names)?)
        .fetch_all(&self.pool)
        .await
        .map_err(db("get tables"))?
        .into_iter()
        .map(TableRow::into_model)
        .collect()
    }

    async fn list_tables_full(&self, db_name: &str) -> Result<Vec<Table>> {
        sqlx::query_as::<_, TableRow>(&format!("{TABLE_SELECT} WHERE d.name = $1 ORDER BY t.name"))
            .bind(db_name)
            .fetch_all(&self.pool)
            .await
            .map_err(db("list tables full"))?
            .into_iter()
            .map(TableRow::into_model)
            .collect()
    }

    async fn list_tables(&self, db_name: &str) -> Result<Vec<TableSummary>> {
        sqlx::query_as::<_, TableSummaryRow>(
            "SELECT t.name, t.table_type, t.owner, t.parameters FROM tables t \
             JOIN databases d ON d.id = t.db_id WHERE d.name = $1 ORDER BY t.name",
        )
        .bind(db_name)
        .fetch_all(&self.pool)
        .await
        .map_err(db("list tables"))?
        .into_iter()
        .map(|row| row.into_model(db_name))
        .collect()
    }

    async fn alter_table(&self, db_name: &str, name: &str, new: &Table, options: &AlterTableOptions) -> Result<()> {
        let cols = TableColumns::of(new)?;
        // The write lock is held from here to commit: the read below is as good as a row lock.
        let mut tx = self.begin_write().await?;

        // -- read the row and check what the change expects --
        let current: Option<(i64, i64, String)> = sqlx::query_as(
            "SELECT t.id, t.db_id, t.parameters FROM tables t JOIN databases d ON d.id = t.db_id \
             WHERE d.name = $1 AND t.name = $2",
        )
        .bind(db_name)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db("alter table: read"))?;
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
            database_id(&mut tx, &new.db_name)
                .await?
                .ok_or_else(|| CatalogError::InvalidOperation(common::rename_missing_database(&new.db_name)))?
        };
        if renamed {
            let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM tables WHERE db_id = $1 AND name = $2")
                .bind(new_db_id)
                .bind(&new.name)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("alter table: target"))?;
            if taken.is_some() {
                return Err(CatalogError::InvalidOperation(msg::rename_target_exists(&new.db_name, &new.name)));
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
        insert_history(&mut tx, &options.history).await?;

        // -- move partitions with the table directory --
        if let Some((old, new_prefix)) = options
            .relocate_partitions
            .as_ref()
            .and_then(|(old, new_prefix)| common::relocation_prefixes(old, new_prefix))
        {
            const MATCH: &str = "table_id = $1 AND (location = $2 OR substr(location, 1, length($2) + 1) = $2 || '/')";
            if let Some(template) = options.history.first() {
                sqlx::query(&format!(
                    "INSERT INTO location_history (operation, db_name, table_name, partition_name, \
                     partition_values, previous_location, new_location, actor, client_addr, request_id, at_millis) \
                     SELECT $4, $5, $6, part_name, part_values, location, $3 || substr(location, length($2) + 1), \
                     $7, $8, $9, $10 FROM partitions WHERE {MATCH} ORDER BY part_name"
                ))
                .bind(table_id)
                .bind(&old)
                .bind(&new_prefix)
                .bind(strata_core::model::history_op::ALTER_PARTITION)
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
                "UPDATE partitions SET location = $3 || substr(location, length($2) + 1) WHERE {MATCH}"
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

    async fn drop_table(&self, db_name: &str, name: &str, history: &[HistoryEntry]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if !keep_dropped_table(&mut tx, db_name, name).await? {
            return Err(CatalogError::NoSuchObject(msg::table_doesnt_exist(name)));
        }
        let deleted: Option<i64> = sqlx::query_scalar(
            "DELETE FROM tables WHERE db_id = (SELECT id FROM databases WHERE name = $1) AND name = $2 RETURNING id",
        )
        .bind(db_name)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db("drop table"))?;
        if deleted.is_none() {
            return Err(CatalogError::NoSuchObject(msg::table_doesnt_exist(name)));
        }
        insert_history(&mut tx, history).await?;
        tx.commit().await.map_err(db("drop table: commit"))?;
        Ok(())
    }

    async fn dropped_table(&self, db_name: &str, name: &str) -> Result<Option<(Table, Vec<(String, Partition)>)>> {
        let mut conn = self.pool.acquire().await.map_err(db("dropped table: connect"))?;
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
        let rows: Vec<PartRow> = sqlx::query_as::<_, SqlitePartRow>(&format!(
            "SELECT {PART_COLUMNS} FROM dropped_partitions p WHERE p.drop_id = $1 ORDER BY p.part_name"
        ))
        .bind(drop_id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db("dropped partitions"))?
        .into_iter()
        .map(SqlitePartRow::decode)
        .collect::<Result<_>>()?;
        let shapes = load_shapes(&mut conn, &rows).await?;
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

    // ---- partitions ----

    async fn add_partitions(
        &self,
        db_name: &str,
        table: &str,
        parts: &[(String, Partition)],
        if_not_exists: bool,
        history: &[HistoryEntry],
    ) -> Result<Vec<usize>> {
        let mut tx = self.begin_write().await?;
        let out = add_partitions_tx(&mut tx, db_name, table, parts, if_not_exists, history).await?;
        tx.commit().await.map_err(db("add partitions: commit"))?;
        Ok(out)
    }

    async fn get_partition(&self, db_name: &str, table: &str, name: &str) -> Result<Option<Partition>> {
        let mut found = self.get_partitions_by_names(db_name, table, &[name.to_string()]).await?;
        Ok(found.pop())
    }

    async fn get_partitions_by_names(&self, db_name: &str, table: &str, names: &[String]) -> Result<Vec<Partition>> {
        let mut tx = self.pool.begin().await.map_err(db("begin"))?;
        let table_id = partition_table_id(&mut tx, db_name, table).await?;
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let rows = partitions_named(&mut tx, table_id, names).await?;
        let shapes = load_shapes(&mut tx, &rows).await?;
        tx.commit().await.map_err(db("get partitions: commit"))?;
        partitions::into_models(rows, &shapes, db_name, table)
    }

    async fn list_partitions(&self, db_name: &str, table: &str, query: &PartitionQuery<'_>) -> Result<Vec<Partition>> {
        let mut tx = self.pool.begin().await.map_err(db("begin"))?;
        let table_id = partition_table_id(&mut tx, db_name, table).await?;
        let selection = partitions::select(Dialect::Sqlite, query)?;
        let limit = selection.sql_limit(query.max);
        let sql = selection.sql(PART_COLUMNS, true, limit.is_some());
        let mut rows: Vec<PartRow> =
            sqlx::query_as_with::<_, SqlitePartRow, _>(&sql, selection_args(table_id, &selection.binds, limit)?)
                .persistent(query.filter.is_none())
                .fetch_all(&mut *tx)
                .await
                .map_err(db("list partitions"))?
                .into_iter()
                .map(SqlitePartRow::decode)
                .collect::<Result<_>>()?;
        if let Some(check) = &selection.recheck {
            rows.retain(|r| check.matches(&r.values));
        }
        if let Some(max) = query.max {
            rows.truncate(max);
        }
        let shapes = load_shapes(&mut tx, &rows).await?;
        tx.commit().await.map_err(db("list partitions: commit"))?;
        partitions::into_models(rows, &shapes, db_name, table)
    }

    async fn page_partitions(
        &self,
        db_name: &str,
        table: &str,
        query: &PartitionQuery<'_>,
        page: usize,
    ) -> Result<Option<Box<dyn PartitionPages>>> {
        let selection = partitions::select(Dialect::Sqlite, query)?;
        // Only a whole-table listing is paged here: pages are read by name after the last one
        // sent, and with a condition SQLite would walk every name of the table to fill each page.
        if !self.pages || !selection.is_whole_table() {
            return Ok(None);
        }
        // A deferred transaction: its first read fixes the snapshot (WAL) every page reads.
        let mut tx = self.pool.begin().await.map_err(db("begin"))?;
        let table_id = partition_table_id(&mut tx, db_name, table).await?;
        let count = sqlx::query_scalar_with::<_, i64, _>(
            &selection.sql("count(*)", false, false),
            selection_args(table_id, &selection.binds, None)?,
        )
        .persistent(query.filter.is_none())
        .fetch_one(&mut *tx)
        .await
        .map_err(db("count partitions"))?;
        let count = usize::try_from(count).unwrap_or(0);
        Ok(Some(Box::new(SqlitePages {
            tx: Some(tx),
            table_id,
            sql: selection.page_sql(PART_COLUMNS),
            binds: selection.binds,
            persistent: query.filter.is_none(),
            after: String::new(),
            total: query.max.map_or(count, |max| max.min(count)),
            sent: 0,
            page: page.max(1),
            db_name: db_name.to_string(),
            table: table.to_string(),
        })))
    }

    async fn list_partition_names(
        &self,
        db_name: &str,
        table: &str,
        query: &PartitionQuery<'_>,
    ) -> Result<Vec<String>> {
        let mut tx = self.pool.begin().await.map_err(db("begin"))?;
        let table_id = partition_table_id(&mut tx, db_name, table).await?;
        let selection = partitions::select(Dialect::Sqlite, query)?;
        let limit = selection.sql_limit(query.max);
        let mut names: Vec<String> = match &selection.recheck {
            None => {
                let sql = selection.sql("p.part_name", true, limit.is_some());
                sqlx::query_scalar_with::<_, String, _>(&sql, selection_args(table_id, &selection.binds, limit)?)
                    .persistent(query.filter.is_none())
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db("list partition names"))?
            }
            Some(check) => {
                let sql = selection.sql("p.part_name, p.part_values", true, false);
                let rows = sqlx::query_as_with::<_, (String, String), _>(
                    &sql,
                    selection_args(table_id, &selection.binds, None)?,
                )
                .persistent(false)
                .fetch_all(&mut *tx)
                .await
                .map_err(db("list partition names"))?;
                let mut names = Vec::new();
                for (name, values) in rows {
                    let values: Vec<String> = from_json("decode partition values", &values)?;
                    if check.matches(&values) {
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

    async fn count_partitions(&self, db_name: &str, table: &str, query: &PartitionQuery<'_>) -> Result<i64> {
        let mut tx = self.pool.begin().await.map_err(db("begin"))?;
        let table_id = partition_table_id(&mut tx, db_name, table).await?;
        let selection = partitions::select(Dialect::Sqlite, query)?;
        let count = match &selection.recheck {
            None => {
                let sql = selection.sql("count(*)", false, false);
                sqlx::query_scalar_with::<_, i64, _>(&sql, selection_args(table_id, &selection.binds, None)?)
                    .persistent(query.filter.is_none())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db("count partitions"))?
            }
            Some(check) => {
                let sql = selection.sql("p.part_values", false, false);
                let rows =
                    sqlx::query_scalar_with::<_, String, _>(&sql, selection_args(table_id, &selection.binds, None)?)
                        .persistent(false)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db("count partitions"))?;
                let mut count = 0i64;
                for values in rows {
                    let values: Vec<String> = from_json("decode partition values", &values)?;
                    count += i64::from(check.matches(&values));
                }
                count
            }
        };
        tx.commit().await.map_err(db("count partitions: commit"))?;
        Ok(count)
    }

    async fn alter_partitions(
        &self,
        db_name: &str,
        table: &str,
        parts: &[(String, Partition)],
        history: Vec<HistoryEntry>,
        fresh_locations: bool,
    ) -> Result<Vec<Placement>> {
        // `BEGIN IMMEDIATE` serialises every writer, policy-checked swaps included.
        let mut tx = self.begin_write().await?;
        let table_id = partition_table_id(&mut tx, db_name, table).await?;
        let names: Vec<String> = parts.iter().map(|(name, _)| name.clone()).collect();
        let current = placements_named(&mut tx, table_id, &names).await?;
        if let Some((missing, _)) = parts.iter().find(|(name, _)| !current.contains_key(name)) {
            return Err(partitions::not_found_for_alter(db_name, table, missing));
        }
        let history =
            partitions::complete_swap_history(history, |name| current.get(name).map(|(_, p)| p.location.clone()));
        if fresh_locations {
            check_fresh_locations(&mut tx, table_id, db_name, table, &history).await?;
        }
        let batch = partitions::prepare_batch(parts.iter().map(|(name, part)| (name.as_str(), part)))?;
        let sd_ids = intern_shapes(&mut tx, &batch).await?;
        // In input order: when a name repeats, its last definition wins.
        for r in &batch.rows {
            let (id, stored) = &current[r.name];
            sqlx::query(
                "UPDATE partitions SET sd_id = $2, location = $3, create_time = $4, last_access_time = $5, \
                 parameters = $6 WHERE id = $1",
            )
            .bind(id)
            .bind(sd_ids[r.shape])
            .bind(stored.kept_location(r.part))
            .bind(stored.create_time.0)
            .bind(r.part.last_access_time.0)
            .bind(&r.parameters)
            .execute(&mut *tx)
            .await
            .map_err(db("alter partitions"))?;
        }
        insert_history(&mut tx, &history).await?;
        tx.commit().await.map_err(db("alter partitions: commit"))?;
        Ok(parts.iter().map(|(name, _)| current[name].1.clone()).collect())
    }

    async fn rename_partition(
        &self,
        db_name: &str,
        table: &str,
        old_name: &str,
        new_name: &str,
        new: &Partition,
        history: &[HistoryEntry],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let table_id = partition_table_id(&mut tx, db_name, table).await?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM partitions WHERE table_id = $1 AND part_name = $2")
            .bind(table_id)
            .bind(old_name)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("rename partition: read"))?
            .ok_or_else(|| partitions::doesnt_exist(old_name))?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM partitions WHERE table_id = $1 AND part_name = $2")
            .bind(table_id)
            .bind(new_name)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db("rename partition: target"))?;
        if taken.is_some() {
            return Err(partitions::already_exists(new_name));
        }
        let batch = partitions::prepare_batch([(new_name, new)])?;
        let sd_ids = intern_shapes(&mut tx, &batch).await?;
        sqlx::query(
            "UPDATE partitions SET part_name = $2, part_values = $3, sd_id = $4, location = $5, create_time = $6, \
             last_access_time = $7, parameters = $8 WHERE id = $1",
        )
        .bind(id)
        .bind(new_name)
        .bind(to_json(&new.values)?)
        .bind(sd_ids[0])
        .bind(&new.sd.location)
        .bind(new.create_time.0)
        .bind(new.last_access_time.0)
        .bind(&batch.rows[0].parameters)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if violates(&e, PARTITIONS_TABLE_ID_PART_NAME_KEY) {
                partitions::already_exists(new_name)
            } else {
                internal("rename partition", e)
            }
        })?;
        sqlx::query("DELETE FROM partition_key_values WHERE partition_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db("rename partition: key values"))?;
        insert_key_values(&mut tx, table_id, [(id, new.values.as_slice())]).await?;
        insert_history(&mut tx, history).await?;
        tx.commit().await.map_err(db("rename partition: commit"))
    }

    async fn drop_partitions(
        &self,
        db_name: &str,
        table: &str,
        names: &[String],
        history: &[HistoryEntry],
    ) -> Result<Vec<Partition>> {
        let mut tx = self.begin_write().await?;
        let out = drop_partitions_tx(&mut tx, db_name, table, names, history).await?;
        tx.commit().await.map_err(db("drop partitions: commit"))?;
        Ok(out)
    }

    async fn exchange_partitions(
        &self,
        source: (&str, &str),
        dest: (&str, &str),
        parts: &[(String, Partition)],
        history: &[HistoryEntry],
    ) -> Result<Vec<Partition>> {
        let mut tx = self.begin_write().await?;
        let added = add_partitions_tx(&mut tx, dest.0, dest.1, parts, false, &[]).await?;
        let names: Vec<String> = parts.iter().map(|(name, _)| name.clone()).collect();
        drop_partitions_tx(&mut tx, source.0, source.1, &names, &[]).await?;
        insert_history(&mut tx, history).await?;
        tx.commit().await.map_err(db("exchange partitions: commit"))?;
        Ok(added.into_iter().map(|i| parts[i].1.clone()).collect())
    }

    // ---- history ----

    async fn append_history(&self, entries: &[HistoryEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        insert_history(&mut tx, entries).await?;
        tx.commit().await.map_err(db("append history: commit"))
    }

    async fn history_all(&self) -> Result<Vec<HistoryEntry>> {
        sqlx::query_as::<_, HistoryRow>(&format!("SELECT {HISTORY_COLUMNS} FROM location_history ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(db("history"))?
            .into_iter()
            .map(HistoryRow::into_model)
            .collect()
    }

    async fn history(&self, db_name: &str, table: &str, since_millis: Option<i64>) -> Result<Vec<HistoryEntry>> {
        sqlx::query_as::<_, HistoryRow>(&format!(
            "SELECT {HISTORY_COLUMNS} FROM location_history WHERE db_name = $1 AND table_name = $2 \
             AND ($3 IS NULL OR at_millis >= $3) ORDER BY id"
        ))
        .bind(db_name)
        .bind(table)
        .bind(since_millis)
        .fetch_all(&self.pool)
        .await
        .map_err(db("history"))?
        .into_iter()
        .map(HistoryRow::into_model)
        .collect()
    }

    // ---- locks ----

    async fn lock(&self, request: &LockRequest, now_millis: i64, expire_before_millis: i64) -> Result<LockOutcome> {
        if request.components.is_empty() {
            return Err(CatalogError::Meta(common::EMPTY_LOCK_REQUEST.to_string()));
        }
        let mut tx = self.begin_write().await?;
        expire_locks(&mut tx, expire_before_millis).await?;
        let lock_id: i64 = sqlx::query_scalar(
            "UPDATE lock_id_sequence SET next_lock_id = next_lock_id + 1 WHERE id = 1 RETURNING next_lock_id - 1",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(db("lock: next id"))?;
        let earlier = earlier_locks(&mut tx, &request.components, lock_id).await?;
        let state = if conflicts(&request.components, &earlier)? { LockState::Waiting } else { LockState::Acquired };
        let acquired_at = (state == LockState::Acquired).then_some(now_millis);
        for (index, c) in request.components.iter().enumerate() {
            sqlx::query(
                "INSERT INTO locks (lock_id, component_index, lock_type, level, db_name, table_name, \
                 partition_name, state, txn_id, user_name, hostname, agent_info, last_heartbeat_millis, \
                 acquired_at_millis) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(lock_id)
            .bind(i32::try_from(index).map_err(|e| internal("lock: component index", e))?)
            .bind(lock_type_code(c.lock_type))
            .bind(lock_level_code(c.level))
            .bind(&c.db)
            .bind(&c.table)
            .bind(&c.partition)
            .bind(lock_state_code(state))
            .bind(request.txn_id)
            .bind(&request.user)
            .bind(&request.hostname)
            .bind(&request.agent_info)
            .bind(now_millis)
            .bind(acquired_at)
            .execute(&mut *tx)
            .await
            .map_err(db("lock: insert"))?;
        }
        tx.commit().await.map_err(db("lock: commit"))?;
        Ok(LockOutcome { lock_id, state })
    }

    async fn check_lock(&self, lock_id: i64, now_millis: i64, expire_before_millis: i64) -> Result<LockOutcome> {
        let mut tx = self.begin_write().await?;
        expire_locks(&mut tx, expire_before_millis).await?;
        let rows = sqlx::query_as::<_, LockRow>(&format!(
            "SELECT {LOCK_COLUMNS} FROM locks WHERE lock_id = $1 ORDER BY component_index"
        ))
        .bind(lock_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db("check lock: read"))?;
        if rows.is_empty() {
            // Keep the expiry done above: the answer is the same either way.
            tx.commit().await.map_err(db("check lock: commit"))?;
            return Err(CatalogError::NoSuchLock(msg::no_such_lock(lock_id)));
        }
        let mut state = LockState::Acquired;
        if rows.iter().any(|r| r.state == STATE_WAITING) {
            let targets = rows.iter().map(LockRow::target).collect::<Result<Vec<_>>>()?;
            let earlier = earlier_locks(&mut tx, &targets, lock_id).await?;
            if conflicts(&targets, &earlier)? {
                state = LockState::Waiting;
            } else {
                sqlx::query("UPDATE locks SET state = $2, acquired_at_millis = $3 WHERE lock_id = $1")
                    .bind(lock_id)
                    .bind(STATE_ACQUIRED)
                    .bind(now_millis)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("check lock: acquire"))?;
            }
        }
        sqlx::query("UPDATE locks SET last_heartbeat_millis = $2 WHERE lock_id = $1")
            .bind(lock_id)
            .bind(now_millis)
            .execute(&mut *tx)
            .await
            .map_err(db("check lock: heartbeat"))?;
        tx.commit().await.map_err(db("check lock: commit"))?;
        Ok(LockOutcome { lock_id, state })
    }

    async fn unlock(&self, lock_id: i64) -> Result<()> {
        let deleted = sqlx::query("DELETE FROM locks WHERE lock_id = $1")
            .bind(lock_id)
            .execute(&self.pool)
            .await
            .map_err(db("unlock"))?;
        if deleted.rows_affected() == 0 {
            return Err(CatalogError::NoSuchLock(msg::no_such_lock(lock_id)));
        }
        Ok(())
    }

    async fn heartbeat(&self, lock_id: i64, now_millis: i64) -> Result<()> {
        let updated = sqlx::query("UPDATE locks SET last_heartbeat_millis = $2 WHERE lock_id = $1")
            .bind(lock_id)
            .bind(now_millis)
            .execute(&self.pool)
            .await
            .map_err(db("heartbeat"))?;
        if updated.rows_affected() == 0 {
            return Err(CatalogError::NoSuchLock(msg::no_such_lock(lock_id)));
        }
        Ok(())
    }

    async fn show_locks(&self, filter: &LockFilter) -> Result<Vec<LockInfo>> {
        sqlx::query_as::<_, LockRow>(&format!(
            "SELECT {LOCK_COLUMNS} FROM locks WHERE ($1 IS NULL OR db_name = $1) \
             AND ($2 IS NULL OR table_name = $2) AND ($3 IS NULL OR partition_name = $3) \
             ORDER BY lock_id, component_index"
        ))
        .bind(&filter.db)
        .bind(&filter.table)
        .bind(&filter.partition)
        .fetch_all(&self.pool)
        .await
        .map_err(db("show locks"))?
        .into_iter()
        .map(LockRow::into_model)
        .collect()
    }
}

// ------------------------------------------------------------------ test hooks

#[doc(hidden)]
#[async_trait]
impl ConformanceHooks for SqliteStore {
    async fn storage_descriptor_count(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT count(*) FROM storage_descriptors")
            .fetch_one(&self.pool)
            .await
            .map_err(db("count descriptors"))
    }

    async fn insert_function(&self, db_name: &str, name: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO functions (db_id, name, class_name) SELECT id, $2, 'org.example.Udf' FROM databases \
             WHERE name = $1",
        )
        .bind(db_name)
        .bind(name)
        .execute(&self.pool)
        .await
        .map_err(db("insert function"))?;
        Ok(())
    }

    async fn function_count(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT count(*) FROM functions").fetch_one(&self.pool).await.map_err(db("count functions"))
    }

    async fn insert_partition(&self, db_name: &str, table: &str, values: &[String], location: &str) -> Result<()> {
        let t = self
            .get_table(db_name, table)
            .await?
            .ok_or_else(|| CatalogError::NoSuchObject(msg::table_not_found(db_name, table)))?;
        let keys: Vec<String> = t.partition_keys.iter().map(|k| k.name.clone()).collect();
        let part_name = partname::make_part_name(&keys, values)?;
        let sd = strata_core::model::StorageDescriptor { location: Some(location.to_string()), ..t.sd.clone() };
        let shape_json = sd.shape_json();
        let mut tx = self.begin_write().await?;
        let sd_id = intern_descriptor(&mut tx, &common::shape_hash(&shape_json), &shape_json).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO partitions (table_id, part_name, part_values, sd_id, location, parameters) \
             VALUES ($1, $2, $3, $4, $5, '{}') RETURNING id",
        )
        .bind(t.id)
        .bind(&part_name)
        .bind(to_json(values)?)
        .bind(sd_id)
        .bind(location)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if violates(&e, PARTITIONS_TABLE_ID_PART_NAME_KEY) {
                CatalogError::AlreadyExists(format!("Partition already exists: {part_name}"))
            } else {
                internal("insert partition", e)
            }
        })?;
        insert_key_values(&mut tx, t.id, [(id, values)]).await?;
        tx.commit().await.map_err(db("insert partition: commit"))
    }

    async fn partition_locations(&self, db_name: &str, table: &str) -> Result<Vec<(String, Option<String>)>> {
        sqlx::query_as(
            "SELECT p.part_name, p.location FROM partitions p JOIN tables t ON t.id = p.table_id \
             JOIN databases d ON d.id = t.db_id WHERE d.name = $1 AND t.name = $2 ORDER BY p.part_name",
        )
        .bind(db_name)
        .bind(table)
        .fetch_all(&self.pool)
        .await
        .map_err(db("partition locations"))
    }

    async fn partition_row_count(&self) -> Result<(i64, i64)> {
        sqlx::query_as("SELECT (SELECT count(*) FROM partitions), (SELECT count(*) FROM partition_key_values)")
            .fetch_one(&self.pool)
            .await
            .map_err(db("count partitions"))
    }

    async fn try_rewrite_history(&self) -> (bool, bool) {
        let update = sqlx::query("UPDATE location_history SET actor = 'mallory'").execute(&self.pool).await;
        let delete = sqlx::query("DELETE FROM location_history").execute(&self.pool).await;
        (update.is_err(), delete.is_err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read() {
        assert_eq!(
            parse_url("sqlite:///var/lib/strata/db.sqlite").unwrap(),
            Target::File("/var/lib/strata/db.sqlite".into())
        );
        assert_eq!(parse_url("sqlite://data/x.db?mode=rwc").unwrap(), Target::File("data/x.db".into()));
        assert_eq!(parse_url("sqlite:x.db").unwrap(), Target::File("x.db".into()));
        assert_eq!(parse_url("sqlite::memory:").unwrap(), Target::Memory);
        assert!(parse_url("sqlite://").is_err());
        assert!(parse_url("postgres://x").is_err());
    }
}
