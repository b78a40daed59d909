//! `strata import`, `strata verify`, `strata export`: argument parsing and printing only; the
//! work is `strata_migrate`'s.

use std::{
    path::PathBuf,
    process::ExitCode,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use clap::Subcommand;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table as TextTable};
use strata_catalog::Catalog;
use strata_core::model::Actor;
use strata_migrate::{
    copy::{Counts, Mode, Options, Report, Scope},
    transport::{self, PlainCredentials, Security, TlsOptions},
    watch::{Follow, Watch},
    CatalogEndpoint, Connect, Endpoint, ThriftAddress, ThriftEndpoint,
};

use crate::settings::Settings;

/// Which objects, how many at once.
#[derive(Debug, clap::Args)]
pub struct Selection {
    /// Only databases matching this HMS pattern (`*` any characters, `|` alternatives).
    #[arg(long, value_name = "PATTERN")]
    databases: Option<String>,
    /// Only tables matching this HMS pattern.
    #[arg(long, value_name = "PATTERN")]
    tables: Option<String>,
    /// Tables copied (or compared) at once, each over its own connection.
    #[arg(long, default_value_t = 4, value_name = "N")]
    concurrency: usize,
    /// Partitions per `get_partitions_by_names` call.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    page: usize,
    /// The other metastore uses the framed Thrift transport.
    #[arg(long)]
    framed: bool,
    /// Talk TLS to the other metastore, trusting the system's CA certificates (or --tls-ca).
    #[arg(long)]
    tls: bool,
    /// Talk TLS, trusting the CA certificate(s) in this PEM file (implies --tls).
    #[arg(long, value_name = "FILE")]
    tls_ca: Option<PathBuf>,
    /// Client certificate (PEM chain) for servers that ask for one; with --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Authenticate with SASL PLAIN as this user (the password comes from --password-file or
    /// the STRATA_IMPORT_PASSWORD environment variable, never from the command line).
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// File holding the SASL PLAIN password (its first line).
    #[arg(long, value_name = "FILE", requires = "user")]
    password_file: Option<PathBuf>,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

/// The commands that move metadata between Strata and another metastore.
#[derive(Debug, Subcommand)]
pub enum Moving {
    /// Copy databases, tables, views, partitions, functions and column statistics from a
    /// running HMS into Strata (metadata only: no file is touched). Idempotent: run it again to
    /// copy what changed or finish an interrupted run.
    Import {
        /// The source: `thrift://HOST:PORT`.
        #[arg(long, value_name = "URI")]
        from: String,
        /// Count what would be copied; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// After the copy, keep following the source every INTERVAL (e.g. `30s`): its
        /// notification log if it has one, else a re-diff. Stop with Ctrl-C or SIGTERM.
        #[arg(long, value_name = "INTERVAL", conflicts_with = "dry_run")]
        watch: Option<humantime::Duration>,
        #[command(flatten)]
        selection: Selection,
    },
    /// Compare Strata with another metastore, object by object (normalising times, ids,
    /// location spellings, Strata's own parameters). Exit status 1 if they differ.
    Verify {
        /// The other metastore: `thrift://HOST:PORT`.
        #[arg(long, value_name = "URI")]
        against: String,
        #[command(flatten)]
        selection: Selection,
    },
    /// Copy Strata's databases, tables, partitions, functions and statistics into another HMS.
    Export {
        /// The target: `thrift://HOST:PORT`.
        #[arg(long, value_name = "URI")]
        to: String,
        /// Count what would be copied; change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        selection: Selection,
    },
}

fn options(s: &Selection, progress: bool) -> Options {
    Options {
        databases: s.databases.clone(),
        tables: s.tables.clone(),
        concurrency: s.concurrency.max(1),
        page: s.page.clamp(1, 10_000),
        progress,
        ..Options::default()
    }
}

/// The environment variable the SASL PLAIN password is read from without --password-file.
const PASSWORD_ENV: &str = "STRATA_IMPORT_PASSWORD";

/// The address of the other metastore, with its TLS and SASL settings.
fn address(uri: &str, s: &Selection) -> Result<ThriftAddress, String> {
    let address = ThriftAddress::parse(uri, s.framed).map_err(|e| e.to_string())?;
    let tls = if s.tls || s.tls_ca.is_some() || s.tls_cert.is_some() {
        let options = TlsOptions { ca: s.tls_ca.clone(), client_cert: s.tls_cert.clone().zip(s.tls_key.clone()) };
        Some(transport::tls_config(&options).map_err(|e| e.to_string())?)
    } else {
        None
    };
    let sasl = match &s.user {
        None => None,
        Some(user) => {
            let password = match &s.password_file {
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read the password file {}: {e}", path.display()))?
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                None => std::env::var(PASSWORD_ENV)
                    .map_err(|_| format!("--user needs a password: --password-file FILE or {PASSWORD_ENV}"))?,
            };
            Some(PlainCredentials { user: user.clone(), password })
        }
    };
    Ok(address.with_security(Security { tls, sasl }))
}

fn counts_table(r: &Report) -> String {
    let mut t = TextTable::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header([
        "objects",
        "created",
        "updated",
        "unchanged",
        "dropped",
        "only in target",
        "conflicts",
    ]);
    let rows: [(&str, &Counts); 7] = [
        ("databases", &r.databases),
        ("tables", &r.tables),
        ("views", &r.views),
        ("partitions", &r.partitions),
        ("functions", &r.functions),
        ("table stats", &r.table_stats),
        ("partition stats", &r.partition_stats),
    ];
    for (name, c) in rows {
        t.add_row([
            name.to_string(),
            c.created.to_string(),
            c.updated.to_string(),
            c.unchanged.to_string(),
            c.dropped.to_string(),
            c.only_in_target.to_string(),
            c.conflicts.to_string(),
        ]);
    }
    t.to_string()
}

/// At most this many differences are printed as a table (all of them with --json).
const MAX_PRINTED: usize = 200;

fn differences_table(r: &Report) -> String {
    let mut t = TextTable::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header(["object", "difference", "source", "target"]);
    for d in r.differences.iter().take(MAX_PRINTED) {
        t.add_row([&d.object, &d.field, &d.source, &d.target]);
    }
    t.to_string()
}

/// The process's peak resident set size in KiB (Linux), if known.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn print_report(what: &str, r: &Report, json: bool) {
    if json {
        let mut v = serde_json::to_value(r).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("peak_rss_kb".into(), serde_json::json!(peak_rss_kb()));
        }
        println!("{v}");
        return;
    }
    println!("{}", counts_table(r));
    if !r.differences.is_empty() {
        println!("{}", differences_table(r));
        if r.differences.len() > MAX_PRINTED {
            println!("… and {} more (all of them with --json)", r.differences.len() - MAX_PRINTED);
        }
    }
    for e in &r.errors {
        println!("error: {e}");
    }
    println!(
        "{what}: {} partitions in {:.1} s ({:.0} partitions/s), peak RSS {} MB",
        r.partitions.seen(),
        r.seconds,
        r.partitions_per_second,
        peak_rss_kb().map_or_else(|| "?".to_string(), |k| (k / 1024).to_string())
    );
}

fn thrift_connect(address: ThriftAddress) -> Arc<Connect> {
    Arc::new(move || ThriftEndpoint::connect(&address).map(|e| Box::new(e) as Box<dyn Endpoint>))
}

fn catalog_connect(catalog: Catalog, runtime: tokio::runtime::Handle) -> Arc<Connect> {
    let actor = Actor {
        user: "strata-import".to_string(),
        client_addr: "cli".to_string(),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    Arc::new(move || {
        Ok(Box::new(CatalogEndpoint::new(catalog.clone(), runtime.clone(), actor.clone())) as Box<dyn Endpoint>)
    })
}

type AnyResult = Result<ExitCode, Box<dyn std::error::Error>>;

/// Run one of the commands.
pub async fn run(settings: &Settings, command: Moving) -> AnyResult {
    let catalog = settings.open_catalog(settings.catalog_config()?).await?;
    let strata = catalog_connect(catalog, tokio::runtime::Handle::current());
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            crate::serve::shutdown_signal().await;
            stop.store(true, Ordering::SeqCst);
        });
    }
    let outcome = tokio::task::spawn_blocking(move || -> Result<ExitCode, String> {
        match command {
            Moving::Import { from, dry_run, watch, selection } => {
                let source = thrift_connect(address(&from, &selection)?);
                let opts = options(&selection, !selection.json);
                let mode = if dry_run { Mode::DryRun } else { Mode::Copy };
                let Some(interval) = watch else {
                    let r = strata_migrate::run(&*source, &*strata, &opts, mode, &Scope::All, None)
                        .map_err(|e| e.to_string())?;
                    print_report(if dry_run { "dry run" } else { "import" }, &r, selection.json);
                    return Ok(if r.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
                };
                let (mut w, first) = Watch::start(&*source, &*strata, opts).map_err(|e| e.to_string())?;
                print_report("import", &first, selection.json);
                match w.follow {
                    Follow::Log(id) => eprintln!("watching {from}: following its notification log from event {id}"),
                    Follow::Rediff => {
                        eprintln!("watching {from}: it has no notification log; re-diffing every {interval}");
                    }
                }
                let json = selection.json;
                w.run(&*source, &*strata, *interval, &|| stop.load(Ordering::SeqCst), &mut |outcome| match outcome {
                    Ok(r) if json => print_report("watch", &r, true),
                    Ok(r) => {
                        let changed = [r.databases, r.tables, r.views, r.partitions, r.functions]
                            .iter()
                            .map(|c| c.created + c.updated + c.dropped)
                            .sum::<u64>();
                        if changed > 0 || !r.differences.is_empty() || !r.errors.is_empty() {
                            print_report("watch", &r, false);
                        }
                    }
                    Err(e) => eprintln!("watch: this cycle failed, retrying in {interval}: {e}"),
                });
                Ok(ExitCode::SUCCESS)
            }
            Moving::Verify { against, selection } => {
                let other = thrift_connect(address(&against, &selection)?);
                let opts = options(&selection, !selection.json);
                let r = strata_migrate::run(&*other, &*strata, &opts, Mode::Verify, &Scope::All, None)
                    .map_err(|e| e.to_string())?;
                print_report("verify", &r, selection.json);
                if !selection.json && r.differences.is_empty() && r.errors.is_empty() {
                    println!("no differences");
                }
                Ok(if r.differences.is_empty() && r.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
            }
            Moving::Export { to, dry_run, selection } => {
                let target = thrift_connect(address(&to, &selection)?);
                let opts = options(&selection, !selection.json);
                let mode = if dry_run { Mode::DryRun } else { Mode::Copy };
                let r = strata_migrate::run(&*strata, &*target, &opts, mode, &Scope::All, None)
                    .map_err(|e| e.to_string())?;
                print_report(if dry_run { "dry run" } else { "export" }, &r, selection.json);
                Ok(if r.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
            }
        }
    })
    .await?;
    Ok(outcome?)
}
