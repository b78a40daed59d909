//! Databases.

use strata_core::{model, names};
use strata_thrift as t;

use super::{params, principal_in, principal_out};

/// Database from the wire. The name is not normalised here (the catalog does it).
#[must_use]
pub fn database_in(db: t::Database) -> model::Database {
    model::Database {
        name: db.name.unwrap_or_default(),
        description: db.description,
        location: db.location_uri.unwrap_or_default(),
        managed_location: db.managed_location_uri,
        parameters: params(db.parameters),
        owner_name: db.owner_name,
        owner_type: principal_in(db.owner_type),
        create_time: strata_core::time::EpochSeconds(db.create_time.unwrap_or_default()),
    }
}

/// Database to the wire.
#[must_use]
pub fn database_out(db: model::Database) -> t::Database {
    t::Database {
        name: Some(db.name),
        description: db.description,
        location_uri: Some(db.location),
        parameters: Some(db.parameters),
        privileges: None,
        owner_name: db.owner_name,
        // HMS stores USER for a database created without an owner type (rows stored before
        // Strata did the same have none).
        owner_type: principal_out(db.owner_type).or(Some(t::PrincipalType::USER)),
        catalog_name: Some(names::DEFAULT_CATALOG.to_string()),
        create_time: Some(db.create_time.0),
        managed_location_uri: db.managed_location,
        type_: Some(t::DatabaseType::NATIVE),
        connector_name: None,
        remote_dbname: None,
    }
}
