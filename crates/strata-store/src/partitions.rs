//! Partitions, shared by both stores: the typed forms of key values, descriptor shapes of a
//! batch, the translation of a [`PartitionQuery`] into SQL (filter pushdown), and the in-memory
//! re-check for the few filters SQL cannot express exactly.
//!
//! # Pushdown
//!
//! Each partition key the query uses is joined once (`k<i>`: the `partition_key_values` row of
//! key index `i`), and the filter becomes a boolean expression over those rows, every literal a
//! bound parameter. String keys compare `value` (bytewise: `COLLATE "C"` / SQLite `BINARY`),
//! integer keys `int_value`, date keys `date_value`: typed forms computed in Rust when the row
//! is written ([`int_value`], [`date_value`]), NULL when the value is none (the default
//! partition, `x`, `2024-02-30`), so no text is parsed in SQL and NULL never matches.
//!
//! The filter language has no `NOT`: every filter is monotone in its leaves. So SQL's
//! three-valued logic gives the same rows as [`Expr::eval`]'s two-valued one (a NULL leaf is as
//! good as false), and a leaf SQL cannot express exactly may be replaced by TRUE (a superset)
//! and the rows re-checked in memory with [`Expr::matcher`] ([`Selection::recheck`]). That is
//! done for `LIKE` patterns outside a plain subset (the pattern is a Rust regex; PostgreSQL's
//! regex dialect and SQLite's `GLOB` agree with it only on that subset) and for filters too
//! large for one statement. `max` becomes a `LIMIT` only when nothing is re-checked.

use std::collections::{BTreeMap, HashMap};

use strata_core::{
    batch,
    error::msg,
    filter::{parse_date, Expr, KeyType, Literal, Matcher, Value},
    location,
    model::{HistoryEntry, Partition, StorageDescriptor},
    partname::DEFAULT_PARTITION_NAME,
    time::EpochSeconds,
    CatalogError, Result,
};

use crate::{
    api::{PartitionQuery, Placement},
    dialect::{Bind, Dialect},
    errors::internal,
    rows::{into_models, shape_hash, to_json, PartRow, Shapes},
};

// ------------------------------------------------------------------ errors

/// `NoSuchObject` for a missing table.
pub(crate) fn no_table(db: &str, table: &str) -> CatalogError {
    CatalogError::NoSuchObject(msg::table_not_found(db, table))
}

/// `AlreadyExists` for a partition name that is taken.
pub(crate) fn already_exists(name: &str) -> CatalogError {
    CatalogError::AlreadyExists(format!("Partition already exists: {name}"))
}

/// `InvalidOperation` of `alter_partitions` for a missing partition.
pub(crate) fn not_found_for_alter(db: &str, table: &str, name: &str) -> CatalogError {
    CatalogError::NoSuchObject(format!("partition {name} of {db}.{table} does not exist"))
}

/// `(id, part_name, location, create_time)` rows by partition name.
pub(crate) fn placements(rows: Vec<(i64, String, Option<String>, i32)>) -> HashMap<String, (i64, Placement)> {
    rows.into_iter()
        .map(|(id, name, location, create_time)| {
            (name, (id, Placement { location, create_time: EpochSeconds(create_time) }))
        })
        .collect()
}

/// `NoSuchObject` of `drop_partitions` and `rename_partition` for a missing partition.
pub(crate) fn doesnt_exist(name: &str) -> CatalogError {
    CatalogError::NoSuchObject(format!("Partition doesn't exist. {name}"))
}

// ------------------------------------------------------------------ location swaps

/// The history rows of an `alter_partitions`, completed under the partitions' row locks, so
/// that concurrent writers keep the chain exact: a row that names an altered partition gets the
/// partition's location at that moment as `previous_location` (a name given twice chains), and
/// a row whose location does not change is dropped. Other rows pass through unchanged.
/// `current` maps partition names to their locked locations. The rows are completed in place
/// (a 10,000-partition call does not hold a second copy of them).
pub(crate) fn complete_swap_history(
    mut history: Vec<HistoryEntry>,
    current: impl Fn(&str) -> Option<Option<String>>,
) -> Vec<HistoryEntry> {
    /// What becomes of one row.
    enum Fate {
        /// Not a swap of an altered partition: kept as it is.
        Keep,
        /// The location does not change: dropped.
        Drop,
        /// A swap from this location.
        Swap(Option<String>),
    }
    let mut fate = Vec::with_capacity(history.len());
    {
        // The location each partition has after the rows so far (borrowed from the rows).
        let mut at: HashMap<&str, Option<&str>> = HashMap::new();
        for h in &history {
            let Some(name) = h.partition_name.as_deref() else {
                fate.push(Fate::Keep);
                continue;
            };
            let previous = match at.get(name) {
                Some(loc) => loc.map(str::to_string),
                None => match current(name) {
                    Some(loc) => loc,
                    None => {
                        fate.push(Fate::Keep);
                        continue;
                    }
                },
            };
            let unchanged = match (&previous, &h.new_location) {
                (Some(p), Some(n)) => batch::same_location(Some(p), n),
                (None, None) => true,
                _ => false,
            };
            if unchanged {
                fate.push(Fate::Drop);
                continue;
            }
            at.insert(name, h.new_location.as_deref());
            fate.push(Fate::Swap(previous));
        }
    }
    let mut fate = fate.into_iter();
    history.retain_mut(|h| match fate.next() {
        Some(Fate::Keep) | None => true,
        Some(Fate::Drop) => false,
        Some(Fate::Swap(previous)) => {
            h.previous_location = previous;
            true
        }
    });
    history
}

/// The locations swaps move to, each spelled with and without a trailing slash (how the
/// stores look them up).
pub(crate) fn swap_targets(swaps: &[HistoryEntry]) -> Vec<String> {
    let mut out = Vec::with_capacity(swaps.len() * 2);
    for to in swaps.iter().filter_map(|h| h.new_location.as_deref()) {
        let bare = location::trim_trailing_slash(to);
        out.push(bare.to_string());
        out.push(format!("{bare}/"));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The key under which PostgreSQL's history indexes a location: its last path segment, without
/// trailing slashes (`s3://b/t/ds=1/20161102234252/` → `20161102234252`). Must agree with the
/// SQL function `history_location_keys` (migration 0009).
pub(crate) fn location_key(location: &str) -> &str {
    let bare = location.trim_end_matches('/');
    bare.rsplit_once('/').map_or(bare, |(_, last)| last)
}

/// The distinct keys of some locations, sorted.
pub(crate) fn location_keys<'a>(locations: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut keys: Vec<&str> = locations.into_iter().map(location_key).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Check each swap against the policy (`batch::Mode::Enforce`): `live` are `(partition name,
/// location)` of live partitions of the table at any of the targets, `past` `(partition name,
/// location)` of history rows whose new location is one of them.
pub(crate) fn check_fresh_locations(
    db: &str,
    table: &str,
    swaps: &[HistoryEntry],
    live: &[(String, String)],
    past: &[(Option<String>, String)],
) -> Result<()> {
    let key = |l: &str| location::trim_trailing_slash(l).to_string();
    let mut live_at: HashMap<String, &str> = HashMap::new();
    for (name, loc) in live {
        live_at.insert(key(loc), name);
    }
    let mut past_at: HashMap<String, &str> = HashMap::new();
    for (name, loc) in past {
        past_at.entry(key(loc)).or_insert(name.as_deref().unwrap_or("(table)"));
    }
    let qualified = format!("{db}.{table}");
    for h in swaps {
        let (Some(name), Some(to)) = (h.partition_name.as_deref(), h.new_location.as_deref()) else { continue };
        let found = batch::LocationUse {
            live_partition: live_at.get(&key(to)).filter(|n| **n != name).map(|n| (*n).to_string()),
            past_partition: past_at.get(&key(to)).map(|n| (*n).to_string()),
        };
        let spec = batch::spec_of_name(name);
        let swap =
            batch::Swap { table: &qualified, partition: name, spec: &spec, from: h.previous_location.as_deref(), to };
        batch::check_swap(batch::Mode::Enforce, &swap, &found)?;
    }
    Ok(())
}

// ------------------------------------------------------------------ typed key values

/// The value as an integer key sees it (`Value::for_partition_value`): `None` for the default
/// partition and anything that is not an i64.
pub(crate) fn int_value(raw: &str) -> Option<i64> {
    match Value::for_partition_value(KeyType::Integer, raw, DEFAULT_PARTITION_NAME) {
        Value::Integer(n) => n,
        _ => None,
    }
}

/// The value as a date key sees it, as `y * 10000 + m * 100 + d` (which orders as the date);
/// `None` for the default partition and anything that is not a valid `y-M-d` date.
pub(crate) fn date_value(raw: &str) -> Option<i32> {
    match Value::for_partition_value(KeyType::Date, raw, DEFAULT_PARTITION_NAME) {
        Value::Date(Some(d)) => parse_date(d).map(date_code),
        _ => None,
    }
}

fn date_code((y, m, d): (u32, u32, u32)) -> i32 {
    // y ≤ 9999, so at most 99_991_231.
    i32::try_from(y * 10_000 + m * 100 + d).unwrap_or(i32::MAX)
}

/// One `partition_key_values` row of a partition.
#[derive(Debug, Clone)]
pub(crate) struct KeyValue<'a> {
    pub key_index: i32,
    pub value: &'a str,
    pub int_value: Option<i64>,
    pub date_value: Option<i32>,
}

/// The key-value rows of a partition's values.
pub(crate) fn key_values(values: &[String]) -> Result<Vec<KeyValue<'_>>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            Ok(KeyValue {
                key_index: i32::try_from(i).map_err(|e| internal("key index", e))?,
                value: v,
                int_value: int_value(v),
                date_value: date_value(v),
            })
        })
        .collect()
}

// ------------------------------------------------------------------ write batches

/// A distinct descriptor shape of a batch.
#[derive(Debug)]
pub(crate) struct Shape {
    pub json: String,
    pub hash: String,
}

/// One partition of a write batch, with its encoded columns.
#[derive(Debug)]
pub(crate) struct BatchRow<'a> {
    pub name: &'a str,
    pub part: &'a Partition,
    /// Index into [`Batch::shapes`].
    pub shape: usize,
    pub parameters: String,
}

/// Partitions to write, with their shapes resolved once per distinct shape.
#[derive(Debug, Default)]
pub(crate) struct Batch<'a> {
    pub shapes: Vec<Shape>,
    pub rows: Vec<BatchRow<'a>>,
}

/// Whether two descriptors have the same shape (everything but the location). Exhaustive, so a
/// new field cannot be forgotten.
fn same_shape(a: &StorageDescriptor, b: &StorageDescriptor) -> bool {
    let StorageDescriptor {
        cols,
        location: _,
        input_format,
        output_format,
        compressed,
        num_buckets,
        serde_info,
        bucket_cols,
        sort_cols,
        parameters,
        skewed_info,
        stored_as_sub_directories,
    } = a;
    *cols == b.cols
        && *input_format == b.input_format
        && *output_format == b.output_format
        && *compressed == b.compressed
        && *num_buckets == b.num_buckets
        && *serde_info == b.serde_info
        && *bucket_cols == b.bucket_cols
        && *sort_cols == b.sort_cols
        && *parameters == b.parameters
        && *skewed_info == b.skewed_info
        && *stored_as_sub_directories == b.stored_as_sub_directories
}

/// Encode a batch. A shape is serialised only when it differs from the previous partition's,
/// so a batch of one shape (the usual case) encodes it once.
pub(crate) fn prepare_batch<'a>(parts: impl IntoIterator<Item = (&'a str, &'a Partition)>) -> Result<Batch<'a>> {
    let mut batch = Batch::default();
    let mut by_json: HashMap<String, usize> = HashMap::new();
    let mut last: Option<(&StorageDescriptor, usize)> = None;
    for (name, part) in parts {
        let shape = match last {
            Some((sd, index)) if same_shape(sd, &part.sd) => index,
            _ => {
                let json = part.sd.shape_json();
                if json.is_empty() {
                    return Err(internal("encode storage descriptor", "empty encoding"));
                }
                let next = batch.shapes.len();
                let index = *by_json.entry(json.clone()).or_insert(next);
                if index == next {
                    batch.shapes.push(Shape { hash: shape_hash(&json), json });
                }
                index
            }
        };
        last = Some((&part.sd, shape));
        batch.rows.push(BatchRow { name, part, shape, parameters: to_json(&part.parameters)? });
    }
    Ok(batch)
}

/// What `add_partitions` answers: the positions in `parts` of the partitions it added (`ids`
/// holds the names it inserted), each name's first occurrence, ascending.
pub(crate) fn added_positions(parts: &[(String, Partition)], ids: &HashMap<String, i64>) -> Vec<usize> {
    let mut first = std::collections::HashSet::with_capacity(ids.len());
    parts
        .iter()
        .enumerate()
        .filter(|(_, (name, _))| ids.contains_key(name.as_str()) && first.insert(name.as_str()))
        .map(|(i, _)| i)
        .collect()
}

/// The rows `drop_partitions` read, checked and put in request order: their ids (to delete) and
/// their partitions, each once, in the order of the first occurrence of its name in `names`.
/// Fails naming the first requested partition that does not exist. The rows are sorted in place
/// and turned into partitions one by one, so a large drop holds one list of partitions, not a
/// map of them and then a list.
pub(crate) fn dropped_in_request_order(
    mut rows: Vec<PartRow>,
    names: &[String],
    db: &str,
    table: &str,
    shapes: &Shapes,
) -> Result<(Vec<i64>, Vec<Partition>)> {
    let mut position: HashMap<&str, usize> = HashMap::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        position.entry(name.as_str()).or_insert(i);
    }
    // Both stores read each named partition once, so a name is missing exactly when there are
    // fewer rows than distinct names; only then is the set of found names built.
    if rows.len() < position.len() {
        let found: std::collections::HashSet<&str> = rows.iter().map(|r| r.part_name.as_str()).collect();
        if let Some(missing) = names.iter().find(|name| !found.contains(name.as_str())) {
            return Err(doesnt_exist(missing));
        }
    }
    rows.sort_by_key(|r| position.get(r.part_name.as_str()).copied().unwrap_or(usize::MAX));
    drop(position);
    let ids = rows.iter().map(|r| r.id).collect();
    Ok((ids, into_models(rows, shapes, db, table)?))
}

/// The history rows to append for an `add_partitions` that skipped some existing partitions:
/// rows naming a skipped partition are left out (nothing happened to it).
pub(crate) fn history_for_added(history: &[HistoryEntry], skipped: &[&str]) -> Vec<HistoryEntry> {
    history.iter().filter(|h| h.partition_name.as_deref().is_none_or(|n| !skipped.contains(&n))).cloned().collect()
}

// ------------------------------------------------------------------ query translation

/// What a [`Selection`] is written with: the named items of the backend's [`Dialect`].
#[derive(Debug, Clone, Copy)]
struct Syntax {
    /// `Dialect::NUMBERED_PARAMS`.
    numbered: bool,
    /// `Dialect::ARRAY_PARAMS`.
    arrays: bool,
    /// `Dialect::TEXT_HOLDS_NUL`.
    nul: bool,
    /// `Dialect::LIKE_REGEX`.
    regex: bool,
}

impl Syntax {
    fn of<D: Dialect>() -> Self {
        Self { numbered: D::NUMBERED_PARAMS, arrays: D::ARRAY_PARAMS, nul: D::TEXT_HOLDS_NUL, regex: D::LIKE_REGEX }
    }
}

/// Parameters one selection may bind; larger filters are evaluated in memory instead.
const MAX_BINDS: usize = 20_000;
/// Nesting beyond which a sub-filter is evaluated in memory (SQLite bounds expression depth).
const MAX_SQL_DEPTH: usize = 64;
/// Longest `LIKE` pattern pushed down (longer ones may exceed the regex size limit).
const MAX_PUSHED_LIKE: usize = 200;
/// Longest `IN` list SQLite gets as separate parameters (longer ones go as one JSON array).
const SQLITE_IN_PARAMS: usize = 16;

/// What a [`PartitionQuery`] becomes: joins and conditions over `partitions p` (after
/// `p.table_id = <table id>`), their parameters, and the in-memory check rows must still pass.
pub(crate) struct Selection<'q> {
    syntax: Syntax,
    joins: String,
    conditions: String,
    pub binds: Vec<Bind>,
    /// Rows must also pass this, in partition-name order, before `max` applies.
    pub recheck: Option<Recheck<'q>>,
}

/// The in-memory evaluation of a filter over a row's values.
pub(crate) struct Recheck<'q> {
    matcher: Matcher<'q>,
    keys: &'q [(String, KeyType)],
}

impl Recheck<'_> {
    /// Whether a partition with these values passes the filter.
    pub(crate) fn matches(&self, values: &[String]) -> bool {
        let lookup = |key: &str| -> Option<Value<'_>> {
            let index = self.keys.iter().position(|(name, _)| name == key)?;
            let raw = values.get(index)?;
            Some(Value::for_partition_value(self.keys[index].1, raw, DEFAULT_PARTITION_NAME))
        };
        self.matcher.matches(&lookup)
    }
}

impl Selection<'_> {
    /// `SELECT <columns> FROM partitions p … WHERE p.table_id = <table id> …`, ordered by name
    /// when `ordered`, with `LIMIT <the parameter after the binds>` when `limit`. Parameters:
    /// the table id, the binds, the limit (PostgreSQL `$n`, SQLite `?` in that order).
    pub(crate) fn sql(&self, columns: &str, ordered: bool, limit: bool) -> String {
        let (table, limit_param) = if self.syntax.numbered {
            ("$1".to_string(), format!("${}", self.binds.len() + 2))
        } else {
            ("?".to_string(), "?".to_string())
        };
        let mut sql =
            format!("SELECT {columns} FROM partitions p{} WHERE p.table_id = {table}{}", self.joins, self.conditions);
        if ordered {
            sql.push_str(" ORDER BY p.part_name");
        }
        if limit {
            sql.push_str(&format!(" LIMIT {limit_param}"));
        }
        sql
    }

    /// True when the selection is every partition of the table (no condition).
    pub(crate) fn is_whole_table(&self) -> bool {
        self.conditions.is_empty() && self.recheck.is_none()
    }

    /// One page of a listing: `sql(columns, …)` restricted to names after a bound name, ordered
    /// by name, with a limit. Parameters: the table id, the binds, the name after which the page
    /// starts (`""` for the first), the page size.
    pub(crate) fn page_sql(&self, columns: &str) -> String {
        let (table, after, limit) = if self.syntax.numbered {
            ("$1".to_string(), format!("${}", self.binds.len() + 2), format!("${}", self.binds.len() + 3))
        } else {
            ("?".to_string(), "?".to_string(), "?".to_string())
        };
        format!(
            "SELECT {columns} FROM partitions p{} WHERE p.table_id = {table}{} AND p.part_name > {after} ORDER BY \
             p.part_name LIMIT {limit}",
            self.joins, self.conditions
        )
    }

    /// The `LIMIT` to bind: `max`, unless rows are re-checked in memory (then the caller stops).
    pub(crate) fn sql_limit(&self, max: Option<usize>) -> Option<i64> {
        if self.recheck.is_some() {
            None
        } else {
            max.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
        }
    }
}

/// A condition under construction, folded where constant.
enum Cond {
    True,
    False,
    Sql(String),
}

/// The column a key type compares.
fn column(kt: KeyType) -> &'static str {
    match kt {
        KeyType::String | KeyType::Other => "value",
        KeyType::Integer => "int_value",
        KeyType::Date => "date_value",
    }
}

/// A literal as the key type compares it (`compare` of `strata_core::filter`); `None` for a
/// type mismatch or a string that is no date, which compares as NULL.
fn typed_literal(kt: KeyType, lit: &Literal) -> Option<Bind> {
    match (kt, lit) {
        (KeyType::String | KeyType::Other, Literal::String(s) | Literal::Date(s)) => Some(Bind::Text(s.clone())),
        (KeyType::Integer, Literal::Integer(n)) => Some(Bind::Int(*n)),
        (KeyType::Date, Literal::Date(s) | Literal::String(s)) => parse_date(s).map(|d| Bind::Int4(date_code(d))),
        _ => None,
    }
}

/// Scalars of one kind as one array parameter.
fn array_bind(items: Vec<Bind>) -> Bind {
    match items.first() {
        Some(Bind::Int(_)) => {
            Bind::Ints(items.into_iter().filter_map(|b| if let Bind::Int(n) = b { Some(n) } else { None }).collect())
        }
        Some(Bind::Int4(_)) => {
            Bind::Int4s(items.into_iter().filter_map(|b| if let Bind::Int4(n) = b { Some(n) } else { None }).collect())
        }
        _ => {
            Bind::Texts(items.into_iter().filter_map(|b| if let Bind::Text(s) = b { Some(s) } else { None }).collect())
        }
    }
}

/// Scalars of one kind as a JSON array (SQLite `json_each`).
fn json_array(items: &[Bind]) -> Result<String> {
    let values: Vec<serde_json::Value> = items
        .iter()
        .map(|b| match b {
            Bind::Text(s) => serde_json::Value::from(s.as_str()),
            Bind::Int(n) => serde_json::Value::from(*n),
            Bind::Int4(n) => serde_json::Value::from(*n),
            _ => serde_json::Value::Null,
        })
        .collect();
    to_json(&values)
}

struct Builder<'q> {
    syntax: Syntax,
    keys: &'q [(String, KeyType)],
    binds: Vec<Bind>,
    /// Key index → whether its join may be INNER (a top-level conjunct needs its row).
    joins: BTreeMap<usize, bool>,
    recheck: bool,
}

impl Builder<'_> {
    /// The placeholder of a new parameter. SQLite gets anonymous `?`s (numbered ones cost a
    /// list lookup each, quadratic in big filters): every parameter appears once, in bind order.
    fn param(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        if self.syntax.numbered {
            format!("${}", self.binds.len() + 1)
        } else {
            "?".to_string()
        }
    }

    /// Whether a literal cannot be bound: PostgreSQL text cannot hold NUL (such a leaf is
    /// evaluated in memory instead).
    fn unbindable<'b>(&self, mut binds: impl Iterator<Item = &'b Bind>) -> bool {
        !self.syntax.nul && binds.any(|b| matches!(b, Bind::Text(s) if s.contains('\0')))
    }

    /// Give up on a leaf: TRUE here (a superset, the filter being monotone), exact in memory.
    fn in_memory(&mut self) -> Cond {
        self.recheck = true;
        Cond::True
    }

    fn key(&self, name: &str) -> Option<(usize, KeyType)> {
        self.keys.iter().position(|(k, _)| k == name).map(|i| (i, self.keys[i].1))
    }

    fn col(&mut self, index: usize, kt: KeyType) -> String {
        self.joins.entry(index).or_insert(false);
        format!("k{index}.{}", column(kt))
    }

    fn expr(&mut self, e: &Expr, depth: usize) -> Result<Cond> {
        if depth > MAX_SQL_DEPTH {
            return Ok(self.in_memory());
        }
        // A constant result drops the SQL of its operands: their parameters go with it.
        let mark = self.binds.len();
        match e {
            Expr::And(items) => {
                let mut parts = Vec::with_capacity(items.len());
                for item in items {
                    match self.expr(item, depth + 1)? {
                        Cond::True => {}
                        Cond::False => {
                            self.binds.truncate(mark);
                            return Ok(Cond::False);
                        }
                        Cond::Sql(s) => parts.push(s),
                    }
                }
                Ok(if parts.is_empty() { Cond::True } else { Cond::Sql(balanced(&parts, "AND")) })
            }
            Expr::Or(items) => {
                let mut parts = Vec::with_capacity(items.len());
                for item in items {
                    match self.expr(item, depth + 1)? {
                        Cond::True => {
                            self.binds.truncate(mark);
                            return Ok(Cond::True);
                        }
                        Cond::False => {}
                        Cond::Sql(s) => parts.push(s),
                    }
                }
                Ok(if parts.is_empty() { Cond::False } else { Cond::Sql(balanced(&parts, "OR")) })
            }
            leaf => self.leaf(leaf),
        }
    }

    fn leaf(&mut self, e: &Expr) -> Result<Cond> {
        Ok(match e {
            Expr::And(_) | Expr::Or(_) => Cond::True,
            Expr::Compare { key, op, value } => {
                let Some((i, kt)) = self.key(key) else { return Ok(Cond::False) };
                let Some(lit) = typed_literal(kt, value) else { return Ok(Cond::False) };
                if self.unbindable([&lit].into_iter()) {
                    return Ok(self.in_memory());
                }
                let col = self.col(i, kt);
                let p = self.param(lit);
                Cond::Sql(format!("{col} {} {p}", op.as_sql()))
            }
            Expr::Between { key, low, high, negated } => {
                let Some((i, kt)) = self.key(key) else { return Ok(Cond::False) };
                let (Some(lo), Some(hi)) = (typed_literal(kt, low), typed_literal(kt, high)) else {
                    return Ok(Cond::False);
                };
                if self.unbindable([&lo, &hi].into_iter()) {
                    return Ok(self.in_memory());
                }
                let col = self.col(i, kt);
                let (lo, hi) = (self.param(lo), self.param(hi));
                Cond::Sql(if *negated {
                    format!("({col} < {lo} OR {col} > {hi})")
                } else {
                    format!("({col} >= {lo} AND {col} <= {hi})")
                })
            }
            Expr::In { key, values, negated } => {
                let Some((i, kt)) = self.key(key) else { return Ok(Cond::False) };
                let typed: Vec<Option<Bind>> = values.iter().map(|l| typed_literal(kt, l)).collect();
                if *negated && typed.iter().any(Option::is_none) {
                    // A literal that compares as NULL makes every NOT IN unknown.
                    return Ok(Cond::False);
                }
                let items: Vec<Bind> = typed.into_iter().flatten().collect();
                if self.unbindable(items.iter()) {
                    return Ok(self.in_memory());
                }
                if items.is_empty() {
                    if !*negated {
                        return Ok(Cond::False);
                    }
                    // NOT IN () holds for every partition that has the key.
                    self.joins.entry(i).or_insert(false);
                    return Ok(Cond::Sql(format!("k{i}.partition_id IS NOT NULL")));
                }
                let col = self.col(i, kt);
                let (not, all) = if *negated { ("NOT ", "<> ALL") } else { ("", "= ANY") };
                Cond::Sql(if self.syntax.arrays {
                    let p = self.param(array_bind(items));
                    format!("{col} {all}({p})")
                } else if items.len() > SQLITE_IN_PARAMS {
                    let p = self.param(Bind::Text(json_array(&items)?));
                    format!("{col} {not}IN (SELECT value FROM json_each({p}))")
                } else {
                    let ps: Vec<String> = items.into_iter().map(|b| self.param(b)).collect();
                    format!("{col} {not}IN ({})", ps.join(", "))
                })
            }
            Expr::Like { key, pattern } => {
                let Some((i, kt)) = self.key(key) else { return Ok(Cond::False) };
                if !matches!(kt, KeyType::String | KeyType::Other) {
                    return Ok(Cond::False);
                }
                // Inside the subset the regex always compiles (within its size limit, for
                // patterns this short); anything else is left to `Expr::eval`.
                let tokens = if pattern.chars().count() <= MAX_PUSHED_LIKE { like_tokens(pattern) } else { None };
                let Some(tokens) = tokens else { return Ok(self.in_memory()) };
                let col = self.col(i, kt);
                if self.syntax.regex {
                    let p = self.param(Bind::Text(postgres_regex(&tokens)));
                    Cond::Sql(format!("{col} ~ {p}"))
                } else {
                    match sqlite_glob(&tokens) {
                        Some((glob, wildcards)) => {
                            let p = self.param(Bind::Text(glob));
                            Cond::Sql(if wildcards {
                                // Rust's `.` never matches a newline; GLOB's `?` and `*` do.
                                format!("({col} GLOB {p} AND instr({col}, char(10)) = 0)")
                            } else {
                                format!("{col} GLOB {p}")
                            })
                        }
                        None => self.in_memory(),
                    }
                }
            }
        })
    }
}

/// `a OP b OP c …` as a balanced tree of parentheses (SQLite bounds expression depth).
fn balanced(parts: &[String], op: &str) -> String {
    match parts {
        [one] => one.clone(),
        _ => {
            let (a, b) = parts.split_at(parts.len() / 2);
            format!("({}) {op} ({})", balanced(a, op), balanced(b, op))
        }
    }
}

/// The leaf expression of a top-level conjunct (whose key row must exist for a match).
fn is_leaf(e: &Expr) -> bool {
    !matches!(e, Expr::And(_) | Expr::Or(_))
}

/// Translate a query. `Err` only for encoding failures.
pub(crate) fn select<'q, D: Dialect>(query: &PartitionQuery<'q>) -> Result<Selection<'q>> {
    let syntax = Syntax::of::<D>();
    let mut b = Builder { syntax, keys: query.keys, binds: Vec::new(), joins: BTreeMap::new(), recheck: false };
    let mut conditions = String::new();

    // Partial values: string equality on leading keys.
    for (i, value) in query.values.unwrap_or(&[]).iter().enumerate() {
        if let Some(v) = value {
            if !syntax.nul && v.contains('\0') {
                // PostgreSQL stores no NUL, so nothing equals it.
                conditions.push_str(" AND FALSE");
                continue;
            }
            b.joins.insert(i, true);
            let p = b.param(Bind::Text(v.clone()));
            conditions.push_str(&format!(" AND k{i}.value = {p}"));
        }
    }

    if let Some(filter) = query.filter {
        let (binds_before, joins_before) = (b.binds.len(), b.joins.clone());
        let cond = b.expr(filter, 0)?;
        if b.binds.len() > MAX_BINDS {
            // Too large for one statement: evaluate the whole filter in memory.
            b.binds.truncate(binds_before);
            b.joins = joins_before;
            b.recheck = true;
        } else {
            match cond {
                Cond::True => {}
                Cond::False => conditions.push_str(" AND FALSE"),
                Cond::Sql(sql) => {
                    // Keys of top-level leaves must have their row: INNER JOIN lets the planner
                    // start from the key-value index.
                    let top: Vec<&Expr> = match filter {
                        Expr::And(items) => items.iter().collect(),
                        other => vec![other],
                    };
                    for leaf in top.into_iter().filter(|e| is_leaf(e)) {
                        if let Some((i, _)) = leaf_key(leaf).and_then(|k| b.key(k)) {
                            if let Some(inner) = b.joins.get_mut(&i) {
                                *inner = true;
                            }
                        }
                    }
                    conditions.push_str(&format!(" AND ({sql})"));
                }
            }
        }
    }

    let mut joins = String::new();
    for (i, inner) in &b.joins {
        let kind = if *inner { "JOIN" } else { "LEFT JOIN" };
        joins.push_str(&format!(
            " {kind} partition_key_values k{i} ON k{i}.partition_id = p.id AND k{i}.table_id = p.table_id \
             AND k{i}.key_index = {i}"
        ));
    }
    let recheck = match (b.recheck, query.filter) {
        (true, Some(filter)) => Some(Recheck { matcher: filter.matcher(), keys: query.keys }),
        _ => None,
    };
    Ok(Selection { syntax, joins, conditions, binds: b.binds, recheck })
}

/// The key of a leaf.
fn leaf_key(e: &Expr) -> Option<&str> {
    match e {
        Expr::Compare { key, .. } | Expr::Like { key, .. } | Expr::In { key, .. } | Expr::Between { key, .. } => {
            Some(key)
        }
        Expr::And(_) | Expr::Or(_) => None,
    }
}

// ------------------------------------------------------------------ LIKE

/// A piece of a `LIKE` pattern in the subset both dialects can express exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// A character that matches itself.
    Lit(char),
    /// Any character but a newline (Rust's `.`).
    Any,
    /// `*`, `+` or `?` applied to the previous piece (greedy; only whole-string matches count).
    Quant(char),
}

/// Characters a backslash makes literal in a Rust regex (and which stay literal after it).
const ESCAPABLE: &str = r"\.+*?()|[]{}^$#&-~";

/// The pattern as [`Tok`]s, reading it as `strata_core::filter::like_to_regex` does; `None` when it uses regex
/// syntax outside the subset (classes, groups, alternation, anchors, escapes like `\d`).
fn like_tokens(pattern: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    let quantifiable = |out: &Vec<Tok>| matches!(out.last(), Some(Tok::Lit(_) | Tok::Any));
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) if ESCAPABLE.contains(n) => out.push(Tok::Lit(n)),
                _ => return None,
            },
            '.' => out.push(Tok::Any),
            '*' | '+' | '?' if quantifiable(&out) => out.push(Tok::Quant(c)),
            '*' | '+' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' | '\0' => return None,
            c => out.push(Tok::Lit(c)),
        }
    }
    Some(out)
}

/// The tokens as an anchored PostgreSQL (ARE) regex.
fn postgres_regex(tokens: &[Tok]) -> String {
    let mut out = String::from("^(?:");
    for t in tokens {
        match *t {
            Tok::Lit(c) if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            Tok::Lit(c) | Tok::Quant(c) => out.push(c),
            Tok::Any => out.push_str("[^\n]"),
        }
    }
    out.push_str(")$");
    out
}

/// The tokens as a SQLite `GLOB` pattern and whether it has wildcards; `None` when `GLOB`
/// cannot say it (a quantified literal, `.?`, a literal newline next to wildcards).
fn sqlite_glob(tokens: &[Tok]) -> Option<(String, bool)> {
    let mut out = String::new();
    let mut wildcards = false;
    let mut newline = false;
    let mut i = 0;
    while i < tokens.len() {
        let next = tokens.get(i + 1).copied();
        match (tokens[i], next) {
            (Tok::Any, Some(Tok::Quant('*'))) => {
                out.push('*');
                i += 1;
            }
            (Tok::Any, Some(Tok::Quant('+'))) => {
                out.push_str("?*");
                i += 1;
            }
            (Tok::Any | Tok::Lit(_), Some(Tok::Quant(_))) | (Tok::Quant(_), _) => return None,
            (Tok::Any, _) => out.push('?'),
            (Tok::Lit(c), _) => {
                newline |= c == '\n';
                match c {
                    '*' => out.push_str("[*]"),
                    '?' => out.push_str("[?]"),
                    '[' => out.push_str("[[]"),
                    c => out.push(c),
                }
                i += 1;
                continue;
            }
        }
        wildcards = true;
        i += 1;
    }
    if newline && wildcards {
        return None;
    }
    Some((out, wildcards))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{postgres::PgStore, sqlite::SqliteStore};

    #[test]
    fn location_keys_are_last_segments() {
        for (location, key) in crate::conformance::LOCATION_KEYS {
            assert_eq!(location_key(location), *key, "{location}");
        }
        assert_eq!(location_keys(["s3://b/t/x/2/", "s3://b/t/y/2", "s3://b/t/y/1"]), ["1", "2"]);
    }

    fn row(id: i64, name: &str) -> PartRow {
        PartRow {
            id,
            part_name: name.to_string(),
            values: vec![name.trim_start_matches("d=").to_string()],
            sd_id: 7,
            location: Some(format!("file:///w/t/{name}")),
            create_time: 1,
            last_access_time: 0,
            parameters: r#"{"numFiles":"1"}"#.to_string(),
        }
    }

    #[test]
    fn swap_history_is_completed_in_place_and_chains_a_repeated_name() {
        let swap = |name: Option<&str>, to: Option<&str>| HistoryEntry {
            partition_name: name.map(str::to_string),
            new_location: to.map(str::to_string),
            previous_location: Some("as given".to_string()),
            ..HistoryEntry::default()
        };
        let history = vec![
            swap(Some("d=1"), Some("file:///w/t/d=1/b2")),
            // Same place spelled with a slash: not a swap, dropped.
            swap(Some("d=2"), Some("file:///w/t/d=2/b1/")),
            // Not a partition of the call (a table row, an unknown name): kept as given.
            swap(None, Some("file:///w/t")),
            swap(Some("d=9"), Some("file:///w/t/d=9/b1")),
            // d=1 again: chains from the row before; the same place a third time is dropped.
            swap(Some("d=1"), Some("file:///w/t/d=1/b3")),
            swap(Some("d=1"), Some("file:///w/t/d=1/b3")),
            swap(Some("d=3"), None),
        ];
        let current = |name: &str| match name {
            "d=1" => Some(Some("file:///w/t/d=1/b1".to_string())),
            "d=2" => Some(Some("file:///w/t/d=2/b1".to_string())),
            "d=3" => Some(Some("file:///w/t/d=3/b1".to_string())),
            _ => None,
        };
        let buffer = history.as_ptr();
        let done = complete_swap_history(history, current);
        assert_eq!(done.as_ptr(), buffer, "the rows are completed in their own list");
        let got: Vec<(Option<&str>, Option<&str>, Option<&str>)> = done
            .iter()
            .map(|h| (h.partition_name.as_deref(), h.previous_location.as_deref(), h.new_location.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("d=1"), Some("file:///w/t/d=1/b1"), Some("file:///w/t/d=1/b2")),
                (None, Some("as given"), Some("file:///w/t")),
                (Some("d=9"), Some("as given"), Some("file:///w/t/d=9/b1")),
                (Some("d=1"), Some("file:///w/t/d=1/b2"), Some("file:///w/t/d=1/b3")),
                (Some("d=3"), Some("file:///w/t/d=3/b1"), None),
            ]
        );
    }

    #[test]
    fn dropped_partitions_come_back_in_request_order_each_once() {
        let shapes = Shapes::from([(7, StorageDescriptor::default())]);
        let names: Vec<String> = ["d=3", "d=1", "d=3", "d=2"].iter().map(std::string::ToString::to_string).collect();
        let rows = vec![row(10, "d=1"), row(20, "d=2"), row(30, "d=3")];
        let (ids, parts) = dropped_in_request_order(rows, &names, "db", "t", &shapes).unwrap();
        assert_eq!(ids, vec![30, 10, 20]);
        let values: Vec<&str> = parts.iter().map(|p| p.values[0].as_str()).collect();
        assert_eq!(values, vec!["3", "1", "2"]);
        assert_eq!(parts[0].sd.location.as_deref(), Some("file:///w/t/d=3"));
        assert_eq!(parts[0].parameters.get("numFiles").map(String::as_str), Some("1"));
        assert_eq!((parts[0].db_name.as_str(), parts[0].table_name.as_str()), ("db", "t"));

        let missing: Vec<String> = vec!["d=1".into(), "d=9".into()];
        let err = dropped_in_request_order(vec![row(10, "d=1")], &missing, "db", "t", &shapes).unwrap_err();
        assert!(matches!(err, CatalogError::NoSuchObject(ref m) if m.contains("d=9")), "{err:?}");
    }

    #[test]
    fn typed_values() {
        assert_eq!(int_value("42"), Some(42));
        assert_eq!(int_value(" 007 "), Some(7));
        assert_eq!(int_value("+3"), Some(3));
        assert_eq!(int_value("-0"), Some(0));
        assert_eq!(int_value("99999999999999999999"), None);
        assert_eq!(int_value(DEFAULT_PARTITION_NAME), None);
        assert_eq!(int_value("1e3"), None);
        assert_eq!(date_value("2024-01-05"), Some(20_240_105));
        assert_eq!(date_value("2024-1-5"), Some(20_240_105));
        assert_eq!(date_value("2024-02-30"), None);
        assert_eq!(date_value("2024-02-29"), Some(20_240_229));
        assert_eq!(date_value("2023-02-29"), None);
        assert_eq!(date_value(" 2024-01-05"), None);
        assert_eq!(date_value(DEFAULT_PARTITION_NAME), None);
    }

    #[test]
    fn like_subset() {
        let pg = |p: &str| like_tokens(p).map(|t| postgres_regex(&t));
        let glob = |p: &str| like_tokens(p).and_then(|t| sqlite_glob(&t));
        // Apache HMS 2.3: `%` and `_` are plain characters of the regex.
        assert_eq!(pg("a%"), Some(r"^(?:a\%)$".into()));
        assert_eq!(pg(".*v.*"), Some("^(?:[^\n]*v[^\n]*)$".into()));
        assert_eq!(pg(r"100\%"), None, "not an escape a Rust regex knows");
        assert_eq!(pg(r"a\.b/c"), Some(r"^(?:a\.b\/c)$".into()));
        assert_eq!(pg("ab+"), Some("^(?:ab+)$".into()));
        assert_eq!(pg("a|b"), None);
        assert_eq!(pg("[ab]"), None);
        assert_eq!(pg(r"\d"), None);
        assert_eq!(pg("a**"), None);
        assert_eq!(glob("a%"), Some(("a%".into(), false)));
        assert_eq!(glob("a_c"), Some(("a_c".into(), false)));
        assert_eq!(glob("a.*"), Some(("a*".into(), true)));
        assert_eq!(glob(".+x"), Some(("?*x".into(), true)));
        assert_eq!(glob(r"a\*\?\["), Some(("a[*][?][[]".into(), false)));
        assert_eq!(glob("ab+"), None);
        assert_eq!(glob("a\n.*"), None);
        assert_eq!(glob("a\nb"), Some(("a\nb".into(), false)));
        // The longest pushed-down pattern still compiles within `Expr::eval`'s size limit.
        let long = ".*".repeat(MAX_PUSHED_LIKE / 2);
        let e = Expr::Like { key: "k".into(), pattern: long.clone() };
        assert!(like_tokens(&long).is_some());
        let value = "é".repeat(200);
        assert!(e.eval(&|_| Some(Value::String(&value))));
    }

    #[test]
    fn selections() {
        use strata_core::filter::CompareOp;
        let keys = vec![("s".to_string(), KeyType::String), ("i".to_string(), KeyType::Integer)];
        let nested = |depth: usize| {
            let mut e = Expr::Compare { key: "i".into(), op: CompareOp::Eq, value: Literal::Integer(1) };
            for _ in 0..depth {
                let s = Expr::Compare { key: "s".into(), op: CompareOp::Eq, value: Literal::String("x".into()) };
                e = Expr::Or(vec![s, e]);
            }
            e
        };
        for (depth, in_memory) in [(MAX_SQL_DEPTH, false), (MAX_SQL_DEPTH + 1, true)] {
            let e = nested(depth);
            let q = PartitionQuery { keys: &keys, filter: Some(&e), values: None, max: Some(3) };
            let sel = select::<SqliteStore>(&q).unwrap();
            assert_eq!(sel.recheck.is_some(), in_memory, "depth {depth}");
            assert_eq!(sel.sql_limit(q.max), if in_memory { None } else { Some(3) });
        }
        // SQLite parameters are anonymous: one `?` per bind (plus table id and limit).
        let e = strata_core::filter::parse("s = 'a' and (i = 1 or i between 2 and 3) and s like 'a%' and k = 1")
            .unwrap()
            .unwrap();
        let values = [None, Some("7".to_string())];
        let q = PartitionQuery { keys: &keys, filter: Some(&e), values: Some(&values), max: Some(1) };
        let sel = select::<SqliteStore>(&q).unwrap();
        let sql = sel.sql("p.part_name", true, true);
        assert!(sql.contains(" AND FALSE"), "an unknown key in a conjunction: {sql}");
        assert_eq!(sql.matches('?').count(), sel.binds.len() + 2, "{sql}");
        let e =
            strata_core::filter::parse("s = 'a' and (i = 1 or i between 2 and 3) and s like 'a%'").unwrap().unwrap();
        let q = PartitionQuery { filter: Some(&e), ..q };
        let sel = select::<SqliteStore>(&q).unwrap();
        let sql = sel.sql("p.part_name", true, true);
        assert_eq!(sql.matches('?').count(), sel.binds.len() + 2, "{sql}");
        assert_eq!(sel.binds.len(), 6, "{sql}");
        assert!(sql.contains(" JOIN partition_key_values k0") && !sql.contains("LEFT JOIN partition_key_values k0"));
        assert!(sql.contains("LEFT JOIN partition_key_values k1") || sql.contains(" JOIN partition_key_values k1"));
        let pg = select::<PgStore>(&q).unwrap().sql("p.part_name", true, true);
        assert!(pg.contains("LIMIT $8") && pg.contains("k0.value ~ $7"), "{pg}");
    }

    #[test]
    fn balanced_joins() {
        let parts: Vec<String> = ["a", "b", "c"].iter().map(|s| (*s).to_string()).collect();
        assert_eq!(balanced(&parts, "AND"), "(a) AND ((b) AND (c))");
    }
}
