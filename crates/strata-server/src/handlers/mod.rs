//! The HMS methods Strata serves, grouped by concern: each file holds the bodies (decode, call
//! the catalog, encode); this one maps the generated handler trait onto them. Methods not
//! listed keep the generated default, which answers `Invalid method name: '<name>'` as Apache
//! HMS does for unknown methods. Each body names its [`Method`](strata_thrift::methods::Method)
//! for the span, the access rule and the exceptions it may send.

mod config;
mod databases;
mod events;
mod functions;
mod locks;
mod partitions;
mod roles;
mod stats;
mod tables;
mod txns;

use strata_thrift::{self as t, ThriftHiveMetastoreSyncHandler};

use crate::handler::{Db, Handler, R};

/// `handle_x => x(args) -> T;`: the trait method `handle_x` answers with `Handler::x`.
///
/// An argument written `name: String => Db` is a database name: converted (its `@catalog#`
/// prefix stripped) before the body sees it.
macro_rules! serve {
    ($($handle:ident => $body:ident($($arg:ident: $ty:ty $(=> $conv:ty)?),* $(,)?) -> $ret:ty;)*) => {
        impl ThriftHiveMetastoreSyncHandler for Handler {
            $(fn $handle(&self, $($arg: $ty),*) -> R<$ret> {
                self.$body($(arg!($arg $(, $conv)?)),*)
            })*
        }
    };
}

/// An argument as the body takes it: as sent, or converted.
macro_rules! arg {
    ($arg:ident) => {
        $arg
    };
    ($arg:ident, $conv:ty) => {
        <$conv>::from($arg)
    };
}

serve! {
    // session
    handle_set_ugi => set_ugi(user_name: String, group_names: Vec<String>) -> Vec<String>;
    handle_shutdown => shutdown() -> ();
    handle_get_version => get_version() -> String;
    handle_get_meta_conf => get_meta_conf(key: String) -> String;
    handle_set_meta_conf => set_meta_conf(key: String, value: String) -> ();
    handle_get_config_value => get_config_value(name: String, default_value: String) -> String;
    handle_get_catalogs => get_catalogs() -> t::GetCatalogsResponse;
    handle_get_catalog => get_catalog(req: t::GetCatalogRequest) -> t::GetCatalogResponse;
    // databases
    handle_create_database => create_database(database: t::Database) -> ();
    handle_create_database_req => create_database_req(req: t::CreateDatabaseRequest) -> ();
    handle_get_database => get_database(name: String => Db) -> t::Database;
    handle_get_database_req => get_database_req(req: t::GetDatabaseRequest) -> t::Database;
    handle_drop_database => drop_database(name: String => Db, delete_data: bool, cascade: bool) -> ();
    handle_drop_database_req => drop_database_req(req: t::DropDatabaseRequest) -> ();
    handle_get_databases => get_databases(pattern: String) -> Vec<String>;
    handle_get_all_databases => get_all_databases() -> Vec<String>;
    handle_alter_database => alter_database(dbname: String => Db, db: t::Database) -> ();
    handle_alter_database_req => alter_database_req(req: t::AlterDatabaseRequest) -> ();
    // tables
    handle_create_table => create_table(tbl: t::Table) -> ();
    handle_create_table_with_environment_context => create_table_with_environment_context(
        tbl: t::Table, env: t::EnvironmentContext,
    ) -> ();
    handle_create_table_req => create_table_req(request: t::CreateTableRequest) -> ();
    handle_get_table => get_table(dbname: String => Db, tbl_name: String) -> t::Table;
    handle_get_table_req => get_table_req(req: t::GetTableRequest) -> t::GetTableResult;
    handle_get_table_objects_by_name => get_table_objects_by_name(
        dbname: String => Db, tbl_names: Vec<String>,
    ) -> Vec<t::Table>;
    handle_get_table_objects_by_name_req => get_table_objects_by_name_req(
        req: t::GetTablesRequest,
    ) -> t::GetTablesResult;
    handle_get_tables => get_tables(db_name: String => Db, pattern: String) -> Vec<String>;
    handle_get_tables_by_type => get_tables_by_type(
        db_name: String => Db, pattern: String, table_type: String,
    ) -> Vec<String>;
    handle_get_all_tables => get_all_tables(db_name: String => Db) -> Vec<String>;
    handle_get_table_meta => get_table_meta(
        db_patterns: String, tbl_patterns: String, tbl_types: Vec<String>,
    ) -> Vec<t::TableMeta>;
    handle_get_table_names_by_filter => get_table_names_by_filter(
        dbname: String => Db, filter: String, max_tables: i16,
    ) -> Vec<String>;
    handle_alter_table => alter_table(dbname: String => Db, tbl_name: String, new_tbl: t::Table) -> ();
    handle_alter_table_with_environment_context => alter_table_with_environment_context(
        dbname: String => Db, tbl_name: String, new_tbl: t::Table, environment_context: t::EnvironmentContext,
    ) -> ();
    handle_alter_table_with_cascade => alter_table_with_cascade(
        dbname: String => Db, tbl_name: String, new_tbl: t::Table, cascade: bool,
    ) -> ();
    handle_alter_table_req => alter_table_req(req: t::AlterTableRequest) -> t::AlterTableResponse;
    handle_drop_table => drop_table(dbname: String => Db, name: String, delete_data: bool) -> ();
    handle_drop_table_with_environment_context => drop_table_with_environment_context(
        dbname: String => Db, name: String, delete_data: bool, env: t::EnvironmentContext,
    ) -> ();
    handle_drop_table_req => drop_table_req(req: t::DropTableRequest) -> ();
    handle_get_tables_ext => get_tables_ext(req: t::GetTablesExtRequest) -> Vec<t::ExtendedTableInfo>;
    handle_truncate_table => truncate_table(db_name: String => Db, table_name: String, part_names: Vec<String>) -> ();
    handle_truncate_table_req => truncate_table_req(req: t::TruncateTableRequest) -> t::TruncateTableResponse;
    handle_get_fields => get_fields(db_name: String => Db, table_name: String) -> Vec<t::FieldSchema>;
    handle_get_fields_with_environment_context => get_fields_with_environment_context(
        db_name: String => Db, table_name: String, env: t::EnvironmentContext,
    ) -> Vec<t::FieldSchema>;
    handle_get_fields_req => get_fields_req(req: t::GetFieldsRequest) -> t::GetFieldsResponse;
    handle_get_schema => get_schema(db_name: String => Db, table_name: String) -> Vec<t::FieldSchema>;
    handle_get_schema_with_environment_context => get_schema_with_environment_context(
        db_name: String => Db, table_name: String, env: t::EnvironmentContext,
    ) -> Vec<t::FieldSchema>;
    handle_get_schema_req => get_schema_req(req: t::GetSchemaRequest) -> t::GetSchemaResponse;
    // partitions
    handle_add_partition => add_partition(new_part: t::Partition) -> t::Partition;
    handle_add_partition_with_environment_context => add_partition_with_environment_context(
        new_part: t::Partition, env: t::EnvironmentContext,
    ) -> t::Partition;
    handle_add_partitions => add_partitions(new_parts: Vec<t::Partition>) -> i32;
    handle_add_partitions_pspec => add_partitions_pspec(new_parts: Vec<t::PartitionSpec>) -> i32;
    handle_add_partitions_req => add_partitions_req(request: t::AddPartitionsRequest) -> t::AddPartitionsResult;
    handle_append_partition => append_partition(
        db_name: String => Db, tbl_name: String, part_vals: Vec<String>,
    ) -> t::Partition;
    handle_append_partition_with_environment_context => append_partition_with_environment_context(
        db_name: String => Db, tbl_name: String, part_vals: Vec<String>, env: t::EnvironmentContext,
    ) -> t::Partition;
    handle_append_partition_by_name => append_partition_by_name(
        db_name: String => Db, tbl_name: String, part_name: String,
    ) -> t::Partition;
    handle_append_partition_by_name_with_environment_context => append_partition_by_name_with_environment_context(
        db_name: String => Db, tbl_name: String, part_name: String, env: t::EnvironmentContext,
    ) -> t::Partition;
    handle_get_partition => get_partition(
        db_name: String => Db, tbl_name: String, part_vals: Vec<String>,
    ) -> t::Partition;
    handle_get_partition_with_auth => get_partition_with_auth(
        db_name: String => Db, tbl_name: String, part_vals: Vec<String>, user_name: String, group_names: Vec<String>,
    ) -> t::Partition;
    handle_get_partition_by_name => get_partition_by_name(
        db_name: String => Db, tbl_name: String, part_name: String,
    ) -> t::Partition;
    handle_get_partitions => get_partitions(
        db_name: String => Db, tbl_name: String, max_parts: i16,
    ) -> Vec<t::Partition>;
    handle_get_partitions_with_auth => get_partitions_with_auth(
        db_name: String => Db, tbl_name: String, max_parts: i16, user_name: String, group_names: Vec<String>,
    ) -> Vec<t::Partition>;
    handle_get_partitions_req => get_partitions_req(req: t::PartitionsRequest) -> t::PartitionsResponse;
    handle_get_partitions_pspec => get_partitions_pspec(
        db_name: String => Db, tbl_name: String, max_parts: i32,
    ) -> Vec<t::PartitionSpec>;
    handle_get_partitions_ps => get_partitions_ps(
        db_name: String => Db, tbl_name: String, part_vals: Vec<String>, max_parts: i16,
    ) -> Vec<t::Partition>;
    handle_get_partitions_ps_with_auth => get_partitions_ps_with_auth(
        db_name: String => Db,
        tbl_name: String,
        part_vals: Vec<String>,
        max_parts: i16,
        user_name: String,
        group_names: Vec<String>,
    ) -> Vec<t::Partition>;
    handle_get_partitions_ps_with_auth_req => get_partitions_ps_with_auth_req(
        req: t::GetPartitionsPsWithAuthRequest,
    ) -> t::GetPartitionsPsWithAuthResponse;
    handle_get_partition_names => get_partition_names(
        db_name: String => Db, tbl_name: String, max_parts: i16,
    ) -> Vec<String>;
    handle_get_partition_names_ps => get_partition_names_ps(
        db_name: String => Db, tbl_name: String, part_vals: Vec<String>, max_parts: i16,
    ) -> Vec<String>;
    handle_get_partition_names_ps_req => get_partition_names_ps_req(
        req: t::GetPartitionNamesPsRequest,
    ) -> t::GetPartitionNamesPsResponse;
    handle_get_partitions_by_filter => get_partitions_by_filter(
        db_name: String => Db, tbl_name: String, filter: String, max_parts: i16,
    ) -> Vec<t::Partition>;
    handle_get_partitions_by_filter_req => get_partitions_by_filter_req(
        req: t::GetPartitionsByFilterRequest,
    ) -> Vec<t::Partition>;
    handle_get_num_partitions_by_filter => get_num_partitions_by_filter(
        db_name: String => Db, tbl_name: String, filter: String,
    ) -> i32;
    handle_get_partitions_by_names => get_partitions_by_names(
        db_name: String => Db, tbl_name: String, names_: Vec<String>,
    ) -> Vec<t::Partition>;
    handle_get_partitions_by_names_req => get_partitions_by_names_req(
        req: t::GetPartitionsByNamesRequest,
    ) -> t::GetPartitionsByNamesResult;
    handle_get_partition_values => get_partition_values(
        request: t::PartitionValuesRequest,
    ) -> t::PartitionValuesResponse;
    handle_alter_partition => alter_partition(db_name: String => Db, tbl_name: String, new_part: t::Partition) -> ();
    handle_alter_partition_with_environment_context => alter_partition_with_environment_context(
        db_name: String => Db, tbl_name: String, new_part: t::Partition, env: t::EnvironmentContext,
    ) -> ();
    handle_alter_partitions => alter_partitions(
        db_name: String => Db, tbl_name: String, new_parts: Vec<t::Partition>,
    ) -> ();
    handle_alter_partitions_with_environment_context => alter_partitions_with_environment_context(
        db_name: String => Db, tbl_name: String, new_parts: Vec<t::Partition>, env: t::EnvironmentContext,
    ) -> ();
    handle_alter_partitions_req => alter_partitions_req(req: t::AlterPartitionsRequest) -> t::AlterPartitionsResponse;
    handle_rename_partition => rename_partition(
        db_name: String => Db, tbl_name: String, part_vals: Vec<String>, new_part: t::Partition,
    ) -> ();
    handle_rename_partition_req => rename_partition_req(req: t::RenamePartitionRequest) -> t::RenamePartitionResponse;
    handle_drop_partition => drop_partition(
        db_name: String => Db, tbl_name: String, part_vals: Vec<String>, delete_data: bool,
    ) -> bool;
    handle_drop_partition_with_environment_context => drop_partition_with_environment_context(
        db_name: String => Db, tbl_name: String, part_vals: Vec<String>, delete_data: bool, env: t::EnvironmentContext,
    ) -> bool;
    handle_drop_partition_by_name => drop_partition_by_name(
        db_name: String => Db, tbl_name: String, part_name: String, delete_data: bool,
    ) -> bool;
    handle_drop_partition_by_name_with_environment_context => drop_partition_by_name_with_environment_context(
        db_name: String => Db, tbl_name: String, part_name: String, delete_data: bool, env: t::EnvironmentContext,
    ) -> bool;
    handle_drop_partitions_req => drop_partitions_req(req: t::DropPartitionsRequest) -> t::DropPartitionsResult;
    handle_exchange_partition => exchange_partition(
        partition_specs: t::StrMap,
        source_db: String => Db,
        source_table_name: String,
        dest_db: String => Db,
        dest_table_name: String,
    ) -> t::Partition;
    handle_exchange_partitions => exchange_partitions(
        partition_specs: t::StrMap,
        source_db: String => Db,
        source_table_name: String,
        dest_db: String => Db,
        dest_table_name: String,
    ) -> Vec<t::Partition>;
    handle_partition_name_to_vals => partition_name_to_vals(part_name: String) -> Vec<String>;
    handle_partition_name_to_spec => partition_name_to_spec(part_name: String) -> t::StrMap;
    handle_partition_name_has_valid_characters => partition_name_has_valid_characters(
        part_vals: Vec<String>, throw_exception: bool,
    ) -> bool;
    // functions, statistics, notifications
    handle_create_function => create_function(func: t::Function) -> ();
    handle_drop_function => drop_function(db_name: String, func_name: String) -> ();
    handle_alter_function => alter_function(db_name: String, func_name: String, new_func: t::Function) -> ();
    handle_get_functions => get_functions(db_name: String, pattern: String) -> Vec<String>;
    handle_get_function => get_function(db_name: String, func_name: String) -> t::Function;
    handle_get_all_functions => get_all_functions() -> t::GetAllFunctionsResponse;
    handle_update_table_column_statistics => update_table_column_statistics(stats_obj: t::ColumnStatistics) -> bool;
    handle_update_partition_column_statistics => update_partition_column_statistics(
        stats_obj: t::ColumnStatistics,
    ) -> bool;
    handle_update_table_column_statistics_req => update_table_column_statistics_req(
        req: t::SetPartitionsStatsRequest,
    ) -> t::SetPartitionsStatsResponse;
    handle_update_partition_column_statistics_req => update_partition_column_statistics_req(
        req: t::SetPartitionsStatsRequest,
    ) -> t::SetPartitionsStatsResponse;
    handle_get_table_column_statistics => get_table_column_statistics(
        db_name: String => Db, tbl_name: String, col_name: String,
    ) -> t::ColumnStatistics;
    handle_get_partition_column_statistics => get_partition_column_statistics(
        db_name: String => Db, tbl_name: String, part_name: String, col_name: String,
    ) -> t::ColumnStatistics;
    handle_get_table_statistics_req => get_table_statistics_req(request: t::TableStatsRequest) -> t::TableStatsResult;
    handle_get_partitions_statistics_req => get_partitions_statistics_req(
        request: t::PartitionsStatsRequest,
    ) -> t::PartitionsStatsResult;
    handle_get_aggr_stats_for => get_aggr_stats_for(request: t::PartitionsStatsRequest) -> t::AggrStats;
    handle_set_aggr_stats_for => set_aggr_stats_for(request: t::SetPartitionsStatsRequest) -> bool;
    handle_delete_partition_column_statistics => delete_partition_column_statistics(
        db_name: String => Db, tbl_name: String, part_name: String, col_name: String, engine: String,
    ) -> bool;
    handle_delete_table_column_statistics => delete_table_column_statistics(
        db_name: String => Db, tbl_name: String, col_name: String, engine: String,
    ) -> bool;
    handle_get_next_notification => get_next_notification(
        rqst: t::NotificationEventRequest,
    ) -> t::NotificationEventResponse;
    handle_get_current_notification_event_id => get_current_notification_event_id() -> t::CurrentNotificationEventId;
    handle_get_notification_events_count => get_notification_events_count(
        rqst: t::NotificationEventsCountRequest,
    ) -> t::NotificationEventsCountResponse;
    handle_fire_listener_event => fire_listener_event(rqst: t::FireEventRequest) -> t::FireEventResponse;
    // locks
    handle_lock => lock(rqst: t::LockRequest) -> t::LockResponse;
    handle_check_lock => check_lock(rqst: t::CheckLockRequest) -> t::LockResponse;
    handle_unlock => unlock(rqst: t::UnlockRequest) -> ();
    handle_heartbeat => heartbeat(ids: t::HeartbeatRequest) -> ();
    // transactions
    handle_open_txns => open_txns(rqst: t::OpenTxnRequest) -> t::OpenTxnsResponse;
    handle_commit_txn => commit_txn(rqst: t::CommitTxnRequest) -> ();
    handle_abort_txn => abort_txn(rqst: t::AbortTxnRequest) -> ();
    handle_abort_txns => abort_txns(rqst: t::AbortTxnsRequest) -> ();
    handle_heartbeat_txn_range => heartbeat_txn_range(
        txns: t::HeartbeatTxnRangeRequest,
    ) -> t::HeartbeatTxnRangeResponse;
    handle_get_open_txns => get_open_txns() -> t::GetOpenTxnsResponse;
    handle_get_open_txns_info => get_open_txns_info() -> t::GetOpenTxnsInfoResponse;
    handle_get_valid_write_ids => get_valid_write_ids(rqst: t::GetValidWriteIdsRequest) -> t::GetValidWriteIdsResponse;
    handle_allocate_table_write_ids => allocate_table_write_ids(
        rqst: t::AllocateTableWriteIdsRequest,
    ) -> t::AllocateTableWriteIdsResponse;
    handle_get_metastore_db_uuid => get_metastore_db_uuid() -> String;
    handle_show_locks => show_locks(rqst: t::ShowLocksRequest) -> t::ShowLocksResponse;
    // roles and privileges
    handle_get_role_names => get_role_names() -> Vec<String>;
    handle_list_roles => list_roles(principal_name: String, principal_type: t::PrincipalType) -> Vec<t::Role>;
    handle_get_principals_in_role => get_principals_in_role(
        request: t::GetPrincipalsInRoleRequest,
    ) -> t::GetPrincipalsInRoleResponse;
    handle_get_role_grants_for_principal => get_role_grants_for_principal(
        request: t::GetRoleGrantsForPrincipalRequest,
    ) -> t::GetRoleGrantsForPrincipalResponse;
    handle_get_privilege_set => get_privilege_set(
        hive_object: t::HiveObjectRef, user_name: String, group_names: Vec<String>,
    ) -> t::PrincipalPrivilegeSet;
    handle_list_privileges => list_privileges(
        principal_name: String, principal_type: t::PrincipalType, hive_object: t::HiveObjectRef,
    ) -> Vec<t::HiveObjectPrivilege>;
    // constraints
    handle_get_primary_keys => get_primary_keys(request: t::PrimaryKeysRequest) -> t::PrimaryKeysResponse;
    handle_get_foreign_keys => get_foreign_keys(request: t::ForeignKeysRequest) -> t::ForeignKeysResponse;
    handle_get_unique_constraints => get_unique_constraints(
        request: t::UniqueConstraintsRequest,
    ) -> t::UniqueConstraintsResponse;
    handle_get_not_null_constraints => get_not_null_constraints(
        request: t::NotNullConstraintsRequest,
    ) -> t::NotNullConstraintsResponse;
    handle_get_default_constraints => get_default_constraints(
        request: t::DefaultConstraintsRequest,
    ) -> t::DefaultConstraintsResponse;
    handle_get_check_constraints => get_check_constraints(
        request: t::CheckConstraintsRequest,
    ) -> t::CheckConstraintsResponse;
    handle_get_all_table_constraints => get_all_table_constraints(
        request: t::AllTableConstraintsRequest,
    ) -> t::AllTableConstraintsResponse;
    // Hive 4 request forms
    handle_get_partition_req => get_partition_req(req: t::GetPartitionRequest) -> t::GetPartitionResponse;
    handle_append_partition_req => append_partition_req(req: t::AppendPartitionsRequest) -> t::Partition;
    handle_drop_partition_req => drop_partition_req(req: t::DropPartitionRequest) -> bool;
    handle_fetch_partition_names_req => fetch_partition_names_req(req: t::PartitionsRequest) -> Vec<String>;
    handle_get_part_specs_by_filter => get_part_specs_by_filter(
        db_name: String => Db, tbl_name: String, filter: String, max_parts: i32,
    ) -> Vec<t::PartitionSpec>;
}
