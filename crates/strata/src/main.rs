//! `strata`: a Hive Metastore that never forgets.
//!
//! `strata serve` starts the HMS Thrift server; `strata migrate` applies database migrations;
//! `strata history|rollback|undrop|batch` are the admin CLI over the location history.

mod admin;
mod bench;
mod logging;
mod moving;
mod serve;
mod settings;
mod users;

use std::{path::PathBuf, process::ExitCode, time::Instant};

use clap::{Parser, Subcommand};
use settings::{Overrides, Settings};

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
    /// Run named metastore workloads against a thrift:// URI (and a baseline), print the results
    /// (runs the strata-bench binary next to this one).
    Bench(bench::BenchArgs),
    /// Manage the users file of `[auth] mode = "plain"`.
    #[command(subcommand)]
    User(users::UserCommand),
    #[command(flatten)]
    Admin(admin::Admin),
    #[command(flatten)]
    Moving(moving::Moving),
}

impl Cli {
    /// The settings the command line gives, over the configuration file's and the environment's.
    fn overrides(&self) -> Overrides {
        let mut overrides = Overrides {
            config_file: self.config.clone(),
            database_url: self.database_url.clone(),
            warehouse: self.warehouse.clone(),
            managed_roots: self.managed_roots.clone(),
            allowed_roots: self.allowed_roots.clone(),
            ..Overrides::default()
        };
        if let Command::Serve { listen, batch_default_mode, admin_listen, audit_log } = &self.command {
            overrides.listen.clone_from(listen);
            overrides.batch_default_mode.clone_from(batch_default_mode);
            overrides.admin_listen.clone_from(admin_listen);
            overrides.audit_log.clone_from(audit_log);
        }
        overrides
    }
}

fn main() -> ExitCode {
    let started = Instant::now();
    let cli = Cli::parse();
    if let Command::Bench(args) = cli.command {
        return bench::run(args);
    }
    if let Command::User(command) = cli.command {
        return users::run(command);
    }
    let settings = match Settings::load(&cli.overrides()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("strata: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    logging::init_tracing(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "could not start the runtime");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve { .. } => serve::serve(settings, started).await,
            Command::Migrate => serve::migrate(&settings).await,
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

/// What the commands return: their errors are printed, and the exit code is a failure.
type AnyResult = Result<(), Box<dyn std::error::Error>>;
