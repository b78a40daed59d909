//! The admin HTTP listener (`[admin] listen`, default `127.0.0.1:9084`): what an operator and
//! their orchestrator ask of a running Strata, and the read-only history UI.
//!
//! - `GET /health/live`: the process serves HTTP (always 200).
//! - `GET /health/ready`: 200 when the database answers, its migrations are current and the
//!   Thrift listener accepts connections; else 503 with the reason, as JSON.
//! - `GET /version`: name, version, database backend.
//! - `GET /metrics`: Prometheus / OpenMetrics text (see [`strata_server::metrics`]).
//! - `GET /ui/…`: the history UI ([`ui`]). Every handler here only reads.

pub mod ui;

use std::{future::Future, sync::atomic::Ordering, sync::Arc, time::Duration};

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Json, Router,
};
use serde_json::json;
use strata_server::{metrics::StoreGauges, Shared};
use strata_store::LockFilter;

/// How long a health check or a metrics read may wait for the database.
const DB_DEADLINE: Duration = Duration::from_secs(3);

/// What the admin handlers share.
#[derive(Debug, Clone)]
pub struct AdminState {
    /// The Thrift server's shared state (catalog, metrics, whether it accepts).
    pub shared: Arc<Shared>,
    /// The binary's version.
    pub version: &'static str,
}

/// The admin routes.
pub fn router(state: Arc<AdminState>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/") }))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/version", get(version))
        .route("/metrics", get(metrics))
        .merge(ui::router())
        .with_state(state)
}

/// Serve the admin routes on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AdminState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}

async fn live() -> Json<serde_json::Value> {
    Json(json!({"status": "live"}))
}

/// Why the server is not ready, if it is not.
pub async fn not_ready(shared: &Shared) -> Option<String> {
    if !shared.accepting.load(Ordering::Relaxed) {
        return Some("the Thrift listener is not accepting connections".to_string());
    }
    match tokio::time::timeout(DB_DEADLINE, shared.catalog.store().check_health()).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.message().to_string()),
        Err(_) => Some(format!("the database did not answer within {} s", DB_DEADLINE.as_secs())),
    }
}

async fn ready(State(state): State<Arc<AdminState>>) -> Response {
    match not_ready(&state.shared).await {
        None => Json(json!({"status": "ready"})).into_response(),
        Some(reason) => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "not ready", "reason": reason}))).into_response()
        }
    }
}

async fn version(State(state): State<Arc<AdminState>>) -> Json<serde_json::Value> {
    Json(json!({
        "name": "strata",
        "version": state.version,
        "backend": state.shared.catalog.store().backend(),
        "protocol": "Hive Metastore Thrift",
    }))
}

async fn metrics(State(state): State<Arc<AdminState>>) -> Response {
    let Some(m) = &state.shared.metrics else {
        return (StatusCode::NOT_FOUND, "metrics are off ([admin] metrics = false)\n").into_response();
    };
    let store = state.shared.catalog.store();
    let pool = store.pool_status();
    let mut gauges = StoreGauges {
        pool_size: i64::from(pool.size),
        pool_idle: i64::from(pool.idle),
        pool_max: i64::from(pool.max),
        history_rows_written: strata_store::browse::history_rows_written(),
        ..StoreGauges::default()
    };
    // Locks and moves need the database; a scrape while it is away still answers (with the
    // previous values of those two).
    let read = async {
        let locks = store.show_locks(&LockFilter::default()).await?.len();
        let moves = store.list_moves(false, i64::MAX).await?.len();
        Ok::<_, strata_core::CatalogError>((locks, moves))
    };
    if let Ok(Ok((locks, moves))) = tokio::time::timeout(DB_DEADLINE, read).await {
        gauges.locks = Some(i64::try_from(locks).unwrap_or(i64::MAX));
        gauges.moves_pending = Some(i64::try_from(moves).unwrap_or(i64::MAX));
    }
    let text = m.encode_with(Some(gauges));
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response()
}
