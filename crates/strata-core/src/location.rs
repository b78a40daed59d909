//! Locations: their one canonical spelling ([`canonical`]), default paths for databases and
//! tables, and the retained area where Strata moves data that Apache HMS would delete.

use crate::{CatalogError, Result};

/// The directory (under the warehouse root) that holds retained data. It starts with a `.` so
/// engines' file listings skip it.
pub const RETAINED_DIR: &str = ".strata-retained";

/// Join a child path segment onto a location, with exactly one `/` between them.
#[must_use]
pub fn join(base: &str, child: &str) -> String {
    format!("{}/{}", trim_trailing_slash(base), child.trim_start_matches('/'))
}

/// A location without trailing slashes (but `file:///` stays intact).
#[must_use]
pub fn trim_trailing_slash(location: &str) -> &str {
    let trimmed = location.trim_end_matches('/');
    if trimmed.ends_with(':') || trimmed.is_empty() {
        location
    } else {
        trimmed
    }
}

/// HMS's `encodeTableName`: letters, digits and `_` are kept, any other character `c` becomes
/// `-<code point>-`.
#[must_use]
pub fn encode_table_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_alphanumeric() || c == '_' {
            out.push(c);
        } else {
            out.push('-');
            out.push_str(&(c as u32).to_string());
            out.push('-');
        }
    }
    out
}

/// Where a database lives when created without a location: `<warehouse>/<db>.db`, and the
/// warehouse root itself for `default`.
#[must_use]
pub fn default_database_location(warehouse: &str, db: &str) -> String {
    if db == crate::names::DEFAULT_DATABASE {
        trim_trailing_slash(warehouse).to_string()
    } else {
        join(warehouse, &format!("{db}.db"))
    }
}

/// Where a table lives when created without a location: `<db location>/<encoded table>`.
#[must_use]
pub fn default_table_location(db_location: &str, table: &str) -> String {
    join(db_location, &encode_table_name(table))
}

/// Where retained data of a table (or of one of its partitions) goes:
/// `<warehouse>/.strata-retained/<db>.db/<table>[/<partition name>]/<stamp>`.
#[must_use]
pub fn retained_location(warehouse: &str, db: &str, table: &str, partition: Option<&str>, stamp: &str) -> String {
    let mut loc = join(&join(warehouse, RETAINED_DIR), &format!("{db}.db/{}", encode_table_name(table)));
    if let Some(part) = partition {
        loc = join(&loc, part);
    }
    join(&loc, stamp)
}

/// Where a dropped database's own directory goes:
/// `<warehouse>/.strata-retained/<db>.db/<stamp>` (stamps contain `-`, table names cannot).
#[must_use]
pub fn retained_database_location(warehouse: &str, db: &str, stamp: &str) -> String {
    join(&join(warehouse, RETAINED_DIR), &format!("{db}.db/{stamp}"))
}

/// Whether `child` is `parent` or lies below it.
#[must_use]
pub fn is_within(child: &str, parent: &str) -> bool {
    let parent = trim_trailing_slash(parent);
    let child = trim_trailing_slash(child);
    child == parent || child.strip_prefix(parent).is_some_and(|rest| rest.starts_with('/') || parent.ends_with('/'))
}

/// Give a location without a scheme the warehouse's scheme (HMS qualifies paths with the
/// default file system), then put it in its [`canonical`] form.
pub fn qualify(location: &str, warehouse: &str) -> Result<String> {
    let location = location.trim();
    if scheme_of(location).is_some() {
        return canonical(location);
    }
    let scheme_end = warehouse.find("://").map(|i| i + 3);
    let qualified = match scheme_end {
        Some(end) if location.starts_with('/') => {
            let scheme = &warehouse[..end];
            if scheme == "file://" {
                format!("file://{location}")
            } else {
                // s3://bucket/... : keep the authority of the warehouse.
                let authority_end = warehouse[end..].find('/').map_or(warehouse.len(), |i| end + i);
                format!("{}{location}", &warehouse[..authority_end])
            }
        }
        _ => location.to_string(),
    };
    canonical(&qualified)
}

/// The scheme of a location (`file`, `s3`, ...), lower-cased, if it has one: letters, digits,
/// `+`, `-`, `.` before the first `:`, which comes before any `/`.
fn scheme_of(location: &str) -> Option<String> {
    let colon = location.find(':')?;
    let scheme = &location[..colon];
    let valid = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

fn refused(location: &str, why: &str) -> CatalogError {
    CatalogError::InvalidObject(format!("Invalid location {location:?}: {why}"))
}

/// The one spelling of a location that Strata stores, compares, checks and moves.
///
/// - The scheme is lower-cased and `s3a`/`s3n` become `s3` (one object store, three names).
/// - `file:/x`, `file:///x` and `file://localhost/x` are all `file:///x` (another host is
///   refused: Strata cannot reach it).
/// - In the path, empty segments (`//`) and `.` are removed and `..` goes up one segment;
///   a `..` that would go above the root is refused.
/// - No trailing `/`, except for a root (`file:///`, `s3://bucket/`... which stay as roots).
/// - NUL and other control characters are refused.
///
/// Refusals are `InvalidObjectException`s (callers of an alter turn them into the exception
/// their method declares). A location without a scheme is normalised as a path (callers
/// qualify it first: [`qualify`]).
pub fn canonical(location: &str) -> Result<String> {
    if location.chars().any(char::is_control) {
        return Err(refused(location, "control characters are not allowed in a location"));
    }
    let location = location.trim();
    if location.is_empty() {
        return Err(refused(location, "a location cannot be empty"));
    }
    let Some(scheme) = scheme_of(location) else {
        if !location.starts_with('/') {
            return Err(refused(location, "a location must be an absolute path or a URI"));
        }
        return normalize_path(location).ok_or_else(|| refused(location, "'..' goes above the root"));
    };
    let rest = &location[scheme.len() + 1..];
    let scheme = match scheme.as_str() {
        "s3a" | "s3n" => "s3".to_string(),
        _ => scheme,
    };
    let (authority, path) = match rest.strip_prefix("//") {
        Some(after) => match after.find('/') {
            Some(slash) => (&after[..slash], &after[slash..]),
            None => (after, "/"),
        },
        None => ("", rest),
    };
    let authority = if scheme == "file" {
        if !authority.is_empty() && !authority.eq_ignore_ascii_case("localhost") {
            return Err(refused(location, "a file location cannot name another host"));
        }
        ""
    } else {
        authority
    };
    if scheme != "file" && authority.is_empty() && scheme == "s3" {
        return Err(refused(location, "an s3 location needs a bucket"));
    }
    if !path.is_empty() && !path.starts_with('/') {
        return Err(refused(location, "the path of a location must be absolute"));
    }
    let path = normalize_path(if path.is_empty() { "/" } else { path })
        .ok_or_else(|| refused(location, "'..' goes above the root"))?;
    Ok(format!("{scheme}://{authority}{path}"))
}

/// `/a//b/./c/../d/` → `/a/b/d`; `None` if `..` goes above `/`.
fn normalize_path(path: &str) -> Option<String> {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop()?;
            }
            s => segments.push(s),
        }
    }
    Some(format!("/{}", segments.join("/")))
}

/// The canonical form of a location read back from storage (it may predate canonical
/// locations), or the location itself, trimmed, if it has none.
#[must_use]
pub fn canonical_or_raw(location: &str) -> String {
    canonical(location).unwrap_or_else(|_| trim_trailing_slash(location).to_string())
}

/// Whether two locations are one place, whatever their spellings.
#[must_use]
pub fn same_place(a: &str, b: &str) -> bool {
    canonical_or_raw(a) == canonical_or_raw(b)
}

/// Whether `child` lies strictly below `parent` (both canonical).
#[must_use]
pub fn is_strictly_within(child: &str, parent: &str) -> bool {
    child != parent && is_within(child, parent)
}

/// The ancestors of a canonical location, nearest first, down to (and including) its root:
/// `file:///a/b/c` → `file:///a/b`, `file:///a`, `file:///`.
#[must_use]
pub fn ancestors(location: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some(start) = location.find("://").map(|i| i + 3) else { return out };
    let root_end = location[start..].find('/').map_or(location.len(), |i| start + i);
    let mut current = location;
    while let Some(slash) = current.rfind('/') {
        if slash < root_end {
            break;
        }
        let parent = if slash == root_end { &location[..=root_end] } else { &current[..slash] };
        if parent == current {
            break;
        }
        out.push(parent.to_string());
        if slash == root_end {
            break;
        }
        current = parent;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_hms() {
        assert_eq!(default_database_location("file:///wh/", "sales"), "file:///wh/sales.db");
        assert_eq!(default_database_location("file:///wh", "default"), "file:///wh");
        assert_eq!(default_table_location("file:///wh/sales.db", "items"), "file:///wh/sales.db/items");
        assert_eq!(encode_table_name("a b"), "a-32-b");
    }

    #[test]
    fn retained_paths_are_hidden_and_unique_per_stamp() {
        assert_eq!(
            retained_location("s3://b/wh", "db", "t", Some("ds=1"), "20240101000000"),
            "s3://b/wh/.strata-retained/db.db/t/ds=1/20240101000000"
        );
        assert_eq!(retained_location("file:///wh", "db", "t", None, "x"), "file:///wh/.strata-retained/db.db/t/x");
    }

    #[test]
    fn containment_and_qualification() {
        assert!(is_within("file:///a/b/c", "file:///a/b"));
        assert!(is_within("file:///a/b/", "file:///a/b"));
        assert!(!is_within("file:///a/bc", "file:///a/b"));
        assert!(is_within("file:///a", "file:///"));
        assert!(!is_within("file:///", "file:///a"));
        assert_eq!(qualify("/tmp/x/", "file:///wh").unwrap(), "file:///tmp/x");
        assert_eq!(qualify("/k/x", "s3://bucket/wh").unwrap(), "s3://bucket/k/x");
        assert_eq!(qualify("file:/tmp/x", "file:///wh").unwrap(), "file:///tmp/x");
        assert_eq!(trim_trailing_slash("file:///"), "file:///");
    }

    #[test]
    fn every_spelling_of_a_place_is_one_canonical_location() {
        for spelling in [
            "file:///wh/t/p",
            "file:/wh/t/p",
            "file://localhost/wh/t/p",
            "FILE://LocalHost/wh/t/p/",
            "file:///wh//t///p//",
            "file:///wh/./t/./p/.",
            "file:///wh/x/../t/p",
            "file:///wh/t/q/../p/",
        ] {
            assert_eq!(canonical(spelling).unwrap(), "file:///wh/t/p", "{spelling}");
        }
        for spelling in ["s3://b/k/x", "s3a://b/k/x/", "S3A://b//k/./x", "s3n://b/k/y/../x"] {
            assert_eq!(canonical(spelling).unwrap(), "s3://b/k/x", "{spelling}");
        }
        assert_eq!(canonical("file:///").unwrap(), "file:///");
        assert_eq!(canonical("file:/").unwrap(), "file:///");
        assert_eq!(canonical("file:///a/..").unwrap(), "file:///");
        assert_eq!(canonical("s3://b").unwrap(), "s3://b/");
        assert_eq!(canonical("s3://b/").unwrap(), "s3://b/");
        assert_eq!(canonical("hdfs://nn:8020/a//b/").unwrap(), "hdfs://nn:8020/a/b");
        assert_eq!(canonical("/a/./b/").unwrap(), "/a/b");
        // Canonical is a fixed point.
        for c in ["file:///", "file:///a/b", "s3://b/", "s3://b/k", "hdfs://nn:8020/a"] {
            assert_eq!(canonical(c).unwrap(), c);
        }
    }

    #[test]
    fn escapes_and_control_characters_are_refused() {
        for bad in [
            "file:///..",
            "file:///a/../../etc",
            "s3://b/../other/k",
            "file:///a\0b",
            "file:///a\nb",
            "file:///a\u{7f}",
            "file://otherhost/a",
            "file:relative/x",
            "relative/x",
            "s3:///k",
            "",
        ] {
            let err = canonical(bad).unwrap_err();
            assert!(matches!(err, CatalogError::InvalidObject(_)), "{bad:?}: {err:?}");
        }
        assert!(canonical("file:///a\0b").is_err());
        assert!(canonical("file:///a\tb").is_err());
    }

    #[test]
    fn ancestors_go_up_to_the_root() {
        assert_eq!(ancestors("file:///a/b/c"), ["file:///a/b", "file:///a", "file:///"]);
        assert_eq!(ancestors("s3://bk/a"), ["s3://bk/"]);
        assert!(ancestors("file:///").is_empty());
        assert!(ancestors("s3://bk/").is_empty());
        assert!(is_strictly_within("file:///a/b", "file:///a"));
        assert!(!is_strictly_within("file:///a", "file:///a"));
        assert!(same_place("file:/a/b/", "file://localhost/a//b"));
    }
}
