//! What the metastore answers about itself, and the lookups whose "nothing found" is an HMS
//! error: decisions the Thrift layer used to make, kept here so the server only decodes, calls
//! the catalog and maps errors.
//!
//! - which configuration keys a client may set and read per connection (`setMetaConf` /
//!   `getMetaConf`) and what `get_config_value` answers;
//! - the one catalog (`get_catalog`);
//! - column statistics looked up one column at a time (`NoSuchObject` when there are none);
//! - write ids (Strata has no ACID tables).

use strata_core::{model::StoredColumnStats, names, CatalogError, Result};

use crate::Catalog;

/// Keys `setMetaConf`/`getMetaConf` accept (HMS's whitelist of metastore-side settings), with
/// their defaults.
const META_CONF_KEYS: &[(&str, &str)] = &[
    ("hive.metastore.try.direct.sql", "true"),
    ("hive.metastore.try.direct.sql.ddl", "true"),
    ("hive.metastore.client.socket.timeout", "600s"),
    ("hive.metastore.partition.name.whitelist.pattern", ""),
    ("hive.metastore.integral.jdo.pushdown", "false"),
    ("hive.metastore.batch.retrieve.max", "300"),
    ("hive.metastore.batch.retrieve.table.partition.max", "1000"),
    ("hive.metastore.disallow.incompatible.col.type.changes", "false"),
    ("hive.exec.default.partition.name", "__HIVE_DEFAULT_PARTITION__"),
];

/// HiveConf 2.3 defaults of the keys clients read with `get_config_value` (Trino:
/// `hive.txn.timeout`; Spark, Impala, Hive: the others), answered as a metastore with default
/// settings does. Checked against Apache HMS 2.3.10 by tests/test_differential.py.
const CONFIG_DEFAULTS: &[(&str, &str)] = &[
    ("hive.txn.timeout", "300s"),
    ("hive.txn.manager", "org.apache.hadoop.hive.ql.lockmgr.DummyTxnManager"),
    ("hive.txn.max.open.batch", "1000"),
    ("hive.support.concurrency", "false"),
    ("hive.compactor.initiator.on", "false"),
    ("hive.metastore.server.max.message.size", "104857600"),
    ("hive.metastore.execute.setugi", "true"),
    ("hive.metastore.dml.events", "false"),
    ("hive.metastore.fastpath", "false"),
    ("hive.security.authorization.enabled", "false"),
    ("hive.stats.autogather", "true"),
    ("hive.exec.dynamic.partition.mode", "strict"),
    ("hive.exec.max.dynamic.partitions", "1000"),
    ("hive.default.fileformat", "TextFile"),
];

/// Prefixes of the keys `get_config_value` answers; others are refused.
const READABLE_PREFIXES: &[&str] = &["hive.", "hdfs.", "mapred."];

/// The default of a key a connection may set with `setMetaConf` and read with `getMetaConf`;
/// `MetaException("Invalid configuration key …")` for any other key.
pub fn meta_conf_default(key: &str) -> Result<&'static str> {
    META_CONF_KEYS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, default)| *default)
        .ok_or_else(|| CatalogError::Meta(format!("Invalid configuration key {key}")))
}

/// What the default catalog is described as.
pub const DEFAULT_CATALOG_DESCRIPTION: &str = "Default catalog, for Hive";

/// The one catalog Strata has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogInfo {
    /// Its name (`hive`).
    pub name: String,
    /// Its description.
    pub description: String,
    /// The warehouse.
    pub location: String,
}

impl Catalog {
    /// `get_config_value`: the value of a configuration key a client may read (`hive.*`,
    /// `hdfs.*`, `mapred.*`; others are a `ConfigValSecurity` error), else `default`.
    ///
    /// Apache HMS answers from its configuration, which holds every HiveConf default: a client
    /// asking for a known key gets that default, not its own fallback (which it does get for a
    /// key whose default is unset, such as the partition name whitelist).
    pub fn config_value(&self, name: &str, default: String) -> Result<String> {
        if !READABLE_PREFIXES.iter().any(|p| name.starts_with(p)) {
            return Err(CatalogError::ConfigValSecurity(format!(
                "For security reasons, the config key {name} cannot be accessed"
            )));
        }
        if name == "hive.metastore.warehouse.dir" {
            return Ok(self.warehouse().to_string());
        }
        Ok(META_CONF_KEYS
            .iter()
            .chain(CONFIG_DEFAULTS)
            .find(|(k, v)| *k == name && !v.is_empty())
            .map_or(default, |(_, v)| (*v).to_string()))
    }

    /// `get_catalog`: the default catalog (any case), else `NoSuchObject`.
    pub fn catalog_info(&self, name: &str) -> Result<CatalogInfo> {
        let name = name.to_lowercase();
        if name != names::DEFAULT_CATALOG {
            return Err(CatalogError::NoSuchObject(format!("No catalog {name}")));
        }
        Ok(CatalogInfo {
            name,
            description: DEFAULT_CATALOG_DESCRIPTION.to_string(),
            location: self.warehouse().to_string(),
        })
    }

    /// The statistics of one column of a table; `NoSuchObject` when it has none.
    pub async fn table_column_statistic(&self, db: &str, table: &str, column: &str) -> Result<Vec<StoredColumnStats>> {
        let rows = self.table_column_statistics(db, table, &[column.to_string()], None).await?;
        if rows.is_empty() {
            return Err(CatalogError::NoSuchObject(format!("Column statistics of {db}.{table}.{column} not found")));
        }
        Ok(rows)
    }

    /// The statistics of one column of a partition, with the partition's stored name;
    /// `NoSuchObject` when it has none.
    pub async fn partition_column_statistic(
        &self,
        db: &str,
        table: &str,
        part_name: &str,
        column: &str,
    ) -> Result<(String, Vec<StoredColumnStats>)> {
        let rows =
            self.partition_column_statistics(db, table, &[part_name.to_string()], &[column.to_string()], None).await?;
        match rows.first().and_then(|r| r.part_name.clone()) {
            Some(name) => Ok((name, rows)),
            None => Err(CatalogError::NoSuchObject(format!(
                "Column statistics of {db}.{table}.{column} for partition {part_name} not found"
            ))),
        }
    }
}

/// `get_valid_write_ids`: each name must be `db.table`; no table has write ids, so nothing is
/// invalid and every high-water mark is 0. The names, checked.
pub fn valid_write_id_tables(full_table_names: Vec<String>) -> Result<Vec<String>> {
    full_table_names
        .into_iter()
        .map(|name| {
            if name.contains('.') {
                Ok(name)
            } else {
                Err(CatalogError::Meta(format!("Invalid full table name: {name}")))
            }
        })
        .collect()
}

/// `allocate_table_write_ids`: always refused.
#[must_use]
pub fn no_write_ids(db: &str, table: &str) -> CatalogError {
    CatalogError::Meta(format!(
        "Strata does not support transactional (ACID) tables: no write ids for {}.{}",
        names::normalize(db),
        names::normalize(table)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_conf_keys_are_a_closed_set() {
        assert_eq!(meta_conf_default("hive.metastore.batch.retrieve.max").unwrap(), "300");
        assert!(
            matches!(meta_conf_default("hive.txn.timeout"), Err(CatalogError::Meta(m)) if m == "Invalid configuration key hive.txn.timeout")
        );
    }

    #[test]
    fn write_ids() {
        assert_eq!(valid_write_id_tables(vec!["a.b".into()]).unwrap(), vec!["a.b".to_string()]);
        assert!(
            matches!(valid_write_id_tables(vec!["a.b".into(), "c".into()]), Err(CatalogError::Meta(m)) if m == "Invalid full table name: c")
        );
        assert!(no_write_ids("DB", "T").message().ends_with("no write ids for db.t"));
    }
}
