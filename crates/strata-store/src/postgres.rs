//! The PostgreSQL store (production): connection, migrations, and what PostgreSQL does its own
//! way ([`Dialect`]); the SQL both stores share is stamped in from [`crate::sql`].
//!
//! Every trait method runs in one transaction at READ COMMITTED. Writers that must see a stable
//! row lock it (`FOR UPDATE`); lock requests serialise on one transaction-scoped advisory lock.
//! The history is stored as changes whose entries are arrays (`history_changes`, migration
//! 0009); bulk writes bind arrays and `UNNEST` them; a paged listing with a condition reads a
//! scroll cursor.

use std::{str::FromStr, time::Duration};

use async_trait::async_trait;
use serde::Serialize;
use sqlx::{
    migrate::Migrator,
    postgres::{PgArguments, PgConnectOptions, PgPoolOptions},
    Arguments, PgConnection, PgPool, Postgres, Transaction,
};
use strata_core::{
    model::NotificationEvent,
    model::{HistoryEntry, Partition},
    Result,
};

use crate::{
    api::{moves::NameLock, PartitionPages, PartitionQuery},
    dialect::{Bind, Dialect, PartitionUpdate},
    errors::{db, internal},
    partitions,
    rows::{self, to_json, PartRow, Shapes, PART_COLUMNS},
    sql::events::{bind_event, EVENT_INSERT},
};

static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Key of the transaction-scoped advisory lock that serialises lock requests ("StrataLk").
const LOCKS_ADVISORY_KEY: i64 = 0x5374_7261_7461_4c6b;

/// Most connections one server opens.
const MAX_CONNECTIONS: u32 = 16;
/// How long a call waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The PostgreSQL implementation of [`Store`](crate::Store).
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

crate::sql::stamp!(crate::postgres::PgStore);

/// Entries per stored change at most: a change's entry ids are a block of this many (migration
/// 0009), and a drop of a million partitions is stored as many changes, so no array grows
/// without bound.
const HISTORY_CHANGE_MAX: usize = 1_000;

/// Append history entries, in order (their ids ascend with it): one `history_changes` row, one
/// statement, per change (see migration 0009), each entry's columns bound as arrays.
async fn insert_history(conn: &mut PgConnection, entries: &[HistoryEntry]) -> Result<()> {
    crate::api::browse::count_history_rows(entries.len());
    for change in history_changes(entries, HISTORY_CHANGE_MAX) {
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
        .bind(first.operation.as_str())
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

/// The changes a list of history entries is stored as (`history_changes`): runs of
/// consecutive entries that share what a change holds once (operation, table, actor, client,
/// request and time), at most `max` entries each, in order.
fn history_changes(entries: &[HistoryEntry], max: usize) -> impl Iterator<Item = &[HistoryEntry]> {
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

/// Rows written per statement (partitions, history).
const PG_CHUNK: usize = 5_000;
/// Key-value rows written per statement.
const PG_KV_CHUNK: usize = 20_000;

/// A `partitions` row as PostgreSQL returns it ([`PART_COLUMNS`]).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PgPartRow {
    id: i64,
    part_name: String,
    part_values: Vec<String>,
    sd_id: i64,
    location: Option<String>,
    create_time: i32,
    last_access_time: i32,
    parameters: String,
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
    /// [`crate::Store::list_partitions`] runs, so the same plan (a filter starts from its key-value
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
        let rows: Vec<PartRow> = rows.into_iter().map(PgStore::part_row).collect::<Result<_>>()?;
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
                    PgStore::selection_args(*table_id, &selection.binds, None)?,
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
            return rows::into_models(rows, &self.shapes, &self.db_name, &self.table).map(Some);
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
        let mut ids = rows::shape_ids(&rows);
        ids.retain(|id| !self.shapes.contains_key(id));
        self.shapes.extend(sql::partitions::shapes_by_id(tx, &ids).await?);
        self.fetched += rows.len();
        rows::into_models(rows, &self.shapes, &self.db_name, &self.table).map(Some)
    }
}

/// `FROM partitions p` restricted to table `$1` and the names in `$2`, in name order: a join on
/// the unnested names (not `= ANY($2)`, which PostgreSQL may evaluate by scanning the array for
/// every row: quadratic for thousands of names).
const NAMED_PARTITIONS: &str = "FROM partitions p \
     JOIN (SELECT DISTINCT unnest($2::text[]) AS name) AS wanted ON p.part_name = wanted.name COLLATE \"C\" \
     WHERE p.table_id = $1 ORDER BY p.part_name";

impl Dialect for PgStore {
    type Db = Postgres;
    type List<T> = Vec<T>;
    type PartRow = PgPartRow;
    type Values = Vec<String>;

    const NAME: &'static str = "postgres";
    const ROW_LOCKS: bool = true;
    const SHAPE_HASH_CONFLICT: &'static str = "ON CONSTRAINT storage_descriptors_shape_hash_key";
    const NEXT_LOCK_ID: &'static str = "SELECT nextval('lock_id_sequence')";
    /// Found through the location-key index.
    const HISTORY_RECORDS_MOVE: &'static str = "SELECT c.id FROM history_changes c \
         CROSS JOIN LATERAL unnest(c.previous_locations, c.new_locations) AS e(previous_location, new_location) \
         WHERE c.location_keys && history_location_keys(ARRAY[$1::text]) \
         AND e.new_location = $1 AND e.previous_location = $2 LIMIT 1";
    const LOCATION_COLLATION: &'static str = " COLLATE \"C\"";
    const NAMED_PARTITIONS: &'static str = NAMED_PARTITIONS;
    const NUMBERED_PARAMS: bool = true;
    const ARRAY_PARAMS: bool = true;
    const TEXT_HOLDS_NUL: bool = false;
    const LIKE_REGEX: bool = true;
    #[cfg(feature = "testkit")]
    const HISTORY_TABLES: &'static [&'static str] = &["location_history", "history_changes"];
    const PARTITION_CHUNK: usize = PG_CHUNK;
    const DELETE_CHUNK: usize = PG_KV_CHUNK;

    fn list<T: Serialize + Clone>(items: &[T]) -> Result<Vec<T>> {
        Ok(items.to_vec())
    }

    fn in_list(param: &str) -> String {
        format!("= ANY({param})")
    }

    fn text_rows(param: &str) -> String {
        format!("SELECT unnest({param}::text[])")
    }

    fn values(values: &[String]) -> Result<Vec<String>> {
        Ok(values.to_vec())
    }

    fn part_row(r: PgPartRow) -> Result<PartRow> {
        Ok(PartRow {
            id: r.id,
            part_name: r.part_name,
            values: r.part_values,
            sd_id: r.sd_id,
            location: r.location,
            create_time: r.create_time,
            last_access_time: r.last_access_time,
            parameters: r.parameters,
        })
    }

    fn decode_values(values: Vec<String>) -> Result<Vec<String>> {
        Ok(values)
    }

    /// As changes of at most `HISTORY_CHANGE_MAX` entries.
    fn relocation_history(matching: &str) -> String {
        format!(
            "INSERT INTO history_changes (first_entry_id, operation, db_name, table_name, actor, \
             client_addr, request_id, at_millis, partition_names, partition_values, batch_ids, \
             previous_locations, new_locations, location_keys) \
             SELECT nextval('history_entry_blocks'), $4, $5, $6, $7, $8, $9, $10, \
             array_agg(part_name ORDER BY part_name), array_agg(part_values ORDER BY part_name), \
             array_agg(NULL::text ORDER BY part_name), array_agg(location ORDER BY part_name), \
             array_agg(new_location ORDER BY part_name), history_location_keys(array_agg(new_location)) \
             FROM (SELECT part_name, to_json(part_values)::text AS part_values, location, \
                   $3 || substr(location, length($2) + 1) AS new_location, \
                   (row_number() OVER (ORDER BY part_name) - 1) / {HISTORY_CHANGE_MAX} AS piece \
                   FROM partitions WHERE {matching}) AS moved \
             GROUP BY piece ORDER BY piece"
        )
    }

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

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// sqlx's migrator holds `pg_advisory_lock` (keyed by the database name) while it runs, so
    /// servers starting together apply each migration once. It runs on a connection of its own
    /// that is closed on failure, so a session lock left behind by an error cannot outlive it.
    async fn migrate_schema(&self) -> Result<()> {
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

    fn latest_migration() -> i64 {
        MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// A PostgreSQL database is where its URL says; nothing more to check.
    async fn check_place(&self) -> Result<()> {
        Ok(())
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(db("begin"))
    }

    /// A read-only transaction on one snapshot (a listing and its descriptors agree).
    async fn begin_read(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await.map_err(db("begin read"))
    }

    /// Lock requests serialise on one transaction-scoped advisory lock.
    async fn begin_locks(&self) -> Result<Transaction<'static, Postgres>> {
        let mut tx = self.begin_write().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(LOCKS_ADVISORY_KEY)
            .execute(&mut *tx)
            .await
            .map_err(db("lock advisory"))?;
        Ok(tx)
    }

    async fn insert_history(conn: &mut PgConnection, entries: &[HistoryEntry]) -> Result<()> {
        insert_history(conn, entries).await
    }

    /// One statement (one round trip, its own transaction): the sequence row's update takes its
    /// row lock, so concurrent appends commit their ids in order.
    async fn append_event(&self, e: &NotificationEvent) -> Result<i64> {
        let sql = format!(
            "WITH s AS (UPDATE notification_sequence SET next_event_id = next_event_id + 1 WHERE id = 1 \
             RETURNING next_event_id - 1 AS id) \
             {EVENT_INSERT} SELECT s.id, $1, $2, $3, $4, $5, $6, $7 FROM s RETURNING event_id"
        );
        bind_event!(sqlx::query_scalar(&sql), e).fetch_one(&self.pool).await.map_err(db("append event"))
    }

    /// A session advisory lock on a connection of the name-lock pool.
    async fn lock_name(&self, name: &str) -> Result<NameLock> {
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

    async fn insert_partitions(
        conn: &mut PgConnection,
        table_id: i64,
        rows: &[(&str, &Partition, i64, &str)],
    ) -> Result<Vec<(i64, String)>> {
        let n = rows.len();
        let (mut names, mut sds, mut locations) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut created, mut accessed, mut params) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let mut values = Vec::with_capacity(n);
        for &(name, part, sd_id, parameters) in rows {
            names.push(name);
            sds.push(sd_id);
            locations.push(part.sd.location.as_deref());
            created.push(part.create_time.0);
            accessed.push(part.last_access_time.0);
            params.push(parameters);
            // One JSON array per partition: slicing one flat array per row costs O(n²).
            values.push(to_json(&part.values)?);
        }
        // ON CONFLICT also covers a concurrent add of the same name.
        sqlx::query_as(
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
        .fetch_all(conn)
        .await
        .map_err(db("add partitions"))
    }

    async fn insert_key_values(conn: &mut PgConnection, table_id: i64, parts: &[(i64, &[String])]) -> Result<()> {
        insert_key_values(conn, table_id, parts).await
    }

    async fn update_partitions(conn: &mut PgConnection, rows: &[PartitionUpdate<'_>]) -> Result<()> {
        for chunk in rows.chunks(PG_CHUNK) {
            let ids: Vec<i64> = chunk.iter().map(|r| r.id).collect();
            let sds: Vec<i64> = chunk.iter().map(|r| r.sd_id).collect();
            let locations: Vec<Option<&str>> = chunk.iter().map(|r| r.location).collect();
            let created: Vec<i32> = chunk.iter().map(|r| r.create_time).collect();
            let accessed: Vec<i32> = chunk.iter().map(|r| r.last_access_time).collect();
            let params: Vec<&str> = chunk.iter().map(|r| r.parameters).collect();
            sqlx::query(
                "UPDATE partitions p SET sd_id = u.sd_id, location = u.location, create_time = u.create_time, \
                 last_access_time = u.last_access_time, parameters = u.parameters \
                 FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::int[], $5::int[], $6::text[]) \
                 AS u(id, sd_id, location, create_time, last_access_time, parameters) WHERE p.id = u.id",
            )
            .bind(&ids)
            .bind(&sds)
            .bind(&locations)
            .bind(&created)
            .bind(&accessed)
            .bind(&params)
            .execute(&mut *conn)
            .await
            .map_err(db("alter partitions"))?;
        }
        Ok(())
    }

    async fn lock_table_swaps(conn: &mut PgConnection, table_id: i64) -> Result<()> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(table_id)
            .execute(conn)
            .await
            .map_err(db("alter partitions: table lock"))?;
        Ok(())
    }

    async fn fresh_location_uses(
        conn: &mut PgConnection,
        table_id: i64,
        db_name: &str,
        table: &str,
        targets: &[String],
    ) -> Result<(Vec<(String, String)>, Vec<(Option<String>, String)>)> {
        // Looked up on the location index (migration 0010) only, so the cost does not grow with
        // the table's partitions: `table_id + 0` keeps the planner from also reading every index
        // entry of the table (a bitmap AND it picks before the statistics are in).
        let live: Vec<(String, String)> = sqlx::query_as(
            "SELECT part_name, location FROM partitions \
             WHERE location COLLATE \"C\" = ANY($2::text[]) AND table_id + 0 = $1",
        )
        .bind(table_id)
        .bind(targets)
        .fetch_all(&mut *conn)
        .await
        .map_err(db("alter partitions: live locations"))?;
        // The changes that share a last path segment with a target (the key index, the only one
        // usable here: `|| ''` keeps the planner off the per-table index, and seq scans are off
        // for this one statement, so it never reads every change of the table, whose key arrays
        // grow with its partitions), then the entries whose location is one.
        sqlx::query("SET LOCAL enable_seqscan = off")
            .execute(&mut *conn)
            .await
            .map_err(db("alter partitions: plan"))?;
        let past: Vec<(Option<String>, String)> = sqlx::query_as(
            "SELECT e.partition_name, e.new_location FROM history_changes c \
             CROSS JOIN LATERAL unnest(c.partition_names, c.new_locations) AS e(partition_name, new_location) \
             WHERE c.location_keys && $4 AND c.db_name || '' = $1 AND c.table_name || '' = $2 \
             AND e.new_location IN (SELECT unnest($3::text[]))",
        )
        .bind(db_name)
        .bind(table)
        .bind(targets)
        .bind(partitions::location_keys(targets.iter().map(String::as_str)))
        .fetch_all(&mut *conn)
        .await
        .map_err(db("alter partitions: past locations"))?;
        sqlx::query("SET LOCAL enable_seqscan = on").execute(&mut *conn).await.map_err(db("alter partitions: plan"))?;
        Ok((live, past))
    }

    async fn page_partitions(
        &self,
        db_name: &str,
        table: &str,
        query: &PartitionQuery<'_>,
        page: usize,
    ) -> Result<Option<Box<dyn PartitionPages>>> {
        let selection = partitions::select::<PgStore>(query)?;
        if selection.recheck.is_some() {
            return Ok(None);
        }
        let page = page.max(1);
        let mut tx = self.begin_read().await?;
        let table_id = sql::partitions::partition_table_id(&mut tx, db_name, table, false).await?;
        let mut source = if selection.is_whole_table() {
            PageSource::Names { table_id, sql: selection.page_sql(PART_COLUMNS), after: String::new() }
        } else {
            let limit = selection.sql_limit(query.max);
            let sql = selection.sql(PART_COLUMNS, true, limit.is_some());
            sqlx::query_with(
                &format!("DECLARE {LISTING_CURSOR} SCROLL CURSOR FOR {sql}"),
                PgStore::selection_args(table_id, &selection.binds, limit)?,
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
        let shapes = sql::partitions::load_shapes(&mut tx, &rows).await?;
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
}

/// Write the key-value rows of partitions `(id, values)`.
async fn insert_key_values(conn: &mut PgConnection, table_id: i64, parts: &[(i64, &[String])]) -> Result<()> {
    let (mut pids, mut indexes, mut values, mut ints, mut dates) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &(id, part_values) in parts {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_grouped_into_changes_in_order() {
        use strata_core::model::HistoryOp;
        let entry = |op: HistoryOp, table: &str, at: i64, part: &str| HistoryEntry {
            operation: op,
            db_name: "db".into(),
            table_name: table.into(),
            partition_name: Some(part.into()),
            request_id: "r1".into(),
            at_millis: at,
            ..HistoryEntry::default()
        };
        let entries = vec![
            entry(HistoryOp::AlterPartition, "t", 1, "a"),
            entry(HistoryOp::AlterPartition, "t", 1, "b"),
            entry(HistoryOp::AlterPartition, "t", 1, "c"),
            entry(HistoryOp::DropPartition, "t", 1, "d"),
            entry(HistoryOp::AlterPartition, "t", 1, "e"),
            entry(HistoryOp::AlterPartition, "u", 1, "f"),
            entry(HistoryOp::AlterPartition, "u", 2, "g"),
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
        let mut other_request = entry(HistoryOp::AlterPartition, "t", 1, "b");
        other_request.request_id = "r2".into();
        let split = [entry(HistoryOp::AlterPartition, "t", 1, "a"), other_request];
        assert_eq!(history_changes(&split, 10).count(), 2);
    }
}
