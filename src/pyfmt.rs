//! Python's textual forms, so that our output reads exactly like the original's:
//! `repr(float)`, `repr(str)`, `str(list)` and `json.dumps` (ensure_ascii, as Aim calls it).

use std::cmp::Ordering;

/// Python's `repr(float)`: the shortest string that round-trips, `1.0` for integers,
/// scientific notation below 1e-4 and from 1e16 on (`1e-05`, `1e+16`), `nan`, `inf`.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's `{:e}` is the shortest round-trip form in scientific notation: `d.ddde±x`.
    let sci = format!("{:e}", x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point >= n {
            format!("{}{}.0", digits, "0".repeat((point - n) as usize))
        } else {
            let (a, b) = digits.split_at(point as usize);
            format!("{a}.{b}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{esign}{:02}", exp.abs())
    }
}

/// Python's `repr(str)`.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c => {
                let v = c as u32;
                if v < 0x100 {
                    out.push_str(&format!("\\x{v:02x}"));
                } else if v < 0x10000 {
                    out.push_str(&format!("\\u{v:04x}"));
                } else {
                    out.push_str(&format!("\\U{v:08x}"));
                }
            }
        }
    }
    out.push(quote);
    out
}

/// An approximation of Python's `str.isprintable` for repr: control and separator
/// characters other than the ASCII space are escaped.
fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c as u32, 0xAD | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x2064 | 0xFEFF))
}

/// A scalar cell value as pandas holds it after `Run.dataframe()`.
#[derive(Clone, Debug, PartialEq)]
pub enum PyVal {
    /// None / null.
    None,
    /// bool.
    Bool(bool),
    /// int.
    Int(i64),
    /// float.
    Float(f64),
    /// str.
    Str(String),
}

impl PyVal {
    /// Python's `repr` of the value (as shown inside `str(list)`).
    pub fn repr(&self) -> String {
        match self {
            PyVal::None => "None".into(),
            PyVal::Bool(true) => "True".into(),
            PyVal::Bool(false) => "False".into(),
            PyVal::Int(i) => i.to_string(),
            PyVal::Float(f) => float_repr(*f),
            PyVal::Str(s) => str_repr(s),
        }
    }
    /// Python's `str()` of the value.
    pub fn str_form(&self) -> String {
        match self {
            PyVal::Str(s) => s.clone(),
            other => other.repr(),
        }
    }
    fn rank(&self) -> u8 {
        match self {
            PyVal::None => 0,
            PyVal::Bool(_) => 1,
            PyVal::Int(_) | PyVal::Float(_) => 2,
            PyVal::Str(_) => 3,
        }
    }
    /// A total order: None, then bools, then numbers (by value, NaN last), then strings.
    /// Within one type it is Python's `sorted` order; Python cannot sort mixed types at all.
    pub fn total_cmp(&self, other: &PyVal) -> Ordering {
        let num = |v: &PyVal| match v {
            PyVal::Int(i) => *i as f64,
            PyVal::Float(f) => *f,
            _ => 0.0,
        };
        match (self, other) {
            (PyVal::Bool(a), PyVal::Bool(b)) => a.cmp(b),
            (PyVal::Str(a), PyVal::Str(b)) => a.cmp(b),
            (PyVal::Int(a), PyVal::Int(b)) => a.cmp(b),
            (a, b) if a.rank() == 2 && b.rank() == 2 => {
                let (x, y) = (num(a), num(b));
                match (x.is_nan(), y.is_nan()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                }
            }
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
    /// Equality as `pd.unique` sees it (1 == 1.0, NaN == NaN).
    pub fn same(&self, other: &PyVal) -> bool {
        match (self, other) {
            (PyVal::Float(a), PyVal::Float(b)) if a.is_nan() && b.is_nan() => true,
            (a, b) if a.rank() == 2 && b.rank() == 2 => a.total_cmp(b) == Ordering::Equal,
            (a, b) => a == b,
        }
    }
}

/// Python's `str(list)` of values.
pub fn list_repr(values: &[PyVal]) -> String {
    let items: Vec<String> = values.iter().map(PyVal::repr).collect();
    format!("[{}]", items.join(", "))
}

/// `json.dumps` of a string with Python's defaults (`ensure_ascii=True`).
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `json.dumps` of a float with Python's defaults (`NaN`, `Infinity`, repr otherwise).
pub fn json_float(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else {
        float_repr(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        // expected strings are what CPython 3.11 prints for repr(x)
        let cases: &[(f64, &str)] = &[
            (1693512039.103155, "1693512039.103155"),
            (1693512038.63982, "1693512038.63982"),
            (1.0, "1.0"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (-2.5, "-2.5"),
            (1e-300, "1e-300"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (-0.0, "-0.0"),
            (97.59036144578313, "97.59036144578313"),
        ];
        for (x, want) in cases {
            assert_eq!(float_repr(*x), *want, "repr({x:e})");
        }
    }

    #[test]
    fn str_repr_matches_python() {
        assert_eq!(str_repr("noaug"), "'noaug'");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a'\"b"), "'a\\'\"b'");
        assert_eq!(str_repr("données ✓ 数据"), "'données ✓ 数据'");
        assert_eq!(str_repr("a\nb\\"), "'a\\nb\\\\'");
        assert_eq!(str_repr("\u{7f}\u{a0}"), "'\\x7f\\xa0'");
    }

    #[test]
    fn lists_and_json() {
        let v = vec![PyVal::Int(1), PyVal::Int(2)];
        assert_eq!(list_repr(&v), "[1, 2]");
        assert_eq!(list_repr(&[PyVal::Bool(false)]), "[False]");
        assert_eq!(
            list_repr(&[PyVal::Str("a".into()), PyVal::None]),
            "['a', None]"
        );
        assert_eq!(json_str("αβ\"x"), "\"\\u03b1\\u03b2\\\"x\"");
        assert_eq!(json_str("😀"), "\"\\ud83d\\ude00\"");
        assert_eq!(json_float(f64::NAN), "NaN");
        assert_eq!(json_float(2.0), "2.0");
    }
}
