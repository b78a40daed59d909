//! Transactions: ids and states for clients that wrap non-ACID work in transactions (see
//! `strata_catalog::txns`); no write ids: Strata has no ACID tables.

use strata_catalog::service;
use strata_thrift::{self as t, methods::Method as M};

use crate::handler::{target, Db, Handler, R};

impl Handler {
    // Ids and states for clients that wrap non-ACID work in transactions (see
    // strata_catalog::txns); no write ids: Strata has no ACID tables.
    pub(super) fn open_txns(&self, rqst: t::OpenTxnRequest) -> R<t::OpenTxnsResponse> {
        self.call(M::OpenTxns, "", |c, _| async move {
            let agent = rqst.agent_info.unwrap_or_else(|| "Unknown".to_string());
            let txn_ids = c.txns().open(rqst.num_txns, &rqst.user, &rqst.hostname, &agent)?;
            Ok(t::OpenTxnsResponse { txn_ids })
        })
    }

    pub(super) fn commit_txn(&self, rqst: t::CommitTxnRequest) -> R<()> {
        self.call(M::CommitTxn, &rqst.txnid.to_string(), |c, _| async move { c.txns().commit(rqst.txnid) })
    }

    pub(super) fn abort_txn(&self, rqst: t::AbortTxnRequest) -> R<()> {
        self.call(M::AbortTxn, &rqst.txnid.to_string(), |c, _| async move { c.txns().abort(&[rqst.txnid]) })
    }

    pub(super) fn abort_txns(&self, rqst: t::AbortTxnsRequest) -> R<()> {
        self.call(M::AbortTxns, "", |c, _| async move { c.txns().abort(&rqst.txn_ids) })
    }

    pub(super) fn heartbeat_txn_range(&self, txns: t::HeartbeatTxnRangeRequest) -> R<t::HeartbeatTxnRangeResponse> {
        self.call(M::HeartbeatTxnRange, "", |c, _| async move {
            let (aborted, nosuch) = c.txns().heartbeat_range(txns.min, txns.max)?;
            Ok(t::HeartbeatTxnRangeResponse {
                aborted: aborted.into_iter().collect(),
                nosuch: nosuch.into_iter().collect(),
            })
        })
    }

    pub(super) fn get_open_txns(&self) -> R<t::GetOpenTxnsResponse> {
        self.call(M::GetOpenTxns, "", |c, _| async move {
            let open = c.txns().open_txns();
            let ids: Vec<i64> = open.open.iter().map(|t| t.id).collect();
            Ok(t::GetOpenTxnsResponse {
                txn_high_water_mark: open.high_water_mark,
                min_open_txn: ids.first().copied(),
                // None of the listed transactions is aborted: an aborted one has no writes to
                // hide, so it is not listed (as HMS drops aborted transactions without writes).
                aborted_bits: Some(vec![0; ids.len().div_ceil(8)]),
                open_txns: ids,
            })
        })
    }

    pub(super) fn get_open_txns_info(&self) -> R<t::GetOpenTxnsInfoResponse> {
        self.call(M::GetOpenTxnsInfo, "", |c, _| async move {
            let open = c.txns().open_txns();
            Ok(t::GetOpenTxnsInfoResponse {
                txn_high_water_mark: open.high_water_mark,
                open_txns: open
                    .open
                    .into_iter()
                    .map(|x| t::TxnInfo {
                        id: x.id,
                        state: t::TxnState::OPEN,
                        user: x.user,
                        hostname: x.hostname,
                        agent_info: Some(x.agent_info),
                        heartbeat_count: Some(x.heartbeats),
                        meta_info: None,
                        started_time: Some(x.started_ms),
                        last_heartbeat_time: Some(x.last_heartbeat_ms),
                    })
                    .collect(),
            })
        })
    }

    pub(super) fn get_valid_write_ids(&self, rqst: t::GetValidWriteIdsRequest) -> R<t::GetValidWriteIdsResponse> {
        self.call(M::GetValidWriteIds, "", |_, _| async move {
            // No table has write ids: nothing is invalid, the high-water mark is 0.
            let tables = service::valid_write_id_tables(rqst.full_table_names)?
                .into_iter()
                .map(|name| t::TableValidWriteIds {
                    full_table_name: name,
                    write_id_high_water_mark: 0,
                    invalid_write_ids: Vec::new(),
                    min_open_write_id: None,
                    aborted_bits: Vec::new(),
                })
                .collect();
            Ok(t::GetValidWriteIdsResponse { tbl_valid_write_ids: tables })
        })
    }

    pub(super) fn allocate_table_write_ids(
        &self,
        rqst: t::AllocateTableWriteIdsRequest,
    ) -> R<t::AllocateTableWriteIdsResponse> {
        let (db, table) = (Db::from(rqst.db_name).0, rqst.table_name);
        self.call(M::AllocateTableWriteIds, &target(&db, &table), |_, _| async move {
            Err(service::no_write_ids(&db, &table))
        })
    }
}
