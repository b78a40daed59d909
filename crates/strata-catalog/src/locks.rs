//! Locks: table- and partition-level exclusive/shared locks kept in the database, released when
//! their holder stops heartbeating for longer than the configured timeout.

use strata_core::{
    model::{LockInfo, LockRequest},
    names, CatalogError, Result,
};
use strata_store::{LockFilter, LockOutcome};

use crate::Catalog;

impl Catalog {
    fn expire_before(&self, now: i64) -> i64 {
        now - i64::try_from(self.config.lock_timeout.as_millis()).unwrap_or(i64::MAX)
    }

    /// Request a lock; `Acquired` or `Waiting`.
    pub async fn lock(&self, mut request: LockRequest) -> Result<LockOutcome> {
        if request.components.is_empty() {
            return Err(CatalogError::Meta("Lock request has no components".to_string()));
        }
        for c in &mut request.components {
            c.db = names::normalize(&c.db);
            c.table = c.table.as_deref().map(names::normalize);
        }
        let now = self.now_millis();
        self.store.lock(&request, now, self.expire_before(now)).await
    }

    /// Poll a lock (and acquire it if it can be now).
    pub async fn check_lock(&self, lock_id: i64) -> Result<LockOutcome> {
        let now = self.now_millis();
        self.store.check_lock(lock_id, now, self.expire_before(now)).await
    }

    /// Release a lock. Releasing an unknown or already released lock is not an error (Apache
    /// HMS 2.3 made `unlock` idempotent, and clients retry it).
    pub async fn unlock(&self, lock_id: i64) -> Result<()> {
        match self.store.unlock(lock_id).await {
            Err(CatalogError::NoSuchLock(_)) => Ok(()),
            other => other,
        }
    }

    /// Keep a lock alive.
    pub async fn heartbeat(&self, lock_id: i64) -> Result<()> {
        self.store.heartbeat(lock_id, self.now_millis()).await
    }

    /// Current locks.
    pub async fn show_locks(&self, mut filter: LockFilter) -> Result<Vec<LockInfo>> {
        filter.db = filter.db.as_deref().map(names::normalize);
        filter.table = filter.table.as_deref().map(names::normalize);
        self.store.show_locks(&filter).await
    }
}
