//! The console table of `report`, laid out as the original's nested rich tables are: an
//! outer borderless table whose single row holds one `box.HORIZONTALS` table per block
//! (split, hyper-parameters, runs, then one per metric in name order), values right-aligned,
//! a value equal to the one above blanked, a rule between splits and between first-level
//! groups. Unlike rich, it never squeezes columns to the terminal width (that would cut
//! numbers): the table always has its natural width.

use super::richtable::cell_len;

/// One nested block: its outer title, its column headers and its cells (one line each, or
/// `None` where the block draws a rule).
struct Block {
    title: String,
    headers: Vec<String>,
    lines: Vec<Option<Vec<String>>>,
}

/// What the table shows for one group row (already formatted).
#[derive(Clone, Debug)]
pub struct Row {
    /// The split (context) name.
    pub split: String,
    /// The group-by values, as `str()` prints them.
    pub groups: Vec<String>,
    /// The runs count.
    pub runs: String,
    /// Per metric block, `mean`, `std`, `ci95`, already rounded.
    pub values: Vec<Vec<String>>,
}

/// Renders the table. `group_names` label the hyper-parameter columns; `metrics` name the
/// metric blocks in `rows[i].values` order, each with its column headers.
pub fn render(group_names: &[String], metrics: &[(String, Vec<String>)], rows: &[Row]) -> String {
    let mut split_lines: Vec<Option<Vec<String>>> = Vec::new();
    let mut group_lines: Vec<Option<Vec<String>>> = Vec::new();
    let mut sections = vec![false; rows.len()];
    let mut prev: Option<Vec<String>> = None;
    for (idx, row) in rows.iter().enumerate() {
        let items: Vec<String> = std::iter::once(row.split.clone())
            .chain(row.groups.iter().cloned())
            .collect();
        let curr: Vec<String> = match &prev {
            None => items.clone(),
            Some(p) => items
                .iter()
                .zip(p)
                .map(|(c, p)| if c == p { String::new() } else { c.clone() })
                .collect(),
        };
        if idx > 0 {
            if !curr[0].is_empty() {
                split_lines.push(None);
                group_lines.push(None);
                sections[idx] = true;
            } else if curr.len() > 2 && !curr[1].is_empty() {
                split_lines.push(Some(vec![String::new()]));
                group_lines.push(None);
                sections[idx] = true;
            }
        }
        split_lines.push(Some(vec![curr[0].clone()]));
        group_lines.push(Some(curr[1..].to_vec()));
        prev = Some(items);
    }
    let with_sections = |cells: &dyn Fn(&Row) -> Vec<String>| -> Vec<Option<Vec<String>>> {
        let mut out = Vec::new();
        for (idx, row) in rows.iter().enumerate() {
            if sections[idx] {
                out.push(None);
            }
            out.push(Some(cells(row)));
        }
        out
    };
    let mut blocks = vec![Block {
        title: String::new(),
        headers: vec!["split".into()],
        lines: split_lines,
    }];
    if !group_names.is_empty() {
        blocks.push(Block {
            title: "hparams".into(),
            headers: group_names.to_vec(),
            lines: group_lines,
        });
    }
    blocks.push(Block {
        title: String::new(),
        headers: vec!["runs".into()],
        lines: with_sections(&|r: &Row| vec![r.runs.clone()]),
    });
    for (i, (name, cols)) in metrics.iter().enumerate() {
        blocks.push(Block {
            title: name.clone(),
            headers: cols.clone(),
            lines: with_sections(&|r: &Row| r.values.get(i).cloned().unwrap_or_default()),
        });
    }
    render_blocks(&blocks)
}

/// rich's `ratio_distribute(total, ratios)`.
fn ratio_distribute(total: usize, ratios: &[usize]) -> Vec<usize> {
    let mut total_ratio: usize = ratios.iter().sum();
    let mut remaining = total;
    ratios
        .iter()
        .map(|r| {
            let d = if total_ratio > 0 {
                (r * remaining).div_ceil(total_ratio)
            } else {
                remaining
            };
            total_ratio = total_ratio.saturating_sub(*r);
            remaining = remaining.saturating_sub(d);
            d
        })
        .collect()
}

fn render_blocks(blocks: &[Block]) -> String {
    // natural column widths of each nested table (pad_edge=False: no outer padding)
    let mut layouts: Vec<(Vec<usize>, usize)> = Vec::new();
    let mut outer: Vec<usize> = Vec::new();
    for b in blocks {
        let n = b.headers.len();
        let widths: Vec<usize> = (0..n)
            .map(|c| {
                let content = std::iter::once(cell_len(&b.headers[c]))
                    .chain(
                        b.lines
                            .iter()
                            .flatten()
                            .map(|cells| cells.get(c).map(|s| cell_len(s)).unwrap_or(0)),
                    )
                    .max()
                    .unwrap_or(0);
                content + usize::from(c > 0) + usize::from(c + 1 < n)
            })
            .collect();
        let natural: usize = widths.iter().sum::<usize>() + n.saturating_sub(1);
        let inner = natural.max(cell_len(&b.title));
        outer.push(inner + 2);
        // expand=True: spread the extra width over the columns in proportion to their widths
        let extra = inner - natural;
        let widths = if extra > 0 {
            ratio_distribute(extra, &widths)
                .into_iter()
                .zip(&widths)
                .map(|(e, w)| w + e)
                .collect()
        } else {
            widths
        };
        layouts.push((widths, inner));
    }
    let mut out = String::new();
    // outer header: titles centred
    for (b, w) in blocks.iter().zip(&outer) {
        let inner = w - 2;
        let len = cell_len(&b.title);
        let left = (inner - len) / 2;
        out.push(' ');
        out.push_str(&" ".repeat(left));
        out.push_str(&b.title);
        out.push_str(&" ".repeat(inner - len - left));
        out.push(' ');
    }
    out.push('\n');
    let height = 2 + blocks.first().map(|b| b.lines.len()).unwrap_or(0);
    for line in 0..height {
        for (b, (widths, inner)) in blocks.iter().zip(&layouts) {
            out.push(' ');
            let cells: Option<&Vec<String>> = match line {
                0 => Some(&b.headers),
                1 => None,
                l => b.lines.get(l - 2).and_then(|x| x.as_ref()),
            };
            match cells {
                None => out.push_str(&"─".repeat(*inner)),
                Some(cells) => {
                    let n = widths.len();
                    for (c, w) in widths.iter().enumerate() {
                        if c > 0 {
                            out.push(' ');
                        }
                        let pad_l = usize::from(c > 0);
                        let pad_r = usize::from(c + 1 < n);
                        let text = cells.get(c).map(String::as_str).unwrap_or("");
                        let room = w - pad_l - pad_r;
                        out.push_str(&" ".repeat(pad_l + room.saturating_sub(cell_len(text))));
                        out.push_str(text);
                        out.push_str(&" ".repeat(pad_r));
                    }
                }
            }
            out.push(' ');
        }
        out.push('\n');
    }
    out
}
