//! Databases.

use strata_core::{
    error::msg,
    location,
    model::{Actor, Database, HistoryOp, PrincipalType, Table},
    names::{self, NamePattern},
    CatalogError, Result,
};

use crate::Catalog;

impl Catalog {
    /// Create a database. A missing location becomes `<warehouse>/<name>.db`; its directory is
    /// created.
    pub async fn create_database(&self, mut db: Database) -> Result<Database> {
        // -- VALIDATE --
        db.name = names::normalize(&db.name);
        names::validate_database_name(&db.name)?;
        db.location = match db.location.trim() {
            "" => location::default_database_location(self.warehouse(), &db.name),
            given => location::qualify(given, self.warehouse())?,
        };
        self.check_allowed(&db.location)?;
        db.create_time = self.now_seconds();
        // As HMS's ObjectStore: a database created without an owner type is owned by a USER.
        db.owner_type.get_or_insert(PrincipalType::User);
        // -- STORE --
        self.store.create_database(&db).await?;
        if let Err(e) = self.storage.mkdirs(&db.location).await {
            tracing::warn!(error = %e, location = %db.location, "could not create database directory");
        }
        self.on_create_database(&db).await;
        Ok(db)
    }

    /// A database, or `NoSuchObject`.
    pub async fn get_database(&self, name: &str) -> Result<Database> {
        let name = names::normalize(name);
        self.store.get_database(&name).await?.ok_or_else(|| CatalogError::NoSuchObject(msg::no_such_database(&name)))
    }

    /// Database names matching an HMS pattern (`None` = all), ascending.
    pub async fn list_databases(&self, pattern: Option<&str>) -> Result<Vec<String>> {
        let pattern = NamePattern::new(pattern)?;
        let mut all = self.store.list_databases().await?;
        all.retain(|n| pattern.matches(n));
        Ok(all)
    }

    /// Alter a database: parameters, owner and location can change (as in HMS 2.3, which ignores
    /// a changed description); the name cannot.
    pub async fn alter_database(&self, name: &str, new: Database) -> Result<()> {
        let mut db = self.get_database(name).await?;
        db.parameters = new.parameters;
        if new.owner_name.is_some() {
            db.owner_name = new.owner_name;
            db.owner_type = new.owner_type;
        }
        if !new.location.trim().is_empty() {
            db.location = location::qualify(new.location.trim(), self.warehouse())
                .map_err(|e| CatalogError::Meta(e.message().to_string()))?;
        }
        if new.managed_location.is_some() {
            db.managed_location = new.managed_location;
        }
        self.store.alter_database(&db).await?;
        self.on_alter_database(&db).await;
        Ok(())
    }

    /// Drop a database. With `delete_data`, managed tables' directories and the database's own
    /// directory are moved to the retained area instead of being deleted.
    pub async fn drop_database(&self, actor: &Actor, name: &str, delete_data: bool, cascade: bool) -> Result<()> {
        // -- VALIDATE --
        let name = names::normalize(name);
        if name == names::DEFAULT_DATABASE {
            return Err(CatalogError::Meta(msg::CANNOT_DROP_DEFAULT.to_string()));
        }
        let db = self.get_database(&name).await?;
        let tables = self.store.list_tables_full(&name).await?;
        if !cascade && !tables.is_empty() {
            return Err(CatalogError::InvalidOperation(msg::database_not_empty_tables(&name)));
        }
        // -- RETAIN DATA --
        let mut history = Vec::new();
        let mut moves = Vec::new();
        if delete_data {
            // Tables outside the database directory move on their own, the rest with it.
            for t in tables.iter().filter(|t| owns_data(t)) {
                let Some(dir) = t.location() else { continue };
                let mut row = self.history(actor, HistoryOp::DropTable, &name, &t.name);
                row.previous_location = Some(dir.to_string());
                if !location::is_within(&location::canonical_or_raw(dir), &location::canonical_or_raw(&db.location)) {
                    moves.push((history.len(), dir.to_string(), self.retained_dir(&name, &t.name, None)));
                }
                history.push(row);
            }
            let mut row = self.history(actor, HistoryOp::DropDatabase, &name, "");
            row.previous_location = Some(db.location.clone());
            moves.push((history.len(), db.location.clone(), self.retained_database_dir(&name)));
            history.push(row);
        }
        let retention = self.retain_for(actor, &mut history, moves).await?;
        // Tables inside the database directory moved along with it.
        if let Some(db_row) = history.last().filter(|h| h.operation == HistoryOp::DropDatabase) {
            if let (Some(from), Some(to)) = (db_row.previous_location.clone(), db_row.new_location.clone()) {
                for h in history.iter_mut().filter(|h| h.operation == HistoryOp::DropTable && h.new_location.is_none())
                {
                    let from = location::canonical_or_raw(&from);
                    let prev = h.previous_location.as_deref().map(location::canonical_or_raw);
                    if let Some(prev) = prev.filter(|p| location::is_within(p, &from)) {
                        h.new_location = Some(format!("{to}{}", &prev[location::trim_trailing_slash(&from).len()..]));
                    }
                }
            }
        }
        // -- STORE --
        let result = self.store.drop_database(&name, cascade, &history).await;
        self.settle(retention, result.is_ok()).await;
        result?;
        for t in &tables {
            self.on_drop_table(t).await;
        }
        self.on_drop_database(&db).await;
        Ok(())
    }
}

/// Whether dropping the table with `deleteData` would make HMS delete its data.
pub(crate) fn owns_data(t: &Table) -> bool {
    !t.is_external() && !t.is_view()
}
