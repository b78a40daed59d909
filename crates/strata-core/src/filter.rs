//! The HMS filter language of `get_partitions_by_filter`, `get_num_partitions_by_filter`,
//! `get_part_specs_by_filter` and `get_table_names_by_filter`.
//!
//! [`parse`] turns a filter string into a typed [`Expr`]; [`Expr::check_types`] applies HMS's
//! typing rules against the table's keys; [`Expr::eval`] (or a reusable [`Matcher`]) evaluates it
//! in memory. SQL pushdown is done elsewhere from the same AST ([`like_to_regex`] is shared).
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
use std::collections::HashMap;
use std::fmt;

use regex::Regex;

use crate::error::CatalogError;

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

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    Op(CompareOp),
    NullSafeEq,
    And,
    Or,
    Not,
    Like,
    Between,
    In,
    Ident { name: String, quoted: bool },
    Str(String),
    Int(i64),
    Date(String),
    Eof,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::LParen => f.write_str("'('"),
            Tok::RParen => f.write_str("')'"),
            Tok::Comma => f.write_str("','"),
            Tok::Op(op) => write!(f, "'{op}'"),
            Tok::NullSafeEq => f.write_str("'<=>'"),
            Tok::And => f.write_str("AND"),
            Tok::Or => f.write_str("OR"),
            Tok::Not => f.write_str("NOT"),
            Tok::Like => f.write_str("LIKE"),
            Tok::Between => f.write_str("BETWEEN"),
            Tok::In => f.write_str("IN"),
            Tok::Ident { name, .. } => write!(f, "key '{name}'"),
            Tok::Str(s) => write!(f, "string '{s}'"),
            Tok::Int(n) => write!(f, "integer {n}"),
            Tok::Date(d) => write!(f, "date {d}"),
            Tok::Eof => f.write_str("the end of the filter"),
        }
    }
}

struct Token {
    tok: Tok,
    /// Byte offset in the source (always a char boundary).
    pos: usize,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// "position N" (1-based, in characters) of a byte offset.
fn position(src: &str, byte: usize) -> String {
    let n = src.get(..byte).map_or(byte, |s| s.chars().count()) + 1;
    format!("position {n}")
}

fn keyword(word: &str) -> Option<Tok> {
    const KEYWORDS: [(&str, Tok); 6] = [
        ("and", Tok::And),
        ("or", Tok::Or),
        ("not", Tok::Not),
        ("like", Tok::Like),
        ("between", Tok::Between),
        ("in", Tok::In),
    ];
    KEYWORDS.iter().find(|(k, _)| word.eq_ignore_ascii_case(k)).map(|(_, t)| t.clone())
}

fn is_keyword(word: &str) -> bool {
    keyword(word).is_some()
}

fn lex(src: &str) -> Result<Vec<Token>, String> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let next = b.get(i + 1).copied();
        let tok = match b[i] {
            c if is_space(c) => {
                i += 1;
                continue;
            }
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            // `==` (Hive 4) is a parse error in Apache HMS 2.3, which Strata follows.
            b'=' if next == Some(b'=') => return Err(format!("unsupported operator '==' at {}", position(src, i))),
            b'=' => {
                i += 1;
                Tok::Op(CompareOp::Eq)
            }
            b'!' if next == Some(b'=') => {
                i += 2;
                Tok::Op(CompareOp::Ne)
            }
            b'<' => match next {
                Some(b'=') if b.get(i + 2) == Some(&b'>') => {
                    i += 3;
                    Tok::NullSafeEq
                }
                Some(b'=') => {
                    i += 2;
                    Tok::Op(CompareOp::Le)
                }
                Some(b'>') => {
                    i += 2;
                    Tok::Op(CompareOp::Ne)
                }
                _ => {
                    i += 1;
                    Tok::Op(CompareOp::Lt)
                }
            },
            b'>' => {
                if next == Some(b'=') {
                    i += 2;
                    Tok::Op(CompareOp::Ge)
                } else {
                    i += 1;
                    Tok::Op(CompareOp::Gt)
                }
            }
            q @ (b'\'' | b'"') => {
                let mut j = i + 1;
                loop {
                    match b.get(j) {
                        None => return Err(format!("unterminated string starting at {}", position(src, start))),
                        Some(b'\\') => j += 2,
                        Some(&c) if c == q => break,
                        Some(_) => j += 1,
                    }
                }
                i = j + 1;
                Tok::Str(src[start + 1..j].to_string())
            }
            b'`' => {
                let mut name = String::new();
                let mut seg = i + 1;
                let mut j = i + 1;
                loop {
                    match b.get(j) {
                        None => return Err(format!("unterminated quoted key starting at {}", position(src, start))),
                        Some(b'`') if b.get(j + 1) == Some(&b'`') => {
                            name.push_str(&src[seg..=j]);
                            j += 2;
                            seg = j;
                        }
                        Some(b'`') => break,
                        Some(_) => j += 1,
                    }
                }
                name.push_str(&src[seg..j]);
                i = j + 1;
                if name.is_empty() {
                    return Err(format!("empty quoted key at {}", position(src, start)));
                }
                Tok::Ident { name, quoted: true }
            }
            b'-' if next.is_some_and(|c| c.is_ascii_digit()) => {
                let mut j = i + 1;
                while b.get(j).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
                if b.get(j).copied().is_some_and(is_word) {
                    return Err(format!("malformed number at {}", position(src, start)));
                }
                i = j;
                Tok::Int(parse_int(src, start, j)?)
            }
            c if is_word(c) => {
                let mut j = i;
                while b.get(j).copied().is_some_and(is_word) {
                    j += 1;
                }
                let word = &src[i..j];
                let digits = word.bytes().all(|c| c.is_ascii_digit());
                if digits && word.len() == 4 && date_tail(b, j) {
                    let end = j + 6;
                    let text = &src[start..end];
                    if b.get(end).copied().is_some_and(is_word) {
                        return Err(format!("malformed date at {}", position(src, start)));
                    }
                    if parse_date_strict(text).is_none() {
                        return Err(format!(
                            "invalid date {text} at {} (expected a valid yyyy-MM-dd date)",
                            position(src, start)
                        ));
                    }
                    i = end;
                    Tok::Date(text.to_string())
                } else if digits {
                    i = j;
                    Tok::Int(parse_int(src, start, j)?)
                } else {
                    i = j;
                    keyword(word).unwrap_or_else(|| Tok::Ident { name: word.to_string(), quoted: false })
                }
            }
            _ => {
                let c = src[start..].chars().next().unwrap_or('?');
                let hint = match c {
                    '!' => " (did you mean '!='?)",
                    _ => "",
                };
                return Err(format!("unexpected character '{c}' at {}{hint}", position(src, start)));
            }
        };
        out.push(Token { tok, pos: start });
    }
    out.push(Token { tok: Tok::Eof, pos: b.len() });
    Ok(out)
}

/// Whether `b[j..]` starts with `-dd-dd` (the rest of a `yyyy-MM-dd`).
fn date_tail(b: &[u8], j: usize) -> bool {
    let Some(t) = b.get(j..j + 6) else {
        return false;
    };
    t[0] == b'-'
        && t[1].is_ascii_digit()
        && t[2].is_ascii_digit()
        && t[3] == b'-'
        && t[4].is_ascii_digit()
        && t[5].is_ascii_digit()
}

fn parse_int(src: &str, start: usize, end: usize) -> Result<i64, String> {
    let text = &src[start..end];
    text.parse().map_err(|_| format!("integer {text} at {} is out of range", position(src, start)))
}

/// A date `y-M-d` (year of 1 to 4 digits, month and day of 1 or 2), validated as a calendar
/// date; as lenient as HMS's `SimpleDateFormat("yyyy-MM-dd")` for a whole string.
/// Returns `(year, month, day)`. The store's date pushdown uses it too, so both agree.
pub fn parse_date(s: &str) -> Option<(u32, u32, u32)> {
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let num = |p: &str, max_len: usize| -> Option<u32> {
        if p.is_empty() || p.len() > max_len || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let (y, m, d) = (num(y, 4)?, num(m, 2)?, num(d, 2)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&d).then_some((y, m, d))
}

/// A date in exactly the form `yyyy-MM-dd`.
fn parse_date_strict(s: &str) -> Option<(u32, u32, u32)> {
    (s.len() == 10 && date_tail(s.as_bytes(), 4)).then(|| parse_date(s)).flatten()
}

// ---------------------------------------------------------------------------------------------
// Parser

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    i: usize,
    lower_keys: bool,
}

type PResult<T> = Result<T, String>;

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        self.peek_at(0)
    }

    fn peek_at(&self, n: usize) -> &Tok {
        self.toks.get(self.i + n).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.src.len(), |t| t.pos)
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn unexpected(&self, expected: &str) -> String {
        let found = self.peek();
        if found == &Tok::Eof {
            format!("expected {expected}, found the end of the filter")
        } else {
            format!("expected {expected}, found {found} at {}", position(self.src, self.pos()))
        }
    }

    fn key(&self, name: String) -> String {
        if self.lower_keys {
            name.to_lowercase()
        } else {
            name
        }
    }

    fn parse_or(&mut self, depth: usize) -> PResult<Expr> {
        let mut items = vec![self.parse_and(depth)?];
        while self.peek() == &Tok::Or {
            self.bump();
            items.push(self.parse_and(depth)?);
        }
        Ok(join(items, false))
    }

    fn parse_and(&mut self, depth: usize) -> PResult<Expr> {
        let mut items = vec![self.parse_primary(depth)?];
        while self.peek() == &Tok::And {
            self.bump();
            items.push(self.parse_primary(depth)?);
        }
        Ok(join(items, true))
    }

    /// `DATE '…'` starts here (an unquoted `date` followed by a string).
    fn at_date_prefix(&self) -> bool {
        matches!(self.peek(), Tok::Ident { name, quoted: false } if name.eq_ignore_ascii_case("date"))
            && matches!(self.peek_at(1), Tok::Str(_))
    }

    fn parse_primary(&mut self, depth: usize) -> PResult<Expr> {
        match self.peek() {
            Tok::LParen => {
                let key_in = matches!(self.peek_at(1), Tok::Ident { .. })
                    && self.peek_at(2) == &Tok::RParen
                    && (self.peek_at(3) == &Tok::In || (self.peek_at(3) == &Tok::Not && self.peek_at(4) == &Tok::In));
                if key_in {
                    self.bump();
                    let Tok::Ident { name, .. } = self.bump() else {
                        return Err(self.unexpected("a key"));
                    };
                    let key = self.key(name);
                    self.bump();
                    let negated = self.peek() == &Tok::Not;
                    if negated {
                        self.bump();
                    }
                    self.bump(); // IN
                    return self.parse_in_list(key, negated);
                }
                if matches!(self.peek_at(1), Tok::Ident { name, quoted: false } if name.eq_ignore_ascii_case("struct"))
                    && self.peek_at(2) == &Tok::LParen
                {
                    return Err(format!(
                        "multi-column IN (STRUCT) is not supported, at {}",
                        position(self.src, self.pos())
                    ));
                }
                if depth >= MAX_DEPTH {
                    return Err(format!(
                        "parentheses nested more than {MAX_DEPTH} deep at {}",
                        position(self.src, self.pos())
                    ));
                }
                let open = self.pos();
                self.bump();
                let e = self.parse_or(depth + 1)?;
                if self.peek() != &Tok::RParen {
                    let expected = format!("AND, OR or ')' closing the '(' at {}", position(self.src, open));
                    return Err(self.unexpected(&expected));
                }
                self.bump();
                Ok(e)
            }
            Tok::Ident { .. } if !self.at_date_prefix() => self.parse_key_first(),
            Tok::Ident { .. } | Tok::Str(_) | Tok::Int(_) | Tok::Date(_) => self.parse_literal_first(),
            _ => Err(self.unexpected("a key, a literal or '('")),
        }
    }

    fn parse_key_first(&mut self) -> PResult<Expr> {
        let Tok::Ident { name, .. } = self.bump() else {
            return Err(self.unexpected("a key"));
        };
        let key = self.key(name);
        match self.peek().clone() {
            Tok::Op(op) => {
                self.bump();
                let value = self.parse_literal(&format!("a literal after '{op}'"))?;
                Ok(Expr::Compare { key, op, value })
            }
            Tok::NullSafeEq => Err(self.unsupported_op()),
            Tok::Like => {
                self.bump();
                let pos = self.pos();
                let Tok::Str(pattern) = self.peek().clone() else {
                    return Err(self.unexpected("a quoted pattern after LIKE"));
                };
                if let Err(e) = compile_like(&pattern) {
                    return Err(format!("invalid LIKE pattern at {}: {e}", position(self.src, pos)));
                }
                self.bump();
                Ok(Expr::Like { key, pattern })
            }
            Tok::Not => {
                self.bump();
                match self.peek() {
                    Tok::Between => self.parse_between(key, true),
                    _ => Err(self.unexpected("BETWEEN after NOT (write `(key) NOT IN (...)` for IN)")),
                }
            }
            Tok::Between => self.parse_between(key, false),
            // Apache HMS 2.3 needs the key in parentheses: `(key) IN (...)`.
            _ => Err(self.unexpected(&format!("a comparison operator, LIKE, BETWEEN or IN after key '{key}'"))),
        }
    }

    fn parse_literal_first(&mut self) -> PResult<Expr> {
        let value = self.parse_literal("a literal")?;
        match self.peek().clone() {
            Tok::Op(op) => {
                self.bump();
                if !matches!(self.peek(), Tok::Ident { .. }) {
                    let expected = format!("a key after '{op}' (one side must be a key)");
                    return Err(self.unexpected(&expected));
                }
                let Tok::Ident { name, .. } = self.bump() else {
                    return Err(self.unexpected("a key"));
                };
                Ok(Expr::Compare { key: self.key(name), op: op.flip(), value })
            }
            Tok::Like => {
                self.bump();
                match self.peek().clone() {
                    Tok::Ident { name, .. } => Err(format!("{LIKE_VALUE_ON_RHS} : Key <{}>", self.key(name))),
                    _ => Err(LIKE_VALUE_ON_RHS.to_string()),
                }
            }
            Tok::NullSafeEq => Err(self.unsupported_op()),
            _ => Err(self.unexpected(&format!("a comparison operator after {value}"))),
        }
    }

    fn unsupported_op(&self) -> String {
        format!("Unsupported comparison operator '<=>' at {}", position(self.src, self.pos()))
    }

    fn parse_literal(&mut self, expected: &str) -> PResult<Literal> {
        if self.at_date_prefix() {
            self.bump();
            let pos = self.pos();
            let Tok::Str(text) = self.bump() else {
                return Err(self.unexpected("a quoted date after DATE"));
            };
            if parse_date_strict(&text).is_none() {
                return Err(format!(
                    "invalid date '{text}' at {} (expected a valid yyyy-MM-dd date)",
                    position(self.src, pos)
                ));
            }
            return Ok(Literal::Date(text));
        }
        let lit = match self.peek() {
            Tok::Str(s) => Literal::String(s.clone()),
            Tok::Int(n) => Literal::Integer(*n),
            Tok::Date(d) => Literal::Date(d.clone()),
            _ => return Err(self.unexpected(expected)),
        };
        self.bump();
        Ok(lit)
    }

    /// At BETWEEN.
    fn parse_between(&mut self, key: String, negated: bool) -> PResult<Expr> {
        self.bump();
        let low = self.parse_literal("a literal after BETWEEN")?;
        if self.peek() != &Tok::And {
            return Err(self.unexpected("AND between the bounds of BETWEEN"));
        }
        self.bump();
        let high = self.parse_literal("a literal after BETWEEN … AND")?;
        Ok(Expr::Between { key, low, high, negated })
    }

    /// After IN.
    fn parse_in_list(&mut self, key: String, negated: bool) -> PResult<Expr> {
        if self.peek() != &Tok::LParen {
            return Err(self.unexpected("'(' after IN"));
        }
        self.bump();
        let mut values = Vec::new();
        loop {
            values.push(self.parse_literal("a literal in the IN list")?);
            match self.peek() {
                Tok::Comma => {
                    self.bump();
                }
                Tok::RParen => {
                    self.bump();
                    return Ok(Expr::In { key, values, negated });
                }
                _ => return Err(self.unexpected("',' or ')' in the IN list")),
            }
        }
    }
}

/// One `And` (or `Or`) of `items`, flattening nested ones of the same kind.
fn join(items: Vec<Expr>, and: bool) -> Expr {
    if items.len() == 1 {
        return items.into_iter().next().unwrap_or(Expr::And(Vec::new()));
    }
    let mut flat = Vec::with_capacity(items.len());
    for e in items {
        match e {
            Expr::And(v) if and => flat.extend(v),
            Expr::Or(v) if !and => flat.extend(v),
            e => flat.push(e),
        }
    }
    if and {
        Expr::And(flat)
    } else {
        Expr::Or(flat)
    }
}

// ---------------------------------------------------------------------------------------------
// Display

struct KeyDisplay<'a>(&'a str);

impl fmt::Display for KeyDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.0;
        let plain = !k.is_empty() && k.bytes().all(is_word) && !k.bytes().all(|c| c.is_ascii_digit()) && !is_keyword(k);
        if plain {
            f.write_str(k)
        } else {
            write!(f, "`{}`", k.replace('`', "``"))
        }
    }
}

/// A canonical filter string that [`parse`] reads back to the same `Expr` (for parsed
/// expressions; keys are lower-case there). Uses only Hive 2.3 syntax, except that keys which
/// are not plain identifiers are back-quoted.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::And(items) | Self::Or(items) => {
                let and = matches!(self, Self::And(_));
                for (n, e) in items.iter().enumerate() {
                    if n > 0 {
                        f.write_str(if and { " and " } else { " or " })?;
                    }
                    if matches!(e, Self::And(_) | Self::Or(_)) {
                        write!(f, "({e})")?;
                    } else {
                        write!(f, "{e}")?;
                    }
                }
                Ok(())
            }
            Self::Compare { key, op, value } => write!(f, "{} {op} {value}", KeyDisplay(key)),
            Self::Like { key, pattern } => {
                write!(f, "{} like {}", KeyDisplay(key), Literal::String(pattern.clone()))
            }
            Self::In { key, values, negated } => {
                write!(f, "({}) {}in (", KeyDisplay(key), if *negated { "not " } else { "" })?;
                for (n, v) in values.iter().enumerate() {
                    if n > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(")")
            }
            Self::Between { key, low, high, negated } => {
                write!(f, "{} {}between {low} and {high}", KeyDisplay(key), if *negated { "not " } else { "" })
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Keys, types, evaluation

impl Expr {
    /// The keys the filter uses, each once, in order of first use.
    #[must_use]
    pub fn keys(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_keys(&mut out);
        out
    }

    fn collect_keys<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Self::And(v) | Self::Or(v) => v.iter().for_each(|e| e.collect_keys(out)),
            Self::Compare { key, .. } | Self::Like { key, .. } | Self::In { key, .. } | Self::Between { key, .. } => {
                if !out.contains(&key.as_str()) {
                    out.push(key);
                }
            }
        }
    }

    /// Apply HMS's typing rules, given each key's type (`None`: not a key of the table).
    ///
    /// Unknown key → `Meta("Specified key <k> is not a partitioning key for the table")`;
    /// a string key against an integer, an integer key against anything but an integer, a date
    /// key against anything but a date (or a string that parses as one), an `Other` key, or
    /// `LIKE` on a non-string key → `Meta(STRING_KEYS_ONLY)`.
    pub fn check_types(&self, key_type: &dyn Fn(&str) -> Option<KeyType>) -> Result<(), CatalogError> {
        let known = |key: &str| key_type(key).ok_or_else(|| CatalogError::Meta(not_a_partition_key(key)));
        let fits = |kt: KeyType, lit: &Literal| -> Result<(), CatalogError> {
            let ok = match (kt, lit) {
                (KeyType::String, Literal::String(_) | Literal::Date(_))
                | (KeyType::Integer, Literal::Integer(_))
                | (KeyType::Date, Literal::Date(_)) => true,
                (KeyType::Date, Literal::String(s)) => parse_date(s).is_some(),
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                Err(CatalogError::Meta(STRING_KEYS_ONLY.to_string()))
            }
        };
        match self {
            Self::And(v) | Self::Or(v) => v.iter().try_for_each(|e| e.check_types(key_type)),
            Self::Compare { key, value, .. } => fits(known(key)?, value),
            Self::Like { key, .. } => match known(key)? {
                KeyType::String => Ok(()),
                _ => Err(CatalogError::Meta(STRING_KEYS_ONLY.to_string())),
            },
            Self::In { key, values, .. } => {
                let kt = known(key)?;
                values.iter().try_for_each(|v| fits(kt, v))
            }
            Self::Between { key, low, high, .. } => {
                let kt = known(key)?;
                fits(kt, low)?;
                fits(kt, high)
            }
        }
    }

    /// Evaluate against one partition (or table); `lookup` gives each key's typed value
    /// (`None`: the key is absent, which matches nothing). Compiles `LIKE` patterns on every
    /// call: use [`Expr::matcher`] to evaluate many rows.
    pub fn eval<'v>(&self, lookup: &dyn Fn(&str) -> Option<Value<'v>>) -> bool {
        self.matcher().matches(lookup)
    }

    /// An evaluator with the `LIKE` patterns compiled once.
    #[must_use]
    pub fn matcher(&self) -> Matcher<'_> {
        let mut likes = HashMap::new();
        self.collect_likes(&mut likes);
        Matcher { expr: self, likes }
    }

    fn collect_likes<'a>(&'a self, out: &mut HashMap<&'a str, Option<Regex>>) {
        match self {
            Self::And(v) | Self::Or(v) => v.iter().for_each(|e| e.collect_likes(out)),
            Self::Like { pattern, .. } => {
                out.entry(pattern.as_str()).or_insert_with(|| compile_like(pattern).ok());
            }
            _ => {}
        }
    }
}

/// An [`Expr`] ready to be evaluated against many rows (see [`Expr::matcher`]).
#[derive(Debug, Clone)]
pub struct Matcher<'e> {
    expr: &'e Expr,
    likes: HashMap<&'e str, Option<Regex>>,
}

impl Matcher<'_> {
    /// Whether the row whose key values `lookup` gives passes the filter (see [`Expr::eval`]).
    pub fn matches<'v>(&self, lookup: &dyn Fn(&str) -> Option<Value<'v>>) -> bool {
        self.eval(self.expr, lookup)
    }

    fn eval<'v>(&self, e: &Expr, lookup: &dyn Fn(&str) -> Option<Value<'v>>) -> bool {
        match e {
            Expr::And(v) => v.iter().all(|e| self.eval(e, lookup)),
            Expr::Or(v) => v.iter().any(|e| self.eval(e, lookup)),
            Expr::Compare { key, op, value } => {
                lookup(key).and_then(|v| compare(v, value)).is_some_and(|o| op.holds(o))
            }
            Expr::Like { key, pattern } => match (lookup(key), self.likes.get(pattern.as_str())) {
                (Some(Value::String(s)), Some(Some(re))) => re.is_match(s),
                _ => false,
            },
            Expr::In { key, values, negated } => {
                let Some(v) = lookup(key) else { return false };
                if *negated {
                    values.iter().all(|l| compare(v, l).is_some_and(Ordering::is_ne))
                } else {
                    values.iter().any(|l| compare(v, l).is_some_and(Ordering::is_eq))
                }
            }
            Expr::Between { key, low, high, negated } => {
                let Some(v) = lookup(key) else { return false };
                let (Some(lo), Some(hi)) = (compare(v, low), compare(v, high)) else {
                    return false;
                };
                if *negated {
                    lo.is_lt() || hi.is_gt()
                } else {
                    lo.is_ge() && hi.is_le()
                }
            }
        }
    }
}

/// How `value` orders against `lit`; `None` for NULL or a type mismatch.
fn compare(value: Value<'_>, lit: &Literal) -> Option<Ordering> {
    match (value, lit) {
        (Value::String(s), Literal::String(l) | Literal::Date(l)) => Some(s.cmp(l.as_str())),
        (Value::Integer(Some(n)), Literal::Integer(m)) => Some(n.cmp(m)),
        (Value::Date(Some(d)), Literal::Date(l) | Literal::String(l)) => Some(parse_date(d)?.cmp(&parse_date(l)?)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Expr {
        match parse(s) {
            Ok(Some(e)) => e,
            other => panic!("{s:?} parsed to {other:?}"),
        }
    }

    fn err(s: &str) -> String {
        match parse(s) {
            Err(CatalogError::Meta(m)) => m,
            other => panic!("{s:?} should fail, got {other:?}"),
        }
    }

    fn cmp(key: &str, op: CompareOp, value: Literal) -> Expr {
        Expr::Compare { key: key.into(), op, value }
    }

    fn s(v: &str) -> Literal {
        Literal::String(v.into())
    }

    fn roundtrip(e: &Expr) {
        let text = e.to_string();
        assert_eq!(parse(&text).unwrap().as_ref(), Some(e), "{text}");
    }

    #[test]
    fn empty_is_none() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("  \t\n ").unwrap(), None);
    }

    #[test]
    fn operators() {
        use CompareOp::*;
        for (text, op) in [("=", Eq), ("!=", Ne), ("<>", Ne), ("<", Lt), ("<=", Le), (">", Gt), (">=", Ge)] {
            assert_eq!(p(&format!("ds {text} 'x'")), cmp("ds", op, s("x")), "{text}");
            assert_eq!(p(&format!("ds{text}'x'")), cmp("ds", op, s("x")), "{text}");
            // Reversed order flips the operator.
            assert_eq!(p(&format!("'x' {text} ds")), cmp("ds", op.flip(), s("x")), "{text}");
        }
        assert_eq!(p("5 < p"), cmp("p", Gt, Literal::Integer(5)));
        assert_eq!(p("5 >= p"), cmp("p", Le, Literal::Integer(5)));
    }

    #[test]
    fn literals() {
        assert_eq!(p("p = 5"), cmp("p", CompareOp::Eq, Literal::Integer(5)));
        assert_eq!(p("p = -5"), cmp("p", CompareOp::Eq, Literal::Integer(-5)));
        assert_eq!(p("p=-9223372036854775808"), cmp("p", CompareOp::Eq, Literal::Integer(i64::MIN)));
        assert_eq!(p("p = 9223372036854775807"), cmp("p", CompareOp::Eq, Literal::Integer(i64::MAX)));
        assert!(err("p = 9223372036854775808").contains("out of range"));
        assert!(err("p = -9223372036854775809").contains("out of range"));
        assert_eq!(p("d = 2024-02-29"), cmp("d", CompareOp::Eq, Literal::Date("2024-02-29".into())));
        assert_eq!(p("d = DATE '2024-02-29'"), cmp("d", CompareOp::Eq, Literal::Date("2024-02-29".into())));
        assert_eq!(p("d = date \"2024-02-29\""), cmp("d", CompareOp::Eq, Literal::Date("2024-02-29".into())));
        assert_eq!(p("date '2024-01-01' < d"), cmp("d", CompareOp::Gt, Literal::Date("2024-01-01".into())));
        assert!(err("d = 2023-02-29").contains("invalid date 2023-02-29"));
        assert!(err("d = 2024-13-01").contains("invalid date"));
        assert!(err("d = DATE '2024-1-1'").contains("invalid date"));
        assert_eq!(p(r#"a = "it's""#), cmp("a", CompareOp::Eq, s("it's")));
        assert_eq!(p(r#"a = 'say "hi"'"#), cmp("a", CompareOp::Eq, s("say \"hi\"")));
        // Escapes are lexed but not processed: the value is the raw text.
        assert_eq!(p(r#"a = 'it\'s'"#), cmp("a", CompareOp::Eq, s(r"it\'s")));
        assert_eq!(p(r#"a = "x\\""#), cmp("a", CompareOp::Eq, s(r"x\\")));
        assert_eq!(p("a = ''"), cmp("a", CompareOp::Eq, s("")));
        assert_eq!(p("a = 'ünï'"), cmp("a", CompareOp::Eq, s("ünï")));
        // A date-looking string stays a string; the key's type decides later.
        assert_eq!(p(r#"ds = "2024-02-01""#), cmp("ds", CompareOp::Eq, s("2024-02-01")));
    }

    #[test]
    fn keys_and_keywords() {
        assert_eq!(p("DS = 1"), cmp("ds", CompareOp::Eq, Literal::Integer(1)));
        assert_eq!(p("_x = 1"), cmp("_x", CompareOp::Eq, Literal::Integer(1)));
        assert_eq!(p("1a = 1"), cmp("1a", CompareOp::Eq, Literal::Integer(1)));
        assert_eq!(p("`Weird Key` = 1"), cmp("weird key", CompareOp::Eq, Literal::Integer(1)));
        assert_eq!(p("`a``b` = 1"), cmp("a`b", CompareOp::Eq, Literal::Integer(1)));
        assert_eq!(p("`and` = 1"), cmp("and", CompareOp::Eq, Literal::Integer(1)));
        assert_eq!(p("date = '2024-01-01'"), cmp("date", CompareOp::Eq, s("2024-01-01")));
        assert_eq!(
            p("a = 1 AnD b = 2 oR c LiKe 'x' and d NoT bEtWeEn 1 AND 2 or (e) NOT in (1)"),
            p("a = 1 and b = 2 or c like 'x' and d not between 1 and 2 or (e) not in (1)")
        );
        assert_eq!(
            parse_table_filter("hive_filter_field_params__TABLE_TYPE = 'x'").unwrap(),
            Some(cmp("hive_filter_field_params__TABLE_TYPE", CompareOp::Eq, s("x")))
        );
        assert!(err("`` = 1").contains("empty quoted key"));
        assert!(err("`ab = 1").contains("unterminated quoted key"));
    }

    #[test]
    fn precedence_and_parens() {
        let a = cmp("a", CompareOp::Eq, Literal::Integer(1));
        let b = cmp("b", CompareOp::Eq, Literal::Integer(2));
        let c = cmp("c", CompareOp::Eq, Literal::Integer(3));
        assert_eq!(p("a = 1 or b = 2 and c = 3"), Expr::Or(vec![a.clone(), Expr::And(vec![b.clone(), c.clone()])]));
        assert_eq!(p("a = 1 and b = 2 or c = 3"), Expr::Or(vec![Expr::And(vec![a.clone(), b.clone()]), c.clone()]));
        assert_eq!(p("(a = 1 or b = 2) and c = 3"), Expr::And(vec![Expr::Or(vec![a.clone(), b.clone()]), c.clone()]));
        assert_eq!(p("((((a = 1))))"), a);
        // Same-kind nesting is flattened.
        assert_eq!(p("a = 1 and (b = 2 and c = 3)"), Expr::And(vec![a.clone(), b.clone(), c.clone()]));
        assert_eq!(p("(a = 1 or b = 2) or c = 3"), Expr::Or(vec![a, b, c]));
    }

    #[test]
    fn in_and_between() {
        let ins = |negated| Expr::In {
            key: "k".into(),
            values: vec![s("a"), Literal::Integer(2), Literal::Date("2024-01-01".into())],
            negated,
        };
        assert_eq!(p("(k) in ('a', 2, 2024-01-01)"), ins(false));
        assert_eq!(p("(K) NOT IN ('a',2,2024-01-01)"), ins(true));
        assert_eq!(p("(k) in ('a', 2, 2024-01-01)"), ins(false));
        assert_eq!(p("(k) not in ('a', 2, date '2024-01-01')"), ins(true));
        // Apache HMS 2.3 requires the parentheses around the key, and has no `==`.
        assert!(err("k in ('a')").starts_with("Error parsing partition filter"));
        assert!(err("k == 'a'").starts_with("Error parsing partition filter"));
        assert_eq!(p("(`k`) in ('a', 2, 2024-01-01)"), ins(false));
        let betw =
            |negated| Expr::Between { key: "k".into(), low: Literal::Integer(1), high: Literal::Integer(10), negated };
        assert_eq!(p("k between 1 and 10"), betw(false));
        assert_eq!(p("k NOT BETWEEN 1 AND 10"), betw(true));
        assert_eq!(
            p("k between 1 and 10 and j = 1"),
            Expr::And(vec![betw(false), cmp("j", CompareOp::Eq, Literal::Integer(1))])
        );
        assert!(err("(k) in ()").contains("expected a literal in the IN list"));
        assert!(err("(k) in (1, )").contains("expected a literal in the IN list"));
        assert!(err("(k) in (1 2)").contains("expected ',' or ')'"));
        assert!(err("(k) in 1").contains("expected '(' after IN"));
        assert!(err("k between 1").contains("AND between the bounds"));
        assert!(err("k not like 'x'").contains("expected BETWEEN after NOT"));
        assert!(err("(struct(a,b)) in (const struct(1,2))").contains("STRUCT"));
    }

    #[test]
    fn spark_strings() {
        let d = |v: &str| s(v);
        assert_eq!(p(r#"ds = "2024-02-01""#), cmp("ds", CompareOp::Eq, d("2024-02-01")));
        assert_eq!(
            p(r#"ds >= "2024-01-02" and ds < "2024-01-04""#),
            Expr::And(vec![cmp("ds", CompareOp::Ge, d("2024-01-02")), cmp("ds", CompareOp::Lt, d("2024-01-04"))])
        );
        assert_eq!(
            p(r#"(ds) in ("2024-01-01", "2024-01-04")"#),
            Expr::In { key: "ds".into(), values: vec![d("2024-01-01"), d("2024-01-04")], negated: false }
        );
        assert_eq!(p("p = 5"), cmp("p", CompareOp::Eq, Literal::Integer(5)));
        assert_eq!(p(r#"c like ".*v.*""#), Expr::Like { key: "c".into(), pattern: ".*v.*".into() });
        assert_eq!(p(r#"c like "v%""#), Expr::Like { key: "c".into(), pattern: "v%".into() });
        assert_eq!(
            p(r#"(c = "a" or c = "b") and p != 5"#),
            Expr::And(vec![
                Expr::Or(vec![cmp("c", CompareOp::Eq, s("a")), cmp("c", CompareOp::Eq, s("b"))]),
                cmp("p", CompareOp::Ne, Literal::Integer(5)),
            ])
        );
    }

    #[test]
    fn table_filters() {
        let e = parse_table_filter(r#"hive_filter_field_params__table_type like "ICEBERG""#).unwrap().unwrap();
        assert_eq!(e, Expr::Like { key: "hive_filter_field_params__table_type".into(), pattern: "ICEBERG".into() });
        let lookup = |tt: &'static str| {
            move |k: &str| (k == "hive_filter_field_params__table_type").then_some(Value::String(tt))
        };
        assert!(e.eval(&lookup("ICEBERG")));
        assert!(!e.eval(&lookup("iceberg")));
        assert!(!e.eval(&|_| None), "a table without the parameter never matches");
        let e = parse_table_filter(r#"hive_filter_field_params__presto_view = "true""#).unwrap().unwrap();
        assert!(e.eval(&|k| (k == "hive_filter_field_params__presto_view").then_some(Value::String("true"))));
        assert!(!e.eval(&|_| None));
        let e = parse_table_filter("hive_filter_field_last_access__ > 10").unwrap().unwrap();
        assert!(e.eval(&|_| Some(Value::Integer(Some(11)))));
        assert!(!e.eval(&|_| Some(Value::Integer(Some(10)))));
    }

    #[test]
    fn errors() {
        let e = err("a <=> 1");
        assert!(e.starts_with("Error parsing partition filter : "), "{e}");
        assert!(e.contains("Unsupported comparison operator"), "{e}");
        assert!(err("1 <=> a").contains("Unsupported comparison operator"));
        assert!(err("'x' like c").contains(LIKE_VALUE_ON_RHS));
        assert!(err("c like 5").contains("expected a quoted pattern after LIKE"));
        assert!(err("c like '('").contains("invalid LIKE pattern"));
        assert_eq!(
            err("a = "),
            "Error parsing partition filter : expected a literal after '=', found the end of the filter"
        );
        assert_eq!(
            err("a = 1 b = 2"),
            "Error parsing partition filter : expected AND, OR or the end of the filter, found key 'b' at position 7"
        );
        assert!(err("a = b").contains("expected a literal after '=', found key 'b' at position 5"));
        assert!(err("1 = 2").contains("expected a key after '='"));
        assert!(err("1 =").contains("expected a key after '=' (one side must be a key), found the end"));
        assert!(err("a").contains("expected a comparison operator, LIKE, BETWEEN or IN after key 'a'"));
        assert!(err("(a = 1").contains("')' closing the '(' at position 1"));
        assert!(err("a = 1)").contains("found ')' at position 6"));
        assert!(err("a = 'x").contains("unterminated string starting at position 5"));
        assert!(err("a = 'x\\'").contains("unterminated string"));
        assert!(err("a ! 1").contains("unexpected character '!' at position 3"));
        assert!(err("a = 1.5").contains("unexpected character '.'"));
        assert!(err("a = -x").contains("unexpected character '-'"));
        assert!(err("a = -5x").contains("malformed number"));
        assert!(err("a = 2024-01-01x").contains("malformed date"));
        assert!(err("not a = 1").contains("expected a key, a literal or '('"));
        assert!(err("a = 1 and").contains("found the end of the filter"));
        assert!(err("a is null").contains("after key 'a'"));
        assert!(err("a = 1 # x").contains("unexpected character '#'"));
        assert!(err("a = ü").contains("unexpected character 'ü' at position 5"));
        assert!(err("b = 'ü' and ü").contains("unexpected character 'ü' at position 13"));
    }

    #[test]
    fn depth_is_bounded() {
        let nested = |n: usize| format!("{}a = 1{}", "(".repeat(n), ")".repeat(n));
        assert!(parse(&nested(MAX_DEPTH)).is_ok());
        assert!(err(&nested(MAX_DEPTH + 1)).contains("nested more than 200 deep"));
        assert!(parse(&"(".repeat(100_000)).is_err());
        assert!(parse(&nested(100_000)).is_err());
        // Long flat chains are fine (n-ary, no deep tree).
        let chain = vec!["a = 1"; 50_000].join(" and ");
        let e = p(&chain);
        assert!(matches!(&e, Expr::And(v) if v.len() == 50_000));
        assert!(e.eval(&|_| Some(Value::Integer(Some(1)))));
        roundtrip(&e);
    }

    #[test]
    fn keys_list() {
        let e = p("b = 1 and (a = 2 or B = 3) and (c) in (1) and d between 1 and 2 and e like 'x'");
        assert_eq!(e.keys(), vec!["b", "a", "c", "d", "e"]);
    }

    fn row<'a>(pairs: &'a [(&'a str, Value<'a>)]) -> impl Fn(&str) -> Option<Value<'a>> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| *v)
    }

    #[test]
    fn eval_strings() {
        let r = [("ds", Value::String("2024-01-03"))];
        let t = |f: &str| p(f).eval(&row(&r));
        assert!(t(r#"ds = "2024-01-03""#));
        assert!(t(r#"ds >= "2024-01-02" and ds < "2024-01-04""#));
        assert!(!t(r#"ds >= "2024-01-04""#));
        assert!(t(r#"ds != "x""#));
        assert!(t(r#"ds <> "x""#));
        assert!(t(r#""2024-01-04" > ds"#));
        assert!(t(r#"(ds) in ("2024-01-01", "2024-01-03")"#));
        assert!(!t(r#"(ds) not in ("2024-01-01", "2024-01-03")"#));
        assert!(t(r#"(ds) not in ("2024-01-01", "2024-01-04")"#));
        assert!(t("ds between '2024-01-01' and '2024-01-03'"));
        assert!(!t("ds not between '2024-01-01' and '2024-01-03'"));
        assert!(t("ds not between '2024-01-04' and '2024-01-09'"));
        // A date literal on a string key compares as its text.
        assert!(t("ds = 2024-01-03"));
        assert!(t("ds < 2024-01-10"));
        // Lexicographic, not numeric.
        let r = [("s", Value::String("10"))];
        assert!(p("s < '9'").eval(&row(&r)));
        // A string key against an integer literal is a type error; eval says false.
        assert!(!p("s = 10").eval(&row(&r)));
        assert!(!p("s != 10").eval(&row(&r)));
        // An absent key matches nothing.
        assert!(!p("zz != 'a'").eval(&row(&r)));
    }

    #[test]
    fn eval_like() {
        let t = |f: &str, v: &str| p(f).eval(&|_| Some(Value::String(v)));
        assert!(t(r#"c like ".*v.*""#, "avb"));
        assert!(t(r#"c like ".*v.*""#, "v"));
        assert!(!t(r#"c like ".*v.*""#, "abc"));
        // Apache HMS 2.3: the pattern is a regex; `%` and `_` are plain characters.
        assert!(!t(r#"c like "v%""#, "vxyz"));
        assert!(t(r#"c like "v%""#, "v%"));
        assert!(!t(r#"c like "v_""#, "vx"));
        assert!(t(r#"c like "v_""#, "v_"));
        assert!(t(r#"c like "v.*""#, "vxyz"));
        assert!(t(r#"c like "a.c""#, "abc"), "regex chars pass through");
        assert!(t(r#"c like "a\.c""#, "a.c"));
        assert!(!t(r#"c like "a\.c""#, "abc"));
        assert!(!t(r#"c like "ab""#, "xaby"), "whole-string match");
        assert!(!t(r#"c like "a|b""#, "ab"), "alternation stays inside the anchors");
        assert!(t(r#"c like "a|b""#, "b"));
        assert!(!p("c like 'x'").eval(&|_| Some(Value::Integer(Some(1)))));
        assert_eq!(like_to_regex(r"v%_\."), r"\A(?:v%_\.)\z");
        // Reusable matcher.
        let e = p("c like 'a.*' or c like 'b.*'");
        let m = e.matcher();
        let hits: Vec<_> = ["ax", "bx", "cx"].into_iter().filter(|v| m.matches(&|_| Some(Value::String(v)))).collect();
        assert_eq!(hits, ["ax", "bx"]);
    }

    #[test]
    fn eval_integers() {
        let t = |f: &str, v: Option<i64>| p(f).eval(&|_| Some(Value::Integer(v)));
        assert!(t("p = 5", Some(5)));
        assert!(t("p > 5", Some(10)), "numeric, not lexicographic");
        assert!(t("p < 10", Some(9)));
        assert!(t("p <= 5 and p >= 5", Some(5)));
        assert!(t("p between 1 and 10", Some(10)));
        assert!(t("p not between 1 and 10", Some(11)));
        assert!(t("(p) in (1, 2)", Some(2)));
        assert!(t("(p) not in (1, 2)", Some(3)));
        assert!(t("-1 < p", Some(0)));
        // NULL (default partition) matches nothing.
        for f in
            ["p = 5", "p != 5", "p < 5", "(p) in (5)", "(p) not in (5)", "p between 1 and 2", "p not between 1 and 2"]
        {
            assert!(!t(f, None), "{f}");
        }
        // Type mismatches are false.
        assert!(!t("p = '5'", Some(5)));
        assert!(!t("p != '5'", Some(5)));
    }

    #[test]
    fn eval_dates() {
        let t = |f: &str, v: Option<&str>| p(f).eval(&|_| Some(Value::Date(v)));
        assert!(t("d = 2024-01-05", Some("2024-01-05")));
        assert!(t("d = '2024-01-05'", Some("2024-01-05")));
        assert!(t("d = \"2024-1-5\"", Some("2024-01-05")), "compared as dates");
        assert!(t("d > '2024-1-4'", Some("2024-01-10")));
        assert!(t("d between 2024-01-01 and date '2024-01-31'", Some("2024-01-31")));
        assert!(t("d not between 2024-01-01 and 2024-01-31", Some("2024-02-01")));
        assert!(t("(d) in ('2024-01-05', 2024-01-06)", Some("2024-01-06")));
        assert!(!t("d = 'not a date'", Some("2024-01-05")));
        assert!(!t("d = 2024-01-05", Some("garbage")));
        assert!(!t("d != 2024-01-05", None));
        assert!(!t("(d) not in (2024-01-05)", None));
    }

    #[test]
    fn value_for_partition() {
        let d = crate::partname::DEFAULT_PARTITION_NAME;
        assert_eq!(Value::for_partition_value(KeyType::Integer, "42", d), Value::Integer(Some(42)));
        assert_eq!(Value::for_partition_value(KeyType::Integer, d, d), Value::Integer(None));
        assert_eq!(Value::for_partition_value(KeyType::Integer, "x", d), Value::Integer(None));
        assert_eq!(Value::for_partition_value(KeyType::Date, d, d), Value::Date(None));
        assert_eq!(Value::for_partition_value(KeyType::Date, "2024-01-01", d), Value::Date(Some("2024-01-01")));
        assert_eq!(Value::for_partition_value(KeyType::String, d, d), Value::String(d));
        assert_eq!(KeyType::from_hive_type("BIGINT"), KeyType::Integer);
        assert_eq!(KeyType::from_hive_type("string"), KeyType::String);
        assert_eq!(KeyType::from_hive_type("date"), KeyType::Date);
        assert_eq!(KeyType::from_hive_type("varchar(10)"), KeyType::Other);
    }

    #[test]
    fn type_checks() {
        let types = |k: &str| match k {
            "s" => Some(KeyType::String),
            "i" => Some(KeyType::Integer),
            "d" => Some(KeyType::Date),
            "v" => Some(KeyType::Other),
            _ => None,
        };
        let check = |f: &str| p(f).check_types(&types);
        for ok in [
            "s = 'a'",
            "s < 2024-01-01",
            "s like 'a%'",
            "i = 5",
            "(i) in (1, 2)",
            "i between 1 and 2",
            "d = 2024-01-01",
            "d = '2024-01-01'",
            "d between '2024-01-01' and 2024-02-01",
            "S = 'a' and (I = 1 or d = 2024-01-01)",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        let string_only = Err(CatalogError::Meta(STRING_KEYS_ONLY.into()));
        for bad in [
            "s = 5",
            "(s) in ('a', 5)",
            "i = '5'",
            "i = 2024-01-01",
            "i between 1 and '2'",
            "d = 'x'",
            "d = 5",
            "v = 'a'",
            "i like '5'",
            "d like '2024%'",
            "v like 'a'",
        ] {
            assert_eq!(check(bad), string_only, "{bad}");
        }
        assert_eq!(
            check("s = 'a' or Zz = 1"),
            Err(CatalogError::Meta("Specified key <zz> is not a partitioning key for the table".into()))
        );
    }

    #[test]
    fn display_is_canonical() {
        assert_eq!(p("A=1 AND (b<>'x' OR c LIKE \"y%\")").to_string(), r#"a = 1 and (b != "x" or c like "y%")"#);
        assert_eq!(p("a = 1 or b = 2 and c = 3").to_string(), "a = 1 or (b = 2 and c = 3)");
        assert_eq!(p("(k) in (1, 'a', DATE '2024-01-01')").to_string(), r#"(k) in (1, "a", 2024-01-01)"#);
        assert_eq!(p("k not between 1 and 2").to_string(), "k not between 1 and 2");
        assert_eq!(p("`in` = 1").to_string(), "`in` = 1");
        assert_eq!(p("`12` = 1").to_string(), "`12` = 1");
        assert_eq!(p("`a b``c` = 1").to_string(), "`a b``c` = 1");
        assert_eq!(p(r#"a = 'say "hi"'"#).to_string(), r#"a = 'say "hi"'"#);
        assert_eq!(p(r#"a = "it\"s""#).to_string(), r#"a = "it\"s""#);
        for f in [
            "a = 1 and (b != 'x' or c like 'y%')",
            r#"a = 'it\'s' or b = "q\"" or c = '"'"#,
            "date = date '2024-01-01' and (date) not in (2024-01-02)",
            "x = -0",
        ] {
            roundtrip(&p(f));
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn key() -> impl Strategy<Value = String> {
            prop_oneof![
                "[a-z_][a-z0-9_]{0,6}",
                Just("and".to_string()),
                Just("date".to_string()),
                Just("123".to_string()),
                "[a-z `é-]{1,6}",
            ]
        }

        fn literal() -> impl Strategy<Value = Literal> {
            prop_oneof![
                "[a-zA-Z0-9 %_.'-]{0,8}".prop_map(Literal::String),
                "[a-z\"\\\\]{0,6}".prop_filter_map("must lex in some quotes", |s| {
                    (fits_in_quotes(&s, b'"') || fits_in_quotes(&s, b'\'')).then_some(Literal::String(s))
                }),
                any::<i64>().prop_map(Literal::Integer),
                (1u32..=9999, 1u32..=12, 1u32..=28)
                    .prop_map(|(y, m, d)| Literal::Date(format!("{y:04}-{m:02}-{d:02}"))),
            ]
        }

        fn op() -> impl Strategy<Value = CompareOp> {
            use CompareOp::*;
            prop_oneof![Just(Eq), Just(Ne), Just(Lt), Just(Le), Just(Gt), Just(Ge)]
        }

        fn leaf() -> impl Strategy<Value = Expr> {
            prop_oneof![
                (key(), op(), literal()).prop_map(|(key, op, value)| Expr::Compare { key, op, value }),
                (key(), "[a-z%_.]{0,6}").prop_map(|(key, pattern)| Expr::Like { key, pattern }),
                (key(), prop::collection::vec(literal(), 1..4), any::<bool>())
                    .prop_map(|(key, values, negated)| Expr::In { key, values, negated }),
                (key(), literal(), literal(), any::<bool>()).prop_map(|(key, low, high, negated)| Expr::Between {
                    key,
                    low,
                    high,
                    negated
                }),
            ]
        }

        fn expr() -> impl Strategy<Value = Expr> {
            leaf().prop_recursive(4, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 2..4).prop_map(|v| join(v, true)),
                    prop::collection::vec(inner, 2..4).prop_map(|v| join(v, false)),
                ]
            })
        }

        fn filterish() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just(" and ".to_string()),
                Just(" OR ".to_string()),
                Just(" not ".to_string()),
                Just(" in ".to_string()),
                Just(" between ".to_string()),
                Just(" like ".to_string()),
                Just(" date ".to_string()),
                Just("2024-02-29".to_string()),
                "[a-z0-9_()'\"`=<>!, \\\\-]{1,4}",
            ];
            prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
        }

        fn reparses(text: &str) -> Result<(), TestCaseError> {
            if let Ok(Some(e)) = parse(text) {
                let shown = e.to_string();
                prop_assert_eq!(parse(&shown), Ok(Some(e)), "{} → {}", text, shown);
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn never_panics_on_any_string(text in ".{0,40}") {
                reparses(&text)?;
            }

            #[test]
            fn never_panics_on_filter_like_strings(text in filterish()) {
                reparses(&text)?;
            }

            #[test]
            fn display_reparses(e in expr()) {
                let shown = e.to_string();
                let mut lowered = e.clone();
                lowercase_keys(&mut lowered);
                prop_assert_eq!(parse(&shown), Ok(Some(lowered)), "{}", shown);
                prop_assert_eq!(parse_table_filter(&shown), Ok(Some(e)), "{}", shown);
            }
        }

        fn lowercase_keys(e: &mut Expr) {
            match e {
                Expr::And(v) | Expr::Or(v) => v.iter_mut().for_each(lowercase_keys),
                Expr::Compare { key, .. }
                | Expr::Like { key, .. }
                | Expr::In { key, .. }
                | Expr::Between { key, .. } => {
                    *key = key.to_lowercase();
                }
            }
        }
    }
}
