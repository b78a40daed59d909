//! `strata`: a Hive Metastore that never forgets.
//!
//! `strata serve` starts the HMS Thrift server; `strata migrate` applies database migrations;
//! `strata history|rollback|undrop|batch` are the admin CLI over the location history.

mod admin;
mod moving;
mod settings;

use std::{path::PathBuf, process::ExitCode, sync::Arc, time::Instant};

use clap::{Parser, Subcommand};
use settings::{Overrides, Settings};
use strata_catalog::{Catalog, CatalogConfig};

/// mimalloc instead of the system allocator: listings and batch writes allocate and free many
/// small strings per partition, where glibc's malloc spent a quarter of the server's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "strata", version, about = "A Hive Metastore that never forgets")]
struct Cli {
    /// TOML configuration file (keys as in `STRATA_*` variables, lower-case).
    #[arg(long, global = true, value_name = "FILE", env = "STRATA_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: `sqlite://PATH` (default `sqlite://strata-data/strata.db`) or `postgres://…`.
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Warehouse root (default file://./strata-data/warehouse).
    #[arg(long, global = true, value_name = "URI")]
    warehouse: Option<String>,
    /// Roots besides the warehouse whose contents Strata owns, comma-separated
    /// (`[storage] managed_roots`).
    #[arg(long, global = true, value_name = "URIS")]
    managed_roots: Option<String>,
    /// Roots new databases, tables and partitions must lie in, comma-separated
    /// (`[storage] allowed_roots`; default: anywhere).
    #[arg(long, global = true, value_name = "URIS")]
    allowed_roots: Option<String>,
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
        /// Batch-ID mode of tables without `strata.batch.mode`: `enforce` (default) or `track`.
        #[arg(long, value_name = "MODE")]
        batch_default_mode: Option<String>,
        /// Address of the admin HTTP listener: health, metrics, history UI (default
        /// 127.0.0.1:9084; empty: off).
        #[arg(long, value_name = "ADDR")]
        admin_listen: Option<String>,
        /// Append a JSON line per call to this file (`-`: standard output).
        #[arg(long, value_name = "FILE")]
        audit_log: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Run named metastore workloads against a thrift:// URI (and a baseline), print the results.
    Bench(BenchArgs),
    /// Manage the users file of `[auth] mode = "plain"`.
    #[command(subcommand)]
    User(UserCommand),
    #[command(flatten)]
    Admin(admin::Admin),
    #[command(flatten)]
    Moving(moving::Moving),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user (or set a user's password): reads the password from standard input (its
    /// first line) and writes an argon2id hash to the users file.
    Add {
        /// The user name.
        name: String,
        /// The users file (created when missing).
        #[arg(long, value_name = "FILE")]
        users_file: PathBuf,
        /// Groups of the user (comma-separated).
        #[arg(long, value_delimiter = ',')]
        groups: Vec<String>,
    },
}

fn user(command: UserCommand) -> ExitCode {
    let UserCommand::Add { name, users_file, groups } = command;
    let mut password = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut password) {
        eprintln!("strata user add: cannot read the password from standard input: {e}");
        return ExitCode::FAILURE;
    }
    let password = password.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        eprintln!("strata user add: empty password (give it on standard input)");
        return ExitCode::from(2);
    }
    match strata_server::users::add_user(&users_file, &name, password, &groups) {
        Ok(()) => {
            eprintln!("user {name} written to {}", users_file.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("strata user add: {e}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug, clap::Args)]
struct BenchArgs {
    /// The metastore under test.
    #[arg(long, default_value = "thrift://127.0.0.1:9083")]
    uri: String,
    /// A metastore to compare with (repetitions alternate between the two).
    #[arg(long)]
    baseline: Option<String>,
    /// Sizes N of the partition workloads.
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    sizes: Vec<usize>,
    /// Measured repetitions per workload (after one warm-up).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Only workloads whose names start with these prefixes.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Connections of the concurrent get_table run (0 skips it).
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Seconds of the concurrent get_table run.
    #[arg(long, default_value_t = 5)]
    throughput_secs: u64,
    /// Directory (file:// URI) under which partition locations are placed.
    #[arg(long, default_value = "file:///tmp/strata-bench")]
    data_root: String,
    /// Before each timed repetition, wait up to this many milliseconds for the machine's CPUs to
    /// go quiet, so one server's background work (a JVM's JIT and GC) is not timed as the
    /// other's (0: no wait).
    #[arg(long, default_value_t = 1000)]
    settle_ms: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also write an SVG chart of the speedups to this file.
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Instead of the suite: build one table with N partitions (in batches of 10,000) and time
    /// the full listings and the drop (against --uri only).
    #[arg(long, value_name = "N")]
    scale: Option<usize>,
    /// With --scale: also report the peak RSS of this server process (on this machine) during
    /// each step; resets the kernel's high-water mark before each one (Linux, needs permission
    /// to write /proc/PID/clear_refs).
    #[arg(long, value_name = "PID", requires = "scale")]
    server_pid: Option<u32>,
    /// Instead of the suite: the cost of the location history on `alter_partitions` of N
    /// partitions, with --repeats rounds (after 3 warm-up rounds) that each time a call
    /// swapping every location and a call changing a parameter only (against --uri only).
    #[arg(long, value_name = "N", conflicts_with = "scale")]
    history_overhead: Option<usize>,
}

fn bench(args: BenchArgs) -> ExitCode {
    if let Some(n) = args.history_overhead {
        let ctx = strata_bench::workloads::Ctx {
            db: format!("strata_history_{}", std::process::id()),
            data_root: format!("{}/history", args.data_root),
        };
        return match strata_bench::workloads::history_overhead(&args.uri, &ctx, n, args.repeats.max(1), 3) {
            Ok(o) if args.json => {
                println!("{}", serde_json::json!(o));
                ExitCode::SUCCESS
            }
            Ok(o) => {
                println!(
                    "alter_partitions.{n}: swaps (with history) {:.2} ms, in place (no history) {:.2} ms, history \
                     overhead {:+.1}% (median of {} paired rounds)",
                    o.swaps_median_ms, o.in_place_median_ms, o.overhead_pct, o.rounds
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("strata bench: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(n) = args.scale {
        let ctx = strata_bench::workloads::Ctx {
            db: format!("strata_scale_{}", std::process::id()),
            data_root: format!("{}/scale", args.data_root),
        };
        let rss = match args.server_pid.map(strata_bench::workloads::PeakRss::new).transpose() {
            Ok(rss) => rss,
            Err(e) => {
                eprintln!("strata bench: {e}");
                return ExitCode::FAILURE;
            }
        };
        return match strata_bench::workloads::scale(&args.uri, &ctx, n, 10_000, rss) {
            Ok(rows) => {
                for (name, secs, peak) in rows {
                    match peak {
                        Some(kb) => println!("{name}: {secs:.3} s, peak RSS {} MB", kb / 1024),
                        None => println!("{name}: {secs:.3} s"),
                    }
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("strata bench: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let options = strata_bench::Options {
        uri: args.uri,
        baseline: args.baseline,
        sizes: args.sizes,
        repeats: args.repeats.max(1),
        only: args.only,
        connections: args.connections,
        throughput_duration: std::time::Duration::from_secs(args.throughput_secs),
        data_root: args.data_root,
        settle: std::time::Duration::from_millis(args.settle_ms),
    };
    let report = match strata_bench::run(&options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("strata bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.json {
        match report.json() {
            Ok(j) => println!("{j}"),
            Err(e) => {
                eprintln!("strata bench: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        println!("{}", report.table());
    }
    if let Some(path) = args.plot {
        if let Err(e) = report.plot(&path) {
            eprintln!("strata bench: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let started = Instant::now();
    let cli = Cli::parse();
    if let Command::Bench(args) = cli.command {
        return bench(args);
    }
    if let Command::User(command) = cli.command {
        return user(command);
    }
    let mut overrides = Overrides {
        config_file: cli.config.clone(),
        database_url: cli.database_url.clone(),
        warehouse: cli.warehouse.clone(),
        managed_roots: cli.managed_roots.clone(),
        allowed_roots: cli.allowed_roots.clone(),
        ..Overrides::default()
    };
    if let Command::Serve { listen, batch_default_mode, admin_listen, audit_log } = &cli.command {
        overrides.listen.clone_from(listen);
        overrides.batch_default_mode.clone_from(batch_default_mode);
        overrides.admin_listen.clone_from(admin_listen);
        overrides.audit_log.clone_from(audit_log);
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
            Command::Admin(command) => admin::run(&settings, command).await,
            Command::Moving(command) => return moving::run(&settings, command).await,
            Command::Bench(_) | Command::User(_) => Ok(()),
        }
        .map(|()| ExitCode::SUCCESS)
    });
    match result {
        Ok(code) => code,
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
    let config = CatalogConfig {
        max_partitions_per_request: usize::try_from(settings.max_partitions_per_request).ok(),
        ..settings.catalog_config()?
    };
    let move_lease = config.data.move_lease;
    let catalog = Catalog::new(store.clone(), settings.storages(), config);
    catalog.bootstrap().await?;
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
