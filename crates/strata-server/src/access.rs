//! What each Thrift method needs: one table from method name to access level and target.
//!
//! The handler checks every call against [`rule`] before it reaches the catalog (see
//! `Handler::call`); a method missing here is allowed to administrators only (fail closed).
//! The policy itself (who holds which level where) is `strata_catalog::authz`.

use strata_catalog::authz::{Access, Target};
use strata_thrift::methods::Method as M;

/// The level a method needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Nothing: session calls that read or change no catalog object.
    Nothing,
    /// This level.
    Level(Access),
    /// `write`, or `admin` when the call asks to delete data (`deleteData`).
    Drop,
}

/// How the call's target string names what it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// Nothing in particular: any grant of the level will do (listings are filtered after).
    Any,
    /// The whole server.
    Server,
    /// A database: the target is `db` (or `db.x`, of which the database counts).
    Db,
    /// A table: the target is `db.table` (`db.` alone counts as the database).
    Table,
}

/// A method's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub need: Need,
    pub on: On,
}

use Access::{Admin, Read, Write};
use On::{Any, Db, Server, Table};

const fn r(need: Access, on: On) -> Rule {
    Rule { need: Need::Level(need), on }
}
const SESSION: Rule = Rule { need: Need::Nothing, on: Any };
const DROP: Rule = Rule { need: Need::Drop, on: Table };

/// Every served method.
pub const RULES: &[(M, Rule)] = &[
    // session
    (M::SetUgi, SESSION),
    (M::Shutdown, SESSION),
    (M::GetVersion, SESSION),
    (M::GetMetaConf, SESSION),
    (M::SetMetaConf, SESSION),
    (M::GetConfigValue, SESSION),
    (M::PartitionNameHasValidCharacters, SESSION),
    (M::PartitionNameToVals, SESSION),
    (M::PartitionNameToSpec, SESSION),
    (M::GetCatalogs, r(Read, Any)),
    (M::GetMetastoreDbUuid, r(Read, Any)),
    (M::GetCatalog, r(Read, Any)),
    // databases
    (M::CreateDatabase, r(Write, Db)),
    (M::CreateDatabaseReq, r(Write, Db)),
    (M::GetDatabase, r(Read, Db)),
    (M::GetDatabaseReq, r(Read, Db)),
    (M::DropDatabase, r(Admin, Db)),
    (M::DropDatabaseReq, r(Admin, Db)),
    (M::GetDatabases, r(Read, Any)),
    (M::GetAllDatabases, r(Read, Any)),
    (M::AlterDatabase, r(Write, Db)),
    (M::AlterDatabaseReq, r(Write, Db)),
    // tables
    (M::GetFields, r(Read, Table)),
    (M::GetFieldsWithEnvironmentContext, r(Read, Table)),
    (M::GetFieldsReq, r(Read, Table)),
    (M::GetSchema, r(Read, Table)),
    (M::GetSchemaWithEnvironmentContext, r(Read, Table)),
    (M::GetSchemaReq, r(Read, Table)),
    (M::CreateTable, r(Write, Table)),
    (M::CreateTableWithEnvironmentContext, r(Write, Table)),
    (M::CreateTableReq, r(Write, Table)),
    (M::DropTable, DROP),
    (M::DropTableWithEnvironmentContext, DROP),
    (M::DropTableReq, DROP),
    (M::TruncateTable, r(Write, Table)),
    (M::TruncateTableReq, r(Write, Table)),
    (M::GetTables, r(Read, Db)),
    (M::GetTablesByType, r(Read, Db)),
    (M::GetTablesExt, r(Read, Db)),
    (M::GetTableMeta, r(Read, Any)),
    (M::GetAllTables, r(Read, Db)),
    (M::GetTable, r(Read, Table)),
    (M::GetTableObjectsByName, r(Read, Db)),
    (M::GetTableReq, r(Read, Table)),
    (M::GetTableObjectsByNameReq, r(Read, Db)),
    (M::GetTableNamesByFilter, r(Read, Db)),
    (M::AlterTable, r(Write, Table)),
    (M::AlterTableWithEnvironmentContext, r(Write, Table)),
    (M::AlterTableWithCascade, r(Write, Table)),
    (M::AlterTableReq, r(Write, Table)),
    // partitions
    (M::AddPartition, r(Write, Table)),
    (M::AddPartitionWithEnvironmentContext, r(Write, Table)),
    (M::AddPartitions, r(Write, Table)),
    (M::AddPartitionsPspec, r(Write, Table)),
    (M::AddPartitionsReq, r(Write, Table)),
    (M::AppendPartition, r(Write, Table)),
    (M::AppendPartitionWithEnvironmentContext, r(Write, Table)),
    (M::AppendPartitionByName, r(Write, Table)),
    (M::AppendPartitionByNameWithEnvironmentContext, r(Write, Table)),
    (M::AppendPartitionReq, r(Write, Table)),
    (M::DropPartition, DROP),
    (M::DropPartitionWithEnvironmentContext, DROP),
    (M::DropPartitionByName, DROP),
    (M::DropPartitionByNameWithEnvironmentContext, DROP),
    (M::DropPartitionsReq, DROP),
    (M::DropPartitionReq, DROP),
    // Moves partitions between two tables: only for administrators.
    (M::ExchangePartition, r(Admin, Table)),
    (M::ExchangePartitions, r(Admin, Table)),
    (M::GetPartition, r(Read, Table)),
    (M::GetPartitionReq, r(Read, Table)),
    (M::GetPartitionWithAuth, r(Read, Table)),
    (M::GetPartitionByName, r(Read, Table)),
    (M::GetPartitions, r(Read, Table)),
    (M::GetPartitionsReq, r(Read, Table)),
    (M::GetPartitionsWithAuth, r(Read, Table)),
    (M::GetPartitionsPspec, r(Read, Table)),
    (M::GetPartitionNames, r(Read, Table)),
    (M::GetPartitionNamesReq, r(Read, Table)),
    (M::FetchPartitionNamesReq, r(Read, Table)),
    (M::GetPartitionValues, r(Read, Table)),
    (M::GetPartitionsPs, r(Read, Table)),
    (M::GetPartitionsPsWithAuth, r(Read, Table)),
    (M::GetPartitionsPsWithAuthReq, r(Read, Table)),
    (M::GetPartitionNamesPs, r(Read, Table)),
    (M::GetPartitionNamesPsReq, r(Read, Table)),
    (M::GetPartitionsByFilter, r(Read, Table)),
    (M::GetPartitionsByFilterReq, r(Read, Table)),
    (M::GetPartSpecsByFilter, r(Read, Table)),
    (M::GetNumPartitionsByFilter, r(Read, Table)),
    (M::GetPartitionsByNames, r(Read, Table)),
    (M::GetPartitionsByNamesReq, r(Read, Table)),
    (M::AlterPartition, r(Write, Table)),
    (M::AlterPartitions, r(Write, Table)),
    (M::AlterPartitionsWithEnvironmentContext, r(Write, Table)),
    (M::AlterPartitionsReq, r(Write, Table)),
    (M::AlterPartitionWithEnvironmentContext, r(Write, Table)),
    (M::RenamePartition, r(Write, Table)),
    (M::RenamePartitionReq, r(Write, Table)),
    // statistics
    (M::UpdateTableColumnStatistics, r(Write, Table)),
    (M::UpdatePartitionColumnStatistics, r(Write, Table)),
    (M::UpdateTableColumnStatisticsReq, r(Write, Table)),
    (M::UpdatePartitionColumnStatisticsReq, r(Write, Table)),
    (M::GetTableColumnStatistics, r(Read, Table)),
    (M::GetPartitionColumnStatistics, r(Read, Table)),
    (M::GetTableStatisticsReq, r(Read, Table)),
    (M::GetPartitionsStatisticsReq, r(Read, Table)),
    (M::GetAggrStatsFor, r(Read, Table)),
    (M::SetAggrStatsFor, r(Write, Table)),
    (M::DeletePartitionColumnStatistics, r(Write, Table)),
    (M::DeleteTableColumnStatistics, r(Write, Table)),
    // functions (the target is `db.function`: the database counts)
    (M::CreateFunction, r(Write, Db)),
    (M::DropFunction, r(Write, Db)),
    (M::AlterFunction, r(Write, Db)),
    (M::GetFunctions, r(Read, Db)),
    (M::GetFunction, r(Read, Db)),
    (M::GetAllFunctions, r(Read, Any)),
    // locks (by id: any write grant; ownership is the lock module's)
    (M::Lock, r(Write, Table)),
    (M::CheckLock, r(Write, Any)),
    (M::Unlock, r(Write, Any)),
    (M::Heartbeat, r(Write, Any)),
    (M::ShowLocks, r(Read, Server)),
    // transactions (per server, no ACID tables): by id, like locks
    (M::OpenTxns, r(Write, Any)),
    (M::CommitTxn, r(Write, Any)),
    (M::AbortTxn, r(Write, Any)),
    (M::AbortTxns, r(Write, Any)),
    (M::HeartbeatTxnRange, r(Write, Any)),
    (M::GetOpenTxns, r(Read, Any)),
    (M::GetOpenTxnsInfo, r(Read, Any)),
    (M::GetValidWriteIds, r(Read, Any)),
    (M::AllocateTableWriteIds, r(Write, Table)),
    // the notification log spans every database
    (M::GetNextNotification, r(Read, Server)),
    (M::GetCurrentNotificationEventId, r(Read, Server)),
    (M::GetNotificationEventsCount, r(Read, Db)),
    (M::FireListenerEvent, r(Write, Table)),
    // roles and privileges: read-only views of the policy
    (M::GetRoleNames, r(Read, Any)),
    (M::ListRoles, r(Read, Any)),
    (M::GetPrincipalsInRole, r(Read, Any)),
    (M::GetRoleGrantsForPrincipal, r(Read, Any)),
    (M::GetPrivilegeSet, r(Read, Any)),
    (M::ListPrivileges, r(Read, Any)),
    // constraints (Strata stores none)
    (M::GetPrimaryKeys, r(Read, Any)),
    (M::GetForeignKeys, r(Read, Any)),
    (M::GetUniqueConstraints, r(Read, Any)),
    (M::GetNotNullConstraints, r(Read, Any)),
    (M::GetDefaultConstraints, r(Read, Any)),
    (M::GetCheckConstraints, r(Read, Any)),
    (M::GetAllTableConstraints, r(Read, Any)),
];

/// The rule of `method`; `None` for a method not in the table.
#[must_use]
pub fn rule(method: M) -> Option<Rule> {
    RULES.iter().find(|(m, _)| *m == method).map(|(_, r)| *r)
}

/// What a method needs and on what, from its rule and the call's target string; an unknown
/// method needs `admin` on the whole server. `None`: no check (session calls).
#[must_use]
pub fn requirement(method: M, target: &str, delete_data: bool) -> Option<(Access, Target<'_>)> {
    requirement_of(rule(method), target, delete_data)
}

/// [`requirement`] of a rule; `None` (a method missing from [`RULES`]) fails closed.
fn requirement_of(rule: Option<Rule>, target: &str, delete_data: bool) -> Option<(Access, Target<'_>)> {
    let Some(rule) = rule else { return Some((Admin, Target::Server)) };
    let need = match rule.need {
        Need::Nothing => return None,
        Need::Level(a) => a,
        Need::Drop if delete_data => Admin,
        Need::Drop => Write,
    };
    let target = match rule.on {
        On::Any => Target::Any,
        On::Server => Target::Server,
        On::Db => Target::Database(target.split_once('.').map_or(target, |(db, _)| db)),
        On::Table => match target.split_once('.') {
            Some((db, "")) => Target::Database(db),
            Some((db, table)) => Target::Table(db, table),
            None => Target::Database(target),
        },
    };
    Some((need, target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_method_is_classified_once() {
        // Handlers name their method with a `Method` variant, so every name a call can carry is
        // one of these (a string key could be misspelled; a variant cannot).
        for m in M::ALL {
            assert!(rule(*m).is_some(), "{m} is served but has no access rule");
        }
        for name in strata_thrift::methods::SERVED_METHODS {
            assert!(M::from_name(name).and_then(rule).is_some(), "{name} is served but has no access rule");
        }
        for (i, (m, _)) in RULES.iter().enumerate() {
            assert!(RULES[i + 1..].iter().all(|(n, _)| n != m), "{m} is in the table twice");
        }
    }

    #[test]
    fn requirements() {
        assert_eq!(requirement(M::GetTable, "sales.orders", false), Some((Read, Target::Table("sales", "orders"))));
        assert_eq!(requirement(M::DropTable, "sales.orders", false), Some((Write, Target::Table("sales", "orders"))));
        assert_eq!(requirement(M::DropTable, "sales.orders", true), Some((Admin, Target::Table("sales", "orders"))));
        assert_eq!(requirement(M::DropDatabase, "sales", false), Some((Admin, Target::Database("sales"))));
        assert_eq!(requirement(M::CreateFunction, "sales.f", false), Some((Write, Target::Database("sales"))));
        assert_eq!(requirement(M::Lock, "sales.", false), Some((Write, Target::Database("sales"))));
        assert_eq!(requirement(M::SetUgi, "", false), None);
        assert_eq!(requirement_of(None, "x", false), Some((Admin, Target::Server)));
    }
}
