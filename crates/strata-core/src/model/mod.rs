//! The catalog's objects. They mirror HMS's Thrift structs field by field where clients care,
//! but are Strata's own types: the server converts at the edge, the store persists them.
//!
//! One file per concept; everything is re-exported here, so `strata_core::model::X` names it.

use serde::{Deserialize, Serialize};

mod database;
mod event;
mod function;
mod history;
mod lock;
mod partition;
mod stats;
mod storage;
mod table;

pub use database::*;
pub use event::*;
pub use function::*;
pub use history::*;
pub use lock::*;
pub use partition::*;
pub use stats::*;
pub use storage::*;
pub use table::*;

/// String-to-string parameters, kept sorted so that encodings are stable: a sorted vector,
/// the same type as the Thrift structs' maps, so converting moves it (see `strata_thrift::StrMap`).
pub type Params = litemap::LiteMap<String, String>;

/// Who owns an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PrincipalType {
    /// A user.
    #[default]
    User,
    /// A role.
    Role,
    /// A group.
    Group,
}
