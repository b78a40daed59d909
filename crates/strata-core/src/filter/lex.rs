//! The lexer: a filter string to tokens, with byte positions for error messages.

use std::fmt;

use super::{
    date::{date_tail, parse_date_strict},
    CompareOp,
};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
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

pub(super) struct Token {
    pub(super) tok: Tok,
    /// Byte offset in the source (always a char boundary).
    pub(super) pos: usize,
}

pub(super) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

pub(super) fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// "position N" (1-based, in characters) of a byte offset.
pub(super) fn position(src: &str, byte: usize) -> String {
    let n = src.get(..byte).map_or(byte, |s| s.chars().count()) + 1;
    format!("position {n}")
}

pub(super) fn keyword(word: &str) -> Option<Tok> {
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

pub(super) fn is_keyword(word: &str) -> bool {
    keyword(word).is_some()
}

pub(super) fn lex(src: &str) -> Result<Vec<Token>, String> {
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

pub(super) fn parse_int(src: &str, start: usize, end: usize) -> Result<i64, String> {
    let text = &src[start..end];
    text.parse().map_err(|_| format!("integer {text} at {} is out of range", position(src, start)))
}
