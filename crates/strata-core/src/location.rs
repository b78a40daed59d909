//! Locations: default paths for databases and tables, and the retained area where Strata moves
//! data that Apache HMS would delete.

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
    child == parent || child.strip_prefix(parent).is_some_and(|rest| rest.starts_with('/'))
}

/// Give a location without a scheme the warehouse's scheme (HMS qualifies paths with the
/// default file system). Locations that already carry a scheme are kept as sent.
#[must_use]
pub fn qualify(location: &str, warehouse: &str) -> String {
    if location.contains("://") || location.starts_with("file:") {
        return trim_trailing_slash(location).to_string();
    }
    let scheme_end = warehouse.find("://").map(|i| i + 3);
    match scheme_end {
        Some(end) if location.starts_with('/') => {
            let scheme = &warehouse[..end];
            if scheme == "file://" {
                format!("file://{}", trim_trailing_slash(location))
            } else {
                // s3://bucket/... : keep the authority of the warehouse.
                let authority_end = warehouse[end..].find('/').map_or(warehouse.len(), |i| end + i);
                format!("{}{}", &warehouse[..authority_end], trim_trailing_slash(location))
            }
        }
        _ => trim_trailing_slash(location).to_string(),
    }
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
        assert_eq!(qualify("/tmp/x/", "file:///wh"), "file:///tmp/x");
        assert_eq!(qualify("/k/x", "s3://bucket/wh"), "s3://bucket/k/x");
        assert_eq!(qualify("file:/tmp/x", "file:///wh"), "file:/tmp/x");
        assert_eq!(trim_trailing_slash("file:///"), "file:///");
    }
}
