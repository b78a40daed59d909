//! Normalisation before comparing two metastores' objects.
//!
//! Two strengths:
//! - *exact* (what a copy compares to decide whether to write): location spellings only
//!   (`file:///x`, `file://localhost/x`, `file:/x` and a trailing `/` are one location), the
//!   target's ids, and a partition's creation time (kept by the target on an alter).
//! - *verify* (what `strata verify` reports): also every time (`createTime`, `lastAccessTime`,
//!   `transient_lastDdlTime`), Strata's own `strata.*` parameters, and the statistics
//!   parameters a Java HMS derives from the files (`numFiles`, `totalSize`, ...) when only one
//!   side has them.

use std::collections::BTreeMap;

use strata_core::model::{param, Database, Params, Partition, Table};
use strata_core::model::{ColumnStats, Function};

/// Parameters a Java HMS computes from the files under a location.
pub const STATS_PARAMS: [&str; 5] = ["numFiles", "totalSize", "numRows", "rawDataSize", "COLUMN_STATS_ACCURATE"];

/// One spelling of a location.
#[must_use]
pub fn location(l: &str) -> String {
    let l = l.trim();
    let l = l.trim_end_matches('/');
    for prefix in ["file://localhost/", "file:///"] {
        if let Some(rest) = l.strip_prefix(prefix) {
            return format!("file:/{rest}");
        }
    }
    if l.is_empty() {
        "/".to_string()
    } else {
        l.to_string()
    }
}

/// Fields one metastore leaves unset where another sends an empty default.
fn defaults(sd: &mut strata_core::model::StorageDescriptor) {
    if sd.skewed_info.as_ref().is_some_and(|s| {
        s.skewed_col_names.is_empty() && s.skewed_col_values.is_empty() && s.skewed_col_value_location_maps.is_empty()
    }) {
        sd.skewed_info = None;
    }
}

fn opt_location(l: &mut Option<String>) {
    *l = l.as_deref().map(location).filter(|l| !l.is_empty());
}

/// Parameters of both sides, for `verify`: Strata's own and one-sided statistics dropped.
fn params_pair(a: &mut Params, b: &mut Params) {
    for p in [&mut *a, &mut *b] {
        p.retain(|k, _| !k.starts_with("strata.") && k != param::DDL_TIME);
    }
    for key in STATS_PARAMS {
        if a.contains_key(key) != b.contains_key(key) {
            a.remove(key);
            b.remove(key);
        }
    }
}

/// A table as compared exactly.
#[must_use]
pub fn table(mut t: Table) -> Table {
    t.id = 0;
    t.db_name = t.db_name.to_lowercase();
    t.name = t.name.to_lowercase();
    opt_location(&mut t.sd.location);
    defaults(&mut t.sd);
    if t.owner.is_some() && t.owner_type.is_none() {
        t.owner_type = Some(strata_core::model::PrincipalType::User);
    }
    if t.rewrite_enabled == Some(false) {
        t.rewrite_enabled = None;
    }
    t
}

/// Two tables as `verify` compares them.
#[must_use]
pub fn table_pair(a: Table, b: Table) -> (Table, Table) {
    let (mut a, mut b) = (table(a), table(b));
    for t in [&mut a, &mut b] {
        t.create_time = Default::default();
        t.last_access_time = Default::default();
    }
    params_pair(&mut a.parameters, &mut b.parameters);
    (a, b)
}

/// A partition as compared exactly.
#[must_use]
pub fn partition(mut p: Partition) -> Partition {
    p.db_name = p.db_name.to_lowercase();
    p.table_name = p.table_name.to_lowercase();
    p.create_time = Default::default();
    opt_location(&mut p.sd.location);
    defaults(&mut p.sd);
    p
}

/// Two partitions as `verify` compares them.
#[must_use]
pub fn partition_pair(a: Partition, b: Partition) -> (Partition, Partition) {
    let (mut a, mut b) = (partition(a), partition(b));
    a.last_access_time = Default::default();
    b.last_access_time = Default::default();
    params_pair(&mut a.parameters, &mut b.parameters);
    (a, b)
}

/// A database as compared (HMS 2.3 has no creation time for databases).
#[must_use]
pub fn database(mut d: Database) -> Database {
    d.name = d.name.to_lowercase();
    d.location = location(&d.location);
    d.managed_location = d.managed_location.as_deref().map(location);
    d.create_time = Default::default();
    // HMS's default principal type.
    if d.owner_type.is_none() {
        d.owner_type = Some(strata_core::model::PrincipalType::User);
    }
    d
}

/// Two databases as `verify` compares them.
#[must_use]
pub fn database_pair(a: Database, b: Database) -> (Database, Database) {
    let (mut a, mut b) = (database(a), database(b));
    params_pair(&mut a.parameters, &mut b.parameters);
    (a, b)
}

/// A function as compared (its creation time is the source's when copied, but a target may
/// set its own).
#[must_use]
pub fn function(mut f: Function) -> Function {
    f.db_name = f.db_name.to_lowercase();
    f.name = f.name.to_lowercase();
    f.create_time = Default::default();
    f
}

/// Column statistics in one order.
#[must_use]
pub fn stats(mut s: Vec<ColumnStats>) -> Vec<ColumnStats> {
    for c in &mut s {
        c.column_name = c.column_name.to_lowercase();
        c.column_type = c.column_type.to_lowercase();
    }
    s.sort_by(|a, b| a.column_name.cmp(&b.column_name));
    s
}

/// Field-by-field differences of two values (`path`, source, target), leaves shortened.
#[must_use]
pub fn diff<T: serde::Serialize>(source: &T, target: &T) -> Vec<(String, String, String)> {
    let a = serde_json::to_value(source).unwrap_or_default();
    let b = serde_json::to_value(target).unwrap_or_default();
    let mut out = Vec::new();
    walk("", &a, &b, &mut out);
    out
}

fn short(v: Option<&serde_json::Value>) -> String {
    let s = match v {
        None | Some(serde_json::Value::Null) => "(none)".to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(119).collect::<String>())
    } else {
        s
    }
}

fn walk(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<(String, String, String)>) {
    use serde_json::Value;
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => walk(&p, va, vb, out),
                    (va, vb) => out.push((p, short(va), short(vb))),
                }
            }
        }
        _ => out.push((path.to_string(), short(Some(a)), short(Some(b)))),
    }
}

/// Statistics by column name, for a per-column diff.
#[must_use]
pub fn stats_by_column(s: Vec<ColumnStats>) -> BTreeMap<String, ColumnStats> {
    stats(s).into_iter().map(|c| (c.column_name.clone(), c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_spellings_are_one() {
        for l in ["file:///w/t", "file:/w/t", "file://localhost/w/t", "file:///w/t/"] {
            assert_eq!(location(l), "file:/w/t", "{l}");
        }
        assert_eq!(location("s3a://b/w/t/"), "s3a://b/w/t");
    }

    #[test]
    fn verify_drops_times_own_params_and_one_sided_stats() {
        let mut a = Table { name: "T".into(), ..Table::default() };
        a.parameters.insert("numFiles".into(), "3".into());
        a.parameters.insert("numRows".into(), "10".into());
        a.parameters.insert(param::DDL_TIME.into(), "1".into());
        let mut b = Table { name: "t".into(), id: 7, ..Table::default() };
        b.parameters.insert("numRows".into(), "11".into());
        b.parameters.insert("strata.batch.mode".into(), "track".into());
        let (a, b) = table_pair(a, b);
        // numRows is on both sides and differs: a real difference; numFiles only on one: not.
        assert_eq!(diff(&a, &b), vec![("parameters.numRows".into(), "10".into(), "11".into())]);
    }
}
