//! What each Thrift method needs: one table from method name to access level and target.
//!
//! The handler checks every call against [`rule`] before it reaches the catalog (see
//! `Handler::call`); a method missing here is allowed to administrators only (fail closed).
//! The policy itself (who holds which level where) is `strata_catalog::authz`.

use strata_catalog::authz::{Access, Target};

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

/// Every served method, by its IDL name.
pub const RULES: &[(&str, Rule)] = &[
    // session
    ("set_ugi", SESSION),
    ("shutdown", SESSION),
    ("getVersion", SESSION),
    ("getMetaConf", SESSION),
    ("setMetaConf", SESSION),
    ("get_config_value", SESSION),
    ("partition_name_has_valid_characters", SESSION),
    ("partition_name_to_vals", SESSION),
    ("partition_name_to_spec", SESSION),
    ("get_catalogs", r(Read, Any)),
    ("get_metastore_db_uuid", r(Read, Any)),
    ("get_catalog", r(Read, Any)),
    // databases
    ("create_database", r(Write, Db)),
    ("create_database_req", r(Write, Db)),
    ("get_database", r(Read, Db)),
    ("get_database_req", r(Read, Db)),
    ("drop_database", r(Admin, Db)),
    ("drop_database_req", r(Admin, Db)),
    ("get_databases", r(Read, Any)),
    ("get_all_databases", r(Read, Any)),
    ("alter_database", r(Write, Db)),
    ("alter_database_req", r(Write, Db)),
    // tables
    ("get_fields", r(Read, Table)),
    ("get_fields_with_environment_context", r(Read, Table)),
    ("get_fields_req", r(Read, Table)),
    ("get_schema", r(Read, Table)),
    ("get_schema_with_environment_context", r(Read, Table)),
    ("get_schema_req", r(Read, Table)),
    ("create_table", r(Write, Table)),
    ("create_table_with_environment_context", r(Write, Table)),
    ("create_table_req", r(Write, Table)),
    ("drop_table", DROP),
    ("drop_table_with_environment_context", DROP),
    ("drop_table_req", DROP),
    ("truncate_table", r(Write, Table)),
    ("truncate_table_req", r(Write, Table)),
    ("get_tables", r(Read, Db)),
    ("get_tables_by_type", r(Read, Db)),
    ("get_tables_ext", r(Read, Db)),
    ("get_table_meta", r(Read, Any)),
    ("get_all_tables", r(Read, Db)),
    ("get_table", r(Read, Table)),
    ("get_table_objects_by_name", r(Read, Db)),
    ("get_table_req", r(Read, Table)),
    ("get_table_objects_by_name_req", r(Read, Db)),
    ("get_table_names_by_filter", r(Read, Db)),
    ("alter_table", r(Write, Table)),
    ("alter_table_with_environment_context", r(Write, Table)),
    ("alter_table_with_cascade", r(Write, Table)),
    ("alter_table_req", r(Write, Table)),
    // partitions
    ("add_partition", r(Write, Table)),
    ("add_partition_with_environment_context", r(Write, Table)),
    ("add_partitions", r(Write, Table)),
    ("add_partitions_pspec", r(Write, Table)),
    ("add_partitions_req", r(Write, Table)),
    ("append_partition", r(Write, Table)),
    ("append_partition_with_environment_context", r(Write, Table)),
    ("append_partition_by_name", r(Write, Table)),
    ("append_partition_by_name_with_environment_context", r(Write, Table)),
    ("append_partition_req", r(Write, Table)),
    ("drop_partition", DROP),
    ("drop_partition_with_environment_context", DROP),
    ("drop_partition_by_name", DROP),
    ("drop_partition_by_name_with_environment_context", DROP),
    ("drop_partitions_req", DROP),
    ("drop_partition_req", DROP),
    // Moves partitions between two tables: only for administrators.
    ("exchange_partition", r(Admin, Table)),
    ("exchange_partitions", r(Admin, Table)),
    ("get_partition", r(Read, Table)),
    ("get_partition_req", r(Read, Table)),
    ("get_partition_with_auth", r(Read, Table)),
    ("get_partition_by_name", r(Read, Table)),
    ("get_partitions", r(Read, Table)),
    ("get_partitions_req", r(Read, Table)),
    ("get_partitions_with_auth", r(Read, Table)),
    ("get_partitions_pspec", r(Read, Table)),
    ("get_partition_names", r(Read, Table)),
    ("get_partition_names_req", r(Read, Table)),
    ("fetch_partition_names_req", r(Read, Table)),
    ("get_partition_values", r(Read, Table)),
    ("get_partitions_ps", r(Read, Table)),
    ("get_partitions_ps_with_auth", r(Read, Table)),
    ("get_partitions_ps_with_auth_req", r(Read, Table)),
    ("get_partition_names_ps", r(Read, Table)),
    ("get_partition_names_ps_req", r(Read, Table)),
    ("get_partitions_by_filter", r(Read, Table)),
    ("get_partitions_by_filter_req", r(Read, Table)),
    ("get_part_specs_by_filter", r(Read, Table)),
    ("get_num_partitions_by_filter", r(Read, Table)),
    ("get_partitions_by_names", r(Read, Table)),
    ("get_partitions_by_names_req", r(Read, Table)),
    ("alter_partition", r(Write, Table)),
    ("alter_partitions", r(Write, Table)),
    ("alter_partitions_with_environment_context", r(Write, Table)),
    ("alter_partitions_req", r(Write, Table)),
    ("alter_partition_with_environment_context", r(Write, Table)),
    ("rename_partition", r(Write, Table)),
    ("rename_partition_req", r(Write, Table)),
    // statistics
    ("update_table_column_statistics", r(Write, Table)),
    ("update_partition_column_statistics", r(Write, Table)),
    ("update_table_column_statistics_req", r(Write, Table)),
    ("update_partition_column_statistics_req", r(Write, Table)),
    ("get_table_column_statistics", r(Read, Table)),
    ("get_partition_column_statistics", r(Read, Table)),
    ("get_table_statistics_req", r(Read, Table)),
    ("get_partitions_statistics_req", r(Read, Table)),
    ("get_aggr_stats_for", r(Read, Table)),
    ("set_aggr_stats_for", r(Write, Table)),
    ("delete_partition_column_statistics", r(Write, Table)),
    ("delete_table_column_statistics", r(Write, Table)),
    // functions (the target is `db.function`: the database counts)
    ("create_function", r(Write, Db)),
    ("drop_function", r(Write, Db)),
    ("alter_function", r(Write, Db)),
    ("get_functions", r(Read, Db)),
    ("get_function", r(Read, Db)),
    ("get_all_functions", r(Read, Any)),
    // locks (by id: any write grant; ownership is the lock module's)
    ("lock", r(Write, Table)),
    ("check_lock", r(Write, Any)),
    ("unlock", r(Write, Any)),
    ("heartbeat", r(Write, Any)),
    ("show_locks", r(Read, Server)),
    // transactions (per server, no ACID tables): by id, like locks
    ("open_txns", r(Write, Any)),
    ("commit_txn", r(Write, Any)),
    ("abort_txn", r(Write, Any)),
    ("abort_txns", r(Write, Any)),
    ("heartbeat_txn_range", r(Write, Any)),
    ("get_open_txns", r(Read, Any)),
    ("get_open_txns_info", r(Read, Any)),
    ("get_valid_write_ids", r(Read, Any)),
    ("allocate_table_write_ids", r(Write, Table)),
    // the notification log spans every database
    ("get_next_notification", r(Read, Server)),
    ("get_current_notificationEventId", r(Read, Server)),
    ("get_notification_events_count", r(Read, Db)),
    ("fire_listener_event", r(Write, Table)),
    // roles and privileges: read-only views of the policy
    ("get_role_names", r(Read, Any)),
    ("list_roles", r(Read, Any)),
    ("get_principals_in_role", r(Read, Any)),
    ("get_role_grants_for_principal", r(Read, Any)),
    ("get_privilege_set", r(Read, Any)),
    ("list_privileges", r(Read, Any)),
    // constraints (Strata stores none)
    ("get_primary_keys", r(Read, Any)),
    ("get_foreign_keys", r(Read, Any)),
    ("get_unique_constraints", r(Read, Any)),
    ("get_not_null_constraints", r(Read, Any)),
    ("get_default_constraints", r(Read, Any)),
    ("get_check_constraints", r(Read, Any)),
    ("get_all_table_constraints", r(Read, Any)),
];

/// The rule of `method`; `None` for a method not in the table.
#[must_use]
pub fn rule(method: &str) -> Option<Rule> {
    RULES.iter().find(|(m, _)| *m == method).map(|(_, r)| *r)
}

/// What a method needs and on what, from its rule and the call's target string; an unknown
/// method needs `admin` on the whole server. `None`: no check (session calls).
#[must_use]
pub fn requirement<'a>(method: &str, target: &'a str, delete_data: bool) -> Option<(Access, Target<'a>)> {
    let Some(rule) = rule(method) else { return Some((Admin, Target::Server)) };
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
        for m in strata_thrift::methods::SERVED_METHODS {
            assert!(rule(m).is_some(), "{m} is served but has no access rule");
        }
        for (i, (m, _)) in RULES.iter().enumerate() {
            assert!(RULES[i + 1..].iter().all(|(n, _)| n != m), "{m} is in the table twice");
        }
    }

    /// Every method name the handler passes to a call is in the table (a name missing there
    /// would be refused to everyone but administrators).
    #[test]
    fn every_method_name_the_handler_uses_is_classified() {
        let source = include_str!("handler.rs");
        let re = regex_lite_first_string_args(source);
        assert!(re.len() > 50, "found only {} call sites", re.len());
        for name in re {
            assert!(rule(&name).is_some(), "the handler calls {name:?}, which has no access rule");
        }
    }

    /// First string-literal arguments of `self.x("name", …)` calls.
    fn regex_lite_first_string_args(source: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut rest = source;
        while let Some(i) = rest.find("(\"") {
            let before = &rest[..i];
            rest = &rest[i + 2..];
            let Some(end) = rest.find('"') else { break };
            let name = &rest[..end];
            let is_method_call = before.rsplit("self.").next().is_some_and(|f| {
                !f.is_empty() && f.len() < 40 && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
            let looks_like_method = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if is_method_call && looks_like_method && rest[end..].starts_with("\",") {
                names.push(name.to_string());
            }
        }
        names
    }

    #[test]
    fn requirements() {
        assert_eq!(requirement("get_table", "sales.orders", false), Some((Read, Target::Table("sales", "orders"))));
        assert_eq!(requirement("drop_table", "sales.orders", false), Some((Write, Target::Table("sales", "orders"))));
        assert_eq!(requirement("drop_table", "sales.orders", true), Some((Admin, Target::Table("sales", "orders"))));
        assert_eq!(requirement("drop_database", "sales", false), Some((Admin, Target::Database("sales"))));
        assert_eq!(requirement("create_function", "sales.f", false), Some((Write, Target::Database("sales"))));
        assert_eq!(requirement("lock", "sales.", false), Some((Write, Target::Database("sales"))));
        assert_eq!(requirement("set_ugi", "", false), None);
        assert_eq!(requirement("no_such_method", "x", false), Some((Admin, Target::Server)));
    }
}
