//! Transactions for clients that wrap non-ACID work in them (Hive 3/4's `DbTxnManager` opens
//! and commits one around every query; Trino, Spark and Impala read the open list).
//!
//! Strata has no transactional (ACID) tables, so a transaction guards nothing: what is kept is
//! what clients observe: ids that only grow, each transaction's state (open, committed,
//! aborted) with HMS's exceptions for misuse, heartbeats, and the expiry of transactions not
//! heartbeaten within the lock timeout (HMS's `hive.txn.timeout`). Write ids are never
//! allocated: `allocate_table_write_ids` is refused (it is how a client starts writing an ACID
//! table), and every table's valid-write-id list is empty.
//!
//! The state lives in the server process: ids start from the clock (milliseconds × 1,000), so a
//! restarted server never hands out an id it gave before; open transactions do not survive a
//! restart (their owners get `NoSuchTxnException` on commit, as after an HMS timeout).

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use strata_core::{
    time::{self, Clock},
    CatalogError, Result,
};

/// HMS's `hive.txn.max.open.batch`: the most transactions one `open_txns` opens.
pub const MAX_OPEN_BATCH: usize = 1000;
/// HMS's `hive.max.open.txns`: the most open at once.
pub const MAX_OPEN: usize = 100_000;
/// How many closed transactions are remembered (to answer a late commit or abort exactly).
const REMEMBERED: usize = 100_000;

/// A transaction's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnState {
    /// Open.
    Open,
    /// Committed.
    Committed,
    /// Aborted (by the client or by expiry).
    Aborted,
}

/// An open transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTxn {
    /// Its id.
    pub id: i64,
    /// Who opened it.
    pub user: String,
    /// From where.
    pub hostname: String,
    /// The client's agent string.
    pub agent_info: String,
    /// Heartbeats received.
    pub heartbeats: i32,
    /// Opened at (ms since the epoch).
    pub started_ms: i64,
    /// Last heartbeat (ms since the epoch).
    pub last_heartbeat_ms: i64,
    seen: Instant,
}

/// The open transactions and the high-water mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTxns {
    /// The highest id handed out (0: none yet).
    pub high_water_mark: i64,
    /// The open ones, by id.
    pub open: Vec<OpenTxn>,
}

#[derive(Debug)]
struct State {
    next: i64,
    open: BTreeMap<i64, OpenTxn>,
    closed: BTreeMap<i64, TxnState>,
    closed_order: VecDeque<i64>,
}

/// The transaction registry of one server.
#[derive(Debug)]
pub struct Txns {
    timeout: Duration,
    first: i64,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

fn no_such(id: i64) -> CatalogError {
    CatalogError::NoSuchTxn(format!("No such transaction txnid:{id}"))
}

fn aborted(id: i64) -> CatalogError {
    CatalogError::TxnAborted(format!("Transaction txnid:{id} already aborted"))
}

impl Txns {
    /// A registry whose transactions expire after `timeout` without a heartbeat.
    #[must_use]
    pub fn new(timeout: Duration) -> Self {
        Self::with_clock(timeout, Arc::new(time::SystemClock))
    }

    /// A registry whose ids and heartbeat times come from `clock`.
    #[must_use]
    pub fn with_clock(timeout: Duration, clock: Arc<dyn Clock>) -> Self {
        let first = clock.now_millis().max(1).saturating_mul(1000);
        Self {
            timeout,
            first,
            clock,
            state: Mutex::new(State {
                next: first,
                open: BTreeMap::new(),
                closed: BTreeMap::new(),
                closed_order: VecDeque::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let expired: Vec<i64> =
            state.open.values().filter(|t| now.duration_since(t.seen) > self.timeout).map(|t| t.id).collect();
        for id in expired {
            tracing::info!(txnid = id, "transaction expired without a heartbeat: aborted");
            Self::close(&mut state, id, TxnState::Aborted);
        }
        state
    }

    fn close(state: &mut State, id: i64, how: TxnState) {
        state.open.remove(&id);
        state.closed.insert(id, how);
        state.closed_order.push_back(id);
        while state.closed_order.len() > REMEMBERED {
            if let Some(old) = state.closed_order.pop_front() {
                state.closed.remove(&old);
            }
        }
    }

    /// Open `n` transactions (at most [`MAX_OPEN_BATCH`], as HMS caps it).
    pub fn open(&self, n: i32, user: &str, hostname: &str, agent_info: &str) -> Result<Vec<i64>> {
        if n <= 0 {
            return Err(CatalogError::Meta(format!("Invalid input for number of txns: {n}")));
        }
        let n = usize::try_from(n).unwrap_or(MAX_OPEN_BATCH).min(MAX_OPEN_BATCH);
        let mut state = self.lock();
        if state.open.len() + n > MAX_OPEN {
            return Err(CatalogError::Meta(format!(
                "Maximum allowed number of open transactions ({MAX_OPEN}) has been reached. Current number of open transactions: {}",
                state.open.len()
            )));
        }
        let now_ms = self.clock.now_millis();
        let seen = Instant::now();
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            let id = state.next;
            state.next += 1;
            state.open.insert(
                id,
                OpenTxn {
                    id,
                    user: user.to_string(),
                    hostname: hostname.to_string(),
                    agent_info: agent_info.to_string(),
                    heartbeats: 0,
                    started_ms: now_ms,
                    last_heartbeat_ms: now_ms,
                    seen,
                },
            );
            ids.push(id);
        }
        Ok(ids)
    }

    /// Commit an open transaction.
    pub fn commit(&self, id: i64) -> Result<()> {
        let mut state = self.lock();
        if state.open.contains_key(&id) {
            Self::close(&mut state, id, TxnState::Committed);
            return Ok(());
        }
        match state.closed.get(&id) {
            Some(TxnState::Aborted) => Err(aborted(id)),
            // Committing twice is harmless: HMS answers success too.
            Some(TxnState::Committed) => Ok(()),
            _ => Err(no_such(id)),
        }
    }

    /// Abort transactions; all must be open (or already aborted).
    pub fn abort(&self, ids: &[i64]) -> Result<()> {
        let mut state = self.lock();
        for &id in ids {
            match (state.open.contains_key(&id), state.closed.get(&id)) {
                (true, _) | (false, Some(TxnState::Aborted)) => {}
                (false, Some(TxnState::Committed)) => {
                    return Err(CatalogError::NoSuchTxn(format!("Transaction txnid:{id} is already committed.")))
                }
                _ => return Err(no_such(id)),
            }
        }
        for &id in ids {
            if state.open.contains_key(&id) {
                Self::close(&mut state, id, TxnState::Aborted);
            }
        }
        Ok(())
    }

    /// Heartbeat one transaction.
    pub fn heartbeat(&self, id: i64) -> Result<()> {
        let mut state = self.lock();
        if let Some(txn) = state.open.get_mut(&id) {
            txn.heartbeats = txn.heartbeats.saturating_add(1);
            txn.last_heartbeat_ms = self.clock.now_millis();
            txn.seen = Instant::now();
            return Ok(());
        }
        match state.closed.get(&id) {
            Some(TxnState::Aborted) => Err(aborted(id)),
            _ => Err(no_such(id)),
        }
    }

    /// Heartbeat the open transactions in `min..=max`; returns the aborted ones and those that
    /// do not exist (or are committed), as HMS does. The range is capped at
    /// [`MAX_OPEN_BATCH`] × 10 ids.
    pub fn heartbeat_range(&self, min: i64, max: i64) -> Result<(Vec<i64>, Vec<i64>)> {
        if max < min || max - min >= i64::try_from(MAX_OPEN_BATCH * 10).unwrap_or(i64::MAX) {
            return Err(CatalogError::Meta(format!("Invalid transaction range: {min} to {max}")));
        }
        let mut state = self.lock();
        let (mut gone, mut nosuch) = (Vec::new(), Vec::new());
        let now_ms = self.clock.now_millis();
        let seen = Instant::now();
        for id in min..=max {
            if let Some(txn) = state.open.get_mut(&id) {
                txn.heartbeats = txn.heartbeats.saturating_add(1);
                txn.last_heartbeat_ms = now_ms;
                txn.seen = seen;
            } else if state.closed.get(&id) == Some(&TxnState::Aborted) {
                gone.push(id);
            } else {
                nosuch.push(id);
            }
        }
        Ok((gone, nosuch))
    }

    /// The open transactions and the high-water mark.
    pub fn open_txns(&self) -> OpenTxns {
        let state = self.lock();
        OpenTxns {
            high_water_mark: if state.next == self.first { 0 } else { state.next - 1 },
            open: state.open.values().cloned().collect(),
        }
    }

    /// The state of one transaction, if known.
    pub fn state(&self, id: i64) -> Option<TxnState> {
        let state = self.lock();
        if state.open.contains_key(&id) {
            return Some(TxnState::Open);
        }
        state.closed.get(&id).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_grow_and_states_follow_hms() {
        let txns = Txns::new(Duration::from_secs(300));
        assert_eq!(txns.open_txns().high_water_mark, 0);
        let ids = txns.open(3, "u", "h", "a").unwrap();
        assert_eq!(ids.len(), 3);
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1));
        assert_eq!(txns.open_txns().high_water_mark, ids[2]);
        txns.commit(ids[0]).unwrap();
        txns.commit(ids[0]).unwrap();
        txns.abort(&[ids[1]]).unwrap();
        assert!(matches!(txns.commit(ids[1]), Err(CatalogError::TxnAborted(_))));
        assert!(matches!(txns.abort(&[ids[0]]), Err(CatalogError::NoSuchTxn(_))));
        assert!(matches!(txns.commit(12), Err(CatalogError::NoSuchTxn(m)) if m == "No such transaction txnid:12"));
        txns.heartbeat(ids[2]).unwrap();
        let (gone, nosuch) = txns.heartbeat_range(ids[0], ids[2] + 1).unwrap();
        assert_eq!(gone, vec![ids[1]]);
        assert_eq!(nosuch, vec![ids[0], ids[2] + 1]);
        let open = txns.open_txns();
        assert_eq!(open.open.iter().map(|t| (t.id, t.heartbeats)).collect::<Vec<_>>(), vec![(ids[2], 2)]);
        assert!(txns.open(0, "u", "h", "a").is_err());
        assert_eq!(txns.open(5000, "u", "h", "a").unwrap().len(), MAX_OPEN_BATCH);
    }

    #[test]
    fn silent_transactions_expire() {
        let txns = Txns::new(Duration::from_millis(0));
        let id = txns.open(1, "u", "h", "a").unwrap()[0];
        std::thread::sleep(Duration::from_millis(5));
        assert!(txns.open_txns().open.is_empty());
        assert_eq!(txns.state(id), Some(TxnState::Aborted));
        assert!(matches!(txns.commit(id), Err(CatalogError::TxnAborted(_))));
    }
}
