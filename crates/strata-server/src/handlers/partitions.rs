//! Partitions: add, append, get, list, filter, alter, rename, exchange, drop. The
//! `get_partitions` family is streamed by [`crate::listing`] on sockets; the bodies here serve
//! it over HTTP, where calls go through the generated processor.

use strata_catalog::{
    faststats::StatsEnv,
    partitions::{self, Limit},
    Catalog,
};
use strata_core::{names, CatalogError};
use strata_thrift::{self as t, methods::Method as M};

use crate::{
    convert,
    handler::{target, Db, Handler, R},
};

impl Handler {
    pub(super) fn add_partition(&self, new_part: t::Partition) -> R<t::Partition> {
        self.add_one(M::AddPartition, new_part)
    }

    pub(super) fn add_partition_with_environment_context(
        &self,
        new_part: t::Partition,
        _env: t::EnvironmentContext,
    ) -> R<t::Partition> {
        self.add_one(M::AddPartitionWithEnvironmentContext, new_part)
    }

    pub(super) fn add_partitions(&self, new_parts: Vec<t::Partition>) -> R<i32> {
        let parts: Vec<_> = new_parts.into_iter().map(convert::partition_in).collect();
        self.add_many(M::AddPartitions, parts, false)
    }

    pub(super) fn add_partitions_pspec(&self, new_parts: Vec<t::PartitionSpec>) -> R<i32> {
        let parts = convert::partitions_from_specs(new_parts);
        self.add_many(M::AddPartitionsPspec, parts, false)
    }

    pub(super) fn add_partitions_req(&self, request: t::AddPartitionsRequest) -> R<t::AddPartitionsResult> {
        let db = Db::from(request.db_name).0;
        let table = request.tbl_name;
        let parts: Vec<_> = request.parts.into_iter().map(convert::partition_in).collect();
        let need_result = request.need_result.unwrap_or(true);
        let if_not_exists = request.if_not_exists;
        self.call(M::AddPartitionsReq, &target(&db, &table), |c, a| async move {
            let added = c.add_partitions(&a, &db, &table, parts, if_not_exists).await?;
            Ok(t::AddPartitionsResult {
                partitions: need_result.then(|| convert::partitions_out(added)),
                is_stats_compliant: None,
                partition_col_schema: None,
            })
        })
    }

    pub(super) fn append_partition(&self, db_name: Db, tbl_name: String, part_vals: Vec<String>) -> R<t::Partition> {
        self.append(M::AppendPartition, db_name, tbl_name, part_vals)
    }

    pub(super) fn append_partition_with_environment_context(
        &self,
        db_name: Db,
        tbl_name: String,
        part_vals: Vec<String>,
        _env: t::EnvironmentContext,
    ) -> R<t::Partition> {
        self.append(M::AppendPartitionWithEnvironmentContext, db_name, tbl_name, part_vals)
    }

    pub(super) fn append_partition_by_name(&self, db_name: Db, tbl_name: String, part_name: String) -> R<t::Partition> {
        self.append_by_name(M::AppendPartitionByName, db_name, tbl_name, part_name)
    }

    pub(super) fn append_partition_by_name_with_environment_context(
        &self,
        db_name: Db,
        tbl_name: String,
        part_name: String,
        _env: t::EnvironmentContext,
    ) -> R<t::Partition> {
        self.append_by_name(M::AppendPartitionByNameWithEnvironmentContext, db_name, tbl_name, part_name)
    }

    pub(super) fn get_partition(&self, db_name: Db, tbl_name: String, part_vals: Vec<String>) -> R<t::Partition> {
        self.get_one(M::GetPartition, db_name, tbl_name, part_vals)
    }

    pub(super) fn get_partition_with_auth(
        &self,
        db_name: Db,
        tbl_name: String,
        part_vals: Vec<String>,
        _user_name: String,
        _group_names: Vec<String>,
    ) -> R<t::Partition> {
        self.get_one(M::GetPartitionWithAuth, db_name, tbl_name, part_vals)
    }

    pub(super) fn get_partition_by_name(&self, db_name: Db, tbl_name: String, part_name: String) -> R<t::Partition> {
        let db = db_name.0;
        self.call(M::GetPartitionByName, &target(&db, &tbl_name), |c, _| async move {
            c.get_partition_by_name(&db, &tbl_name, &part_name).await.map(convert::partition_out)
        })
    }

    pub(super) fn get_partitions(&self, db_name: Db, tbl_name: String, max_parts: i16) -> R<Vec<t::Partition>> {
        self.list(M::GetPartitions, db_name, tbl_name, None, None, i32::from(max_parts))
    }

    pub(super) fn get_partitions_with_auth(
        &self,
        db_name: Db,
        tbl_name: String,
        max_parts: i16,
        _user_name: String,
        _group_names: Vec<String>,
    ) -> R<Vec<t::Partition>> {
        self.list(M::GetPartitionsWithAuth, db_name, tbl_name, None, None, i32::from(max_parts))
    }

    pub(super) fn get_partitions_req(&self, req: t::PartitionsRequest) -> R<t::PartitionsResponse> {
        let max = i32::from(req.max_parts.unwrap_or(-1));
        self.list(M::GetPartitionsReq, Db::from(req.db_name), req.tbl_name, None, None, max)
            .map(|partitions| t::PartitionsResponse { partitions })
    }

    pub(super) fn get_partitions_pspec(
        &self,
        db_name: Db,
        tbl_name: String,
        max_parts: i32,
    ) -> R<Vec<t::PartitionSpec>> {
        let db = db_name.0;
        self.call(M::GetPartitionsPspec, &target(&db, &tbl_name), |c, _| async move {
            let parts = c.list_partitions(&db, &tbl_name, None, None, Limit::from_max(max_parts)).await?;
            if parts.is_empty() {
                return Ok(Vec::new());
            }
            let table = names::normalize(&tbl_name);
            Ok(vec![convert::partitions_to_spec(&names::normalize(&db), &table, parts)])
        })
    }

    pub(super) fn get_partitions_ps(
        &self,
        db_name: Db,
        tbl_name: String,
        part_vals: Vec<String>,
        max_parts: i16,
    ) -> R<Vec<t::Partition>> {
        self.list(M::GetPartitionsPs, db_name, tbl_name, Some(part_vals), None, i32::from(max_parts))
    }

    pub(super) fn get_partitions_ps_with_auth(
        &self,
        db_name: Db,
        tbl_name: String,
        part_vals: Vec<String>,
        max_parts: i16,
        _user_name: String,
        _group_names: Vec<String>,
    ) -> R<Vec<t::Partition>> {
        self.list(M::GetPartitionsPsWithAuth, db_name, tbl_name, Some(part_vals), None, i32::from(max_parts))
    }

    pub(super) fn get_partitions_ps_with_auth_req(
        &self,
        req: t::GetPartitionsPsWithAuthRequest,
    ) -> R<t::GetPartitionsPsWithAuthResponse> {
        let max = i32::from(req.max_parts.unwrap_or(-1));
        if let Some(part_names) = req.part_names {
            let db = Db::from(req.db_name).0;
            let table = req.tbl_name;
            return self.call(M::GetPartitionsPsWithAuthReq, &target(&db, &table), |c, _| async move {
                let parts = c.get_partitions_by_names(&db, &table, &part_names).await?;
                Ok(t::GetPartitionsPsWithAuthResponse { partitions: convert::partitions_out(parts) })
            });
        }
        self.list(M::GetPartitionsPsWithAuthReq, Db::from(req.db_name), req.tbl_name, req.part_vals, None, max)
            .map(|partitions| t::GetPartitionsPsWithAuthResponse { partitions })
    }

    pub(super) fn get_partition_names(&self, db_name: Db, tbl_name: String, max_parts: i16) -> R<Vec<String>> {
        self.names(M::GetPartitionNames, db_name, tbl_name, None, i32::from(max_parts))
    }

    pub(super) fn get_partition_names_ps(
        &self,
        db_name: Db,
        tbl_name: String,
        part_vals: Vec<String>,
        max_parts: i16,
    ) -> R<Vec<String>> {
        self.names(M::GetPartitionNamesPs, db_name, tbl_name, Some(part_vals), i32::from(max_parts))
    }

    pub(super) fn get_partition_names_ps_req(
        &self,
        req: t::GetPartitionNamesPsRequest,
    ) -> R<t::GetPartitionNamesPsResponse> {
        let max = i32::from(req.max_parts.unwrap_or(-1));
        self.names(
            M::GetPartitionNamesPsReq,
            Db::from(req.db_name),
            req.tbl_name,
            Some(req.part_values.unwrap_or_default()),
            max,
        )
        .map(|names| t::GetPartitionNamesPsResponse { names })
    }

    pub(super) fn get_partitions_by_filter(
        &self,
        db_name: Db,
        tbl_name: String,
        filter: String,
        max_parts: i16,
    ) -> R<Vec<t::Partition>> {
        self.list(M::GetPartitionsByFilter, db_name, tbl_name, None, Some(filter), i32::from(max_parts))
    }

    pub(super) fn get_partitions_by_filter_req(&self, req: t::GetPartitionsByFilterRequest) -> R<Vec<t::Partition>> {
        let max = i32::from(req.max_parts.unwrap_or(-1));
        self.list(
            M::GetPartitionsByFilterReq,
            Db::from(req.db_name.unwrap_or_default()),
            req.tbl_name.unwrap_or_default(),
            None,
            Some(req.filter.unwrap_or_default()),
            max,
        )
    }

    pub(super) fn get_num_partitions_by_filter(&self, db_name: Db, tbl_name: String, filter: String) -> R<i32> {
        let db = db_name.0;
        self.call(M::GetNumPartitionsByFilter, &target(&db, &tbl_name), |c, _| async move {
            let n = c.count_partitions(&db, &tbl_name, Some(&filter)).await?;
            Ok(i32::try_from(n).unwrap_or(i32::MAX))
        })
    }

    pub(super) fn get_partitions_by_names(
        &self,
        db_name: Db,
        tbl_name: String,
        names_: Vec<String>,
    ) -> R<Vec<t::Partition>> {
        let db = db_name.0;
        self.call(M::GetPartitionsByNames, &target(&db, &tbl_name), |c, _| async move {
            c.get_partitions_by_names(&db, &tbl_name, &names_).await.map(convert::partitions_out)
        })
    }

    pub(super) fn get_partitions_by_names_req(
        &self,
        req: t::GetPartitionsByNamesRequest,
    ) -> R<t::GetPartitionsByNamesResult> {
        let db = Db::from(req.db_name).0;
        let table = req.tbl_name;
        let wanted = req.names.unwrap_or_default();
        self.call(M::GetPartitionsByNamesReq, &target(&db, &table), |c, _| async move {
            let parts = c.get_partitions_by_names(&db, &table, &wanted).await?;
            Ok(t::GetPartitionsByNamesResult { partitions: convert::partitions_out(parts), dictionary: None })
        })
    }

    pub(super) fn get_partition_values(&self, request: t::PartitionValuesRequest) -> R<t::PartitionValuesResponse> {
        let db = Db::from(request.db_name).0;
        let table = request.tbl_name;
        self.call(M::GetPartitionValues, &target(&db, &table), |c, _| async move {
            let t_ = c.get_table(&db, &table).await?;
            let wanted: Vec<usize> = request
                .partition_keys
                .iter()
                .filter_map(|k| {
                    let name = k.name.clone().unwrap_or_default().to_lowercase();
                    t_.partition_keys.iter().position(|pk| pk.name == name)
                })
                .collect();
            let limit = request.max_parts.and_then(|m| usize::try_from(m).ok()).map_or(Limit::All, Limit::AtMost);
            let parts = c
                .list_partitions(&db, &table, None, request.filter.as_deref().filter(|f| !f.is_empty()), limit)
                .await?;
            let mut rows: Vec<Vec<String>> = parts
                .into_iter()
                .map(|p| wanted.iter().map(|&i| p.values.get(i).cloned().unwrap_or_default()).collect())
                .collect();
            if request.apply_distinct.unwrap_or(true) {
                let mut seen = std::collections::HashSet::new();
                rows.retain(|r| seen.insert(r.clone()));
            }
            if request.ascending == Some(false) {
                rows.reverse();
            }
            Ok(t::PartitionValuesResponse {
                partition_values: rows.into_iter().map(|row| t::PartitionValuesRow { row }).collect(),
            })
        })
    }

    pub(super) fn alter_partition(&self, db_name: Db, tbl_name: String, new_part: t::Partition) -> R<()> {
        self.alter(M::AlterPartition, db_name, tbl_name, vec![new_part], true, None)
    }

    pub(super) fn alter_partition_with_environment_context(
        &self,
        db_name: Db,
        tbl_name: String,
        new_part: t::Partition,
        env: t::EnvironmentContext,
    ) -> R<()> {
        self.alter(M::AlterPartitionWithEnvironmentContext, db_name, tbl_name, vec![new_part], true, Some(env))
    }

    pub(super) fn alter_partitions(&self, db_name: Db, tbl_name: String, new_parts: Vec<t::Partition>) -> R<()> {
        self.alter(M::AlterPartitions, db_name, tbl_name, new_parts, false, None)
    }

    pub(super) fn alter_partitions_with_environment_context(
        &self,
        db_name: Db,
        tbl_name: String,
        new_parts: Vec<t::Partition>,
        env: t::EnvironmentContext,
    ) -> R<()> {
        self.alter(M::AlterPartitionsWithEnvironmentContext, db_name, tbl_name, new_parts, false, Some(env))
    }

    pub(super) fn alter_partitions_req(&self, req: t::AlterPartitionsRequest) -> R<t::AlterPartitionsResponse> {
        self.alter(
            M::AlterPartitionsReq,
            Db::from(req.db_name),
            req.table_name,
            req.partitions,
            false,
            req.environment_context,
        )
        .map(|()| t::AlterPartitionsResponse {})
    }

    pub(super) fn rename_partition(
        &self,
        db_name: Db,
        tbl_name: String,
        part_vals: Vec<String>,
        new_part: t::Partition,
    ) -> R<()> {
        self.rename(M::RenamePartition, db_name, tbl_name, part_vals, new_part)
    }

    pub(super) fn rename_partition_req(&self, req: t::RenamePartitionRequest) -> R<t::RenamePartitionResponse> {
        self.rename(M::RenamePartitionReq, Db::from(req.db_name), req.table_name, req.part_vals, req.new_part)
            .map(|()| t::RenamePartitionResponse {})
    }

    pub(super) fn drop_partition(
        &self,
        db_name: Db,
        tbl_name: String,
        part_vals: Vec<String>,
        delete_data: bool,
    ) -> R<bool> {
        self.drop_one(M::DropPartition, db_name, tbl_name, part_vals, delete_data)
    }

    pub(super) fn drop_partition_with_environment_context(
        &self,
        db_name: Db,
        tbl_name: String,
        part_vals: Vec<String>,
        delete_data: bool,
        _env: t::EnvironmentContext,
    ) -> R<bool> {
        self.drop_one(M::DropPartitionWithEnvironmentContext, db_name, tbl_name, part_vals, delete_data)
    }

    pub(super) fn drop_partition_by_name(
        &self,
        db_name: Db,
        tbl_name: String,
        part_name: String,
        delete_data: bool,
    ) -> R<bool> {
        self.drop_by_name(M::DropPartitionByName, db_name, tbl_name, part_name, delete_data)
    }

    pub(super) fn drop_partition_by_name_with_environment_context(
        &self,
        db_name: Db,
        tbl_name: String,
        part_name: String,
        delete_data: bool,
        _env: t::EnvironmentContext,
    ) -> R<bool> {
        self.drop_by_name(M::DropPartitionByNameWithEnvironmentContext, db_name, tbl_name, part_name, delete_data)
    }

    pub(super) fn drop_partitions_req(&self, req: t::DropPartitionsRequest) -> R<t::DropPartitionsResult> {
        let db = Db::from(req.db_name).0;
        let table = req.tbl_name;
        let delete_data = req.delete_data.unwrap_or(true);
        let if_exists = req.if_exists.unwrap_or(true);
        let need_result = req.need_result.unwrap_or(false);
        self.call_dropping(M::DropPartitionsReq, &target(&db, &table), delete_data, |c, a| async move {
            let t::RequestPartsSpec::Names(wanted) = req.parts else {
                return Err(CatalogError::Meta(
                    "Dropping partitions by expression is not supported; drop them by name".to_string(),
                ));
            };
            let wanted = if if_exists {
                let existing = c.get_partitions_by_names(&db, &table, &wanted).await?;
                let t_ = c.get_table(&db, &table).await?;
                existing
                    .iter()
                    .map(|p| Catalog::partition_name(&t_, &p.values))
                    .collect::<strata_core::Result<Vec<_>>>()?
            } else {
                wanted
            };
            let dropped = c.drop_partitions(&a, &db, &table, wanted, delete_data).await?;
            Ok(t::DropPartitionsResult { partitions: need_result.then(|| convert::partitions_out(dropped)) })
        })
    }

    pub(super) fn exchange_partition(
        &self,
        partition_specs: t::StrMap,
        source_db: Db,
        source_table_name: String,
        dest_db: Db,
        dest_table_name: String,
    ) -> R<t::Partition> {
        // Apache HMS 2.3 answers an empty partition.
        self.exchange(M::ExchangePartition, partition_specs, source_db, source_table_name, dest_db, dest_table_name)
            .map(|_| t::Partition {
                values: None,
                db_name: None,
                table_name: None,
                create_time: None,
                last_access_time: None,
                sd: None,
                parameters: None,
                privileges: None,
                cat_name: None,
                write_id: None,
                is_stats_compliant: None,
                col_stats: None,
                file_metadata: None,
            })
    }

    pub(super) fn exchange_partitions(
        &self,
        partition_specs: t::StrMap,
        source_db: Db,
        source_table_name: String,
        dest_db: Db,
        dest_table_name: String,
    ) -> R<Vec<t::Partition>> {
        self.exchange(M::ExchangePartitions, partition_specs, source_db, source_table_name, dest_db, dest_table_name)
    }

    pub(super) fn partition_name_to_vals(&self, part_name: String) -> R<Vec<String>> {
        Ok(partitions::name_to_values(&part_name))
    }

    pub(super) fn partition_name_to_spec(&self, part_name: String) -> R<t::StrMap> {
        Ok(partitions::name_to_spec(&part_name))
    }

    pub(super) fn partition_name_has_valid_characters(
        &self,
        _part_vals: Vec<String>,
        _throw_exception: bool,
    ) -> R<bool> {
        // No whitelist pattern is configured (HMS's default): every value is valid.
        Ok(true)
    }

    pub(super) fn get_partition_req(&self, req: t::GetPartitionRequest) -> R<t::GetPartitionResponse> {
        self.get_one(M::GetPartitionReq, Db::from(req.db_name), req.tbl_name, req.part_vals)
            .map(|partition| t::GetPartitionResponse { partition })
    }

    pub(super) fn append_partition_req(&self, req: t::AppendPartitionsRequest) -> R<t::Partition> {
        match (req.name, req.part_vals) {
            (Some(name), _) if !name.is_empty() => {
                self.append_by_name(M::AppendPartitionReq, Db::from(req.db_name), req.table_name, name)
            }
            (_, values) => {
                self.append(M::AppendPartitionReq, Db::from(req.db_name), req.table_name, values.unwrap_or_default())
            }
        }
    }

    pub(super) fn drop_partition_req(&self, req: t::DropPartitionRequest) -> R<bool> {
        let delete_data = req.delete_data.unwrap_or(false);
        match (req.part_name, req.part_vals) {
            (Some(name), _) if !name.is_empty() => {
                self.drop_by_name(M::DropPartitionReq, Db::from(req.db_name), req.tbl_name, name, delete_data)
            }
            (_, values) => self.drop_one(
                M::DropPartitionReq,
                Db::from(req.db_name),
                req.tbl_name,
                values.unwrap_or_default(),
                delete_data,
            ),
        }
    }

    pub(super) fn fetch_partition_names_req(&self, req: t::PartitionsRequest) -> R<Vec<String>> {
        let max = i32::from(req.max_parts.unwrap_or(-1));
        self.names(M::FetchPartitionNamesReq, Db::from(req.db_name), req.tbl_name, None, max)
    }

    pub(super) fn get_part_specs_by_filter(
        &self,
        db_name: Db,
        tbl_name: String,
        filter: String,
        max_parts: i32,
    ) -> R<Vec<t::PartitionSpec>> {
        let db = db_name.0;
        self.call(M::GetPartSpecsByFilter, &target(&db, &tbl_name), |c, _| async move {
            let parts = c.list_partitions(&db, &tbl_name, None, Some(&filter), Limit::from_max(max_parts)).await?;
            if parts.is_empty() {
                return Ok(Vec::new());
            }
            let table = names::normalize(&tbl_name);
            Ok(vec![convert::partitions_to_spec(&names::normalize(&db), &table, parts)])
        })
    }

    fn add_one(&self, method: M, part: t::Partition) -> R<t::Partition> {
        let part = convert::partition_in(part);
        let (db, table) = (part.db_name.clone(), part.table_name.clone());
        self.call(method, &target(&db, &table), |c, a| async move {
            c.add_partition(&a, &db, &table, part).await.map(convert::partition_out)
        })
    }

    /// The add calls that answer how many partitions they added (nothing converted back).
    fn add_many(&self, method: M, parts: Vec<strata_core::model::Partition>, if_not_exists: bool) -> R<i32> {
        let Some(first) = parts.first() else { return Ok(0) };
        let (db, table) = (first.db_name.clone(), first.table_name.clone());
        self.call(method, &target(&db, &table), |c, a| async move {
            let added = c.add_partitions(&a, &db, &table, parts, if_not_exists).await?;
            Ok(i32::try_from(added.len()).unwrap_or(i32::MAX))
        })
    }

    fn append(&self, method: M, db: Db, table: String, values: Vec<String>) -> R<t::Partition> {
        let db = db.0;
        self.call(method, &target(&db, &table), |c, a| async move {
            c.append_partition(&a, &db, &table, values).await.map(convert::partition_out)
        })
    }

    fn append_by_name(&self, method: M, db: Db, table: String, name: String) -> R<t::Partition> {
        let db = db.0;
        self.call(method, &target(&db, &table), |c, a| async move {
            c.append_partition_by_name(&a, &db, &table, &name).await.map(convert::partition_out)
        })
    }

    fn get_one(&self, method: M, db: Db, table: String, values: Vec<String>) -> R<t::Partition> {
        let db = db.0;
        self.call(method, &target(&db, &table), |c, _| async move {
            c.get_partition(&db, &table, &values).await.map(convert::partition_out)
        })
    }

    fn list(
        &self,
        method: M,
        db: Db,
        table: String,
        values: Option<Vec<String>>,
        filter: Option<String>,
        max: i32,
    ) -> R<Vec<t::Partition>> {
        let db = db.0;
        self.call(method, &target(&db, &table), |c, _| async move {
            let parts =
                c.list_partitions(&db, &table, values.as_deref(), filter.as_deref(), Limit::from_max(max)).await?;
            Ok(convert::partitions_out(parts))
        })
    }

    fn names(&self, method: M, db: Db, table: String, values: Option<Vec<String>>, max: i32) -> R<Vec<String>> {
        let db = db.0;
        self.call(method, &target(&db, &table), |c, _| async move {
            c.list_partition_names(&db, &table, values.as_deref(), None, Limit::from_max_names(max)).await
        })
    }

    fn alter(
        &self,
        method: M,
        db: Db,
        table: String,
        parts: Vec<t::Partition>,
        single: bool,
        env: Option<t::EnvironmentContext>,
    ) -> R<()> {
        let db = db.0;
        let parts: Vec<_> = parts.into_iter().map(convert::partition_in).collect();
        let stats = StatsEnv::from_env(&convert::env_props(env));
        self.call(method, &target(&db, &table), |c, a| async move {
            c.alter_partitions_in(&a, &db, &table, parts, single, stats).await
        })
    }

    fn rename(&self, method: M, db: Db, table: String, old_values: Vec<String>, new: t::Partition) -> R<()> {
        let db = db.0;
        let new = convert::partition_in(new);
        self.call(method, &target(&db, &table), |c, a| async move {
            c.rename_partition(&a, &db, &table, &old_values, new).await
        })
    }

    fn exchange(
        &self,
        method: M,
        spec: t::StrMap,
        source_db: Db,
        source_table: String,
        dest_db: Db,
        dest_table: String,
    ) -> R<Vec<t::Partition>> {
        let (source_db, dest_db) = (source_db.0, dest_db.0);
        self.call(method, &target(&source_db, &source_table), |c, a| async move {
            let moved = c.exchange_partitions(&a, &spec, (&source_db, &source_table), (&dest_db, &dest_table)).await?;
            Ok(convert::partitions_out(moved))
        })
    }

    fn drop_one(&self, method: M, db: Db, table: String, values: Vec<String>, delete_data: bool) -> R<bool> {
        let db = db.0;
        self.call_dropping(method, &target(&db, &table), delete_data, |c, a| async move {
            c.drop_partition(&a, &db, &table, &values, delete_data).await.map(|()| true)
        })
    }

    fn drop_by_name(&self, method: M, db: Db, table: String, name: String, delete_data: bool) -> R<bool> {
        let db = db.0;
        self.call_dropping(method, &target(&db, &table), delete_data, |c, a| async move {
            c.drop_partition_by_name(&a, &db, &table, &name, delete_data).await.map(|()| true)
        })
    }
}
