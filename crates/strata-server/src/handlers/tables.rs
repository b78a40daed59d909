//! Tables: create, get, list, alter, drop, truncate, their fields and (empty) constraints.

use strata_catalog::{authz::Target, faststats::StatsEnv, tables::AlterOptions};
use strata_core::{model::param, names, CatalogError};
use strata_thrift::{self as t, methods::Method as M};

use crate::{
    convert, errors,
    handler::{target, Db, Handler, R},
};

impl Handler {
    pub(super) fn create_table(&self, tbl: t::Table) -> R<()> {
        self.create_table_for(M::CreateTable, tbl)
    }

    pub(super) fn create_table_with_environment_context(&self, tbl: t::Table, _env: t::EnvironmentContext) -> R<()> {
        self.create_table_for(M::CreateTableWithEnvironmentContext, tbl)
    }

    pub(super) fn create_table_req(&self, request: t::CreateTableRequest) -> R<()> {
        self.create_table_for(M::CreateTableReq, request.table)
    }

    pub(super) fn get_table(&self, dbname: Db, tbl_name: String) -> R<t::Table> {
        self.get_table_for(M::GetTable, dbname, tbl_name)
    }

    pub(super) fn get_table_req(&self, req: t::GetTableRequest) -> R<t::GetTableResult> {
        self.get_table_for(M::GetTableReq, Db::from(req.db_name), req.tbl_name)
            .map(|table| t::GetTableResult { table, is_stats_compliant: None })
    }

    pub(super) fn get_table_objects_by_name(&self, dbname: Db, tbl_names: Vec<String>) -> R<Vec<t::Table>> {
        let db = dbname.0;
        let wanted = self.readable_tables(&db, tbl_names);
        self.call(M::GetTableObjectsByName, &db.clone(), |c, _| async move {
            let tables = c.get_tables_by_name(&db, &wanted, false).await?;
            Ok(tables.into_iter().map(convert::table_out).collect())
        })
    }

    pub(super) fn get_table_objects_by_name_req(&self, req: t::GetTablesRequest) -> R<t::GetTablesResult> {
        let db = Db::from(req.db_name).0;
        let wanted = req.tbl_names.map(|names| self.readable_tables(&db, names));
        self.call(M::GetTableObjectsByNameReq, &db.clone(), |c, _| async move {
            let Some(wanted) = wanted else {
                return Err(CatalogError::InvalidOperation("table names are null".to_string()));
            };
            let tables = c.get_tables_by_name(&db, &wanted, true).await?;
            Ok(t::GetTablesResult { tables: tables.into_iter().map(convert::table_out).collect() })
        })
    }

    pub(super) fn get_tables(&self, db_name: Db, pattern: String) -> R<Vec<String>> {
        let db = db_name.0;
        let d = db.clone();
        self.call(M::GetTables, &db.clone(), |c, _| async move { c.list_table_names(&d, Some(&pattern), None).await })
            .map(|names| self.readable_tables(&db, names))
    }

    pub(super) fn get_tables_by_type(&self, db_name: Db, pattern: String, table_type: String) -> R<Vec<String>> {
        let db = db_name.0;
        let d = db.clone();
        self.call(M::GetTablesByType, &db.clone(), |c, _| async move {
            let ty = Some(table_type.as_str()).filter(|t| !t.is_empty());
            c.list_table_names(&d, Some(&pattern), ty).await
        })
        .map(|names| self.readable_tables(&db, names))
    }

    pub(super) fn get_all_tables(&self, db_name: Db) -> R<Vec<String>> {
        let db = db_name.0;
        let d = db.clone();
        self.call(M::GetAllTables, &db.clone(), |c, _| async move { c.list_table_names(&d, None, None).await })
            .map(|names| self.readable_tables(&db, names))
    }

    pub(super) fn get_table_meta(
        &self,
        db_patterns: String,
        tbl_patterns: String,
        tbl_types: Vec<String>,
    ) -> R<Vec<t::TableMeta>> {
        let arg = names::parse_db_arg(&db_patterns);
        self.call(M::GetTableMeta, &db_patterns, |c, _| async move {
            let metas = c.table_meta(arg.db.as_deref(), Some(&tbl_patterns), &tbl_types).await?;
            Ok(metas.into_iter().map(convert::table_meta_out).collect::<Vec<_>>())
        })
        .map(|metas| metas.into_iter().filter(|m| self.can_read(Target::Table(&m.db_name, &m.table_name))).collect())
    }

    pub(super) fn get_table_names_by_filter(&self, dbname: Db, filter: String, max_tables: i16) -> R<Vec<String>> {
        let db = dbname.0;
        let d = db.clone();
        self.call(M::GetTableNamesByFilter, &db.clone(), |c, _| async move {
            c.table_names_by_filter(&d, &filter, max_tables).await
        })
        .map(|names| self.readable_tables(&db, names))
    }

    pub(super) fn alter_table(&self, dbname: Db, tbl_name: String, new_tbl: t::Table) -> R<()> {
        self.alter_table_for(M::AlterTable, dbname, tbl_name, new_tbl, AlterOptions::default())
    }

    pub(super) fn alter_table_with_environment_context(
        &self,
        dbname: Db,
        tbl_name: String,
        new_tbl: t::Table,
        environment_context: t::EnvironmentContext,
    ) -> R<()> {
        let env = convert::env_props(Some(environment_context));
        let options = AlterOptions {
            expected_param: cas(&env),
            cascade: env.get(param::CASCADE).is_some_and(|v| v.eq_ignore_ascii_case("true")),
            stats: StatsEnv::from_env(&env),
        };
        self.alter_table_for(M::AlterTableWithEnvironmentContext, dbname, tbl_name, new_tbl, options)
    }

    pub(super) fn alter_table_with_cascade(
        &self,
        dbname: Db,
        tbl_name: String,
        new_tbl: t::Table,
        cascade: bool,
    ) -> R<()> {
        let options = AlterOptions { cascade, ..AlterOptions::default() };
        self.alter_table_for(M::AlterTableWithCascade, dbname, tbl_name, new_tbl, options)
    }

    pub(super) fn alter_table_req(&self, req: t::AlterTableRequest) -> R<t::AlterTableResponse> {
        let env = convert::env_props(req.environment_context);
        let expected = match (req.expected_parameter_key, req.expected_parameter_value) {
            (Some(k), Some(v)) => Some((k, v)),
            _ => cas(&env),
        };
        let options = AlterOptions {
            expected_param: expected,
            cascade: env.get(param::CASCADE).is_some_and(|v| v.eq_ignore_ascii_case("true")),
            stats: StatsEnv::from_env(&env),
        };
        self.alter_table_for(M::AlterTableReq, Db::from(req.db_name), req.table_name, req.table, options)
            .map(|()| t::AlterTableResponse {})
    }

    pub(super) fn drop_table(&self, dbname: Db, name: String, delete_data: bool) -> R<()> {
        self.drop_table_for(M::DropTable, dbname, name, delete_data)
    }

    pub(super) fn drop_table_with_environment_context(
        &self,
        dbname: Db,
        name: String,
        delete_data: bool,
        _env: t::EnvironmentContext,
    ) -> R<()> {
        self.drop_table_for(M::DropTableWithEnvironmentContext, dbname, name, delete_data)
    }

    pub(super) fn drop_table_req(&self, req: t::DropTableRequest) -> R<()> {
        // Java reads an unset `deleteData` as false.
        self.drop_table_for(M::DropTableReq, Db::from(req.db_name), req.table_name, req.delete_data.unwrap_or(false))
    }

    pub(super) fn get_tables_ext(&self, req: t::GetTablesExtRequest) -> R<Vec<t::ExtendedTableInfo>> {
        /// `ACCESS_TYPE`, `PROCESSOR_CAPABILITIES` of `GetTablesExtRequestFields`.
        const ACCESS_TYPE: i32 = 1;
        const CAPABILITIES: i32 = 2;
        /// `ACCESSTYPE_READWRITE`: Strata applies no capability rules.
        const READ_WRITE: i32 = 8;
        let db = Db::from(req.database).0;
        let fields = req.requested_fields;
        let limit = req.limit.and_then(|l| usize::try_from(l).ok()).filter(|l| *l > 0);
        self.call(M::GetTablesExt, &db.clone(), |c, _| async move {
            let mut found = match c.list_table_names(&db, Some(&req.table_name_pattern), None).await {
                Err(CatalogError::NoSuchObject(_)) => Vec::new(),
                other => other?,
            };
            if let Some(limit) = limit {
                found.truncate(limit);
            }
            Ok(found
                .into_iter()
                .map(|name| t::ExtendedTableInfo {
                    tbl_name: name,
                    access_type: (fields & ACCESS_TYPE != 0).then_some(READ_WRITE),
                    required_read_capabilities: (fields & CAPABILITIES != 0).then(Vec::new),
                    required_write_capabilities: (fields & CAPABILITIES != 0).then(Vec::new),
                })
                .collect())
        })
    }

    pub(super) fn truncate_table(&self, db_name: Db, table_name: String, part_names: Vec<String>) -> R<()> {
        let db = db_name.0;
        self.call(M::TruncateTable, &target(&db, &table_name), |c, a| async move {
            c.truncate_table(&a, &db, &table_name, Some(part_names)).await
        })
    }

    pub(super) fn truncate_table_req(&self, req: t::TruncateTableRequest) -> R<t::TruncateTableResponse> {
        let db = Db::from(req.db_name).0;
        let table = req.table_name;
        self.call(M::TruncateTableReq, &target(&db, &table), |c, a| async move {
            c.truncate_table(&a, &db, &table, req.part_names).await.map(|()| t::TruncateTableResponse {})
        })
    }

    pub(super) fn get_fields(&self, db_name: Db, table_name: String) -> R<Vec<t::FieldSchema>> {
        self.fields(M::GetFields, db_name, table_name, false)
    }

    pub(super) fn get_fields_with_environment_context(
        &self,
        db_name: Db,
        table_name: String,
        _env: t::EnvironmentContext,
    ) -> R<Vec<t::FieldSchema>> {
        self.fields(M::GetFieldsWithEnvironmentContext, db_name, table_name, false)
    }

    pub(super) fn get_fields_req(&self, req: t::GetFieldsRequest) -> R<t::GetFieldsResponse> {
        self.fields(M::GetFieldsReq, Db::from(req.db_name), req.tbl_name, false)
            .map(|fields| t::GetFieldsResponse { fields })
    }

    pub(super) fn get_schema(&self, db_name: Db, table_name: String) -> R<Vec<t::FieldSchema>> {
        self.fields(M::GetSchema, db_name, table_name, true)
    }

    pub(super) fn get_schema_with_environment_context(
        &self,
        db_name: Db,
        table_name: String,
        _env: t::EnvironmentContext,
    ) -> R<Vec<t::FieldSchema>> {
        self.fields(M::GetSchemaWithEnvironmentContext, db_name, table_name, true)
    }

    pub(super) fn get_schema_req(&self, req: t::GetSchemaRequest) -> R<t::GetSchemaResponse> {
        self.fields(M::GetSchemaReq, Db::from(req.db_name), req.tbl_name, true)
            .map(|fields| t::GetSchemaResponse { fields })
    }

    // Strata stores no constraints (it does not serve `add_*_constraint`), so every table has
    // none; a missing table answers as HMS does for its constraint lookups (an empty list).
    pub(super) fn get_primary_keys(&self, _request: t::PrimaryKeysRequest) -> R<t::PrimaryKeysResponse> {
        Ok(t::PrimaryKeysResponse { primary_keys: Vec::new() })
    }

    pub(super) fn get_foreign_keys(&self, _request: t::ForeignKeysRequest) -> R<t::ForeignKeysResponse> {
        Ok(t::ForeignKeysResponse { foreign_keys: Vec::new() })
    }

    pub(super) fn get_unique_constraints(
        &self,
        _request: t::UniqueConstraintsRequest,
    ) -> R<t::UniqueConstraintsResponse> {
        Ok(t::UniqueConstraintsResponse { unique_constraints: Vec::new() })
    }

    pub(super) fn get_not_null_constraints(
        &self,
        _request: t::NotNullConstraintsRequest,
    ) -> R<t::NotNullConstraintsResponse> {
        Ok(t::NotNullConstraintsResponse { not_null_constraints: Vec::new() })
    }

    pub(super) fn get_default_constraints(
        &self,
        _request: t::DefaultConstraintsRequest,
    ) -> R<t::DefaultConstraintsResponse> {
        Ok(t::DefaultConstraintsResponse { default_constraints: Vec::new() })
    }

    pub(super) fn get_check_constraints(&self, _request: t::CheckConstraintsRequest) -> R<t::CheckConstraintsResponse> {
        Ok(t::CheckConstraintsResponse { check_constraints: Vec::new() })
    }

    pub(super) fn get_all_table_constraints(
        &self,
        _request: t::AllTableConstraintsRequest,
    ) -> R<t::AllTableConstraintsResponse> {
        Ok(t::AllTableConstraintsResponse {
            all_table_constraints: t::SQLAllTableConstraints {
                primary_keys: Some(Vec::new()),
                foreign_keys: Some(Vec::new()),
                unique_constraints: Some(Vec::new()),
                not_null_constraints: Some(Vec::new()),
                default_constraints: Some(Vec::new()),
                check_constraints: Some(Vec::new()),
            },
        })
    }

    fn create_table_for(&self, method: M, tbl: t::Table) -> R<()> {
        let table = convert::table_in(tbl);
        self.call(method, &target(&table.db_name, &table.name), |c, a| async move {
            c.create_table(&a, table).await.map(|_| ())
        })
    }

    fn get_table_for(&self, method: M, db: Db, table: String) -> R<t::Table> {
        let db = db.0;
        self.call(
            method,
            &target(&db, &table),
            |c, _| async move { c.get_table(&db, &table).await.map(convert::table_out) },
        )
    }

    fn alter_table_for(&self, method: M, db: Db, table: String, new_tbl: t::Table, options: AlterOptions) -> R<()> {
        let db = db.0;
        let new = convert::table_in(new_tbl);
        // A rename writes where the table goes, too.
        if (new.db_name.as_str(), new.name.as_str()) != (db.as_str(), table.as_str()) {
            self.authorize(method, &target(&new.db_name, &new.name), false)
                .map_err(|e| errors::to_thrift(method, e))?;
        }
        self.call(
            method,
            &target(&db, &table),
            |c, a| async move { c.alter_table(&a, &db, &table, new, options).await },
        )
    }

    fn drop_table_for(&self, method: M, db: Db, table: String, delete_data: bool) -> R<()> {
        let db = db.0;
        self.call_dropping(method, &target(&db, &table), delete_data, |c, a| async move {
            c.drop_table(&a, &db, &table, delete_data).await
        })
    }

    fn fields(&self, method: M, db: Db, table: String, with_keys: bool) -> R<Vec<t::FieldSchema>> {
        let db = db.0;
        self.call(method, &target(&db, &table), |c, _| async move {
            let cols = if with_keys { c.get_schema(&db, &table).await? } else { c.get_fields(&db, &table).await? };
            Ok(convert::fields_out(cols))
        })
    }
}

/// The `expected_parameter_*` compare-and-swap pair of an environment context.
fn cas(env: &strata_core::model::Params) -> Option<(String, String)> {
    match (env.get(param::EXPECTED_KEY), env.get(param::EXPECTED_VALUE)) {
        (Some(k), Some(v)) => Some((k.clone(), v.clone())),
        _ => None,
    }
}
