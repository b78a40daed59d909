//! Identifiers: normalisation, validation, `@catalog#db` arguments and HMS name patterns.

use regex::Regex;

use crate::error::{CatalogError, Result};

/// The one catalog Strata serves.
pub const DEFAULT_CATALOG: &str = "hive";
/// The database that always exists.
pub const DEFAULT_DATABASE: &str = "default";

/// Trim and lower-case an identifier, as HMS does for database and table names.
#[must_use]
pub fn normalize(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Longest database, table or function name: 128 characters, the width of the name columns of
/// Apache HMS's schema (`DBS.NAME`, `FUNCS.FUNC_NAME`), past which HMS refuses the object.
/// (A longer name would also not fit in one directory name on most file systems.)
pub const MAX_NAME_LENGTH: usize = 128;

/// HMS's `validateName` (`[\w_]+`: one or more ASCII letters, digits or underscores), at most
/// [`MAX_NAME_LENGTH`] characters.
#[must_use]
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME_LENGTH && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Check a database name, with HMS's message on failure.
pub fn validate_database_name(name: &str) -> Result<()> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(CatalogError::InvalidObject(format!("{name} is not a valid database name")))
    }
}

/// Check a table name, with HMS's message on failure.
pub fn validate_table_name(name: &str) -> Result<()> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(CatalogError::InvalidObject(format!("{name} is not a valid object name")))
    }
}

/// What a legacy string `db_name` argument names once its `@cat#` prefix is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbArg {
    /// The catalog (`hive` when no prefix was sent).
    pub catalog: String,
    /// The database name or pattern; `None` means "all" (`@cat#`).
    pub db: Option<String>,
}

/// Parse a `db_name` argument that may carry a catalog: `@cat#db`, `@cat#` (all), `@cat#!` (empty).
#[must_use]
pub fn parse_db_arg(arg: &str) -> DbArg {
    if let Some(rest) = arg.strip_prefix('@') {
        if let Some((cat, db)) = rest.split_once('#') {
            let db = match db {
                "" => None,
                "!" => Some(String::new()),
                other => Some(other.to_string()),
            };
            return DbArg { catalog: cat.to_lowercase(), db };
        }
    }
    DbArg { catalog: DEFAULT_CATALOG.to_string(), db: Some(arg.to_string()) }
}

/// Strip a `@cat#` prefix and return the database name (empty when the argument named "all").
#[must_use]
pub fn strip_catalog(arg: &str) -> String {
    parse_db_arg(arg).db.unwrap_or_default()
}

/// An HMS name pattern (`get_databases`, `get_tables`): alternatives split on `|`, `*` means any
/// run of characters, matched case-insensitively as a whole-string regex.
#[derive(Debug, Clone)]
pub struct NamePattern {
    regex: Option<Regex>,
}

impl NamePattern {
    /// Compile a pattern; `None`, empty or `*` matches everything.
    pub fn new(pattern: Option<&str>) -> Result<Self> {
        let pattern = match pattern.map(str::trim) {
            None | Some("" | "*") => return Ok(Self { regex: None }),
            Some(p) => p,
        };
        let alternatives: Vec<String> =
            pattern.split('|').map(|alt| format!("(?:{})", alt.trim().replace('*', ".*"))).collect();
        let source = format!("(?i)^(?:{})$", alternatives.join("|"));
        Regex::new(&source)
            .map(|regex| Self { regex: Some(regex) })
            .map_err(|e| CatalogError::Meta(format!("Invalid pattern '{pattern}': {e}")))
    }

    /// Whether a name matches.
    #[must_use]
    pub fn matches(&self, name: &str) -> bool {
        self.regex.as_ref().is_none_or(|r| r.is_match(name))
    }

    /// Whether the pattern matches everything (no filtering needed).
    #[must_use]
    pub fn is_all(&self) -> bool {
        self.regex.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_and_validated() {
        assert_eq!(normalize("  MyTable "), "mytable");
        assert!(is_valid_name("sales_2024"));
        assert!(!is_valid_name("bad-name"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("a.b"));
        assert!(!is_valid_name("a\0b"));
        assert!(is_valid_name(&"n".repeat(MAX_NAME_LENGTH)));
        assert!(!is_valid_name(&"n".repeat(MAX_NAME_LENGTH + 1)));
        assert_eq!(
            validate_database_name("a b").unwrap_err(),
            CatalogError::InvalidObject("a b is not a valid database name".into())
        );
    }

    #[test]
    fn catalog_prefix_is_understood() {
        assert_eq!(parse_db_arg("sales"), DbArg { catalog: "hive".into(), db: Some("sales".into()) });
        assert_eq!(parse_db_arg("@hive#sales"), DbArg { catalog: "hive".into(), db: Some("sales".into()) });
        assert_eq!(parse_db_arg("@hive#"), DbArg { catalog: "hive".into(), db: None });
        assert_eq!(parse_db_arg("@hive#!"), DbArg { catalog: "hive".into(), db: Some(String::new()) });
        assert_eq!(strip_catalog("@HIVE#db1"), "db1");
    }

    #[test]
    fn patterns_follow_hms() {
        let all = NamePattern::new(Some("*")).unwrap();
        assert!(all.is_all() && all.matches("x"));
        let p = NamePattern::new(Some("sa*|Other")).unwrap();
        assert!(p.matches("sales"));
        assert!(p.matches("other"));
        assert!(!p.matches("xsales"));
        // Hive's own ".*" becomes "..*", which must still work.
        let hive = NamePattern::new(Some(".*")).unwrap();
        assert!(hive.matches("t1"));
        assert!(NamePattern::new(Some("t1")).unwrap().matches("T1"));
        assert!(!NamePattern::new(Some("t1")).unwrap().matches("t10"));
    }
}
