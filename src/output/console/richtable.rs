//! A table renderer that lays text out the way Python's `rich` does for the original tool
//! (`Table(box=ROUNDED)` and `Table(box=None)` with default padding, `overflow="fold"`),
//! so that our console output matches the original's line for line.

use unicode_width::UnicodeWidthStr;

/// Horizontal alignment of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Justify {
    /// Left.
    Left,
    /// Right.
    Right,
}

/// Border style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Border {
    /// No borders (`box=None`).
    None,
    /// `box.ROUNDED`.
    Rounded,
}

/// A table of text cells.
#[derive(Clone, Debug)]
pub struct Table {
    border: Border,
    headers: Vec<String>,
    justify: Vec<Justify>,
    rows: Vec<Vec<String>>,
    /// Row indices before which a section rule is drawn.
    sections: Vec<usize>,
}

/// Display width of a string in terminal cells.
pub fn cell_len(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

impl Table {
    /// A table with the given columns.
    pub fn new(border: Border, columns: &[(&str, Justify)]) -> Table {
        Table {
            border,
            headers: columns.iter().map(|(h, _)| (*h).to_owned()).collect(),
            justify: columns.iter().map(|(_, j)| *j).collect(),
            rows: Vec::new(),
            sections: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Ends a section: a rule is drawn before the next row.
    pub fn section(&mut self) {
        self.sections.push(self.rows.len());
    }

    fn padding(&self) -> usize {
        2
    }

    fn extra_width(&self) -> usize {
        match self.border {
            Border::None => 0,
            Border::Rounded => self.headers.len() + 1,
        }
    }

    fn column_cells(&self, col: usize) -> impl Iterator<Item = &str> {
        std::iter::once(self.headers[col].as_str()).chain(
            self.rows
                .iter()
                .map(move |r| r.get(col).map(String::as_str).unwrap_or("")),
        )
    }

    /// (min, max) widths of a column including padding, like rich's `_measure_column`.
    fn measure(&self, col: usize, max_width: usize) -> (usize, usize) {
        let mut lo = 0;
        let mut hi = 0;
        for cell in self.column_cells(col) {
            let longest_line = cell.split('\n').map(cell_len).max().unwrap_or(0);
            let longest_word = cell.split_whitespace().map(cell_len).max().unwrap_or(0);
            lo = lo.max(longest_word + self.padding());
            hi = hi.max(longest_line + self.padding());
        }
        (lo.min(max_width), hi.min(max_width))
    }

    fn widths(&self, console_width: usize) -> Vec<usize> {
        let max_width = console_width.saturating_sub(self.extra_width());
        let n = self.headers.len();
        let mut widths: Vec<usize> = (0..n)
            .map(|c| self.measure(c, max_width).1.max(1))
            .collect();
        let total: usize = widths.iter().sum();
        if total > max_width {
            widths = collapse_widths(widths, max_width);
            let total: usize = widths.iter().sum();
            if total > max_width {
                let excess = total - max_width;
                widths = ratio_reduce(excess, &vec![1; n], &widths.clone(), &widths);
            }
            widths = (0..n).map(|c| self.measure(c, widths[c]).1).collect();
        }
        // a cell is never narrower than its padding plus one character: that is what a row
        // draws, so the borders are drawn as wide (very narrow consoles)
        let least = self.padding() + 1;
        widths.into_iter().map(|w| w.max(least)).collect()
    }

    /// Renders the table for a console `console_width` cells wide; every line ends with `\n`.
    pub fn render(&self, console_width: usize) -> String {
        let widths = self.widths(console_width);
        let mut out = String::new();
        let rounded = self.border == Border::Rounded;
        let rule = |l: &str, m: &str, r: &str, out: &mut String| {
            out.push_str(l);
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    out.push_str(m);
                }
                out.push_str(&"─".repeat(*w));
            }
            out.push_str(r);
            out.push('\n');
        };
        if rounded {
            rule("╭", "┬", "╮", &mut out);
        }
        self.render_row(&self.headers, &widths, &mut out);
        if rounded {
            rule("├", "┼", "┤", &mut out);
        }
        for (i, row) in self.rows.iter().enumerate() {
            if rounded && i > 0 && self.sections.contains(&i) {
                rule("├", "┼", "┤", &mut out);
            }
            self.render_row(row, &widths, &mut out);
        }
        if rounded {
            rule("╰", "┴", "╯", &mut out);
        }
        out
    }

    fn render_row(&self, cells: &[String], widths: &[usize], out: &mut String) {
        let pad = self.padding() / 2;
        let wrapped: Vec<Vec<String>> = widths
            .iter()
            .enumerate()
            .map(|(c, w)| {
                let text = cells.get(c).map(String::as_str).unwrap_or("");
                wrap(text, w.saturating_sub(self.padding()), self.justify[c])
            })
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let vertical = self.border == Border::Rounded;
        for line in 0..height {
            if vertical {
                out.push('│');
            }
            for (c, w) in widths.iter().enumerate() {
                if c > 0 && vertical {
                    out.push('│');
                }
                let inner = w.saturating_sub(self.padding());
                let text = wrapped[c]
                    .get(line)
                    .cloned()
                    .unwrap_or_else(|| " ".repeat(inner));
                out.push_str(&" ".repeat(pad));
                out.push_str(&text);
                out.push_str(&" ".repeat(pad));
            }
            if vertical {
                out.push('│');
            }
            out.push('\n');
        }
    }
}

/// rich's `Table._collapse_widths`: shrink the widest wrapable columns first.
fn collapse_widths(mut widths: Vec<usize>, max_width: usize) -> Vec<usize> {
    let mut total: usize = widths.iter().sum();
    let mut excess = total.saturating_sub(max_width);
    while total > 0 && excess > 0 {
        let max_column = widths.iter().copied().max().unwrap_or(0);
        let second = widths
            .iter()
            .copied()
            .filter(|w| *w != max_column)
            .max()
            .unwrap_or(0);
        let diff = max_column - second;
        let ratios: Vec<usize> = widths
            .iter()
            .map(|w| usize::from(*w == max_column))
            .collect();
        if diff == 0 || ratios.iter().all(|r| *r == 0) {
            break;
        }
        let max_reduce = vec![excess.min(diff); widths.len()];
        widths = ratio_reduce(excess, &ratios, &max_reduce, &widths);
        total = widths.iter().sum();
        excess = total.saturating_sub(max_width);
    }
    widths
}

/// rich's `ratio_reduce`.
fn ratio_reduce(
    total: usize,
    ratios: &[usize],
    maximums: &[usize],
    values: &[usize],
) -> Vec<usize> {
    let ratios: Vec<usize> = ratios
        .iter()
        .zip(maximums)
        .map(|(r, m)| if *m > 0 { *r } else { 0 })
        .collect();
    let mut total_ratio: usize = ratios.iter().sum();
    if total_ratio == 0 {
        return values.to_vec();
    }
    let mut remaining = total as f64;
    let mut result = Vec::with_capacity(values.len());
    for ((ratio, maximum), value) in ratios.iter().zip(maximums).zip(values) {
        if *ratio > 0 && total_ratio > 0 {
            let share = py_round(*ratio as f64 * remaining / total_ratio as f64);
            let distributed = (*maximum as f64).min(share);
            result.push(value.saturating_sub(distributed as usize));
            remaining -= distributed;
            total_ratio -= ratio;
        } else {
            result.push(*value);
        }
    }
    result
}

/// Python's `round(x)` (banker's rounding) for non-negative x.
fn py_round(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc() - 0.5).abs() < f64::EPSILON && r % 2.0 != 0.0 {
        r - 1.0
    } else {
        r
    }
}

/// Wraps text into lines of exactly `width` cells (rich's `divide_line` with fold, then
/// justify), one string per line.
pub fn wrap(text: &str, width: usize, justify: Justify) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for line in text.split('\n') {
        for piece in divide_line(line, width) {
            let trimmed = rstrip_end(&piece, width);
            let body = match justify {
                Justify::Left => trimmed,
                Justify::Right => trimmed.trim_end().to_owned(),
            };
            let body = truncate(&body, width);
            let gap = width.saturating_sub(cell_len(&body));
            lines.push(match justify {
                Justify::Left => format!("{body}{}", " ".repeat(gap)),
                Justify::Right => format!("{}{body}", " ".repeat(gap)),
            });
        }
    }
    lines
}

fn rstrip_end(s: &str, width: usize) -> String {
    // remove trailing whitespace beyond `width` cells
    let len = cell_len(s);
    if len <= width {
        return s.to_owned();
    }
    let trimmed = s.trim_end();
    let excess = len - width;
    let ws = len - cell_len(trimmed);
    let remove = excess.min(ws);
    s[..s.len() - remove].to_owned()
}

fn truncate(s: &str, width: usize) -> String {
    if cell_len(s) <= width {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = cell_len(c.encode_utf8(&mut [0; 4]));
        if w + cw > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out
}

/// Words as rich's `words()` yields them: `\s*\S+\s*` (leading space only at the start).
fn words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < bytes.len() {
        let start = bytes[i].0;
        while i < bytes.len() && bytes[i].1.is_whitespace() {
            i += 1;
        }
        while i < bytes.len() && !bytes[i].1.is_whitespace() {
            i += 1;
        }
        while i < bytes.len() && bytes[i].1.is_whitespace() {
            i += 1;
        }
        let end = bytes.get(i).map(|(b, _)| *b).unwrap_or(text.len());
        out.push((start, &text[start..end]));
    }
    out
}

/// Splits `word` into pieces of at most `width` cells.
fn chop_cells(word: &str, width: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut w = 0;
    for (i, c) in word.char_indices() {
        let cw = cell_len(c.encode_utf8(&mut [0; 4]));
        if w + cw > width && i > start {
            pieces.push(&word[start..i]);
            start = i;
            w = 0;
        }
        w += cw;
    }
    pieces.push(&word[start..]);
    pieces
}

/// rich's `divide_line(text, width, fold=True)`, returning the resulting pieces.
fn divide_line(text: &str, width: usize) -> Vec<String> {
    let mut breaks: Vec<usize> = Vec::new();
    let mut offset = 0usize;
    for (start, word) in words(text) {
        let word_len = cell_len(word.trim_end());
        let remaining = width.saturating_sub(offset);
        if remaining >= word_len && width >= offset {
            offset += cell_len(word);
        } else if word_len > width {
            let folded = chop_cells(word, width);
            let mut s = start;
            let n = folded.len();
            for (i, piece) in folded.into_iter().enumerate() {
                if s > 0 {
                    breaks.push(s);
                }
                if i + 1 == n {
                    offset = cell_len(piece);
                } else {
                    s += piece.len();
                }
            }
        } else if offset > 0 && start > 0 {
            breaks.push(start);
            offset = cell_len(word);
        }
    }
    let mut pieces = Vec::new();
    let mut prev = 0;
    for b in breaks {
        if b > prev {
            pieces.push(text[prev..b].to_owned());
            prev = b;
        }
    }
    pieces.push(text[prev..].to_owned());
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_words_like_rich() {
        let text = "['acc', 'best_epoch', 'best_loss', 'f1', 'loss', 'precision', 'recall']";
        let lines = wrap(text, 55, Justify::Left);
        assert_eq!(
            lines,
            vec![
                "['acc', 'best_epoch', 'best_loss', 'f1', 'loss',        ",
                "'precision', 'recall']                                 "
            ]
            .into_iter()
            .map(|s| s[..55].to_owned())
            .collect::<Vec<_>>()
        );
    }

    #[test]
    fn folds_words_longer_than_the_column() {
        assert_eq!(
            wrap("abcdefgh", 3, Justify::Left),
            vec!["abc", "def", "gh "]
        );
        assert_eq!(wrap("12", 4, Justify::Right), vec!["  12"]);
    }

    #[test]
    fn collapses_the_widest_column_first() {
        assert_eq!(collapse_widths(vec![27, 12, 400], 96), vec![27, 12, 57]);
    }
}
