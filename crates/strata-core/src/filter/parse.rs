//! The recursive-descent parser: tokens to an [`Expr`](super::Expr).

use super::{
    compile_like,
    date::parse_date_strict,
    lex::{position, Tok, Token},
    Expr, Literal, LIKE_VALUE_ON_RHS, MAX_DEPTH,
};

pub(super) struct Parser<'a> {
    pub(super) src: &'a str,
    pub(super) toks: Vec<Token>,
    pub(super) i: usize,
    pub(super) lower_keys: bool,
}

type PResult<T> = Result<T, String>;

impl Parser<'_> {
    pub(super) fn peek(&self) -> &Tok {
        self.peek_at(0)
    }

    pub(super) fn peek_at(&self, n: usize) -> &Tok {
        self.toks.get(self.i + n).map_or(&Tok::Eof, |t| &t.tok)
    }

    pub(super) fn pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.src.len(), |t| t.pos)
    }

    pub(super) fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    pub(super) fn unexpected(&self, expected: &str) -> String {
        let found = self.peek();
        if found == &Tok::Eof {
            format!("expected {expected}, found the end of the filter")
        } else {
            format!("expected {expected}, found {found} at {}", position(self.src, self.pos()))
        }
    }

    pub(super) fn key(&self, name: String) -> String {
        if self.lower_keys {
            name.to_lowercase()
        } else {
            name
        }
    }

    pub(super) fn parse_or(&mut self, depth: usize) -> PResult<Expr> {
        let mut items = vec![self.parse_and(depth)?];
        while self.peek() == &Tok::Or {
            self.bump();
            items.push(self.parse_and(depth)?);
        }
        Ok(join(items, false))
    }

    pub(super) fn parse_and(&mut self, depth: usize) -> PResult<Expr> {
        let mut items = vec![self.parse_primary(depth)?];
        while self.peek() == &Tok::And {
            self.bump();
            items.push(self.parse_primary(depth)?);
        }
        Ok(join(items, true))
    }

    /// `DATE '…'` starts here (an unquoted `date` followed by a string).
    pub(super) fn at_date_prefix(&self) -> bool {
        matches!(self.peek(), Tok::Ident { name, quoted: false } if name.eq_ignore_ascii_case("date"))
            && matches!(self.peek_at(1), Tok::Str(_))
    }

    pub(super) fn parse_primary(&mut self, depth: usize) -> PResult<Expr> {
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

    pub(super) fn parse_key_first(&mut self) -> PResult<Expr> {
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

    pub(super) fn parse_literal_first(&mut self) -> PResult<Expr> {
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

    pub(super) fn unsupported_op(&self) -> String {
        format!("Unsupported comparison operator '<=>' at {}", position(self.src, self.pos()))
    }

    pub(super) fn parse_literal(&mut self, expected: &str) -> PResult<Literal> {
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
    pub(super) fn parse_between(&mut self, key: String, negated: bool) -> PResult<Expr> {
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
    pub(super) fn parse_in_list(&mut self, key: String, negated: bool) -> PResult<Expr> {
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
pub(super) fn join(items: Vec<Expr>, and: bool) -> Expr {
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
