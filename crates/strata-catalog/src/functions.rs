//! Permanent functions, with Apache HMS 2.3's checks and messages.

use strata_core::{
    error::msg,
    model::{event_type, function_msg, Function},
    names::{self, NamePattern},
    CatalogError, Result,
};

use crate::Catalog;

/// HMS's `validateFunctionInfo`: a valid name and a class.
fn validate(f: &Function) -> Result<()> {
    if !names::is_valid_name(&f.name) {
        return Err(CatalogError::InvalidObject(format!("{} is not a valid object name", f.name)));
    }
    if f.class_name.trim().is_empty() {
        return Err(CatalogError::InvalidObject(function_msg::NO_CLASS.to_string()));
    }
    Ok(())
}

fn normalize(f: &mut Function) {
    f.db_name = names::normalize(&names::strip_catalog(&f.db_name));
    f.name = names::normalize(&f.name);
}

impl Catalog {
    /// Create a function. A missing database is `NoSuchObject` with the bare name (what
    /// Apache HMS 2.3's `getDatabase` raises); a taken name is
    /// `AlreadyExists("Function <name> already exists")`. A creation time of 0 becomes now.
    pub async fn create_function(&self, mut f: Function) -> Result<Function> {
        normalize(&mut f);
        validate(&f)?;
        if self.store.get_database(&f.db_name).await?.is_none() {
            return Err(CatalogError::NoSuchObject(msg::no_such_database(&f.db_name)));
        }
        if f.create_time.0 == 0 {
            f.create_time = self.now_seconds();
        }
        self.store.create_function(&f).await?;
        self.emit_function(event_type::CREATE_FUNCTION, &f).await;
        Ok(f)
    }

    /// A function, or `NoSuchObject("Function <db>.<name> does not exist")`.
    pub async fn get_function(&self, db: &str, name: &str) -> Result<Function> {
        let (db, name) = (names::normalize(&names::strip_catalog(db)), names::normalize(name));
        self.store
            .get_function(&db, &name)
            .await?
            .ok_or_else(|| CatalogError::NoSuchObject(function_msg::not_found(&db, &name)))
    }

    /// Names of a database's functions matching an HMS pattern, ascending (empty for a missing
    /// database, as in HMS).
    pub async fn list_function_names(&self, db: &str, pattern: Option<&str>) -> Result<Vec<String>> {
        let pattern = NamePattern::new(pattern)?;
        let db = names::normalize(&names::strip_catalog(db));
        Ok(self
            .store
            .list_functions(Some(&db))
            .await?
            .into_iter()
            .map(|f| f.name)
            .filter(|n| pattern.matches(n))
            .collect())
    }

    /// Every function of every database (`get_all_functions`).
    pub async fn all_functions(&self) -> Result<Vec<Function>> {
        self.store.list_functions(None).await
    }

    /// Replace a function (a new name or database renames it). A missing function is a
    /// `MetaException` `function <f> doesn't exist` (as HMS 2.3 says); a taken new name `AlreadyExists` (sent as `MetaException` by the
    /// server, `alter_function` declares no other).
    pub async fn alter_function(&self, db: &str, name: &str, mut new: Function) -> Result<()> {
        let (db, name) = (names::normalize(&names::strip_catalog(db)), names::normalize(name));
        normalize(&mut new);
        if new.db_name.is_empty() {
            new.db_name.clone_from(&db);
        }
        if new.name.is_empty() {
            new.name.clone_from(&name);
        }
        validate(&new).map_err(|e| CatalogError::InvalidOperation(e.message().to_string()))?;
        let Some(old) = self.store.get_function(&db, &name).await? else {
            return Err(CatalogError::Meta(function_msg::alter_not_found(&name)));
        };
        if new.create_time.0 == 0 {
            new.create_time = old.create_time;
        }
        match self.store.alter_function(&db, &name, &new).await {
            Err(CatalogError::NoSuchObject(m)) => Err(CatalogError::InvalidOperation(m)),
            other => other,
        }
    }

    /// Drop a function, or `NoSuchObject("Function <name> does not exist")`.
    pub async fn drop_function(&self, db: &str, name: &str) -> Result<()> {
        let (db, name) = (names::normalize(&names::strip_catalog(db)), names::normalize(name));
        let dropped = match self.store.drop_function(&db, &name).await {
            Err(CatalogError::NoSuchObject(_)) => {
                return Err(CatalogError::NoSuchObject(function_msg::drop_not_found(&name)))
            }
            other => other?,
        };
        self.emit_function(event_type::DROP_FUNCTION, &dropped).await;
        Ok(())
    }
}
