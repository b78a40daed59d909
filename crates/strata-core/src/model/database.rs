//! Databases.

use serde::{Deserialize, Serialize};

use super::{Params, PrincipalType};
use crate::time::EpochSeconds;

/// A database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Database {
    /// Lower-case name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Fully qualified location.
    pub location: String,
    /// Location for managed tables (Hive 4), if set.
    pub managed_location: Option<String>,
    /// Parameters.
    pub parameters: Params,
    /// Owner name.
    pub owner_name: Option<String>,
    /// Owner type.
    pub owner_type: Option<PrincipalType>,
    /// Creation time.
    pub create_time: EpochSeconds,
}
