//! Functions.

use strata_core::{
    model::{Function, ResourceUri, FUNCTION_TYPE_JAVA},
    names,
    time::EpochSeconds,
};
use strata_thrift as t;

use super::{principal_in, principal_out};

/// Function from the wire (names not normalised here; the catalog does it).
#[must_use]
pub fn function_in(f: t::Function) -> Function {
    Function {
        db_name: f.db_name.unwrap_or_default(),
        name: f.function_name.unwrap_or_default(),
        class_name: f.class_name.unwrap_or_default(),
        owner_name: f.owner_name,
        owner_type: principal_in(f.owner_type),
        create_time: EpochSeconds(f.create_time.unwrap_or_default()),
        function_type: f.function_type.map_or(FUNCTION_TYPE_JAVA, |ft| ft.0),
        resource_uris: f
            .resource_uris
            .unwrap_or_default()
            .into_iter()
            .map(|r| ResourceUri {
                resource_type: r.resource_type.map_or(0, |rt| rt.0),
                uri: r.uri.unwrap_or_default(),
            })
            .collect(),
    }
}

/// Function to the wire.
#[must_use]
pub fn function_out(f: Function) -> t::Function {
    t::Function {
        function_name: Some(f.name),
        db_name: Some(f.db_name),
        class_name: Some(f.class_name),
        owner_name: f.owner_name,
        owner_type: principal_out(f.owner_type),
        create_time: Some(f.create_time.0),
        function_type: Some(t::FunctionType(f.function_type)),
        resource_uris: Some(
            f.resource_uris
                .into_iter()
                .map(|r| t::ResourceUri { resource_type: Some(t::ResourceType(r.resource_type)), uri: Some(r.uri) })
                .collect(),
        ),
        cat_name: Some(names::DEFAULT_CATALOG.to_string()),
    }
}
