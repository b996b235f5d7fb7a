//! The parser of `--filter`: tokens → [`Expr`], by recursive descent over the grammar in
//! the module doc, refusing to nest deeper than [`MAX_NESTING`].

use aim_store::Seg;

use super::lexer::{describe, lex, Tok};
use super::{Expr, Field, Op, Val, MAX_NESTING};

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    /// How many `(`, `[` and `not` enclose the token being parsed.
    depth: usize,
}

type PResult<T> = Result<T, (String, usize)>;

const FIELDS: [(&str, Field); 10] = [
    ("hash", Field::Hash),
    ("name", Field::Name),
    ("experiment", Field::Experiment),
    ("description", Field::Description),
    ("archived", Field::Archived),
    ("active", Field::Active),
    ("creation_time", Field::CreationTime),
    ("end_time", Field::EndTime),
    ("duration", Field::Duration),
    ("tags", Field::Tags),
];

const KEYWORDS: [&str; 4] = ["and", "or", "not", "in"];

/// Parses `text`: an error is the message and its 1-based column.
pub(super) fn parse(text: &str) -> PResult<Expr> {
    let toks = lex(text)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    if *p.peek() == Tok::End {
        return Err(("empty expression".into(), 1));
    }
    let expr = p.expr()?;
    if *p.peek() != Tok::End {
        return Err(match p.peek() {
            Tok::RParen => ("unmatched `)`".to_owned(), p.col()),
            t => (
                format!(
                    "expected `and`, `or` or a comparison, found {}",
                    describe(t)
                ),
                p.col(),
            ),
        });
    }
    Ok(expr)
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map(|(t, _)| t).unwrap_or(&Tok::End)
    }
    fn peek_at(&self, n: usize) -> &Tok {
        self.toks
            .get(self.pos + n)
            .map(|(t, _)| t)
            .unwrap_or(&Tok::End)
    }
    fn col(&self) -> usize {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map(|(_, c)| *c)
            .unwrap_or(1)
    }
    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == kw)
    }
    fn unexpected<T>(&self, wanted: &str) -> PResult<T> {
        Err((
            format!("expected {wanted}, found {}", describe(self.peek())),
            self.col(),
        ))
    }

    /// Enters one more level of `(`, `[` or `not` (the token at column `col`), refusing to
    /// go past [`MAX_NESTING`].
    fn nest(&mut self, col: usize) -> PResult<()> {
        if self.depth >= MAX_NESTING {
            return Err((
                format!("nested deeper than {MAX_NESTING} levels of `(`, `[` or `not`"),
                col,
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn expr(&mut self) -> PResult<Expr> {
        let mut items = vec![self.and()?];
        while self.is_kw("or") {
            self.bump();
            items.push(self.and()?);
        }
        Ok(match items.len() {
            1 => items.swap_remove(0),
            _ => Expr::Or(items),
        })
    }

    fn and(&mut self) -> PResult<Expr> {
        let mut items = vec![self.not()?];
        while self.is_kw("and") {
            self.bump();
            items.push(self.not()?);
        }
        Ok(match items.len() {
            1 => items.swap_remove(0),
            _ => Expr::And(items),
        })
    }

    fn not(&mut self) -> PResult<Expr> {
        if self.is_kw("not") {
            self.nest(self.col())?;
            self.bump();
            let e = Expr::Not(Box::new(self.not()?));
            self.depth -= 1;
            return Ok(e);
        }
        self.compare()
    }

    fn compare_op(&mut self) -> Option<Op> {
        match self.peek() {
            Tok::Op(op) => {
                let op = *op;
                self.bump();
                Some(op)
            }
            Tok::Ident(s) if s == "in" => {
                self.bump();
                Some(Op::In)
            }
            Tok::Ident(s)
                if s == "not" && matches!(self.peek_at(1), Tok::Ident(t) if t == "in") =>
            {
                self.pos += 2;
                Some(Op::NotIn)
            }
            _ => None,
        }
    }

    fn compare(&mut self) -> PResult<Expr> {
        let first = self.operand()?;
        let mut rest = Vec::new();
        while let Some(op) = self.compare_op() {
            rest.push((op, self.operand()?));
        }
        if rest.is_empty() {
            return Ok(first);
        }
        Ok(Expr::Compare(Box::new(first), rest))
    }

    fn operand(&mut self) -> PResult<Expr> {
        let col = self.col();
        match self.bump() {
            Tok::Int(i) => Ok(Expr::Lit(Val::Int(i))),
            Tok::Float(f) => Ok(Expr::Lit(Val::Float(f))),
            Tok::Str(s) => Ok(Expr::Lit(Val::Str(s))),
            Tok::Minus => match self.bump() {
                Tok::Int(i) => Ok(Expr::Lit(Val::Int(i.wrapping_neg()))),
                Tok::Float(f) => Ok(Expr::Lit(Val::Float(-f))),
                _ => {
                    self.pos -= 1;
                    self.unexpected("a number after `-`")
                }
            },
            Tok::LParen => {
                self.nest(col)?;
                let e = self.expr()?;
                if self.bump() != Tok::RParen {
                    self.pos -= 1;
                    return self.unexpected("`)`");
                }
                self.depth -= 1;
                Ok(e)
            }
            Tok::LBrack => {
                self.nest(col)?;
                let mut items = Vec::new();
                loop {
                    if *self.peek() == Tok::RBrack {
                        self.bump();
                        break;
                    }
                    items.push(self.expr()?);
                    match self.bump() {
                        Tok::Comma => {}
                        Tok::RBrack => break,
                        _ => {
                            self.pos -= 1;
                            return self.unexpected("`,` or `]`");
                        }
                    }
                }
                self.depth -= 1;
                Ok(Expr::List(items))
            }
            Tok::Ident(word) => match word.as_str() {
                "true" | "True" => Ok(Expr::Lit(Val::Bool(true))),
                "false" | "False" => Ok(Expr::Lit(Val::Bool(false))),
                "None" | "none" | "null" => Ok(Expr::Lit(Val::None)),
                kw if KEYWORDS.contains(&kw) => {
                    self.pos -= 1;
                    self.unexpected("a value")
                }
                _ => self.field(word, col),
            },
            _ => {
                self.pos -= 1;
                self.unexpected("a value")
            }
        }
    }

    fn field(&mut self, first: String, _col: usize) -> PResult<Expr> {
        let mut path = vec![Seg::Str(first)];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    match self.bump() {
                        Tok::Ident(name) => path.push(Seg::Str(name)),
                        _ => {
                            self.pos -= 1;
                            return self.unexpected("a name after `.`");
                        }
                    }
                }
                Tok::LBrack => {
                    self.bump();
                    let seg = match self.bump() {
                        Tok::Str(s) => Seg::Str(s),
                        Tok::Int(i) => Seg::Int(i),
                        Tok::Minus => match self.bump() {
                            Tok::Int(i) => Seg::Int(i.wrapping_neg()),
                            _ => {
                                self.pos -= 1;
                                return self.unexpected("an integer after `-`");
                            }
                        },
                        _ => {
                            self.pos -= 1;
                            return self.unexpected("a string or an integer key");
                        }
                    };
                    path.push(seg);
                    if self.bump() != Tok::RBrack {
                        self.pos -= 1;
                        return self.unexpected("`]`");
                    }
                }
                _ => break,
            }
        }
        // Aim's `run.` prefix
        if path.len() > 1 && path.first().and_then(Seg::as_str) == Some("run") {
            path.remove(0);
        }
        if let [Seg::Str(name)] = path.as_slice() {
            if let Some((_, f)) = FIELDS.iter().find(|(n, _)| n == name) {
                return Ok(Expr::Field(f.clone()));
            }
        }
        Ok(Expr::Field(Field::Param(path)))
    }
}
