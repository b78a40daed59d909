//! Roles and privileges: read-only views of the authorization policy
//! (`strata_catalog::authz`). Without a policy they answer as a fresh Apache HMS without grants
//! does (Trino's `hive.security=sql-standard` calls these on every query).

use strata_catalog::authz::{Access, Target, Who};
use strata_core::names;
use strata_thrift::{self as t, methods::Method as M};

use crate::handler::{Db, Handler, R};

impl Handler {
    /// The roles a user or group holds: the policy's, plus `public` for every user.
    fn role_grants(&self, principal: &str, principal_type: t::PrincipalType) -> Vec<t::RolePrincipalGrant> {
        let mut grants = Vec::new();
        if let Some(policy) = &self.shared.authz.policy {
            let groups = [principal.to_string()];
            let who = if principal_type == t::PrincipalType::USER {
                Who { name: Some(principal), groups: &[] }
            } else if principal_type == t::PrincipalType::GROUP {
                Who { name: None, groups: &groups }
            } else {
                return grants;
            };
            grants.extend(policy.roles_of(who).map(|r| role_grant(&r.name, principal, principal_type)));
        }
        // Every user holds the public role implicitly (HMS's ObjectStore.listRoles).
        if principal_type == t::PrincipalType::USER {
            grants.push(role_grant(PUBLIC_ROLE, principal, t::PrincipalType::USER));
        }
        grants
    }

    // Read-only views of the authorization policy (`strata_catalog::authz`). Without a policy
    // they answer as a fresh Apache HMS without grants does (Trino's `hive.security=sql-standard`
    // calls these on every query).
    pub(super) fn get_role_names(&self) -> R<Vec<String>> {
        self.gate(M::GetRoleNames)?;
        Ok(match &self.shared.authz.policy {
            None => vec![ADMIN_ROLE.to_string(), PUBLIC_ROLE.to_string()],
            Some(p) => p.roles.iter().map(|r| r.name.clone()).chain([PUBLIC_ROLE.to_string()]).collect(),
        })
    }

    pub(super) fn list_roles(&self, principal_name: String, principal_type: t::PrincipalType) -> R<Vec<t::Role>> {
        self.gate(M::ListRoles)?;
        Ok(self
            .role_grants(&principal_name, principal_type)
            .into_iter()
            .filter_map(|g| g.role_name)
            .map(|name| {
                let owner = if name == PUBLIC_ROLE { PUBLIC_ROLE } else { POLICY_GRANTOR };
                t::Role { role_name: Some(name), create_time: Some(0), owner_name: Some(owner.to_string()) }
            })
            .collect())
    }

    pub(super) fn get_principals_in_role(
        &self,
        request: t::GetPrincipalsInRoleRequest,
    ) -> R<t::GetPrincipalsInRoleResponse> {
        self.gate(M::GetPrincipalsInRole)?;
        let Some(role) = self.shared.authz.policy.as_ref().and_then(|p| p.role(&request.role_name)) else {
            return Ok(t::GetPrincipalsInRoleResponse { principal_grants: Vec::new() });
        };
        let users = role.users.iter().map(|u| role_grant(&role.name, u, t::PrincipalType::USER));
        let groups = role.groups.iter().map(|g| role_grant(&role.name, g, t::PrincipalType::GROUP));
        Ok(t::GetPrincipalsInRoleResponse { principal_grants: users.chain(groups).collect() })
    }

    pub(super) fn get_role_grants_for_principal(
        &self,
        request: t::GetRoleGrantsForPrincipalRequest,
    ) -> R<t::GetRoleGrantsForPrincipalResponse> {
        self.gate(M::GetRoleGrantsForPrincipal)?;
        Ok(t::GetRoleGrantsForPrincipalResponse {
            principal_grants: self.role_grants(&request.principal_name, request.principal_type),
        })
    }

    pub(super) fn get_privilege_set(
        &self,
        hive_object: t::HiveObjectRef,
        user_name: String,
        group_names: Vec<String>,
    ) -> R<t::PrincipalPrivilegeSet> {
        self.gate(M::GetPrivilegeSet)?;
        // No direct grants: each principal asked about, with no privileges of its own; the
        // policy's roles the user or its groups hold, with what they grant on the object.
        let none = |names: Vec<String>| names.into_iter().map(|n| (n, Vec::new())).collect();
        let mut roles = std::collections::BTreeMap::new();
        if let Some(policy) = &self.shared.authz.policy {
            let who = Who { name: Some(&user_name), groups: &group_names };
            let (db, table) = object_of(&hive_object);
            for role in policy.roles_of(who) {
                let on = match (db.as_deref(), table.as_deref()) {
                    (Some(db), Some(table)) => Target::Table(db, table),
                    (Some(db), None) => Target::Database(db),
                    _ => Target::Server,
                };
                if role.grants(Access::Read, on) {
                    roles.insert(role.name.clone(), grant_infos(role.access));
                }
            }
        }
        Ok(t::PrincipalPrivilegeSet {
            user_privileges: Some(none(vec![user_name])),
            group_privileges: Some(none(group_names)),
            role_privileges: Some(roles),
        })
    }

    pub(super) fn list_privileges(
        &self,
        principal_name: String,
        principal_type: t::PrincipalType,
        hive_object: t::HiveObjectRef,
    ) -> R<Vec<t::HiveObjectPrivilege>> {
        self.gate(M::ListPrivileges)?;
        // Privileges are granted to roles only; users and groups hold none directly.
        let role = (principal_type == t::PrincipalType::ROLE)
            .then(|| self.shared.authz.policy.as_ref().and_then(|p| p.role(&principal_name)))
            .flatten();
        let Some(role) = role else { return Ok(Vec::new()) };
        let (db, table) = object_of(&hive_object);
        let mut out = Vec::new();
        for pattern in &role.objects {
            let wanted = match (db.as_deref(), table.as_deref()) {
                (Some(db), Some(table)) => pattern.covers(Access::Read, Target::Table(db, table)),
                (Some(db), None) => pattern.covers(Access::Read, Target::Database(db)),
                _ => true,
            };
            if !wanted {
                continue;
            }
            let object = if pattern.is_everything() {
                t::HiveObjectRef {
                    object_type: Some(t::HiveObjectType::GLOBAL),
                    db_name: None,
                    object_name: None,
                    part_values: None,
                    column_name: None,
                    cat_name: Some(names::DEFAULT_CATALOG.to_string()),
                }
            } else if pattern.table == "*" {
                t::HiveObjectRef {
                    object_type: Some(t::HiveObjectType::DATABASE),
                    db_name: Some(pattern.db.clone()),
                    object_name: None,
                    part_values: None,
                    column_name: None,
                    cat_name: Some(names::DEFAULT_CATALOG.to_string()),
                }
            } else {
                t::HiveObjectRef {
                    object_type: Some(t::HiveObjectType::TABLE),
                    db_name: Some(pattern.db.clone()),
                    object_name: Some(pattern.table.clone()),
                    part_values: None,
                    column_name: None,
                    cat_name: Some(names::DEFAULT_CATALOG.to_string()),
                }
            };
            for info in grant_infos(role.access) {
                out.push(t::HiveObjectPrivilege {
                    hive_object: Some(object.clone()),
                    principal_name: Some(role.name.clone()),
                    principal_type: Some(t::PrincipalType::ROLE),
                    grant_info: Some(info),
                    authorizer: None,
                });
            }
        }
        Ok(out)
    }
}

/// The roles a fresh Apache HMS has.
const ADMIN_ROLE: &str = "admin";
const PUBLIC_ROLE: &str = "public";

/// The grantor and owner named in the policy's role and privilege views.
const POLICY_GRANTOR: &str = "strata-policy";

/// A role held by a user or group, as HMS describes the grant.
fn role_grant(role: &str, principal: &str, principal_type: t::PrincipalType) -> t::RolePrincipalGrant {
    let public = role == PUBLIC_ROLE;
    t::RolePrincipalGrant {
        role_name: Some(role.to_string()),
        principal_name: Some(principal.to_string()),
        principal_type: Some(principal_type),
        grant_option: Some(false),
        grant_time: Some(0),
        grantor_name: (!public).then(|| POLICY_GRANTOR.to_string()),
        grantor_principal_type: (!public).then_some(t::PrincipalType::ROLE),
    }
}

/// The HMS privileges an access level stands for.
fn grant_infos(level: Access) -> Vec<t::PrivilegeGrantInfo> {
    level
        .privileges()
        .iter()
        .map(|p| t::PrivilegeGrantInfo {
            privilege: Some((*p).to_string()),
            create_time: Some(0),
            grantor: Some(POLICY_GRANTOR.to_string()),
            grantor_type: Some(t::PrincipalType::ROLE),
            grant_option: Some(false),
        })
        .collect()
}

/// The database and table a `HiveObjectRef` names (lower case), if any.
fn object_of(object: &t::HiveObjectRef) -> (Option<String>, Option<String>) {
    let db = object.db_name.as_deref().filter(|d| !d.is_empty()).map(|d| Db::from(d.to_string()).0.to_lowercase());
    let table = object.object_name.as_deref().filter(|t| !t.is_empty()).map(str::to_lowercase);
    match object.object_type {
        Some(t::HiveObjectType::GLOBAL) => (None, None),
        Some(t::HiveObjectType::DATABASE) => (db.or(table), None),
        _ => (db, table),
    }
}
