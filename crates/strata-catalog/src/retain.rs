//! Never delete: where Apache HMS would delete a directory, Strata moves it to the retained area
//! under the warehouse (a `.`-prefixed directory engines skip) and records where it went.
//!
//! Every move to the retained area is journalled (`storage_moves`): recorded as started before
//! any data moves, closed as done once the change that needed it committed, or undone when the
//! change failed and the data went back. On S3 a move is copy-then-delete object by object, so a
//! server stopped halfway leaves started moves behind; [`Catalog::resume_moves`] (`strata moves
//! --resume`) finishes each one whose change committed (its history row, written in the change's
//! transaction, has the same previous and new location) and moves the others back.

use std::time::Duration;

use serde::Serialize;
use strata_core::{
    location,
    model::{Actor, HistoryEntry},
    time, Result,
};
use strata_store::moves::{move_state, StorageMove};

use crate::{safety::Owner, Catalog};

/// A unique stamp for a retained directory: UTC time plus a short random suffix.
fn stamp(now_millis: i64) -> String {
    let secs = now_millis.div_euclid(1000);
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", time::compact_utc(secs), &suffix[..8])
}

/// A directory that was moved (so the move can be undone if the metadata change that needed it
/// fails).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retained {
    /// Where the data was.
    pub from: String,
    /// Where it is now.
    pub to: String,
}

/// The journalled moves of one change: closed together by [`Catalog::settle`].
#[derive(Debug, Default)]
#[must_use = "a retention must be settled once the change it belongs to committed or failed"]
pub(crate) struct Retention {
    /// Journal ids of every recorded move.
    ids: Vec<i64>,
    /// What actually moved, with its journal id.
    moved: Vec<(i64, Retained)>,
}

/// What `strata moves --resume` did with one open move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoveOutcome {
    /// The journalled move.
    #[serde(flatten)]
    pub entry: StorageMove,
    /// `finished`, `moved back` or `failed`.
    pub action: &'static str,
    /// Why it failed.
    pub error: Option<String>,
}

impl Catalog {
    /// Where a table's (or partition's) directory goes in the retained area.
    pub(crate) fn retained_dir(&self, db: &str, table: &str, partition: Option<&str>) -> String {
        location::retained_location(self.warehouse(), db, table, partition, &stamp(self.now_millis()))
    }

    /// Where a database's own directory goes in the retained area.
    pub(crate) fn retained_database_dir(&self, db: &str) -> String {
        location::retained_database_location(self.warehouse(), db, &stamp(self.now_millis()))
    }

    /// Move directories to the retained area for the history rows of a change: `plans` are
    /// `(row index, from, to)`. All are recorded in the journal first (one write), then moved one
    /// by one, and each row's new location becomes where its data went (`None`: nothing was
    /// there, or `from` is the warehouse root, which never moves). Returns the retention to
    /// settle. If a move fails, what moved is moved back and the error returned.
    pub(crate) async fn retain_for(
        &self,
        actor: &Actor,
        history: &mut [HistoryEntry],
        plans: Vec<(usize, String, String)>,
    ) -> Result<Retention> {
        // Only directories strictly inside a root Strata owns, and not shared with another live
        // table or partition, move; the others stay where they are (their history row says
        // no new location).
        let mut plans_kept = Vec::with_capacity(plans.len());
        for (i, from, to) in plans {
            let row = &history[i];
            let owner = match (&row.partition_name, row.table_name.is_empty()) {
                (Some(p), _) => Owner::Partition(&row.db_name, &row.table_name, p),
                (None, true) => Owner::Database(&row.db_name),
                (None, false) => Owner::Table(&row.db_name, &row.table_name),
            };
            match self.why_not_movable(&from, owner).await? {
                None => plans_kept.push((i, location::canonical_or_raw(&from), to)),
                Some(why) => {
                    tracing::warn!(location = %from, why = %why, operation = %row.operation, "data left in place");
                    history[i].new_location = None;
                }
            }
        }
        let plans = plans_kept;
        let movable = |_: &str| true;
        let journalled: Vec<(String, String)> = plans.iter().map(|(_, from, to)| (from.clone(), to.clone())).collect();
        let mut retention = Retention::default();
        if journalled.is_empty() {
            for (i, _, _) in plans {
                history[i].new_location = None;
            }
            return Ok(retention);
        }
        let now = self.now_millis();
        retention.ids = self
            .store
            .record_moves(&actor.request_id, &journalled, now, &self.config.data.server_id, self.lease_until(now))
            .await?;
        self.track_in_flight(&retention.ids, true);
        let mut ids = retention.ids.clone().into_iter();
        for (i, from, to) in plans {
            history[i].new_location = None;
            if !movable(&from) {
                continue;
            }
            let id = ids.next().unwrap_or_default();
            match self.storage.rename(&from, &to).await {
                Ok(true) => {
                    history[i].new_location = Some(to.clone());
                    retention.moved.push((id, Retained { from, to }));
                }
                Ok(false) => {}
                Err(e) => {
                    // A copy-then-delete move may have copied part of the data: move it back too.
                    retention.moved.push((id, Retained { from, to }));
                    self.settle(retention, false).await;
                    return Err(e);
                }
            }
        }
        Ok(retention)
    }

    /// Close a retention. `committed`: the change that needed the moves is stored, so they are
    /// done. Otherwise the data goes back where it was and the moves are undone; a move that
    /// cannot go back stays open for `strata moves --resume`.
    pub(crate) async fn settle(&self, retention: Retention, committed: bool) {
        let Retention { ids, moved } = retention;
        if ids.is_empty() {
            return;
        }
        // Whatever happens below, this call is done with them: a move left open expires.
        self.track_in_flight(&ids, false);
        let (state, detail, closed) = if committed {
            // Moves that found nothing at their source (another call moved or dropped it first)
            // are closed apart, so every move closed as "moved" has its change's history row.
            let moved_ids: std::collections::HashSet<i64> = moved.iter().map(|(id, _)| *id).collect();
            let (done, empty): (Vec<i64>, Vec<i64>) = ids.into_iter().partition(|id| moved_ids.contains(id));
            if !empty.is_empty() {
                if let Err(e) =
                    self.store.finish_moves(&empty, move_state::DONE, "nothing to move", self.now_millis()).await
                {
                    tracing::warn!(error = %e, moves = empty.len(), "could not close journalled moves");
                }
            }
            (move_state::DONE, "moved", done)
        } else {
            let mut stuck = Vec::new();
            for (id, m) in moved.iter().rev() {
                if let Err(e) = self.storage.rename(&m.to, &m.from).await {
                    tracing::error!(error = %e, from = %m.to, to = %m.from, "could not move retained data back");
                    stuck.push(*id);
                }
            }
            let closed = ids.into_iter().filter(|id| !stuck.contains(id)).collect();
            (move_state::UNDONE, "moved back: the change failed", closed)
        };
        if closed.is_empty() {
            return;
        }
        if let Err(e) = self.store.finish_moves(&closed, state, detail, self.now_millis()).await {
            // The moves stay open; `strata moves --resume` closes them the same way.
            tracing::warn!(error = %e, moves = closed.len(), "could not close journalled moves");
        }
    }

    /// Put moved directories back (the metadata change they belonged to failed). For moves that
    /// are not to the retained area (exchanged partitions), which are not journalled.
    pub(crate) async fn restore(&self, moved: &[Retained]) {
        for m in moved.iter().rev() {
            if let Err(e) = self.storage.rename(&m.to, &m.from).await {
                tracing::error!(error = %e, from = %m.to, to = %m.from, "could not move retained data back");
            }
        }
    }

    /// Journalled moves, oldest first: the open ones, or with `all` every one.
    pub async fn moves(&self, all: bool) -> Result<Vec<StorageMove>> {
        self.store.list_moves(all, i64::MAX).await
    }

    /// The lease end of a move recorded or renewed at `now`.
    fn lease_until(&self, now: i64) -> i64 {
        now + i64::try_from(self.config.data.move_lease.as_millis()).unwrap_or(i64::MAX / 2)
    }

    /// Extend the lease of the moves this server is running (it is alive and still moving
    /// them). A move it left open (it could not close it) is not renewed: it expires and is
    /// settled by this server or another, with no operator.
    pub async fn renew_move_leases(&self) -> Result<u64> {
        let ids: Vec<i64> = {
            let set = self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            set.iter().copied().collect()
        };
        if ids.is_empty() {
            return Ok(0);
        }
        let now = self.now_millis();
        self.store.renew_move_leases(&self.config.data.server_id, &ids, self.lease_until(now)).await
    }

    /// Add (`running`) or remove the moves `ids` from the ones this server renews.
    fn track_in_flight(&self, ids: &[i64], running: bool) {
        let mut set = self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for id in ids {
            if running {
                set.insert(*id);
            } else {
                set.remove(id);
            }
        }
    }

    /// Settle every open move whose lease expired (its server stopped: crashed, killed, lost
    /// its database): claim it, then finish it if its change committed or move it back if not.
    /// Servers call this periodically, so a crash needs no operator.
    pub async fn settle_expired_moves(&self) -> Result<Vec<MoveOutcome>> {
        let now = self.now_millis();
        let mut outcomes = Vec::new();
        for entry in self.store.expired_moves(now).await? {
            if !self.store.claim_move(entry.id, &self.config.data.server_id, now, self.lease_until(now)).await? {
                continue;
            }
            let id = entry.id;
            self.track_in_flight(&[id], true);
            let outcome = self.resume_move(entry).await;
            self.track_in_flight(&[id], false);
            outcomes.push(outcome?);
        }
        Ok(outcomes)
    }

    /// Finish or undo the open moves started at least `min_age` ago (a server stopped in the
    /// middle of them). A move whose change committed is run again to the end (copies are
    /// idempotent, sources deleted once all are copied); any other goes back to where it was.
    /// Each move is closed in the journal; one that fails again stays open and is reported.
    pub async fn resume_moves(&self, min_age: Duration) -> Result<Vec<MoveOutcome>> {
        let age = i64::try_from(min_age.as_millis()).unwrap_or(i64::MAX);
        let open = self.store.list_moves(false, self.now_millis().saturating_sub(age)).await?;
        let mut outcomes = Vec::with_capacity(open.len());
        for entry in open {
            outcomes.push(self.resume_move(entry).await?);
        }
        Ok(outcomes)
    }

    /// Finish (its change committed) or undo one open move. A committed move whose source is
    /// now used by a live object (the name was created again meanwhile) is not run: that data
    /// belongs to the new object, and the move is closed as done with the reason.
    async fn resume_move(&self, entry: StorageMove) -> Result<MoveOutcome> {
        let committed = self.store.history_records_move(&entry.from_location, &entry.to_location).await?;
        if committed {
            if let Some(other) = self.gc_blocked_by_live(&entry.from_location).await? {
                let detail = format!(
                    "resumed: the change committed, but {} is now used by {other}; left in place",
                    entry.from_location
                );
                self.store.finish_moves(&[entry.id], move_state::DONE, &detail, self.now_millis()).await?;
                tracing::warn!(id = entry.id, from = %entry.from_location, "move resumed: source in use, left in place");
                return Ok(MoveOutcome { entry, action: "left in place", error: None });
            }
        }
        let (moved, state, action, detail) = if committed {
            (
                self.storage.rename(&entry.from_location, &entry.to_location).await,
                move_state::DONE,
                "finished",
                "resumed: the change committed, move finished",
            )
        } else {
            (
                self.storage.rename(&entry.to_location, &entry.from_location).await,
                move_state::UNDONE,
                "moved back",
                "resumed: the change did not commit, data moved back",
            )
        };
        Ok(match moved {
            Ok(_) => {
                self.store.finish_moves(&[entry.id], state, detail, self.now_millis()).await?;
                tracing::info!(id = entry.id, from = %entry.from_location, to = %entry.to_location, action, "move resumed");
                MoveOutcome { entry, action, error: None }
            }
            Err(e) => MoveOutcome { entry, action: "failed", error: Some(e.message().to_string()) },
        })
    }
}
