//! The SQLite store (embedded default): connection, migrations, and what SQLite does its own way
//! ([`Dialect`]); the SQL both stores share is stamped in from [`crate::sql`].
//!
//! One file in WAL mode: readers never block, writers take the database's single write lock at
//! the start of their transaction (`BEGIN IMMEDIATE`), so a transaction never has to upgrade a
//! read lock (which is what fails with `SQLITE_BUSY`). Writers therefore run one at a time, which
//! is also what makes lock requests and compare-and-swap alters serialisable here, and what
//! stands in for PostgreSQL's row locks. Lists are bound as JSON text and read with
//! `json_each`; big writes use anonymous `?` parameters.

use std::{path::PathBuf, str::FromStr, time::Duration};

use async_trait::async_trait;

use serde::Serialize;
use sqlx::{
    migrate::Migrator,
    sqlite::{SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    Arguments, Sqlite, SqliteConnection, SqlitePool, Transaction,
};
use strata_core::{
    model::NotificationEvent,
    model::{HistoryEntry, Partition},
    CatalogError, Result,
};

use crate::{
    api::{moves::NameLock, PartitionPages, PartitionQuery},
    dialect::{Bind, Dialect, PartitionUpdate},
    errors::{db, internal},
    partitions,
    rows::{self, from_json, to_json, PartRow, PART_COLUMNS},
    sql::events::{bind_event, EVENT_INSERT},
};

static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/sqlite");

/// Most connections to the file (readers; writers queue on the write lock).
const MAX_CONNECTIONS: u32 = 8;
/// How long a writer waits for the write lock before failing with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a call waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite implementation of [`Store`](crate::Store).
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

    /// The connection pool (for tests and admin tools).
    #[must_use]
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Close every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

crate::sql::stamp!(crate::sqlite::SqliteStore);

/// How long a call waits for the lock of a name before failing.
const NAME_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Append history entries, one `location_history` row each, in statements of
/// `SQLITE_HISTORY_CHUNK` rows.
async fn insert_history(conn: &mut SqliteConnection, entries: &[HistoryEntry]) -> Result<()> {
    crate::api::browse::count_history_rows(entries.len());
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
            add(&mut args, e.operation.as_str())?;
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
pub(crate) struct SqlitePartRow {
    id: i64,
    part_name: String,
    part_values: String,
    sd_id: i64,
    location: Option<String>,
    create_time: i32,
    last_access_time: i32,
    parameters: String,
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
        let mut args = SqliteStore::selection_args(self.table_id, &self.binds, None)?;
        add(&mut args, self.after.clone())?;
        add(&mut args, i64::try_from(want).unwrap_or(i64::MAX))?;
        let rows: Vec<PartRow> = sqlx::query_as_with::<_, SqlitePartRow, _>(&self.sql, args)
            .persistent(self.persistent)
            .fetch_all(&mut **tx)
            .await
            .map_err(db("list partitions"))?
            .into_iter()
            .map(SqliteStore::part_row)
            .collect::<Result<_>>()?;
        if rows.len() != want {
            // The snapshot cannot change under the transaction; fewer rows is a defect.
            return Err(internal("list partitions", format!("page of {} rows, expected {want}", rows.len())));
        }
        let shapes = sql::partitions::load_shapes(tx, &rows).await?;
        if let Some(last) = rows.last() {
            self.after.clone_from(&last.part_name);
        }
        self.sent += rows.len();
        rows::into_models(rows, &shapes, &self.db_name, &self.table).map(Some)
    }
}

impl Dialect for SqliteStore {
    type Db = Sqlite;
    type List<T> = String;
    type PartRow = SqlitePartRow;
    type Values = String;

    const NAME: &'static str = "sqlite";
    const ROW_LOCKS: bool = false;
    const SHAPE_HASH_CONFLICT: &'static str = "(shape_hash)";
    const NEXT_LOCK_ID: &'static str =
        "UPDATE lock_id_sequence SET next_lock_id = next_lock_id + 1 WHERE id = 1 RETURNING next_lock_id - 1";
    const HISTORY_RECORDS_MOVE: &'static str =
        "SELECT id FROM location_history WHERE new_location = $1 AND previous_location = $2 LIMIT 1";
    /// SQLite compares bytes anyway.
    const LOCATION_COLLATION: &'static str = "";
    const NAMED_PARTITIONS: &'static str = "FROM partitions p WHERE p.table_id = $1 \
         AND p.part_name IN (SELECT value FROM json_each($2)) ORDER BY p.part_name";
    const NUMBERED_PARAMS: bool = false;
    const ARRAY_PARAMS: bool = false;
    const TEXT_HOLDS_NUL: bool = true;
    const LIKE_REGEX: bool = false;
    #[cfg(feature = "testkit")]
    const HISTORY_TABLES: &'static [&'static str] = &["location_history"];
    const PARTITION_CHUNK: usize = SQLITE_PART_CHUNK;
    /// One statement: the list is one parameter.
    const DELETE_CHUNK: usize = usize::MAX;

    fn list<T: Serialize + Clone>(items: &[T]) -> Result<String> {
        to_json(items)
    }

    fn in_list(param: &str) -> String {
        format!("IN (SELECT value FROM json_each({param}))")
    }

    fn text_rows(param: &str) -> String {
        format!("SELECT value FROM json_each({param})")
    }

    fn values(values: &[String]) -> Result<String> {
        to_json(values)
    }

    fn part_row(r: SqlitePartRow) -> Result<PartRow> {
        Ok(PartRow {
            id: r.id,
            part_name: r.part_name,
            values: from_json("decode partition values", &r.part_values)?,
            sd_id: r.sd_id,
            location: r.location,
            create_time: r.create_time,
            last_access_time: r.last_access_time,
            parameters: r.parameters,
        })
    }

    fn decode_values(values: String) -> Result<Vec<String>> {
        from_json("decode partition values", &values)
    }

    fn relocation_history(matching: &str) -> String {
        format!(
            "INSERT INTO location_history (operation, db_name, table_name, partition_name, \
             partition_values, previous_location, new_location, actor, client_addr, request_id, at_millis) \
             SELECT $4, $5, $6, part_name, part_values, location, $3 || substr(location, length($2) + 1), \
             $7, $8, $9, $10 FROM partitions WHERE {matching} ORDER BY part_name"
        )
    }

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

    fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn migrate_schema(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await.map_err(|e| internal("migrate sqlite", e))?;
        let mut conn = self.pool.acquire().await.map_err(db("migrate: acquire"))?;
        let changed = crate::canonical::rewrite_sqlite(&mut conn).await?;
        if changed > 0 {
            tracing::info!(rows = changed, "stored locations rewritten to their canonical form");
        }
        Ok(())
    }

    fn latest_migration() -> i64 {
        MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// The database file must still be at its path: open connections keep a file that was
    /// moved or deleted alive, so without this a lost file would look healthy while every new
    /// connection would create an empty database.
    async fn check_place(&self) -> Result<()> {
        let file: Option<String> = sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_optional(&self.pool)
            .await
            .map_err(db("database file"))?;
        match file.filter(|f| !f.is_empty()) {
            None => Ok(()), // in memory
            Some(path) => match tokio::fs::metadata(&path).await {
                Ok(_) => Ok(()),
                Err(e) => Err(CatalogError::Meta(format!("database file {path} is not reachable: {e}"))),
            },
        }
    }

    /// Takes the write lock now rather than on the first write.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db("begin immediate"))
    }

    /// A deferred transaction: its first read fixes the snapshot (WAL).
    async fn begin_read(&self) -> Result<Transaction<'static, Sqlite>> {
        self.pool.begin().await.map_err(db("begin"))
    }

    /// Writers are serialised already.
    async fn begin_locks(&self) -> Result<Transaction<'static, Sqlite>> {
        self.begin_write().await
    }

    async fn insert_history(conn: &mut SqliteConnection, entries: &[HistoryEntry]) -> Result<()> {
        insert_history(conn, entries).await
    }

    /// SQLite cannot write inside a `WITH`: the sequence and the log in one write transaction.
    async fn append_event(&self, e: &NotificationEvent) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE notification_sequence SET next_event_id = next_event_id + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await
            .map_err(db("append event: sequence"))?;
        let sql = format!(
            "{EVENT_INSERT} SELECT s.id, $1, $2, $3, $4, $5, $6, $7 \
             FROM (SELECT next_event_id - 1 AS id FROM notification_sequence WHERE id = 1) AS s RETURNING event_id"
        );
        let id = bind_event!(sqlx::query_scalar(&sql), e).fetch_one(&mut *tx).await.map_err(db("append event"))?;
        tx.commit().await.map_err(db("append event: commit"))?;
        Ok(id)
    }

    /// An exclusive lock on a file next to the database (`<db>.name-lock`), one for all names
    /// (SQLite serialises writes anyway), so servers sharing the file take turns. It is polled,
    /// not waited for, so no thread blocks; the lock goes with the file handle.
    async fn lock_name(&self, name: &str) -> Result<NameLock> {
        let Some(path) = self.name_lock_file.as_deref() else { return Ok(Box::new(())) };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| CatalogError::Meta(format!("Unable to open {}: {e}", path.display())))?;
        let deadline = tokio::time::Instant::now() + NAME_LOCK_TIMEOUT;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Box::new(file)),
                Err(std::fs::TryLockError::WouldBlock) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err(e) => return Err(CatalogError::Meta(format!("Timed out waiting for the lock of {name}: {e}"))),
            }
        }
    }

    async fn insert_partitions(
        conn: &mut SqliteConnection,
        table_id: i64,
        rows: &[(&str, &Partition, i64, &str)],
    ) -> Result<Vec<(i64, String)>> {
        let sql = format!(
            "INSERT INTO partitions (table_id, part_name, part_values, sd_id, location, create_time, \
             last_access_time, parameters) VALUES {} \
             ON CONFLICT (table_id, part_name) DO NOTHING RETURNING id, part_name",
            placeholders(rows.len(), 8)
        );
        let mut args = SqliteArguments::default();
        for &(name, part, sd_id, parameters) in rows {
            add(&mut args, table_id)?;
            add(&mut args, name.to_string())?;
            add(&mut args, to_json(&part.values)?)?;
            add(&mut args, sd_id)?;
            add(&mut args, part.sd.location.clone())?;
            add(&mut args, part.create_time.0)?;
            add(&mut args, part.last_access_time.0)?;
            add(&mut args, parameters.to_string())?;
        }
        sqlx::query_as_with(&sql, args).fetch_all(conn).await.map_err(db("add partitions"))
    }

    async fn insert_key_values(conn: &mut SqliteConnection, table_id: i64, parts: &[(i64, &[String])]) -> Result<()> {
        insert_key_values(conn, table_id, parts).await
    }

    /// One statement per partition (writers are serialised; no row is read back).
    async fn update_partitions(conn: &mut SqliteConnection, rows: &[PartitionUpdate<'_>]) -> Result<()> {
        for r in rows {
            sqlx::query(
                "UPDATE partitions SET sd_id = $2, location = $3, create_time = $4, last_access_time = $5, \
                 parameters = $6 WHERE id = $1",
            )
            .bind(r.id)
            .bind(r.sd_id)
            .bind(r.location)
            .bind(r.create_time)
            .bind(r.last_access_time)
            .bind(r.parameters)
            .execute(&mut *conn)
            .await
            .map_err(db("alter partitions"))?;
        }
        Ok(())
    }

    /// `BEGIN IMMEDIATE` serialises every writer, policy-checked swaps included.
    async fn lock_table_swaps(_conn: &mut SqliteConnection, _table_id: i64) -> Result<()> {
        Ok(())
    }

    /// Inside the (serialised) write transaction.
    async fn fresh_location_uses(
        conn: &mut SqliteConnection,
        table_id: i64,
        db_name: &str,
        table: &str,
        targets: &[String],
    ) -> Result<(Vec<(String, String)>, Vec<(Option<String>, String)>)> {
        let targets = to_json(targets)?;
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
        Ok((live, past))
    }

    /// Only a whole-table listing is paged here (see below).
    async fn page_partitions(
        &self,
        db_name: &str,
        table: &str,
        query: &PartitionQuery<'_>,
        page: usize,
    ) -> Result<Option<Box<dyn PartitionPages>>> {
        let selection = partitions::select::<SqliteStore>(query)?;
        // Only a whole-table listing is paged here: pages are read by name after the last one
        // sent, and with a condition SQLite would walk every name of the table to fill each page.
        if !self.pages || !selection.is_whole_table() {
            return Ok(None);
        }
        // A deferred transaction: its first read fixes the snapshot (WAL) every page reads.
        let mut tx = self.pool.begin().await.map_err(db("begin"))?;
        let table_id = sql::partitions::partition_table_id(&mut tx, db_name, table, false).await?;
        let count = sqlx::query_scalar_with::<_, i64, _>(
            &selection.sql("count(*)", false, false),
            SqliteStore::selection_args(table_id, &selection.binds, None)?,
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
}

/// Write the key-value rows of partitions `(id, values)`.
async fn insert_key_values(conn: &mut SqliteConnection, table_id: i64, parts: &[(i64, &[String])]) -> Result<()> {
    let mut rows = Vec::new();
    for &(id, values) in parts {
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
