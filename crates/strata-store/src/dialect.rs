//! The seam between the SQL written once ([`crate::sql`]) and the two backends.
//!
//! Each aggregate's SQL is written once, in a macro of [`crate::sql`] stamped once per backend;
//! what differs between PostgreSQL and SQLite is looked up by name on the backend's
//! [`Dialect`] (`<$store as Dialect>::ROW_LOCKS`, `<$store as Dialect>::insert_history(..)`),
//! implemented by the store types themselves in `postgres.rs` and `sqlite.rs`. Only true
//! differences live there: how a transaction starts and locks, how a list is bound, how the
//! history is stored (PostgreSQL's arrays, SQLite's rows), how lock ids are handed out, the
//! bulk writes of partitions, a paged listing's snapshot, and name locks.

use serde::Serialize;
use sqlx::{Database, Pool, Transaction};
use strata_core::{
    model::NotificationEvent,
    model::{HistoryEntry, Partition},
    Result,
};

use crate::{
    api::{moves::NameLock, PartitionPages, PartitionQuery},
    rows::PartRow,
};

/// A backend's connection.
pub(crate) type Conn<D> = <<D as Dialect>::Db as Database>::Connection;

/// What the shared SQL looks up on a backend. Implemented by each store type.
pub(crate) trait Dialect: Sized + Send + Sync + 'static {
    /// The sqlx database.
    type Db: Database;
    /// A list bound as one parameter: a PostgreSQL array, SQLite JSON text (read back with
    /// `json_each`).
    type List<T>;
    /// A `partitions` row as the backend returns it (`crate::rows::PART_COLUMNS`).
    type PartRow: Send + Unpin + for<'r> sqlx::FromRow<'r, <Self::Db as Database>::Row>;
    /// A partition's values as the backend stores them (an array, or JSON text).
    type Values: Send + Unpin;

    /// `"postgres"` or `"sqlite"` ([`crate::Store::backend`]).
    const NAME: &'static str;
    /// Whether `FOR UPDATE`/`FOR SHARE` clauses exist. SQLite has no row locks: its writers
    /// hold the database's write lock from `BEGIN IMMEDIATE` to commit (see [`row_lock`]).
    const ROW_LOCKS: bool;
    /// The conflict target of `storage_descriptors`' unique shape hash.
    const SHAPE_HASH_CONFLICT: &'static str;
    /// Take the next lock id (one row, one column).
    const NEXT_LOCK_ID: &'static str;
    /// The id of a history entry with new location `$1` and previous location `$2`, if any.
    const HISTORY_RECORDS_MOVE: &'static str;
    /// The collation a location comparison uses to match the location indexes (bytewise).
    const LOCATION_COLLATION: &'static str;
    /// The named partitions of table `$1` (names bound as the list `$2`), as `FROM … ORDER BY
    /// p.part_name`.
    const NAMED_PARTITIONS: &'static str;
    /// Whether generated statements number their parameters (`$n`); else anonymous `?`s
    /// (SQLite looks numbered ones up in a list, which is quadratic in big statements).
    const NUMBERED_PARAMS: bool;
    /// Whether a list can be bound as one array parameter.
    const ARRAY_PARAMS: bool;
    /// Whether text can hold NUL (PostgreSQL's cannot).
    const TEXT_HOLDS_NUL: bool;
    /// Whether a `LIKE` filter is pushed down as a regex match (`~`); else as `GLOB`.
    const LIKE_REGEX: bool;
    /// The tables that hold the history (all append-only), for the test hooks.
    #[cfg(feature = "testkit")]
    const HISTORY_TABLES: &'static [&'static str];
    /// Partitions written per `insert_partitions` call.
    const PARTITION_CHUNK: usize;
    /// Ids per `DELETE … WHERE id IN <list>` statement.
    const DELETE_CHUNK: usize;

    /// `items` as one bound list.
    fn list<T: Serialize + Clone>(items: &[T]) -> Result<Self::List<T>>;
    /// `<list param>` as the right side of a membership test: `= ANY($n)` or
    /// `IN (SELECT value FROM json_each($n))`.
    fn in_list(param: &str) -> String;
    /// The rows of a bound text list, as a subquery body (`SELECT …`).
    fn text_rows(param: &str) -> String;
    /// A partition's values as stored.
    fn values(values: &[String]) -> Result<Self::Values>;
    /// A stored row decoded.
    fn part_row(row: Self::PartRow) -> Result<PartRow>;
    /// Stored values decoded.
    fn decode_values(values: Self::Values) -> Result<Vec<String>>;
    /// The history rows of a relocation: one entry per partition matching `matching` (binds
    /// `$1` table id, `$2` old prefix, `$3` new prefix, `$4` operation, `$5` database, `$6`
    /// table, `$7` actor, `$8` client, `$9` request id, `$10` time), in name order.
    fn relocation_history(matching: &str) -> String;
    /// Arguments `$1 = table id`, then a selection's binds, then the limit if any.
    fn selection_args(
        table_id: i64,
        binds: &[Bind],
        limit: Option<i64>,
    ) -> Result<<Self::Db as Database>::Arguments<'static>>;

    /// The connection pool.
    fn pool(&self) -> &Pool<Self::Db>;
    /// Apply pending migrations and the data migrations after them.
    async fn migrate_schema(&self) -> Result<()>;
    /// The newest migration this build has.
    fn latest_migration() -> i64;
    /// That the database is still where it was opened (health).
    async fn check_place(&self) -> Result<()>;
    /// A transaction that writes.
    async fn begin_write(&self) -> Result<Transaction<'static, Self::Db>>;
    /// A transaction whose reads see one snapshot.
    async fn begin_read(&self) -> Result<Transaction<'static, Self::Db>>;
    /// A write transaction in which lock requests are serialised.
    async fn begin_locks(&self) -> Result<Transaction<'static, Self::Db>>;
    /// Append history entries, in order.
    async fn insert_history(conn: &mut Conn<Self>, entries: &[HistoryEntry]) -> Result<()>;
    /// Append a notification event with the next id; returns the id.
    async fn append_event(&self, event: &NotificationEvent) -> Result<i64>;
    /// Hold the lock of a name across servers ([`crate::api::moves::MoveStore::lock_name`]).
    async fn lock_name(&self, name: &str) -> Result<NameLock>;

    /// Insert partition rows `(name, partition, descriptor id, parameters)` of table
    /// `table_id`, skipping names that exist; returns `(id, name)` of those inserted.
    async fn insert_partitions(
        conn: &mut Conn<Self>,
        table_id: i64,
        rows: &[(&str, &Partition, i64, &str)],
    ) -> Result<Vec<(i64, String)>>;
    /// Write the key-value rows of partitions `(id, values)`.
    async fn insert_key_values(conn: &mut Conn<Self>, table_id: i64, parts: &[(i64, &[String])]) -> Result<()>;
    /// Rewrite partitions, each id once.
    async fn update_partitions(conn: &mut Conn<Self>, rows: &[PartitionUpdate<'_>]) -> Result<()>;
    /// Serialise the policy-checked location swaps of one table (before any row lock).
    async fn lock_table_swaps(conn: &mut Conn<Self>, table_id: i64) -> Result<()>;
    /// `(partition name, location)` of live partitions of the table at any of `targets`, and
    /// of history entries of the table whose new location is one of them.
    async fn fresh_location_uses(
        conn: &mut Conn<Self>,
        table_id: i64,
        db_name: &str,
        table: &str,
        targets: &[String],
    ) -> Result<(Vec<(String, String)>, Vec<(Option<String>, String)>)>;
    /// [`crate::Store::page_partitions`].
    async fn page_partitions(
        &self,
        db_name: &str,
        table: &str,
        query: &PartitionQuery<'_>,
        page: usize,
    ) -> Result<Option<Box<dyn PartitionPages>>>;
}

/// A bound parameter of a partition selection (`crate::partitions::Selection`). Arrays only
/// where [`Dialect::ARRAY_PARAMS`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
    Int4(i32),
    Texts(Vec<String>),
    Ints(Vec<i64>),
    Int4s(Vec<i32>),
}

/// The stored columns `alter_partitions` rewrites of one partition.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PartitionUpdate<'a> {
    pub id: i64,
    pub sd_id: i64,
    pub location: Option<&'a str>,
    pub create_time: i32,
    pub last_access_time: i32,
    pub parameters: &'a str,
}

/// `clause` (a row lock such as ` FOR UPDATE OF t`) where the backend has row locks, else
/// nothing.
pub(crate) fn row_lock<D: Dialect>(clause: &'static str) -> &'static str {
    if D::ROW_LOCKS {
        clause
    } else {
        ""
    }
}
