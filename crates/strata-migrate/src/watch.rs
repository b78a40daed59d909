//! Following a source after the first copy (`strata import --watch INTERVAL`).
//!
//! Each interval one *cycle* runs:
//! - when the source has a notification log (its current event id was above 0 when the watch
//!   began, as with Strata or an HMS with `DbNotificationListener`), the events after the last
//!   one seen name the databases and tables that changed; only those are copied again;
//! - otherwise every table is re-diffed, skipping the partitions of a table whose definition
//!   (with its `transient_lastDdlTime`) and partition names are unchanged.
//!
//! Tables and partitions the source dropped are dropped (metadata only) unless they changed
//! on the Strata side since they were copied: such changes are reported as conflicts and left
//! alone. A cycle that fails (the source restarting, a lost connection) is reported and the
//! next interval tries again from the same event id, so nothing is skipped.

use std::{collections::BTreeSet, time::Duration};

use crate::{
    copy::{self, Fingerprints, Mode, Options, Report, Scope},
    Connect, Error,
};

/// Events read per call.
const EVENTS_PER_CALL: i32 = 1000;

/// How a watch follows its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// The notification log, from this event id.
    Log(i64),
    /// Re-diff every interval.
    Rediff,
}

/// The state of a watch between cycles.
#[derive(Debug)]
pub struct Watch {
    /// How it follows.
    pub follow: Follow,
    fingerprints: Fingerprints,
    options: Options,
}

impl Watch {
    /// Run the first, full copy and set up the following.
    pub fn start(source: &Connect, target: &Connect, options: Options) -> Result<(Self, Report), Error> {
        let fingerprints = Fingerprints::default();
        let report = copy::run(source, target, &options, Mode::Copy, &Scope::All, Some(&fingerprints))?;
        let follow = if report.source_event_id > 0 { Follow::Log(report.source_event_id) } else { Follow::Rediff };
        let options = Options { drop_missing: true, ..options };
        Ok((Self { follow, fingerprints, options }, report))
    }

    /// One cycle.
    pub fn cycle(&mut self, source: &Connect, target: &Connect) -> Result<Report, Error> {
        match self.follow {
            Follow::Rediff => {
                let options = Options { quick: true, ..self.options.clone() };
                copy::run(source, target, &options, Mode::Copy, &Scope::All, Some(&self.fingerprints))
            }
            Follow::Log(last) => {
                let mut src = source()?;
                let current = src.current_event_id()?;
                if current < last {
                    // The source's log went back (a fresh metastore behind the same address):
                    // re-diff everything once, then follow from its current id.
                    tracing::warn!(last, current, "the source's notification log went back; re-diffing everything");
                    let report =
                        copy::run(source, target, &self.options, Mode::Copy, &Scope::All, Some(&self.fingerprints))?;
                    self.follow = Follow::Log(current);
                    return Ok(report);
                }
                let mut touched = BTreeSet::new();
                let mut next = last;
                loop {
                    let events = src.events_after(next, EVENTS_PER_CALL)?;
                    let Some(last_event) = events.last() else { break };
                    next = last_event.id;
                    for e in events {
                        if let Some(db) = e.db {
                            let table = e.table.filter(|t| !t.is_empty());
                            if table.is_none() || e.kind.ends_with("DATABASE") {
                                touched.insert((db.clone(), None));
                            }
                            if let Some(t) = table {
                                touched.insert((db, Some(t)));
                            }
                        }
                    }
                }
                drop(src);
                let report = if touched.is_empty() {
                    Report { mode: Some(Mode::Copy), source_event_id: next, ..Report::default() }
                } else {
                    copy::run(
                        source,
                        target,
                        &self.options,
                        Mode::Copy,
                        &Scope::Only(touched.into_iter().collect()),
                        Some(&self.fingerprints),
                    )?
                };
                // Only a cycle that succeeded moves the position on: a table that failed
                // (the source went away mid-cycle) is read again from the same event next time.
                if report.errors.is_empty() {
                    self.follow = Follow::Log(next);
                }
                Ok(report)
            }
        }
    }

    /// Cycles every `interval` until `stop` says so, handing each outcome to `each`.
    pub fn run(
        &mut self,
        source: &Connect,
        target: &Connect,
        interval: Duration,
        stop: &dyn Fn() -> bool,
        each: &mut dyn FnMut(Result<Report, Error>),
    ) {
        while !stop() {
            std::thread::sleep(interval);
            if stop() {
                break;
            }
            let outcome = self.cycle(source, target);
            each(outcome);
        }
    }
}
