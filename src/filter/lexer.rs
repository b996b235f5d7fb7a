//! The lexer of `--filter`: characters → tokens, each with its 1-based column.

use super::Op;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
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

pub(super) fn describe(t: &Tok) -> String {
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
pub(super) fn lex(text: &str) -> Result<Vec<(Tok, usize)>, (String, usize)> {
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
