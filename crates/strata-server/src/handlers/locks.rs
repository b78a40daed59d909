//! Locks, and who may release or heartbeat them.

use strata_core::CatalogError;
use strata_store::LockFilter;
use strata_thrift::{self as t, methods::Method as M};

use crate::{
    convert, errors,
    handler::{target, Db, Handler, R},
};

impl Handler {
    /// Whether this connection may release or heartbeat a lock that `owner` took. Its owner may: the same actor on an authenticated connection; without
    /// authentication, the connection that took it or one whose `set_ugi` user is the lock's
    /// user. So may the admins of `[auth] admins`.
    /// With `owner` None: whether it may whoever the owner is (this connection took the lock,
    /// or the actor is an admin).
    fn may_touch_lock(&self, lock_id: i64, owner: Option<&str>) -> bool {
        let actor = self.actor_name();
        if self.shared.auth.admins.contains(&actor) {
            return true;
        }
        let Ok(s) = self.session.lock() else { return false };
        if s.locks.contains(&lock_id) {
            return true;
        }
        let Some(owner) = owner else { return false };
        match &s.principal {
            Some(_) => owner == actor,
            None => s.user.as_deref() == Some(owner),
        }
    }

    /// Refuse a lock call on someone else's lock (`NoSuchLockException`, which `unlock`,
    /// `heartbeat` and `check_lock` all declare).
    fn check_lock_owner(&self, method: M, lock_id: i64) -> R<()> {
        // Taken on this connection, or an admin: no need to look the lock up.
        if self.may_touch_lock(lock_id, None) {
            return Ok(());
        }
        let catalog = self.shared.catalog.clone();
        let locks = self.shared.runtime.block_on(async move { catalog.show_locks(LockFilter::default()).await });
        let locks = locks.map_err(|e| errors::to_thrift(method, e))?;
        // A lock that is gone is nobody's: unlock stays idempotent, heartbeat says it is gone.
        let Some(owner) = locks.into_iter().find(|l| l.lock_id == lock_id).map(|l| l.user) else {
            return Ok(());
        };
        if self.may_touch_lock(lock_id, Some(&owner)) {
            return Ok(());
        }
        let actor = self.actor_name();
        tracing::warn!(peer = %self.peer, user = %actor, method = method.name(), lock_id, "refused: the lock belongs to another user");
        Err(errors::to_thrift(
            method,
            CatalogError::NoSuchLock(format!(
                "Lock lockid:{lock_id} belongs to another user: only its owner or an admin may {method} it"
            )),
        ))
    }

    pub(super) fn lock(&self, rqst: t::LockRequest) -> R<t::LockResponse> {
        let mut request = convert::lock_request_in(rqst);
        // On an authenticated connection the lock is the actor's, whatever user it names.
        if self.principal().is_some() {
            request.user = self.actor_name();
        }
        let tgt =
            request.components.first().map(|c| target(&c.db, c.table.as_deref().unwrap_or(""))).unwrap_or_default();
        let response = self.call(M::Lock, &tgt, |c, _| async move {
            let out = c.lock(request).await?;
            Ok(t::LockResponse { lockid: out.lock_id, state: convert::lock_state_out(out.state), error_message: None })
        })?;
        if let Ok(mut s) = self.session.lock() {
            s.locks.insert(response.lockid);
        }
        Ok(response)
    }

    pub(super) fn check_lock(&self, rqst: t::CheckLockRequest) -> R<t::LockResponse> {
        self.call(M::CheckLock, &rqst.lockid.to_string(), |c, _| async move {
            let out = c.check_lock(rqst.lockid).await?;
            Ok(t::LockResponse { lockid: out.lock_id, state: convert::lock_state_out(out.state), error_message: None })
        })
    }

    pub(super) fn unlock(&self, rqst: t::UnlockRequest) -> R<()> {
        self.check_lock_owner(M::Unlock, rqst.lockid)?;
        self.call(M::Unlock, &rqst.lockid.to_string(), |c, _| async move { c.unlock(rqst.lockid).await })?;
        if let Ok(mut s) = self.session.lock() {
            s.locks.remove(&rqst.lockid);
        }
        Ok(())
    }

    pub(super) fn heartbeat(&self, ids: t::HeartbeatRequest) -> R<()> {
        let id = ids.lockid.unwrap_or(0);
        if let Some(lock_id) = ids.lockid {
            self.check_lock_owner(M::Heartbeat, lock_id)?;
        }
        self.call(M::Heartbeat, &id.to_string(), |c, _| async move {
            if let Some(txn) = ids.txnid.filter(|t| *t > 0) {
                c.txns().heartbeat(txn)?;
            }
            match ids.lockid {
                Some(_) => c.heartbeat(id).await,
                None => Ok(()),
            }
        })
    }

    pub(super) fn show_locks(&self, rqst: t::ShowLocksRequest) -> R<t::ShowLocksResponse> {
        let filter =
            LockFilter { db: rqst.dbname.map(|d| Db::from(d).0), table: rqst.tablename, partition: rqst.partname };
        self.call(M::ShowLocks, "", |c, _| async move {
            let locks = c.show_locks(filter).await?;
            Ok(t::ShowLocksResponse { locks: Some(locks.into_iter().map(convert::lock_info_out).collect()) })
        })
    }
}
