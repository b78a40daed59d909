//! Objects copied in from another metastore (`strata import`): written as the source has them
//! (creation times, locations, parameters kept), with no directory created, moved or checked,
//! and recorded in the history as `import`, so a partition's history starts where it was when
//! it was copied. The same notification events as the ordinary writes are emitted, so a Strata
//! that imports can itself be followed.

use strata_core::{
    location,
    model::{Actor, Database, HistoryEntry, HistoryOp, Partition, Table},
    names, CatalogError, Result,
};
use strata_store::AlterTableOptions;

use crate::{partitions::key_names, tables::normalize_columns, Catalog};

/// What an import did to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// It was not there; it is now.
    Created,
    /// It was there and differed; it now equals the source.
    Updated,
    /// It was there and equal.
    Unchanged,
}

/// What [`Catalog::import_partitions`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartitionsApplied {
    /// Partitions added.
    pub added: usize,
    /// Partitions replaced by the source's definition.
    pub updated: usize,
    /// Partitions already equal.
    pub unchanged: usize,
}

impl Catalog {
    /// Qualify a location the source sent and store its canonical form, as the ordinary writes
    /// do (so the store's location rules apply to imported objects too); a location the
    /// canonical form refuses (`..` above its root, control characters) fails the import of
    /// that object.
    fn imported_location(&self, given: Option<&str>) -> Result<Option<String>> {
        match given.map(str::trim) {
            None | Some("") => Ok(None),
            Some(l) => location::qualify(l, self.warehouse()).map(Some),
        }
    }

    /// Create or update a database to equal `db` (its location and creation time kept; no
    /// directory created).
    pub async fn import_database(&self, mut db: Database) -> Result<Applied> {
        db.name = names::normalize(&db.name);
        names::validate_database_name(&db.name)?;
        db.location = self
            .imported_location(Some(&db.location))?
            .unwrap_or_else(|| location::default_database_location(self.warehouse(), &db.name));
        db.managed_location = self.imported_location(db.managed_location.as_deref())?;
        match self.store.get_database(&db.name).await? {
            None => {
                self.store.create_database(&db).await?;
                self.on_create_database(&db).await;
                Ok(Applied::Created)
            }
            Some(old) if old == db => Ok(Applied::Unchanged),
            Some(_) => {
                self.store.alter_database(&db).await?;
                self.on_alter_database(&db).await;
                Ok(Applied::Updated)
            }
        }
    }

    /// The form a table from a source is stored in (names, columns, type, location).
    ///
    /// # Errors
    /// `InvalidObjectException` for a location the canonical form refuses.
    pub fn imported_table(&self, mut table: Table) -> Result<Table> {
        table.db_name = names::normalize(&names::strip_catalog(&table.db_name));
        table.name = names::normalize(&table.name);
        normalize_columns(&mut table);
        table.coerce_table_type();
        table.sd.location = if table.is_view() { None } else { self.imported_location(table.sd.location.as_deref())? };
        table.id = 0;
        Ok(table)
    }

    /// Create or update a table (or view) to equal `table`; a table-level `import` history row
    /// records its location when it is created or its location changes.
    pub async fn import_table(&self, actor: &Actor, table: Table) -> Result<Applied> {
        let mut table = self.imported_table(table)?;
        names::validate_table_name(&table.name)?;
        let row = |previous: Option<String>, table: &Table| HistoryEntry {
            previous_location: previous,
            new_location: table.sd.location.clone(),
            ..self.history(actor, HistoryOp::Import, &table.db_name, &table.name)
        };
        match self.store.get_table(&table.db_name, &table.name).await? {
            None => {
                table.id = self.store.create_table(&table, &[row(None, &table)]).await?;
                self.on_create_table(&table).await;
                Ok(Applied::Created)
            }
            Some(old) => {
                table.id = old.id;
                if old == table {
                    return Ok(Applied::Unchanged);
                }
                let mut options = AlterTableOptions::default();
                if old.sd.location != table.sd.location {
                    options.history.push(row(old.sd.location.clone(), &table));
                }
                self.store.alter_table(&table.db_name, &table.name, &table, &options).await?;
                self.on_alter_table(&table.db_name, &table.name, &table).await;
                Ok(Applied::Updated)
            }
        }
    }

    /// The form a partition from a source is stored in, with its name.
    pub fn imported_partition(&self, table: &Table, mut part: Partition) -> Result<(String, Partition)> {
        let name = strata_core::partname::make_part_name(&key_names(table), &part.values)?;
        part.db_name.clone_from(&table.db_name);
        part.table_name.clone_from(&table.name);
        part.sd.location = self.imported_location(part.sd.location.as_deref())?;
        Ok((name, part))
    }

    /// Make partitions of `table` (already imported) equal the source's `parts`: missing ones
    /// are added, differing ones replaced, each with an `import` history row (an alter that
    /// keeps the location writes none). One transaction per kind of change.
    pub async fn import_partitions(
        &self,
        actor: &Actor,
        table: &Table,
        parts: Vec<Partition>,
    ) -> Result<PartitionsApplied> {
        let mut applied = PartitionsApplied::default();
        if parts.is_empty() {
            return Ok(applied);
        }
        let mut prepared = Vec::with_capacity(parts.len());
        for part in parts {
            prepared.push(self.imported_partition(table, part)?);
        }
        let names_: Vec<String> = prepared.iter().map(|(n, _)| n.clone()).collect();
        let existing = self.store.get_partitions_by_names(&table.db_name, &table.name, &names_).await?;
        let existing: std::collections::HashMap<String, Partition> = existing
            .into_iter()
            .map(|p| (strata_core::partname::make_part_name(&key_names(table), &p.values).unwrap_or_default(), p))
            .collect();
        let (mut new, mut changed) = (Vec::new(), Vec::new());
        for (name, part) in prepared {
            match existing.get(&name) {
                None => new.push((name, part)),
                Some(old) if same_partition(old, &part) => applied.unchanged += 1,
                Some(_) => changed.push((name, part)),
            }
        }
        if !new.is_empty() {
            let history: Vec<HistoryEntry> =
                new.iter().map(|(n, p)| self.placement_history(actor, HistoryOp::Import, n, p)).collect();
            let added_at = self.store.add_partitions(&table.db_name, &table.name, &new, true, &history).await?;
            applied.added = added_at.len();
            let added: Vec<Partition> = added_at.into_iter().map(|i| new[i].1.clone()).collect();
            self.on_add_partition(&table.db_name, &table.name, &added).await;
        }
        if !changed.is_empty() {
            let history: Vec<HistoryEntry> =
                changed.iter().map(|(n, p)| self.placement_history(actor, HistoryOp::Import, n, p)).collect();
            self.store.alter_partitions(&table.db_name, &table.name, &changed, history, false).await?;
            applied.updated = changed.len();
            let after: Vec<Partition> = changed.into_iter().map(|(_, p)| p).collect();
            self.on_alter_partition(&table.db_name, &table.name, &after).await;
        }
        Ok(applied)
    }

    /// Drop partitions the source no longer has (metadata only: the data stays where it is, as
    /// the source's own drop decided about it).
    pub async fn drop_imported_partitions(
        &self,
        actor: &Actor,
        db: &str,
        table: &str,
        part_names: Vec<String>,
    ) -> Result<usize> {
        if part_names.is_empty() {
            return Ok(0);
        }
        Ok(self.drop_partitions(actor, db, table, part_names, false).await?.len())
    }

    /// Drop a table the source no longer has (metadata only).
    pub async fn drop_imported_table(&self, actor: &Actor, db: &str, table: &str) -> Result<()> {
        match self.drop_table(actor, db, table, false).await {
            Ok(()) | Err(CatalogError::NoSuchObject(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Whether a stored partition already equals an imported one (the creation time is kept by
/// the store on an alter, so it is not compared).
fn same_partition(stored: &Partition, imported: &Partition) -> bool {
    stored.values == imported.values
        && stored.sd == imported.sd
        && stored.parameters == imported.parameters
        && stored.last_access_time == imported.last_access_time
}
