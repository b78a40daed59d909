//! Printing an [`Expr`](super::Expr) back as filter text that parses to the same expression.

use std::fmt;

use super::{
    lex::{is_keyword, is_word},
    Expr, Literal,
};

pub(super) struct KeyDisplay<'a>(&'a str);

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
