//! `--filter EXPR`: a small expression language over run fields and params, written like
//! Aim's query syntax (`run.hparams.lr > 0.01 and not run.archived`), hand-parsed.
//!
//! Grammar (lowest precedence first; keywords are case-sensitive, as in Python):
//!
//! ```text
//! expr     := and ("or" and)*
//! and      := not ("and" not)*
//! not      := "not" not | compare
//! compare  := operand (op operand)*            chained like Python: a < b < c
//! op       := "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in"
//! operand  := "-"? number | string | true | false | none | list | field | "(" expr ")"
//! list     := "[" (expr ("," expr)* ","?)? "]"
//! field    := ["run" "."] name ("." name | "[" string "]" | "[" integer "]")*
//! ```
//!
//! `true`/`True`, `false`/`False`, `None`/`none`/`null`; strings in single or double quotes
//! with `\\ \" \' \n \t \uXXXX` escapes. Run fields: `hash`, `name`, `experiment`,
//! `description`, `archived`, `active`, `creation_time`, `end_time`, `duration`, `tags`; any
//! other name is a param path (`hparams.flowpic_dim`, `hparams["名前"]`).
//!
//! Semantics: a missing param is None (`== None` is true, every other comparison false);
//! comparing values of different types is false (`!=` true), never an error; ints, floats
//! and bools compare by value as in Python (`True == 1`); `<`… order numbers and strings
//! only; `x in L` is membership in a list, or a substring test on strings; `!=` and
//! `not in` are the negation of `==` and `in`; a bare operand is tested for truth as Python
//! does (None, false, 0, "", [], {} are false); list indices are not negative (as in Aim).
//! docs/filter.md documents it for users, with the differences from Aim's query.

use aim_store::{Node, Run, Seg};

/// A parsed `--filter` expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    expr: Expr,
}

/// A parse error: what is wrong and the 1-based column (in characters) where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
    /// 1-based column, in characters.
    pub column: usize,
    /// The expression.
    pub text: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // one line, then the expression with a caret under the column
        write!(
            f,
            "--filter: {} at column {}\n  {}\n  {}^",
            self.message,
            self.column,
            self.text,
            " ".repeat(self.column.saturating_sub(1))
        )
    }
}

impl std::error::Error for ParseError {}

/// A value an expression evaluates to.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Val>),
    /// A dict or object (only its emptiness matters).
    Map(usize),
}

/// A run field.
#[derive(Clone, Debug, PartialEq)]
enum Field {
    Hash,
    Name,
    Experiment,
    Description,
    Archived,
    Active,
    CreationTime,
    EndTime,
    Duration,
    Tags,
    Param(Vec<Seg>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Lit(Val),
    Field(Field),
    List(Vec<Expr>),
    Not(Box<Expr>),
    /// Every operand of a chain `a and b and …`, kept flat so that a long chain is not a
    /// deep tree.
    And(Vec<Expr>),
    /// Every operand of a chain `a or b or …`.
    Or(Vec<Expr>),
    Compare(Box<Expr>, Vec<(Op, Expr)>),
}

// ------------------------------------------------------------------ lexer

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    Op(Op),
    Minus,
    LParen,
    RParen,
    LBrack,
    RBrack,
    Comma,
    Dot,
    End,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Str(_) => "a string".into(),
        Tok::Int(_) | Tok::Float(_) => "a number".into(),
        Tok::Op(op) => format!("`{}`", op_text(*op)),
        Tok::Minus => "`-`".into(),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::LBrack => "`[`".into(),
        Tok::RBrack => "`]`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Dot => "`.`".into(),
        Tok::End => "the end of the expression".into(),
    }
}

fn op_text(op: Op) -> &'static str {
    match op {
        Op::Eq => "==",
        Op::Ne => "!=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::In => "in",
        Op::NotIn => "not in",
    }
}

/// Tokens with their 1-based columns.
fn lex(text: &str) -> Result<Vec<(Tok, usize)>, (String, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let col = i + 1;
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two = |t: Tok| (t, 2);
        let (tok, len) = match (c, next) {
            ('=', Some('=')) => two(Tok::Op(Op::Eq)),
            ('!', Some('=')) => two(Tok::Op(Op::Ne)),
            ('<', Some('=')) => two(Tok::Op(Op::Le)),
            ('>', Some('=')) => two(Tok::Op(Op::Ge)),
            ('<', _) => (Tok::Op(Op::Lt), 1),
            ('>', _) => (Tok::Op(Op::Gt), 1),
            ('=', _) => return Err(("`=` is not a comparison; use `==`".into(), col)),
            ('!', _) => return Err(("`!` is not an operator; use `not`".into(), col)),
            ('&', _) => return Err(("`&` is not an operator; use `and`".into(), col)),
            ('|', _) => return Err(("`|` is not an operator; use `or`".into(), col)),
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            ('[', _) => (Tok::LBrack, 1),
            (']', _) => (Tok::RBrack, 1),
            (',', _) => (Tok::Comma, 1),
            ('.', _) => (Tok::Dot, 1),
            ('-', _) => (Tok::Minus, 1),
            ('"' | '\'', _) => {
                let (s, len) = lex_string(&chars, i)?;
                (Tok::Str(s), len)
            }
            (d, _) if d.is_ascii_digit() => lex_number(&chars, i)?,
            (a, _) if a.is_alphabetic() || a == '_' => {
                let mut j = i;
                while chars
                    .get(j)
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_')
                {
                    j += 1;
                }
                (Tok::Ident(chars[i..j].iter().collect()), j - i)
            }
            (other, _) => return Err((format!("unexpected character `{other}`"), col)),
        };
        out.push((tok, col));
        i += len;
    }
    out.push((Tok::End, chars.len() + 1));
    Ok(out)
}

fn lex_string(chars: &[char], start: usize) -> Result<(String, usize), (String, usize)> {
    let quote = chars[start];
    let mut s = String::new();
    let mut j = start + 1;
    loop {
        match chars.get(j) {
            None => return Err(("unterminated string".into(), start + 1)),
            Some(&c) if c == quote => return Ok((s, j + 1 - start)),
            Some('\\') => {
                let esc = chars.get(j + 1).copied();
                match esc {
                    Some('\\') => s.push('\\'),
                    Some('"') => s.push('"'),
                    Some('\'') => s.push('\''),
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('u') => {
                        let hex: String =
                            chars.get(j + 2..j + 6).unwrap_or_default().iter().collect();
                        let c = u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == 4)
                            .and_then(char::from_u32)
                            .ok_or_else(|| ("bad `\\u` escape (4 hex digits)".to_owned(), j + 1))?;
                        s.push(c);
                        j += 4;
                    }
                    _ => return Err(("unknown escape in string".into(), j + 1)),
                }
                j += 2;
            }
            Some(&c) => {
                s.push(c);
                j += 1;
            }
        }
    }
}

fn lex_number(chars: &[char], start: usize) -> Result<(Tok, usize), (String, usize)> {
    let mut j = start;
    let digits = |j: &mut usize| {
        while chars
            .get(*j)
            .is_some_and(|c| c.is_ascii_digit() || *c == '_')
        {
            *j += 1;
        }
    };
    digits(&mut j);
    let mut float = false;
    if chars.get(j) == Some(&'.') && chars.get(j + 1).is_some_and(char::is_ascii_digit) {
        float = true;
        j += 1;
        digits(&mut j);
    } else if chars.get(j) == Some(&'.') && !chars.get(j + 1).is_some_and(|c| c.is_alphabetic()) {
        float = true; // `1.`
        j += 1;
    }
    if matches!(chars.get(j), Some('e' | 'E')) {
        let mut k = j + 1;
        if matches!(chars.get(k), Some('+' | '-')) {
            k += 1;
        }
        if chars.get(k).is_some_and(char::is_ascii_digit) {
            float = true;
            j = k;
            digits(&mut j);
        }
    }
    if chars
        .get(j)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        return Err(("malformed number".into(), start + 1));
    }
    let text: String = chars[start..j].iter().filter(|c| **c != '_').collect();
    let tok = if float {
        Tok::Float(
            text.parse()
                .map_err(|_| ("malformed number".to_owned(), start + 1))?,
        )
    } else {
        match text.parse::<i64>() {
            Ok(i) => Tok::Int(i),
            Err(_) => Tok::Float(
                text.parse()
                    .map_err(|_| ("malformed number".to_owned(), start + 1))?,
            ),
        }
    };
    Ok((tok, j - start))
}

// ------------------------------------------------------------------ parser

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    /// How many `(`, `[` and `not` enclose the token being parsed.
    depth: usize,
}

/// The deepest nesting of `(`, `[` and `not` an expression may have. Parsing, evaluating and
/// dropping an expression recurse once per level; without a limit a few thousand `(` would
/// overflow the stack. No real filter comes close.
pub const MAX_NESTING: usize = 100;

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

impl Filter {
    /// Parses an expression.
    pub fn parse(text: &str) -> Result<Filter, ParseError> {
        let err = |(message, column): (String, usize)| ParseError {
            message,
            column,
            text: text.to_owned(),
        };
        let toks = lex(text).map_err(err)?;
        let mut p = Parser {
            toks,
            pos: 0,
            depth: 0,
        };
        if *p.peek() == Tok::End {
            return Err(err(("empty expression".into(), 1)));
        }
        let expr = p.expr().map_err(err)?;
        if *p.peek() != Tok::End {
            let e = match p.peek() {
                Tok::RParen => ("unmatched `)`".to_owned(), p.col()),
                t => (
                    format!(
                        "expected `and`, `or` or a comparison, found {}",
                        describe(t)
                    ),
                    p.col(),
                ),
            };
            return Err(err(e));
        }
        Ok(Filter { expr })
    }

    /// True when the expression names the `archived` field (then it alone decides whether
    /// archived runs are shown).
    pub fn mentions_archived(&self) -> bool {
        let mut found = false;
        visit_fields(&self.expr, &mut |f| found |= *f == Field::Archived);
        found
    }

    /// True when the expression reads params or metadata beyond SQLite's fields and the
    /// end time (so the whole meta chunk must be read).
    pub fn needs_params(&self) -> bool {
        let mut found = false;
        visit_fields(&self.expr, &mut |f| {
            found |= matches!(f, Field::Param(_));
        });
        found
    }

    /// The param paths the expression reads, as written (`hparams.flowpic_dim`).
    #[cfg(test)]
    pub fn param_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        visit_fields(&self.expr, &mut |f| {
            if let Field::Param(p) = f {
                let t = crate::frame::column_name(p);
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        });
        out
    }

    /// The param paths the expression reads that no run of `runs` has (likely typos).
    pub fn params_in_no_run(&self, runs: &[Run]) -> Vec<String> {
        let mut out = Vec::new();
        visit_fields(&self.expr, &mut |f| {
            if let Field::Param(p) = f {
                let t = crate::frame::column_name(p);
                if !out.contains(&t) && !runs.iter().any(|r| lookup(&r.meta.attrs, p).is_some()) {
                    out.push(t);
                }
            }
        });
        out
    }

    /// True when the run matches.
    pub fn matches(&self, run: &Run) -> bool {
        truthy(&eval(&self.expr, run))
    }
}

fn visit_fields(e: &Expr, f: &mut impl FnMut(&Field)) {
    match e {
        Expr::Lit(_) => {}
        Expr::Field(x) => f(x),
        Expr::List(items) => items.iter().for_each(|i| visit_fields(i, f)),
        Expr::Not(x) => visit_fields(x, f),
        Expr::And(items) | Expr::Or(items) => items.iter().for_each(|i| visit_fields(i, f)),
        Expr::Compare(first, rest) => {
            visit_fields(first, f);
            rest.iter().for_each(|(_, x)| visit_fields(x, f));
        }
    }
}

// ------------------------------------------------------------------ evaluation

fn lookup<'a>(attrs: &'a Node, path: &[Seg]) -> Option<&'a Node> {
    let mut node = attrs;
    for seg in path {
        node = match (node, seg) {
            // no negative indices: Aim's queries have none (a missing item)
            (Node::List(items), Seg::Int(i)) => items.get(usize::try_from(*i).ok()?)?,
            (n, seg) => n.entries().iter().find(|(k, _)| k == seg).map(|(_, v)| v)?,
        };
    }
    Some(node)
}

fn node_val(n: &Node) -> Val {
    match n {
        Node::None | Node::Blob => Val::None,
        Node::Bool(b) => Val::Bool(*b),
        Node::Int(i) => Val::Int(*i),
        Node::Float(f) => Val::Float(*f),
        Node::Str(s) => Val::Str(s.clone()),
        Node::Bytes(b) => Val::Str(String::from_utf8_lossy(b).into_owned()),
        Node::List(items) => Val::List(items.iter().map(node_val).collect()),
        Node::Dict(e) => Val::Map(e.len()),
        Node::Object { fields, .. } => Val::Map(fields.len().max(1)),
    }
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> Val) -> Val {
    v.map(f).unwrap_or(Val::None)
}

fn field_val(f: &Field, run: &Run) -> Val {
    let p = &run.props;
    match f {
        Field::Hash => Val::Str(p.hash.clone()),
        Field::Name => opt(p.name.clone(), Val::Str),
        Field::Experiment => opt(p.experiment.clone(), Val::Str),
        Field::Description => opt(p.description.clone(), Val::Str),
        Field::Archived => Val::Bool(p.archived),
        Field::Active => Val::Bool(run.active()),
        Field::CreationTime => opt(p.creation_time, Val::Float),
        Field::EndTime => opt(run.end_time(), Val::Float),
        Field::Duration => opt(run.duration(), Val::Float),
        Field::Tags => Val::List(p.tags.iter().cloned().map(Val::Str).collect()),
        Field::Param(path) => opt(lookup(&run.meta.attrs, path), node_val),
    }
}

fn eval(e: &Expr, run: &Run) -> Val {
    match e {
        Expr::Lit(v) => v.clone(),
        Expr::Field(f) => field_val(f, run),
        Expr::List(items) => Val::List(items.iter().map(|i| eval(i, run)).collect()),
        Expr::Not(x) => Val::Bool(!truthy(&eval(x, run))),
        Expr::And(items) => Val::Bool(items.iter().all(|i| truthy(&eval(i, run)))),
        Expr::Or(items) => Val::Bool(items.iter().any(|i| truthy(&eval(i, run)))),
        Expr::Compare(first, rest) => {
            let mut left = eval(first, run);
            for (op, x) in rest {
                let right = eval(x, run);
                if !compare(*op, &left, &right) {
                    return Val::Bool(false);
                }
                left = right;
            }
            Val::Bool(true)
        }
    }
}

fn truthy(v: &Val) -> bool {
    match v {
        Val::None => false,
        Val::Bool(b) => *b,
        Val::Int(i) => *i != 0,
        Val::Float(f) => *f != 0.0,
        Val::Str(s) => !s.is_empty(),
        Val::List(l) => !l.is_empty(),
        Val::Map(n) => *n > 0,
    }
}

/// Orders an int against a float exactly (None when the float is NaN).
fn cmp_int_float(i: i64, f: f64) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    if f.is_nan() {
        return None;
    }
    // 2^63 as f64 is exact; every i64 is below it
    if f >= 9_223_372_036_854_775_808.0 {
        return Some(Ordering::Less);
    }
    if f < -9_223_372_036_854_775_808.0 {
        return Some(Ordering::Greater);
    }
    let floor = f.floor();
    // in range, so the cast is exact
    let fi = floor as i64;
    Some(i.cmp(&fi).then(if f > floor {
        Ordering::Less
    } else {
        Ordering::Equal
    }))
}

/// A bool as the number Python takes it for (True == 1).
fn as_number(v: &Val) -> &Val {
    match v {
        Val::Bool(false) => &Val::Int(0),
        Val::Bool(true) => &Val::Int(1),
        other => other,
    }
}

fn order(a: &Val, b: &Val) -> Option<std::cmp::Ordering> {
    match (as_number(a), as_number(b)) {
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(y)),
        (Val::Float(x), Val::Float(y)) => x.partial_cmp(y),
        (Val::Int(x), Val::Float(y)) => cmp_int_float(*x, *y),
        (Val::Float(x), Val::Int(y)) => cmp_int_float(*y, *x).map(std::cmp::Ordering::reverse),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn equal(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::None, Val::None) => true,
        (Val::List(x), Val::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        _ => order(a, b) == Some(std::cmp::Ordering::Equal),
    }
}

fn contains(item: &Val, container: &Val) -> bool {
    match (item, container) {
        (_, Val::List(items)) => items.iter().any(|x| equal(item, x)),
        (Val::Str(needle), Val::Str(hay)) => hay.contains(needle.as_str()),
        _ => false,
    }
}

fn compare(op: Op, a: &Val, b: &Val) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => equal(a, b),
        Op::Ne => !equal(a, b),
        Op::Lt => order(a, b) == Some(Less),
        Op::Le => matches!(order(a, b), Some(Less | Equal)),
        Op::Gt => order(a, b) == Some(Greater),
        Op::Ge => matches!(order(a, b), Some(Greater | Equal)),
        Op::In => contains(a, b),
        Op::NotIn => !contains(a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aim_store::{RunMeta, RunProps};

    fn run(hparams: Vec<(&str, Node)>) -> Run {
        Run {
            props: RunProps {
                hash: "abc".into(),
                name: Some("Run: abc".into()),
                experiment: Some("exp".into()),
                tags: vec!["t1".into()],
                creation_time: Some(10.0),
                finalized_at: Some(12.5),
                ..RunProps::default()
            },
            meta: RunMeta {
                attrs: Node::Dict(vec![(
                    Seg::from("hparams"),
                    Node::Dict(
                        hparams
                            .into_iter()
                            .map(|(k, v)| (Seg::from(k), v))
                            .collect(),
                    ),
                )]),
                end_time: aim_store::EndTime::NotRecorded,
                traces: Vec::new(),
            },
        }
    }

    fn m(expr: &str, r: &Run) -> bool {
        Filter::parse(expr)
            .unwrap_or_else(|e| panic!("{e}"))
            .matches(r)
    }

    fn err(expr: &str) -> ParseError {
        Filter::parse(expr).expect_err(expr)
    }

    #[test]
    fn comparisons_and_logic() {
        let r = run(vec![
            ("dim", Node::Int(32)),
            ("lr", Node::Float(0.5)),
            ("aug", Node::Str("noaug".into())),
            ("drop", Node::Bool(true)),
            ("none", Node::None),
            ("l", Node::List(vec![Node::Int(1), Node::Int(2)])),
        ]);
        for yes in [
            "hparams.dim == 32",
            "run.hparams.dim == 32.0",
            "hparams.dim >= 32 and hparams.dim < 33",
            "31 < hparams.dim <= 32",
            "hparams.lr > 0 and hparams.lr != 1",
            "hparams.aug in [\"noaug\", 'rotate']",
            "hparams.aug not in [\"rotate\"]",
            "'aug' in hparams.aug",
            "hparams.drop",
            "hparams.drop == True and not archived",
            "hparams.none == None and hparams.missing == None",
            "hparams.missing != 3",
            "hparams.l == [1, 2] and 2 in hparams.l and hparams.l[1] == 2",
            "hparams.l[-1] == None and hparams.l[2] == None",
            "hparams.drop == 1 and hparams.drop > 0.5 and False < hparams.drop",
            "\"t1\" in tags and 't2' not in run.tags",
            "not (hparams.dim == 64 or hparams.dim == 1500)",
            "hash == 'abc' and name == \"Run: abc\" and experiment == 'exp'",
            "duration == 2.5 and end_time > creation_time and not active",
            "hparams[\"dim\"] == 32 and run[\"hparams\"].dim == 32",
            "hparams.dim == 32 or hparams.dim == -1",
            "description == None",
            "hparams",
        ] {
            assert!(m(yes, &r), "{yes}");
        }
        for no in [
            "hparams.dim == '32'",
            "hparams.dim > 'a'",
            "hparams.missing > 0",
            "hparams.missing == 0",
            "hparams.drop == 'True'",
            "hparams.aug < 3",
            "hparams.dim in 32",
            "archived",
            "hparams.none",
            "hparams.dim == 32 and hparams.dim == 64",
            "1 < 2 < 2",
        ] {
            assert!(!m(no, &r), "{no}");
        }
    }

    #[test]
    fn ints_and_floats_compare_by_value() {
        let r = run(vec![
            ("big", Node::Int(i64::MAX)),
            ("nan", Node::Float(f64::NAN)),
        ]);
        assert!(m("hparams.big == 9223372036854775807", &r));
        assert!(m("hparams.big < 9223372036854775808.0", &r));
        assert!(!m("hparams.big == 9223372036854775808.0", &r));
        assert!(!m("hparams.nan == hparams.nan", &r));
        assert!(m("hparams.nan != 1", &r));
        assert!(!m("hparams.nan < 1 or hparams.nan >= 1", &r));
        assert!(m("2.5 > 2 and 2 < 2.5 and 3 >= 3.0 and -1 < -0.5", &r));
    }

    #[test]
    fn archived_and_params_are_detected() {
        assert!(Filter::parse("not run.archived")
            .unwrap()
            .mentions_archived());
        assert!(!Filter::parse("hparams.archived")
            .unwrap()
            .mentions_archived());
        assert!(Filter::parse("hparams.x == 1").unwrap().needs_params());
        assert!(!Filter::parse("end_time == None").unwrap().needs_params());
        assert_eq!(
            Filter::parse("a.b == 1 or c[2] in a.b")
                .unwrap()
                .param_paths(),
            vec!["a.b", "c[2]"]
        );
    }

    #[test]
    fn parse_errors_name_the_column() {
        let e = err("hparams.dim = 32");
        assert_eq!(
            (e.message.as_str(), e.column),
            ("`=` is not a comparison; use `==`", 13)
        );
        let e = err("hparams.dim == ");
        assert_eq!(e.column, 16);
        assert!(e.message.contains("expected a value"), "{e}");
        let e = err("(a == 1");
        assert_eq!((e.column, e.message.contains("`)`")), (8, true), "{e}");
        let e = err("a == 1)");
        assert_eq!((e.message.as_str(), e.column), ("unmatched `)`", 7));
        let e = err("a == 'x");
        assert_eq!((e.message.as_str(), e.column), ("unterminated string", 6));
        let e = err("a == 1 b == 2");
        assert_eq!(e.column, 8);
        let e = err("ü == and");
        assert_eq!(e.column, 6, "{e}");
        let e = err("");
        assert_eq!(e.column, 1);
        let e = err("a in [1, 2");
        assert_eq!(e.column, 11);
        assert_eq!(
            err("x == 1 && y").to_string(),
            "--filter: `&` is not an operator; use `and` at column 8\n  x == 1 && y\n         ^"
        );
    }
}
