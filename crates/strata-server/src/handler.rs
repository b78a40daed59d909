//! The handler of one connection: its session, and how every call runs (a span, the access
//! check, the catalog future on the runtime, audit, metrics, errors mapped to the method's HMS
//! exceptions). The HMS methods themselves are in [`crate::handlers`], by concern.

use std::{
    future::Future,
    net::SocketAddr,
    sync::{atomic::AtomicBool, Arc, Mutex},
    time::Instant,
};

use strata_catalog::{
    authz::{self, Access, Authz, Target, Who},
    Catalog,
};
use strata_core::{model::Actor, names, CatalogError};
use strata_thrift::methods::Method;
use tracing::Instrument;

use crate::{
    access,
    audit::{self, AuditLog},
    errors,
    identity::Principal,
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
pub(crate) struct Session {
    /// The `set_ugi` user, if the client sent one.
    pub(crate) user: Option<String>,
    /// Values set with `setMetaConf` on this connection.
    pub(crate) meta_conf: std::collections::BTreeMap<String, String>,
    /// Who the transport authenticated (TLS client certificate, SASL), if anyone.
    pub(crate) principal: Option<Principal>,
    /// Locks taken on this connection (their owner, whatever user they name).
    pub(crate) locks: std::collections::HashSet<i64>,
}

/// The handler of one connection. Clones share the connection's session.
#[derive(Debug, Clone)]
pub struct Handler {
    pub(crate) shared: Arc<Shared>,
    pub(crate) peer: SocketAddr,
    pub(crate) session: Arc<Mutex<Session>>,
}

/// What a handler returns.
pub(crate) type R<T> = thrift::Result<T>;

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
    pub(crate) fn actor_name(&self) -> String {
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

    pub(crate) fn actor(&self) -> Actor {
        Actor {
            user: self.actor_name(),
            client_addr: self.peer.to_string(),
            request_id: uuid::Uuid::now_v7().simple().to_string(),
        }
    }

    /// Run one call: a span with method, target, peer and user; the catalog future on the
    /// runtime; latency and outcome logged; errors mapped to the method's HMS exceptions.
    pub(crate) fn call<T, F, Fut>(&self, method: Method, target: &str, f: F) -> R<T>
    where
        F: FnOnce(Catalog, Actor) -> Fut,
        Fut: Future<Output = strata_core::Result<T>>,
    {
        self.call_in_span(method, target, false, f).0
    }

    /// [`Handler::call`] for a call that drops something: with `delete_data` it needs `admin`
    /// (see [`access::Need::Drop`]).
    pub(crate) fn call_dropping<T, F, Fut>(&self, method: Method, target: &str, delete_data: bool, f: F) -> R<T>
    where
        F: FnOnce(Catalog, Actor) -> Fut,
        Fut: Future<Output = strata_core::Result<T>>,
    {
        self.call_in_span(method, target, delete_data, f).0
    }

    /// Whether this connection may do what `method` needs on `target` (see [`access`]); the
    /// denial's message otherwise. Logged and counted when denied.
    pub(crate) fn authorize(&self, method: Method, target: &str, delete_data: bool) -> Result<(), CatalogError> {
        if self.shared.authz.is_open() {
            return Ok(());
        }
        let Some((need, on)) = access::requirement(method, target, delete_data) else { return Ok(()) };
        let principal = self.principal();
        let who = who_of(principal.as_ref());
        if self.shared.authz.allows(who, need, on) {
            return Ok(());
        }
        let message = authz::denial(who, method.name(), need, on);
        tracing::warn!(method = method.name(), target, principal = who.name.unwrap_or("anonymous"), peer = %self.peer, "permission denied");
        if let Some(m) = &self.shared.metrics {
            m.denied(method.name());
        }
        Err(CatalogError::Meta(message))
    }

    /// The access check of a call that does not reach the catalog (see [`access`]).
    pub(crate) fn gate(&self, method: Method) -> R<()> {
        self.authorize(method, "", false).map_err(|e| errors::to_thrift(method, e))
    }

    /// Whether this connection may read `target` (for filtering listings).
    pub(crate) fn can_read(&self, target: Target<'_>) -> bool {
        if self.shared.authz.is_open() {
            return true;
        }
        let principal = self.principal();
        self.shared.authz.allows(who_of(principal.as_ref()), Access::Read, target)
    }

    /// The databases of `names` this connection may read.
    pub(crate) fn readable_dbs(&self, names: Vec<String>) -> Vec<String> {
        names.into_iter().filter(|db| self.can_read(Target::Database(db))).collect()
    }

    /// The tables of `db` among `names` this connection may read.
    pub(crate) fn readable_tables(&self, db: &str, names: Vec<String>) -> Vec<String> {
        names.into_iter().filter(|t| self.can_read(Target::Table(db, t))).collect()
    }

    /// [`Handler::call`], also returning the call's span (for work that continues after it).
    pub(crate) fn call_in_span<T, F, Fut>(
        &self,
        method: Method,
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
            method = method.name(),
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
                    self.audit(log, method.name(), target, user, request_id, "ok", None, elapsed);
                }
                Ok(v)
            }
            Err(e) => {
                tracing::info!(latency_us, outcome = e.kind(), error = %e.message(), "call");
                let exception = errors::exception_name(method, &e);
                if let Some(m) = &self.shared.metrics {
                    m.error(method.name(), exception);
                }
                if let (Some(log), Some((user, request_id))) = (&self.shared.audit, &who) {
                    self.audit(log, method.name(), target, user, request_id, exception, Some(e.message()), elapsed);
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
}

/// The policy's view of a principal (or of nobody).
pub(crate) fn who_of(principal: Option<&Principal>) -> Who<'_> {
    match principal {
        Some(p) => Who { name: Some(&p.name), groups: &p.groups },
        None => Who { name: None, groups: &[] },
    }
}

/// A database name as a call's argument carries it, its `@catalog#` prefix stripped: the one
/// place a handler strips it (`crate::convert` strips the names inside request structs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Db(pub(crate) String);

impl From<String> for Db {
    fn from(raw: String) -> Self {
        Self(names::strip_catalog(&raw))
    }
}

/// The target string of a call on `db.table`.
pub(crate) fn target(db: &str, table: &str) -> String {
    format!("{db}.{table}")
}
