//! The SQL of every aggregate, written once.
//!
//! Each module holds one aggregate as a macro whose only argument is the backend's store type
//! (its [`Dialect`](crate::dialect::Dialect)); what differs between backends is looked up by
//! name on it (`<$store as Dialect>::…`). [`stamp!`] writes them all for one backend, with the
//! [`Store`](crate::Store) impl and the impls of its supertraits; `postgres.rs` and `sqlite.rs`
//! invoke it once each. Macros rather than generic functions: sqlx's bounds for code generic
//! over the database (executors, encodings of every bound type) would outweigh the bodies.

pub(crate) mod browse;
pub(crate) mod databases;
pub(crate) mod events;
pub(crate) mod functions;
pub(crate) mod history;
pub(crate) mod locks;
pub(crate) mod moves;
pub(crate) mod partitions;
pub(crate) mod stats;
pub(crate) mod tables;
pub(crate) mod tags;
#[cfg(feature = "testkit")]
pub(crate) mod testkit;

/// Everything a backend's store implements, from the shared SQL. `$store` is the full path of
/// the store type (it implements [`Dialect`](crate::dialect::Dialect)).
macro_rules! stamp {
    ($store:ty) => {
        /// The shared SQL, stamped for this backend (see `crate::sql`).
        mod sql {
            $crate::sql::databases::databases!($store);
            $crate::sql::tables::tables!($store);
            $crate::sql::partitions::partitions!($store);
            $crate::sql::history::history!($store);
            $crate::sql::locks::locks!($store);
            $crate::sql::functions::functions!($store);
            $crate::sql::stats::stats!($store);
            $crate::sql::events::events!($store);
            $crate::sql::tags::tags!($store);
            $crate::sql::moves::moves!($store);
            $crate::sql::browse::browse!($store);
            $crate::sql::store_impl!($store);
            #[cfg(feature = "testkit")]
            $crate::sql::testkit::testkit!($store);
        }
    };
}
pub(crate) use stamp;

/// The [`Store`](crate::Store) impl: each method is the body of its aggregate's module.
macro_rules! store_impl {
    ($store:ty) => {
        use strata_core::{
            model::{Database, HistoryEntry, LockInfo, LockRequest, Partition, Table, TableSummary},
            Result,
        };
        use $crate::{
            api::{AlterTableOptions, LockFilter, LockOutcome, PartitionPages, PartitionQuery, Placement, Store},
            dialect::Dialect,
        };

        #[async_trait::async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                <$store as Dialect>::NAME
            }

            async fn migrate(&self) -> Result<()> {
                <$store as Dialect>::migrate_schema(self).await
            }

            async fn metastore_uuid(&self) -> Result<String> {
                databases::metastore_uuid(self).await
            }

            // ---- databases ----

            async fn create_database(&self, db: &Database) -> Result<()> {
                databases::create_database(self, db).await
            }
            async fn get_database(&self, name: &str) -> Result<Option<Database>> {
                databases::get_database(self, name).await
            }
            async fn list_databases(&self) -> Result<Vec<String>> {
                databases::list_databases(self).await
            }
            async fn alter_database(&self, db: &Database) -> Result<()> {
                databases::alter_database(self, db).await
            }
            async fn drop_database(&self, name: &str, cascade: bool, history: &[HistoryEntry]) -> Result<Vec<Table>> {
                databases::drop_database(self, name, cascade, history).await
            }

            // ---- tables ----

            async fn create_table(&self, table: &Table, history: &[HistoryEntry]) -> Result<i64> {
                tables::create_table(self, table, history).await
            }
            async fn get_table(&self, db: &str, name: &str) -> Result<Option<Table>> {
                tables::get_table(self, db, name).await
            }
            async fn get_tables(&self, db: &str, names: &[String]) -> Result<Vec<Table>> {
                tables::get_tables(self, db, names).await
            }
            async fn list_tables_full(&self, db: &str) -> Result<Vec<Table>> {
                tables::list_tables_full(self, db).await
            }
            async fn list_tables(&self, db: &str) -> Result<Vec<TableSummary>> {
                tables::list_tables(self, db).await
            }
            async fn alter_table(&self, db: &str, name: &str, new: &Table, options: &AlterTableOptions) -> Result<()> {
                tables::alter_table(self, db, name, new, options).await
            }
            async fn drop_table(&self, db: &str, name: &str, history: &[HistoryEntry]) -> Result<()> {
                tables::drop_table(self, db, name, history).await
            }
            async fn dropped_table(&self, db: &str, name: &str) -> Result<Option<(Table, Vec<(String, Partition)>)>> {
                tables::dropped_table(self, db, name).await
            }

            // ---- partitions ----

            async fn add_partitions(
                &self,
                db: &str,
                table: &str,
                parts: &[(String, Partition)],
                if_not_exists: bool,
                history: &[HistoryEntry],
            ) -> Result<Vec<usize>> {
                partitions::add_partitions(self, db, table, parts, if_not_exists, history).await
            }
            async fn get_partition(&self, db: &str, table: &str, name: &str) -> Result<Option<Partition>> {
                let mut found = self.get_partitions_by_names(db, table, &[name.to_string()]).await?;
                Ok(found.pop())
            }
            async fn get_partitions_by_names(&self, db: &str, table: &str, names: &[String]) -> Result<Vec<Partition>> {
                partitions::get_partitions_by_names(self, db, table, names).await
            }
            async fn list_partitions(
                &self,
                db: &str,
                table: &str,
                query: &PartitionQuery<'_>,
            ) -> Result<Vec<Partition>> {
                partitions::list_partitions(self, db, table, query).await
            }
            async fn page_partitions(
                &self,
                db: &str,
                table: &str,
                query: &PartitionQuery<'_>,
                page: usize,
            ) -> Result<Option<Box<dyn PartitionPages>>> {
                <$store as Dialect>::page_partitions(self, db, table, query, page).await
            }
            async fn list_partition_names(
                &self,
                db: &str,
                table: &str,
                query: &PartitionQuery<'_>,
            ) -> Result<Vec<String>> {
                partitions::list_partition_names(self, db, table, query).await
            }
            async fn count_partitions(&self, db: &str, table: &str, query: &PartitionQuery<'_>) -> Result<i64> {
                partitions::count_partitions(self, db, table, query).await
            }
            async fn alter_partitions(
                &self,
                db: &str,
                table: &str,
                parts: &[(String, Partition)],
                history: Vec<HistoryEntry>,
                fresh_locations: bool,
            ) -> Result<Vec<Placement>> {
                partitions::alter_partitions(self, db, table, parts, history, fresh_locations).await
            }
            async fn rename_partition(
                &self,
                db: &str,
                table: &str,
                old_name: &str,
                new_name: &str,
                new: &Partition,
                history: &[HistoryEntry],
            ) -> Result<()> {
                partitions::rename_partition(self, db, table, old_name, new_name, new, history).await
            }
            async fn drop_partitions(
                &self,
                db: &str,
                table: &str,
                names: &[String],
                history: &[HistoryEntry],
            ) -> Result<Vec<Partition>> {
                partitions::drop_partitions(self, db, table, names, history).await
            }
            async fn exchange_partitions(
                &self,
                source: (&str, &str),
                dest: (&str, &str),
                parts: &[(String, Partition)],
                history: &[HistoryEntry],
            ) -> Result<Vec<Partition>> {
                partitions::exchange_partitions(self, source, dest, parts, history).await
            }

            // ---- history ----

            async fn append_history(&self, entries: &[HistoryEntry]) -> Result<()> {
                history::append_history(self, entries).await
            }
            async fn history_all(&self) -> Result<Vec<HistoryEntry>> {
                history::history_all(self).await
            }
            async fn history(&self, db: &str, table: &str, since_millis: Option<i64>) -> Result<Vec<HistoryEntry>> {
                history::history(self, db, table, since_millis).await
            }

            // ---- locks ----

            async fn lock(
                &self,
                request: &LockRequest,
                now_millis: i64,
                expire_before_millis: i64,
            ) -> Result<LockOutcome> {
                locks::lock(self, request, now_millis, expire_before_millis).await
            }
            async fn check_lock(
                &self,
                lock_id: i64,
                now_millis: i64,
                expire_before_millis: i64,
            ) -> Result<LockOutcome> {
                locks::check_lock(self, lock_id, now_millis, expire_before_millis).await
            }
            async fn unlock(&self, lock_id: i64) -> Result<()> {
                locks::unlock(self, lock_id).await
            }
            async fn heartbeat(&self, lock_id: i64, now_millis: i64) -> Result<()> {
                locks::heartbeat(self, lock_id, now_millis).await
            }
            async fn show_locks(&self, filter: &LockFilter) -> Result<Vec<LockInfo>> {
                locks::show_locks(self, filter).await
            }
        }
    };
}
pub(crate) use store_impl;
