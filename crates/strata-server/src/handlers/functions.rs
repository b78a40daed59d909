//! Functions: create, get, list, alter, drop.

use strata_thrift::{self as t, methods::Method as M};

use crate::{
    convert,
    handler::{target, Handler, R},
};

impl Handler {
    pub(super) fn create_function(&self, func: t::Function) -> R<()> {
        let f = convert::function_in(func);
        self.call(M::CreateFunction, &target(&f.db_name, &f.name), |c, _| async move {
            c.create_function(f).await.map(|_| ())
        })
    }

    pub(super) fn drop_function(&self, db_name: String, func_name: String) -> R<()> {
        self.call(M::DropFunction, &target(&db_name, &func_name), |c, _| async move {
            c.drop_function(&db_name, &func_name).await
        })
    }

    pub(super) fn alter_function(&self, db_name: String, func_name: String, new_func: t::Function) -> R<()> {
        let new = convert::function_in(new_func);
        self.call(M::AlterFunction, &target(&db_name, &func_name), |c, _| async move {
            c.alter_function(&db_name, &func_name, new).await
        })
    }

    pub(super) fn get_functions(&self, db_name: String, pattern: String) -> R<Vec<String>> {
        self.call(M::GetFunctions, &db_name.clone(), |c, _| async move {
            c.list_function_names(&db_name, Some(&pattern)).await
        })
    }

    pub(super) fn get_function(&self, db_name: String, func_name: String) -> R<t::Function> {
        self.call(M::GetFunction, &target(&db_name, &func_name), |c, _| async move {
            c.get_function(&db_name, &func_name).await.map(convert::function_out)
        })
    }

    pub(super) fn get_all_functions(&self) -> R<t::GetAllFunctionsResponse> {
        self.call(M::GetAllFunctions, "", |c, _| async move {
            let all = c.all_functions().await?;
            Ok(t::GetAllFunctionsResponse { functions: Some(all.into_iter().map(convert::function_out).collect()) })
        })
    }
}
