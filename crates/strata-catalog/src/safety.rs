//! What Strata may do with a directory: move it (drop, truncate, rename) only when it lies
//! strictly inside a root Strata owns (the warehouse, `[storage] managed_roots`) and neither
//! holds nor lies inside the location of another live table or partition; otherwise the data
//! stays where it is and the history row of the change records no new location for it.

use strata_core::{location, Result};
use strata_store::moves::{LiveLocation, Near};

use crate::Catalog;

/// Whose directory is about to move: its own objects do not stand in its way.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Owner<'a> {
    /// A database being dropped: everything of it goes with it.
    Database(&'a str),
    /// A table (dropped, truncated or renamed): its partitions go with it.
    Table(&'a str, &'a str),
    /// A partition of a table: its table's directory around it is expected.
    Partition(&'a str, &'a str, &'a str),
}

/// How many live objects a check reads at most (a partition's own row and its table's are
/// the only ones it skips, so a few more than two tell whether anything else is there).
const NEAR_LIMIT: i64 = 8;

fn describe(l: &LiveLocation) -> String {
    match (&l.partition_name, l.table_name.is_empty()) {
        (Some(p), _) => format!("partition {p} of {}.{} at {}", l.db_name, l.table_name, l.location),
        (None, true) => format!("database {} at {}", l.db_name, l.location),
        (None, false) => format!("table {}.{} at {}", l.db_name, l.table_name, l.location),
    }
}

impl Catalog {
    /// Live objects at, inside or around `loc` (canonical), other than `owner`'s own.
    pub(crate) async fn others_near(&self, loc: &str, owner: Option<Owner<'_>>) -> Result<Vec<LiveLocation>> {
        let ancestors = location::ancestors(loc);
        let exclude = match owner {
            Some(Owner::Database(db)) => Some((db, None)),
            Some(Owner::Table(db, t)) => Some((db, Some(t))),
            Some(Owner::Partition(..)) | None => None,
        };
        let found =
            self.store.live_near(&Near { location: loc, ancestors: &ancestors, exclude, limit: NEAR_LIMIT }).await?;
        Ok(found
            .into_iter()
            .filter(|l| match owner {
                Some(Owner::Partition(db, t, p)) => {
                    let own_table = l.db_name == db && l.table_name == t;
                    // Itself, and its own table's directory around it (not at it).
                    let itself = l.partition_name.as_deref() == Some(p);
                    let table_around = l.partition_name.is_none() && l.location != loc;
                    !(own_table && (itself || table_around))
                }
                _ => true,
            })
            .collect())
    }

    /// Why the directory at `loc` must not move, if it must not: it is outside the roots
    /// Strata owns, or another live object is at it, inside it or around it.
    pub(crate) async fn why_not_movable(&self, loc: &str, owner: Owner<'_>) -> Result<Option<String>> {
        let canonical = location::canonical_or_raw(loc);
        if !self.owns_location(&canonical) {
            return Ok(Some(format!("{canonical} is outside the roots Strata manages")));
        }
        let others = self.others_near(&canonical, Some(owner)).await?;
        Ok(others.first().map(|o| format!("{canonical} holds or lies inside the location of {}", describe(o))))
    }

    /// Whether gc may delete `loc` as far as the live state says now: nothing live is at it or
    /// inside it, and no partition or unpartitioned table (engines read those recursively) is
    /// around it. `Some(why)` when it may not.
    pub(crate) async fn gc_blocked_by_live(&self, loc: &str) -> Result<Option<String>> {
        let canonical = location::canonical_or_raw(loc);
        let near = self.others_near(&canonical, None).await?;
        Ok(near
            .iter()
            .find(|l| {
                let around = l.location != canonical && location::is_within(&canonical, &l.location);
                !around || l.reads_inside
            })
            .map(describe))
    }
}
