//! The named workloads, modelled on Apache Hive's metastore-benchmarks. Each creates and
//! cleans up its own objects; only the measured call is timed.

use std::time::{Duration, Instant};

use strata_thrift::{self as t, TThriftHiveMetastoreSyncClient};

use crate::client::{self, Client};

/// Where a workload runs: its own database and a data root for partition locations.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Database created for the run.
    pub db: String,
    /// `file:///…` directory under which partition locations are placed.
    pub data_root: String,
}

type Res<T> = Result<T, String>;

fn e(err: thrift::Error) -> String {
    err.to_string()
}

/// Calls per repetition of the single-object read workloads.
pub const READ_CALLS_PER_REP: usize = 50;

/// Calls per repetition of the single-object writes (`add_partition`, `alter_partition`).
pub const WRITE_CALLS_PER_REP: usize = 10;

fn time<T>(f: impl FnOnce() -> thrift::Result<T>) -> Res<Duration> {
    let start = Instant::now();
    f().map_err(e)?;
    Ok(start.elapsed())
}

/// A workload: a name and one repetition (setup untimed, the call timed, teardown untimed).
#[derive(Debug, Clone)]
pub struct Workload {
    /// Name as reported, e.g. `add_partitions.1000`.
    pub name: String,
    /// What it does.
    pub kind: Kind,
    /// N, for the sized workloads.
    pub n: usize,
}

/// The kinds of workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    GetDatabase,
    GetTable,
    GetTables,
    AddPartitions,
    AddPartition,
    GetPartitions,
    GetPartitionNames,
    GetPartitionsByNames,
    GetPartitionsByFilter,
    AlterPartitions,
    /// `alter_partitions` that changes a parameter, not the location: no swap, no history
    /// row (against `alter_partitions.N`, the cost of the history).
    AlterPartitionsInPlace,
    AlterPartition,
    DropPartitions,
    DropTableWithPartitions,
    RenameTableWithPartitions,
}

impl Workload {
    /// The standard suite for the given sizes.
    #[must_use]
    pub fn suite(sizes: &[usize]) -> Vec<Self> {
        let mut out = vec![
            Self { name: "get_database".into(), kind: Kind::GetDatabase, n: 0 },
            Self { name: "get_table".into(), kind: Kind::GetTable, n: 0 },
            Self { name: "get_tables".into(), kind: Kind::GetTables, n: 0 },
            Self { name: "add_partition".into(), kind: Kind::AddPartition, n: 0 },
            Self { name: "alter_partition".into(), kind: Kind::AlterPartition, n: 0 },
        ];
        for &n in sizes {
            for (kind, base) in [
                (Kind::AddPartitions, "add_partitions"),
                (Kind::GetPartitions, "get_partitions"),
                (Kind::GetPartitionNames, "get_partition_names"),
                (Kind::GetPartitionsByNames, "get_partitions_by_names"),
                (Kind::GetPartitionsByFilter, "get_partitions_by_filter"),
                (Kind::AlterPartitions, "alter_partitions"),
                (Kind::AlterPartitionsInPlace, "alter_partitions_in_place"),
                (Kind::DropPartitions, "drop_partitions"),
                (Kind::DropTableWithPartitions, "drop_table_with_partitions"),
                (Kind::RenameTableWithPartitions, "rename_table_with_partitions"),
            ] {
                out.push(Self { name: format!("{base}.{n}"), kind, n });
            }
        }
        out
    }

    /// Prepare shared state once (tables read by many repetitions).
    pub fn prepare(&self, c: &mut Client, ctx: &Ctx) -> Res<()> {
        match self.kind {
            Kind::GetTable | Kind::GetTables => {
                for i in 0..20 {
                    let name = format!("read_t{i}");
                    if c.get_table(ctx.db.clone(), name.clone()).is_err() {
                        c.create_table(client::table(&ctx.db, &name)).map_err(e)?;
                    }
                }
                Ok(())
            }
            Kind::GetPartitions
            | Kind::GetPartitionNames
            | Kind::GetPartitionsByNames
            | Kind::GetPartitionsByFilter => {
                let name = format!("read_p{}", self.n);
                if c.get_table(ctx.db.clone(), name.clone()).is_err() {
                    c.create_table(client::table(&ctx.db, &name)).map_err(e)?;
                    add(c, ctx, &name, 0, self.n)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// One repetition: the time of each measured call. The single-object reads (`get_database`,
    /// `get_table`, `get_tables`) make [`READ_CALLS_PER_REP`] calls back to back and the
    /// single-object writes [`WRITE_CALLS_PER_REP`], so their median is over many calls rather
    /// than a few cold ones right after the baseline's turn; every other workload makes one call.
    pub fn samples(&self, c: &mut Client, ctx: &Ctx, rep: usize) -> Res<Vec<Duration>> {
        let calls = self.calls_per_rep();
        (0..calls).map(|i| self.run(c, ctx, rep * calls + i)).collect()
    }

    /// Measured calls in one repetition.
    #[must_use]
    pub fn calls_per_rep(&self) -> usize {
        match self.kind {
            Kind::GetDatabase | Kind::GetTable | Kind::GetTables => READ_CALLS_PER_REP,
            Kind::AddPartition | Kind::AlterPartition => WRITE_CALLS_PER_REP,
            _ => 1,
        }
    }

    /// One measured call; `round` numbers the calls of the run (distinct per call), so each
    /// write makes a new object or swaps to a new location.
    pub fn run(&self, c: &mut Client, ctx: &Ctx, round: usize) -> Res<Duration> {
        let db = ctx.db.clone();
        let n = self.n;
        match self.kind {
            Kind::GetDatabase => time(|| c.get_database(db)),
            Kind::GetTable => time(|| c.get_table(db, "read_t0".into())),
            Kind::GetTables => time(|| c.get_tables(db, "*".into())),
            Kind::GetPartitions => time(|| c.get_partitions(db, format!("read_p{n}"), -1)),
            Kind::GetPartitionNames => time(|| c.get_partition_names(db, format!("read_p{n}"), -1)),
            Kind::GetPartitionsByNames => {
                let names: Vec<String> = (0..n).map(|i| format!("ds={}", client::part_value(i))).collect();
                time(|| c.get_partitions_by_names(db, format!("read_p{n}"), names))
            }
            Kind::GetPartitionsByFilter => {
                let filter =
                    format!("ds >= \"{}\" and ds < \"{}\"", client::part_value(n / 4), client::part_value(3 * n / 4));
                time(|| c.get_partitions_by_filter(db, format!("read_p{n}"), filter, -1))
            }
            Kind::AddPartitions => {
                let table = fresh(c, ctx, &format!("addps{n}_{round}"))?;
                let parts =
                    (0..n).map(|i| client::partition(&db, &table, &ctx.data_root, &client::part_value(i))).collect();
                let d = time(|| c.add_partitions(parts))?;
                drop_table(c, ctx, &table)?;
                Ok(d)
            }
            Kind::AddPartition => {
                let table = format!("addp_{}", ctx.db);
                if c.get_table(db.clone(), table.clone()).is_err() {
                    c.create_table(client::table(&db, &table)).map_err(e)?;
                }
                let part = client::partition(&db, &table, &ctx.data_root, &client::part_value(round));
                time(|| c.add_partition(part))
            }
            Kind::AlterPartition => {
                let table = format!("altp_{}", ctx.db);
                if c.get_table(db.clone(), table.clone()).is_err() {
                    c.create_table(client::table(&db, &table)).map_err(e)?;
                    add(c, ctx, &table, 0, 1)?;
                }
                let mut part = c.get_partition(db.clone(), table.clone(), vec![client::part_value(0)]).map_err(e)?;
                swap_location(&mut part, round);
                time(|| c.alter_partition(db, table, part))
            }
            Kind::AlterPartitions => {
                let table = format!("altps{n}_{}", ctx.db);
                if c.get_table(db.clone(), table.clone()).is_err() {
                    c.create_table(client::table(&db, &table)).map_err(e)?;
                    add(c, ctx, &table, 0, n)?;
                }
                let mut parts = c.get_partitions(db.clone(), table.clone(), -1).map_err(e)?;
                for p in &mut parts {
                    swap_location(p, round);
                }
                time(|| c.alter_partitions(db, table, parts))
            }
            Kind::AlterPartitionsInPlace => {
                let table = format!("altip{n}_{}", ctx.db);
                if c.get_table(db.clone(), table.clone()).is_err() {
                    c.create_table(client::table(&db, &table)).map_err(e)?;
                    add(c, ctx, &table, 0, n)?;
                }
                let mut parts = c.get_partitions(db.clone(), table.clone(), -1).map_err(e)?;
                for p in &mut parts {
                    p.parameters.get_or_insert_with(Default::default).insert("bench.rep".into(), round.to_string());
                }
                time(|| c.alter_partitions(db, table, parts))
            }
            Kind::DropPartitions => {
                let table = fresh(c, ctx, &format!("dropps{n}_{round}"))?;
                add(c, ctx, &table, 0, n)?;
                let names: Vec<String> = (0..n).map(|i| format!("ds={}", client::part_value(i))).collect();
                let req = t::DropPartitionsRequest {
                    db_name: db,
                    tbl_name: table.clone(),
                    parts: t::RequestPartsSpec::Names(names),
                    delete_data: Some(true),
                    if_exists: Some(true),
                    ignore_protection: None,
                    environment_context: None,
                    need_result: Some(false),
                    cat_name: None,
                    skip_column_schema_for_partition: None,
                };
                let d = time(|| c.drop_partitions_req(req))?;
                drop_table(c, ctx, &table)?;
                Ok(d)
            }
            Kind::DropTableWithPartitions => {
                let table = fresh(c, ctx, &format!("dropt{n}_{round}"))?;
                add(c, ctx, &table, 0, n)?;
                time(|| c.drop_table(db, table, true))
            }
            Kind::RenameTableWithPartitions => {
                let table = fresh(c, ctx, &format!("rent{n}_{round}"))?;
                add(c, ctx, &table, 0, n)?;
                let mut renamed = c.get_table(db.clone(), table.clone()).map_err(e)?;
                let new_name = format!("{table}_renamed");
                renamed.table_name = Some(new_name.clone());
                let d = time(|| c.alter_table(db, table, renamed))?;
                drop_table(c, ctx, &new_name)?;
                Ok(d)
            }
        }
    }
}

/// Point a partition at a fresh batch directory (the batch-ID pattern's write).
fn swap_location(p: &mut t::Partition, round: usize) {
    if let Some(sd) = p.sd.as_mut() {
        let base = sd.location.clone().unwrap_or_default();
        let base = base.rsplit_once("/batch=").map_or(base.as_str(), |(b, _)| b).to_string();
        sd.location = Some(format!("{base}/batch={round:06}"));
    }
}

/// A client of `uri` whose run database (`ctx.db`) exists.
fn connect_in(uri: &str, ctx: &Ctx) -> Res<Client> {
    let mut c = client::connect(uri)?;
    if c.get_database(ctx.db.clone()).is_err() {
        c.create_database(client::database(&ctx.db)).map_err(e)?;
    }
    Ok(c)
}

/// Create a fresh table (dropping a leftover of an earlier run).
fn fresh(c: &mut Client, ctx: &Ctx, name: &str) -> Res<String> {
    let _ = c.drop_table(ctx.db.clone(), name.to_string(), true);
    c.create_table(client::table(&ctx.db, name)).map_err(e)?;
    Ok(name.to_string())
}

fn drop_table(c: &mut Client, ctx: &Ctx, name: &str) -> Res<()> {
    c.drop_table(ctx.db.clone(), name.to_string(), true).map_err(e)
}

/// Add partitions `from..to` in batches of 1000.
fn add(c: &mut Client, ctx: &Ctx, table: &str, from: usize, to: usize) -> Res<()> {
    let mut i = from;
    while i < to {
        let end = (i + 1000).min(to);
        let parts =
            (i..end).map(|j| client::partition(&ctx.db, table, &ctx.data_root, &client::part_value(j))).collect();
        c.add_partitions(parts).map_err(e)?;
        i = end;
    }
    Ok(())
}

/// Concurrent `get_table` throughput: `connections` clients for `duration`; calls per second.
pub fn get_table_throughput(uri: &str, ctx: &Ctx, connections: usize, duration: Duration) -> Res<f64> {
    let mut c = client::connect(uri)?;
    if c.get_table(ctx.db.clone(), "read_t0".into()).is_err() {
        c.create_table(client::table(&ctx.db, "read_t0")).map_err(e)?;
    }
    let deadline = Instant::now() + duration;
    let handles: Vec<_> = (0..connections)
        .map(|_| {
            let uri = uri.to_string();
            let db = ctx.db.clone();
            std::thread::spawn(move || -> Res<u64> {
                let mut c = client::connect(&uri)?;
                let mut calls = 0u64;
                while Instant::now() < deadline {
                    c.get_table(db.clone(), "read_t0".into()).map_err(e)?;
                    calls += 1;
                }
                Ok(calls)
            })
        })
        .collect();
    let start = Instant::now();
    let mut total = 0u64;
    for h in handles {
        total += h.join().map_err(|_| "a client thread panicked".to_string())??;
    }
    #[allow(clippy::cast_precision_loss)]
    Ok(total as f64 / start.elapsed().as_secs_f64().max(duration.as_secs_f64()))
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The memory high-water mark of a server process on this machine (Linux `/proc`).
#[derive(Debug, Clone, Copy)]
pub struct PeakRss {
    pid: u32,
}

impl PeakRss {
    /// Watch process `pid`; fails when its `/proc` status cannot be read.
    pub fn new(pid: u32) -> Res<Self> {
        let probe = Self { pid };
        probe.peak_kb()?;
        Ok(probe)
    }

    /// Reset the high-water mark to the current resident size (`5` into `clear_refs`).
    pub fn reset(&self) -> Res<()> {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5")
            .map_err(|err| format!("reset peak RSS of process {}: {err}", self.pid))
    }

    /// The high-water mark since the last reset (`VmHWM`), in KiB.
    pub fn peak_kb(&self) -> Res<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .map_err(|err| format!("read /proc/{}/status: {err}", self.pid))?;
        parse_hwm(&status).ok_or_else(|| format!("no VmHWM in /proc/{}/status", self.pid))
    }
}

fn parse_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One step of a scale run: its name, its time, and the server's peak RSS during it (KiB),
/// when watched.
pub type ScaleStep = (String, f64, Option<u64>);

/// Times one step at a time, and resets and reads the server's peak RSS around each.
struct Steps {
    rss: Option<PeakRss>,
    rows: Vec<ScaleStep>,
}

impl Steps {
    fn run<T>(&mut self, f: impl FnOnce() -> Res<(String, T)>) -> Res<T> {
        if let Some(rss) = &self.rss {
            rss.reset()?;
        }
        let start = Instant::now();
        let (name, out) = f()?;
        let secs = start.elapsed().as_secs_f64();
        let peak = self.rss.as_ref().map(PeakRss::peak_kb).transpose()?;
        self.rows.push((name, secs, peak));
        Ok(out)
    }
}

/// Scale run: one table with `n` partitions added in batches of `batch`, then the full listings.
/// Returns one row per step: the whole add, `get_partition_names` of all, 1,000 partitions read
/// by name, swapped in one `alter_partitions` and read by a range filter, `get_partitions` of
/// all, and the drop; with `rss`, each row has the server's peak RSS during that step.
pub fn scale(uri: &str, ctx: &Ctx, n: usize, batch: usize, rss: Option<PeakRss>) -> Res<Vec<ScaleStep>> {
    let mut c = connect_in(uri, ctx)?;
    let table = fresh(&mut c, ctx, &format!("scale{n}"))?;
    let mut steps = Steps { rss, rows: Vec::new() };
    steps.run(|| {
        let mut i = 0;
        while i < n {
            let end = (i + batch).min(n);
            let parts =
                (i..end).map(|j| client::partition(&ctx.db, &table, &ctx.data_root, &client::part_value(j))).collect();
            c.add_partitions(parts).map_err(e)?;
            i = end;
        }
        Ok((format!("add_partitions.{n} (batches of {batch})"), ()))
    })?;
    let names = steps.run(|| {
        let names = c.get_partition_names(ctx.db.clone(), table.clone(), -1).map_err(e)?;
        Ok((format!("get_partition_names.{n}"), names.len()))
    })?;
    if names != n {
        return Err(format!("expected {n} partition names, got {names}"));
    }
    // Calls that touch 1,000 partitions of the big table: their cost should not grow with it.
    let picked: Vec<String> =
        (0..1000.min(n)).map(|k| format!("ds={}", client::part_value(k * (n / 1000).max(1)))).collect();
    let count = picked.len();
    let mut some = steps.run(|| {
        let some = c.get_partitions_by_names(ctx.db.clone(), table.clone(), picked).map_err(e)?;
        Ok((format!("get_partitions_by_names, {} of {n}", thousands(count)), some))
    })?;
    if some.len() != count {
        return Err(format!("expected {count} partitions, got {}", some.len()));
    }
    for p in &mut some {
        swap_location(p, 1);
    }
    steps.run(|| {
        c.alter_partitions(ctx.db.clone(), table.clone(), some).map_err(e)?;
        Ok((format!("alter_partitions (swaps), {} of {n}", thousands(count)), ()))
    })?;
    let filter = format!("ds >= \"{}\" and ds < \"{}\"", client::part_value(n / 2), client::part_value(n / 2 + 1000));
    steps.run(|| {
        let ranged = c.get_partitions_by_filter(ctx.db.clone(), table.clone(), filter, -1).map_err(e)?;
        Ok((format!("get_partitions_by_filter, {} of {n}", thousands(ranged.len())), ()))
    })?;
    let all = steps.run(|| {
        let parts = c.get_partitions(ctx.db.clone(), table.clone(), -1).map_err(e)?;
        Ok((format!("get_partitions.{n}"), parts.len()))
    })?;
    if all != n {
        return Err(format!("expected {n} partitions, got {all}"));
    }
    steps.run(|| {
        c.drop_table(ctx.db.clone(), table.clone(), true).map_err(e)?;
        Ok((format!("drop_table_with_partitions.{n}"), ()))
    })?;
    let _ = c.drop_database(ctx.db.clone(), true, true);
    Ok(steps.rows)
}

/// What the location history costs a batch write, measured as [`history_overhead`] does
/// (`strata bench --history-overhead N --json` prints it as it serializes).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HistoryOverhead {
    /// Partitions per call.
    pub n: usize,
    /// Measured rounds (one call of each kind per round).
    pub rounds: usize,
    /// Median milliseconds of `alter_partitions` swapping every location (one history entry
    /// per partition).
    pub swaps_median_ms: f64,
    /// Median milliseconds of `alter_partitions` changing a parameter only (no history).
    pub in_place_median_ms: f64,
    /// Median over the rounds of each round's `swap / in place - 1`, in percent.
    pub overhead_pct: f64,
}

/// The cost of the history on `alter_partitions` of `n` partitions: each round times one call
/// that swaps every location (the batch pattern's write, recorded in the history) and one that
/// changes a parameter only (same rows updated, nothing recorded) on a twin table, back to back
/// and in alternating order, so that the machine's drift over the run weighs on both alike.
/// The first `warmup` rounds are not counted.
pub fn history_overhead(uri: &str, ctx: &Ctx, n: usize, rounds: usize, warmup: usize) -> Res<HistoryOverhead> {
    let mut c = connect_in(uri, ctx)?;
    let swapped = fresh(&mut c, ctx, &format!("hist_swap{n}"))?;
    let in_place = fresh(&mut c, ctx, &format!("hist_param{n}"))?;
    add(&mut c, ctx, &swapped, 0, n)?;
    add(&mut c, ctx, &in_place, 0, n)?;
    let (mut swaps, mut params, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..warmup + rounds {
        let mut parts = c.get_partitions(ctx.db.clone(), swapped.clone(), -1).map_err(e)?;
        for p in &mut parts {
            swap_location(p, round);
        }
        let mut same = c.get_partitions(ctx.db.clone(), in_place.clone(), -1).map_err(e)?;
        for p in &mut same {
            p.parameters.get_or_insert_with(Default::default).insert("bench.rep".into(), round.to_string());
        }
        let mut calls = [(swapped.clone(), parts), (in_place.clone(), same)];
        if round % 2 == 1 {
            calls.reverse();
        }
        let mut took = Vec::with_capacity(2);
        for (table, parts) in calls {
            let swap = table == swapped;
            took.push((swap, time(|| c.alter_partitions(ctx.db.clone(), table, parts))?));
        }
        let pick = |want: bool| took.iter().find(|(swap, _)| *swap == want).map(|(_, d)| *d).unwrap_or_default();
        let (d_swap, d_param) = (pick(true), pick(false));
        if round >= warmup {
            swaps.push(d_swap.as_secs_f64() * 1e3);
            params.push(d_param.as_secs_f64() * 1e3);
            ratios.push((d_swap.as_secs_f64() / d_param.as_secs_f64() - 1.0) * 100.0);
        }
    }
    let history = c.get_partitions(ctx.db.clone(), swapped.clone(), 1).map_err(e)?;
    if history.first().and_then(|p| p.sd.as_ref()?.location.as_deref()).is_none_or(|l| !l.contains("/batch=")) {
        return Err("the swapped table's partitions did not move to their batch directories".into());
    }
    drop_table(&mut c, ctx, &swapped)?;
    drop_table(&mut c, ctx, &in_place)?;
    let _ = c.drop_database(ctx.db.clone(), true, true);
    Ok(HistoryOverhead {
        n,
        rounds,
        swaps_median_ms: median(&mut swaps),
        in_place_median_ms: median(&mut params),
        overhead_pct: median(&mut ratios),
    })
}

/// The median of a non-empty sample (0 for none).
fn median(xs: &mut [f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_by(f64::total_cmp);
    let mid = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[mid]
    } else {
        (xs[mid - 1] + xs[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn median_of_odd_even_and_empty_samples() {
        assert!((super::median(&mut [3.0, 1.0, 2.0]) - 2.0).abs() < f64::EPSILON);
        assert!((super::median(&mut [4.0, 1.0, 3.0, 2.0]) - 2.5).abs() < f64::EPSILON);
        assert!(super::median(&mut []).abs() < f64::EPSILON);
    }

    #[test]
    fn reads_the_high_water_mark() {
        let status = "Name:\tstrata\nVmPeak:\t  900 kB\nVmHWM:\t   64408 kB\nVmRSS:\t   30292 kB\n";
        assert_eq!(super::parse_hwm(status), Some(64_408));
        assert_eq!(super::parse_hwm("VmRSS:\t1 kB\n"), None);
    }

    #[test]
    fn watches_its_own_process() {
        let probe = super::PeakRss::new(std::process::id()).unwrap();
        let before = probe.peak_kb().unwrap();
        assert!(before > 0);
        // Resetting may be refused without privileges; reading never is.
        if probe.reset().is_ok() {
            assert!(probe.peak_kb().unwrap() <= before);
        }
        assert!(super::PeakRss::new(u32::MAX).is_err());
    }
}
