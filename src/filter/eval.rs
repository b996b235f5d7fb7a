//! Evaluation of a parsed `--filter` against a run, with Python's semantics (see the module
//! doc of `filter`).

use aim_store::{Node, Run, Seg};

use super::{Expr, Field, Op, Val};

pub(super) fn lookup<'a>(attrs: &'a Node, path: &[Seg]) -> Option<&'a Node> {
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

pub(super) fn eval(e: &Expr, run: &Run) -> Val {
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

pub(super) fn truthy(v: &Val) -> bool {
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
