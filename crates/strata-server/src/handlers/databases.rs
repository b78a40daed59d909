//! Databases: create, get, list, alter, drop.

use strata_core::{names, CatalogError};
use strata_thrift::{self as t, methods::Method as M};

use crate::{
    convert,
    handler::{Db, Handler, R},
};

impl Handler {
    pub(super) fn create_database(&self, database: t::Database) -> R<()> {
        let db = convert::database_in(database);
        let name = db.name.clone();
        self.call(M::CreateDatabase, &name, |c, _| async move { c.create_database(db).await.map(|_| ()) })
    }

    pub(super) fn create_database_req(&self, req: t::CreateDatabaseRequest) -> R<()> {
        let db = convert::database_in(t::Database {
            name: Some(req.database_name),
            description: req.description,
            location_uri: req.location_uri,
            parameters: req.parameters,
            privileges: None,
            owner_name: req.owner_name,
            owner_type: req.owner_type,
            catalog_name: req.catalog_name,
            create_time: None,
            managed_location_uri: req.managed_location_uri,
            type_: None,
            connector_name: None,
            remote_dbname: None,
        });
        let name = db.name.clone();
        self.call(M::CreateDatabaseReq, &name, |c, _| async move { c.create_database(db).await.map(|_| ()) })
    }

    pub(super) fn get_database(&self, name: Db) -> R<t::Database> {
        let name = name.0;
        self.call(M::GetDatabase, &name.clone(), |c, _| async move {
            c.get_database(&name).await.map(convert::database_out)
        })
    }

    pub(super) fn get_database_req(&self, req: t::GetDatabaseRequest) -> R<t::Database> {
        let name = Db::from(req.name.unwrap_or_default()).0;
        self.call(M::GetDatabaseReq, &name.clone(), |c, _| async move {
            c.get_database(&name).await.map(convert::database_out)
        })
    }

    pub(super) fn drop_database(&self, name: Db, delete_data: bool, cascade: bool) -> R<()> {
        let name = name.0;
        self.call(M::DropDatabase, &name.clone(), |c, a| async move {
            c.drop_database(&a, &name, delete_data, cascade).await
        })
    }

    pub(super) fn drop_database_req(&self, req: t::DropDatabaseRequest) -> R<()> {
        let name = Db::from(req.name).0;
        self.call(M::DropDatabaseReq, &name.clone(), |c, a| async move {
            match c.drop_database(&a, &name, req.delete_data, req.cascade).await {
                Err(CatalogError::NoSuchObject(_)) if req.ignore_unknown_db => Ok(()),
                other => other,
            }
        })
    }

    pub(super) fn get_databases(&self, pattern: String) -> R<Vec<String>> {
        let arg = names::parse_db_arg(&pattern);
        self.call(M::GetDatabases, &pattern, |c, _| async move { c.list_databases(arg.db.as_deref()).await })
            .map(|dbs| self.readable_dbs(dbs))
    }

    pub(super) fn get_all_databases(&self) -> R<Vec<String>> {
        self.call(M::GetAllDatabases, "", |c, _| async move { c.list_databases(None).await })
            .map(|dbs| self.readable_dbs(dbs))
    }

    pub(super) fn alter_database(&self, dbname: Db, db: t::Database) -> R<()> {
        let name = dbname.0;
        let db = convert::database_in(db);
        self.call(M::AlterDatabase, &name.clone(), |c, _| async move { c.alter_database(&name, db).await })
    }

    pub(super) fn alter_database_req(&self, req: t::AlterDatabaseRequest) -> R<()> {
        let name = Db::from(req.old_db_name).0;
        let db = convert::database_in(req.new_db);
        self.call(M::AlterDatabaseReq, &name.clone(), |c, _| async move { c.alter_database(&name, db).await })
    }
}
