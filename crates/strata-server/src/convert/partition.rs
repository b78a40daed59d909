//! Partitions and partition specs.

use strata_core::{model, names};
use strata_thrift as t;

use super::{params, sd_in, sd_out};

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
