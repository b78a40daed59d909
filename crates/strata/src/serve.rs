//! `strata serve` and `strata migrate`: the metastore's listeners over a migrated database,
//! and the background work a running server does.

use std::{sync::Arc, time::Instant};

use strata_catalog::{Catalog, CatalogConfig};

use crate::{settings::Settings, AnyResult};

/// Apply the database's migrations.
pub async fn migrate(settings: &Settings) -> AnyResult {
    let store = strata_store::open(&settings.database_url).await?;
    store.migrate().await?;
    tracing::info!(database = %settings.redacted_database_url(), backend = store.backend(), "migrations applied");
    Ok(())
}

/// Serve until SIGTERM or Ctrl-C: the Thrift listener, and the HTTP and admin ones when on.
pub async fn serve(settings: Settings, started: Instant) -> AnyResult {
    let warehouse = settings.warehouse_uri();
    let config = CatalogConfig {
        max_partitions_per_request: usize::try_from(settings.max_partitions_per_request).ok(),
        ..settings.catalog_config()?
    };
    let move_lease = config.data.move_lease;
    let catalog = settings.open_catalog(config).await?;
    catalog.bootstrap().await?;
    let store = Arc::clone(catalog.store());
    tokio::spawn(settle_moves(catalog.clone(), move_lease));
    let tls = match settings.tls_files()? {
        None => None,
        Some(files) => {
            let reloader = strata_server::tls::Reloader::new(files).map_err(|e| format!("TLS: {e}"))?;
            let every = std::time::Duration::from_secs(settings.tls.reload_check_secs.unwrap_or(5).max(1));
            tokio::spawn(reloader.clone().watch(every));
            Some(reloader)
        }
    };
    let auth = settings.auth_settings(tokio::runtime::Handle::current())?;
    let listener = tokio::net::TcpListener::bind(&settings.listen).await?;
    let local = listener.local_addr()?;
    if auth.mode == strata_server::sasl::AuthMode::NoSasl && !local.ip().is_loopback() {
        tracing::warn!(
            listen = %local,
            "the Thrift port is on a non-loopback address without authentication: any client that reaches it \
             can read, change and drop every table, under any user name. Set [auth] mode = \"plain\" and [tls] \
             (see the README's Security section)"
        );
    }
    let mut shared = strata_server::Shared::new(catalog, tokio::runtime::Handle::current());
    shared.tls = tls;
    shared.auth = Arc::new(auth);
    let admin_address = settings.admin.address();
    if admin_address.is_some() && settings.admin.metrics {
        shared.metrics = Some(Arc::new(strata_server::metrics::Metrics::new()));
    }
    if !settings.audit.log_file.trim().is_empty() {
        let file = settings.audit.log_file.trim();
        shared.audit = Some(
            strata_server::audit::AuditLog::open(file).map_err(|e| format!("cannot open the audit log {file}: {e}"))?,
        );
    }
    shared.authz = Arc::new(settings.auth.authz()?);
    let shared = Arc::new(shared);
    // One shutdown signal for every listener.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let stopping = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let http = match settings.http_transport.address() {
        None => None,
        Some(address) => {
            let auth = settings.auth.http_auth(shared.auth.passwords.as_ref().and_then(|p| p.users.clone()))?;
            if auth.jwt.is_none() && auth.users.is_none() {
                tracing::warn!(%address, "Thrift over HTTP is on without authentication ([auth.jwt] or [auth] users_file)");
            }
            let http_listener = tokio::net::TcpListener::bind(address).await.map_err(|e| {
                format!("cannot listen on {address} for Thrift over HTTP ([http_transport] listen): {e}")
            })?;
            let http_local = http_listener.local_addr()?;
            let server = Arc::new(strata_server::http::HttpServer {
                shared: shared.clone(),
                config: settings.server_config(),
                auth,
            });
            // HTTPS with the Thrift port's TLS settings when they are on.
            let wrap = shared
                .tls
                .clone()
                .map(|tls| strata_server::http::tls_wrap(tls, settings.server_config().request_timeout));
            let task =
                tokio::spawn(strata_server::http::serve_http(http_listener, server, wrap, stopping(stop_rx.clone())));
            Some((http_local, task))
        }
    };
    // The admin listener outlives the Thrift one: while calls drain it answers "not ready".
    let (admin_stop, admin_stopped) = tokio::sync::watch::channel(false);
    let admin = match admin_address {
        None => None,
        Some(address) => {
            let admin_listener = tokio::net::TcpListener::bind(address)
                .await
                .map_err(|e| format!("cannot listen on {address} for the admin listener ([admin] listen): {e}"))?;
            let admin_local = admin_listener.local_addr()?;
            let state =
                Arc::new(strata_admin::AdminState { shared: shared.clone(), version: env!("CARGO_PKG_VERSION") });
            let mut stopped = admin_stopped.clone();
            let task = tokio::spawn(strata_admin::serve(admin_listener, state, async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }));
            Some((admin_local, task))
        }
    };
    tracing::info!(
        listen = %local,
        admin = %admin.as_ref().map_or_else(|| "off".to_string(), |(a, _)| a.to_string()),
        http = %http.as_ref().map_or_else(|| "off".to_string(), |(a, _)| format!("http://{a}{}", strata_server::http::PATH)),
        policy = shared.authz.policy.is_some(),
        metrics = shared.metrics.is_some(),
        audit = shared.audit.is_some(),
        tls = shared.tls.is_some(),
        auth = ?shared.auth.mode,
        database = %settings.redacted_database_url(),
        backend = store.backend(),
        warehouse = %warehouse,
        startup_ms = started.elapsed().as_secs_f64() * 1000.0,
        "accepting connections"
    );
    strata_server::serve(listener, shared, settings.server_config(), stopping(stop_rx.clone())).await?;
    if let Some((_, task)) = http {
        if let Ok(Err(e)) = task.await {
            tracing::warn!(error = %e, "Thrift over HTTP failed");
        }
    }
    let _ = admin_stop.send(true);
    if let Some((_, task)) = admin {
        match tokio::time::timeout(std::time::Duration::from_secs(5), task).await {
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "admin listener failed"),
            Err(_) => tracing::warn!("admin listener still had connections open; stopping anyway"),
            _ => {}
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// Every third of a lease: renew this server's open moves, and settle the moves of servers
/// that stopped (their lease expired), so a crash in the middle of a drop needs no operator.
async fn settle_moves(catalog: Catalog, lease: std::time::Duration) {
    let mut tick = tokio::time::interval(lease / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = catalog.renew_move_leases().await {
            tracing::warn!(error = %e, "could not renew move leases");
        }
        match catalog.settle_expired_moves().await {
            Ok(outcomes) => {
                for o in outcomes {
                    tracing::info!(
                        id = o.entry.id,
                        from = %o.entry.from_location,
                        to = %o.entry.to_location,
                        action = o.action,
                        error = o.error.as_deref().unwrap_or(""),
                        "settled a move left open by a stopped server"
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not settle expired moves"),
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested");
}
