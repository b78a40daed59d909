//! `strata bench`: named Hive Metastore workloads against any `thrift://` URI, optionally side
//! by side with a baseline metastore (repetitions alternate between the two), reported as a
//! table, JSON, and an SVG chart of the ratios.
//!
//! # Layout
//! - [`client`]: the HMS Thrift client and object builders.
//! - [`workloads`]: the workloads.
//! - [`report`]: statistics, the terminal table, JSON and the chart.
//! - [`command`]: the `strata-bench` binary's arguments and output (`strata bench` runs it).

pub mod client;
pub mod command;
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
    /// Before each timed repetition, wait up to this long for the machine's CPUs to go quiet
    /// (zero: never wait). See [`settle`].
    pub settle: Duration,
}

/// Wait until the machine's CPUs are quiet (under a quarter busy over 50 ms), for at most `max`.
///
/// With a baseline, the two servers share the machine: Apache HMS's JVM compiles and collects
/// garbage on background threads after its turn, and that work would otherwise be billed to the
/// next repetition of whichever server runs then. Reads `/proc/stat`; where that is missing
/// (not Linux) it returns at once.
pub fn settle(max: Duration) {
    const WINDOW: Duration = Duration::from_millis(50);
    let deadline = std::time::Instant::now() + max;
    while std::time::Instant::now() < deadline {
        let Some(before) = cpu_times() else { return };
        std::thread::sleep(WINDOW);
        let Some(after) = cpu_times() else { return };
        if quiet(before, after) {
            return;
        }
    }
}

/// Whether the CPUs were under a quarter busy between two `(busy, total)` jiffy readings.
fn quiet(before: (u64, u64), after: (u64, u64)) -> bool {
    let busy = after.0.saturating_sub(before.0);
    let total = after.1.saturating_sub(before.1);
    total == 0 || busy * 4 < total
}

/// `(busy, total)` jiffies of all CPUs from `/proc/stat`'s `cpu` line (idle and iowait are not busy).
fn cpu_times() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    parse_cpu_line(stat.lines().next()?)
}

fn parse_cpu_line(line: &str) -> Option<(u64, u64)> {
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let v: Vec<u64> = fields.take(8).map(str::parse).collect::<Result<_, _>>().ok()?;
    let total: u64 = v.iter().sum();
    let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
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
            settle(options.settle);
            let d = w.samples(&mut target, &ctx, rep).map_err(|e| format!("{} on {}: {e}", w.name, options.uri))?;
            if rep > 0 {
                ours.extend(d);
            }
            if let (Some(b), Some(uri), None) = (baseline.as_mut(), options.baseline.as_ref(), &baseline_error) {
                settle(options.settle);
                match w.samples(b, &base_ctx, rep) {
                    Ok(d) if rep > 0 => theirs.extend(d),
                    Ok(_) => {}
                    Err(e) => {
                        eprintln!("bench: {} failed on the baseline {uri}: {e}", w.name);
                        baseline_error = Some(e.clone());
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
        settle(options.settle);
        let ours =
            workloads::get_table_throughput(&options.uri, &ctx, options.connections, options.throughput_duration)?;
        let theirs = match &options.baseline {
            Some(uri) => {
                settle(options.settle);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_line_splits_busy_from_idle_and_iowait() {
        // user nice system idle iowait irq softirq steal guest guest_nice
        let line = "cpu  100 5 50 800 40 3 2 0 7 0";
        assert_eq!(parse_cpu_line(line), Some((160, 1000)));
        assert_eq!(parse_cpu_line("cpu0 1 2 3 4 5 6 7 8"), None, "a single CPU's line is not the total");
        assert_eq!(parse_cpu_line("cpu x"), None);
    }

    #[test]
    fn quiet_means_under_a_quarter_busy() {
        assert!(quiet((100, 1000), (110, 1100)));
        assert!(!quiet((100, 1000), (130, 1100)));
        assert!(quiet((5, 5), (5, 5)), "no time passed: nothing to wait for");
    }

    #[test]
    fn settle_returns_by_its_deadline() {
        let start = std::time::Instant::now();
        settle(Duration::from_millis(200));
        // One window may start just before the deadline.
        assert!(start.elapsed() < Duration::from_secs(2));
        settle(Duration::ZERO);
    }
}
