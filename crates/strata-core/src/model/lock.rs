//! Locks as requested and as stored.

use serde::{Deserialize, Serialize};

/// A lock as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Lock id (one per request; shared by its components).
    pub lock_id: i64,
    /// The component.
    pub target: crate::lock::LockTarget,
    /// State.
    pub state: crate::lock::LockState,
    /// Transaction id, 0 for none.
    pub txn_id: i64,
    /// Requesting user.
    pub user: String,
    /// Requesting host.
    pub hostname: String,
    /// Agent info.
    pub agent_info: Option<String>,
    /// Last heartbeat, ms.
    pub last_heartbeat_millis: i64,
    /// When acquired, ms.
    pub acquired_at_millis: Option<i64>,
}

/// A lock request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRequest {
    /// Components.
    pub components: Vec<crate::lock::LockTarget>,
    /// Transaction id, 0 for none.
    pub txn_id: i64,
    /// User.
    pub user: String,
    /// Host.
    pub hostname: String,
    /// Agent info.
    pub agent_info: Option<String>,
}
