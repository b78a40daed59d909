//! The PostgreSQL store (production).
//!
//! Every trait method runs in one transaction at READ COMMITTED. Writers that must see a stable
//! row lock it (`FOR UPDATE`); lock requests serialise on one transaction-scoped advisory lock.

use std::{
    collections::{HashMap, HashSet},
    str::FromStr,
    time::Duration,
};

use async_trait::async_trait;
use sqlx::{
    migrate::Migrator,
    postgres::{PgArguments, PgConnectOptions, PgPoolOptions},
    Arguments, PgConnection, PgPool, Postgres, Transaction,
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

static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Key of the transaction-scoped advisory lock that serialises lock requests ("StrataLk").
const LOCKS_ADVISORY_KEY: i64 = 0x5374_7261_7461_4c6b;

/// Most connections one server opens.
const MAX_CONNECTIONS: u32 = 16;
/// How long a call waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The PostgreSQL implementation of [`Store`].
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Connections that hold name locks ([`crate::moves::MoveStore::lock_name`]), apart from
    /// `pool` so a call holding one never waits for a connection held by a call waiting for it.
    name_locks: PgPool,
}

/// Connections that hold name locks at once, per server.
const NAME_LOCK_CONNECTIONS: u32 = 4;
/// How long a call waits for the lock of a name before failing with a `MetaException`.
const NAME_LOCK_TIMEOUT: &str = "60s";
/// First key of the advisory locks on names (the second is `hashtext(name)`): "Strata" in the
/// two-key space, which does not overlap the one-key space of `LOCKS_ADVISORY_KEY`.
const NAME_LOCK_CLASS: i32 = 0x5374_7261;

impl PgStore {
    /// Connect to `url` (`postgres://user:pass@host:port/db`), opening one connection now so that
    /// an unreachable server fails here. Does not migrate.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| internal("parse postgres url", e))?
            // A paged listing reads a cursor to its end: plan it for all rows, as the same query
            // without a cursor is (the default, 0.1, favours plans that are quick to a first row,
            // such as walking every partition in name order to test a filter).
            .options([("cursor_tuple_fraction", "1")]);
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // A connection's socket buffers grow to the largest message it carried (a
            // 10,000-partition add or listing is megabytes) and sqlx keeps them; give that back
            // when the connection returns to the pool, so idle memory does not hold every
            // pooled connection's largest message.
            .after_release(|conn, _| {
                Box::pin(async move {
                    sqlx::Connection::shrink_buffers(conn);
                    Ok(true)
                })
            })
            .connect_with(options.clone())
            .await
            .map_err(db("connect to postgres"))?;
        let name_locks = PgPoolOptions::new()
            .max_connections(NAME_LOCK_CONNECTIONS)
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::query(&format!("SET lock_timeout = '{NAME_LOCK_TIMEOUT}'")).execute(conn).await?;
                    Ok(())
                })
            })
            .connect_lazy_with(options);
        Ok(Self { pool, name_locks })
    }

    /// The newest migration this build has.
    pub(crate) fn latest_migration() -> i64 {
        MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// The connection pool (for tests and admin tools).
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Close every connection.
    pub async fn close(&self) {
        self.pool.close().await;
        self.name_locks.close().await;
    }

    /// Take the advisory lock of a name on a connection of the name-lock pool.
    pub(crate) async fn lock_name_pg(&self, name: &str) -> Result<crate::moves::NameLock> {
        let mut conn = self.name_locks.acquire().await.map_err(db("lock a name: acquire"))?;
        if let Err(e) = sqlx::query("SELECT pg_advisory_lock($1, hashtext($2))")
            .bind(NAME_LOCK_CLASS)
            .bind(name)
            .execute(&mut *conn)
            .await
        {
            conn.close_on_drop();
            return Err(strata_core::CatalogError::Meta(format!("Timed out waiting for the lock of {name}: {e}")));
        }
        Ok(Box::new(PgNameLock { conn: Some(conn), name: name.to_string() }))
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(db("begin"))
    }
}

/// A held advisory lock of a name: unlocked (and its connection returned) when dropped; if
/// that cannot run, the connection is closed, which releases the lock too.
struct PgNameLock {
    conn: Option<sqlx::pool::PoolConnection<Postgres>>,
    name: String,
}

impl Drop for PgNameLock {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            conn.close_on_drop();
            return;
        };
        let name = std::mem::take(&mut self.name);
        runtime.spawn(async move {
            let unlocked: std::result::Result<bool, _> =
                sqlx::query_scalar("SELECT pg_advisory_unlock($1, hashtext($2))")
                    .bind(NAME_LOCK_CLASS)
                    .bind(&name)
                    .fetch_one(&mut *conn)
                    .await;
            if !matches!(unlocked, Ok(true)) {
                conn.close_on_drop();
            }
        });
    }
}

// ------------------------------------------------------------------ helpers (inside a transaction)

async fn database_id(conn: &mut PgConnection, name: &str, for_update: bool) -> Result<Option<i64>> {
    let sql = if for_update {
        "SELECT id FROM databases WHERE name = $1 FOR UPDATE"
    } else {
        "SELECT id FROM databases WHERE name = $1"
    };
    sqlx::query_scalar(sql).bind(name).fetch_optional(conn).await.map_err(db("database id"))
}

/// The id of the stored descriptor with this shape, inserting it when absent. Concurrent
/// inserts of one shape: the loser's `ON CONFLICT` waits for the winner, then reads its row.
async fn intern_descriptor(conn: &mut PgConnection, shape_hash: &str, shape_json: &str) -> Result<i64> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO storage_descriptors (shape_hash, shape_json) VALUES ($1, $2) \
         ON CONFLICT ON CONSTRAINT storage_descriptors_shape_hash_key DO NOTHING RETURNING id",
    )
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

/// Entries per stored change at most: a change's entry ids are a block of this many (migration
/// 0009), and a drop of a million partitions is stored as many changes, so no array grows
/// without bound.
const HISTORY_CHANGE_MAX: usize = 1_000;

/// Append history entries, in order (their ids ascend with it): one `history_changes` row, one
/// statement, per change (see migration 0009), each entry's columns bound as arrays.
async fn insert_history(conn: &mut PgConnection, entries: &[HistoryEntry]) -> Result<()> {
    crate::browse::count_history_rows(entries.len());
    for change in common::history_changes(entries, HISTORY_CHANGE_MAX) {
        let first = &change[0];
        let n = change.len();
        let (mut names, mut values, mut batches) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut previous, mut new) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for e in change {
            names.push(e.partition_name.as_deref());
            values.push(e.partition_values.as_ref().map(to_json).transpose()?);
            batches.push(e.batch_id.as_deref());
            previous.push(e.previous_location.as_deref());
            new.push(e.new_location.as_deref());
        }
        let keys = partitions::location_keys(new.iter().flatten().copied());
        sqlx::query(
            "INSERT INTO history_changes (first_entry_id, operation, db_name, table_name, actor, client_addr, \
             request_id, at_millis, partition_names, partition_values, batch_ids, previous_locations, new_locations, \
             location_keys) \
             VALUES (nextval('history_entry_blocks'), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&first.operation)
        .bind(&first.db_name)
        .bind(&first.table_name)
        .bind(&first.actor)
        .bind(&first.client_addr)
        .bind(&first.request_id)
        .bind(first.at_millis)
        .bind(&names)
        .bind(&values)
        .bind(&batches)
        .bind(&previous)
        .bind(&new)
        .bind(&keys)
        .execute(&mut *conn)
        .await
        .map_err(db("insert history"))?;
    }
    Ok(())
}

/// Remove locks outside transactions whose last heartbeat is older than `expire_before`.
async fn expire_locks(conn: &mut PgConnection, expire_before: i64) -> Result<()> {
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
async fn earlier_locks(conn: &mut PgConnection, targets: &[LockTarget], before: i64) -> Result<Vec<LockRow>> {
    let dbs: Vec<&str> = targets.iter().map(|t| t.db.as_str()).collect();
    sqlx::query_as::<_, LockRow>(&format!(
        "SELECT {LOCK_COLUMNS} FROM locks WHERE db_name = ANY($1) AND lock_id < $2 ORDER BY lock_id, component_index"
    ))
    .bind(&dbs)
    .bind(before)
    .fetch_all(conn)
    .await
    .map_err(db("earlier locks"))
}

async fn serialise_locks(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOCKS_ADVISORY_KEY)
        .execute(conn)
        .await
        .map_err(db("lock advisory"))?;
    Ok(())
}

// ------------------------------------------------------------------ partitions (inside a transaction)

/// Rows written per statement (partitions, history).
const PG_CHUNK: usize = 5_000;
/// Key-value rows written per statement.
const PG_KV_CHUNK: usize = 20_000;

/// A `partitions` row as PostgreSQL returns it ([`PART_COLUMNS`]).
#[derive(Debug, sqlx::FromRow)]
struct PgPartRow {
    id: i64,
    part_name: String,
    part_values: Vec<String>,
    sd_id: i64,
    location: Option<String>,
    create_time: i32,
    last_access_time: i32,
    parameters: String,
}

impl From<PgPartRow> for PartRow {
    fn from(r: PgPartRow) -> Self {
        PartRow {
            id: r.id,
            part_name: r.part_name,
            values: r.part_values,
            sd_id: r.sd_id,
            location: r.location,
            create_time: r.create_time,
            last_access_time: r.last_access_time,
            parameters: r.parameters,
        }
    }
}

/// The cursor a paged listing with a condition reads from (one per transaction).
const LISTING_CURSOR: &str = "strata_listing";

/// A paged listing inside one read-only, repeatable-read transaction. The first page and one
/// row more are read when the listing opens, so only a listing longer than one page is counted.
struct PgPages {
    /// Open while pages remain to fetch.
    tx: Option<Transaction<'static, Postgres>>,
    source: PageSource,
    /// The first page, fetched when the listing opened.
    first: Option<Vec<PartRow>>,
    /// The row fetched past the first page: the start of the second.
    carry: Option<PartRow>,
    /// The descriptors of the pages so far (partitions share few).
    shapes: Shapes,
    total: usize,
    fetched: usize,
    page: usize,
    db_name: String,
    table: String,
}

/// Where the pages of a listing come from.
enum PageSource {
    /// Every partition of a table: by name after the last one read (a prepared statement,
    /// [`partitions::Selection::page_sql`], that walks the table's name index).
    Names { table_id: i64, sql: String, after: String },
    /// A listing with a condition: [`LISTING_CURSOR`], over the same query
    /// [`Store::list_partitions`] runs, so the same plan (a filter starts from its key-value
    /// index, not from a walk of every name). A scroll cursor, so it can be counted.
    Cursor,
}

impl PageSource {
    /// Fetch up to `n` rows (none for 0: `FETCH 0` would fetch the cursor's current row again).
    async fn fetch(&mut self, tx: &mut PgConnection, n: usize) -> Result<Vec<PartRow>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let rows = match self {
            Self::Names { table_id, sql, after } => sqlx::query_as::<_, PgPartRow>(sql)
                .bind(*table_id)
                .bind(after.as_str())
                .bind(i64::try_from(n).unwrap_or(i64::MAX))
                .fetch_all(tx)
                .await
                .map_err(db("list partitions"))?,
            Self::Cursor => sqlx::query_as::<_, PgPartRow>(&format!("FETCH FORWARD {n} FROM {LISTING_CURSOR}"))
                .persistent(false)
                .fetch_all(tx)
                .await
                .map_err(db("list partitions"))?,
        };
        let rows: Vec<PartRow> = rows.into_iter().map(PartRow::from).collect();
        if let (Self::Names { after, .. }, Some(last)) = (self, rows.last()) {
            after.clone_from(&last.part_name);
        }
        Ok(rows)
    }

    /// How many rows the listing has in all, `read` of them fetched so far. The cursor counts
    /// the rest by moving to its end and comes back (it is a scroll cursor: its rows are kept,
    /// so the query runs once); a whole-table listing counts its index.
    async fn count(
        &self,
        tx: &mut PgConnection,
        selection: &partitions::Selection<'_>,
        query: &PartitionQuery<'_>,
        read: usize,
    ) -> Result<usize> {
        let count = match self {
            Self::Names { table_id, .. } => {
                let n = sqlx::query_scalar_with::<_, i64, _>(
                    &selection.sql("count(*)", false, false),
                    selection_args(*table_id, &selection.binds, None)?,
                )
                .fetch_one(tx)
                .await
                .map_err(db("count partitions"))?;
                usize::try_from(n).unwrap_or(0)
            }
            Self::Cursor => {
                let rest = sqlx::query(&format!("MOVE FORWARD ALL IN {LISTING_CURSOR}"))
                    .persistent(false)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("count partitions"))?
                    .rows_affected();
                sqlx::query(&format!("MOVE ABSOLUTE {read} IN {LISTING_CURSOR}"))
                    .persistent(false)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("count partitions"))?;
                read + usize::try_from(rest).unwrap_or(0)
            }
        };
        Ok(query.max.map_or(count, |max| max.min(count)))
    }
}

#[async_trait]
impl PartitionPages for PgPages {
    fn total(&self) -> usize {
        self.total
    }

    async fn next_page(&mut self) -> Result<Option<Vec<Partition>>> {
        if let Some(rows) = self.first.take() {
            return partitions::into_models(rows, &self.shapes, &self.db_name, &self.table).map(Some);
        }
        let want = self.page.min(self.total - self.fetched);
        let Some(tx) = self.tx.as_mut() else { return Ok(None) };
        if want == 0 {
            if let Some(tx) = self.tx.take() {
                tx.commit().await.map_err(db("list partitions: commit"))?;
            }
            return Ok(None);
        }
        let carried = usize::from(self.carry.is_some());
        let mut rows = self.source.fetch(tx, want - carried).await?;
        if let Some(row) = self.carry.take() {
            rows.insert(0, row);
        }
        if rows.len() != want {
            // The snapshot cannot change under the transaction; fewer rows is a defect.
            return Err(internal("list partitions", format!("page of {} rows, expected {want}", rows.len())));
        }
        load_missing_shapes(tx, &rows, &mut self.shapes).await?;
        self.fetched += rows.len();
        partitions::into_models(rows, &self.shapes, &self.db_name, &self.table).map(Some)
    }
}

/// The id of the table whose partitions a call touches; `NoSuchObject` if absent. Writers take
/// a key-share lock on the table row, so that the table cannot be dropped under them.
async fn partition_table_id(conn: &mut PgConnection, db_name: &str, table: &str, write: bool) -> Result<i64> {
    let sql = if write {
        "SELECT t.id FROM tables t JOIN databases d ON d.id = t.db_id WHERE d.name = $1 AND t.name = $2 \
         FOR KEY SHARE OF t"
    } else {
        "SELECT t.id FROM tables t JOIN databases d ON d.id = t.db_id WHERE d.name = $1 AND t.name = $2"
    };
    sqlx::query_scalar(sql)
        .bind(db_name)
        .bind(table)
        .fetch_optional(conn)
        .await
        .map_err(db("partition table"))?
        .ok_or_else(|| partitions::no_table(db_name, table))
}

/// The batch policy's check of location swaps, under the transaction's locks.
async fn check_fresh_locations(
    conn: &mut PgConnection,
    table_id: i64,
    db_name: &str,
    table: &str,
    swaps: &[HistoryEntry],
) -> Result<()> {
    let targets = partitions::swap_targets(swaps);
    if targets.is_empty() {
        return Ok(());
    }
    // Looked up on the location index (migration 0010) only, so the cost does not grow with
    // the table's partitions: `table_id + 0` keeps the planner from also reading every index
    // entry of the table (a bitmap AND it picks before the statistics are in).
    let live: Vec<(String, String)> = sqlx::query_as(
        "SELECT part_name, location FROM partitions \
         WHERE location COLLATE \"C\" = ANY($2::text[]) AND table_id + 0 = $1",
    )
    .bind(table_id)
    .bind(&targets)
    .fetch_all(&mut *conn)
    .await
    .map_err(db("alter partitions: live locations"))?;
    // The changes that share a last path segment with a target (the key index, the only one
    // usable here: `|| ''` keeps the planner off the per-table index, and seq scans are off
    // for this one statement, so it never reads every change of the table, whose key arrays
    // grow with its partitions), then the entries whose location is one.
    sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *conn).await.map_err(db("alter partitions: plan"))?;
    let past: Vec<(Option<String>, String)> = sqlx::query_as(
        "SELECT e.partition_name, e.new_location FROM history_changes c \
         CROSS JOIN LATERAL unnest(c.partition_names, c.new_locations) AS e(partition_name, new_location) \
         WHERE c.location_keys && $4 AND c.db_name || '' = $1 AND c.table_name || '' = $2 \
         AND e.new_location IN (SELECT unnest($3::text[]))",
    )
    .bind(db_name)
    .bind(table)
    .bind(&targets)
    .bind(partitions::location_keys(targets.iter().map(String::as_str)))
    .fetch_all(&mut *conn)
    .await
    .map_err(db("alter partitions: past locations"))?;
    sqlx::query("SET LOCAL enable_seqscan = on").execute(&mut *conn).await.map_err(db("alter partitions: plan"))?;
    partitions::check_fresh_locations(db_name, table, swaps, &live, &past)
}

/// `FROM partitions p` restricted to table `$1` and the names in `$2`, in name order: a join on
/// the unnested names (not `= ANY($2)`, which PostgreSQL may evaluate by scanning the array for
/// every row: quadratic for thousands of names).
const NAMED_PARTITIONS: &str = "FROM partitions p \
     JOIN (SELECT DISTINCT unnest($2::text[]) AS name) AS wanted ON p.part_name = wanted.name COLLATE \"C\" \
     WHERE p.table_id = $1 ORDER BY p.part_name";

/// The named partitions of a table, by name; locked for update when `for_update`.
async fn partitions_named(
    conn: &mut PgConnection,
    table_id: i64,
    names: &[String],
    for_update: bool,
) -> Result<Vec<PartRow>> {
    let lock = if for_update { " FOR UPDATE OF p" } else { "" };
    Ok(sqlx::query_as::<_, PgPartRow>(&format!("SELECT {PART_COLUMNS} {NAMED_PARTITIONS}{lock}"))
        .bind(table_id)
        .bind(names)
        .fetch_all(conn)
        .await
        .map_err(db("read partitions"))?
        .into_iter()
        .map(PartRow::from)
        .collect())
}

/// The id and placement of the named partitions of a table, locked for update.
async fn placements_named(
    conn: &mut PgConnection,
    table_id: i64,
    names: &[String],
) -> Result<HashMap<String, (i64, Placement)>> {
    let rows: Vec<(i64, String, Option<String>, i32)> = sqlx::query_as(&format!(
        "SELECT p.id, p.part_name, p.location, p.create_time {NAMED_PARTITIONS} FOR UPDATE OF p"
    ))
    .bind(table_id)
    .bind(names)
    .fetch_all(conn)
    .await
    .map_err(db("read partitions"))?;
    Ok(partitions::placements(rows))
}

/// The descriptor shapes the rows use, one query for all.
async fn load_shapes(conn: &mut PgConnection, rows: &[PartRow]) -> Result<Shapes> {
    shapes_by_id(conn, &partitions::shape_ids(rows)).await
}

/// The descriptors with these ids.
async fn shapes_by_id(conn: &mut PgConnection, ids: &[i64]) -> Result<Shapes> {
    if ids.is_empty() {
        return Ok(Shapes::new());
    }
    let found: Vec<(i64, String)> = sqlx::query_as("SELECT id, shape_json FROM storage_descriptors WHERE id = ANY($1)")
        .bind(ids)
        .fetch_all(conn)
        .await
        .map_err(db("read storage descriptors"))?;
    partitions::decode_shapes(found)
}

/// Add to `shapes` the descriptors of `rows` it does not hold yet (a listing read page by page
/// looks each shape up once).
async fn load_missing_shapes(conn: &mut PgConnection, rows: &[PartRow], shapes: &mut Shapes) -> Result<()> {
    let mut ids = partitions::shape_ids(rows);
    ids.retain(|id| !shapes.contains_key(id));
    shapes.extend(shapes_by_id(conn, &ids).await?);
    Ok(())
}

crate::common::keep_dropped_table_fn!(PgConnection);

/// The descriptor id of each distinct shape of a batch: one lookup of them all (the common case,
/// shapes already stored), then an insert of each one missing.
async fn intern_shapes(conn: &mut PgConnection, batch: &Batch<'_>) -> Result<Vec<i64>> {
    let hashes: Vec<&str> = batch.shapes.iter().map(|s| s.hash.as_str()).collect();
    let stored: HashMap<String, i64> =
        sqlx::query_as::<_, (String, i64)>("SELECT shape_hash, id FROM storage_descriptors WHERE shape_hash = ANY($1)")
            .bind(&hashes)
            .fetch_all(&mut *conn)
            .await
            .map_err(db("look up storage descriptors"))?
            .into_iter()
            .collect();
    let mut ids = Vec::with_capacity(batch.shapes.len());
    for shape in &batch.shapes {
        ids.push(match stored.get(&shape.hash) {
            Some(&id) => id,
            None => intern_descriptor(conn, &shape.hash, &shape.json).await?,
        });
    }
    Ok(ids)
}

/// Write the key-value rows of partitions `(id, values)`.
async fn insert_key_values<'a>(
    conn: &mut PgConnection,
    table_id: i64,
    parts: impl IntoIterator<Item = (i64, &'a [String])>,
) -> Result<()> {
    let (mut pids, mut indexes, mut values, mut ints, mut dates) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (id, part_values) in parts {
        for kv in partitions::key_values(part_values)? {
            pids.push(id);
            indexes.push(kv.key_index);
            values.push(kv.value);
            ints.push(kv.int_value);
            dates.push(kv.date_value);
        }
    }
    for start in (0..pids.len()).step_by(PG_KV_CHUNK) {
        let end = (start + PG_KV_CHUNK).min(pids.len());
        sqlx::query(
            "INSERT INTO partition_key_values (partition_id, table_id, key_index, value, int_value, date_value) \
             SELECT u.pid, $1, u.key_index, u.value, u.int_value, u.date_value \
             FROM UNNEST($2::bigint[], $3::int[], $4::text[], $5::bigint[], $6::int[]) \
             AS u(pid, key_index, value, int_value, date_value)",
        )
        .bind(table_id)
        .bind(&pids[start..end])
        .bind(&indexes[start..end])
        .bind(&values[start..end])
        .bind(&ints[start..end])
        .bind(&dates[start..end])
        .execute(&mut *conn)
        .await
        .map_err(db("insert partition key values"))?;
    }
    Ok(())
}

/// Arguments `$1 = table id`, then a selection's binds, then the limit if any.
fn selection_args(table_id: i64, binds: &[Bind], limit: Option<i64>) -> Result<PgArguments> {
    let mut args = PgArguments::default();
    let bind_err = |e| internal("bind partition query", e);
    args.add(table_id).map_err(bind_err)?;
    for b in binds {
        match b {
            Bind::Text(s) => args.add(s.as_str()),
            Bind::Int(n) => args.add(*n),
            Bind::Int4(n) => args.add(*n),
            Bind::Texts(v) => args.add(v.as_slice()),
            Bind::Ints(v) => args.add(v.as_slice()),
            Bind::Int4s(v) => args.add(v.as_slice()),
        }
        .map_err(bind_err)?;
    }
    if let Some(limit) = limit {
        args.add(limit).map_err(bind_err)?;
    }
    Ok(args)
}

impl PgStore {
    /// The id of an entry with new location `$1` and previous location `$2`, if any (a move's
    /// change committed); found through the location-key index.
    pub(crate) const HISTORY_RECORDS_MOVE: &'static str = "SELECT c.id FROM history_changes c \
         CROSS JOIN LATERAL unnest(c.previous_locations, c.new_locations) AS e(previous_location, new_location) \
         WHERE c.location_keys && history_location_keys(ARRAY[$1::text]) \
         AND e.new_location = $1 AND e.previous_location = $2 LIMIT 1";

    /// A read-only transaction on one snapshot (a listing and its descriptors agree).
    async fn begin_read(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await.map_err(db("begin read"))
    }
}

// ------------------------------------------------------------------ the trait

/// The body of `add_partitions`, inside the caller's transaction.
async fn add_partitions_tx(
    tx: &mut PgConnection,
    db_name: &str,
    table: &str,
    parts: &[(String, Partition)],
    if_not_exists: bool,
    history: &[HistoryEntry],
) -> Result<Vec<usize>> {
    let table_id = partition_table_id(&mut *tx, db_name, table, true).await?;
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

    // Insert what is new; ON CONFLICT also covers a concurrent add of the same name.
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(batch.rows.len());
    for chunk in batch.rows.chunks(PG_CHUNK) {
        let n = chunk.len();
        let (mut names, mut sds, mut locations) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut created, mut accessed, mut params) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let mut values = Vec::with_capacity(n);
        for r in chunk {
            names.push(r.name);
            sds.push(sd_ids[r.shape]);
            locations.push(r.part.sd.location.as_deref());
            created.push(r.part.create_time.0);
            accessed.push(r.part.last_access_time.0);
            params.push(r.parameters.as_str());
            // One JSON array per partition: slicing one flat array per row costs O(n²).
            values.push(to_json(&r.part.values)?);
        }
        let inserted: Vec<(i64, String)> = sqlx::query_as(
            "INSERT INTO partitions (table_id, part_name, part_values, sd_id, location, create_time, \
             last_access_time, parameters) \
             SELECT $1, u.name, ARRAY(SELECT v.e FROM json_array_elements_text(u.vals::json) WITH ORDINALITY \
             AS v(e, n) ORDER BY v.n), u.sd_id, u.location, u.create_time, u.last_access_time, u.parameters \
             FROM UNNEST($2::text[], $3::bigint[], $4::text[], $5::int[], $6::int[], $7::text[], $8::text[]) \
             WITH ORDINALITY AS u(name, sd_id, location, create_time, last_access_time, parameters, vals, ord) \
             ORDER BY u.ord \
             ON CONFLICT ON CONSTRAINT partitions_table_id_part_name_key DO NOTHING RETURNING id, part_name",
        )
        .bind(table_id)
        .bind(&names)
        .bind(&sds)
        .bind(&locations)
        .bind(&created)
        .bind(&accessed)
        .bind(&params)
        .bind(&values)
        .fetch_all(&mut *tx)
        .await
        .map_err(db("add partitions"))?;
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
    tx: &mut PgConnection,
    db_name: &str,
    table: &str,
    names: &[String],
    history: &[HistoryEntry],
) -> Result<Vec<Partition>> {
    let table_id = partition_table_id(&mut *tx, db_name, table, true).await?;
    let rows = partitions_named(&mut *tx, table_id, names, true).await?;
    let shapes = load_shapes(&mut *tx, &rows).await?;
    let (ids, dropped) = partitions::dropped_in_request_order(rows, names, db_name, table, &shapes)?;
    for chunk in ids.chunks(PG_KV_CHUNK) {
        sqlx::query("DELETE FROM partitions WHERE id = ANY($1)")
            .bind(chunk)
            .execute(&mut *tx)
            .await
            .map_err(db("drop partitions"))?;
    }
    insert_history(&mut *tx, history).await?;
    Ok(dropped)
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    /// sqlx's migrator holds `pg_advisory_lock` (keyed by the database name) while it runs, so
    /// servers starting together apply each migration once. It runs on a connection of its own
    /// that is closed on failure, so a session lock left behind by an error cannot outlive it.
    async fn migrate(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await.map_err(db("migrate: acquire"))?;
        // `run_direct` is `run` on a connection; `run(&mut *conn)` trips a higher-ranked
        // lifetime error inside `#[async_trait]` (sqlx documents this workaround).
        if let Err(e) = MIGRATOR.run_direct(&mut *conn).await {
            conn.close_on_drop();
            return Err(internal("migrate postgres", e));
        }
        let changed = crate::canonical::rewrite_postgres(&mut conn).await?;
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
        let mut tx = self.begin().await?;
        // The row lock makes concurrent create_table calls wait (their FK check needs a key-share
        // lock on this row) and then fail, so no table is left behind.
        let db_id = database_id(&mut tx, name, true)
            .await?
            .ok_or_else(|| CatalogError::NoSuchObject(msg::no_such_database(name)))?;
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
        let mut tx = self.begin().await?;
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
        sqlx::query_as::<_, TableRow>(&format!("{TABLE_SELECT} WHERE d.name = $1 AND t.name = ANY($2) ORDER BY t.name"))
            .bind(db_name)
            .bind(names)
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
        let mut tx = self.begin().await?;

        // -- lock the row and check what the change expects --
        let current: Option<(i64, i64, String)> = sqlx::query_as(
            "SELECT t.id, t.db_id, t.parameters FROM tables t JOIN databases d ON d.id = t.db_id \
             WHERE d.name = $1 AND t.name = $2 FOR UPDATE OF t",
        )
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
            const MATCH: &str = "table_id = $1 AND (location = $2 OR left(location, char_length($2) + 1) = $2 || '/')";
            if let Some(template) = options.history.first() {
                // One entry per moved partition, in name order, as changes of at most
                // `HISTORY_CHANGE_MAX` entries.
                sqlx::query(&format!(
                    "INSERT INTO history_changes (first_entry_id, operation, db_name, table_name, actor, \
                     client_addr, request_id, at_millis, partition_names, partition_values, batch_ids, \
                     previous_locations, new_locations, location_keys) \
                     SELECT nextval('history_entry_blocks'), $4, $5, $6, $7, $8, $9, $10, \
                     array_agg(part_name ORDER BY part_name), array_agg(part_values ORDER BY part_name), \
                     array_agg(NULL::text ORDER BY part_name), array_agg(location ORDER BY part_name), \
                     array_agg(new_location ORDER BY part_name), history_location_keys(array_agg(new_location)) \
                     FROM (SELECT part_name, to_json(part_values)::text AS part_values, location, \
                           $3 || substr(location, char_length($2) + 1) AS new_location, \
                           (row_number() OVER (ORDER BY part_name) - 1) / {HISTORY_CHANGE_MAX} AS piece \
                           FROM partitions WHERE {MATCH}) AS moved \
                     GROUP BY piece ORDER BY piece"
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
                "UPDATE partitions SET location = $3 || substr(location, char_length($2) + 1) WHERE {MATCH}"
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
        let mut tx = self.begin().await?;
        if !keep_dropped_table(&mut tx, db_name, name).await? {
            return Err(CatalogError::NoSuchObject(msg::table_doesnt_exist(name)));
        }
        let deleted: Option<i64> = sqlx::query_scalar(
            "DELETE FROM tables t USING databases d WHERE d.id = t.db_id AND d.name = $1 AND t.name = $2 \
             RETURNING t.id",
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
        let rows: Vec<PartRow> = sqlx::query_as::<_, PgPartRow>(&format!(
            "SELECT {PART_COLUMNS} FROM dropped_partitions p WHERE p.drop_id = $1 ORDER BY p.part_name"
        ))
        .bind(drop_id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db("dropped partitions"))?
        .into_iter()
        .map(PartRow::from)
        .collect();
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
        let mut tx = self.begin().await?;
        let out = add_partitions_tx(&mut tx, db_name, table, parts, if_not_exists, history).await?;
        tx.commit().await.map_err(db("add partitions: commit"))?;
        Ok(out)
    }

    async fn get_partition(&self, db_name: &str, table: &str, name: &str) -> Result<Option<Partition>> {
        let mut found = self.get_partitions_by_names(db_name, table, &[name.to_string()]).await?;
        Ok(found.pop())
    }

    async fn get_partitions_by_names(&self, db_name: &str, table: &str, names: &[String]) -> Result<Vec<Partition>> {
        let mut tx = self.begin_read().await?;
        let table_id = partition_table_id(&mut tx, db_name, table, false).await?;
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let rows = partitions_named(&mut tx, table_id, names, false).await?;
        let shapes = load_shapes(&mut tx, &rows).await?;
        tx.commit().await.map_err(db("get partitions: commit"))?;
        partitions::into_models(rows, &shapes, db_name, table)
    }

    async fn list_partitions(&self, db_name: &str, table: &str, query: &PartitionQuery<'_>) -> Result<Vec<Partition>> {
        let mut tx = self.begin_read().await?;
        let table_id = partition_table_id(&mut tx, db_name, table, false).await?;
        let selection = partitions::select(Dialect::Postgres, query)?;
        let limit = selection.sql_limit(query.max);
        let sql = selection.sql(PART_COLUMNS, true, limit.is_some());
        let mut rows: Vec<PartRow> =
            sqlx::query_as_with::<_, PgPartRow, _>(&sql, selection_args(table_id, &selection.binds, limit)?)
                .persistent(query.filter.is_none())
                .fetch_all(&mut *tx)
                .await
                .map_err(db("list partitions"))?
                .into_iter()
                .map(PartRow::from)
                .collect();
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
        let selection = partitions::select(Dialect::Postgres, query)?;
        if selection.recheck.is_some() {
            return Ok(None);
        }
        let page = page.max(1);
        let mut tx = self.begin_read().await?;
        let table_id = partition_table_id(&mut tx, db_name, table, false).await?;
        let mut source = if selection.is_whole_table() {
            PageSource::Names { table_id, sql: selection.page_sql(PART_COLUMNS), after: String::new() }
        } else {
            let limit = selection.sql_limit(query.max);
            let sql = selection.sql(PART_COLUMNS, true, limit.is_some());
            sqlx::query_with(
                &format!("DECLARE {LISTING_CURSOR} SCROLL CURSOR FOR {sql}"),
                selection_args(table_id, &selection.binds, limit)?,
            )
            .persistent(false)
            .execute(&mut *tx)
            .await
            .map_err(db("list partitions"))?;
            PageSource::Cursor
        };
        // `max` bounds the first fetch (the cursor's query has it as its limit already).
        let mut rows = source.fetch(&mut tx, query.max.map_or(page + 1, |max| max.min(page + 1))).await?;
        let carry = if rows.len() > page { rows.pop() } else { None };
        let shapes = load_shapes(&mut tx, &rows).await?;
        let mut pages = PgPages {
            tx: None,
            source,
            first: None,
            shapes,
            total: rows.len(),
            fetched: rows.len(),
            carry,
            page,
            db_name: db_name.to_string(),
            table: table.to_string(),
        };
        if pages.carry.is_none() {
            // All of it: no count, and the snapshot is let go now.
            tx.commit().await.map_err(db("list partitions: commit"))?;
        } else {
            pages.total = pages.source.count(&mut tx, &selection, query, page + 1).await?;
            pages.tx = Some(tx);
        }
        if !rows.is_empty() {
            pages.first = Some(rows);
        }
        Ok(Some(Box::new(pages)))
    }

    async fn list_partition_names(
        &self,
        db_name: &str,
        table: &str,
        query: &PartitionQuery<'_>,
    ) -> Result<Vec<String>> {
        let mut tx = self.begin_read().await?;
        let table_id = partition_table_id(&mut tx, db_name, table, false).await?;
        let selection = partitions::select(Dialect::Postgres, query)?;
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
                sqlx::query_as_with::<_, (String, Vec<String>), _>(
                    &sql,
                    selection_args(table_id, &selection.binds, None)?,
                )
                .persistent(false)
                .fetch_all(&mut *tx)
                .await
                .map_err(db("list partition names"))?
                .into_iter()
                .filter(|(_, values)| check.matches(values))
                .map(|(name, _)| name)
                .collect()
            }
        };
        tx.commit().await.map_err(db("list partition names: commit"))?;
        if let Some(max) = query.max {
            names.truncate(max);
        }
        Ok(names)
    }

    async fn count_partitions(&self, db_name: &str, table: &str, query: &PartitionQuery<'_>) -> Result<i64> {
        let mut tx = self.begin_read().await?;
        let table_id = partition_table_id(&mut tx, db_name, table, false).await?;
        let selection = partitions::select(Dialect::Postgres, query)?;
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
                let rows = sqlx::query_scalar_with::<_, Vec<String>, _>(
                    &sql,
                    selection_args(table_id, &selection.binds, None)?,
                )
                .persistent(false)
                .fetch_all(&mut *tx)
                .await
                .map_err(db("count partitions"))?;
                i64::try_from(rows.iter().filter(|values| check.matches(values)).count()).unwrap_or(i64::MAX)
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
        let mut tx = self.begin().await?;
        let table_id = partition_table_id(&mut tx, db_name, table, true).await?;
        if fresh_locations {
            // Serialise policy-checked swaps of one table (before any row lock is taken).
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(table_id)
                .execute(&mut *tx)
                .await
                .map_err(db("alter partitions: table lock"))?;
        }
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
        // One update per partition; when a name repeats, its last definition wins.
        let mut slot: HashMap<i64, usize> = HashMap::with_capacity(batch.rows.len());
        let (mut ids, mut sds, mut locations, mut created, mut accessed, mut params) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for r in &batch.rows {
            let &(id, ref stored) = &current[r.name];
            let at = *slot.entry(id).or_insert(ids.len());
            let row = (sd_ids[r.shape], stored.kept_location(r.part), stored.create_time.0, r.part.last_access_time.0);
            if at == ids.len() {
                ids.push(id);
                sds.push(row.0);
                locations.push(row.1);
                created.push(row.2);
                accessed.push(row.3);
                params.push(r.parameters.as_str());
            } else {
                (sds[at], locations[at], created[at], accessed[at], params[at]) =
                    (row.0, row.1, row.2, row.3, r.parameters.as_str());
            }
        }
        for start in (0..ids.len()).step_by(PG_CHUNK) {
            let end = (start + PG_CHUNK).min(ids.len());
            sqlx::query(
                "UPDATE partitions p SET sd_id = u.sd_id, location = u.location, create_time = u.create_time, \
                 last_access_time = u.last_access_time, parameters = u.parameters \
                 FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::int[], $5::int[], $6::text[]) \
                 AS u(id, sd_id, location, create_time, last_access_time, parameters) WHERE p.id = u.id",
            )
            .bind(&ids[start..end])
            .bind(&sds[start..end])
            .bind(&locations[start..end])
            .bind(&created[start..end])
            .bind(&accessed[start..end])
            .bind(&params[start..end])
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
        let mut tx = self.begin().await?;
        let table_id = partition_table_id(&mut tx, db_name, table, true).await?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM partitions WHERE table_id = $1 AND part_name = $2 FOR UPDATE")
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
        .bind(&new.values)
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
        let mut tx = self.begin().await?;
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
        let mut tx = self.begin().await?;
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
        let mut tx = self.begin().await?;
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
             AND ($3::bigint IS NULL OR at_millis >= $3) ORDER BY id"
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
        let mut tx = self.begin().await?;
        serialise_locks(&mut tx).await?;
        expire_locks(&mut tx, expire_before_millis).await?;
        let lock_id: i64 = sqlx::query_scalar("SELECT nextval('lock_id_sequence')")
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
        let mut tx = self.begin().await?;
        serialise_locks(&mut tx).await?;
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
            "SELECT {LOCK_COLUMNS} FROM locks WHERE ($1::text IS NULL OR db_name = $1) \
             AND ($2::text IS NULL OR table_name = $2) AND ($3::text IS NULL OR partition_name = $3) \
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
impl ConformanceHooks for PgStore {
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
        let mut tx = self.begin().await?;
        let sd_id = intern_descriptor(&mut tx, &common::shape_hash(&shape_json), &shape_json).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO partitions (table_id, part_name, part_values, sd_id, location, parameters) \
             VALUES ($1, $2, $3, $4, $5, '{}') RETURNING id",
        )
        .bind(t.id)
        .bind(&part_name)
        .bind(values)
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
        // Neither the view nor the changes under it can be rewritten.
        let mut refused = (true, true);
        for table in ["location_history", "history_changes"] {
            let update = sqlx::query(&format!("UPDATE {table} SET actor = 'mallory'")).execute(&self.pool).await;
            let delete = sqlx::query(&format!("DELETE FROM {table}")).execute(&self.pool).await;
            refused = (refused.0 && update.is_err(), refused.1 && delete.is_err());
        }
        refused
    }
}
