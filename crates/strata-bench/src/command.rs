//! The `strata-bench` command line (also run as `strata bench`, which execs this binary): its
//! arguments, and each mode's run and output.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use crate::workloads::{self, Ctx};

/// Run named metastore workloads against a thrift:// URI (and a baseline), print the results.
#[derive(Debug, clap::Parser)]
#[command(name = "strata bench", version)]
pub struct BenchArgs {
    /// The metastore under test.
    #[arg(long, default_value = "thrift://127.0.0.1:9083")]
    pub uri: String,
    /// A metastore to compare with (repetitions alternate between the two).
    #[arg(long)]
    pub baseline: Option<String>,
    /// Sizes N of the partition workloads.
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    pub sizes: Vec<usize>,
    /// Measured repetitions per workload (after one warm-up).
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    /// Only workloads whose names start with these prefixes.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Connections of the concurrent get_table run (0 skips it).
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Seconds of the concurrent get_table run.
    #[arg(long, default_value_t = 5)]
    pub throughput_secs: u64,
    /// Directory (file:// URI) under which partition locations are placed.
    #[arg(long, default_value = "file:///tmp/strata-bench")]
    pub data_root: String,
    /// Before each timed repetition, wait up to this many milliseconds for the machine's CPUs to
    /// go quiet, so one server's background work (a JVM's JIT and GC) is not timed as the
    /// other's (0: no wait).
    #[arg(long, default_value_t = 1000)]
    pub settle_ms: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write an SVG chart of the speedups to this file.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Instead of the suite: build one table with N partitions (in batches of 10,000) and time
    /// the full listings and the drop (against --uri only).
    #[arg(long, value_name = "N")]
    pub scale: Option<usize>,
    /// With --scale: also report the peak RSS of this server process (on this machine) during
    /// each step; resets the kernel's high-water mark before each one (Linux, needs permission
    /// to write /proc/PID/clear_refs).
    #[arg(long, value_name = "PID", requires = "scale")]
    pub server_pid: Option<u32>,
    /// Instead of the suite: the cost of the location history on `alter_partitions` of N
    /// partitions, with --repeats rounds (after 3 warm-up rounds) that each time a call
    /// swapping every location and a call changing a parameter only (against --uri only).
    #[arg(long, value_name = "N", conflicts_with = "scale")]
    pub history_overhead: Option<usize>,
}

/// Print an error the way `strata bench` always has, and fail.
fn failed(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("strata bench: {e}");
    ExitCode::FAILURE
}

/// Run the mode the arguments ask for.
#[must_use]
pub fn run(args: BenchArgs) -> ExitCode {
    if let Some(n) = args.history_overhead {
        return history_overhead(&args, n);
    }
    if let Some(n) = args.scale {
        return scale(&args, n);
    }
    suite(args)
}

/// `--history-overhead N`: swaps against in-place alters of N partitions.
fn history_overhead(args: &BenchArgs, n: usize) -> ExitCode {
    let ctx =
        Ctx { db: format!("strata_history_{}", std::process::id()), data_root: format!("{}/history", args.data_root) };
    match workloads::history_overhead(&args.uri, &ctx, n, args.repeats.max(1), 3) {
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
        Err(e) => failed(e),
    }
}

/// `--scale N`: one table of N partitions, its listings and its drop timed.
fn scale(args: &BenchArgs, n: usize) -> ExitCode {
    let ctx =
        Ctx { db: format!("strata_scale_{}", std::process::id()), data_root: format!("{}/scale", args.data_root) };
    let rss = match args.server_pid.map(workloads::PeakRss::new).transpose() {
        Ok(rss) => rss,
        Err(e) => return failed(e),
    };
    match workloads::scale(&args.uri, &ctx, n, 10_000, rss) {
        Ok(rows) => {
            for (name, secs, peak) in rows {
                match peak {
                    Some(kb) => println!("{name}: {secs:.3} s, peak RSS {} MB", kb / 1024),
                    None => println!("{name}: {secs:.3} s"),
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => failed(e),
    }
}

/// The suite: every workload against `--uri` (and `--baseline`), as a table or JSON, and the
/// chart.
fn suite(args: BenchArgs) -> ExitCode {
    let options = crate::Options {
        uri: args.uri,
        baseline: args.baseline,
        sizes: args.sizes,
        repeats: args.repeats.max(1),
        only: args.only,
        connections: args.connections,
        throughput_duration: Duration::from_secs(args.throughput_secs),
        data_root: args.data_root,
        settle: Duration::from_millis(args.settle_ms),
    };
    let report = match crate::run(&options) {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    if args.json {
        match report.json() {
            Ok(j) => println!("{j}"),
            Err(e) => return failed(e),
        }
    } else {
        println!("{}", report.table());
    }
    if let Some(path) = args.plot {
        if let Err(e) = report.plot(&path) {
            return failed(e);
        }
    }
    ExitCode::SUCCESS
}
