//! A [`Scene`] as SVG 1.1 text: one element per shape, texts as `<text>` with a `class`
//! naming their role (`context`, `group`, `legend`, …), in the bundled font's family.

use std::fmt::Write;

use super::{font::SVG_FAMILY, Anchor, Color, Scene, Shape};

fn hex(c: Color) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// A coordinate with at most two decimals, without trailing zeros.
fn num(x: f32) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// XML text and attribute escaping.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // characters XML 1.0 cannot hold at all
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The SVG document of a scene.
pub fn render(scene: &Scene) -> String {
    let mut s = String::new();
    let (w, h) = (scene.width, scene.height);
    let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{}">"#,
        escape(SVG_FAMILY)
    );
    let _ = writeln!(s, "<title>{}</title>", escape(&scene.title));
    for shape in &scene.shapes {
        match shape {
            Shape::Rect { x, y, w, h, fill } => {
                let _ = writeln!(
                    s,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
                    num(*x),
                    num(*y),
                    num(*w),
                    num(*h),
                    hex(*fill)
                );
            }
            Shape::Line {
                x1,
                y1,
                x2,
                y2,
                width,
                color,
            } => {
                let _ = writeln!(
                    s,
                    r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}"/>"#,
                    num(*x1),
                    num(*y1),
                    num(*x2),
                    num(*y2),
                    hex(*color),
                    num(*width)
                );
            }
            Shape::Circle {
                cx,
                cy,
                r,
                fill,
                ring,
                ring_width,
            } => {
                let _ = writeln!(
                    s,
                    r#"<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="{}" stroke-width="{}"/>"#,
                    num(*cx),
                    num(*cy),
                    num(*r),
                    hex(*fill),
                    hex(*ring),
                    num(*ring_width)
                );
            }
            Shape::Text {
                x,
                y,
                text,
                size,
                anchor,
                angle,
                color,
                role,
            } => {
                let anchor = match anchor {
                    Anchor::Start => "start",
                    Anchor::Middle => "middle",
                    Anchor::End => "end",
                };
                let rotate = if *angle == 0.0 {
                    String::new()
                } else {
                    format!(
                        r#" transform="rotate({} {} {})""#,
                        num(*angle),
                        num(*x),
                        num(*y)
                    )
                };
                let _ = writeln!(
                    s,
                    r#"<text class="{}" x="{}" y="{}" font-size="{}" text-anchor="{anchor}" fill="{}"{rotate}>{}</text>"#,
                    role.class(),
                    num(*x),
                    num(*y),
                    num(*size),
                    hex(*color),
                    escape(text)
                );
            }
        }
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_in_labels() {
        assert_eq!(escape(r#"a<b & "c"'"#), "a&lt;b &amp; &quot;c&quot;&apos;");
        assert_eq!(escape("x\u{1}y"), "x\u{fffd}y");
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.5), "12.5");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(1.23456), "1.23");
    }
}
