//! Time as HMS keeps it: whole seconds since the Unix epoch in an `i32`.

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch, as in HMS's `createTime` and `transient_lastDdlTime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EpochSeconds(pub i32);

impl EpochSeconds {
    /// The current time.
    #[must_use]
    pub fn now() -> Self {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Self(i32::try_from(secs).unwrap_or(i32::MAX))
    }
}

impl std::fmt::Display for EpochSeconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Milliseconds since the Unix epoch (locks, history rows and batch ids use this resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EpochMillis(pub i64);

impl EpochMillis {
    /// The current time of the system clock.
    #[must_use]
    pub fn now() -> Self {
        SystemClock.now()
    }

    /// The whole second this moment falls in, as HMS keeps it (clamped to the `i32` range).
    #[must_use]
    pub fn seconds(self) -> EpochSeconds {
        let secs = self.0.div_euclid(1000);
        EpochSeconds(i32::try_from(secs).unwrap_or(if secs < 0 { i32::MIN } else { i32::MAX }))
    }

    /// This moment plus a duration (saturating).
    #[must_use]
    pub fn plus(self, d: std::time::Duration) -> Self {
        Self(self.0.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
    }
}

impl From<EpochSeconds> for EpochMillis {
    fn from(s: EpochSeconds) -> Self {
        Self(i64::from(s.0) * 1000)
    }
}

impl From<EpochMillis> for i64 {
    fn from(m: EpochMillis) -> Self {
        m.0
    }
}

impl std::fmt::Display for EpochMillis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where "now" comes from. The catalog reads every timestamp it writes (history rows, create
/// times, batch ids, lock and move times) from one of these, so tests can run on a clock they
/// move by hand.
pub trait Clock: std::fmt::Debug + Send + Sync {
    /// The current time.
    fn now(&self) -> EpochMillis;

    /// The current time in milliseconds since the epoch.
    fn now_millis(&self) -> i64 {
        self.now().0
    }

    /// The current time in whole seconds, as HMS keeps it.
    fn now_seconds(&self) -> EpochSeconds {
        self.now().seconds()
    }
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> EpochMillis {
        EpochMillis(now_millis())
    }
}

/// A clock that stands still until it is set or advanced (for tests).
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    /// A clock showing `at`.
    #[must_use]
    pub fn new(at: EpochMillis) -> Self {
        Self(std::sync::atomic::AtomicI64::new(at.0))
    }

    /// Show `at` from now on.
    pub fn set(&self, at: EpochMillis) {
        self.0.store(at.0, std::sync::atomic::Ordering::SeqCst);
    }

    /// Move the clock forward by `d`; returns the new time.
    pub fn advance(&self, d: std::time::Duration) -> EpochMillis {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let before = self.0.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
        EpochMillis(before.saturating_add(ms))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> EpochMillis {
        EpochMillis(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// `YYYYMMDDHHMMSS` in UTC for epoch seconds (the batch-id and retained-area stamp format).
#[must_use]
pub fn compact_utc(epoch_secs: i64) -> String {
    let days = epoch_secs.div_euclid(86_400);
    let rem = epoch_secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}{:02}{:02}{:02}", rem / 3_600, (rem % 3_600) / 60, rem % 60)
}

/// RFC 3339 in UTC with milliseconds (`2016-11-02T23:42:52.123Z`) for epoch milliseconds.
#[must_use]
pub fn rfc3339_millis(epoch_millis: i64) -> String {
    let c = compact_utc(epoch_millis.div_euclid(1000));
    format!(
        "{}-{}-{}T{}:{}:{}.{:03}Z",
        &c[0..4],
        &c[4..6],
        &c[6..8],
        &c[8..10],
        &c[10..12],
        &c[12..14],
        epoch_millis.rem_euclid(1000)
    )
}

/// Milliseconds since the Unix epoch (locks and history use this resolution).
#[must_use]
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Days since the epoch of a civil date (Howard Hinnant's days-from-civil), `None` if invalid.
fn days_from_civil(year: i64, month: i64, day: i64) -> Option<i64> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) || day < 1 || day > month_days[usize::try_from(month - 1).ok()?] {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn seconds_of(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    if !(0..24).contains(&h) || !(0..60).contains(&mi) || !(0..60).contains(&s) {
        return None;
    }
    Some(days_from_civil(y, mo, d)? * 86_400 + h * 3_600 + mi * 60 + s)
}

/// Epoch seconds of `YYYYMMDDHHMMSS` (UTC); `None` unless exactly 14 digits of a valid time.
#[must_use]
pub fn parse_compact_utc(s: &str) -> Option<i64> {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().ok();
    seconds_of(n(0..4)?, n(4..6)?, n(6..8)?, n(8..10)?, n(10..12)?, n(12..14)?)
}

/// Milliseconds since the epoch of a point in time as users write it: `YYYYMMDDHHMMSS` (UTC),
/// or ISO 8601 `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff]]` with an optional `Z` or `±HH:MM`
/// offset (no offset means UTC); a space may stand for the `T`.
#[must_use]
pub fn parse_instant_millis(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(secs) = parse_compact_utc(s) {
        return Some(secs * 1000);
    }
    let re = regex::Regex::new(
        r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$",
    )
    .ok()?;
    let c = re.captures(s)?;
    let n = |i: usize| c.get(i).map_or(Some(0), |m| m.as_str().parse::<i64>().ok());
    let secs = seconds_of(n(1)?, n(2)?, n(3)?, n(4)?, n(5)?, n(6)?)?;
    let millis = c.get(7).map_or(0, |m| {
        let digits = format!("{:0<3}", m.as_str());
        digits[..3].parse::<i64>().unwrap_or(0)
    });
    let offset = match c.get(8).map(|m| m.as_str()) {
        None | Some("Z") => 0,
        Some(o) => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let digits: String = o[1..].chars().filter(char::is_ascii_digit).collect();
            let (h, m) = (digits[..2].parse::<i64>().ok()?, digits[2..].parse::<i64>().ok()?);
            sign * (h * 3_600 + m * 60)
        }
    };
    Some((secs - offset) * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_tell_millis_and_seconds() {
        let clock = ManualClock::new(EpochMillis(1_478_130_172_123));
        assert_eq!(clock.now_millis(), 1_478_130_172_123);
        assert_eq!(clock.now_seconds(), EpochSeconds(1_478_130_172));
        assert_eq!(clock.advance(std::time::Duration::from_millis(877)), EpochMillis(1_478_130_173_000));
        assert_eq!(clock.now_seconds(), EpochSeconds(1_478_130_173));
        clock.set(EpochMillis(-1));
        assert_eq!(clock.now_seconds(), EpochSeconds(-1));
        assert_eq!(EpochMillis::from(EpochSeconds(2)), EpochMillis(2000));
        assert_eq!(EpochMillis(i64::MAX).seconds(), EpochSeconds(i32::MAX));
        let system = SystemClock.now_millis();
        assert!(system > 1_478_130_172_123, "{system}");
    }

    #[test]
    fn rfc3339_formats() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(1_478_130_172_123), "2016-11-02T23:42:52.123Z");
    }

    #[test]
    fn compact_utc_formats() {
        assert_eq!(compact_utc(0), "19700101000000");
        assert_eq!(compact_utc(1_478_129_372), "20161102232932");
        assert_eq!(compact_utc(951_782_400), "20000229000000");
    }

    #[test]
    fn compact_utc_round_trips() {
        for secs in [0, 951_782_400, 1_478_129_372, 4_102_444_799] {
            assert_eq!(parse_compact_utc(&compact_utc(secs)), Some(secs));
        }
        assert_eq!(parse_compact_utc("20230229000000"), None);
        assert_eq!(parse_compact_utc("20231301000000"), None);
        assert_eq!(parse_compact_utc("20231231240000"), None);
    }

    #[test]
    fn instants_parse_iso_8601_and_compact() {
        let t = 1_478_129_372_000;
        assert_eq!(parse_instant_millis("20161102232932"), Some(t));
        assert_eq!(parse_instant_millis("2016-11-02T23:29:32Z"), Some(t));
        assert_eq!(parse_instant_millis("2016-11-02 23:29:32"), Some(t));
        assert_eq!(parse_instant_millis("2016-11-02T23:29:32.250Z"), Some(t + 250));
        assert_eq!(parse_instant_millis("2016-11-03T01:29:32+02:00"), Some(t));
        assert_eq!(parse_instant_millis("2016-11-02T23:29"), Some(t - 32_000));
        assert_eq!(parse_instant_millis("2016-11-02"), Some(t - (23 * 3600 + 29 * 60 + 32) * 1000));
        assert_eq!(parse_instant_millis("yesterday"), None);
        assert_eq!(parse_instant_millis("2016-02-30"), None);
    }
}
