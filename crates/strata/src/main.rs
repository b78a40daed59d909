//! `strata`: a Hive Metastore that never forgets.
//!
//! `strata serve` starts the HMS Thrift server; `strata migrate` applies database migrations.

mod settings;

use std::{path::PathBuf, process::ExitCode, sync::Arc, time::Instant};

use clap::{Parser, Subcommand};
use settings::{Overrides, Settings};
use strata_catalog::{Catalog, CatalogConfig};

#[derive(Debug, Parser)]
#[command(name = "strata", version, about = "A Hive Metastore that never forgets")]
struct Cli {
    /// TOML configuration file (keys as in `STRATA_*` variables, lower-case).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL: `sqlite://PATH` (default `sqlite://strata-data/strata.db`) or `postgres://…`.
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the Hive Metastore Thrift protocol.
    Serve {
        /// Address to listen on (default 127.0.0.1:9083).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Warehouse root (default file://./strata-data/warehouse).
        #[arg(long, value_name = "URI")]
        warehouse: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
}

fn main() -> ExitCode {
    let started = Instant::now();
    let cli = Cli::parse();
    let mut overrides =
        Overrides { config_file: cli.config.clone(), database_url: cli.database_url.clone(), ..Overrides::default() };
    if let Command::Serve { listen, warehouse } = &cli.command {
        overrides.listen.clone_from(listen);
        overrides.warehouse.clone_from(warehouse);
    }
    let settings = match Settings::load(&overrides) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("strata: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "could not start the runtime");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve { .. } => serve(settings, started).await,
            Command::Migrate => migrate(&settings).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "strata failed");
            eprintln!("strata: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("STRATA_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if settings.log_format == "json" {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

type AnyResult = Result<(), Box<dyn std::error::Error>>;

async fn migrate(settings: &Settings) -> AnyResult {
    let store = strata_store::open(&settings.database_url).await?;
    store.migrate().await?;
    tracing::info!(database = %settings.redacted_database_url(), backend = store.backend(), "migrations applied");
    Ok(())
}

async fn serve(settings: Settings, started: Instant) -> AnyResult {
    let warehouse = settings.warehouse_uri();
    let store = strata_store::open(&settings.database_url).await?;
    store.migrate().await?;
    let catalog = Catalog::new(
        store.clone(),
        strata_storage::Storages::default(),
        CatalogConfig {
            warehouse: warehouse.clone(),
            lock_timeout: std::time::Duration::from_secs(settings.lock_timeout_secs),
        },
    );
    catalog.bootstrap().await?;
    let listener = tokio::net::TcpListener::bind(&settings.listen).await?;
    let local = listener.local_addr()?;
    let shared = Arc::new(strata_server::Shared { catalog, runtime: tokio::runtime::Handle::current() });
    tracing::info!(
        listen = %local,
        database = %settings.redacted_database_url(),
        backend = store.backend(),
        warehouse = %warehouse,
        startup_ms = started.elapsed().as_secs_f64() * 1000.0,
        "accepting connections"
    );
    strata_server::serve(listener, shared, settings.server_config(), shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
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
