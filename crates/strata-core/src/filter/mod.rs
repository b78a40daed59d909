//! The HMS filter language of `get_partitions_by_filter`, `get_num_partitions_by_filter`,
//! `get_part_specs_by_filter` and `get_table_names_by_filter`.
//!
//! [`parse`] turns a filter string into a typed [`Expr`]; [`Expr::check_types`] applies HMS's
//! typing rules against the table's keys; [`Expr::eval`] (or a reusable [`Matcher`]) evaluates it
//! in memory. SQL pushdown is done elsewhere from the same AST ([`like_to_regex`] and
//! [`parse_date`] are shared).
//!
//! Files: this one holds the AST and the entry points; `lex` (tokens), `parse` (recursive
//! descent), `print` (back to filter text), `eval` (keys, typing rules, evaluation), `date`
//! (calendar dates), `tests`.
//!
//! # Grammar (the union of Hive 2.3's `Filter.g` and Hive 4's `PartitionFilter.g4`)
//!
//! ```text
//! filter   := or                                  (empty or blank → no filter: every partition)
//! or       := and ( OR and )*                     (AND binds tighter than OR)
//! and      := primary ( AND primary )*
//! primary  := '(' or ')'
//!           | key op literal | literal op key     (the second form is stored with the operator flipped)
//!           | key LIKE string                     (a literal on the left of LIKE is an error)
//!           | key [NOT] BETWEEN literal AND literal
//!           | '(' key ')' [NOT] IN '(' literal (',' literal)* ')'
//!           | key [NOT] IN '(' literal (',' literal)* ')'          (Hive 4)
//! op       := '=' | '!=' | '<>' | '<' | '<=' | '>' | '>='   ('==' and '<=>' are rejected)
//! key      := [A-Za-z0-9_]+ | '`' ( [^`] | '``' )* '`'            (case-insensitive: lower-cased)
//! literal  := string | integer | date
//! string   := '…' | "…"        backslash escapes are lexed, but the value is the raw text between
//!                               the quotes, NOT unescaped (as Hive 2.3): "a\"b" is the 4 chars a\"b
//! integer  := -?[0-9]+          an i64; overflow is an error
//! date     := yyyy-MM-dd        unquoted and a valid calendar date, or Hive 4's DATE 'yyyy-MM-dd'
//! ```
//!
//! Keywords (`AND OR NOT LIKE BETWEEN IN`, and `DATE` before a quoted string) are
//! case-insensitive. There is no general `NOT`, no `IS NULL`, no floats, booleans or NULL.
//! Parentheses may nest at most [`MAX_DEPTH`] deep, so no input can overflow the stack.
//!
//! # Evaluation (HMS directSQL semantics)
//!
//! | key type | literal | comparison |
//! |---|---|---|
//! | string | string or date | lexicographic on the raw stored value (a date literal as its text) |
//! | integer | integer | numeric; the default partition is NULL |
//! | date | date, or a string that parses as a date | by calendar date; the default partition is NULL |
//! | string | `LIKE` | regex match of the whole value, see [`like_to_regex`] |
//!
//! NULL (an absent key or a `None` value) matches nothing, not even `!=`, `NOT IN` or
//! `NOT BETWEEN`, like SQL NULL. Other combinations are rejected by [`Expr::check_types`] and
//! evaluate to false.

use std::cmp::Ordering;
use std::fmt;

use regex::Regex;

use crate::error::CatalogError;

mod date;
mod eval;
mod lex;
mod parse;
mod print;
#[cfg(test)]
mod tests;

pub use date::parse_date;
pub use eval::Matcher;
use lex::{is_space, lex, Tok};
use parse::Parser;

/// How deep parentheses may nest before the filter is rejected.
pub const MAX_DEPTH: usize = 200;

/// `MetaException` text for a comparison HMS cannot push down: type mismatches, `LIKE` on a
/// non-string key, keys of other types.
pub const STRING_KEYS_ONLY: &str = "Filtering is supported only on partition keys of type string";

/// `MetaException` text for a `LIKE` with the value on the left.
pub const LIKE_VALUE_ON_RHS: &str = "Value should be on the RHS for LIKE operator";

/// `MetaException` text for a key that is not a partition key (`key` as the AST holds it).
#[must_use]
pub fn not_a_partition_key(key: &str) -> String {
    format!("Specified key <{key}> is not a partitioning key for the table")
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `=` (Hive 4's `==` is rejected, as Apache HMS 2.3 does).
    Eq,
    /// `!=` or `<>`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CompareOp {
    /// The operator with its operands swapped: `5 < k` is `k > 5`.
    #[must_use]
    pub fn flip(self) -> Self {
        match self {
            Self::Eq => Self::Eq,
            Self::Ne => Self::Ne,
            Self::Lt => Self::Gt,
            Self::Le => Self::Ge,
            Self::Gt => Self::Lt,
            Self::Ge => Self::Le,
        }
    }

    /// The SQL spelling (`=`, `<>`, `<`, `<=`, `>`, `>=`).
    #[must_use]
    pub fn as_sql(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "<>",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        }
    }

    /// Whether an ordering of `value` against the literal satisfies the operator.
    #[must_use]
    pub fn holds(self, ord: Ordering) -> bool {
        match self {
            Self::Eq => ord == Ordering::Equal,
            Self::Ne => ord != Ordering::Equal,
            Self::Lt => ord == Ordering::Less,
            Self::Le => ord != Ordering::Greater,
            Self::Gt => ord == Ordering::Greater,
            Self::Ge => ord != Ordering::Less,
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ne => "!=",
            other => other.as_sql(),
        })
    }
}

/// A literal of the filter language.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Literal {
    /// A quoted string: the raw text between the quotes, escapes NOT processed.
    String(String),
    /// An integer.
    Integer(i64),
    /// An unquoted `yyyy-MM-dd` (or `DATE '…'`), a valid calendar date in exactly that form.
    Date(String),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::String(s) => {
                // The raw text must be re-lexable between the chosen quotes. A string that fits
                // neither (only possible for a hand-built literal) is written in double quotes.
                let q = if !fits_in_quotes(s, b'"') && fits_in_quotes(s, b'\'') { '\'' } else { '"' };
                write!(f, "{q}{s}{q}")
            }
            Self::Integer(n) => write!(f, "{n}"),
            Self::Date(d) => f.write_str(d),
        }
    }
}

/// Whether `s` lexes as the body of a string quoted with `q`: no bare `q`, no dangling `\`.
fn fits_in_quotes(s: &str, q: u8) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if i + 1 >= b.len() => return false,
            b'\\' => i += 2,
            c if c == q => return false,
            _ => i += 1,
        }
    }
    true
}

/// A parsed filter.
///
/// `And`/`Or` are n-ary and flattened (`a and (b and c)` is one `And` of three); as produced by
/// [`parse`] they hold at least two operands, none of which is of the same kind. Keys are
/// lower-cased by [`parse`] (kept as written by [`parse_table_filter`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// All operands hold (an empty `And` is true).
    And(Vec<Expr>),
    /// Some operand holds (an empty `Or` is false).
    Or(Vec<Expr>),
    /// `key op value`; a filter written `value op key` is stored with the operator flipped.
    Compare {
        /// The key.
        key: String,
        /// The operator, with the key on the left.
        op: CompareOp,
        /// The literal.
        value: Literal,
    },
    /// `key LIKE pattern`; the pattern is the raw string, see [`like_to_regex`].
    Like {
        /// The key.
        key: String,
        /// The raw pattern.
        pattern: String,
    },
    /// `(key) [NOT] IN (values…)`; `values` is never empty when parsed.
    In {
        /// The key.
        key: String,
        /// The listed literals (kinds may be mixed, as Hive 4 allows).
        values: Vec<Literal>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `key [NOT] BETWEEN low AND high` (inclusive).
    Between {
        /// The key.
        key: String,
        /// Lower bound.
        low: Literal,
        /// Upper bound.
        high: Literal,
        /// `NOT BETWEEN`.
        negated: bool,
    },
}

/// The type of a key, as far as filtering cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `string`.
    String,
    /// `tinyint`, `smallint`, `int`, `bigint`.
    Integer,
    /// `date`.
    Date,
    /// Anything else (varchar, char, decimal, timestamp, …): not filterable.
    Other,
}

impl KeyType {
    /// The filter type of a Hive column type name (`"string"`, `"int"`, `"date"`, …).
    #[must_use]
    pub fn from_hive_type(type_name: &str) -> Self {
        match type_name.trim().to_ascii_lowercase().as_str() {
            "string" => Self::String,
            "tinyint" | "smallint" | "int" | "integer" | "bigint" => Self::Integer,
            "date" => Self::Date,
            _ => Self::Other,
        }
    }
}

/// The typed value of a key for one partition (or table), as given to [`Expr::eval`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string key's stored value.
    String(&'a str),
    /// An integer key's value; `None` for the default partition (or a value that is no integer).
    Integer(Option<i64>),
    /// A date key's stored value (`yyyy-MM-dd`); `None` for the default partition.
    Date(Option<&'a str>),
}

impl<'a> Value<'a> {
    /// The value of a partition key of type `key_type` whose stored value is `raw`, mapping
    /// `default_partition_name` (and unparsable numbers) to NULL for integer and date keys, as
    /// directSQL does. `Other` keys are given as strings (they never get past `check_types`).
    #[must_use]
    pub fn for_partition_value(key_type: KeyType, raw: &'a str, default_partition_name: &str) -> Self {
        match key_type {
            KeyType::String | KeyType::Other => Self::String(raw),
            KeyType::Integer if raw == default_partition_name => Self::Integer(None),
            KeyType::Integer => Self::Integer(raw.trim().parse().ok()),
            KeyType::Date if raw == default_partition_name => Self::Date(None),
            KeyType::Date => Self::Date(Some(raw)),
        }
    }
}

/// Translate a `LIKE` pattern to an anchored regex with Apache HMS 2.3's rules: the pattern *is*
/// a (Java) regular expression matched against the whole value, so Spark's `.*v.*` works and
/// `%`/`_` are ordinary characters (Hive 4's SQL-style translation is not applied: against the
/// 2.3 metastore that Spark's built-in client expects, `ds like "ab%"` matches nothing).
#[must_use]
pub fn like_to_regex(pattern: &str) -> String {
    format!("\\A(?:{pattern})\\z")
}

fn compile_like(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(&like_to_regex(pattern)).size_limit(1 << 20).build()
}

/// Parse a partition filter. Blank → `Ok(None)` (every partition). Keys are lower-cased.
///
/// Errors are `CatalogError::Meta("Error parsing partition filter : <detail>")`.
pub fn parse(filter: &str) -> Result<Option<Expr>, CatalogError> {
    parse_impl(filter, true)
}

/// Parse a `get_table_names_by_filter` filter: as [`parse`], but keys keep their spelling,
/// because HMS matches `hive_filter_field_params__<key>` against table parameters
/// case-sensitively.
pub fn parse_table_filter(filter: &str) -> Result<Option<Expr>, CatalogError> {
    parse_impl(filter, false)
}

fn parse_impl(filter: &str, lower_keys: bool) -> Result<Option<Expr>, CatalogError> {
    // HMS reports a LIKE with the value on the left as it is, other errors as parse errors.
    let perr = |detail: String| {
        if detail.starts_with(LIKE_VALUE_ON_RHS) {
            CatalogError::Meta(detail)
        } else {
            CatalogError::Meta(format!("Error parsing partition filter : {detail}"))
        }
    };
    if filter.bytes().all(is_space) {
        return Ok(None);
    }
    let toks = lex(filter).map_err(perr)?;
    let mut p = Parser { src: filter, toks, i: 0, lower_keys };
    let expr = p.parse_or(0).map_err(perr)?;
    if p.peek() != &Tok::Eof {
        return Err(perr(p.unexpected("AND, OR or the end of the filter")));
    }
    Ok(Some(expr))
}
