//! Locks.

use strata_core::{
    lock::{LockLevel, LockState, LockTarget, LockType},
    model, names,
};
use strata_thrift as t;

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
