//! Keys, HMS's typing rules and in-memory evaluation.

use std::cmp::Ordering;
use std::collections::HashMap;

use regex::Regex;

use super::{compile_like, date::parse_date, not_a_partition_key, Expr, KeyType, Literal, Value, STRING_KEYS_ONLY};
use crate::error::CatalogError;

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
pub(super) fn compare(value: Value<'_>, lit: &Literal) -> Option<Ordering> {
    match (value, lit) {
        (Value::String(s), Literal::String(l) | Literal::Date(l)) => Some(s.cmp(l.as_str())),
        (Value::Integer(Some(n)), Literal::Integer(m)) => Some(n.cmp(m)),
        (Value::Date(Some(d)), Literal::Date(l) | Literal::String(l)) => Some(parse_date(d)?.cmp(&parse_date(l)?)),
        _ => None,
    }
}
