//! Thrift structs ⇄ core model, one file per concept. Pure functions; every field clients send
//! or read is carried. The `@catalog#` prefix of a database name is stripped here, where a
//! request struct becomes a model value.

mod database;
mod event;
mod function;
mod lock;
mod partition;
mod stats;
mod table;
#[cfg(test)]
mod tests;

pub use database::*;
pub use event::*;
pub use function::*;
pub use lock::*;
pub use partition::*;
pub use stats::*;
pub use table::*;

use strata_core::model::{self, Params};
use strata_thrift as t;

pub(crate) fn params(p: Option<t::StrMap>) -> Params {
    p.unwrap_or_default()
}

/// Thrift principal type → core.
#[must_use]
pub fn principal_in(p: Option<t::PrincipalType>) -> Option<model::PrincipalType> {
    p.map(|p| match p {
        t::PrincipalType::ROLE => model::PrincipalType::Role,
        t::PrincipalType::GROUP => model::PrincipalType::Group,
        _ => model::PrincipalType::User,
    })
}

/// Core principal type → Thrift.
#[must_use]
pub fn principal_out(p: Option<model::PrincipalType>) -> Option<t::PrincipalType> {
    p.map(|p| match p {
        model::PrincipalType::User => t::PrincipalType::USER,
        model::PrincipalType::Role => t::PrincipalType::ROLE,
        model::PrincipalType::Group => t::PrincipalType::GROUP,
    })
}

/// Environment-context properties.
#[must_use]
pub fn env_props(env: Option<t::EnvironmentContext>) -> Params {
    env.and_then(|e| e.properties).unwrap_or_default()
}
