//! The one typeface of the figures: DejaVu Sans, bundled (`assets/fonts`, Bitstream Vera
//! licence), so a PNG looks the same on every machine and the layout can measure text. The
//! SVG names the same family, with sans-serif fallbacks.

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve};

static DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// The family the SVG asks for (the bundled font's), then fallbacks of similar width.
pub const SVG_FAMILY: &str = "DejaVu Sans, Verdana, Bitstream Vera Sans, sans-serif";

/// The bundled font, ready to measure and outline text.
pub struct Typeface {
    font: FontRef<'static>,
    units_per_em: f32,
}

/// One glyph placed along a line of text: its outline in font units (y up) and its pen
/// position in pixels from the start of the line.
pub struct PlacedGlyph {
    /// Pen position along the baseline, pixels.
    pub x: f32,
    /// Outline curves, font units, y up.
    pub curves: Vec<OutlineCurve>,
}

impl Typeface {
    /// Parses the bundled font.
    pub fn load() -> anyhow::Result<Self> {
        let font = FontRef::try_from_slice(DEJAVU_SANS)
            .map_err(|e| anyhow::anyhow!("the bundled font does not parse: {e}"))?;
        let units_per_em = font.units_per_em().unwrap_or(2048.0);
        Ok(Typeface { font, units_per_em })
    }

    /// Pixels per font unit at a font size of `size` px (the em, as SVG's `font-size`).
    pub fn scale(&self, size: f32) -> f32 {
        size / self.units_per_em
    }

    fn glyphs<'a>(&'a self, text: &'a str) -> impl Iterator<Item = GlyphId> + 'a {
        text.chars().map(|c| self.font.glyph_id(c))
    }

    /// Advance width of `text` at `size` px, kerning included.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let mut w = 0.0;
        let mut prev: Option<GlyphId> = None;
        for id in self.glyphs(text) {
            if let Some(p) = prev {
                w += self.font.kern_unscaled(p, id);
            }
            w += self.font.h_advance_unscaled(id);
            prev = Some(id);
        }
        w * self.scale(size)
    }

    /// The glyphs of `text` at `size` px, each with its pen position.
    pub fn layout(&self, text: &str, size: f32) -> Vec<PlacedGlyph> {
        let s = self.scale(size);
        let mut out = Vec::new();
        let mut pen = 0.0;
        let mut prev: Option<GlyphId> = None;
        for id in self.glyphs(text) {
            if let Some(p) = prev {
                pen += self.font.kern_unscaled(p, id);
            }
            if let Some(outline) = self.font.outline(id) {
                out.push(PlacedGlyph {
                    x: pen * s,
                    curves: outline.curves,
                });
            }
            pen += self.font.h_advance_unscaled(id);
            prev = Some(id);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_text_proportionally() {
        let t = Typeface::load().unwrap();
        let w10 = t.width("horizontalflip", 10.0);
        let w30 = t.width("horizontalflip", 30.0);
        assert!(w10 > 40.0 && w10 < 120.0, "{w10}");
        assert!((w30 - 3.0 * w10).abs() < 1e-3);
        assert!(t.width("WWW", 30.0) > t.width("iii", 30.0));
        assert_eq!(t.width("", 30.0), 0.0);
        // a space has an advance but no outline
        assert_eq!(t.layout("a b", 30.0).len(), 2);
    }
}
