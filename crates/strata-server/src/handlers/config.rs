//! Session and service calls: `set_ugi`, the version, per-connection settings
//! (`setMetaConf`/`getMetaConf`), configuration values, the catalog, the metastore's uuid.

use strata_catalog::service;
use strata_core::names;
use strata_thrift::{self as t, methods::Method as M};

use crate::{
    errors,
    handler::{Handler, R},
};

impl Handler {
    pub(super) fn set_ugi(&self, user_name: String, group_names: Vec<String>) -> R<Vec<String>> {
        tracing::debug!(peer = %self.peer, user = %user_name, "set_ugi");
        if let Ok(mut s) = self.session.lock() {
            // Kept, but on an authenticated connection it names the actor only for a proxy user.
            if let Some(p) = &s.principal {
                if p.name != user_name && !self.shared.auth.proxy_users.contains(&p.name) {
                    tracing::info!(
                        peer = %self.peer,
                        principal = %p.name,
                        user = %user_name,
                        "set_ugi ignored: the connection is authenticated and not a proxy user"
                    );
                }
            }
            s.user = Some(user_name.clone());
        }
        let mut groups = group_names;
        groups.push(user_name);
        Ok(groups)
    }

    pub(super) fn shutdown(&self) -> R<()> {
        Ok(())
    }

    pub(super) fn get_version(&self) -> R<String> {
        Ok(format!("strata {}", env!("CARGO_PKG_VERSION")))
    }

    pub(super) fn get_meta_conf(&self, key: String) -> R<String> {
        let default = service::meta_conf_default(&key).map_err(|e| errors::to_thrift(M::GetMetaConf, e))?;
        let session = self.session.lock().ok();
        Ok(session.and_then(|s| s.meta_conf.get(&key).cloned()).unwrap_or_else(|| default.to_string()))
    }

    pub(super) fn set_meta_conf(&self, key: String, value: String) -> R<()> {
        service::meta_conf_default(&key).map_err(|e| errors::to_thrift(M::SetMetaConf, e))?;
        if let Ok(mut s) = self.session.lock() {
            s.meta_conf.insert(key, value);
        }
        Ok(())
    }

    pub(super) fn get_config_value(&self, name: String, default_value: String) -> R<String> {
        self.shared.catalog.config_value(&name, default_value).map_err(|e| errors::to_thrift(M::GetConfigValue, e))
    }

    pub(super) fn get_catalogs(&self) -> R<t::GetCatalogsResponse> {
        Ok(t::GetCatalogsResponse { names: Some(vec![names::DEFAULT_CATALOG.to_string()]) })
    }

    pub(super) fn get_catalog(&self, req: t::GetCatalogRequest) -> R<t::GetCatalogResponse> {
        let info = self
            .shared
            .catalog
            .catalog_info(&req.name.unwrap_or_default())
            .map_err(|e| errors::to_thrift(M::GetCatalog, e))?;
        Ok(t::GetCatalogResponse {
            catalog: Some(t::Catalog {
                name: Some(info.name),
                description: Some(info.description),
                location_uri: Some(info.location),
                create_time: Some(0),
            }),
        })
    }

    pub(super) fn get_metastore_db_uuid(&self) -> R<String> {
        self.call(M::GetMetastoreDbUuid, "", |c, _| async move { c.store().metastore_uuid().await })
    }
}
