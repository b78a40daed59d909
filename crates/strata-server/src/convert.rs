//! Thrift structs ⇄ core model. Pure functions; every field clients send or read is carried.

use strata_core::{
    lock::{LockLevel, LockState, LockTarget, LockType},
    model::{self, Params},
    names,
};
use strata_thrift as t;

fn params(p: Option<t::StrMap>) -> Params {
    p.unwrap_or_default()
}

/// Thrift principal type → core.
#[must_use]
pub fn principal_in(p: Option<t::PrincipalType>) -> Option<model::PrincipalType> {
    p.map(|p| match p {
        t::PrincipalType::ROLE => model::PrincipalType::Role,
        t::PrincipalType::GROUP => model::PrincipalType::Group,
        _ => model::PrincipalType::User,
    })
}

/// Core principal type → Thrift.
#[must_use]
pub fn principal_out(p: Option<model::PrincipalType>) -> Option<t::PrincipalType> {
    p.map(|p| match p {
        model::PrincipalType::User => t::PrincipalType::USER,
        model::PrincipalType::Role => t::PrincipalType::ROLE,
        model::PrincipalType::Group => t::PrincipalType::GROUP,
    })
}

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

fn fields_in(f: Option<Vec<t::FieldSchema>>) -> Vec<model::FieldSchema> {
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

/// Partition from the wire (names not yet normalised).
#[must_use]
pub fn partition_in(p: t::Partition) -> model::Partition {
    model::Partition {
        values: p.values.unwrap_or_default(),
        db_name: names::strip_catalog(&p.db_name.unwrap_or_default()),
        table_name: p.table_name.unwrap_or_default(),
        create_time: strata_core::time::EpochSeconds(p.create_time.unwrap_or_default()),
        last_access_time: strata_core::time::EpochSeconds(p.last_access_time.unwrap_or_default()),
        sd: p.sd.map(sd_in).unwrap_or_default(),
        parameters: params(p.parameters),
    }
}

/// Partition to the wire.
#[must_use]
pub fn partition_out(p: model::Partition) -> t::Partition {
    t::Partition {
        values: Some(p.values),
        db_name: Some(p.db_name),
        table_name: Some(p.table_name),
        create_time: Some(p.create_time.0),
        last_access_time: Some(p.last_access_time.0),
        sd: Some(sd_out(p.sd)),
        parameters: Some(p.parameters),
        privileges: None,
        cat_name: Some(names::DEFAULT_CATALOG.to_string()),
        write_id: None,
        is_stats_compliant: None,
        col_stats: None,
        file_metadata: None,
    }
}

/// Partitions to the wire.
#[must_use]
pub fn partitions_out(parts: Vec<model::Partition>) -> Vec<t::Partition> {
    parts.into_iter().map(partition_out).collect()
}

/// The partitions inside `PartitionSpec`s (`add_partitions_pspec`): shared-descriptor specs
/// get the shared descriptor with `root_path/relative_path` as location.
#[must_use]
pub fn partitions_from_specs(specs: Vec<t::PartitionSpec>) -> Vec<model::Partition> {
    let mut out = Vec::new();
    for spec in specs {
        let db = spec.db_name.unwrap_or_default();
        let table = spec.table_name.unwrap_or_default();
        if let Some(list) = spec.partition_list.and_then(|l| l.partitions) {
            out.extend(list.into_iter().map(partition_in));
        }
        if let Some(shared) = spec.shared_s_d_partition_spec {
            let sd = shared.sd.map(sd_in).unwrap_or_default();
            for p in shared.partitions.unwrap_or_default() {
                let mut part_sd = sd.clone();
                part_sd.location = match (&spec.root_path, &p.relative_path) {
                    (Some(root), Some(rel)) => Some(format!("{root}{rel}")),
                    (None, Some(rel)) if !rel.is_empty() => Some(rel.clone()),
                    _ => None,
                };
                out.push(model::Partition {
                    values: p.values.unwrap_or_default(),
                    db_name: db.clone(),
                    table_name: table.clone(),
                    create_time: strata_core::time::EpochSeconds(p.create_time.unwrap_or_default()),
                    last_access_time: strata_core::time::EpochSeconds(p.last_access_time.unwrap_or_default()),
                    sd: part_sd,
                    parameters: params(p.parameters),
                });
            }
        }
    }
    out
}

/// Partitions as one `PartitionSpec` listing them (`get_partitions_pspec`).
#[must_use]
pub fn partitions_to_spec(db: &str, table: &str, parts: Vec<model::Partition>) -> t::PartitionSpec {
    t::PartitionSpec {
        db_name: Some(db.to_string()),
        table_name: Some(table.to_string()),
        root_path: None,
        shared_s_d_partition_spec: None,
        partition_list: Some(t::PartitionListComposingSpec { partitions: Some(partitions_out(parts)) }),
        cat_name: Some(names::DEFAULT_CATALOG.to_string()),
        write_id: None,
        is_stats_compliant: None,
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

/// Environment-context properties.
#[must_use]
pub fn env_props(env: Option<t::EnvironmentContext>) -> Params {
    env.and_then(|e| e.properties).unwrap_or_default()
}

fn lock_type_in(t_: t::LockType) -> LockType {
    match t_ {
        t::LockType::SHARED_READ => LockType::SharedRead,
        t::LockType::SHARED_WRITE => LockType::SharedWrite,
        t::LockType::EXCL_WRITE => LockType::ExclWrite,
        _ => LockType::Exclusive,
    }
}

fn lock_type_out(t_: LockType) -> t::LockType {
    match t_ {
        LockType::SharedRead => t::LockType::SHARED_READ,
        LockType::SharedWrite => t::LockType::SHARED_WRITE,
        LockType::ExclWrite => t::LockType::EXCL_WRITE,
        LockType::Exclusive => t::LockType::EXCLUSIVE,
    }
}

fn lock_level_in(l: t::LockLevel) -> LockLevel {
    match l {
        t::LockLevel::DB => LockLevel::Db,
        t::LockLevel::PARTITION => LockLevel::Partition,
        _ => LockLevel::Table,
    }
}

/// Lock state to the wire.
#[must_use]
pub fn lock_state_out(s: LockState) -> t::LockState {
    match s {
        LockState::Acquired => t::LockState::ACQUIRED,
        LockState::Waiting => t::LockState::WAITING,
        LockState::Aborted => t::LockState::ABORT,
        LockState::NotAcquired => t::LockState::NOT_ACQUIRED,
    }
}

/// Lock request from the wire.
#[must_use]
pub fn lock_request_in(r: t::LockRequest) -> model::LockRequest {
    model::LockRequest {
        components: r
            .component
            .into_iter()
            .map(|c| LockTarget {
                lock_type: lock_type_in(c.type_),
                level: lock_level_in(c.level),
                db: names::strip_catalog(&c.dbname),
                table: c.tablename,
                partition: c.partitionname,
            })
            .collect(),
        txn_id: r.txnid.unwrap_or(0),
        user: r.user,
        hostname: r.hostname,
        agent_info: r.agent_info,
    }
}

/// A stored lock component to a `show_locks` row.
#[must_use]
pub fn lock_info_out(l: model::LockInfo) -> t::ShowLocksResponseElement {
    t::ShowLocksResponseElement {
        lockid: l.lock_id,
        dbname: l.target.db,
        tablename: l.target.table,
        partname: l.target.partition,
        state: lock_state_out(l.state),
        type_: lock_type_out(l.target.lock_type),
        txnid: Some(l.txn_id),
        lastheartbeat: l.last_heartbeat_millis,
        acquiredat: l.acquired_at_millis,
        user: l.user,
        hostname: l.hostname,
        heartbeat_count: Some(0),
        agent_info: l.agent_info,
        blocked_by_ext_id: None,
        blocked_by_int_id: None,
        lock_id_internal: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thrift_table() -> t::Table {
        let mut tbl = table_out(model::Table {
            db_name: "db".into(),
            name: "t".into(),
            owner: Some("me".into()),
            sd: model::StorageDescriptor {
                cols: vec![model::FieldSchema { name: "a".into(), type_name: "int".into(), comment: Some("c".into()) }],
                location: Some("file:///wh/db.db/t".into()),
                input_format: Some("in".into()),
                num_buckets: -1,
                serde_info: Some(model::SerDeInfo { serialization_lib: Some("lib".into()), ..Default::default() }),
                ..Default::default()
            },
            partition_keys: vec![model::FieldSchema { name: "ds".into(), type_name: "string".into(), comment: None }],
            table_type: "MANAGED_TABLE".into(),
            ..Default::default()
        });
        tbl.parameters = Some(t::StrMap::from_iter([("k".to_string(), "v".to_string())]));
        tbl
    }

    #[test]
    fn table_round_trips() {
        let wire = thrift_table();
        let core = table_in(wire.clone());
        assert_eq!(core.sd.cols[0].comment.as_deref(), Some("c"));
        assert_eq!(core.parameters.get("k").map(String::as_str), Some("v"));
        let back = table_out(core);
        assert_eq!(back.sd, wire.sd);
        assert_eq!(back.partition_keys, wire.partition_keys);
        assert_eq!(back.parameters, wire.parameters);
    }

    #[test]
    fn catalog_prefix_is_stripped_from_table_db() {
        let mut wire = thrift_table();
        wire.db_name = Some("@hive#sales".into());
        assert_eq!(table_in(wire).db_name, "sales");
    }

    #[test]
    fn database_out_fills_required_fields() {
        let db = database_out(model::Database { name: "d".into(), location: "file:///x".into(), ..Default::default() });
        assert_eq!(db.catalog_name.as_deref(), Some("hive"));
        assert_eq!(db.parameters, Some(Params::new()));
    }
}
