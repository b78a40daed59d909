//! Lock compatibility, as pure rules. The store applies them inside one transaction.

use serde::{Deserialize, Serialize};

/// What a lock covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockLevel {
    /// A whole database.
    Db,
    /// One table.
    Table,
    /// One partition.
    Partition,
}

/// How a lock shares its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockType {
    /// Readers.
    SharedRead,
    /// Writers that tolerate each other (ACID inserts).
    SharedWrite,
    /// Writer that excludes other writers but not readers.
    ExclWrite,
    /// Nobody else.
    Exclusive,
}

/// The state of a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LockState {
    /// Granted.
    Acquired,
    /// Queued behind a conflicting lock.
    Waiting,
    /// Refused.
    Aborted,
    /// Not acquired, not queued.
    NotAcquired,
}

/// One object a lock request names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockTarget {
    /// The lock's type.
    pub lock_type: LockType,
    /// The lock's level.
    pub level: LockLevel,
    /// Database (lower-case).
    pub db: String,
    /// Table (lower-case), for table and partition locks.
    pub table: Option<String>,
    /// Partition name, for partition locks.
    pub partition: Option<String>,
}

impl LockTarget {
    /// Whether two targets name overlapping objects (one contains or equals the other).
    #[must_use]
    pub fn overlaps(&self, other: &Self) -> bool {
        if self.db != other.db {
            return false;
        }
        match (&self.table, &other.table) {
            (Some(a), Some(b)) if a != b => false,
            (Some(_), Some(_)) => match (&self.partition, &other.partition) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            },
            _ => true,
        }
    }

    /// Whether this lock must wait for `held`.
    #[must_use]
    pub fn conflicts_with(&self, held: &Self) -> bool {
        self.overlaps(held) && !types_compatible(self.lock_type, held.lock_type)
    }
}

/// Whether two lock types on overlapping objects may be held at once.
#[must_use]
pub fn types_compatible(a: LockType, b: LockType) -> bool {
    use LockType::{ExclWrite, Exclusive, SharedRead, SharedWrite};
    match (a, b) {
        (Exclusive, _) | (_, Exclusive) => false,
        (SharedRead, _) | (_, SharedRead) => true,
        (SharedWrite, SharedWrite) => true,
        (ExclWrite, _) | (_, ExclWrite) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(lock_type: LockType, table: Option<&str>, partition: Option<&str>) -> LockTarget {
        LockTarget {
            lock_type,
            level: if partition.is_some() {
                LockLevel::Partition
            } else if table.is_some() {
                LockLevel::Table
            } else {
                LockLevel::Db
            },
            db: "db".into(),
            table: table.map(Into::into),
            partition: partition.map(Into::into),
        }
    }

    #[test]
    fn exclusive_conflicts_on_same_table_only() {
        let a = t(LockType::Exclusive, Some("t1"), None);
        assert!(a.conflicts_with(&t(LockType::SharedRead, Some("t1"), None)));
        assert!(a.conflicts_with(&t(LockType::Exclusive, Some("t1"), Some("p=1"))));
        assert!(!a.conflicts_with(&t(LockType::Exclusive, Some("t2"), None)));
        assert!(a.conflicts_with(&t(LockType::SharedRead, None, None)));
    }

    #[test]
    fn shared_locks_coexist() {
        let r = t(LockType::SharedRead, Some("t1"), None);
        assert!(!r.conflicts_with(&t(LockType::SharedRead, Some("t1"), None)));
        assert!(!r.conflicts_with(&t(LockType::SharedWrite, Some("t1"), None)));
        assert!(!r.conflicts_with(&t(LockType::ExclWrite, Some("t1"), None)));
        let w = t(LockType::ExclWrite, Some("t1"), None);
        assert!(w.conflicts_with(&t(LockType::SharedWrite, Some("t1"), None)));
        assert!(!t(LockType::Exclusive, Some("t1"), Some("p=1")).conflicts_with(&t(
            LockType::Exclusive,
            Some("t1"),
            Some("p=2")
        )));
    }
}
