//! `report --plot`: the figure of a campaign's summary — one row of panels per metric, one
//! panel per test context, each group's mean as a point with its 95% confidence interval as
//! whiskers, labelled with the group-by values — laid out once as a list of shapes
//! ([`Scene`]) and drawn by two backends: [`svg`] (text) and [`raster`] (PNG).
//!
//! Sized for paper: 1600 px wide, i.e. ~229 px per inch at a 7-inch column width, where the
//! smallest text (30 px) prints at 9.4 pt. Groups are placed along x by every group-by value
//! but the last; the last one picks the colour (with a legend), so the usual two-parameter
//! campaign (augmentation × resolution) reads as clusters of coloured points.

pub mod font;
pub mod raster;
pub mod request;
pub mod svg;

use font::Typeface;

/// Figure width in pixels.
pub const WIDTH: f32 = 1600.0;
/// Print width the sizes are chosen for, inches (the PNG records the matching resolution).
pub const PRINT_INCHES: f32 = 7.0;

const MARGIN: f32 = 30.0;
const TITLE: f32 = 38.0;
const SUBTITLE: f32 = 30.0;
const PANEL_TITLE: f32 = 34.0;
const AXIS: f32 = 32.0;
const TICK: f32 = 30.0;
const LEGEND: f32 = 30.0;
const PLOT_HEIGHT: f32 = 460.0;
const MAX_COLUMNS: usize = 3;

const INK: Color = Color(0x22, 0x22, 0x22);
const FRAME: Color = Color(0x44, 0x44, 0x44);
const GRID: Color = Color(0xdd, 0xdd, 0xdd);
const WHITE: Color = Color(0xff, 0xff, 0xff);

/// Okabe & Ito's colour-blind-safe palette (black last), cycled past eight values.
pub const PALETTE: [Color; 8] = [
    Color(0x00, 0x72, 0xb2),
    Color(0xe6, 0x9f, 0x00),
    Color(0x00, 0x9e, 0x73),
    Color(0xd5, 0x5e, 0x00),
    Color(0xcc, 0x79, 0xa7),
    Color(0x56, 0xb4, 0xe9),
    Color(0xf0, 0xe4, 0x42),
    Color(0x00, 0x00, 0x00),
];

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color(pub u8, pub u8, pub u8);

/// Horizontal anchoring of a text at its point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The text starts at the point.
    Start,
    /// The text is centred on the point.
    Middle,
    /// The text ends at the point.
    End,
}

/// What a text is (the SVG's `class`, for styling and for finding labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Figure title.
    Title,
    /// The line under it.
    Subtitle,
    /// A panel's title: the context.
    Context,
    /// An axis title: the metric (y) or the group-by names (x).
    Axis,
    /// A y tick value.
    Tick,
    /// A group label along x.
    Group,
    /// The legend's parameter name.
    LegendTitle,
    /// A legend entry: one value of the colour parameter.
    Legend,
    /// A note inside a panel.
    Note,
}

impl Role {
    /// The class name.
    pub fn class(self) -> &'static str {
        match self {
            Role::Title => "title",
            Role::Subtitle => "subtitle",
            Role::Context => "context",
            Role::Axis => "axis",
            Role::Tick => "tick",
            Role::Group => "group",
            Role::LegendTitle => "legend-title",
            Role::Legend => "legend",
            Role::Note => "note",
        }
    }
}

/// One thing to draw; coordinates in pixels, y down.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A filled rectangle.
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Color,
    },
    /// A straight line of some width (butt ends).
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Color,
    },
    /// A filled circle with a ring around it.
    Circle {
        cx: f32,
        cy: f32,
        r: f32,
        fill: Color,
        ring: Color,
        ring_width: f32,
    },
    /// A line of text; `(x, y)` is on the baseline; `angle` in degrees, clockwise (SVG's).
    Text {
        x: f32,
        y: f32,
        text: String,
        size: f32,
        anchor: Anchor,
        angle: f32,
        color: Color,
        role: Role,
    },
}

/// A laid-out figure.
#[derive(Debug, Clone)]
pub struct Scene {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// Title (the SVG's `<title>`).
    pub title: String,
    /// Shapes, painted in order on white.
    pub shapes: Vec<Shape>,
}

/// One group of one context, as the report computed it.
#[derive(Debug, Clone)]
pub struct GroupPoint {
    /// The context (split).
    pub context: String,
    /// Its group-by values, as printed.
    pub keys: Vec<String>,
    /// Number of runs.
    pub runs: usize,
    /// Per metric (in [`FigureData::metrics`] order): mean and ci95 half-width (NaN: none).
    pub values: Vec<(f64, f64)>,
}

/// What a figure shows.
#[derive(Debug, Clone)]
pub struct FigureData {
    /// Title line.
    pub title: String,
    /// What a run's value is ("final value", …), for the subtitle.
    pub value_note: String,
    /// Metric names: one row of panels each.
    pub metrics: Vec<String>,
    /// Contexts: one panel each.
    pub contexts: Vec<String>,
    /// Group-by names (without `hparams.`).
    pub groupby: Vec<String>,
    /// The groups.
    pub groups: Vec<GroupPoint>,
}

/// Distinct values in first-seen order.
fn distinct<T: PartialEq + Clone>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for it in items {
        if !out.contains(&it) {
            out.push(it);
        }
    }
    out
}

/// Where a group goes: its x category and its colour series.
fn split_keys(keys: &[String]) -> (String, Option<String>) {
    match keys {
        [] => ("all runs".to_owned(), None),
        [one] => (one.clone(), None),
        [rest @ .., last] => (rest.join(", "), Some(last.clone())),
    }
}

/// Round-number tick spacing for a range, and the decimals its labels need.
fn nice_step(span: f64, target: f64) -> (f64, usize) {
    let raw = span / target;
    let e = raw.log10().floor();
    let base = 10f64.powf(e);
    let (m, extra) = [(1.0, 0), (2.0, 0), (2.5, 1), (5.0, 0), (10.0, 0)]
        .into_iter()
        .find(|(m, _)| m * base >= raw)
        .unwrap_or((10.0, 0));
    let step = m * base;
    let decimals = if m >= 10.0 {
        (-(e + 1.0)).max(0.0) as usize
    } else {
        (-e).max(0.0) as usize + extra
    };
    (step, decimals)
}

/// A panel's y axis: limits and labelled ticks.
struct YAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<(f64, String)>,
}

fn y_axis(points: &[(f64, f64)]) -> Option<YAxis> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for &(m, ci) in points {
        if !m.is_finite() {
            continue;
        }
        let c = if ci.is_finite() { ci } else { 0.0 };
        lo = lo.min(m - c);
        hi = hi.max(m + c);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    let span = hi - lo;
    let pad = if span > 1e-12 * hi.abs().max(1.0) {
        span * 0.06
    } else {
        (hi.abs() * 0.05).max(1.0)
    };
    let (lo, hi) = (lo - pad, hi + pad);
    let (step, decimals) = nice_step(hi - lo, 5.0);
    let mut ticks = Vec::new();
    let mut k = (lo / step).ceil();
    while k * step <= hi + step * 1e-9 && ticks.len() < 50 {
        let v = k * step;
        let v = if v.abs() < step * 1e-9 { 0.0 } else { v };
        ticks.push((v, format!("{v:.decimals$}")));
        k += 1.0;
    }
    Some(YAxis { lo, hi, ticks })
}

/// Wraps `parts` (joined by `sep`) into lines no wider than `max` at `size` px.
fn wrap(tf: &Typeface, parts: &[String], sep: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for p in parts {
        let candidate = if cur.is_empty() {
            p.clone()
        } else {
            format!("{cur}{sep}{p}")
        };
        if !cur.is_empty() && tf.width(&candidate, size) > max {
            lines.push(std::mem::take(&mut cur));
            cur = p.clone();
        } else {
            cur = candidate;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

struct Painter {
    shapes: Vec<Shape>,
}

impl Painter {
    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        x: f32,
        y: f32,
        text: &str,
        size: f32,
        anchor: Anchor,
        angle: f32,
        role: Role,
    ) {
        self.shapes.push(Shape::Text {
            x,
            y,
            text: text.to_owned(),
            size,
            anchor,
            angle,
            color: INK,
            role,
        });
    }
    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32, color: Color) {
        self.shapes.push(Shape::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            color,
        });
    }
    fn dot(&mut self, cx: f32, cy: f32, r: f32, fill: Color) {
        self.shapes.push(Shape::Circle {
            cx,
            cy,
            r,
            fill,
            ring: WHITE,
            ring_width: 2.0,
        });
    }
}

/// Lays the figure out: the title and subtitle, the legend, then one row of panels per metric
/// (wrapped over several rows when the contexts do not fit side by side).
pub fn layout(data: &FigureData, tf: &Typeface) -> Scene {
    let mut p = Painter { shapes: Vec::new() };
    let inner = WIDTH - 2.0 * MARGIN;
    let mut top = 20.0;
    header(&mut p, data, tf, inner, &mut top);
    let place = Placement::new(data);
    legend(&mut p, data, tf, &place.series, &mut top);
    top += 16.0;
    let grid = Grid::new(data, tf, &place.categories, inner);
    let contexts = &data.contexts;
    for (mi, metric) in data.metrics.iter().enumerate() {
        for chunk in contexts.chunks(grid.cols) {
            let plot_top = top + PANEL_TITLE + 18.0;
            let plot_bottom = plot_top + PLOT_HEIGHT;
            for (ci, ctx) in chunk.iter().enumerate() {
                let ctx_index = contexts.iter().position(|c| c == ctx).unwrap_or(0);
                let cell_x = MARGIN + ci as f32 * grid.cell;
                let panel = Panel {
                    x0: cell_x + grid.ylabel_band + grid.tick_band + grid.left_extra,
                    x1: cell_x + grid.cell - 20.0,
                    top,
                    plot_top,
                    plot_bottom,
                    axis: grid.axes[mi][ctx_index].as_ref(),
                };
                panel_frame(&mut p, tf, &grid, &panel, &place.categories, metric, ctx);
                panel_points(&mut p, data, &place, &panel, mi, ctx);
            }
            top = plot_bottom + grid.label_band + grid.x_title_band + 36.0;
        }
    }
    let height = (top + 4.0).ceil();
    let mut shapes = vec![Shape::Rect {
        x: 0.0,
        y: 0.0,
        w: WIDTH,
        h: height,
        fill: WHITE,
    }];
    shapes.extend(p.shapes);
    Scene {
        width: WIDTH as u32,
        height: height as u32,
        title: data.title.clone(),
        shapes,
    }
}

/// The title and the subtitle (what the points and whiskers are, the runs per group).
fn header(p: &mut Painter, data: &FigureData, tf: &Typeface, inner: f32, top: &mut f32) {
    p.text(
        MARGIN,
        *top + TITLE,
        &data.title,
        TITLE,
        Anchor::Start,
        0.0,
        Role::Title,
    );
    *top += TITLE + 16.0;
    let runs: Vec<usize> = data.groups.iter().map(|g| g.runs).collect();
    let n_text = match (runs.iter().min(), runs.iter().max()) {
        (Some(a), Some(b)) if a == b => format!("n = {a} runs per group"),
        (Some(a), Some(b)) => format!("n = {a}–{b} runs per group"),
        _ => "no runs".to_owned(),
    };
    let sub_parts = [
        format!("points: mean over a group's runs ({})", data.value_note),
        if runs.iter().any(|&n| n < 2) {
            "whiskers: 95% confidence interval of the mean (Student t; none for one run)"
        } else {
            "whiskers: 95% confidence interval of the mean (Student t)"
        }
        .to_owned(),
        n_text,
    ];
    for line in wrap(tf, &sub_parts, "; ", SUBTITLE, inner) {
        p.text(
            MARGIN,
            *top + SUBTITLE,
            &line,
            SUBTITLE,
            Anchor::Start,
            0.0,
            Role::Subtitle,
        );
        *top += SUBTITLE + 12.0;
    }
}

/// Where each group goes: its x category and its colour series, the same in every panel.
struct Placement {
    /// Per group of `FigureData::groups`: (category, series).
    placed: Vec<(String, Option<String>)>,
    categories: Vec<String>,
    series: Vec<String>,
}

impl Placement {
    fn new(data: &FigureData) -> Self {
        let placed: Vec<(String, Option<String>)> =
            data.groups.iter().map(|g| split_keys(&g.keys)).collect();
        let categories = distinct(placed.iter().map(|(c, _)| c.clone()));
        let series = distinct(placed.iter().filter_map(|(_, s)| s.clone()));
        Placement {
            placed,
            categories,
            series,
        }
    }

    fn color_of(&self, s: &Option<String>) -> Color {
        match s {
            Some(s) => {
                let i = self.series.iter().position(|x| x == s).unwrap_or(0);
                PALETTE[i % PALETTE.len()]
            }
            None => PALETTE[0],
        }
    }
}

/// The legend: the colour parameter's values.
fn legend(p: &mut Painter, data: &FigureData, tf: &Typeface, series: &[String], top: &mut f32) {
    let (Some(name), false) = (data.groupby.last(), series.is_empty()) else {
        return;
    };
    *top += 8.0;
    let mut x = MARGIN;
    let label = format!("{name}:");
    p.text(
        x,
        *top + LEGEND,
        &label,
        LEGEND,
        Anchor::Start,
        0.0,
        Role::LegendTitle,
    );
    x += tf.width(&label, LEGEND) + 24.0;
    for (i, s) in series.iter().enumerate() {
        let w = 2.0 * 10.0 + 10.0 + tf.width(s, LEGEND);
        if x + w > WIDTH - MARGIN {
            x = MARGIN + 40.0;
            *top += LEGEND + 14.0;
        }
        p.dot(
            x + 10.0,
            *top + LEGEND * 0.65,
            10.0,
            PALETTE[i % PALETTE.len()],
        );
        p.text(
            x + 30.0,
            *top + LEGEND,
            s,
            LEGEND,
            Anchor::Start,
            0.0,
            Role::Legend,
        );
        x += w + 36.0;
    }
    *top += LEGEND + 14.0;
}

/// The geometry every panel shares: the y axes, the bands left of and under the plots, the
/// number of columns and the slant of the group labels.
struct Grid {
    /// `axes[metric][context]`.
    axes: Vec<Vec<Option<YAxis>>>,
    tick_band: f32,
    ylabel_band: f32,
    cols: usize,
    left_extra: f32,
    angle: f32,
    label_band: f32,
    x_title: String,
    x_title_band: f32,
    cell: f32,
}

impl Grid {
    fn new(data: &FigureData, tf: &Typeface, categories: &[String], inner: f32) -> Self {
        // every panel's y axis first: the tick band is as wide as the widest labels
        let contexts = &data.contexts;
        let axes: Vec<Vec<Option<YAxis>>> = (0..data.metrics.len())
            .map(|mi| {
                contexts
                    .iter()
                    .map(|ctx| {
                        let pts: Vec<(f64, f64)> = data
                            .groups
                            .iter()
                            .filter(|g| &g.context == ctx)
                            .filter_map(|g| g.values.get(mi).copied())
                            .collect();
                        y_axis(&pts)
                    })
                    .collect()
            })
            .collect();
        let tick_band = axes
            .iter()
            .flatten()
            .flatten()
            .flat_map(|a| a.ticks.iter().map(|(_, t)| tf.width(t, TICK)))
            .fold(0.0f32, f32::max)
            + 14.0;
        let ylabel_band = AXIS + 16.0;
        // columns: as many as fit with group slots wide enough for upright or slanted labels
        let label_w = categories
            .iter()
            .map(|c| tf.width(c, TICK))
            .fold(0.0f32, f32::max);
        let n_ctx = contexts.len().max(1);
        let mut cols = n_ctx.min(MAX_COLUMNS);
        let slot_for = |cols: usize, left_extra: f32| -> f32 {
            let cell = inner / cols as f32;
            (cell - ylabel_band - tick_band - left_extra - 20.0) / categories.len().max(1) as f32
        };
        while cols > 1 && slot_for(cols, 0.0) < TICK * 1.6 {
            cols -= 1;
        }
        // slanted labels hang down-left from their tick; room for the first one
        let mut left_extra = 0.0;
        let mut slot = slot_for(cols, 0.0);
        for _ in 0..2 {
            let hang =
                label_w * std::f32::consts::FRAC_1_SQRT_2 - (ylabel_band + tick_band + slot / 2.0);
            left_extra = if label_w > slot - 10.0 {
                hang.max(0.0)
            } else {
                0.0
            };
            slot = slot_for(cols, left_extra);
        }
        let angle = if label_w <= slot - 10.0 {
            0.0
        } else if slot * std::f32::consts::FRAC_1_SQRT_2 >= TICK * 1.15 {
            -45.0
        } else {
            -90.0
        };
        let label_band = if angle == 0.0 {
            TICK + 26.0
        } else if angle == -45.0 {
            label_w * std::f32::consts::FRAC_1_SQRT_2 + TICK * 0.8 + 16.0
        } else {
            label_w + 20.0
        };
        // x: every group-by name but the colour one (the only one when there is one)
        let n_keys = data.groupby.len();
        let x_title = data.groupby[..if n_keys <= 1 { n_keys } else { n_keys - 1 }].join(", ");
        let x_title_band = if x_title.is_empty() { 0.0 } else { AXIS + 12.0 };
        let cell = inner / cols as f32;
        Grid {
            axes,
            tick_band,
            ylabel_band,
            cols,
            left_extra,
            angle,
            label_band,
            x_title,
            x_title_band,
            cell,
        }
    }
}

/// One panel: its plot area in pixels and its y axis.
struct Panel<'a> {
    x0: f32,
    x1: f32,
    /// The top of its row (where the context title goes).
    top: f32,
    plot_top: f32,
    plot_bottom: f32,
    axis: Option<&'a YAxis>,
}

impl Panel<'_> {
    fn to_y(&self, v: f64) -> f32 {
        match self.axis {
            Some(a) => self.plot_bottom - ((v - a.lo) / (a.hi - a.lo)) as f32 * PLOT_HEIGHT,
            None => self.plot_bottom,
        }
    }

    /// The width of one category's slot.
    fn slot(&self, categories: &[String]) -> f32 {
        (self.x1 - self.x0) / categories.len().max(1) as f32
    }
}

/// A panel's titles, y ticks (or "no values"), frame, group labels and x title.
fn panel_frame(
    p: &mut Painter,
    tf: &Typeface,
    grid: &Grid,
    panel: &Panel,
    categories: &[String],
    metric: &str,
    ctx: &str,
) {
    let (x0, x1) = (panel.x0, panel.x1);
    let (plot_top, plot_bottom) = (panel.plot_top, panel.plot_bottom);
    let cell = grid.cell;
    // title, metric name, frame
    // a long context name shrinks to its panel's width, down to the tick size
    let w = tf.width(ctx, PANEL_TITLE);
    let title_size = if w > cell - 20.0 {
        (PANEL_TITLE * (cell - 20.0) / w).max(TICK)
    } else {
        PANEL_TITLE
    };
    p.text(
        (x0 + x1) / 2.0,
        panel.top + PANEL_TITLE,
        ctx,
        title_size,
        Anchor::Middle,
        0.0,
        Role::Context,
    );
    p.text(
        x0 - grid.tick_band - 14.0,
        (plot_top + plot_bottom) / 2.0,
        metric,
        AXIS,
        Anchor::Middle,
        -90.0,
        Role::Axis,
    );
    if let Some(a) = panel.axis {
        for (v, label) in &a.ticks {
            let y = panel.to_y(*v);
            p.line(x0, y, x1, y, 1.5, GRID);
            p.line(x0 - 8.0, y, x0, y, 2.0, FRAME);
            p.text(
                x0 - 12.0,
                y + TICK * 0.36,
                label,
                TICK,
                Anchor::End,
                0.0,
                Role::Tick,
            );
        }
    } else {
        p.text(
            (x0 + x1) / 2.0,
            (plot_top + plot_bottom) / 2.0,
            "no values",
            TICK,
            Anchor::Middle,
            0.0,
            Role::Note,
        );
    }
    // frame
    p.line(x0, plot_top, x1, plot_top, 2.0, FRAME);
    p.line(x0, plot_bottom, x1, plot_bottom, 2.0, FRAME);
    p.line(x0, plot_top - 1.0, x0, plot_bottom + 1.0, 2.0, FRAME);
    p.line(x1, plot_top - 1.0, x1, plot_bottom + 1.0, 2.0, FRAME);
    group_labels(p, grid, panel, categories);
    if !grid.x_title.is_empty() {
        p.text(
            (x0 + x1) / 2.0,
            plot_bottom + grid.label_band + AXIS,
            &grid.x_title,
            AXIS,
            Anchor::Middle,
            0.0,
            Role::Axis,
        );
    }
}

/// The group labels under a panel, upright or slanted as [`Grid`] decided.
fn group_labels(p: &mut Painter, grid: &Grid, panel: &Panel, categories: &[String]) {
    let plot_bottom = panel.plot_bottom;
    let angle = grid.angle;
    let slot = panel.slot(categories);
    for (k, cat) in categories.iter().enumerate() {
        let cx = panel.x0 + slot * (k as f32 + 0.5);
        p.line(cx, plot_bottom, cx, plot_bottom + 8.0, 2.0, FRAME);
        if angle == 0.0 {
            p.text(
                cx,
                plot_bottom + 12.0 + TICK,
                cat,
                TICK,
                Anchor::Middle,
                0.0,
                Role::Group,
            );
        } else if angle == -45.0 {
            p.text(
                cx + TICK * 0.3,
                plot_bottom + 12.0 + TICK * 0.5,
                cat,
                TICK,
                Anchor::End,
                angle,
                Role::Group,
            );
        } else {
            p.text(
                cx + TICK * 0.36,
                plot_bottom + 14.0,
                cat,
                TICK,
                Anchor::End,
                angle,
                Role::Group,
            );
        }
    }
}

/// A panel's points and whiskers: each group's mean of metric `mi` in context `ctx`, dodged
/// sideways by series.
fn panel_points(
    p: &mut Painter,
    data: &FigureData,
    place: &Placement,
    panel: &Panel,
    mi: usize,
    ctx: &str,
) {
    let slot = panel.slot(&place.categories);
    let n_series = place.series.len().max(1);
    let spread = (slot * 0.6).min(n_series as f32 * 34.0);
    for (g, (cat, ser)) in data.groups.iter().zip(&place.placed) {
        if g.context != ctx {
            continue;
        }
        let Some(&(mean, ci)) = g.values.get(mi) else {
            continue;
        };
        if !mean.is_finite() {
            continue;
        }
        let k = place.categories.iter().position(|c| c == cat).unwrap_or(0);
        let j = ser
            .as_ref()
            .and_then(|s| place.series.iter().position(|x| x == s))
            .unwrap_or(0);
        let dodge = if n_series > 1 {
            (j as f32 - (n_series as f32 - 1.0) / 2.0) * spread / n_series as f32
        } else {
            0.0
        };
        let cx = panel.x0 + slot * (k as f32 + 0.5) + dodge;
        let color = place.color_of(ser);
        if ci.is_finite() && ci > 0.0 {
            let (ya, yb) = (panel.to_y(mean - ci), panel.to_y(mean + ci));
            p.line(cx, ya, cx, yb, 3.0, color);
            p.line(cx - 9.0, ya, cx + 9.0, ya, 3.0, color);
            p.line(cx - 9.0, yb, cx + 9.0, yb, 3.0, color);
        }
        p.dot(cx, panel.to_y(mean), 9.0, color);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_and_decimals() {
        assert_eq!(nice_step(10.0, 5.0), (2.0, 0));
        assert_eq!(nice_step(1.0, 5.0), (0.2, 1));
        assert_eq!(nice_step(12.0, 5.0), (2.5, 1));
        assert_eq!(nice_step(40.0, 5.0), (10.0, 0));
        assert_eq!(nice_step(0.04, 5.0), (0.01, 2));
    }

    #[test]
    fn y_axis_covers_the_whiskers() {
        let a = y_axis(&[(70.0, 2.0), (66.0, f64::NAN), (f64::NAN, 1.0)]).unwrap();
        assert!(a.lo < 66.0 && a.hi > 72.0);
        assert!(a.ticks.len() >= 3);
        assert!(a.ticks.iter().all(|(v, _)| *v >= a.lo && *v <= a.hi));
        // one value, no interval: still a range around it
        let one = y_axis(&[(5.0, f64::NAN)]).unwrap();
        assert!(one.lo < 5.0 && one.hi > 5.0);
        assert!(y_axis(&[(f64::NAN, f64::NAN)]).is_none());
    }

    #[test]
    fn last_key_is_the_colour() {
        assert_eq!(split_keys(&[]), ("all runs".to_owned(), None));
        assert_eq!(split_keys(&["a".into()]), ("a".to_owned(), None));
        assert_eq!(
            split_keys(&["a".into(), "b".into(), "c".into()]),
            ("a, b".to_owned(), Some("c".to_owned()))
        );
    }
}
