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
//!
//! Three stages, one file each: [`lexer`] (characters → tokens with their columns),
//! [`parser`] (tokens → [`Expr`], with the nesting limit) and [`eval`] (an [`Expr`] against
//! a run).

mod eval;
mod lexer;
mod parser;

use aim_store::{Run, Seg};

use eval::{eval, lookup, truthy};

/// The deepest nesting of `(`, `[` and `not` an expression may have. Parsing, evaluating and
/// dropping an expression recurse once per level; without a limit a few thousand `(` would
/// overflow the stack. No real filter comes close.
pub const MAX_NESTING: usize = 100;

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

impl Filter {
    /// Parses an expression.
    pub fn parse(text: &str) -> Result<Filter, ParseError> {
        let expr = parser::parse(text).map_err(|(message, column)| ParseError {
            message,
            column,
            text: text.to_owned(),
        })?;
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
    pub fn params_in_no_run<'a>(&self, runs: impl Iterator<Item = &'a Run> + Clone) -> Vec<String> {
        let mut out = Vec::new();
        visit_fields(&self.expr, &mut |f| {
            if let Field::Param(p) = f {
                let t = crate::frame::column_name(p);
                if !out.contains(&t) && !runs.clone().any(|r| lookup(&r.meta.attrs, p).is_some()) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use aim_store::{Node, RunMeta, RunProps};

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
