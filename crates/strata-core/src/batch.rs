//! The batch-ID policy: never delete, and every change of a partition's data lands in a new
//! inner directory named by a batch id (`…/sold_items/ds=20161031/20161102234252/`), so that
//! overwriting a partition only swaps its location in the metastore.
//!
//! This module decides; it does no I/O. The catalog asks it:
//! - which [`Mode`] a table is under (table parameter [`MODE_PARAM`], else the server default);
//! - where a partition added without a location goes ([`batch_location`]), with which
//!   [`BatchId`] ([`next_batch_id`]: sortable UTC time, unique per partition);
//! - whether a location swap is allowed ([`check_swap`]) given what the store knows about the
//!   new location (checked inside the transaction that makes the swap).
//!
//! Under both modes every location change is recorded in the history and no data is deleted;
//! only [`Mode::Enforce`] refuses swaps to a directory the table has already used.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::{location, model::Params, time, CatalogError, Result};

/// The table parameter that selects a table's mode.
pub const MODE_PARAM: &str = "strata.batch.mode";

/// How strictly a table follows the batch-ID pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// New partitions get batch directories; a location swap must go to a directory this
    /// table never used; the new location must hold data (when the server checks storage).
    #[default]
    Enforce,
    /// Everything is recorded, nothing is refused.
    Track,
}

impl Mode {
    /// The mode of a table with these parameters: its [`MODE_PARAM`], else `default`.
    /// An invalid value (refused when the table is created or altered) falls back to `default`.
    #[must_use]
    pub fn of_table(parameters: &Params, default: Mode) -> Mode {
        parameters.get(MODE_PARAM).and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    /// The parameter value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enforce => "enforce",
            Self::Track => "track",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = CatalogError;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "enforce" => Ok(Self::Enforce),
            "track" => Ok(Self::Track),
            _ => {
                Err(CatalogError::Meta(format!("Invalid value '{s}' for {MODE_PARAM}: expected 'enforce' or 'track'")))
            }
        }
    }
}

/// Check the table parameters a client sends (create or alter): [`MODE_PARAM`], if present,
/// must be a valid mode. `MetaException` otherwise.
pub fn validate_table_parameters(parameters: &Params) -> Result<()> {
    match parameters.get(MODE_PARAM) {
        Some(v) => v.parse::<Mode>().map(|_| ()),
        None => Ok(()),
    }
}

/// A batch id: UTC time as `YYYYMMDDHHMMSS`, so ids sort by time as strings do.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BatchId(String);

impl BatchId {
    /// The batch id of a moment (milliseconds since the epoch; sub-second part dropped).
    #[must_use]
    pub fn at_millis(millis: i64) -> Self {
        Self(time::compact_utc(millis.div_euclid(1000)))
    }

    /// The moment the id names, in milliseconds since the epoch.
    #[must_use]
    pub fn to_millis(&self) -> i64 {
        time::parse_compact_utc(&self.0).map_or(0, |secs| secs * 1000)
    }

    /// The id one second later (the collision rule).
    #[must_use]
    pub fn next(&self) -> Self {
        Self::at_millis(self.to_millis() + 1000)
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for BatchId {
    type Err = CatalogError;

    /// Exactly 14 digits forming a valid UTC date and time.
    fn from_str(s: &str) -> Result<Self> {
        match time::parse_compact_utc(s) {
            Some(_) => Ok(Self(s.to_string())),
            None => Err(CatalogError::Meta(format!("Invalid batch id '{s}': expected YYYYMMDDHHMMSS (UTC)"))),
        }
    }
}

/// The batch id for a new write to a partition at `now_millis`: the current second, unless the
/// partition already has a batch at or after it (two writes in one second, or a clock that went
/// back), in which case one second after the partition's latest batch. Deterministic, sortable,
/// and unique per partition.
#[must_use]
pub fn next_batch_id(now_millis: i64, latest: Option<&BatchId>) -> BatchId {
    let candidate = BatchId::at_millis(now_millis);
    match latest {
        Some(latest) if *latest >= candidate => latest.next(),
        _ => candidate,
    }
}

/// The batch directory of a partition: `<table location>/<partition name>/<batch id>`.
#[must_use]
pub fn batch_location(table_location: &str, partition_name: &str, batch: &BatchId) -> String {
    location::join(&location::join(table_location, partition_name), batch.as_str())
}

/// The batch id a location's last path segment names, if it is one.
#[must_use]
pub fn batch_of_location(loc: &str) -> Option<BatchId> {
    let last = location::trim_trailing_slash(loc).rsplit('/').next()?;
    last.parse().ok()
}

/// What the store found about a location a partition is about to move to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocationUse {
    /// A live partition of the table (other than the one moving) that is there now.
    pub live_partition: Option<String>,
    /// A partition of the table that was there at some point in the history.
    pub past_partition: Option<String>,
}

/// One location swap to check.
#[derive(Debug, Clone, Copy)]
pub struct Swap<'a> {
    /// `db.table`.
    pub table: &'a str,
    /// The partition's name.
    pub partition: &'a str,
    /// Its spec as the CLI takes it (`k1=v1,k2=v2`), for the message.
    pub spec: &'a str,
    /// Where it is now.
    pub from: Option<&'a str>,
    /// Where it is going.
    pub to: &'a str,
}

/// Whether a location swap is allowed. Under [`Mode::Track`] every swap is; under
/// [`Mode::Enforce`] the new location must be one this table never used (no live partition is
/// there, no partition ever was), else `InvalidOperationException` saying why and naming the
/// commands that do the right thing.
pub fn check_swap(mode: Mode, swap: &Swap<'_>, found: &LocationUse) -> Result<()> {
    if mode == Mode::Track || same_location(swap.from, swap.to) {
        return Ok(());
    }
    let why = if let Some(other) = &found.live_partition {
        format!("partition {other} of {} is there now", swap.table)
    } else if let Some(past) = &found.past_partition {
        format!("partition {past} of {} used it before", swap.table)
    } else {
        return Ok(());
    };
    Err(CatalogError::InvalidOperation(format!(
        "Location {} cannot be used for partition {} of {}: {why}. Under {MODE_PARAM}=enforce every change goes to a \
         new batch directory (get one with `strata batch new {} --partition {}`); to go back to earlier data run \
         `strata rollback {} --partition {} --to BATCH_ID`",
        swap.to, swap.partition, swap.table, swap.table, swap.spec, swap.table, swap.spec
    )))
}

/// The message when the new location holds no data (the server checks storage under `enforce`).
#[must_use]
pub fn empty_location_message(table: &str, partition: &str, to: &str) -> String {
    format!(
        "Location {to} for partition {partition} of {table} is empty or does not exist: under {MODE_PARAM}=enforce a \
         partition may only be pointed at data that is already written (write the batch first, then swap it in)"
    )
}

/// Whether two locations name the same directory, however each is spelled
/// ([`location::canonical`]).
#[must_use]
pub fn same_location(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| location::same_place(a, b))
}

/// A partition name as a CLI spec: `k1=v1/k2=v2` becomes `k1=v1,k2=v2` (values as stored,
/// escaped).
#[must_use]
pub fn spec_of_name(partition_name: &str) -> String {
    partition_name.replace('/', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(mode: &str) -> Params {
        Params::from_iter([(MODE_PARAM.to_string(), mode.to_string())])
    }

    #[test]
    fn mode_comes_from_the_table_else_the_default() {
        assert_eq!(Mode::of_table(&Params::new(), Mode::Enforce), Mode::Enforce);
        assert_eq!(Mode::of_table(&Params::new(), Mode::Track), Mode::Track);
        assert_eq!(Mode::of_table(&params("track"), Mode::Enforce), Mode::Track);
        assert_eq!(Mode::of_table(&params("ENFORCE"), Mode::Track), Mode::Enforce);
        assert_eq!(Mode::of_table(&params("bogus"), Mode::Track), Mode::Track);
    }

    #[test]
    fn invalid_modes_are_refused_with_a_meta_exception() {
        assert!(validate_table_parameters(&params("track")).is_ok());
        assert!(validate_table_parameters(&Params::new()).is_ok());
        let err = validate_table_parameters(&params("sometimes")).unwrap_err();
        assert!(matches!(err, CatalogError::Meta(ref m) if m.contains("'sometimes'") && m.contains(MODE_PARAM)));
    }

    #[test]
    fn batch_ids_are_utc_seconds_and_sort_by_time() {
        let a = BatchId::at_millis(1_478_129_372_999);
        assert_eq!(a.as_str(), "20161102232932");
        assert_eq!(a.to_millis(), 1_478_129_372_000);
        assert_eq!(a.next().as_str(), "20161102232933");
        assert_eq!(BatchId::at_millis(1_478_131_199_000).next().as_str(), "20161103000000");
        assert!(a < a.next());
    }

    #[test]
    fn batch_ids_parse_only_valid_times() {
        assert!("20161102232932".parse::<BatchId>().is_ok());
        for bad in ["2016110223293", "201611022329321", "20161302232932", "20160230000000", "2016110223293x", ""] {
            assert!(bad.parse::<BatchId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn collisions_take_the_next_second_after_the_latest_batch() {
        let now = 1_478_129_372_500;
        assert_eq!(next_batch_id(now, None).as_str(), "20161102232932");
        let older = BatchId::at_millis(now - 60_000);
        assert_eq!(next_batch_id(now, Some(&older)).as_str(), "20161102232932");
        let same = BatchId::at_millis(now);
        assert_eq!(next_batch_id(now, Some(&same)).as_str(), "20161102232933");
        let future = BatchId::at_millis(now + 10_000);
        assert_eq!(next_batch_id(now, Some(&future)).as_str(), "20161102232943");
    }

    #[test]
    fn batch_locations_nest_under_the_partition_directory() {
        let b: BatchId = "20161102234252".parse().unwrap();
        assert_eq!(
            batch_location("s3://bucket/sold_items/", "ds=20161031", &b),
            "s3://bucket/sold_items/ds=20161031/20161102234252"
        );
        assert_eq!(batch_of_location("s3://bucket/sold_items/ds=20161031/20161102234252/"), Some(b));
        assert_eq!(batch_of_location("s3://bucket/sold_items/ds=20161031"), None);
    }

    fn swap<'a>(from: Option<&'a str>, to: &'a str) -> Swap<'a> {
        Swap { table: "db.t", partition: "ds=1", spec: "ds=1", from, to }
    }

    #[test]
    fn track_allows_every_swap() {
        let reused = LocationUse { live_partition: Some("ds=2".into()), past_partition: Some("ds=1".into()) };
        assert!(check_swap(Mode::Track, &swap(Some("/a"), "/b"), &reused).is_ok());
    }

    #[test]
    fn enforce_allows_fresh_locations_and_unchanged_ones() {
        assert!(check_swap(Mode::Enforce, &swap(Some("/a"), "/b"), &LocationUse::default()).is_ok());
        let past = LocationUse { past_partition: Some("ds=1".into()), ..LocationUse::default() };
        assert!(check_swap(Mode::Enforce, &swap(Some("/a/"), "/a"), &past).is_ok());
    }

    #[test]
    fn enforce_refuses_a_location_in_use_and_names_the_fix() {
        let live = LocationUse { live_partition: Some("ds=2".into()), ..LocationUse::default() };
        let err = check_swap(Mode::Enforce, &swap(Some("/a"), "/b"), &live).unwrap_err();
        let CatalogError::InvalidOperation(m) = err else { panic!("{err:?}") };
        assert!(m.contains("partition ds=2 of db.t is there now"), "{m}");
        assert!(m.contains("strata batch new db.t --partition ds=1"), "{m}");
        assert!(m.contains("strata rollback db.t --partition ds=1 --to BATCH_ID"), "{m}");
    }

    #[test]
    fn enforce_refuses_a_location_used_before() {
        let past = LocationUse { past_partition: Some("ds=1".into()), ..LocationUse::default() };
        let err = check_swap(Mode::Enforce, &swap(Some("/b"), "/a"), &past).unwrap_err();
        assert!(matches!(err, CatalogError::InvalidOperation(ref m) if m.contains("used it before")), "{err:?}");
        // A partition never located anywhere before (from = None) is checked the same way.
        assert!(check_swap(Mode::Enforce, &swap(None, "/a"), &past).is_err());
    }

    #[test]
    fn specs_use_commas() {
        assert_eq!(spec_of_name("ds=1/h=02"), "ds=1,h=02");
    }
}
