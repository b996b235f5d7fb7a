//! A [`Scene`] as a PNG: every shape becomes a closed outline (text through the bundled
//! font's glyph outlines, rotated as laid out), filled with anti-aliasing by
//! `ab_glyph_rasterizer` and blended onto a white RGB canvas; then encoded as an 8-bit RGB
//! PNG (per-row filter chosen by the usual minimum-sum heuristic, zlib by `miniz_oxide`)
//! carrying its print resolution (`pHYs`: the figure's width over 7 inches).

use ab_glyph::{OutlineCurve, Point};
use ab_glyph_rasterizer::Rasterizer;

use super::font::Typeface;
use super::{Anchor, Color, Scene, Shape, PRINT_INCHES};

/// A piece of an outline, in canvas pixels.
#[derive(Clone, Copy)]
enum Seg {
    Line(Point, Point),
    Quad(Point, Point, Point),
    Cubic(Point, Point, Point, Point),
}

impl Seg {
    fn points(&self) -> Vec<Point> {
        match *self {
            Seg::Line(a, b) => vec![a, b],
            Seg::Quad(a, b, c) => vec![a, b, c],
            Seg::Cubic(a, b, c, d) => vec![a, b, c, d],
        }
    }
    fn moved(&self, dx: f32, dy: f32) -> Seg {
        let m = |p: Point| Point {
            x: p.x + dx,
            y: p.y + dy,
        };
        match *self {
            Seg::Line(a, b) => Seg::Line(m(a), m(b)),
            Seg::Quad(a, b, c) => Seg::Quad(m(a), m(b), m(c)),
            Seg::Cubic(a, b, c, d) => Seg::Cubic(m(a), m(b), m(c), m(d)),
        }
    }
}

fn pt(x: f32, y: f32) -> Point {
    Point { x, y }
}

fn polygon(points: &[Point]) -> Vec<Seg> {
    (0..points.len())
        .map(|i| Seg::Line(points[i], points[(i + 1) % points.len()]))
        .collect()
}

fn circle(cx: f32, cy: f32, r: f32) -> Vec<Seg> {
    let n = 72;
    let pts: Vec<Point> = (0..n)
        .map(|i| {
            let t = i as f32 / n as f32 * std::f32::consts::TAU;
            pt(cx + r * t.cos(), cy + r * t.sin())
        })
        .collect();
    polygon(&pts)
}

/// An RGB canvas, white to start with.
pub struct Canvas {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Self {
        Canvas {
            width,
            height,
            rgb: vec![0xff; width * height * 3],
        }
    }

    /// Fills the outline `segs` (non-zero rule) with `color`, anti-aliased.
    fn fill(&mut self, segs: &[Seg], color: Color) {
        let pts: Vec<Point> = segs.iter().flat_map(Seg::points).collect();
        if pts.is_empty() {
            return;
        }
        let min_x = pts.iter().map(|p| p.x).fold(f32::INFINITY, f32::min);
        let min_y = pts.iter().map(|p| p.y).fold(f32::INFINITY, f32::min);
        let max_x = pts.iter().map(|p| p.x).fold(f32::NEG_INFINITY, f32::max);
        let max_y = pts.iter().map(|p| p.y).fold(f32::NEG_INFINITY, f32::max);
        if !(min_x.is_finite() && min_y.is_finite() && max_x.is_finite() && max_y.is_finite()) {
            return;
        }
        // the outline's whole box: the rasterizer accumulates coverage along each row, so an
        // outline cut at the buffer's edge would smear; what falls off the canvas is dropped
        // when blending
        let ox = min_x.floor() - 1.0;
        let oy = min_y.floor() - 1.0;
        let bw = (max_x.ceil() - ox) as usize + 3;
        let bh = (max_y.ceil() - oy) as usize + 2;
        if bw.saturating_mul(bh) > 4 * (self.width + 8) * (self.height + 8) {
            return;
        }
        let mut r = Rasterizer::new(bw, bh);
        for s in segs {
            match s.moved(-ox, -oy) {
                Seg::Line(a, b) => r.draw_line(a, b),
                Seg::Quad(a, b, c) => r.draw_quad(a, b, c),
                Seg::Cubic(a, b, c, d) => r.draw_cubic(a, b, c, d),
            }
        }
        let (cr, cg, cb) = (f32::from(color.0), f32::from(color.1), f32::from(color.2));
        r.for_each_pixel_2d(|x, y, cover| {
            let a = cover.min(1.0);
            if a < 1.0 / 512.0 {
                return;
            }
            let px = ox as i64 + i64::from(x);
            let py = oy as i64 + i64::from(y);
            if px < 0 || py < 0 || px >= self.width as i64 || py >= self.height as i64 {
                return;
            }
            let i = (py as usize * self.width + px as usize) * 3;
            for (c, src) in self.rgb[i..i + 3].iter_mut().zip([cr, cg, cb]) {
                *c = (f32::from(*c) * (1.0 - a) + src * a).round() as u8;
            }
        });
    }

    fn draw(&mut self, shape: &Shape, tf: &Typeface) {
        match shape {
            Shape::Rect { x, y, w, h, fill } => {
                let segs = polygon(&[pt(*x, *y), pt(x + w, *y), pt(x + w, y + h), pt(*x, y + h)]);
                self.fill(&segs, *fill);
            }
            Shape::Line {
                x1,
                y1,
                x2,
                y2,
                width,
                color,
            } => {
                let (dx, dy) = (x2 - x1, y2 - y1);
                let len = (dx * dx + dy * dy).sqrt();
                if len == 0.0 {
                    return;
                }
                let (nx, ny) = (-dy / len * width / 2.0, dx / len * width / 2.0);
                let segs = polygon(&[
                    pt(x1 + nx, y1 + ny),
                    pt(x2 + nx, y2 + ny),
                    pt(x2 - nx, y2 - ny),
                    pt(x1 - nx, y1 - ny),
                ]);
                self.fill(&segs, *color);
            }
            Shape::Circle {
                cx,
                cy,
                r,
                fill,
                ring,
                ring_width,
            } => {
                // as SVG strokes it: the ring straddles the edge
                self.fill(&circle(*cx, *cy, r + ring_width / 2.0), *ring);
                self.fill(&circle(*cx, *cy, (r - ring_width / 2.0).max(0.0)), *fill);
            }
            Shape::Text {
                x,
                y,
                text,
                size,
                anchor,
                angle,
                color,
                ..
            } => {
                let width = tf.width(text, *size);
                let start = match anchor {
                    Anchor::Start => 0.0,
                    Anchor::Middle => -width / 2.0,
                    Anchor::End => -width,
                };
                let (sin, cos) = angle.to_radians().sin_cos();
                let s = tf.scale(*size);
                let mut segs = Vec::new();
                for g in tf.layout(text, *size) {
                    // font units (y up) → along the baseline → rotated about (x, y)
                    let place = |p: Point| {
                        let lx = start + g.x + p.x * s;
                        let ly = -p.y * s;
                        pt(x + lx * cos - ly * sin, y + lx * sin + ly * cos)
                    };
                    for c in &g.curves {
                        segs.push(match *c {
                            OutlineCurve::Line(a, b) => Seg::Line(place(a), place(b)),
                            OutlineCurve::Quad(a, b, c) => Seg::Quad(place(a), place(b), place(c)),
                            OutlineCurve::Cubic(a, b, c, d) => {
                                Seg::Cubic(place(a), place(b), place(c), place(d))
                            }
                        });
                    }
                }
                self.fill(&segs, *color);
            }
        }
    }
}

/// Paints a scene.
pub fn paint(scene: &Scene, tf: &Typeface) -> Canvas {
    let mut canvas = Canvas::new(scene.width as usize, scene.height as usize);
    for shape in &scene.shapes {
        canvas.draw(shape, tf);
    }
    canvas
}

/// Paints a scene and encodes it as PNG.
pub fn render_png(scene: &Scene, tf: &Typeface) -> Vec<u8> {
    let canvas = paint(scene, tf);
    let ppm = (scene.width as f32 / PRINT_INCHES / 0.0254).round() as u32;
    encode_png(canvas.width, canvas.height, &canvas.rgb, ppm)
}

fn crc32(chunks: &[&[u8]]) -> u32 {
    let mut table = [0u32; 256];
    for (n, t) in table.iter_mut().enumerate() {
        let mut c = n as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *t = c;
    }
    let mut c = 0xffff_ffffu32;
    for bytes in chunks {
        for &b in *bytes {
            c = table[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
        }
    }
    c ^ 0xffff_ffff
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// An 8-bit RGB PNG of `rgb` (rows top to bottom), with `pixels_per_metre` in `pHYs`.
pub fn encode_png(width: usize, height: usize, rgb: &[u8], pixels_per_metre: u32) -> Vec<u8> {
    const BPP: usize = 3;
    let stride = width * BPP;
    let mut raw = Vec::with_capacity((stride + 1) * height);
    let zero = vec![0u8; stride];
    let mut candidate = vec![0u8; stride];
    let mut best = vec![0u8; stride];
    for y in 0..height {
        let row = &rgb[y * stride..(y + 1) * stride];
        let up = if y == 0 {
            &zero[..]
        } else {
            &rgb[(y - 1) * stride..y * stride]
        };
        let mut best_kind = 0u8;
        let mut best_cost = u64::MAX;
        for kind in 0u8..5 {
            for i in 0..stride {
                let a = if i >= BPP { row[i - BPP] } else { 0 };
                let b = up[i];
                let c = if i >= BPP { up[i - BPP] } else { 0 };
                let pred = match kind {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                    _ => paeth(a, b, c),
                };
                candidate[i] = row[i].wrapping_sub(pred);
            }
            let cost: u64 = candidate
                .iter()
                .map(|&v| u64::from((v as i8).unsigned_abs()))
                .sum();
            if cost < best_cost {
                best_cost = cost;
                best_kind = kind;
                best.copy_from_slice(&candidate);
            }
        }
        raw.push(best_kind);
        raw.extend_from_slice(&best);
    }
    let mut out = Vec::new();
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(width as u32).to_be_bytes());
    ihdr.extend_from_slice(&(height as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, RGB, deflate, adaptive, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    let mut phys = Vec::with_capacity(9);
    phys.extend_from_slice(&pixels_per_metre.to_be_bytes());
    phys.extend_from_slice(&pixels_per_metre.to_be_bytes());
    phys.push(1); // metres
    chunk(&mut out, b"pHYs", &phys);
    chunk(
        &mut out,
        b"IDAT",
        &miniz_oxide::deflate::compress_to_vec_zlib(&raw, 6),
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_of_iend_is_the_well_known_one() {
        // every PNG ends with IEND's CRC ae 42 60 82
        assert_eq!(crc32(&[b"IEND"]), 0xae42_6082);
    }

    #[test]
    fn filled_shapes_cover_their_area() {
        let mut c = Canvas::new(40, 30);
        c.fill(
            &polygon(&[pt(10.0, 5.0), pt(30.0, 5.0), pt(30.0, 25.0), pt(10.0, 25.0)]),
            Color(0, 0, 0),
        );
        let at = |x: usize, y: usize| c.rgb[(y * 40 + x) * 3];
        assert_eq!(at(20, 15), 0);
        assert_eq!(at(10, 5), 0);
        assert_eq!(at(29, 24), 0);
        assert_eq!(at(9, 15), 255);
        assert_eq!(at(30, 15), 255);
        assert_eq!(at(20, 4), 255);
        assert_eq!(at(20, 25), 255);
        let dark = c.rgb.chunks(3).filter(|p| p[0] < 128).count();
        assert_eq!(dark, 20 * 20);
    }

    #[test]
    fn text_leaves_ink_where_laid_out() {
        let tf = Typeface::load().unwrap();
        let mut c = Canvas::new(200, 60);
        c.draw(
            &Shape::Text {
                x: 10.0,
                y: 40.0,
                text: "Hello".into(),
                size: 30.0,
                anchor: Anchor::Start,
                angle: 0.0,
                color: Color(0, 0, 0),
                role: super::super::Role::Title,
            },
            &tf,
        );
        let ink: Vec<(usize, usize)> = c
            .rgb
            .chunks(3)
            .enumerate()
            .filter(|(_, p)| p[0] < 128)
            .map(|(i, _)| (i % 200, i / 200))
            .collect();
        assert!(ink.len() > 200, "{}", ink.len());
        let w = tf.width("Hello", 30.0);
        assert!(ink
            .iter()
            .all(|&(x, y)| x >= 10 && (x as f32) <= 10.0 + w + 1.0 && (10..=41).contains(&y)));
    }
}
