//! `strata bench`: named Hive Metastore workloads against any `thrift://` URI, optionally side
//! by side with a baseline metastore (repetitions alternate between the two), reported as a
//! table, JSON, and an SVG chart of the ratios.
//!
//! # Layout
//! - [`client`]: the HMS Thrift client and object builders.
//! - [`workloads`]: the workloads.
//! - [`report`]: statistics, the terminal table, JSON and the chart.

pub mod client;
pub mod report;
pub mod workloads;

use std::time::Duration;

use report::{Report, Row, Summary};
use strata_thrift::TThriftHiveMetastoreSyncClient;
use workloads::{Ctx, Workload};

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The metastore under test.
    pub uri: String,
    /// A second metastore to compare with (e.g. Apache HMS), if any.
    pub baseline: Option<String>,
    /// Sizes N of the sized workloads.
    pub sizes: Vec<usize>,
    /// Measured repetitions per workload (after one warm-up).
    pub repeats: usize,
    /// Only workloads whose name starts with one of these (empty = all).
    pub only: Vec<String>,
    /// Connections of the concurrent `get_table` run (0 = skip it).
    pub connections: usize,
    /// Duration of the concurrent run.
    pub throughput_duration: Duration,
    /// `file:///…` root for partition locations.
    pub data_root: String,
}

fn setup(uri: &str, ctx: &Ctx) -> Result<client::Client, String> {
    let mut c = client::connect(uri)?;
    if c.get_database(ctx.db.clone()).is_err() {
        c.create_database(client::database(&ctx.db)).map_err(|e| format!("create_database on {uri}: {e}"))?;
    }
    Ok(c)
}

/// Run the suite; progress goes to stderr.
pub fn run(options: &Options) -> Result<Report, String> {
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    // Each server gets its own database and data root, so that the two may even be the same
    // server (the CI smoke runs Strata against itself).
    let ctx_for = |side: &str| Ctx {
        db: format!("strata_bench_{run_id}_{side}"),
        data_root: format!("{}/{run_id}/{side}", options.data_root),
    };
    let ctx = ctx_for("t");
    let base_ctx = ctx_for("b");
    let mut target = setup(&options.uri, &ctx)?;
    let mut baseline = match &options.baseline {
        Some(uri) => Some(setup(uri, &base_ctx)?),
        None => None,
    };
    let mut rows = Vec::new();
    for w in Workload::suite(&options.sizes) {
        if !options.only.is_empty() && !options.only.iter().any(|o| w.name.starts_with(o.as_str())) {
            continue;
        }
        eprintln!("bench: {}", w.name);
        w.prepare(&mut target, &ctx)?;
        let mut baseline_error = None;
        if let Some(b) = baseline.as_mut() {
            if let Err(e) = w.prepare(b, &base_ctx) {
                baseline_error = Some(e);
            }
        }
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        // Repetition 0 is a warm-up; repetitions alternate between the two servers. A baseline
        // that fails a workload (Apache HMS may time out or drop the connection on the large
        // ones) is recorded as such and reconnected for the next workload; the run goes on.
        for rep in 0..=options.repeats {
            let d = w.samples(&mut target, &ctx, rep).map_err(|e| format!("{} on {}: {e}", w.name, options.uri))?;
            if rep > 0 {
                ours.extend(d);
            }
            if let (Some(b), Some(uri), None) = (baseline.as_mut(), options.baseline.as_ref(), &baseline_error) {
                match w.samples(b, &base_ctx, rep) {
                    Ok(d) if rep > 0 => theirs.extend(d),
                    Ok(_) => {}
                    Err(e) => {
                        eprintln!("bench: {} failed on the baseline {uri}: {e}", w.name);
                        baseline_error = Some(e.to_string());
                    }
                }
            }
        }
        if let (Some(_), Some(uri)) = (&baseline_error, options.baseline.as_ref()) {
            theirs.clear();
            baseline = Some(setup(uri, &base_ctx)?);
        }
        rows.push(Row {
            workload: w.name.clone(),
            target: Summary::of(&ours, w.n.max(1)),
            baseline: (!theirs.is_empty()).then(|| Summary::of(&theirs, w.n.max(1))),
            baseline_error,
        });
    }
    let mut throughput = Vec::new();
    if options.connections > 0 {
        eprintln!("bench: get_table throughput with {} connections", options.connections);
        let ours =
            workloads::get_table_throughput(&options.uri, &ctx, options.connections, options.throughput_duration)?;
        let theirs = match &options.baseline {
            Some(uri) => {
                Some(workloads::get_table_throughput(uri, &base_ctx, options.connections, options.throughput_duration)?)
            }
            None => None,
        };
        throughput.push(report::Throughput {
            workload: format!("get_table.concurrent.{}", options.connections),
            target_calls_per_sec: ours,
            baseline_calls_per_sec: theirs,
        });
    }
    let _ = target.drop_database(ctx.db.clone(), true, true);
    if let Some(b) = baseline.as_mut() {
        let _ = b.drop_database(base_ctx.db.clone(), true, true);
    }
    Ok(Report { target: options.uri.clone(), baseline: options.baseline.clone(), rows, throughput })
}
