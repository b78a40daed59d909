//! Time travel for every engine: a table name `TABLE@BATCH_ID` or `TABLE@TIME` reads the table
//! and its partitions as they were then, through the ordinary table and partition read calls,
//! so `SELECT * FROM db.`sold_items@20161102000000`` works in Spark (and the equivalent in any
//! engine) with no change on its side. Such names are read-only.
//!
//! The past comes from the location history: each partition's location at the moment is the
//! new location of its last row at or before it (none, or a drop, means it did not exist then).
//! A batch id means "right after that batch was committed" (its last history row; writers pick
//! the id before they write, so the commit comes later than the id's second); a batch id the
//! table never had is read as the end of that second. The table's schema and formats are today's.

use std::collections::HashSet;

use strata_core::{
    filter::Value,
    model::{HistoryOp, Partition, StorageDescriptor, Table},
    names, partname, time, CatalogError, Result,
};
use strata_store::PartitionQuery;

use crate::{versions::Target, Catalog};

/// The table parameter a time-travel table carries: the moment it shows (UTC, ISO 8601).
pub const AS_OF_PARAM: &str = "strata.as_of";

/// A time-travel name, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsOf {
    /// The table's own name.
    pub base: String,
    /// The name as asked for (`base@spec`).
    pub full: String,
    /// The moment, in milliseconds since the epoch.
    pub millis: i64,
    /// For `TABLE@BATCH_ID`: the batch. The table is shown as it was right after that batch
    /// was committed (its last history row); a batch id the table never had is read as a time.
    pub batch: Option<strata_core::batch::BatchId>,
}

/// `None` for an ordinary name; an error for `name@something` that is neither a batch id nor a
/// time (it may still be a tag: see `Catalog::resolve_as_of`).
pub fn parse_as_of(name: &str) -> Result<Option<AsOf>> {
    let Some((base, spec)) = name.split_once('@') else { return Ok(None) };
    let full = names::normalize(name);
    let target = Target::parse(&spec.trim().to_uppercase()).map_err(|_| {
        CatalogError::NoSuchObject(format!(
            "{full}: '{spec}' is neither a batch id (YYYYMMDDHHMMSS, UTC) nor a time (ISO 8601)"
        ))
    })?;
    let batch = match &target {
        Target::Batch(id) => Some(id.clone()),
        Target::Time(_) => None,
    };
    Ok(Some(AsOf { base: names::normalize(base), full, millis: target.millis(), batch }))
}

fn iso(millis: i64) -> String {
    let c = time::compact_utc(millis.div_euclid(1000));
    format!("{}-{}-{}T{}:{}:{}Z", &c[0..4], &c[4..6], &c[6..8], &c[8..10], &c[10..12], &c[12..14])
}

/// How many history rows (from the start) make up the table's state at `as_of`.
fn rows_upto(rows: &[strata_core::model::HistoryEntry], as_of: &AsOf) -> usize {
    if let Some(id) = &as_of.batch {
        let hit = rows.iter().rposition(|h| crate::versions::row_has_batch(h, id));
        if let Some(i) = hit {
            return i + 1;
        }
    }
    rows.iter().rposition(|h| h.at_millis <= as_of.millis).map_or(0, |i| i + 1)
}

impl Catalog {
    /// Resolve a time-travel name (`TABLE@BATCH_ID`, `TABLE@TIME` or `TABLE@TAG`); `None` for an
    /// ordinary name.
    pub(crate) async fn resolve_as_of(&self, db: &str, name: &str) -> Result<Option<AsOf>> {
        let Some((base, spec)) = name.split_once('@') else { return Ok(None) };
        if let Ok(parsed) = parse_as_of(name) {
            return Ok(parsed);
        }
        let (db, base) = (names::normalize(&names::strip_catalog(db)), names::normalize(base));
        let tag = spec.trim().to_lowercase();
        match self.store.get_tag(&db, &base, &tag).await? {
            Some(t) => Ok(Some(AsOf { base, full: names::normalize(name), millis: t.at_millis, batch: None })),
            None => Err(CatalogError::NoSuchObject(format!(
                "{db}.{}: '{spec}' is not a batch id (YYYYMMDDHHMMSS, UTC), a time (ISO 8601) or a tag of {db}.{base} \
                 (`strata tag {db}.{base}` lists them)",
                names::normalize(name)
            ))),
        }
    }

    /// Name the state of a table at `at_millis` (now if `None`). Tag names are lower-case
    /// `[a-z_][a-z0-9_.-]*` and may not read as a batch id or a time.
    pub async fn create_tag(
        &self,
        actor: &strata_core::model::Actor,
        db: &str,
        table: &str,
        name: &str,
        at_millis: Option<i64>,
    ) -> Result<strata_store::tags::Tag> {
        let t = self.get_table(db, table).await?;
        Self::writable(db, table)?;
        let valid = regex::Regex::new("^[a-z_][a-z0-9_.-]*$").map_err(|e| CatalogError::internal(e.to_string()))?;
        if !valid.is_match(name) || Target::parse(&name.to_uppercase()).is_ok() {
            return Err(CatalogError::Meta(format!(
                "Invalid tag name '{name}': use lower-case letters, digits, '_', '.', '-', starting with a letter or \
                 '_' (and not a batch id or a time)"
            )));
        }
        let now = self.now_millis();
        let tag = strata_store::tags::Tag {
            db_name: t.db_name.clone(),
            table_name: t.name.clone(),
            name: name.to_string(),
            at_millis: at_millis.unwrap_or(now),
            created_by: actor.user.clone(),
            created_at_millis: now,
        };
        self.store.create_tag(&tag).await?;
        Ok(tag)
    }

    /// Delete a tag.
    pub async fn delete_tag(&self, db: &str, table: &str, name: &str) -> Result<strata_store::tags::Tag> {
        self.store.delete_tag(&names::normalize(db), &names::normalize(table), name).await
    }

    /// The tags of a table.
    pub async fn list_tags(&self, db: &str, table: &str) -> Result<Vec<strata_store::tags::Tag>> {
        self.store.list_tags(&names::normalize(db), &names::normalize(table)).await
    }

    /// Refuse a write to a time-travel name.
    pub(crate) fn writable(db: &str, table: &str) -> Result<()> {
        match table.split_once('@') {
            None => Ok(()),
            Some((base, _)) => Err(CatalogError::Meta(format!(
                "{}.{} is a read-only view of {}.{} in the past; write to {}.{} instead",
                names::normalize(db),
                names::normalize(table),
                names::normalize(db),
                names::normalize(base),
                names::normalize(db),
                names::normalize(base)
            ))),
        }
    }

    /// The table as it was at `as_of`: today's definition under the asked-for name, with the
    /// location it had then (unpartitioned tables) and [`AS_OF_PARAM`].
    pub(crate) async fn table_as_of(&self, db: &str, as_of: &AsOf) -> Result<Table> {
        let db = names::normalize(db);
        let mut t =
            self.store.get_table(&db, &as_of.base).await?.ok_or_else(|| {
                CatalogError::NoSuchObject(strata_core::error::msg::table_not_found(&db, &as_of.full))
            })?;
        let all = self.store.history(&db, &as_of.base, None).await?;
        let created = all.iter().rposition(|h| h.operation == HistoryOp::CreateTable);
        let rows = &all[..rows_upto(&all, as_of)];
        if created.is_some_and(|i| i >= rows.len()) {
            return Err(CatalogError::NoSuchObject(format!(
                "{db}.{} did not exist at {} (it was created at {})",
                as_of.base,
                iso(as_of.millis),
                iso(all[created.unwrap_or(0)].at_millis)
            )));
        }
        if t.partition_keys.is_empty() {
            let then = rows[created.unwrap_or(0)..]
                .iter()
                .filter(|h| h.partition_name.is_none())
                .filter(|h| h.operation == HistoryOp::CreateTable || h.operation == HistoryOp::AlterTable)
                .filter_map(|h| h.new_location.clone())
                .next_back();
            if then.is_some() {
                t.sd.location = then;
            }
        }
        t.name.clone_from(&as_of.full);
        t.parameters.insert(AS_OF_PARAM.to_string(), iso(as_of.millis));
        Ok(t)
    }

    /// Every partition of a time-travel table, as it was then, in name order.
    pub(crate) async fn partitions_as_of(&self, t: &Table, as_of: &AsOf) -> Result<Vec<(String, Partition)>> {
        let base = Table { name: as_of.base.clone(), ..t.clone() };
        let past = self.partitions_at_for_reads(&base, as_of).await?;
        past.into_iter()
            .map(|(name, location)| {
                let part = Partition {
                    values: self.values_of_name(&base, &name)?,
                    db_name: t.db_name.clone(),
                    table_name: t.name.clone(),
                    sd: StorageDescriptor { location, ..t.sd.shape() },
                    ..Partition::default()
                };
                Ok((name, part))
            })
            .collect()
    }

    /// Apply a partition query in memory (time-travel tables are not in the store).
    pub(crate) fn select_in_memory(
        parts: Vec<(String, Partition)>,
        query: &PartitionQuery<'_>,
    ) -> Vec<(String, Partition)> {
        let matcher = query.filter.map(strata_core::filter::Expr::matcher);
        let mut out = Vec::new();
        for (name, p) in parts {
            if let Some(values) = query.values {
                let ok = values.iter().zip(&p.values).all(|(want, have)| want.as_ref().is_none_or(|w| w == have));
                if !ok {
                    continue;
                }
            }
            if let Some(m) = &matcher {
                let lookup = |key: &str| {
                    let i = query.keys.iter().position(|(k, _)| k == key)?;
                    let raw = p.values.get(i)?;
                    Some(Value::for_partition_value(query.keys[i].1, raw.as_str(), partname::DEFAULT_PARTITION_NAME))
                };
                if !m.matches(&lookup) {
                    continue;
                }
            }
            out.push((name, p));
            if query.max.is_some_and(|m| out.len() >= m) {
                break;
            }
        }
        out
    }

    /// Names and locations of the partitions that existed at a moment.
    async fn partitions_at_for_reads(&self, t: &Table, as_of: &AsOf) -> Result<Vec<(String, Option<String>)>> {
        let all = self.store.history(&t.db_name, &t.name, None).await?;
        let rows = &all[..rows_upto(&all, as_of)];
        let created = rows.iter().rposition(|h| h.operation == HistoryOp::CreateTable).unwrap_or(0);
        Ok(crate::versions::partition_locations(rows[created..].iter()).into_iter().collect())
    }

    /// The named partitions of a time-travel table (missing names skipped), in name order.
    pub(crate) async fn partitions_as_of_named(
        &self,
        t: &Table,
        as_of: &AsOf,
        names: &[String],
    ) -> Result<Vec<Partition>> {
        let wanted: HashSet<&str> = names.iter().map(String::as_str).collect();
        Ok(self
            .partitions_as_of(t, as_of)
            .await?
            .into_iter()
            .filter(|(n, _)| wanted.contains(n.as_str()))
            .map(|(_, p)| p)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_a_moment_parse() {
        assert_eq!(parse_as_of("sold_items").unwrap(), None);
        let a = parse_as_of("Sold_Items@20161102234252").unwrap().unwrap();
        assert_eq!(
            (a.base.as_str(), a.full.as_str(), a.millis),
            ("sold_items", "sold_items@20161102234252", 1_478_130_172_999)
        );
        // Engines lower-case identifiers: ISO 8601 still parses.
        let b = parse_as_of("t@2016-11-02t23:42:52z").unwrap().unwrap();
        assert_eq!(b.millis, 1_478_130_172_000);
        assert!(matches!(parse_as_of("t@release-1"), Err(CatalogError::NoSuchObject(m)) if m.contains("neither")));
    }

    #[test]
    fn writes_to_the_past_are_refused() {
        assert!(Catalog::writable("db", "t").is_ok());
        let err = Catalog::writable("db", "t@20161102234252").unwrap_err();
        assert!(matches!(err, CatalogError::Meta(ref m) if m.contains("read-only") && m.contains("write to db.t")));
    }
}
