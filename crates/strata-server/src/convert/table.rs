//! Tables, storage descriptors, fields.

use strata_core::{
    model::{self, Params},
    names,
};
use strata_thrift as t;

use super::{params, principal_in, principal_out};

/// Column from the wire.
#[must_use]
pub fn field_in(f: t::FieldSchema) -> model::FieldSchema {
    model::FieldSchema { name: f.name.unwrap_or_default(), type_name: f.type_.unwrap_or_default(), comment: f.comment }
}

/// Column to the wire.
#[must_use]
pub fn field_out(f: model::FieldSchema) -> t::FieldSchema {
    t::FieldSchema { name: Some(f.name), type_: Some(f.type_name), comment: f.comment }
}

pub(crate) fn fields_in(f: Option<Vec<t::FieldSchema>>) -> Vec<model::FieldSchema> {
    f.unwrap_or_default().into_iter().map(field_in).collect()
}

/// Columns to the wire.
#[must_use]
pub fn fields_out(f: Vec<model::FieldSchema>) -> Vec<t::FieldSchema> {
    f.into_iter().map(field_out).collect()
}

fn serde_in(s: t::SerDeInfo) -> model::SerDeInfo {
    model::SerDeInfo {
        name: s.name,
        serialization_lib: s.serialization_lib,
        parameters: params(s.parameters),
        description: s.description,
        serializer_class: s.serializer_class,
        deserializer_class: s.deserializer_class,
        serde_type: s.serde_type.map(|t| t.0),
    }
}

fn serde_out(s: model::SerDeInfo) -> t::SerDeInfo {
    t::SerDeInfo {
        name: s.name,
        serialization_lib: s.serialization_lib,
        parameters: Some(s.parameters),
        description: s.description,
        serializer_class: s.serializer_class,
        deserializer_class: s.deserializer_class,
        serde_type: s.serde_type.map(t::SerdeType),
    }
}

fn skewed_in(s: t::SkewedInfo) -> model::SkewedInfo {
    model::SkewedInfo {
        skewed_col_names: s.skewed_col_names.unwrap_or_default(),
        skewed_col_values: s.skewed_col_values.unwrap_or_default(),
        skewed_col_value_location_maps: s.skewed_col_value_location_maps.unwrap_or_default().into_iter().collect(),
    }
}

fn skewed_out(s: model::SkewedInfo) -> t::SkewedInfo {
    t::SkewedInfo {
        skewed_col_names: Some(s.skewed_col_names),
        skewed_col_values: Some(s.skewed_col_values),
        skewed_col_value_location_maps: Some(s.skewed_col_value_location_maps.into_iter().collect()),
    }
}

/// Storage descriptor from the wire.
#[must_use]
pub fn sd_in(sd: t::StorageDescriptor) -> model::StorageDescriptor {
    model::StorageDescriptor {
        cols: fields_in(sd.cols),
        location: sd.location.filter(|l| !l.is_empty()),
        input_format: sd.input_format,
        output_format: sd.output_format,
        compressed: sd.compressed.unwrap_or(false),
        num_buckets: sd.num_buckets.unwrap_or(-1),
        serde_info: sd.serde_info.map(serde_in),
        bucket_cols: sd.bucket_cols.unwrap_or_default(),
        sort_cols: sd
            .sort_cols
            .unwrap_or_default()
            .into_iter()
            .map(|o| model::Order { col: o.col.unwrap_or_default(), order: o.order.unwrap_or(1) })
            .collect(),
        parameters: params(sd.parameters),
        skewed_info: sd.skewed_info.map(skewed_in),
        stored_as_sub_directories: sd.stored_as_sub_directories.unwrap_or(false),
    }
}

/// Storage descriptor to the wire. Every field Java clients dereference is present.
#[must_use]
pub fn sd_out(sd: model::StorageDescriptor) -> t::StorageDescriptor {
    t::StorageDescriptor {
        cols: Some(fields_out(sd.cols)),
        location: sd.location,
        input_format: sd.input_format,
        output_format: sd.output_format,
        compressed: Some(sd.compressed),
        num_buckets: Some(sd.num_buckets),
        serde_info: Some(sd.serde_info.map_or_else(
            || t::SerDeInfo {
                name: None,
                serialization_lib: None,
                parameters: Some(Params::new()),
                description: None,
                serializer_class: None,
                deserializer_class: None,
                serde_type: None,
            },
            serde_out,
        )),
        bucket_cols: Some(sd.bucket_cols),
        sort_cols: Some(
            sd.sort_cols.into_iter().map(|o| t::Order { col: Some(o.col), order: Some(o.order) }).collect(),
        ),
        parameters: Some(sd.parameters),
        skewed_info: Some(sd.skewed_info.map_or_else(
            || t::SkewedInfo {
                skewed_col_names: Some(Vec::new()),
                skewed_col_values: Some(Vec::new()),
                skewed_col_value_location_maps: Some(std::collections::BTreeMap::new()),
            },
            skewed_out,
        )),
        stored_as_sub_directories: Some(sd.stored_as_sub_directories),
    }
}

/// Table from the wire (names not yet normalised; `dbname` fills a missing db name).
#[must_use]
pub fn table_in(tbl: t::Table) -> model::Table {
    model::Table {
        db_name: names::strip_catalog(&tbl.db_name.unwrap_or_default()),
        name: tbl.table_name.unwrap_or_default(),
        owner: tbl.owner,
        owner_type: principal_in(tbl.owner_type),
        create_time: strata_core::time::EpochSeconds(tbl.create_time.unwrap_or_default()),
        last_access_time: strata_core::time::EpochSeconds(tbl.last_access_time.unwrap_or_default()),
        retention: tbl.retention.unwrap_or_default(),
        sd: tbl.sd.map(sd_in).unwrap_or_default(),
        partition_keys: fields_in(tbl.partition_keys),
        parameters: params(tbl.parameters),
        view_original_text: tbl.view_original_text,
        view_expanded_text: tbl.view_expanded_text,
        table_type: tbl.table_type.unwrap_or_default(),
        temporary: tbl.temporary.unwrap_or(false),
        rewrite_enabled: tbl.rewrite_enabled,
        id: 0,
    }
}

/// Table to the wire.
#[must_use]
pub fn table_out(tbl: model::Table) -> t::Table {
    t::Table {
        table_name: Some(tbl.name),
        db_name: Some(tbl.db_name),
        owner: tbl.owner,
        create_time: Some(tbl.create_time.0),
        last_access_time: Some(tbl.last_access_time.0),
        retention: Some(tbl.retention),
        sd: Some(sd_out(tbl.sd)),
        partition_keys: Some(fields_out(tbl.partition_keys)),
        parameters: Some(tbl.parameters),
        view_original_text: tbl.view_original_text,
        view_expanded_text: tbl.view_expanded_text,
        table_type: Some(tbl.table_type),
        privileges: None,
        temporary: Some(tbl.temporary),
        rewrite_enabled: tbl.rewrite_enabled,
        creation_metadata: None,
        cat_name: Some(names::DEFAULT_CATALOG.to_string()),
        owner_type: principal_out(tbl.owner_type).or(Some(t::PrincipalType::USER)),
        write_id: None,
        is_stats_compliant: None,
        col_stats: None,
        access_type: None,
        required_read_capabilities: None,
        required_write_capabilities: None,
        id: Some(tbl.id),
        file_metadata: None,
        dictionary: None,
        txn_id: None,
    }
}

/// Table summary to `TableMeta`.
#[must_use]
pub fn table_meta_out(t_: model::TableSummary) -> t::TableMeta {
    t::TableMeta {
        db_name: t_.db_name,
        table_name: t_.name,
        table_type: t_.table_type,
        comments: t_.comment,
        cat_name: Some(names::DEFAULT_CATALOG.to_string()),
        owner_name: t_.owner,
        owner_type: Some(t::PrincipalType::USER),
    }
}
