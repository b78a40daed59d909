//! Partitions.

use serde::{Deserialize, Serialize};

use super::{Params, StorageDescriptor};
use crate::time::EpochSeconds;

/// A partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Partition {
    /// Values, one per partition key.
    pub values: Vec<String>,
    /// Lower-case database name.
    pub db_name: String,
    /// Lower-case table name.
    pub table_name: String,
    /// Creation time.
    pub create_time: EpochSeconds,
    /// Last access time.
    pub last_access_time: EpochSeconds,
    /// Storage (its location is the partition's).
    pub sd: StorageDescriptor,
    /// Parameters.
    pub parameters: Params,
}
