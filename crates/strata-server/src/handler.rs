//! The HMS methods Strata serves: decode arguments, call the catalog, encode the answer.
//! One tracing span per call. Methods not implemented here keep the generated default, which
//! answers `Invalid method name: '<name>'` like Apache HMS does for unknown methods.

use std::{
    future::Future,
    net::SocketAddr,
    sync::{atomic::AtomicBool, Arc, Mutex},
    time::Instant,
};

use strata_catalog::{
    authz::{self, Access, Authz, Target, Who},
    faststats::StatsEnv,
    partitions::{self, Limit, Listing},
    tables::AlterOptions,
    Catalog,
};
use strata_core::{
    model::{param, Actor},
    names, CatalogError,
};
use strata_store::{LockFilter, PartitionPages};
use strata_thrift::{self as t, ThriftHiveMetastoreSyncHandler};
use tracing::Instrument;

use crate::{
    access,
    audit::{self, AuditLog},
    convert, errors,
    identity::Principal,
    listing::{self, ListCall},
    metrics::Metrics,
    sasl::AuthSettings,
    tls,
};

/// The answer to a request with a NUL character in a string (`InvalidObjectException` where
/// the method declares it, else `MetaException`), on either store; nothing is read or written.
pub const NUL_REFUSED: &str = "Invalid input: a name or value holds a NUL character (U+0000)";

/// What all connections share.
#[derive(Debug, Clone)]
pub struct Shared {
    /// The catalog.
    pub catalog: Catalog,
    /// The runtime the async catalog runs on (handlers are called on connection threads).
    pub runtime: tokio::runtime::Handle,
    /// Call, error and connection counters (`None`: metrics off).
    pub metrics: Option<Arc<Metrics>>,
    /// The audit log, if on.
    pub audit: Option<AuditLog>,
    /// Whether [`crate::serve`] is accepting Thrift connections (for readiness).
    pub accepting: Arc<AtomicBool>,
    /// TLS on the Thrift port, if on.
    pub tls: Option<Arc<tls::Reloader>>,
    /// Authentication mode, password sources, proxy users and admins.
    pub auth: Arc<AuthSettings>,
    /// The authorization policy and what anonymous connections may do.
    pub authz: Arc<Authz>,
}

impl Shared {
    /// Shared state without metrics or audit log.
    #[must_use]
    pub fn new(catalog: Catalog, runtime: tokio::runtime::Handle) -> Self {
        Self {
            catalog,
            runtime,
            metrics: None,
            audit: None,
            accepting: Arc::new(AtomicBool::new(false)),
            tls: None,
            auth: Arc::new(AuthSettings::default()),
            authz: Arc::new(Authz::default()),
        }
    }
}

/// Per-connection state.
#[derive(Debug, Default)]
struct Session {
    /// The `set_ugi` user, if the client sent one.
    user: Option<String>,
    /// Values set with `setMetaConf` on this connection.
    meta_conf: std::collections::BTreeMap<String, String>,
    /// Who the transport authenticated (TLS client certificate, SASL), if anyone.
    principal: Option<Principal>,
    /// Locks taken on this connection (their owner, whatever user they name).
    locks: std::collections::HashSet<i64>,
}

/// The handler of one connection. Clones share the connection's session.
#[derive(Debug, Clone)]
pub struct Handler {
    shared: Arc<Shared>,
    peer: SocketAddr,
    session: Arc<Mutex<Session>>,
}

type R<T> = thrift::Result<T>;

impl Handler {
    /// A handler for a new connection from `peer`.
    #[must_use]
    pub fn new(shared: Arc<Shared>, peer: SocketAddr) -> Self {
        Self { shared, peer, session: Arc::new(Mutex::new(Session::default())) }
    }

    /// A handler for a connection whose transport authenticated `principal`.
    #[must_use]
    pub fn authenticated(shared: Arc<Shared>, peer: SocketAddr, principal: Principal) -> Self {
        let session = Session { principal: Some(principal), ..Session::default() };
        Self { shared, peer, session: Arc::new(Mutex::new(session)) }
    }

    /// The `set_ugi` user of this connection, if any.
    #[must_use]
    pub fn user(&self) -> Option<String> {
        self.session.lock().ok().and_then(|s| s.user.clone())
    }

    /// The authenticated principal of this connection, if any.
    #[must_use]
    pub fn principal(&self) -> Option<Principal> {
        self.session.lock().ok().and_then(|s| s.principal.clone())
    }

    /// Who acts on this connection: the principal, or the `set_ugi` user when the principal is
    /// a proxy user (`[auth] proxy_users`); without authentication the `set_ugi` user, else
    /// the peer's address.
    fn actor_name(&self) -> String {
        let (principal, user) = match self.session.lock() {
            Ok(s) => (s.principal.clone(), s.user.clone()),
            Err(_) => (None, None),
        };
        match (principal, user) {
            (Some(p), Some(user)) if self.shared.auth.proxy_users.contains(&p.name) => user,
            (Some(p), _) => p.name,
            (None, Some(user)) => user,
            (None, None) => self.peer.to_string(),
        }
    }

    /// Whether this connection may release or heartbeat a lock that `owner` took. Its owner may: the same actor on an authenticated connection; without
    /// authentication, the connection that took it or one whose `set_ugi` user is the lock's
    /// user. So may the admins of `[auth] admins`.
    /// With `owner` None: whether it may whoever the owner is (this connection took the lock,
    /// or the actor is an admin).
    fn may_touch_lock(&self, lock_id: i64, owner: Option<&str>) -> bool {
        let actor = self.actor_name();
        if self.shared.auth.admins.contains(&actor) {
            return true;
        }
        let Ok(s) = self.session.lock() else { return false };
        if s.locks.contains(&lock_id) {
            return true;
        }
        let Some(owner) = owner else { return false };
        match &s.principal {
            Some(_) => owner == actor,
            None => s.user.as_deref() == Some(owner),
        }
    }

    /// Refuse a lock call on someone else's lock (`NoSuchLockException`, which `unlock`,
    /// `heartbeat` and `check_lock` all declare).
    fn check_lock_owner(&self, method: &'static str, lock_id: i64) -> R<()> {
        // Taken on this connection, or an admin: no need to look the lock up.
        if self.may_touch_lock(lock_id, None) {
            return Ok(());
        }
        let catalog = self.shared.catalog.clone();
        let locks = self.shared.runtime.block_on(async move { catalog.show_locks(LockFilter::default()).await });
        let locks = locks.map_err(|e| errors::to_thrift(method, e))?;
        // A lock that is gone is nobody's: unlock stays idempotent, heartbeat says it is gone.
        let Some(owner) = locks.into_iter().find(|l| l.lock_id == lock_id).map(|l| l.user) else {
            return Ok(());
        };
        if self.may_touch_lock(lock_id, Some(&owner)) {
            return Ok(());
        }
        let actor = self.actor_name();
        tracing::warn!(peer = %self.peer, user = %actor, method, lock_id, "refused: the lock belongs to another user");
        Err(errors::to_thrift(
            method,
            CatalogError::NoSuchLock(format!(
                "Lock lockid:{lock_id} belongs to another user: only its owner or an admin may {method} it"
            )),
        ))
    }

    fn actor(&self) -> Actor {
        Actor {
            user: self.actor_name(),
            client_addr: self.peer.to_string(),
            request_id: uuid::Uuid::now_v7().simple().to_string(),
        }
    }

    /// Run one call: a span with method, target, peer and user; the catalog future on the
    /// runtime; latency and outcome logged; errors mapped to the method's HMS exceptions.
    fn call<T, F, Fut>(&self, method: &'static str, target: &str, f: F) -> R<T>
    where
        F: FnOnce(Catalog, Actor) -> Fut,
        Fut: Future<Output = strata_core::Result<T>>,
    {
        self.call_in_span(method, target, false, f).0
    }

    /// [`Handler::call`] for a call that drops something: with `delete_data` it needs `admin`
    /// (see [`access::Need::Drop`]).
    fn call_dropping<T, F, Fut>(&self, method: &'static str, target: &str, delete_data: bool, f: F) -> R<T>
    where
        F: FnOnce(Catalog, Actor) -> Fut,
        Fut: Future<Output = strata_core::Result<T>>,
    {
        self.call_in_span(method, target, delete_data, f).0
    }

    /// Whether this connection may do what `method` needs on `target` (see [`access`]); the
    /// denial's message otherwise. Logged and counted when denied.
    fn authorize(&self, method: &str, target: &str, delete_data: bool) -> Result<(), CatalogError> {
        if self.shared.authz.is_open() {
            return Ok(());
        }
        let Some((need, on)) = access::requirement(method, target, delete_data) else { return Ok(()) };
        let principal = self.principal();
        let who = who_of(principal.as_ref());
        if self.shared.authz.allows(who, need, on) {
            return Ok(());
        }
        let message = authz::denial(who, method, need, on);
        tracing::warn!(method, target, principal = who.name.unwrap_or("anonymous"), peer = %self.peer, "permission denied");
        if let Some(m) = &self.shared.metrics {
            m.denied(method);
        }
        Err(CatalogError::Meta(message))
    }

    /// The access check of a call that does not reach the catalog (see [`access`]).
    fn gate(&self, method: &'static str) -> R<()> {
        self.authorize(method, "", false).map_err(|e| errors::to_thrift(method, e))
    }

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

    /// Whether this connection may read `target` (for filtering listings).
    fn can_read(&self, target: Target<'_>) -> bool {
        if self.shared.authz.is_open() {
            return true;
        }
        let principal = self.principal();
        self.shared.authz.allows(who_of(principal.as_ref()), Access::Read, target)
    }

    /// The databases of `names` this connection may read.
    fn readable_dbs(&self, names: Vec<String>) -> Vec<String> {
        names.into_iter().filter(|db| self.can_read(Target::Database(db))).collect()
    }

    /// The tables of `db` among `names` this connection may read.
    fn readable_tables(&self, db: &str, names: Vec<String>) -> Vec<String> {
        names.into_iter().filter(|t| self.can_read(Target::Table(db, t))).collect()
    }

    /// [`Handler::call`], also returning the call's span (for work that continues after it).
    fn call_in_span<T, F, Fut>(
        &self,
        method: &'static str,
        target: &str,
        delete_data: bool,
        f: F,
    ) -> (R<T>, tracing::Span)
    where
        F: FnOnce(Catalog, Actor) -> Fut,
        Fut: Future<Output = strata_core::Result<T>>,
    {
        let actor = self.actor();
        let span = tracing::info_span!(
            "hms",
            method,
            target,
            peer = %self.peer,
            user = %actor.user,
            request_id = %actor.request_id,
        );
        let start = Instant::now();
        // The audit record needs these after the actor moved into the call.
        let who = self.shared.audit.as_ref().map(|_| (actor.user.clone(), actor.request_id.clone()));
        let result = if crate::conn::request_holds_nul() {
            Err(CatalogError::InvalidObject(NUL_REFUSED.to_string()))
        } else if let Err(denied) = span.in_scope(|| self.authorize(method, target, delete_data)) {
            Err(denied)
        } else {
            let fut = f(self.shared.catalog.clone(), actor).instrument(span.clone());
            self.shared.runtime.block_on(fut)
        };
        let elapsed = start.elapsed();
        let latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let entered = span.enter();
        let result = match result {
            Ok(v) => {
                tracing::debug!(latency_us, outcome = "ok", "call");
                if let (Some(log), Some((user, request_id))) = (&self.shared.audit, &who) {
                    self.audit(log, method, target, user, request_id, "ok", None, elapsed);
                }
                Ok(v)
            }
            Err(e) => {
                tracing::info!(latency_us, outcome = e.kind(), error = %e.message(), "call");
                let exception = errors::exception_name(method, &e);
                if let Some(m) = &self.shared.metrics {
                    m.error(method, exception);
                }
                if let (Some(log), Some((user, request_id))) = (&self.shared.audit, &who) {
                    self.audit(log, method, target, user, request_id, exception, Some(e.message()), elapsed);
                }
                Err(errors::to_thrift(method, e))
            }
        };
        drop(entered);
        (result, span)
    }

    #[allow(clippy::too_many_arguments)]
    fn audit(
        &self,
        log: &AuditLog,
        method: &str,
        target: &str,
        principal: &str,
        request_id: &str,
        outcome: &str,
        error: Option<&str>,
        elapsed: std::time::Duration,
    ) {
        let (db, table) = audit::split_target(target);
        log.log(&audit::Record {
            time: strata_core::time::rfc3339_millis(strata_core::time::now_millis()),
            principal,
            client: self.peer,
            method,
            db,
            table,
            outcome,
            error,
            latency_ms: elapsed.as_secs_f64() * 1000.0,
            request_id,
        });
    }

    /// Open a partition listing (`get_partitions` and kin, see [`crate::listing`]): whole when
    /// small or not pageable, else open on a snapshot to be read with [`Handler::next_page`].
    pub(crate) fn open_listing(&self, call: ListCall) -> R<Listed> {
        let ListCall { method, db, table, values, filter, max } = call;
        let db = names::strip_catalog(&db);
        let start = Instant::now();
        let (result, span) = self.call_in_span(method, &target(&db, &table), false, |c, _| async move {
            c.open_partition_listing(
                &db,
                &table,
                values.as_deref(),
                filter.as_deref(),
                Limit::from_max(i32::from(max)),
                listing::PAGE,
            )
            .await
        });
        Ok(match result? {
            Listing::Whole(parts) => Listed::Whole(convert::partitions_out(parts)),
            Listing::Pages(pages) => Listed::Pages(PageStream {
                pages: Some(pages),
                runtime: self.shared.runtime.clone(),
                span,
                method,
                start,
                sent: 0,
            }),
        })
    }

    /// The next page of an open listing, converted; `None` after the last.
    pub(crate) fn next_page(&self, stream: &mut PageStream) -> R<Option<Vec<t::Partition>>> {
        let Some(pages) = stream.pages.as_mut() else { return Ok(None) };
        let result = self.shared.runtime.block_on(pages.next_page().instrument(stream.span.clone()));
        let _entered = stream.span.enter();
        match result {
            Ok(Some(page)) => {
                stream.sent += page.len();
                Ok(Some(convert::partitions_out(page)))
            }
            Ok(None) => {
                let latency_us = u64::try_from(stream.start.elapsed().as_micros()).unwrap_or(u64::MAX);
                tracing::debug!(latency_us, partitions = stream.sent, outcome = "ok", "listing sent");
                Ok(None)
            }
            Err(e) => {
                tracing::warn!(partitions = stream.sent, error = %e.message(), "listing failed after its first page");
                Err(errors::to_thrift(stream.method, e))
            }
        }
    }
}

/// A listing as [`Handler::open_listing`] returns it.
pub(crate) enum Listed {
    /// Every partition.
    Whole(Vec<t::Partition>),
    /// An open snapshot, read page by page.
    Pages(PageStream),
}

/// An open listing with the span of the call it answers.
pub(crate) struct PageStream {
    /// Always `Some` until dropped.
    pages: Option<Box<dyn PartitionPages>>,
    /// Where the open snapshot is given back when the listing ends early (see `Drop`).
    runtime: tokio::runtime::Handle,
    span: tracing::Span,
    method: &'static str,
    start: Instant,
    sent: usize,
}

impl PageStream {
    /// How many partitions the listing has.
    pub(crate) fn total(&self) -> usize {
        self.pages.as_ref().map_or(0, |p| p.total())
    }
}

impl Drop for PageStream {
    /// A listing dropped before its end (the client left, a write failed) still holds its
    /// snapshot: a pooled transaction whose drop starts a rollback task, which needs the
    /// runtime. Connection threads are not runtime threads, so drop it inside the runtime.
    fn drop(&mut self) {
        let _runtime = self.runtime.enter();
        drop(self.pages.take());
    }
}

/// The policy's view of a principal (or of nobody).
fn who_of(principal: Option<&Principal>) -> Who<'_> {
    match principal {
        Some(p) => Who { name: Some(&p.name), groups: &p.groups },
        None => Who { name: None, groups: &[] },
    }
}

fn target(db: &str, table: &str) -> String {
    format!("{db}.{table}")
}

/// The `expected_parameter_*` compare-and-swap pair of an environment context.
fn cas(env: &strata_core::model::Params) -> Option<(String, String)> {
    match (env.get(param::EXPECTED_KEY), env.get(param::EXPECTED_VALUE)) {
        (Some(k), Some(v)) => Some((k.clone(), v.clone())),
        _ => None,
    }
}

/// Keys `setMetaConf`/`getMetaConf` accept (HMS's whitelist of metastore-side settings).
const META_CONF_KEYS: &[(&str, &str)] = &[
    ("hive.metastore.try.direct.sql", "true"),
    ("hive.metastore.try.direct.sql.ddl", "true"),
    ("hive.metastore.client.socket.timeout", "600s"),
    ("hive.metastore.partition.name.whitelist.pattern", ""),
    ("hive.metastore.integral.jdo.pushdown", "false"),
    ("hive.metastore.batch.retrieve.max", "300"),
    ("hive.metastore.batch.retrieve.table.partition.max", "1000"),
    ("hive.metastore.disallow.incompatible.col.type.changes", "false"),
    ("hive.exec.default.partition.name", "__HIVE_DEFAULT_PARTITION__"),
];

/// HiveConf 2.3 defaults of the keys clients read with `get_config_value` (Trino:
/// `hive.txn.timeout`; Spark, Impala, Hive: the others), answered as a metastore with default
/// settings does. Checked against Apache HMS 2.3.10 by tests/test_differential.py.
const CONFIG_DEFAULTS: &[(&str, &str)] = &[
    ("hive.txn.timeout", "300s"),
    ("hive.txn.manager", "org.apache.hadoop.hive.ql.lockmgr.DummyTxnManager"),
    ("hive.txn.max.open.batch", "1000"),
    ("hive.support.concurrency", "false"),
    ("hive.compactor.initiator.on", "false"),
    ("hive.metastore.server.max.message.size", "104857600"),
    ("hive.metastore.execute.setugi", "true"),
    ("hive.metastore.dml.events", "false"),
    ("hive.metastore.fastpath", "false"),
    ("hive.security.authorization.enabled", "false"),
    ("hive.stats.autogather", "true"),
    ("hive.exec.dynamic.partition.mode", "strict"),
    ("hive.exec.max.dynamic.partitions", "1000"),
    ("hive.default.fileformat", "TextFile"),
];

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
    let db = object.db_name.as_deref().filter(|d| !d.is_empty()).map(|d| names::strip_catalog(d).to_lowercase());
    let table = object.object_name.as_deref().filter(|t| !t.is_empty()).map(str::to_lowercase);
    match object.object_type {
        Some(t::HiveObjectType::GLOBAL) => (None, None),
        Some(t::HiveObjectType::DATABASE) => (db.or(table), None),
        _ => (db, table),
    }
}

impl ThriftHiveMetastoreSyncHandler for Handler {
    // ---------------------------------------------------------------- session

    fn handle_set_ugi(&self, user_name: String, group_names: Vec<String>) -> R<Vec<String>> {
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

    fn handle_shutdown(&self) -> R<()> {
        Ok(())
    }

    fn handle_get_version(&self) -> R<String> {
        Ok(format!("strata {}", env!("CARGO_PKG_VERSION")))
    }

    fn handle_get_meta_conf(&self, key: String) -> R<String> {
        let Some((_, default)) = META_CONF_KEYS.iter().find(|(k, _)| *k == key) else {
            return Err(errors::to_thrift(
                "getMetaConf",
                CatalogError::Meta(format!("Invalid configuration key {key}")),
            ));
        };
        let session = self.session.lock().ok();
        Ok(session.and_then(|s| s.meta_conf.get(&key).cloned()).unwrap_or_else(|| (*default).to_string()))
    }

    fn handle_set_meta_conf(&self, key: String, value: String) -> R<()> {
        if !META_CONF_KEYS.iter().any(|(k, _)| *k == key) {
            return Err(errors::to_thrift(
                "setMetaConf",
                CatalogError::Meta(format!("Invalid configuration key {key}")),
            ));
        }
        if let Ok(mut s) = self.session.lock() {
            s.meta_conf.insert(key, value);
        }
        Ok(())
    }

    fn handle_get_config_value(&self, name: String, default_value: String) -> R<String> {
        let allowed = ["hive.", "hdfs.", "mapred."].iter().any(|p| name.starts_with(p));
        if !allowed {
            return Err(errors::to_thrift(
                "get_config_value",
                CatalogError::ConfigValSecurity(format!(
                    "For security reasons, the config key {name} cannot be accessed"
                )),
            ));
        }
        if name == "hive.metastore.warehouse.dir" {
            return Ok(self.shared.catalog.warehouse().to_string());
        }
        // Apache HMS answers from its configuration, which holds every HiveConf default: a
        // client asking for a known key gets that default, not its own fallback (which it
        // does get for a key whose default is unset, such as the partition name whitelist).
        Ok(META_CONF_KEYS
            .iter()
            .chain(CONFIG_DEFAULTS)
            .find(|(k, v)| *k == name && !v.is_empty())
            .map_or(default_value, |(_, v)| (*v).to_string()))
    }

    fn handle_get_catalogs(&self) -> R<t::GetCatalogsResponse> {
        Ok(t::GetCatalogsResponse { names: Some(vec![names::DEFAULT_CATALOG.to_string()]) })
    }

    fn handle_get_catalog(&self, req: t::GetCatalogRequest) -> R<t::GetCatalogResponse> {
        let name = req.name.unwrap_or_default().to_lowercase();
        if name != names::DEFAULT_CATALOG {
            return Err(errors::to_thrift("get_catalog", CatalogError::NoSuchObject(format!("No catalog {name}"))));
        }
        Ok(t::GetCatalogResponse {
            catalog: Some(t::Catalog {
                name: Some(name),
                description: Some("Default catalog, for Hive".to_string()),
                location_uri: Some(self.shared.catalog.warehouse().to_string()),
                create_time: Some(0),
            }),
        })
    }

    // -------------------------------------------------------------- databases

    fn handle_create_database(&self, database: t::Database) -> R<()> {
        let db = convert::database_in(database);
        let name = db.name.clone();
        self.call("create_database", &name, |c, _| async move { c.create_database(db).await.map(|_| ()) })
    }

    fn handle_create_database_req(&self, req: t::CreateDatabaseRequest) -> R<()> {
        let db = convert::database_in(t::Database {
            name: Some(req.database_name),
            description: req.description,
            location_uri: req.location_uri,
            parameters: req.parameters,
            privileges: None,
            owner_name: req.owner_name,
            owner_type: req.owner_type,
            catalog_name: req.catalog_name,
            create_time: None,
            managed_location_uri: req.managed_location_uri,
            type_: None,
            connector_name: None,
            remote_dbname: None,
        });
        let name = db.name.clone();
        self.call("create_database_req", &name, |c, _| async move { c.create_database(db).await.map(|_| ()) })
    }

    fn handle_get_database(&self, name: String) -> R<t::Database> {
        let name = names::strip_catalog(&name);
        self.call("get_database", &name.clone(), |c, _| async move {
            c.get_database(&name).await.map(convert::database_out)
        })
    }

    fn handle_get_database_req(&self, req: t::GetDatabaseRequest) -> R<t::Database> {
        let name = names::strip_catalog(&req.name.unwrap_or_default());
        self.call("get_database_req", &name.clone(), |c, _| async move {
            c.get_database(&name).await.map(convert::database_out)
        })
    }

    fn handle_drop_database(&self, name: String, delete_data: bool, cascade: bool) -> R<()> {
        let name = names::strip_catalog(&name);
        self.call("drop_database", &name.clone(), |c, a| async move {
            c.drop_database(&a, &name, delete_data, cascade).await
        })
    }

    fn handle_drop_database_req(&self, req: t::DropDatabaseRequest) -> R<()> {
        let name = names::strip_catalog(&req.name);
        self.call("drop_database_req", &name.clone(), |c, a| async move {
            match c.drop_database(&a, &name, req.delete_data, req.cascade).await {
                Err(CatalogError::NoSuchObject(_)) if req.ignore_unknown_db => Ok(()),
                other => other,
            }
        })
    }

    fn handle_get_databases(&self, pattern: String) -> R<Vec<String>> {
        let arg = names::parse_db_arg(&pattern);
        self.call("get_databases", &pattern, |c, _| async move { c.list_databases(arg.db.as_deref()).await })
            .map(|dbs| self.readable_dbs(dbs))
    }

    fn handle_get_all_databases(&self) -> R<Vec<String>> {
        self.call("get_all_databases", "", |c, _| async move { c.list_databases(None).await })
            .map(|dbs| self.readable_dbs(dbs))
    }

    fn handle_alter_database(&self, dbname: String, db: t::Database) -> R<()> {
        let name = names::strip_catalog(&dbname);
        let db = convert::database_in(db);
        self.call("alter_database", &name.clone(), |c, _| async move { c.alter_database(&name, db).await })
    }

    fn handle_alter_database_req(&self, req: t::AlterDatabaseRequest) -> R<()> {
        let name = names::strip_catalog(&req.old_db_name);
        let db = convert::database_in(req.new_db);
        self.call("alter_database_req", &name.clone(), |c, _| async move { c.alter_database(&name, db).await })
    }

    // ----------------------------------------------------------------- tables

    fn handle_create_table(&self, tbl: t::Table) -> R<()> {
        self.create_table("create_table", tbl)
    }

    fn handle_create_table_with_environment_context(&self, tbl: t::Table, _env: t::EnvironmentContext) -> R<()> {
        self.create_table("create_table_with_environment_context", tbl)
    }

    fn handle_create_table_req(&self, request: t::CreateTableRequest) -> R<()> {
        self.create_table("create_table_req", request.table)
    }

    fn handle_get_table(&self, dbname: String, tbl_name: String) -> R<t::Table> {
        self.get_table("get_table", dbname, tbl_name)
    }

    fn handle_get_table_req(&self, req: t::GetTableRequest) -> R<t::GetTableResult> {
        self.get_table("get_table_req", req.db_name, req.tbl_name)
            .map(|table| t::GetTableResult { table, is_stats_compliant: None })
    }

    fn handle_get_table_objects_by_name(&self, dbname: String, tbl_names: Vec<String>) -> R<Vec<t::Table>> {
        let db = names::strip_catalog(&dbname);
        let wanted = self.readable_tables(&db, tbl_names);
        self.call("get_table_objects_by_name", &db.clone(), |c, _| async move {
            let tables = c.get_tables_by_name(&db, &wanted, false).await?;
            Ok(tables.into_iter().map(convert::table_out).collect())
        })
    }

    fn handle_get_table_objects_by_name_req(&self, req: t::GetTablesRequest) -> R<t::GetTablesResult> {
        let db = names::strip_catalog(&req.db_name);
        let wanted = req.tbl_names.map(|names| self.readable_tables(&db, names));
        self.call("get_table_objects_by_name_req", &db.clone(), |c, _| async move {
            let Some(wanted) = wanted else {
                return Err(CatalogError::InvalidOperation("table names are null".to_string()));
            };
            let tables = c.get_tables_by_name(&db, &wanted, true).await?;
            Ok(t::GetTablesResult { tables: tables.into_iter().map(convert::table_out).collect() })
        })
    }

    fn handle_get_tables(&self, db_name: String, pattern: String) -> R<Vec<String>> {
        let db = names::strip_catalog(&db_name);
        let d = db.clone();
        self.call("get_tables", &db.clone(), |c, _| async move { c.list_table_names(&d, Some(&pattern), None).await })
            .map(|names| self.readable_tables(&db, names))
    }

    fn handle_get_tables_by_type(&self, db_name: String, pattern: String, table_type: String) -> R<Vec<String>> {
        let db = names::strip_catalog(&db_name);
        let d = db.clone();
        self.call("get_tables_by_type", &db.clone(), |c, _| async move {
            let ty = Some(table_type.as_str()).filter(|t| !t.is_empty());
            c.list_table_names(&d, Some(&pattern), ty).await
        })
        .map(|names| self.readable_tables(&db, names))
    }

    fn handle_get_all_tables(&self, db_name: String) -> R<Vec<String>> {
        let db = names::strip_catalog(&db_name);
        let d = db.clone();
        self.call("get_all_tables", &db.clone(), |c, _| async move { c.list_table_names(&d, None, None).await })
            .map(|names| self.readable_tables(&db, names))
    }

    fn handle_get_table_meta(
        &self,
        db_patterns: String,
        tbl_patterns: String,
        tbl_types: Vec<String>,
    ) -> R<Vec<t::TableMeta>> {
        let arg = names::parse_db_arg(&db_patterns);
        self.call("get_table_meta", &db_patterns, |c, _| async move {
            let metas = c.table_meta(arg.db.as_deref(), Some(&tbl_patterns), &tbl_types).await?;
            Ok(metas.into_iter().map(convert::table_meta_out).collect::<Vec<_>>())
        })
        .map(|metas| metas.into_iter().filter(|m| self.can_read(Target::Table(&m.db_name, &m.table_name))).collect())
    }

    fn handle_get_table_names_by_filter(&self, dbname: String, filter: String, max_tables: i16) -> R<Vec<String>> {
        let db = names::strip_catalog(&dbname);
        let d = db.clone();
        self.call("get_table_names_by_filter", &db.clone(), |c, _| async move {
            c.table_names_by_filter(&d, &filter, max_tables).await
        })
        .map(|names| self.readable_tables(&db, names))
    }

    fn handle_alter_table(&self, dbname: String, tbl_name: String, new_tbl: t::Table) -> R<()> {
        self.alter_table("alter_table", dbname, tbl_name, new_tbl, AlterOptions::default())
    }

    fn handle_alter_table_with_environment_context(
        &self,
        dbname: String,
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
        self.alter_table("alter_table_with_environment_context", dbname, tbl_name, new_tbl, options)
    }

    fn handle_alter_table_with_cascade(
        &self,
        dbname: String,
        tbl_name: String,
        new_tbl: t::Table,
        cascade: bool,
    ) -> R<()> {
        let options = AlterOptions { cascade, ..AlterOptions::default() };
        self.alter_table("alter_table_with_cascade", dbname, tbl_name, new_tbl, options)
    }

    fn handle_alter_table_req(&self, req: t::AlterTableRequest) -> R<t::AlterTableResponse> {
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
        self.alter_table("alter_table_req", req.db_name, req.table_name, req.table, options)
            .map(|()| t::AlterTableResponse {})
    }

    fn handle_drop_table(&self, dbname: String, name: String, delete_data: bool) -> R<()> {
        self.drop_table("drop_table", dbname, name, delete_data)
    }

    fn handle_drop_table_with_environment_context(
        &self,
        dbname: String,
        name: String,
        delete_data: bool,
        _env: t::EnvironmentContext,
    ) -> R<()> {
        self.drop_table("drop_table_with_environment_context", dbname, name, delete_data)
    }

    fn handle_drop_table_req(&self, req: t::DropTableRequest) -> R<()> {
        // Java reads an unset `deleteData` as false.
        self.drop_table("drop_table_req", req.db_name, req.table_name, req.delete_data.unwrap_or(false))
    }

    fn handle_get_tables_ext(&self, req: t::GetTablesExtRequest) -> R<Vec<t::ExtendedTableInfo>> {
        /// `ACCESS_TYPE`, `PROCESSOR_CAPABILITIES` of `GetTablesExtRequestFields`.
        const ACCESS_TYPE: i32 = 1;
        const CAPABILITIES: i32 = 2;
        /// `ACCESSTYPE_READWRITE`: Strata applies no capability rules.
        const READ_WRITE: i32 = 8;
        let db = names::strip_catalog(&req.database);
        let fields = req.requested_fields;
        let limit = req.limit.and_then(|l| usize::try_from(l).ok()).filter(|l| *l > 0);
        self.call("get_tables_ext", &db.clone(), |c, _| async move {
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

    fn handle_truncate_table(&self, db_name: String, table_name: String, part_names: Vec<String>) -> R<()> {
        let db = names::strip_catalog(&db_name);
        self.call("truncate_table", &target(&db, &table_name), |c, a| async move {
            c.truncate_table(&a, &db, &table_name, Some(part_names)).await
        })
    }

    fn handle_truncate_table_req(&self, req: t::TruncateTableRequest) -> R<t::TruncateTableResponse> {
        let db = names::strip_catalog(&req.db_name);
        let table = req.table_name;
        self.call("truncate_table_req", &target(&db, &table), |c, a| async move {
            c.truncate_table(&a, &db, &table, req.part_names).await.map(|()| t::TruncateTableResponse {})
        })
    }

    fn handle_get_fields(&self, db_name: String, table_name: String) -> R<Vec<t::FieldSchema>> {
        self.fields("get_fields", db_name, table_name, false)
    }

    fn handle_get_fields_with_environment_context(
        &self,
        db_name: String,
        table_name: String,
        _env: t::EnvironmentContext,
    ) -> R<Vec<t::FieldSchema>> {
        self.fields("get_fields_with_environment_context", db_name, table_name, false)
    }

    fn handle_get_fields_req(&self, req: t::GetFieldsRequest) -> R<t::GetFieldsResponse> {
        self.fields("get_fields_req", req.db_name, req.tbl_name, false).map(|fields| t::GetFieldsResponse { fields })
    }

    fn handle_get_schema(&self, db_name: String, table_name: String) -> R<Vec<t::FieldSchema>> {
        self.fields("get_schema", db_name, table_name, true)
    }

    fn handle_get_schema_with_environment_context(
        &self,
        db_name: String,
        table_name: String,
        _env: t::EnvironmentContext,
    ) -> R<Vec<t::FieldSchema>> {
        self.fields("get_schema_with_environment_context", db_name, table_name, true)
    }

    fn handle_get_schema_req(&self, req: t::GetSchemaRequest) -> R<t::GetSchemaResponse> {
        self.fields("get_schema_req", req.db_name, req.tbl_name, true).map(|fields| t::GetSchemaResponse { fields })
    }

    // ------------------------------------------------------------- partitions

    fn handle_add_partition(&self, new_part: t::Partition) -> R<t::Partition> {
        self.add_one("add_partition", new_part)
    }

    fn handle_add_partition_with_environment_context(
        &self,
        new_part: t::Partition,
        _env: t::EnvironmentContext,
    ) -> R<t::Partition> {
        self.add_one("add_partition_with_environment_context", new_part)
    }

    fn handle_add_partitions(&self, new_parts: Vec<t::Partition>) -> R<i32> {
        let parts: Vec<_> = new_parts.into_iter().map(convert::partition_in).collect();
        self.add_many("add_partitions", parts, false)
    }

    fn handle_add_partitions_pspec(&self, new_parts: Vec<t::PartitionSpec>) -> R<i32> {
        let parts = convert::partitions_from_specs(new_parts);
        self.add_many("add_partitions_pspec", parts, false)
    }

    fn handle_add_partitions_req(&self, request: t::AddPartitionsRequest) -> R<t::AddPartitionsResult> {
        let db = names::strip_catalog(&request.db_name);
        let table = request.tbl_name;
        let parts: Vec<_> = request.parts.into_iter().map(convert::partition_in).collect();
        let need_result = request.need_result.unwrap_or(true);
        let if_not_exists = request.if_not_exists;
        self.call("add_partitions_req", &target(&db, &table), |c, a| async move {
            let added = c.add_partitions(&a, &db, &table, parts, if_not_exists).await?;
            Ok(t::AddPartitionsResult {
                partitions: need_result.then(|| convert::partitions_out(added)),
                is_stats_compliant: None,
                partition_col_schema: None,
            })
        })
    }

    fn handle_append_partition(&self, db_name: String, tbl_name: String, part_vals: Vec<String>) -> R<t::Partition> {
        self.append("append_partition", db_name, tbl_name, part_vals)
    }

    fn handle_append_partition_with_environment_context(
        &self,
        db_name: String,
        tbl_name: String,
        part_vals: Vec<String>,
        _env: t::EnvironmentContext,
    ) -> R<t::Partition> {
        self.append("append_partition_with_environment_context", db_name, tbl_name, part_vals)
    }

    fn handle_append_partition_by_name(&self, db_name: String, tbl_name: String, part_name: String) -> R<t::Partition> {
        self.append_by_name("append_partition_by_name", db_name, tbl_name, part_name)
    }

    fn handle_append_partition_by_name_with_environment_context(
        &self,
        db_name: String,
        tbl_name: String,
        part_name: String,
        _env: t::EnvironmentContext,
    ) -> R<t::Partition> {
        self.append_by_name("append_partition_by_name_with_environment_context", db_name, tbl_name, part_name)
    }

    fn handle_get_partition(&self, db_name: String, tbl_name: String, part_vals: Vec<String>) -> R<t::Partition> {
        self.get_one("get_partition", db_name, tbl_name, part_vals)
    }

    fn handle_get_partition_with_auth(
        &self,
        db_name: String,
        tbl_name: String,
        part_vals: Vec<String>,
        _user_name: String,
        _group_names: Vec<String>,
    ) -> R<t::Partition> {
        self.get_one("get_partition_with_auth", db_name, tbl_name, part_vals)
    }

    fn handle_get_partition_by_name(&self, db_name: String, tbl_name: String, part_name: String) -> R<t::Partition> {
        let db = names::strip_catalog(&db_name);
        self.call("get_partition_by_name", &target(&db, &tbl_name), |c, _| async move {
            c.get_partition_by_name(&db, &tbl_name, &part_name).await.map(convert::partition_out)
        })
    }

    fn handle_get_partitions(&self, db_name: String, tbl_name: String, max_parts: i16) -> R<Vec<t::Partition>> {
        self.list("get_partitions", db_name, tbl_name, None, None, i32::from(max_parts))
    }

    fn handle_get_partitions_with_auth(
        &self,
        db_name: String,
        tbl_name: String,
        max_parts: i16,
        _user_name: String,
        _group_names: Vec<String>,
    ) -> R<Vec<t::Partition>> {
        self.list("get_partitions_with_auth", db_name, tbl_name, None, None, i32::from(max_parts))
    }

    fn handle_get_partitions_req(&self, req: t::PartitionsRequest) -> R<t::PartitionsResponse> {
        let max = i32::from(req.max_parts.unwrap_or(-1));
        self.list("get_partitions_req", req.db_name, req.tbl_name, None, None, max)
            .map(|partitions| t::PartitionsResponse { partitions })
    }

    fn handle_get_partitions_pspec(
        &self,
        db_name: String,
        tbl_name: String,
        max_parts: i32,
    ) -> R<Vec<t::PartitionSpec>> {
        let db = names::strip_catalog(&db_name);
        self.call("get_partitions_pspec", &target(&db, &tbl_name), |c, _| async move {
            let parts = c.list_partitions(&db, &tbl_name, None, None, Limit::from_max(max_parts)).await?;
            if parts.is_empty() {
                return Ok(Vec::new());
            }
            let table = names::normalize(&tbl_name);
            Ok(vec![convert::partitions_to_spec(&names::normalize(&db), &table, parts)])
        })
    }

    fn handle_get_partitions_ps(
        &self,
        db_name: String,
        tbl_name: String,
        part_vals: Vec<String>,
        max_parts: i16,
    ) -> R<Vec<t::Partition>> {
        self.list("get_partitions_ps", db_name, tbl_name, Some(part_vals), None, i32::from(max_parts))
    }

    fn handle_get_partitions_ps_with_auth(
        &self,
        db_name: String,
        tbl_name: String,
        part_vals: Vec<String>,
        max_parts: i16,
        _user_name: String,
        _group_names: Vec<String>,
    ) -> R<Vec<t::Partition>> {
        self.list("get_partitions_ps_with_auth", db_name, tbl_name, Some(part_vals), None, i32::from(max_parts))
    }

    fn handle_get_partitions_ps_with_auth_req(
        &self,
        req: t::GetPartitionsPsWithAuthRequest,
    ) -> R<t::GetPartitionsPsWithAuthResponse> {
        let max = i32::from(req.max_parts.unwrap_or(-1));
        if let Some(part_names) = req.part_names {
            let db = names::strip_catalog(&req.db_name);
            let table = req.tbl_name;
            return self.call("get_partitions_ps_with_auth_req", &target(&db, &table), |c, _| async move {
                let parts = c.get_partitions_by_names(&db, &table, &part_names).await?;
                Ok(t::GetPartitionsPsWithAuthResponse { partitions: convert::partitions_out(parts) })
            });
        }
        self.list("get_partitions_ps_with_auth_req", req.db_name, req.tbl_name, req.part_vals, None, max)
            .map(|partitions| t::GetPartitionsPsWithAuthResponse { partitions })
    }

    fn handle_get_partition_names(&self, db_name: String, tbl_name: String, max_parts: i16) -> R<Vec<String>> {
        self.names("get_partition_names", db_name, tbl_name, None, i32::from(max_parts))
    }

    fn handle_get_partition_names_ps(
        &self,
        db_name: String,
        tbl_name: String,
        part_vals: Vec<String>,
        max_parts: i16,
    ) -> R<Vec<String>> {
        self.names("get_partition_names_ps", db_name, tbl_name, Some(part_vals), i32::from(max_parts))
    }

    fn handle_get_partition_names_ps_req(
        &self,
        req: t::GetPartitionNamesPsRequest,
    ) -> R<t::GetPartitionNamesPsResponse> {
        let max = i32::from(req.max_parts.unwrap_or(-1));
        self.names(
            "get_partition_names_ps_req",
            req.db_name,
            req.tbl_name,
            Some(req.part_values.unwrap_or_default()),
            max,
        )
        .map(|names| t::GetPartitionNamesPsResponse { names })
    }

    fn handle_get_partitions_by_filter(
        &self,
        db_name: String,
        tbl_name: String,
        filter: String,
        max_parts: i16,
    ) -> R<Vec<t::Partition>> {
        self.list("get_partitions_by_filter", db_name, tbl_name, None, Some(filter), i32::from(max_parts))
    }

    fn handle_get_partitions_by_filter_req(&self, req: t::GetPartitionsByFilterRequest) -> R<Vec<t::Partition>> {
        let max = i32::from(req.max_parts.unwrap_or(-1));
        self.list(
            "get_partitions_by_filter_req",
            req.db_name.unwrap_or_default(),
            req.tbl_name.unwrap_or_default(),
            None,
            Some(req.filter.unwrap_or_default()),
            max,
        )
    }

    fn handle_get_num_partitions_by_filter(&self, db_name: String, tbl_name: String, filter: String) -> R<i32> {
        let db = names::strip_catalog(&db_name);
        self.call("get_num_partitions_by_filter", &target(&db, &tbl_name), |c, _| async move {
            let n = c.count_partitions(&db, &tbl_name, Some(&filter)).await?;
            Ok(i32::try_from(n).unwrap_or(i32::MAX))
        })
    }

    fn handle_get_partitions_by_names(
        &self,
        db_name: String,
        tbl_name: String,
        names_: Vec<String>,
    ) -> R<Vec<t::Partition>> {
        let db = names::strip_catalog(&db_name);
        self.call("get_partitions_by_names", &target(&db, &tbl_name), |c, _| async move {
            c.get_partitions_by_names(&db, &tbl_name, &names_).await.map(convert::partitions_out)
        })
    }

    fn handle_get_partitions_by_names_req(
        &self,
        req: t::GetPartitionsByNamesRequest,
    ) -> R<t::GetPartitionsByNamesResult> {
        let db = names::strip_catalog(&req.db_name);
        let table = req.tbl_name;
        let wanted = req.names.unwrap_or_default();
        self.call("get_partitions_by_names_req", &target(&db, &table), |c, _| async move {
            let parts = c.get_partitions_by_names(&db, &table, &wanted).await?;
            Ok(t::GetPartitionsByNamesResult { partitions: convert::partitions_out(parts), dictionary: None })
        })
    }

    fn handle_get_partition_values(&self, request: t::PartitionValuesRequest) -> R<t::PartitionValuesResponse> {
        let db = names::strip_catalog(&request.db_name);
        let table = request.tbl_name;
        self.call("get_partition_values", &target(&db, &table), |c, _| async move {
            let t_ = c.get_table(&db, &table).await?;
            let wanted: Vec<usize> = request
                .partition_keys
                .iter()
                .filter_map(|k| {
                    let name = k.name.clone().unwrap_or_default().to_lowercase();
                    t_.partition_keys.iter().position(|pk| pk.name == name)
                })
                .collect();
            let limit = request.max_parts.and_then(|m| usize::try_from(m).ok()).map_or(Limit::All, Limit::AtMost);
            let parts = c
                .list_partitions(&db, &table, None, request.filter.as_deref().filter(|f| !f.is_empty()), limit)
                .await?;
            let mut rows: Vec<Vec<String>> = parts
                .into_iter()
                .map(|p| wanted.iter().map(|&i| p.values.get(i).cloned().unwrap_or_default()).collect())
                .collect();
            if request.apply_distinct.unwrap_or(true) {
                let mut seen = std::collections::HashSet::new();
                rows.retain(|r| seen.insert(r.clone()));
            }
            if request.ascending == Some(false) {
                rows.reverse();
            }
            Ok(t::PartitionValuesResponse {
                partition_values: rows.into_iter().map(|row| t::PartitionValuesRow { row }).collect(),
            })
        })
    }

    fn handle_alter_partition(&self, db_name: String, tbl_name: String, new_part: t::Partition) -> R<()> {
        self.alter("alter_partition", db_name, tbl_name, vec![new_part], true, None)
    }

    fn handle_alter_partition_with_environment_context(
        &self,
        db_name: String,
        tbl_name: String,
        new_part: t::Partition,
        env: t::EnvironmentContext,
    ) -> R<()> {
        self.alter("alter_partition_with_environment_context", db_name, tbl_name, vec![new_part], true, Some(env))
    }

    fn handle_alter_partitions(&self, db_name: String, tbl_name: String, new_parts: Vec<t::Partition>) -> R<()> {
        self.alter("alter_partitions", db_name, tbl_name, new_parts, false, None)
    }

    fn handle_alter_partitions_with_environment_context(
        &self,
        db_name: String,
        tbl_name: String,
        new_parts: Vec<t::Partition>,
        env: t::EnvironmentContext,
    ) -> R<()> {
        self.alter("alter_partitions_with_environment_context", db_name, tbl_name, new_parts, false, Some(env))
    }

    fn handle_alter_partitions_req(&self, req: t::AlterPartitionsRequest) -> R<t::AlterPartitionsResponse> {
        self.alter("alter_partitions_req", req.db_name, req.table_name, req.partitions, false, req.environment_context)
            .map(|()| t::AlterPartitionsResponse {})
    }

    fn handle_rename_partition(
        &self,
        db_name: String,
        tbl_name: String,
        part_vals: Vec<String>,
        new_part: t::Partition,
    ) -> R<()> {
        self.rename("rename_partition", db_name, tbl_name, part_vals, new_part)
    }

    fn handle_rename_partition_req(&self, req: t::RenamePartitionRequest) -> R<t::RenamePartitionResponse> {
        self.rename("rename_partition_req", req.db_name, req.table_name, req.part_vals, req.new_part)
            .map(|()| t::RenamePartitionResponse {})
    }

    fn handle_drop_partition(
        &self,
        db_name: String,
        tbl_name: String,
        part_vals: Vec<String>,
        delete_data: bool,
    ) -> R<bool> {
        self.drop_one("drop_partition", db_name, tbl_name, part_vals, delete_data)
    }

    fn handle_drop_partition_with_environment_context(
        &self,
        db_name: String,
        tbl_name: String,
        part_vals: Vec<String>,
        delete_data: bool,
        _env: t::EnvironmentContext,
    ) -> R<bool> {
        self.drop_one("drop_partition_with_environment_context", db_name, tbl_name, part_vals, delete_data)
    }

    fn handle_drop_partition_by_name(
        &self,
        db_name: String,
        tbl_name: String,
        part_name: String,
        delete_data: bool,
    ) -> R<bool> {
        self.drop_by_name("drop_partition_by_name", db_name, tbl_name, part_name, delete_data)
    }

    fn handle_drop_partition_by_name_with_environment_context(
        &self,
        db_name: String,
        tbl_name: String,
        part_name: String,
        delete_data: bool,
        _env: t::EnvironmentContext,
    ) -> R<bool> {
        self.drop_by_name("drop_partition_by_name_with_environment_context", db_name, tbl_name, part_name, delete_data)
    }

    fn handle_drop_partitions_req(&self, req: t::DropPartitionsRequest) -> R<t::DropPartitionsResult> {
        let db = names::strip_catalog(&req.db_name);
        let table = req.tbl_name;
        let delete_data = req.delete_data.unwrap_or(true);
        let if_exists = req.if_exists.unwrap_or(true);
        let need_result = req.need_result.unwrap_or(false);
        self.call_dropping("drop_partitions_req", &target(&db, &table), delete_data, |c, a| async move {
            let t::RequestPartsSpec::Names(wanted) = req.parts else {
                return Err(CatalogError::Meta(
                    "Dropping partitions by expression is not supported; drop them by name".to_string(),
                ));
            };
            let wanted = if if_exists {
                let existing = c.get_partitions_by_names(&db, &table, &wanted).await?;
                let t_ = c.get_table(&db, &table).await?;
                existing
                    .iter()
                    .map(|p| Catalog::partition_name(&t_, &p.values))
                    .collect::<strata_core::Result<Vec<_>>>()?
            } else {
                wanted
            };
            let dropped = c.drop_partitions(&a, &db, &table, wanted, delete_data).await?;
            Ok(t::DropPartitionsResult { partitions: need_result.then(|| convert::partitions_out(dropped)) })
        })
    }

    fn handle_exchange_partition(
        &self,
        partition_specs: t::StrMap,
        source_db: String,
        source_table_name: String,
        dest_db: String,
        dest_table_name: String,
    ) -> R<t::Partition> {
        // Apache HMS 2.3 answers an empty partition.
        self.exchange("exchange_partition", partition_specs, source_db, source_table_name, dest_db, dest_table_name)
            .map(|_| t::Partition {
                values: None,
                db_name: None,
                table_name: None,
                create_time: None,
                last_access_time: None,
                sd: None,
                parameters: None,
                privileges: None,
                cat_name: None,
                write_id: None,
                is_stats_compliant: None,
                col_stats: None,
                file_metadata: None,
            })
    }

    fn handle_exchange_partitions(
        &self,
        partition_specs: t::StrMap,
        source_db: String,
        source_table_name: String,
        dest_db: String,
        dest_table_name: String,
    ) -> R<Vec<t::Partition>> {
        self.exchange("exchange_partitions", partition_specs, source_db, source_table_name, dest_db, dest_table_name)
    }

    fn handle_partition_name_to_vals(&self, part_name: String) -> R<Vec<String>> {
        Ok(partitions::name_to_values(&part_name))
    }

    fn handle_partition_name_to_spec(&self, part_name: String) -> R<t::StrMap> {
        Ok(partitions::name_to_spec(&part_name))
    }

    fn handle_partition_name_has_valid_characters(&self, _part_vals: Vec<String>, _throw_exception: bool) -> R<bool> {
        // No whitelist pattern is configured (HMS's default): every value is valid.
        Ok(true)
    }

    // ---- functions, statistics, notifications ----

    fn handle_create_function(&self, func: t::Function) -> R<()> {
        let f = crate::convert_extra::function_in(func);
        self.call("create_function", &target(&f.db_name, &f.name), |c, _| async move {
            c.create_function(f).await.map(|_| ())
        })
    }

    fn handle_drop_function(&self, db_name: String, func_name: String) -> R<()> {
        self.call("drop_function", &target(&db_name, &func_name), |c, _| async move {
            c.drop_function(&db_name, &func_name).await
        })
    }

    fn handle_alter_function(&self, db_name: String, func_name: String, new_func: t::Function) -> R<()> {
        let new = crate::convert_extra::function_in(new_func);
        self.call("alter_function", &target(&db_name, &func_name), |c, _| async move {
            c.alter_function(&db_name, &func_name, new).await
        })
    }

    fn handle_get_functions(&self, db_name: String, pattern: String) -> R<Vec<String>> {
        self.call("get_functions", &db_name.clone(), |c, _| async move {
            c.list_function_names(&db_name, Some(&pattern)).await
        })
    }

    fn handle_get_function(&self, db_name: String, func_name: String) -> R<t::Function> {
        self.call("get_function", &target(&db_name, &func_name), |c, _| async move {
            c.get_function(&db_name, &func_name).await.map(crate::convert_extra::function_out)
        })
    }

    fn handle_get_all_functions(&self) -> R<t::GetAllFunctionsResponse> {
        self.call("get_all_functions", "", |c, _| async move {
            let all = c.all_functions().await?;
            Ok(t::GetAllFunctionsResponse {
                functions: Some(all.into_iter().map(crate::convert_extra::function_out).collect()),
            })
        })
    }

    fn handle_update_table_column_statistics(&self, stats_obj: t::ColumnStatistics) -> R<bool> {
        let mut stats = crate::convert_extra::column_statistics_in(stats_obj);
        stats.is_table_level = true;
        self.call("update_table_column_statistics", &target(&stats.db_name, &stats.table_name), |c, _| async move {
            c.update_column_statistics(stats).await.map(|()| true)
        })
    }

    fn handle_update_partition_column_statistics(&self, stats_obj: t::ColumnStatistics) -> R<bool> {
        let mut stats = crate::convert_extra::column_statistics_in(stats_obj);
        stats.is_table_level = false;
        self.call("update_partition_column_statistics", &target(&stats.db_name, &stats.table_name), |c, _| async move {
            c.update_column_statistics(stats).await.map(|()| true)
        })
    }

    fn handle_update_table_column_statistics_req(
        &self,
        req: t::SetPartitionsStatsRequest,
    ) -> R<t::SetPartitionsStatsResponse> {
        let engine = req.engine;
        let mut all: Vec<_> = req.col_stats.into_iter().map(crate::convert_extra::column_statistics_in).collect();
        all.iter_mut().for_each(|s| s.is_table_level = true);
        let tgt = all.first().map(|s| target(&s.db_name, &s.table_name)).unwrap_or_default();
        self.call("update_table_column_statistics_req", &tgt, |c, _| async move {
            c.set_column_statistics(all, false, engine.as_deref()).await?;
            Ok(t::SetPartitionsStatsResponse { result: true })
        })
    }

    fn handle_update_partition_column_statistics_req(
        &self,
        req: t::SetPartitionsStatsRequest,
    ) -> R<t::SetPartitionsStatsResponse> {
        let engine = req.engine;
        let mut all: Vec<_> = req.col_stats.into_iter().map(crate::convert_extra::column_statistics_in).collect();
        all.iter_mut().for_each(|s| s.is_table_level = false);
        let tgt = all.first().map(|s| target(&s.db_name, &s.table_name)).unwrap_or_default();
        self.call("update_partition_column_statistics_req", &tgt, |c, _| async move {
            c.set_column_statistics(all, false, engine.as_deref()).await?;
            Ok(t::SetPartitionsStatsResponse { result: true })
        })
    }

    fn handle_get_table_column_statistics(
        &self,
        db_name: String,
        tbl_name: String,
        col_name: String,
    ) -> R<t::ColumnStatistics> {
        let db = names::strip_catalog(&db_name);
        self.call("get_table_column_statistics", &target(&db, &tbl_name), |c, _| async move {
            let rows = c.table_column_statistics(&db, &tbl_name, std::slice::from_ref(&col_name), None).await?;
            if rows.is_empty() {
                return Err(CatalogError::NoSuchObject(format!(
                    "Column statistics of {db}.{tbl_name}.{col_name} not found"
                )));
            }
            Ok(crate::convert_extra::column_statistics_out(
                &names::normalize(&db),
                &names::normalize(&tbl_name),
                None,
                rows,
            ))
        })
    }

    fn handle_get_partition_column_statistics(
        &self,
        db_name: String,
        tbl_name: String,
        part_name: String,
        col_name: String,
    ) -> R<t::ColumnStatistics> {
        let db = names::strip_catalog(&db_name);
        self.call("get_partition_column_statistics", &target(&db, &tbl_name), |c, _| async move {
            let rows = c
                .partition_column_statistics(
                    &db,
                    &tbl_name,
                    std::slice::from_ref(&part_name),
                    std::slice::from_ref(&col_name),
                    None,
                )
                .await?;
            let Some(name) = rows.first().and_then(|r| r.part_name.clone()) else {
                return Err(CatalogError::NoSuchObject(format!(
                    "Column statistics of {db}.{tbl_name}.{col_name} for partition {part_name} not found"
                )));
            };
            Ok(crate::convert_extra::column_statistics_out(
                &names::normalize(&db),
                &names::normalize(&tbl_name),
                Some(name),
                rows,
            ))
        })
    }

    fn handle_get_table_statistics_req(&self, request: t::TableStatsRequest) -> R<t::TableStatsResult> {
        let db = names::strip_catalog(&request.db_name);
        let table = request.tbl_name;
        self.call("get_table_statistics_req", &target(&db, &table), |c, _| async move {
            let rows = c.table_column_statistics(&db, &table, &request.col_names, request.engine.as_deref()).await?;
            Ok(t::TableStatsResult {
                table_stats: rows.into_iter().map(|r| crate::convert_extra::stats_obj_out(r.stats)).collect(),
                is_stats_compliant: None,
            })
        })
    }

    fn handle_get_partitions_statistics_req(&self, request: t::PartitionsStatsRequest) -> R<t::PartitionsStatsResult> {
        let db = names::strip_catalog(&request.db_name);
        let table = request.tbl_name;
        self.call("get_partitions_statistics_req", &target(&db, &table), |c, _| async move {
            let rows = c
                .partition_column_statistics(
                    &db,
                    &table,
                    &request.part_names,
                    &request.col_names,
                    request.engine.as_deref(),
                )
                .await?;
            let mut part_stats: std::collections::BTreeMap<String, Vec<t::ColumnStatisticsObj>> =
                std::collections::BTreeMap::new();
            for r in rows {
                part_stats
                    .entry(r.part_name.unwrap_or_default())
                    .or_default()
                    .push(crate::convert_extra::stats_obj_out(r.stats));
            }
            Ok(t::PartitionsStatsResult { part_stats, is_stats_compliant: None })
        })
    }

    fn handle_get_aggr_stats_for(&self, request: t::PartitionsStatsRequest) -> R<t::AggrStats> {
        let db = names::strip_catalog(&request.db_name);
        let table = request.tbl_name;
        self.call("get_aggr_stats_for", &target(&db, &table), |c, _| async move {
            let aggr = c
                .aggregate_statistics(&db, &table, &request.part_names, &request.col_names, request.engine.as_deref())
                .await?;
            Ok(t::AggrStats {
                col_stats: aggr.columns.into_iter().map(crate::convert_extra::stats_obj_out).collect(),
                parts_found: aggr.parts_found,
                is_stats_compliant: None,
            })
        })
    }

    fn handle_set_aggr_stats_for(&self, request: t::SetPartitionsStatsRequest) -> R<bool> {
        let (engine, need_merge) = (request.engine, request.need_merge.unwrap_or(false));
        let all: Vec<_> = request.col_stats.into_iter().map(crate::convert_extra::column_statistics_in).collect();
        let tgt = all.first().map(|s| target(&s.db_name, &s.table_name)).unwrap_or_default();
        self.call("set_aggr_stats_for", &tgt, |c, _| async move {
            c.set_column_statistics(all, need_merge, engine.as_deref()).await.map(|()| true)
        })
    }

    fn handle_delete_partition_column_statistics(
        &self,
        db_name: String,
        tbl_name: String,
        part_name: String,
        col_name: String,
        engine: String,
    ) -> R<bool> {
        let db = names::strip_catalog(&db_name);
        self.call("delete_partition_column_statistics", &target(&db, &tbl_name), |c, _| async move {
            c.delete_column_statistics(&db, &tbl_name, Some(&part_name), Some(&col_name), Some(&engine))
                .await
                .map(|()| true)
        })
    }

    fn handle_delete_table_column_statistics(
        &self,
        db_name: String,
        tbl_name: String,
        col_name: String,
        engine: String,
    ) -> R<bool> {
        let db = names::strip_catalog(&db_name);
        self.call("delete_table_column_statistics", &target(&db, &tbl_name), |c, _| async move {
            c.delete_column_statistics(&db, &tbl_name, None, Some(&col_name), Some(&engine)).await.map(|()| true)
        })
    }

    fn handle_get_next_notification(&self, rqst: t::NotificationEventRequest) -> R<t::NotificationEventResponse> {
        self.call("get_next_notification", "", |c, _| async move {
            let skip = rqst.event_type_skip_list.unwrap_or_default();
            let events = c.next_events(rqst.last_event, rqst.max_events.unwrap_or(-1), &skip).await?;
            Ok(t::NotificationEventResponse {
                events: events.into_iter().map(crate::convert_extra::event_out).collect(),
            })
        })
    }

    fn handle_get_current_notification_event_id(&self) -> R<t::CurrentNotificationEventId> {
        self.call("get_current_notificationEventId", "", |c, _| async move {
            Ok(t::CurrentNotificationEventId { event_id: c.current_event_id().await? })
        })
    }

    fn handle_get_notification_events_count(
        &self,
        rqst: t::NotificationEventsCountRequest,
    ) -> R<t::NotificationEventsCountResponse> {
        self.call("get_notification_events_count", &rqst.db_name.clone(), |c, _| async move {
            let events_count = c.count_events(&rqst.db_name, rqst.from_event_id, rqst.to_event_id).await?;
            Ok(t::NotificationEventsCountResponse { events_count })
        })
    }

    fn handle_fire_listener_event(&self, rqst: t::FireEventRequest) -> R<t::FireEventResponse> {
        let db = rqst.db_name.unwrap_or_default();
        let table = rqst.table_name.unwrap_or_default();
        self.call("fire_listener_event", &target(&db, &table), |c, _| async move {
            if !rqst.successful {
                return Ok(t::FireEventResponse { event_ids: Some(Vec::new()) });
            }
            let inserts = match rqst.data {
                t::FireEventRequestData::InsertData(d) => vec![d],
                t::FireEventRequestData::InsertDatas(ds) => ds,
                t::FireEventRequestData::RefreshEvent(_) => {
                    return Ok(t::FireEventResponse { event_ids: Some(Vec::new()) })
                }
            };
            let inserts = inserts
                .into_iter()
                .map(|d| strata_catalog::events::InsertEvent {
                    files: d.files_added.unwrap_or_default(),
                    replace: d.replace,
                    partition_vals: d.partition_val,
                })
                .collect();
            let ids = c.fire_insert_events(&db, &table, rqst.partition_vals, inserts).await?;
            Ok(t::FireEventResponse { event_ids: Some(ids) })
        })
    }

    // ------------------------------------------------------------------ locks

    fn handle_lock(&self, rqst: t::LockRequest) -> R<t::LockResponse> {
        let mut request = convert::lock_request_in(rqst);
        // On an authenticated connection the lock is the actor's, whatever user it names.
        if self.principal().is_some() {
            request.user = self.actor_name();
        }
        let tgt =
            request.components.first().map(|c| target(&c.db, c.table.as_deref().unwrap_or(""))).unwrap_or_default();
        let response = self.call("lock", &tgt, |c, _| async move {
            let out = c.lock(request).await?;
            Ok(t::LockResponse { lockid: out.lock_id, state: convert::lock_state_out(out.state), error_message: None })
        })?;
        if let Ok(mut s) = self.session.lock() {
            s.locks.insert(response.lockid);
        }
        Ok(response)
    }

    fn handle_check_lock(&self, rqst: t::CheckLockRequest) -> R<t::LockResponse> {
        self.call("check_lock", &rqst.lockid.to_string(), |c, _| async move {
            let out = c.check_lock(rqst.lockid).await?;
            Ok(t::LockResponse { lockid: out.lock_id, state: convert::lock_state_out(out.state), error_message: None })
        })
    }

    fn handle_unlock(&self, rqst: t::UnlockRequest) -> R<()> {
        self.check_lock_owner("unlock", rqst.lockid)?;
        self.call("unlock", &rqst.lockid.to_string(), |c, _| async move { c.unlock(rqst.lockid).await })?;
        if let Ok(mut s) = self.session.lock() {
            s.locks.remove(&rqst.lockid);
        }
        Ok(())
    }

    fn handle_heartbeat(&self, ids: t::HeartbeatRequest) -> R<()> {
        let id = ids.lockid.unwrap_or(0);
        if let Some(lock_id) = ids.lockid {
            self.check_lock_owner("heartbeat", lock_id)?;
        }
        self.call("heartbeat", &id.to_string(), |c, _| async move {
            if let Some(txn) = ids.txnid.filter(|t| *t > 0) {
                c.txns().heartbeat(txn)?;
            }
            match ids.lockid {
                Some(_) => c.heartbeat(id).await,
                None => Ok(()),
            }
        })
    }

    // ------------------------------------------------------------------ transactions
    // Ids and states for clients that wrap non-ACID work in transactions (see
    // strata_catalog::txns); no write ids: Strata has no ACID tables.

    fn handle_open_txns(&self, rqst: t::OpenTxnRequest) -> R<t::OpenTxnsResponse> {
        self.call("open_txns", "", |c, _| async move {
            let agent = rqst.agent_info.unwrap_or_else(|| "Unknown".to_string());
            let txn_ids = c.txns().open(rqst.num_txns, &rqst.user, &rqst.hostname, &agent)?;
            Ok(t::OpenTxnsResponse { txn_ids })
        })
    }

    fn handle_commit_txn(&self, rqst: t::CommitTxnRequest) -> R<()> {
        self.call("commit_txn", &rqst.txnid.to_string(), |c, _| async move { c.txns().commit(rqst.txnid) })
    }

    fn handle_abort_txn(&self, rqst: t::AbortTxnRequest) -> R<()> {
        self.call("abort_txn", &rqst.txnid.to_string(), |c, _| async move { c.txns().abort(&[rqst.txnid]) })
    }

    fn handle_abort_txns(&self, rqst: t::AbortTxnsRequest) -> R<()> {
        self.call("abort_txns", "", |c, _| async move { c.txns().abort(&rqst.txn_ids) })
    }

    fn handle_heartbeat_txn_range(&self, txns: t::HeartbeatTxnRangeRequest) -> R<t::HeartbeatTxnRangeResponse> {
        self.call("heartbeat_txn_range", "", |c, _| async move {
            let (aborted, nosuch) = c.txns().heartbeat_range(txns.min, txns.max)?;
            Ok(t::HeartbeatTxnRangeResponse {
                aborted: aborted.into_iter().collect(),
                nosuch: nosuch.into_iter().collect(),
            })
        })
    }

    fn handle_get_open_txns(&self) -> R<t::GetOpenTxnsResponse> {
        self.call("get_open_txns", "", |c, _| async move {
            let open = c.txns().open_txns();
            let ids: Vec<i64> = open.open.iter().map(|t| t.id).collect();
            Ok(t::GetOpenTxnsResponse {
                txn_high_water_mark: open.high_water_mark,
                min_open_txn: ids.first().copied(),
                // None of the listed transactions is aborted: an aborted one has no writes to
                // hide, so it is not listed (as HMS drops aborted transactions without writes).
                aborted_bits: Some(vec![0; ids.len().div_ceil(8)]),
                open_txns: ids,
            })
        })
    }

    fn handle_get_open_txns_info(&self) -> R<t::GetOpenTxnsInfoResponse> {
        self.call("get_open_txns_info", "", |c, _| async move {
            let open = c.txns().open_txns();
            Ok(t::GetOpenTxnsInfoResponse {
                txn_high_water_mark: open.high_water_mark,
                open_txns: open
                    .open
                    .into_iter()
                    .map(|x| t::TxnInfo {
                        id: x.id,
                        state: t::TxnState::OPEN,
                        user: x.user,
                        hostname: x.hostname,
                        agent_info: Some(x.agent_info),
                        heartbeat_count: Some(x.heartbeats),
                        meta_info: None,
                        started_time: Some(x.started_ms),
                        last_heartbeat_time: Some(x.last_heartbeat_ms),
                    })
                    .collect(),
            })
        })
    }

    fn handle_get_valid_write_ids(&self, rqst: t::GetValidWriteIdsRequest) -> R<t::GetValidWriteIdsResponse> {
        self.call("get_valid_write_ids", "", |_, _| async move {
            let tables = rqst
                .full_table_names
                .into_iter()
                .map(|name| {
                    if !name.contains('.') {
                        return Err(CatalogError::Meta(format!("Invalid full table name: {name}")));
                    }
                    // No table has write ids: nothing is invalid, the high-water mark is 0.
                    Ok(t::TableValidWriteIds {
                        full_table_name: name,
                        write_id_high_water_mark: 0,
                        invalid_write_ids: Vec::new(),
                        min_open_write_id: None,
                        aborted_bits: Vec::new(),
                    })
                })
                .collect::<strata_core::Result<Vec<_>>>()?;
            Ok(t::GetValidWriteIdsResponse { tbl_valid_write_ids: tables })
        })
    }

    fn handle_allocate_table_write_ids(
        &self,
        rqst: t::AllocateTableWriteIdsRequest,
    ) -> R<t::AllocateTableWriteIdsResponse> {
        let (db, table) = (names::strip_catalog(&rqst.db_name), rqst.table_name);
        self.call("allocate_table_write_ids", &target(&db, &table), |_, _| async move {
            Err(CatalogError::Meta(format!(
                "Strata does not support transactional (ACID) tables: no write ids for {}.{}",
                names::normalize(&db),
                names::normalize(&table)
            )))
        })
    }

    fn handle_get_metastore_db_uuid(&self) -> R<String> {
        self.call("get_metastore_db_uuid", "", |c, _| async move { c.store().metastore_uuid().await })
    }

    fn handle_show_locks(&self, rqst: t::ShowLocksRequest) -> R<t::ShowLocksResponse> {
        let filter = LockFilter {
            db: rqst.dbname.map(|d| names::strip_catalog(&d)),
            table: rqst.tablename,
            partition: rqst.partname,
        };
        self.call("show_locks", "", |c, _| async move {
            let locks = c.show_locks(filter).await?;
            Ok(t::ShowLocksResponse { locks: Some(locks.into_iter().map(convert::lock_info_out).collect()) })
        })
    }

    // ---------------------------------------------------------------- roles and privileges
    // Read-only views of the authorization policy (`strata_catalog::authz`). Without a policy
    // they answer as a fresh Apache HMS without grants does (Trino's `hive.security=sql-standard`
    // calls these on every query).

    fn handle_get_role_names(&self) -> R<Vec<String>> {
        self.gate("get_role_names")?;
        Ok(match &self.shared.authz.policy {
            None => vec![ADMIN_ROLE.to_string(), PUBLIC_ROLE.to_string()],
            Some(p) => p.roles.iter().map(|r| r.name.clone()).chain([PUBLIC_ROLE.to_string()]).collect(),
        })
    }

    fn handle_list_roles(&self, principal_name: String, principal_type: t::PrincipalType) -> R<Vec<t::Role>> {
        self.gate("list_roles")?;
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

    fn handle_get_principals_in_role(
        &self,
        request: t::GetPrincipalsInRoleRequest,
    ) -> R<t::GetPrincipalsInRoleResponse> {
        self.gate("get_principals_in_role")?;
        let Some(role) = self.shared.authz.policy.as_ref().and_then(|p| p.role(&request.role_name)) else {
            return Ok(t::GetPrincipalsInRoleResponse { principal_grants: Vec::new() });
        };
        let users = role.users.iter().map(|u| role_grant(&role.name, u, t::PrincipalType::USER));
        let groups = role.groups.iter().map(|g| role_grant(&role.name, g, t::PrincipalType::GROUP));
        Ok(t::GetPrincipalsInRoleResponse { principal_grants: users.chain(groups).collect() })
    }

    fn handle_get_role_grants_for_principal(
        &self,
        request: t::GetRoleGrantsForPrincipalRequest,
    ) -> R<t::GetRoleGrantsForPrincipalResponse> {
        self.gate("get_role_grants_for_principal")?;
        Ok(t::GetRoleGrantsForPrincipalResponse {
            principal_grants: self.role_grants(&request.principal_name, request.principal_type),
        })
    }

    fn handle_get_privilege_set(
        &self,
        hive_object: t::HiveObjectRef,
        user_name: String,
        group_names: Vec<String>,
    ) -> R<t::PrincipalPrivilegeSet> {
        self.gate("get_privilege_set")?;
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

    fn handle_list_privileges(
        &self,
        principal_name: String,
        principal_type: t::PrincipalType,
        hive_object: t::HiveObjectRef,
    ) -> R<Vec<t::HiveObjectPrivilege>> {
        self.gate("list_privileges")?;
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

    // ---------------------------------------------------------------- constraints
    // Strata stores no constraints (it does not serve `add_*_constraint`), so every table has
    // none; a missing table answers as HMS does for its constraint lookups (an empty list).

    fn handle_get_primary_keys(&self, _request: t::PrimaryKeysRequest) -> R<t::PrimaryKeysResponse> {
        Ok(t::PrimaryKeysResponse { primary_keys: Vec::new() })
    }

    fn handle_get_foreign_keys(&self, _request: t::ForeignKeysRequest) -> R<t::ForeignKeysResponse> {
        Ok(t::ForeignKeysResponse { foreign_keys: Vec::new() })
    }

    fn handle_get_unique_constraints(&self, _request: t::UniqueConstraintsRequest) -> R<t::UniqueConstraintsResponse> {
        Ok(t::UniqueConstraintsResponse { unique_constraints: Vec::new() })
    }

    fn handle_get_not_null_constraints(
        &self,
        _request: t::NotNullConstraintsRequest,
    ) -> R<t::NotNullConstraintsResponse> {
        Ok(t::NotNullConstraintsResponse { not_null_constraints: Vec::new() })
    }

    fn handle_get_default_constraints(
        &self,
        _request: t::DefaultConstraintsRequest,
    ) -> R<t::DefaultConstraintsResponse> {
        Ok(t::DefaultConstraintsResponse { default_constraints: Vec::new() })
    }

    fn handle_get_check_constraints(&self, _request: t::CheckConstraintsRequest) -> R<t::CheckConstraintsResponse> {
        Ok(t::CheckConstraintsResponse { check_constraints: Vec::new() })
    }

    fn handle_get_all_table_constraints(
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

    // ---------------------------------------------------------------- Hive 4 request forms

    fn handle_get_partition_req(&self, req: t::GetPartitionRequest) -> R<t::GetPartitionResponse> {
        self.get_one("get_partition_req", req.db_name, req.tbl_name, req.part_vals)
            .map(|partition| t::GetPartitionResponse { partition })
    }

    fn handle_append_partition_req(&self, req: t::AppendPartitionsRequest) -> R<t::Partition> {
        match (req.name, req.part_vals) {
            (Some(name), _) if !name.is_empty() => {
                self.append_by_name("append_partition_req", req.db_name, req.table_name, name)
            }
            (_, values) => self.append("append_partition_req", req.db_name, req.table_name, values.unwrap_or_default()),
        }
    }

    fn handle_drop_partition_req(&self, req: t::DropPartitionRequest) -> R<bool> {
        let delete_data = req.delete_data.unwrap_or(false);
        match (req.part_name, req.part_vals) {
            (Some(name), _) if !name.is_empty() => {
                self.drop_by_name("drop_partition_req", req.db_name, req.tbl_name, name, delete_data)
            }
            (_, values) => {
                self.drop_one("drop_partition_req", req.db_name, req.tbl_name, values.unwrap_or_default(), delete_data)
            }
        }
    }

    fn handle_fetch_partition_names_req(&self, req: t::PartitionsRequest) -> R<Vec<String>> {
        let max = i32::from(req.max_parts.unwrap_or(-1));
        self.names("fetch_partition_names_req", req.db_name, req.tbl_name, None, max)
    }

    fn handle_get_part_specs_by_filter(
        &self,
        db_name: String,
        tbl_name: String,
        filter: String,
        max_parts: i32,
    ) -> R<Vec<t::PartitionSpec>> {
        let db = names::strip_catalog(&db_name);
        self.call("get_part_specs_by_filter", &target(&db, &tbl_name), |c, _| async move {
            let parts = c.list_partitions(&db, &tbl_name, None, Some(&filter), Limit::from_max(max_parts)).await?;
            if parts.is_empty() {
                return Ok(Vec::new());
            }
            let table = names::normalize(&tbl_name);
            Ok(vec![convert::partitions_to_spec(&names::normalize(&db), &table, parts)])
        })
    }
}

// Shared bodies of the method families above.
impl Handler {
    fn add_one(&self, method: &'static str, part: t::Partition) -> R<t::Partition> {
        let part = convert::partition_in(part);
        let (db, table) = (part.db_name.clone(), part.table_name.clone());
        self.call(method, &target(&db, &table), |c, a| async move {
            c.add_partition(&a, &db, &table, part).await.map(convert::partition_out)
        })
    }

    /// The add calls that answer how many partitions they added (nothing converted back).
    fn add_many(&self, method: &'static str, parts: Vec<strata_core::model::Partition>, if_not_exists: bool) -> R<i32> {
        let Some(first) = parts.first() else { return Ok(0) };
        let (db, table) = (first.db_name.clone(), first.table_name.clone());
        self.call(method, &target(&db, &table), |c, a| async move {
            let added = c.add_partitions(&a, &db, &table, parts, if_not_exists).await?;
            Ok(i32::try_from(added.len()).unwrap_or(i32::MAX))
        })
    }

    fn append(&self, method: &'static str, db: String, table: String, values: Vec<String>) -> R<t::Partition> {
        let db = names::strip_catalog(&db);
        self.call(method, &target(&db, &table), |c, a| async move {
            c.append_partition(&a, &db, &table, values).await.map(convert::partition_out)
        })
    }

    fn append_by_name(&self, method: &'static str, db: String, table: String, name: String) -> R<t::Partition> {
        let db = names::strip_catalog(&db);
        self.call(method, &target(&db, &table), |c, a| async move {
            c.append_partition_by_name(&a, &db, &table, &name).await.map(convert::partition_out)
        })
    }

    fn get_one(&self, method: &'static str, db: String, table: String, values: Vec<String>) -> R<t::Partition> {
        let db = names::strip_catalog(&db);
        self.call(method, &target(&db, &table), |c, _| async move {
            c.get_partition(&db, &table, &values).await.map(convert::partition_out)
        })
    }

    fn list(
        &self,
        method: &'static str,
        db: String,
        table: String,
        values: Option<Vec<String>>,
        filter: Option<String>,
        max: i32,
    ) -> R<Vec<t::Partition>> {
        let db = names::strip_catalog(&db);
        self.call(method, &target(&db, &table), |c, _| async move {
            let parts =
                c.list_partitions(&db, &table, values.as_deref(), filter.as_deref(), Limit::from_max(max)).await?;
            Ok(convert::partitions_out(parts))
        })
    }

    fn names(
        &self,
        method: &'static str,
        db: String,
        table: String,
        values: Option<Vec<String>>,
        max: i32,
    ) -> R<Vec<String>> {
        let db = names::strip_catalog(&db);
        self.call(method, &target(&db, &table), |c, _| async move {
            c.list_partition_names(&db, &table, values.as_deref(), None, Limit::from_max_names(max)).await
        })
    }

    fn alter(
        &self,
        method: &'static str,
        db: String,
        table: String,
        parts: Vec<t::Partition>,
        single: bool,
        env: Option<t::EnvironmentContext>,
    ) -> R<()> {
        let db = names::strip_catalog(&db);
        let parts: Vec<_> = parts.into_iter().map(convert::partition_in).collect();
        let stats = StatsEnv::from_env(&convert::env_props(env));
        self.call(method, &target(&db, &table), |c, a| async move {
            c.alter_partitions_in(&a, &db, &table, parts, single, stats).await
        })
    }

    fn rename(
        &self,
        method: &'static str,
        db: String,
        table: String,
        old_values: Vec<String>,
        new: t::Partition,
    ) -> R<()> {
        let db = names::strip_catalog(&db);
        let new = convert::partition_in(new);
        self.call(method, &target(&db, &table), |c, a| async move {
            c.rename_partition(&a, &db, &table, &old_values, new).await
        })
    }

    fn exchange(
        &self,
        method: &'static str,
        spec: t::StrMap,
        source_db: String,
        source_table: String,
        dest_db: String,
        dest_table: String,
    ) -> R<Vec<t::Partition>> {
        let (source_db, dest_db) = (names::strip_catalog(&source_db), names::strip_catalog(&dest_db));
        self.call(method, &target(&source_db, &source_table), |c, a| async move {
            let moved = c.exchange_partitions(&a, &spec, (&source_db, &source_table), (&dest_db, &dest_table)).await?;
            Ok(convert::partitions_out(moved))
        })
    }

    fn drop_one(
        &self,
        method: &'static str,
        db: String,
        table: String,
        values: Vec<String>,
        delete_data: bool,
    ) -> R<bool> {
        let db = names::strip_catalog(&db);
        self.call_dropping(method, &target(&db, &table), delete_data, |c, a| async move {
            c.drop_partition(&a, &db, &table, &values, delete_data).await.map(|()| true)
        })
    }

    fn drop_by_name(
        &self,
        method: &'static str,
        db: String,
        table: String,
        name: String,
        delete_data: bool,
    ) -> R<bool> {
        let db = names::strip_catalog(&db);
        self.call_dropping(method, &target(&db, &table), delete_data, |c, a| async move {
            c.drop_partition_by_name(&a, &db, &table, &name, delete_data).await.map(|()| true)
        })
    }

    fn create_table(&self, method: &'static str, tbl: t::Table) -> R<()> {
        let table = convert::table_in(tbl);
        self.call(method, &target(&table.db_name, &table.name), |c, a| async move {
            c.create_table(&a, table).await.map(|_| ())
        })
    }

    fn get_table(&self, method: &'static str, db: String, table: String) -> R<t::Table> {
        let db = names::strip_catalog(&db);
        self.call(
            method,
            &target(&db, &table),
            |c, _| async move { c.get_table(&db, &table).await.map(convert::table_out) },
        )
    }

    fn alter_table(
        &self,
        method: &'static str,
        db: String,
        table: String,
        new_tbl: t::Table,
        options: AlterOptions,
    ) -> R<()> {
        let db = names::strip_catalog(&db);
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

    fn drop_table(&self, method: &'static str, db: String, table: String, delete_data: bool) -> R<()> {
        let db = names::strip_catalog(&db);
        self.call_dropping(method, &target(&db, &table), delete_data, |c, a| async move {
            c.drop_table(&a, &db, &table, delete_data).await
        })
    }

    fn fields(&self, method: &'static str, db: String, table: String, with_keys: bool) -> R<Vec<t::FieldSchema>> {
        let db = names::strip_catalog(&db);
        self.call(method, &target(&db, &table), |c, _| async move {
            let cols = if with_keys { c.get_schema(&db, &table).await? } else { c.get_fields(&db, &table).await? };
            Ok(convert::fields_out(cols))
        })
    }
}
