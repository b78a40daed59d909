//! The copy engine: compare a source and a target object by object and write what differs
//! (`Mode::Copy`), or only count it (`Mode::DryRun`) or list it (`Mode::Verify`).
//!
//! Order: databases and their functions first, then tables by `--concurrency` worker threads,
//! each with its own connections. A table's partitions are read in pages: every name with
//! one `get_partition_names`, then `get_partitions_by_names` (and the partitions' column
//! statistics) a page at a time, each page compared with the target's same page and written in
//! one call. So memory holds the names and one page, and an interrupted copy leaves whole pages
//! behind: running it again adds the missing ones (it is idempotent).
//!
//! Nothing on storage is read or written: locations are copied as they are.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Mutex,
    time::Instant,
};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use strata_core::{
    model::{Partition, Table},
    names::NamePattern,
    partname,
};

use crate::{endpoint::Endpoint, normal, Connect, Error};

/// What a run does with the differences it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Write them to the target.
    Copy,
    /// Count what a copy would write; write nothing.
    DryRun,
    /// List them (normalised for what legitimately differs); write nothing.
    Verify,
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// HMS pattern of the databases (`*` any, `|` alternatives); `None`: all.
    pub databases: Option<String>,
    /// HMS pattern of the tables; `None`: all.
    pub tables: Option<String>,
    /// Tables copied at once.
    pub concurrency: usize,
    /// Partitions per page.
    pub page: usize,
    /// Show progress bars on stderr.
    pub progress: bool,
    /// Drop in the target what the source no longer has (tables and partitions that were
    /// copied in and not changed since): what `--watch` does. A plain import never drops.
    pub drop_missing: bool,
    /// Skip reading the partitions of a table whose definition is unchanged and whose
    /// partition names are the same on both sides (the re-diff of `--watch`).
    pub quick: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            databases: None,
            tables: None,
            concurrency: 4,
            page: 1000,
            progress: false,
            drop_missing: false,
            quick: false,
        }
    }
}

/// Which objects a run looks at.
#[derive(Debug, Clone, Default)]
pub enum Scope {
    /// Every database and table the patterns select.
    #[default]
    All,
    /// Only these databases (`None` table: the database itself, its functions and its list
    /// of tables) and tables.
    Only(Vec<(String, Option<String>)>),
}

/// How many objects of one kind a run created, updated, left, dropped.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Not in the target before.
    pub created: u64,
    /// Differed; replaced by the source's.
    pub updated: u64,
    /// Already equal.
    pub unchanged: u64,
    /// Dropped because the source no longer has them.
    pub dropped: u64,
    /// Only in the target (left alone).
    pub only_in_target: u64,
    /// Changed in the target since they were copied: reported, not overwritten.
    pub conflicts: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.created += o.created;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.dropped += o.dropped;
        self.only_in_target += o.only_in_target;
        self.conflicts += o.conflicts;
    }

    /// Objects the source has (created + updated + unchanged + conflicts).
    #[must_use]
    pub fn seen(&self) -> u64 {
        self.created + self.updated + self.unchanged + self.conflicts
    }
}

/// One difference between source and target.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Difference {
    /// `db`, `db.table`, `db.table/k=v`, `db.fn()`, with ` stats` for statistics.
    pub object: String,
    /// The field (`sd.location`), or `missing in target` / `only in target` / `conflict`.
    pub field: String,
    /// The source's value.
    pub source: String,
    /// The target's value.
    pub target: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The mode.
    pub mode: Option<Mode>,
    /// Databases.
    pub databases: Counts,
    /// Tables (not views).
    pub tables: Counts,
    /// Views.
    pub views: Counts,
    /// Partitions.
    pub partitions: Counts,
    /// Functions.
    pub functions: Counts,
    /// Table-level column statistics (one per table that has some).
    pub table_stats: Counts,
    /// Partition-level column statistics (one per partition that has some).
    pub partition_stats: Counts,
    /// The differences found (verify, dry run) and the conflicts (copy).
    pub differences: Vec<Difference>,
    /// Tables that failed, with the error (the others were done).
    pub errors: Vec<String>,
    /// The source's notification event id before the run began (0: none).
    pub source_event_id: i64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Partitions looked at per second.
    pub partitions_per_second: f64,
}

impl Report {
    fn merge(&mut self, o: Report) {
        self.databases.add(&o.databases);
        self.tables.add(&o.tables);
        self.views.add(&o.views);
        self.partitions.add(&o.partitions);
        self.functions.add(&o.functions);
        self.table_stats.add(&o.table_stats);
        self.partition_stats.add(&o.partition_stats);
        self.differences.extend(o.differences);
        self.errors.extend(o.errors);
    }

    /// Whether the target already equalled the source (nothing written or to write, no
    /// difference, no error).
    #[must_use]
    pub fn clean(&self) -> bool {
        self.differences.is_empty()
            && self.errors.is_empty()
            && [
                self.databases,
                self.tables,
                self.views,
                self.partitions,
                self.functions,
                self.table_stats,
                self.partition_stats,
            ]
            .iter()
            .all(|c| c.created + c.updated + c.dropped + c.conflicts + c.only_in_target == 0)
    }

    fn diff(&mut self, object: impl Into<String>, field: impl Into<String>, source: String, target: String) {
        self.differences.push(Difference { object: object.into(), field: field.into(), source, target });
    }
}

/// Remembers, across the runs of a `--watch`, each table as it was right after it was copied,
/// so a later change on the target side is recognised (and reported instead of overwritten).
#[derive(Debug, Default)]
pub struct Fingerprints(Mutex<HashMap<(String, String), Table>>);

impl Fingerprints {
    fn get(&self, db: &str, name: &str) -> Option<Table> {
        self.0.lock().ok()?.get(&(db.to_string(), name.to_string())).cloned()
    }

    fn set(&self, db: &str, name: &str, t: Option<Table>) {
        if let Ok(mut m) = self.0.lock() {
            match t {
                Some(t) => m.insert((db.to_string(), name.to_string()), normal::table(t)),
                None => m.remove(&(db.to_string(), name.to_string())),
            };
        }
    }
}

struct Ctx<'a> {
    mode: Mode,
    options: &'a Options,
    fingerprints: Option<&'a Fingerprints>,
    bars: MultiProgress,
}

/// Run the copy (or dry run, or verify) from `source` to `target`.
pub fn run(
    source: &Connect,
    target: &Connect,
    options: &Options,
    mode: Mode,
    scope: &Scope,
    fingerprints: Option<&Fingerprints>,
) -> Result<Report, Error> {
    let started = Instant::now();
    let mut src = source()?;
    let mut dst = target()?;
    let bars = MultiProgress::with_draw_target(if options.progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let ctx = Ctx { mode, options, fingerprints, bars };
    let mut report = Report { mode: Some(mode), ..Report::default() };
    report.source_event_id = src.current_event_id().unwrap_or(0);

    let db_pattern = NamePattern::new(options.databases.as_deref())?;
    let table_pattern = NamePattern::new(options.tables.as_deref())?;
    // The databases to look at and, per database, `None` (every table) or the named ones.
    let mut plan: BTreeMap<String, Option<HashSet<String>>> = BTreeMap::new();
    match scope {
        Scope::All => {
            for db in src.database_names()? {
                if db_pattern.matches(&db) {
                    plan.insert(db.to_lowercase(), None);
                }
            }
        }
        Scope::Only(items) => {
            for (db, table) in items {
                if !db_pattern.matches(db) {
                    continue;
                }
                match table {
                    None => {
                        plan.insert(db.clone(), None);
                    }
                    Some(t) => {
                        if let Some(set) = plan.entry(db.clone()).or_insert_with(|| Some(HashSet::new())) {
                            set.insert(t.clone());
                        }
                    }
                }
            }
        }
    }

    let mut jobs: Vec<(String, String)> = Vec::new();
    for (db, only) in &plan {
        let exists = match sync_database(&ctx, src.as_mut(), dst.as_mut(), db, only.is_none(), &mut report) {
            Ok(e) => e,
            Err(e) => {
                report.errors.push(format!("{db}: {e}"));
                continue;
            }
        };
        match only {
            Some(names) => jobs.extend(names.iter().map(|t| (db.clone(), t.clone()))),
            None if exists => {
                let mut names: Vec<String> = src.table_names(db)?.into_iter().map(|t| t.to_lowercase()).collect();
                names.retain(|t| table_pattern.matches(t));
                let theirs: HashSet<String> = names.iter().cloned().collect();
                if dst.database(db)?.is_some() {
                    for t in dst.table_names(db)? {
                        if table_pattern.matches(&t) && !theirs.contains(&t) {
                            // Gone from the source (or never there): the table job decides.
                            names.push(t);
                        }
                    }
                }
                jobs.extend(names.into_iter().map(|t| (db.clone(), t)));
            }
            None => {}
        }
    }
    drop(src);
    drop(dst);

    let overall = ctx.bars.add(ProgressBar::new(jobs.len() as u64));
    overall.set_style(
        ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} tables {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    overall.set_prefix(match mode {
        Mode::Copy => "copying",
        Mode::DryRun => "dry run",
        Mode::Verify => "verifying",
    });
    let queue = Mutex::new(jobs.into_iter());
    let shared = Mutex::new(Report::default());
    let workers = options.concurrency.max(1);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut ends: Option<(Box<dyn Endpoint>, Box<dyn Endpoint>)> = None;
                // The guard is consumed by `and_then`: the queue is unlocked during the body.
                while let Some((db, name)) = queue.lock().ok().and_then(|mut q| q.next()) {
                    let mut local = Report::default();
                    let result = (|| -> Result<(), Error> {
                        if ends.is_none() {
                            ends = Some((source()?, target()?));
                        }
                        let (s, d) = ends.as_mut().expect("connected above");
                        sync_table(&ctx, s.as_mut(), d.as_mut(), &db, &name, &mut local)
                    })();
                    if let Err(e) = result {
                        // A failed connection is not reused.
                        ends = None;
                        local.errors.push(format!("{db}.{name}: {e}"));
                    }
                    overall.inc(1);
                    if let Ok(mut r) = shared.lock() {
                        r.merge(local);
                    }
                }
            });
        }
    });
    overall.finish_and_clear();
    if let Ok(r) = shared.into_inner() {
        report.merge(r);
    }
    report.seconds = started.elapsed().as_secs_f64();
    report.partitions_per_second =
        if report.seconds > 0.0 { report.partitions.seen() as f64 / report.seconds } else { 0.0 };
    Ok(report)
}

/// The database itself and its functions. Returns whether the source has it.
fn sync_database(
    ctx: &Ctx<'_>,
    src: &mut dyn Endpoint,
    dst: &mut dyn Endpoint,
    db: &str,
    with_functions: bool,
    report: &mut Report,
) -> Result<bool, Error> {
    let Some(s) = src.database(db)? else {
        if dst.database(db)?.is_some() {
            report.databases.only_in_target += 1;
            if ctx.mode == Mode::Verify {
                report.diff(db, "only in target", String::new(), "exists".into());
            }
        }
        return Ok(false);
    };
    let d = dst.database(db)?;
    let same = match (&d, ctx.mode) {
        (None, _) => false,
        (Some(d), Mode::Verify) => {
            let (a, b) = normal::database_pair(s.clone(), d.clone());
            for (f, x, y) in normal::diff(&a, &b) {
                report.diff(db, f, x, y);
            }
            a == b
        }
        (Some(d), _) => normal::database(s.clone()) == normal::database(d.clone()),
    };
    if same {
        report.databases.unchanged += 1;
    } else {
        if d.is_none() {
            report.databases.created += 1;
            if ctx.mode == Mode::Verify {
                report.diff(db, "missing in target", "exists".into(), String::new());
            }
        } else {
            report.databases.updated += 1;
        }
        if ctx.mode == Mode::Copy {
            dst.put_database(s, d.is_some())?;
        }
    }
    if !with_functions {
        return Ok(true);
    }
    let theirs: BTreeMap<String, _> = match d.is_some() || ctx.mode == Mode::Copy {
        true => dst.functions(db)?.into_iter().map(|f| (f.name.to_lowercase(), f)).collect(),
        false => BTreeMap::new(),
    };
    let mut seen = HashSet::new();
    for f in src.functions(db)? {
        let name = f.name.to_lowercase();
        seen.insert(name.clone());
        let object = format!("{db}.{name}()");
        match theirs.get(&name) {
            Some(g) if normal::function(f.clone()) == normal::function(g.clone()) => report.functions.unchanged += 1,
            other => {
                if ctx.mode == Mode::Verify {
                    match other {
                        None => report.diff(object, "missing in target", "exists".into(), String::new()),
                        Some(g) => {
                            for (fld, x, y) in normal::diff(&normal::function(f.clone()), &normal::function(g.clone()))
                            {
                                report.diff(object.clone(), fld, x, y);
                            }
                        }
                    }
                }
                if other.is_some() {
                    report.functions.updated += 1;
                } else {
                    report.functions.created += 1;
                }
                if ctx.mode == Mode::Copy {
                    dst.put_function(f, other.is_some())?;
                }
            }
        }
    }
    for name in theirs.keys().filter(|n| !seen.contains(*n)) {
        report.functions.only_in_target += 1;
        if ctx.mode == Mode::Verify {
            report.diff(format!("{db}.{name}()"), "only in target", String::new(), "exists".into());
        }
    }
    Ok(true)
}

fn key_names(t: &Table) -> Vec<String> {
    t.partition_keys.iter().map(|k| k.name.to_lowercase()).collect()
}

fn part_name(keys: &[String], p: &Partition) -> String {
    partname::make_part_name(keys, &p.values).unwrap_or_default()
}

/// One table: its definition, its partitions page by page, their statistics and its own.
fn sync_table(
    ctx: &Ctx<'_>,
    src: &mut dyn Endpoint,
    dst: &mut dyn Endpoint,
    db: &str,
    name: &str,
    report: &mut Report,
) -> Result<(), Error> {
    let object = format!("{db}.{name}");
    let s = src.table(db, name)?;
    let d = dst.table(db, name)?;
    let Some(s) = s else {
        // Only in the target.
        let Some(d) = d else { return Ok(()) };
        let counts = if d.is_view() { &mut report.views } else { &mut report.tables };
        let copied = ctx.fingerprints.and_then(|f| f.get(db, name));
        if ctx.mode == Mode::Copy && ctx.options.drop_missing && copied.is_some() {
            if copied == Some(normal::table(d.clone())) {
                dst.drop_table(db, name)?;
                counts.dropped += 1;
                if let Some(f) = ctx.fingerprints {
                    f.set(db, name, None);
                }
            } else {
                counts.conflicts += 1;
                report.diff(object, "conflict", "dropped".into(), "changed in target since the copy".into());
            }
        } else {
            counts.only_in_target += 1;
            if ctx.mode == Mode::Verify {
                report.diff(object, "only in target", String::new(), "exists".into());
            }
        }
        return Ok(());
    };
    let is_view = s.is_view();
    let mut table_same = false;
    match (&d, ctx.mode) {
        (None, _) => {
            if ctx.mode == Mode::Verify {
                report.diff(&object, "missing in target", "exists".into(), String::new());
            }
            count(report, is_view).created += 1;
        }
        (Some(d), Mode::Verify) => {
            let (a, b) = normal::table_pair(s.clone(), d.clone());
            let diffs = normal::diff(&a, &b);
            table_same = diffs.is_empty();
            for (f, x, y) in diffs {
                report.diff(&object, f, x, y);
            }
            if table_same {
                count(report, is_view).unchanged += 1;
            } else {
                count(report, is_view).updated += 1;
            }
        }
        (Some(d), _) => {
            table_same = normal::table(s.clone()) == normal::table(d.clone());
            if table_same {
                count(report, is_view).unchanged += 1;
            } else {
                let copied = ctx.fingerprints.and_then(|f| f.get(db, name));
                if copied.is_some_and(|c| c != normal::table(d.clone())) {
                    count(report, is_view).conflicts += 1;
                    report.diff(
                        &object,
                        "conflict",
                        "changed in source".into(),
                        "changed in target since the copy".into(),
                    );
                    return Ok(());
                }
                count(report, is_view).updated += 1;
            }
        }
    }
    if !table_same && ctx.mode == Mode::Copy {
        dst.put_table(s.clone(), d.is_some())?;
    }
    if ctx.mode == Mode::Copy {
        if let Some(f) = ctx.fingerprints {
            f.set(db, name, dst.table(db, name)?);
        }
    }
    // In a dry run the table may not exist in the target yet: read nothing more from it.
    let target_has_table = d.is_some();
    if !is_view && !s.partition_keys.is_empty() {
        sync_partitions(ctx, src, dst, &s, target_has_table, table_same, report)?;
    }
    if !is_view {
        let ss = normal::stats(src.table_stats(&s)?);
        let ds =
            if target_has_table || ctx.mode == Mode::Copy { normal::stats(dst.table_stats(&s)?) } else { Vec::new() };
        stats_one(ctx, dst, &s, None, ss, ds, &mut |r| &mut r.table_stats, report)?;
    }
    Ok(())
}

fn count(report: &mut Report, is_view: bool) -> &mut Counts {
    if is_view {
        &mut report.views
    } else {
        &mut report.tables
    }
}

/// Compare (and write) the column statistics of one table or partition.
#[allow(clippy::too_many_arguments)]
fn stats_one(
    ctx: &Ctx<'_>,
    dst: &mut dyn Endpoint,
    table: &Table,
    part: Option<&str>,
    s: Vec<strata_core::model::ColumnStats>,
    d: Vec<strata_core::model::ColumnStats>,
    which: &mut dyn FnMut(&mut Report) -> &mut Counts,
    report: &mut Report,
) -> Result<(), Error> {
    if s.is_empty() {
        if !d.is_empty() {
            which(report).only_in_target += 1;
        }
        return Ok(());
    }
    if s == d {
        which(report).unchanged += 1;
        return Ok(());
    }
    if d.is_empty() {
        which(report).created += 1;
    } else {
        which(report).updated += 1;
    }
    if ctx.mode == Mode::Verify {
        let object = match part {
            Some(p) => format!("{}.{}/{p} stats", table.db_name, table.name),
            None => format!("{}.{} stats", table.db_name, table.name),
        };
        let (a, b) = (normal::stats_by_column(s.clone()), normal::stats_by_column(d));
        for (f, x, y) in normal::diff(&a, &b) {
            report.diff(object.clone(), f, x, y);
        }
    }
    if ctx.mode == Mode::Copy {
        dst.put_stats(table, part, s)?;
    }
    Ok(())
}

fn sync_partitions(
    ctx: &Ctx<'_>,
    src: &mut dyn Endpoint,
    dst: &mut dyn Endpoint,
    table: &Table,
    target_has_table: bool,
    table_same: bool,
    report: &mut Report,
) -> Result<(), Error> {
    let (db, name) = (table.db_name.to_lowercase(), table.name.to_lowercase());
    let object = format!("{db}.{name}");
    let keys = key_names(table);
    let source_names = src.partition_names(&db, &name)?;
    let mut target_names: HashSet<String> =
        if target_has_table { dst.partition_names(&db, &name)?.into_iter().collect() } else { HashSet::new() };
    if ctx.options.quick
        && table_same
        && source_names.len() == target_names.len()
        && source_names.iter().all(|n| target_names.contains(n))
    {
        report.partitions.unchanged += source_names.len() as u64;
        return Ok(());
    }
    let bar = ctx.bars.add(ProgressBar::new(source_names.len() as u64));
    bar.set_style(
        ProgressStyle::with_template("{prefix:>40} [{bar:30}] {pos}/{len} partitions {per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(object.clone());
    // Partitions changed on the target side since they were copied (read once, when needed).
    let mut changed_here: Option<Option<HashSet<String>>> = None;
    for page in source_names.chunks(ctx.options.page.max(1)) {
        let theirs: Vec<String> = page.iter().filter(|n| target_names.contains(*n)).cloned().collect();
        let mut existing: HashMap<String, Partition> =
            dst.partitions(&db, &name, &theirs)?.into_iter().map(|p| (part_name(&keys, &p), p)).collect();
        let (mut new, mut changed) = (Vec::new(), Vec::new());
        for p in src.partitions(&db, &name, page)? {
            let pname = part_name(&keys, &p);
            target_names.remove(&pname);
            match existing.remove(&pname) {
                None => {
                    report.partitions.created += 1;
                    if ctx.mode == Mode::Verify {
                        report.diff(format!("{object}/{pname}"), "missing in target", "exists".into(), String::new());
                    }
                    new.push(p);
                }
                Some(d) => {
                    let same = if ctx.mode == Mode::Verify {
                        let (a, b) = normal::partition_pair(p.clone(), d);
                        let diffs = normal::diff(&a, &b);
                        for (f, x, y) in &diffs {
                            report.diff(format!("{object}/{pname}"), f.clone(), x.clone(), y.clone());
                        }
                        diffs.is_empty()
                    } else {
                        normal::partition(p.clone()) == normal::partition(d)
                    };
                    if same {
                        report.partitions.unchanged += 1;
                        continue;
                    }
                    if ctx.mode == Mode::Copy {
                        let here = match &changed_here {
                            Some(h) => h,
                            None => changed_here.insert(dst.changed_here(table)?),
                        };
                        if here.as_ref().is_some_and(|h| h.contains(&pname)) {
                            report.partitions.conflicts += 1;
                            report.diff(
                                format!("{object}/{pname}"),
                                "conflict",
                                "changed in source".into(),
                                "changed in target since the copy".into(),
                            );
                            continue;
                        }
                    }
                    report.partitions.updated += 1;
                    changed.push(p);
                }
            }
        }
        // Names the source listed but no longer has (dropped meanwhile) are simply skipped.
        for n in page {
            target_names.remove(n);
        }
        if ctx.mode == Mode::Copy && (!new.is_empty() || !changed.is_empty()) {
            dst.put_partitions(table, new, changed)?;
        }
        // Partition statistics of the page.
        let ss = src.partition_stats(table, page)?;
        if !ss.is_empty() {
            let mut ds = if target_has_table || ctx.mode == Mode::Copy {
                dst.partition_stats(table, page)?
            } else {
                BTreeMap::new()
            };
            for (pname, s) in ss {
                let d = ds.remove(&pname).unwrap_or_default();
                stats_one(
                    ctx,
                    dst,
                    table,
                    Some(&pname),
                    normal::stats(s),
                    normal::stats(d),
                    &mut |r| &mut r.partition_stats,
                    report,
                )?;
            }
        }
        bar.inc(page.len() as u64);
    }
    bar.finish_and_clear();
    ctx.bars.remove(&bar);
    // What is left is only in the target.
    if target_names.is_empty() {
        return Ok(());
    }
    let mut extra: Vec<String> = target_names.into_iter().collect();
    extra.sort();
    if ctx.mode == Mode::Copy && ctx.options.drop_missing {
        let here = match changed_here {
            Some(h) => h,
            None => dst.changed_here(table)?,
        };
        let (mine, theirs): (Vec<String>, Vec<String>) =
            extra.into_iter().partition(|n| here.as_ref().is_some_and(|h| !h.contains(n)));
        for n in &theirs {
            report.partitions.conflicts += 1;
            report.diff(
                format!("{object}/{n}"),
                "conflict",
                "dropped".into(),
                "changed in target since the copy".into(),
            );
        }
        report.partitions.dropped += mine.len() as u64;
        for chunk in mine.chunks(ctx.options.page.max(1)) {
            dst.drop_partitions(table, chunk.to_vec())?;
        }
    } else {
        report.partitions.only_in_target += extra.len() as u64;
        if ctx.mode == Mode::Verify {
            for n in extra {
                report.diff(format!("{object}/{n}"), "only in target", String::new(), "exists".into());
            }
        }
    }
    Ok(())
}
