//! Column statistics of tables and partitions.

use strata_core::names;
use strata_thrift::{self as t, methods::Method as M};

use crate::{
    convert,
    handler::{target, Db, Handler, R},
};

impl Handler {
    pub(super) fn update_table_column_statistics(&self, stats_obj: t::ColumnStatistics) -> R<bool> {
        let mut stats = convert::column_statistics_in(stats_obj);
        stats.is_table_level = true;
        self.call(M::UpdateTableColumnStatistics, &target(&stats.db_name, &stats.table_name), |c, _| async move {
            c.update_column_statistics(stats).await.map(|()| true)
        })
    }

    pub(super) fn update_partition_column_statistics(&self, stats_obj: t::ColumnStatistics) -> R<bool> {
        let mut stats = convert::column_statistics_in(stats_obj);
        stats.is_table_level = false;
        self.call(M::UpdatePartitionColumnStatistics, &target(&stats.db_name, &stats.table_name), |c, _| async move {
            c.update_column_statistics(stats).await.map(|()| true)
        })
    }

    pub(super) fn update_table_column_statistics_req(
        &self,
        req: t::SetPartitionsStatsRequest,
    ) -> R<t::SetPartitionsStatsResponse> {
        let engine = req.engine;
        let mut all: Vec<_> = req.col_stats.into_iter().map(convert::column_statistics_in).collect();
        all.iter_mut().for_each(|s| s.is_table_level = true);
        let tgt = all.first().map(|s| target(&s.db_name, &s.table_name)).unwrap_or_default();
        self.call(M::UpdateTableColumnStatisticsReq, &tgt, |c, _| async move {
            c.set_column_statistics(all, false, engine.as_deref()).await?;
            Ok(t::SetPartitionsStatsResponse { result: true })
        })
    }

    pub(super) fn update_partition_column_statistics_req(
        &self,
        req: t::SetPartitionsStatsRequest,
    ) -> R<t::SetPartitionsStatsResponse> {
        let engine = req.engine;
        let mut all: Vec<_> = req.col_stats.into_iter().map(convert::column_statistics_in).collect();
        all.iter_mut().for_each(|s| s.is_table_level = false);
        let tgt = all.first().map(|s| target(&s.db_name, &s.table_name)).unwrap_or_default();
        self.call(M::UpdatePartitionColumnStatisticsReq, &tgt, |c, _| async move {
            c.set_column_statistics(all, false, engine.as_deref()).await?;
            Ok(t::SetPartitionsStatsResponse { result: true })
        })
    }

    pub(super) fn get_table_column_statistics(
        &self,
        db_name: Db,
        tbl_name: String,
        col_name: String,
    ) -> R<t::ColumnStatistics> {
        let db = db_name.0;
        self.call(M::GetTableColumnStatistics, &target(&db, &tbl_name), |c, _| async move {
            let rows = c.table_column_statistic(&db, &tbl_name, &col_name).await?;
            Ok(convert::column_statistics_out(&names::normalize(&db), &names::normalize(&tbl_name), None, rows))
        })
    }

    pub(super) fn get_partition_column_statistics(
        &self,
        db_name: Db,
        tbl_name: String,
        part_name: String,
        col_name: String,
    ) -> R<t::ColumnStatistics> {
        let db = db_name.0;
        self.call(M::GetPartitionColumnStatistics, &target(&db, &tbl_name), |c, _| async move {
            let (name, rows) = c.partition_column_statistic(&db, &tbl_name, &part_name, &col_name).await?;
            Ok(convert::column_statistics_out(&names::normalize(&db), &names::normalize(&tbl_name), Some(name), rows))
        })
    }

    pub(super) fn get_table_statistics_req(&self, request: t::TableStatsRequest) -> R<t::TableStatsResult> {
        let db = Db::from(request.db_name).0;
        let table = request.tbl_name;
        self.call(M::GetTableStatisticsReq, &target(&db, &table), |c, _| async move {
            let rows = c.table_column_statistics(&db, &table, &request.col_names, request.engine.as_deref()).await?;
            Ok(t::TableStatsResult {
                table_stats: rows.into_iter().map(|r| convert::stats_obj_out(r.stats)).collect(),
                is_stats_compliant: None,
            })
        })
    }

    pub(super) fn get_partitions_statistics_req(
        &self,
        request: t::PartitionsStatsRequest,
    ) -> R<t::PartitionsStatsResult> {
        let db = Db::from(request.db_name).0;
        let table = request.tbl_name;
        self.call(M::GetPartitionsStatisticsReq, &target(&db, &table), |c, _| async move {
            let rows = c
                .partition_column_statistics(
                    &db,
                    &table,
                    &request.part_names,
                    &request.col_names,
                    request.engine.as_deref(),
                )
                .await?;
            let mut part_stats: std::collections::BTreeMap<String, Vec<t::ColumnStatisticsObj>> =
                std::collections::BTreeMap::new();
            for r in rows {
                part_stats.entry(r.part_name.unwrap_or_default()).or_default().push(convert::stats_obj_out(r.stats));
            }
            Ok(t::PartitionsStatsResult { part_stats, is_stats_compliant: None })
        })
    }

    pub(super) fn get_aggr_stats_for(&self, request: t::PartitionsStatsRequest) -> R<t::AggrStats> {
        let db = Db::from(request.db_name).0;
        let table = request.tbl_name;
        self.call(M::GetAggrStatsFor, &target(&db, &table), |c, _| async move {
            let aggr = c
                .aggregate_statistics(&db, &table, &request.part_names, &request.col_names, request.engine.as_deref())
                .await?;
            Ok(t::AggrStats {
                col_stats: aggr.columns.into_iter().map(convert::stats_obj_out).collect(),
                parts_found: aggr.parts_found,
                is_stats_compliant: None,
            })
        })
    }

    pub(super) fn set_aggr_stats_for(&self, request: t::SetPartitionsStatsRequest) -> R<bool> {
        let (engine, need_merge) = (request.engine, request.need_merge.unwrap_or(false));
        let all: Vec<_> = request.col_stats.into_iter().map(convert::column_statistics_in).collect();
        let tgt = all.first().map(|s| target(&s.db_name, &s.table_name)).unwrap_or_default();
        self.call(M::SetAggrStatsFor, &tgt, |c, _| async move {
            c.set_column_statistics(all, need_merge, engine.as_deref()).await.map(|()| true)
        })
    }

    pub(super) fn delete_partition_column_statistics(
        &self,
        db_name: Db,
        tbl_name: String,
        part_name: String,
        col_name: String,
        engine: String,
    ) -> R<bool> {
        let db = db_name.0;
        self.call(M::DeletePartitionColumnStatistics, &target(&db, &tbl_name), |c, _| async move {
            c.delete_column_statistics(&db, &tbl_name, Some(&part_name), Some(&col_name), Some(&engine))
                .await
                .map(|()| true)
        })
    }

    pub(super) fn delete_table_column_statistics(
        &self,
        db_name: Db,
        tbl_name: String,
        col_name: String,
        engine: String,
    ) -> R<bool> {
        let db = db_name.0;
        self.call(M::DeleteTableColumnStatistics, &target(&db, &tbl_name), |c, _| async move {
            c.delete_column_statistics(&db, &tbl_name, None, Some(&col_name), Some(&engine)).await.map(|()| true)
        })
    }
}
