//! The two kinds of metastore a copy reads from and writes to, behind one trait: any HMS over
//! Thrift ([`ThriftEndpoint`]) and Strata's own catalog ([`CatalogEndpoint`]). Objects cross
//! in Strata's core model (converted at the Thrift edge by `strata_server::convert`).
//!
//! Calls are synchronous: each copy worker is an OS thread with its own endpoints (one Thrift
//! connection each), as HMS clients are.

use std::{collections::BTreeMap, time::Duration};

use strata_catalog::{import::Applied, Catalog};
use strata_core::{
    model::{param, Actor, Database, HistoryOp, Partition, Table},
    model::{ColumnStatistics, ColumnStats, Function},
    CatalogError,
};
use strata_server::convert;
use strata_store::PartitionQuery;
use strata_thrift::{self as t, TThriftHiveMetastoreSyncClient};
use thrift::{
    protocol::{TBinaryInputProtocol, TBinaryOutputProtocol, TInputProtocol, TOutputProtocol},
    transport::{TBufferedReadTransport, TBufferedWriteTransport, TFramedReadTransport, TFramedWriteTransport},
};

use crate::{transport, transport::Security, Error};

/// One entry of a source's notification log: which object it touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its id.
    pub id: i64,
    /// Its type (`ADD_PARTITION`, ...).
    pub kind: String,
    /// The database, if any.
    pub db: Option<String>,
    /// The table, if any.
    pub table: Option<String>,
}

/// A metastore, read and written object by object.
pub trait Endpoint: Send {
    /// Every database name.
    fn database_names(&mut self) -> Result<Vec<String>, Error>;
    /// A database, `None` if absent.
    fn database(&mut self, name: &str) -> Result<Option<Database>, Error>;
    /// Every table (and view) name of a database.
    fn table_names(&mut self, db: &str) -> Result<Vec<String>, Error>;
    /// A table, `None` if absent.
    fn table(&mut self, db: &str, name: &str) -> Result<Option<Table>, Error>;
    /// Every partition name of a table (`k1=v1/k2=v2`).
    fn partition_names(&mut self, db: &str, table: &str) -> Result<Vec<String>, Error>;
    /// The named partitions that exist.
    fn partitions(&mut self, db: &str, table: &str, names: &[String]) -> Result<Vec<Partition>, Error>;
    /// Every function of a database.
    fn functions(&mut self, db: &str) -> Result<Vec<Function>, Error>;
    /// Table-level column statistics (every column that has some).
    fn table_stats(&mut self, table: &Table) -> Result<Vec<ColumnStats>, Error>;
    /// Partition-level column statistics of the named partitions, by partition name.
    fn partition_stats(&mut self, table: &Table, names: &[String])
        -> Result<BTreeMap<String, Vec<ColumnStats>>, Error>;
    /// The id of the last notification event (0: none, or no notification log).
    fn current_event_id(&mut self) -> Result<i64, Error>;
    /// Up to `max` events after `id`.
    fn events_after(&mut self, id: i64, max: i32) -> Result<Vec<Event>, Error>;

    /// Create or update a database to equal `db`.
    fn put_database(&mut self, db: Database, exists: bool) -> Result<(), Error>;
    /// Create or update a table to equal `table`.
    fn put_table(&mut self, table: Table, exists: bool) -> Result<(), Error>;
    /// Add `new` partitions and replace `changed` ones of `table`.
    fn put_partitions(&mut self, table: &Table, new: Vec<Partition>, changed: Vec<Partition>) -> Result<(), Error>;
    /// Drop partitions (metadata only).
    fn drop_partitions(&mut self, table: &Table, names: Vec<String>) -> Result<(), Error>;
    /// Drop a table (metadata only).
    fn drop_table(&mut self, db: &str, name: &str) -> Result<(), Error>;
    /// Create or update a function.
    fn put_function(&mut self, f: Function, exists: bool) -> Result<(), Error>;
    /// Store column statistics of a table (`part` `None`) or one partition.
    fn put_stats(&mut self, table: &Table, part: Option<&str>, columns: Vec<ColumnStats>) -> Result<(), Error>;
    /// Partitions of a table whose latest change on this side is not an import (changed
    /// here since it was copied in): the copy reports them instead of overwriting them.
    /// `None` when this side keeps no history (any other HMS).
    fn changed_here(&mut self, _table: &Table) -> Result<Option<std::collections::HashSet<String>>, Error> {
        Ok(None)
    }
}

// ------------------------------------------------------------------------------- Thrift

type Input = Box<dyn TInputProtocol + Send>;
type Output = Box<dyn TOutputProtocol + Send>;
type Client = t::ThriftHiveMetastoreSyncClient<Input, Output>;

/// How to reach an HMS over Thrift.
#[derive(Debug, Clone)]
pub struct ThriftAddress {
    /// `host:port`.
    pub addr: String,
    /// Framed transport (`hive.metastore.thrift.framed.transport.enabled`) instead of unframed.
    pub framed: bool,
    /// TLS and SASL PLAIN (SASL implies framing).
    pub security: Security,
}

impl ThriftAddress {
    /// Parse `thrift://HOST:PORT`.
    pub fn parse(uri: &str, framed: bool) -> Result<Self, Error> {
        let rest = uri.strip_prefix("thrift://").ok_or_else(|| Error::msg(format!("not a thrift:// URI: {uri}")))?;
        let addr = rest.trim_end_matches('/').to_string();
        if addr.is_empty() {
            return Err(Error::msg(format!("no host in {uri}")));
        }
        Ok(Self { addr, framed, security: Security::default() })
    }

    /// The same address, secured.
    #[must_use]
    pub fn with_security(self, security: Security) -> Self {
        Self { security, ..self }
    }

    /// `thrift://HOST:PORT`.
    #[must_use]
    pub fn uri(&self) -> String {
        format!("thrift://{}", self.addr)
    }
}

/// An HMS (Apache's, Strata, any other) over Thrift binary protocol.
pub struct ThriftEndpoint {
    client: Client,
    uri: String,
}

fn not_found(e: &thrift::Error) -> bool {
    match e {
        thrift::Error::User(u) => u.downcast_ref::<t::NoSuchObjectException>().is_some(),
        _ => false,
    }
}

/// Columns HMS 2.3 keeps statistics for: every column of the table, or of its partitions.
fn column_names(table: &Table) -> Vec<String> {
    table.sd.cols.iter().map(|c| c.name.clone()).collect()
}

/// Environment context that keeps an HMS from recomputing statistics from the files.
fn keep_stats() -> t::EnvironmentContext {
    t::EnvironmentContext {
        properties: Some(t::StrMap::from_iter([(param::DO_NOT_UPDATE_STATS.to_string(), "true".to_string())])),
    }
}

impl ThriftEndpoint {
    /// Connect.
    pub fn connect(address: &ThriftAddress) -> Result<Self, Error> {
        let (stream, sasl) = transport::connect(&address.addr, &address.security, Duration::from_secs(600))
            .map_err(|e| Error::msg(format!("cannot connect to {}: {e}", address.uri())))?;
        let (r, w) = (stream.clone(), stream);
        let (input, output): (Input, Output) = if address.framed || sasl {
            (
                Box::new(TBinaryInputProtocol::new(TFramedReadTransport::with_capacity(64 * 1024, r), true)),
                Box::new(TBinaryOutputProtocol::new(TFramedWriteTransport::with_capacity(64 * 1024, w), true)),
            )
        } else {
            (
                Box::new(TBinaryInputProtocol::new(TBufferedReadTransport::with_capacity(64 * 1024, r), true)),
                Box::new(TBinaryOutputProtocol::new(TBufferedWriteTransport::with_capacity(64 * 1024, w), true)),
            )
        };
        Ok(Self { client: t::ThriftHiveMetastoreSyncClient::new(input, output), uri: address.uri() })
    }

    fn stats_out(table: &Table, part: Option<&str>, columns: Vec<ColumnStats>) -> t::ColumnStatistics {
        let rows = columns
            .into_iter()
            .map(|stats| strata_core::model::StoredColumnStats {
                part_name: part.map(str::to_string),
                engine: strata_core::model::DEFAULT_STATS_ENGINE.to_string(),
                last_analyzed: 0,
                stats,
            })
            .collect();
        let mut out = convert::column_statistics_out(&table.db_name, &table.name, part.map(str::to_string), rows);
        // HMS 2.3 knows neither catalogs nor engines.
        out.stats_desc.cat_name = None;
        out.stats_desc.last_analyzed = None;
        out.engine = None;
        out
    }
}

impl std::fmt::Debug for ThriftEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ThriftEndpoint({})", self.uri)
    }
}

impl Endpoint for ThriftEndpoint {
    fn database_names(&mut self) -> Result<Vec<String>, Error> {
        Ok(self.client.get_all_databases()?)
    }

    fn database(&mut self, name: &str) -> Result<Option<Database>, Error> {
        match self.client.get_database(name.to_string()) {
            Ok(db) => Ok(Some(convert::database_in(db))),
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn table_names(&mut self, db: &str) -> Result<Vec<String>, Error> {
        Ok(self.client.get_all_tables(db.to_string())?)
    }

    fn table(&mut self, db: &str, name: &str) -> Result<Option<Table>, Error> {
        match self.client.get_table(db.to_string(), name.to_string()) {
            Ok(t_) => Ok(Some(convert::table_in(t_))),
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn partition_names(&mut self, db: &str, table: &str) -> Result<Vec<String>, Error> {
        Ok(self.client.get_partition_names(db.to_string(), table.to_string(), -1)?)
    }

    fn partitions(&mut self, db: &str, table: &str, names: &[String]) -> Result<Vec<Partition>, Error> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let parts = self.client.get_partitions_by_names(db.to_string(), table.to_string(), names.to_vec())?;
        Ok(parts.into_iter().map(convert::partition_in).collect())
    }

    fn functions(&mut self, db: &str) -> Result<Vec<Function>, Error> {
        let names = self.client.get_functions(db.to_string(), "*".to_string())?;
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            match self.client.get_function(db.to_string(), name) {
                Ok(f) => out.push(convert::function_in(f)),
                Err(e) if not_found(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    fn table_stats(&mut self, table: &Table) -> Result<Vec<ColumnStats>, Error> {
        let cols = column_names(table);
        if cols.is_empty() || table.is_view() {
            return Ok(Vec::new());
        }
        let request = t::TableStatsRequest {
            db_name: table.db_name.clone(),
            tbl_name: table.name.clone(),
            col_names: cols,
            cat_name: None,
            valid_write_id_list: None,
            engine: None,
            id: None,
        };
        match self.client.get_table_statistics_req(request) {
            Ok(r) => Ok(r.table_stats.into_iter().map(convert::stats_obj_in).collect()),
            Err(e) if not_found(&e) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    fn partition_stats(
        &mut self,
        table: &Table,
        names: &[String],
    ) -> Result<BTreeMap<String, Vec<ColumnStats>>, Error> {
        let cols = column_names(table);
        if cols.is_empty() || names.is_empty() {
            return Ok(BTreeMap::new());
        }
        let request = t::PartitionsStatsRequest {
            db_name: table.db_name.clone(),
            tbl_name: table.name.clone(),
            col_names: cols,
            part_names: names.to_vec(),
            cat_name: None,
            valid_write_id_list: None,
            engine: None,
        };
        match self.client.get_partitions_statistics_req(request) {
            Ok(r) => Ok(r
                .part_stats
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().map(convert::stats_obj_in).collect()))
                .collect()),
            Err(e) if not_found(&e) => Ok(BTreeMap::new()),
            Err(e) => Err(e.into()),
        }
    }

    fn current_event_id(&mut self) -> Result<i64, Error> {
        Ok(self.client.get_current_notification_event_id()?.event_id)
    }

    fn events_after(&mut self, id: i64, max: i32) -> Result<Vec<Event>, Error> {
        let request = t::NotificationEventRequest {
            last_event: id,
            max_events: Some(max),
            event_type_skip_list: None,
            cat_name: None,
            db_name: None,
            table_names: None,
        };
        let response = self.client.get_next_notification(request)?;
        Ok(response
            .events
            .into_iter()
            .map(|e| Event {
                id: e.event_id,
                kind: e.event_type,
                db: e.db_name.map(|d| d.to_lowercase()),
                table: e.table_name.map(|t_| t_.to_lowercase()),
            })
            .collect())
    }

    fn put_database(&mut self, db: Database, exists: bool) -> Result<(), Error> {
        let name = db.name.clone();
        let db = convert::database_out(db);
        if exists {
            self.client.alter_database(name, db)?;
        } else {
            self.client.create_database(db)?;
        }
        Ok(())
    }

    fn put_table(&mut self, table: Table, exists: bool) -> Result<(), Error> {
        let (db, name) = (table.db_name.clone(), table.name.clone());
        let table = convert::table_out(table);
        if exists {
            self.client.alter_table_with_environment_context(db, name, table, keep_stats())?;
        } else {
            self.client.create_table_with_environment_context(table, keep_stats())?;
        }
        Ok(())
    }

    fn put_partitions(&mut self, table: &Table, new: Vec<Partition>, changed: Vec<Partition>) -> Result<(), Error> {
        if !new.is_empty() {
            self.client.add_partitions(new.into_iter().map(convert::partition_out).collect())?;
        }
        if !changed.is_empty() {
            self.client.alter_partitions(
                table.db_name.clone(),
                table.name.clone(),
                changed.into_iter().map(convert::partition_out).collect(),
            )?;
        }
        Ok(())
    }

    fn drop_partitions(&mut self, table: &Table, names: Vec<String>) -> Result<(), Error> {
        for name in names {
            match self.client.drop_partition_by_name(table.db_name.clone(), table.name.clone(), name, false) {
                Ok(_) => {}
                Err(e) if not_found(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn drop_table(&mut self, db: &str, name: &str) -> Result<(), Error> {
        match self.client.drop_table(db.to_string(), name.to_string(), false) {
            Ok(()) => Ok(()),
            Err(e) if not_found(&e) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn put_function(&mut self, f: Function, exists: bool) -> Result<(), Error> {
        let (db, name) = (f.db_name.clone(), f.name.clone());
        let f = convert::function_out(f);
        if exists {
            self.client.alter_function(db, name, f)?;
        } else {
            self.client.create_function(f)?;
        }
        Ok(())
    }

    fn put_stats(&mut self, table: &Table, part: Option<&str>, columns: Vec<ColumnStats>) -> Result<(), Error> {
        if columns.is_empty() {
            return Ok(());
        }
        let stats = Self::stats_out(table, part, columns);
        if part.is_some() {
            self.client.update_partition_column_statistics(stats)?;
        } else {
            self.client.update_table_column_statistics(stats)?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------------------------ Catalog

/// Strata's own catalog (the database `strata serve` uses), written with the import entry
/// points of `strata_catalog::import`.
#[derive(Debug, Clone)]
pub struct CatalogEndpoint {
    catalog: Catalog,
    runtime: tokio::runtime::Handle,
    actor: Actor,
}

impl CatalogEndpoint {
    /// Over a catalog, calling it on `runtime` (from a thread outside it); writes are
    /// recorded as made by `actor`.
    #[must_use]
    pub fn new(catalog: Catalog, runtime: tokio::runtime::Handle, actor: Actor) -> Self {
        Self { catalog, runtime, actor }
    }

    fn run<T>(&self, f: impl std::future::Future<Output = strata_core::Result<T>>) -> Result<T, Error> {
        Ok(self.runtime.block_on(f)?)
    }
}

impl Endpoint for CatalogEndpoint {
    fn database_names(&mut self) -> Result<Vec<String>, Error> {
        self.run(self.catalog.store().list_databases())
    }

    fn database(&mut self, name: &str) -> Result<Option<Database>, Error> {
        self.run(self.catalog.store().get_database(name))
    }

    fn table_names(&mut self, db: &str) -> Result<Vec<String>, Error> {
        Ok(self.run(self.catalog.store().list_tables(db))?.into_iter().map(|s| s.name).collect())
    }

    fn table(&mut self, db: &str, name: &str) -> Result<Option<Table>, Error> {
        self.run(self.catalog.store().get_table(db, name))
    }

    fn partition_names(&mut self, db: &str, table: &str) -> Result<Vec<String>, Error> {
        self.run(self.catalog.store().list_partition_names(db, table, &PartitionQuery::default()))
    }

    fn partitions(&mut self, db: &str, table: &str, names: &[String]) -> Result<Vec<Partition>, Error> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        self.run(self.catalog.store().get_partitions_by_names(db, table, names))
    }

    fn functions(&mut self, db: &str) -> Result<Vec<Function>, Error> {
        self.run(self.catalog.store().list_functions(Some(db)))
    }

    fn table_stats(&mut self, table: &Table) -> Result<Vec<ColumnStats>, Error> {
        let cols = column_names(table);
        let rows = self.run(self.catalog.table_column_statistics(&table.db_name, &table.name, &cols, None))?;
        Ok(rows.into_iter().map(|r| r.stats).collect())
    }

    fn partition_stats(
        &mut self,
        table: &Table,
        names: &[String],
    ) -> Result<BTreeMap<String, Vec<ColumnStats>>, Error> {
        let cols = column_names(table);
        let rows =
            self.run(self.catalog.partition_column_statistics(&table.db_name, &table.name, names, &cols, None))?;
        let mut out: BTreeMap<String, Vec<ColumnStats>> = BTreeMap::new();
        for r in rows {
            out.entry(r.part_name.unwrap_or_default()).or_default().push(r.stats);
        }
        Ok(out)
    }

    fn current_event_id(&mut self) -> Result<i64, Error> {
        self.run(self.catalog.current_event_id())
    }

    fn events_after(&mut self, id: i64, max: i32) -> Result<Vec<Event>, Error> {
        Ok(self
            .run(self.catalog.next_events(id, max, &[]))?
            .into_iter()
            .map(|e| Event { id: e.event_id, kind: e.event_type, db: e.db_name, table: e.table_name })
            .collect())
    }

    fn put_database(&mut self, db: Database, _exists: bool) -> Result<(), Error> {
        self.run(self.catalog.import_database(db)).map(|_| ())
    }

    fn put_table(&mut self, table: Table, _exists: bool) -> Result<(), Error> {
        self.run(self.catalog.import_table(&self.actor, table)).map(|_: Applied| ())
    }

    fn put_partitions(&mut self, table: &Table, new: Vec<Partition>, changed: Vec<Partition>) -> Result<(), Error> {
        let table = self.run(std::future::ready(self.catalog.imported_table(table.clone())))?;
        let mut parts = new;
        parts.extend(changed);
        self.run(self.catalog.import_partitions(&self.actor, &table, parts)).map(|_| ())
    }

    fn drop_partitions(&mut self, table: &Table, names: Vec<String>) -> Result<(), Error> {
        self.run(self.catalog.drop_imported_partitions(&self.actor, &table.db_name, &table.name, names)).map(|_| ())
    }

    fn drop_table(&mut self, db: &str, name: &str) -> Result<(), Error> {
        self.run(self.catalog.drop_imported_table(&self.actor, db, name))
    }

    fn put_function(&mut self, f: Function, exists: bool) -> Result<(), Error> {
        let r = if exists {
            let (db, name) = (f.db_name.clone(), f.name.clone());
            self.run(self.catalog.alter_function(&db, &name, f))
        } else {
            self.run(self.catalog.create_function(f)).map(|_| ())
        };
        match r {
            Err(Error::Catalog(CatalogError::AlreadyExists(_))) => Ok(()),
            other => other,
        }
    }

    fn put_stats(&mut self, table: &Table, part: Option<&str>, columns: Vec<ColumnStats>) -> Result<(), Error> {
        if columns.is_empty() {
            return Ok(());
        }
        let stats = ColumnStatistics {
            is_table_level: part.is_none(),
            db_name: table.db_name.clone(),
            table_name: table.name.clone(),
            part_name: part.map(str::to_string),
            last_analyzed: None,
            engine: None,
            columns,
        };
        self.run(self.catalog.set_column_statistics(vec![stats], false, None))
    }

    fn changed_here(&mut self, table: &Table) -> Result<Option<std::collections::HashSet<String>>, Error> {
        let history = self.run(self.catalog.store().history(&table.db_name, &table.name, None))?;
        let mut last: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
        for row in history {
            if let Some(name) = row.partition_name {
                let imported = row.operation == HistoryOp::Import
                    || (row.actor == self.actor.user && row.operation == HistoryOp::DropPartition);
                last.insert(name, imported);
            }
        }
        Ok(Some(last.into_iter().filter(|(_, imported)| !imported).map(|(n, _)| n).collect()))
    }
}
