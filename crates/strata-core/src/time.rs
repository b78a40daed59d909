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

/// Milliseconds since the Unix epoch (locks and history use this resolution).
#[must_use]
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_utc_formats() {
        assert_eq!(compact_utc(0), "19700101000000");
        assert_eq!(compact_utc(1_478_129_372), "20161102232932");
        assert_eq!(compact_utc(951_782_400), "20000229000000");
    }
}
