//! Training plots: a classifier's decision boundary and the loss/accuracy curves.
//!
//! Both are built as a [`Scene`] and written as SVG (hand-written, no dependency) or, for a
//! path ending in `.png`, the same scene drawn by `tiny-skia` with the embedded fonts (see
//! `raster.rs`): the two files are one picture.

use std::path::Path;

use super::raster::{scene_to_png, text_width};
use super::scene::{Anchor, Font, Rgb, Scene, Shape};
use super::svg::fixed;
use super::{VizError, write_text};

/// Colours of classes 0, 1, 2, ...: the Okabe–Ito palette, chosen to stay distinct for
/// colour-blind readers (vermillion and blue first, as micrograd's red and blue moons; the
/// test `palette_is_colour_blind_safe` checks it under simulated protanopia, deuteranopia and
/// tritanopia). Later classes cycle.
pub(crate) const PALETTE: [Rgb; 8] = [
    Rgb(0xd5, 0x5e, 0x00),
    Rgb(0x00, 0x72, 0xb2),
    Rgb(0x00, 0x9e, 0x73),
    Rgb(0xe6, 0x9f, 0x00),
    Rgb(0xcc, 0x79, 0xa7),
    Rgb(0x56, 0xb4, 0xe9),
    Rgb(0xf0, 0xe4, 0x42),
    Rgb(0x55, 0x55, 0x55),
];

fn class_color(c: usize) -> Rgb {
    PALETTE[c % PALETTE.len()]
}

const INK: Rgb = Rgb(0x22, 0x22, 0x22);
const GRID: Rgb = Rgb(0xe3, 0xe3, 0xe3);
const LOSS_COLOR: Rgb = Rgb(0x00, 0x72, 0xb2);
const ACC_COLOR: Rgb = Rgb(0xd5, 0x5e, 0x00);
/// The most legend entries drawn (more classes: "+N more").
const LEGEND_MAX: usize = 8;
/// Margin kept free of text at the picture's sides.
const SIDE: f64 = 12.0;

/// The names written on a decision-boundary plot: its classes (for the legend) and its axes.
///
/// ```
/// use micrograd::viz::BoundaryNames;
/// let n = BoundaryNames::default();
/// assert_eq!(n.class_name(1), "class 1");
/// let n = BoundaryNames::new(&["-1", "1"], "x0", "x1");
/// assert_eq!(n.class_name(0), "class -1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundaryNames {
    /// The label text of each class, by class id (`"-1"`, `"1"`); a class without a name is
    /// shown by its id.
    pub classes: Vec<String>,
    /// The horizontal axis (the first feature).
    pub x: String,
    /// The vertical axis (the second feature).
    pub y: String,
}

impl Default for BoundaryNames {
    /// No class names, axes `x0` and `x1`.
    fn default() -> Self {
        BoundaryNames {
            classes: Vec::new(),
            x: "x0".to_string(),
            y: "x1".to_string(),
        }
    }
}

impl BoundaryNames {
    /// Names from the classes' label texts and the two features' names.
    pub fn new(classes: &[impl AsRef<str>], x: &str, y: &str) -> BoundaryNames {
        BoundaryNames {
            classes: classes.iter().map(|c| c.as_ref().to_string()).collect(),
            x: x.to_string(),
            y: y.to_string(),
        }
    }

    /// The legend's text for class `c`: `class NAME` (`class 0` without a name).
    pub fn class_name(&self, c: usize) -> String {
        match self.classes.get(c) {
            Some(n) => format!("class {n}"),
            None => format!("class {c}"),
        }
    }
}

/// The title at the top of a `w` wide picture: bold 16 px, smaller (down to 9 px) if it would
/// not fit between the side margins, and cut with `…` if even that does not fit.
fn title(s: &mut Scene, w: f64, text: &str) {
    let room = w - 2.0 * SIDE;
    let mut size = 16.0;
    let width = text_width(text, size, Font::SansBold);
    if width > room {
        size = (size * room / width).max(9.0);
    }
    let mut t = text.to_string();
    while !t.is_empty() && text_width(&t, size, Font::SansBold) > room {
        t.pop();
        while t.ends_with(' ') {
            t.pop();
        }
        if text_width(&format!("{t}…"), size, Font::SansBold) <= room {
            t.push('…');
            break;
        }
    }
    s.text(w / 2.0, 28.0, size, Anchor::Middle, t, true, false);
}

const LEGEND_SIZE: f64 = 12.0;
const LEGEND_SWATCH: f64 = 22.0;
const LEGEND_SPACE: f64 = 22.0;

/// The width of a legend row of `entries` (a swatch before each one that has a colour).
fn legend_width(entries: &[(String, Option<Rgb>)]) -> f64 {
    let items: f64 = entries
        .iter()
        .map(|(t, c)| {
            text_width(t, LEGEND_SIZE, Font::Sans) + if c.is_some() { LEGEND_SWATCH } else { 0.0 }
        })
        .sum();
    items + LEGEND_SPACE * entries.len().saturating_sub(1) as f64
}

/// A legend row centred at `y`: a swatch (a disc, or a line if `lines`) and a name per
/// entry; an entry without a colour is a note, without a swatch.
fn legend_row(s: &mut Scene, w: f64, y: f64, entries: &[(String, Option<Rgb>)], lines: bool) {
    let mut x = ((w - legend_width(entries)) / 2.0).max(SIDE);
    for (text, color) in entries {
        if let Some(color) = *color {
            if lines {
                s.line((x, y), (x + 16.0, y), color, 2.5);
            } else {
                s.push(Shape::Circle {
                    cx: x + 6.0,
                    cy: y,
                    r: 5.0,
                    fill: color,
                    stroke: Rgb(0x1a, 0x1a, 0x1a),
                });
            }
            x += LEGEND_SWATCH;
        }
        s.push(Shape::Text {
            x,
            y: y + 4.0,
            size: LEGEND_SIZE,
            anchor: Anchor::Start,
            color: INK,
            text: text.clone(),
            font: Font::Sans,
            vertical: false,
        });
        x += text_width(text, LEGEND_SIZE, Font::Sans) + LEGEND_SPACE;
    }
}

/// The classes' legend that fits in `room`: `class NAME` per class; if that is too wide,
/// `classes:` and the names alone; then as many as fit (at most one per colour) and a note
/// `+N more`.
fn class_legend(present: &[usize], names: &BoundaryNames, room: f64) -> Vec<(String, Option<Rgb>)> {
    let full: Vec<(String, Option<Rgb>)> = present
        .iter()
        .map(|&c| (names.class_name(c), Some(class_color(c))))
        .collect();
    if present.len() <= LEGEND_MAX && legend_width(&full) <= room {
        return full;
    }
    let short = |c: usize| match names.classes.get(c) {
        Some(n) => n.clone(),
        None => c.to_string(),
    };
    for shown in (0..=present.len().min(LEGEND_MAX)).rev() {
        let mut e: Vec<(String, Option<Rgb>)> = vec![("classes:".to_string(), None)];
        e.extend(
            present[..shown]
                .iter()
                .map(|&c| (short(c), Some(class_color(c)))),
        );
        if shown < present.len() {
            let more = present.len() - shown;
            let note = if present.len() > LEGEND_MAX {
                format!("+{more} more (colours repeat)")
            } else {
                format!("+{more} more")
            };
            e.push((note, None));
        }
        if legend_width(&e) <= room || shown == 0 {
            return e;
        }
    }
    Vec::new()
}

/// A classifier evaluated over a grid: the regions of a decision-boundary plot.
///
/// The grid has `nx` × `ny` cells covering `[x_min, x_max] × [y_min, y_max]`; cell `(i, j)`
/// (column `i` from the left, row `j` from the bottom) has centre
/// `(x_min + (i + 0.5) dx, y_min + (j + 0.5) dy)` and class `classes[j * nx + i]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Boundary {
    /// Left edge of the grid.
    pub x_min: f64,
    /// Right edge of the grid.
    pub x_max: f64,
    /// Bottom edge of the grid.
    pub y_min: f64,
    /// Top edge of the grid.
    pub y_max: f64,
    /// Cells across.
    pub nx: usize,
    /// Cells up.
    pub ny: usize,
    /// The class of each cell, row by row from the bottom.
    pub classes: Vec<usize>,
    /// Optionally, the classifier's confidence per cell (same order): cells with a larger
    /// `|score|` (capped at 1) are drawn in a stronger colour.
    pub scores: Option<Vec<f64>>,
}

impl Boundary {
    /// A `resolution` × `resolution` grid covering the finite `points` with a margin of 15%
    /// of the larger side on each side (`[-1, 1]²` when there are no finite points);
    /// `classify(x, y)` gives the class id (0, 1, ...) at each cell's centre.
    /// `resolution` is taken as at least 2.
    ///
    /// `classify` runs `resolution²` times; if it evaluates a model with [`Value`]s, create
    /// them inside a [`Tape::scope`] so that the grid does not grow the tape:
    /// `|x, y| { let _s = Tape::scope(); usize::from(model(x, y).data() > 0.0) }`.
    ///
    /// [`Value`]: crate::Value
    /// [`Tape::scope`]: crate::Tape::scope
    ///
    /// ```
    /// use micrograd::viz::Boundary;
    /// let pts = [[0.0, 0.0], [1.0, 1.0]];
    /// let b = Boundary::compute(&pts, 10, |x, _y| usize::from(x > 0.5));
    /// assert_eq!((b.nx, b.ny, b.classes.len()), (10, 10, 100));
    /// assert!(b.x_min < 0.0 && b.x_max > 1.0);
    /// assert_eq!(b.classes[0], 0);
    /// assert_eq!(b.classes[99], 1);
    /// ```
    pub fn compute(
        points: &[[f64; 2]],
        resolution: usize,
        mut classify: impl FnMut(f64, f64) -> usize,
    ) -> Boundary {
        let mut b = Boundary::grid(points, resolution);
        b.classes = b.centres().map(|(x, y)| classify(x, y)).collect();
        b
    }

    /// Like [`compute`](Boundary::compute) with a score: `score(x, y)` is the classifier's
    /// raw output for a two-class model; class 1 where it is positive, else 0, and the colour
    /// is stronger where `|score|` is larger.
    pub fn compute_scored(
        points: &[[f64; 2]],
        resolution: usize,
        mut score: impl FnMut(f64, f64) -> f64,
    ) -> Boundary {
        let mut b = Boundary::grid(points, resolution);
        let scores: Vec<f64> = b.centres().map(|(x, y)| score(x, y)).collect();
        b.classes = scores.iter().map(|&s| usize::from(s > 0.0)).collect();
        b.scores = Some(scores);
        b
    }

    fn grid(points: &[[f64; 2]], resolution: usize) -> Boundary {
        let n = resolution.max(2);
        let finite = points
            .iter()
            .filter(|p| p[0].is_finite() && p[1].is_finite());
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for p in finite {
            x0 = x0.min(p[0]);
            x1 = x1.max(p[0]);
            y0 = y0.min(p[1]);
            y1 = y1.max(p[1]);
        }
        if x0 > x1 {
            (x0, x1, y0, y1) = (-1.0, 1.0, -1.0, 1.0);
        }
        let span = (x1 - x0).max(y1 - y0);
        let margin = if span > 0.0 { 0.15 * span } else { 1.0 };
        Boundary {
            x_min: x0 - margin,
            x_max: x1 + margin,
            y_min: y0 - margin,
            y_max: y1 + margin,
            nx: n,
            ny: n,
            classes: Vec::new(),
            scores: None,
        }
    }

    /// Cell centres, row by row from the bottom.
    fn centres(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        let dx = (self.x_max - self.x_min) / self.nx as f64;
        let dy = (self.y_max - self.y_min) / self.ny as f64;
        (0..self.ny).flat_map(move |j| {
            (0..self.nx).map(move |i| {
                (
                    self.x_min + (i as f64 + 0.5) * dx,
                    self.y_min + (j as f64 + 0.5) * dy,
                )
            })
        })
    }
}

/// Ticks at 1, 2 or 5 times a power of ten covering `[lo, hi]`, about `target` of them.
fn nice_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, usize) {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return (vec![lo], 2);
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let p = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    // Integer multiples of the step, so that no rounding error accumulates.
    let (k0, k1) = (
        (lo / step - 1e-9).ceil() as i64,
        (hi / step + 1e-9).floor() as i64,
    );
    let ticks = (k0..=k1).map(|k| k as f64 * step).collect();
    (ticks, decimals)
}

/// The plot frame: a data rectangle mapped onto a pixel rectangle.
struct Frame {
    left: f64,
    top: f64,
    w: f64,
    h: f64,
    x: (f64, f64),
    y: (f64, f64),
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        self.left + (x - self.x.0) / (self.x.1 - self.x.0) * self.w
    }
    fn py(&self, y: f64) -> f64 {
        self.top + self.h - (y - self.y.0) / (self.y.1 - self.y.0) * self.h
    }
    fn bottom(&self) -> f64 {
        self.top + self.h
    }
    fn right(&self) -> f64 {
        self.left + self.w
    }

    /// Bottom axis ticks with labels `label(t)`, and light vertical grid lines if `grid`.
    fn x_ticks(&self, s: &mut Scene, ticks: &[f64], label: impl Fn(f64) -> String, grid: bool) {
        for &t in ticks {
            let x = self.px(t);
            if grid {
                s.line((x, self.top), (x, self.bottom()), GRID, 1.0);
            }
            s.line((x, self.bottom()), (x, self.bottom() + 5.0), INK, 1.0);
            s.text(
                x,
                self.bottom() + 19.0,
                11.0,
                Anchor::Middle,
                label(t),
                false,
                false,
            );
        }
    }

    /// Left (or right) axis ticks at data values `ticks`, placed by `py`.
    #[allow(clippy::too_many_arguments)]
    fn y_ticks(
        &self,
        s: &mut Scene,
        ticks: &[f64],
        py: impl Fn(f64) -> f64,
        label: impl Fn(f64) -> String,
        right: bool,
        grid: bool,
        color: Rgb,
    ) {
        for &t in ticks {
            let y = py(t);
            if grid {
                s.line((self.left, y), (self.right(), y), GRID, 1.0);
            }
            let (x0, x1, tx, anchor) = if right {
                (
                    self.right(),
                    self.right() + 5.0,
                    self.right() + 8.0,
                    Anchor::Start,
                )
            } else {
                (self.left - 5.0, self.left, self.left - 8.0, Anchor::End)
            };
            s.line((x0, y), (x1, y), color, 1.0);
            s.push(Shape::Text {
                x: tx,
                y: y + 4.0,
                size: 11.0,
                anchor,
                color,
                text: label(t),
                font: Font::Sans,
                vertical: false,
            });
        }
    }

    fn border(&self, s: &mut Scene) {
        s.push(Shape::Rect {
            x: self.left,
            y: self.top,
            w: self.w,
            h: self.h,
            fill: None,
            stroke: Some(INK),
            class: Some("frame"),
        });
    }
}

/// The decision-boundary picture as a scene.
fn boundary_scene(
    b: &Boundary,
    points: &[[f64; 2]],
    labels: &[usize],
    title_text: &str,
    names: &BoundaryNames,
) -> Scene {
    let (w, h) = (600.0, 580.0);
    let mut s = Scene::new(w, h);
    let f = Frame {
        left: 70.0,
        top: 68.0,
        w: w - 70.0 - 24.0,
        h: h - 68.0 - 62.0,
        x: (b.x_min, b.x_max),
        y: (b.y_min, b.y_max),
    };
    let (nx, ny) = (b.nx.max(1), b.ny.max(1));
    let cw = f.w / nx as f64;
    let ch = f.h / ny as f64;
    for j in 0..ny {
        for i in 0..nx {
            let k = j * nx + i;
            let class = b.classes.get(k).copied().unwrap_or(usize::MAX);
            let fill = if class == usize::MAX {
                Rgb(0xf4, 0xf4, 0xf4)
            } else {
                let strength = match &b.scores {
                    Some(sc) => {
                        let v = sc.get(k).copied().unwrap_or(0.0);
                        let v = if v.is_finite() { v.abs().min(1.0) } else { 1.0 };
                        0.18 + 0.27 * v
                    }
                    None => 0.38,
                };
                Rgb::WHITE.mix(class_color(class), strength)
            };
            s.push(Shape::Rect {
                x: f.left + i as f64 * cw,
                y: f.top + f.h - (j + 1) as f64 * ch,
                w: cw,
                h: ch,
                fill: Some(fill),
                stroke: None,
                class: Some("cell"),
            });
        }
    }
    let (xt, xd) = nice_ticks(b.x_min, b.x_max, 8);
    let (yt, yd) = nice_ticks(b.y_min, b.y_max, 8);
    f.x_ticks(&mut s, &xt, |t| fixed(t, xd), false);
    f.y_ticks(
        &mut s,
        &yt,
        |t| f.py(t),
        |t| fixed(t, yd),
        false,
        false,
        INK,
    );
    for (n, p) in points.iter().enumerate() {
        if !(p[0].is_finite() && p[1].is_finite()) {
            continue;
        }
        let fill = labels
            .get(n)
            .map_or(Rgb(0x99, 0x99, 0x99), |&c| class_color(c));
        s.push(Shape::Circle {
            cx: f.px(p[0]),
            cy: f.py(p[1]),
            r: 5.0,
            fill,
            stroke: Rgb(0x1a, 0x1a, 0x1a),
        });
    }
    f.border(&mut s);
    title(&mut s, w, title_text);
    // The legend: the classes present (in the labels or the regions), by id.
    let mut present: Vec<usize> = labels
        .iter()
        .chain(b.classes.iter())
        .copied()
        .filter(|&c| c != usize::MAX)
        .collect();
    present.sort_unstable();
    present.dedup();
    let entries = class_legend(&present, names, w - 2.0 * SIDE);
    legend_row(&mut s, w, 50.0, &entries, false);
    s.text(
        f.left + f.w / 2.0,
        h - 18.0,
        12.0,
        Anchor::Middle,
        names.x.clone(),
        false,
        false,
    );
    s.text(
        20.0,
        f.top + f.h / 2.0,
        12.0,
        Anchor::Middle,
        names.y.clone(),
        false,
        true,
    );
    s
}

/// The decision boundary as SVG: the grid's cells filled in soft class colours (one
/// `<rect class="cell">` per cell), the `points` on top as discs in their class colour with
/// a dark outline (`labels[i]` is the class id 0, 1, ... of `points[i]`, so map micrograd's
/// −1/+1 labels to 0/1; points without a label are grey),
/// axes with ticks, `title` on top (made smaller to fit if long) and a legend of the classes
/// under it, as micrograd's `moon_mlp.png`. 600 × 580 units.
pub fn boundary_svg(b: &Boundary, points: &[[f64; 2]], labels: &[usize], title: &str) -> String {
    boundary_svg_named(b, points, labels, title, &BoundaryNames::default())
}

/// [`boundary_svg`] with the classes and axes named (`class -1`, `class 1` in the legend).
pub fn boundary_svg_named(
    b: &Boundary,
    points: &[[f64; 2]],
    labels: &[usize],
    title: &str,
    names: &BoundaryNames,
) -> String {
    boundary_scene(b, points, labels, title, names).to_svg()
}

/// Whether the loss axis should be logarithmic: all losses finite and positive, spanning at
/// least a factor of 20.
fn use_log(loss: &[f64]) -> bool {
    let finite: Vec<f64> = loss.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() || finite.iter().any(|&v| v <= 0.0) {
        return false;
    }
    let (lo, hi) = finite
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    hi / lo >= 20.0
}

/// The loss/accuracy picture as a scene.
fn curves_scene(loss: &[f64], accuracy: &[f64], title_text: &str) -> Scene {
    let (w, h) = (720.0, 440.0);
    let mut s = Scene::new(w, h);
    let n = loss.len().max(accuracy.len());
    let log = use_log(loss);
    let tf = |v: f64| if log { v.log10() } else { v };
    let finite: Vec<f64> = loss
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .map(tf)
        .collect();
    let (mut lo, mut hi) = finite
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    if finite.is_empty() {
        (lo, hi) = (0.0, 1.0);
    } else if log {
        (lo, hi) = (lo.floor(), hi.ceil());
    } else {
        lo = lo.min(0.0);
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    // Steps are counted from 1, as the training log counts them: point `i` is step `i + 1`.
    let last = n.max(2) as f64;
    let f = Frame {
        left: 78.0,
        top: 68.0,
        w: w - 78.0 - 78.0,
        h: h - 68.0 - 62.0,
        x: (1.0, last),
        y: (lo, hi),
    };
    f.x_ticks(&mut s, &step_ticks(last), |t| format!("{}", t as i64), true);
    if log {
        let ticks: Vec<f64> = (lo as i64..=hi as i64).map(|e| e as f64).collect();
        f.y_ticks(
            &mut s,
            &ticks,
            |t| f.py(t),
            |t| crate::viz::svg::short(10f64.powf(t)),
            false,
            true,
            LOSS_COLOR,
        );
    } else {
        let (yt, yd) = nice_ticks(lo, hi, 6);
        f.y_ticks(
            &mut s,
            &yt,
            |t| f.py(t),
            |t| fixed(t, yd),
            false,
            true,
            LOSS_COLOR,
        );
    }
    if !accuracy.is_empty() {
        // 0% and 100% sit a little inside the frame, so a perfect run stays visible.
        let acc_y = |a: f64| f.top + f.h - (0.03 + 0.94 * a) * f.h;
        let ticks = [0.0, 0.25, 0.5, 0.75, 1.0];
        f.y_ticks(
            &mut s,
            &ticks,
            acc_y,
            |t| format!("{}%", (t * 100.0).round() as i64),
            true,
            false,
            ACC_COLOR,
        );
        let pts = series(
            accuracy,
            |i| f.px(i as f64 + 1.0),
            |a| acc_y(a.clamp(0.0, 1.0)),
        );
        for run in pts {
            s.push(Shape::Line {
                pts: run,
                color: ACC_COLOR,
                width: 2.0,
                dashed: false,
            });
        }
    }
    let pts = series(loss, |i| f.px(i as f64 + 1.0), |v| f.py(tf(v)));
    for run in pts {
        s.push(Shape::Line {
            pts: run,
            color: LOSS_COLOR,
            width: 2.0,
            dashed: false,
        });
    }
    f.border(&mut s);
    if n == 0 {
        s.text(
            f.left + f.w / 2.0,
            f.top + f.h / 2.0,
            13.0,
            Anchor::Middle,
            "no steps recorded",
            false,
            false,
        );
    }
    title(&mut s, w, title_text);
    s.text(
        f.left + f.w / 2.0,
        h - 18.0,
        12.0,
        Anchor::Middle,
        "step",
        false,
        false,
    );
    let loss_label = if log { "loss (log scale)" } else { "loss" };
    s.push(Shape::Text {
        x: 20.0,
        y: f.top + f.h / 2.0,
        size: 12.0,
        anchor: Anchor::Middle,
        color: LOSS_COLOR,
        text: loss_label.to_string(),
        font: Font::Sans,
        vertical: true,
    });
    if !accuracy.is_empty() {
        s.push(Shape::Text {
            x: w - 14.0,
            y: f.top + f.h / 2.0,
            size: 12.0,
            anchor: Anchor::Middle,
            color: ACC_COLOR,
            text: "accuracy".to_string(),
            font: Font::Sans,
            vertical: true,
        });
    }
    // The legend, under the title: the plot area stays clear for the lines.
    let mut entries = vec![("loss".to_string(), Some(LOSS_COLOR))];
    if !accuracy.is_empty() {
        entries.push(("accuracy".to_string(), Some(ACC_COLOR)));
    }
    legend_row(&mut s, w, 50.0, &entries, true);
    s
}

/// Ticks of a step axis from 1 to `last`: integers at 1, 2 or 5 times a power of ten, and 1
/// itself where it does not crowd the next tick.
fn step_ticks(last: f64) -> Vec<f64> {
    let (mut ticks, _) = nice_ticks(1.0, last, 8);
    ticks.retain(|t| t.fract() == 0.0 && *t >= 1.0);
    let step = match ticks.as_slice() {
        [a, b, ..] => b - a,
        _ => 1.0,
    };
    if ticks
        .first()
        .is_none_or(|&t| t > 1.0 && t - 1.0 >= step / 2.0)
    {
        ticks.insert(0, 1.0);
    }
    ticks
}

/// The finite values of `ys` as polylines (a non-finite value breaks the line).
fn series(ys: &[f64], px: impl Fn(usize) -> f64, py: impl Fn(f64) -> f64) -> Vec<Vec<(f64, f64)>> {
    let mut runs = vec![Vec::new()];
    for (i, &v) in ys.iter().enumerate() {
        if v.is_finite() {
            runs.last_mut()
                .expect("runs is never empty")
                .push((px(i), py(v)));
        } else if !runs.last().expect("runs is never empty").is_empty() {
            runs.push(Vec::new());
        }
    }
    // A single point still shows, as a tiny segment.
    runs.into_iter()
        .filter(|r| !r.is_empty())
        .map(|r| {
            if r.len() == 1 {
                vec![r[0], (r[0].0 + 1.0, r[0].1)]
            } else {
                r
            }
        })
        .collect()
}

/// Loss and accuracy per step as SVG: the loss line (blue, left axis, logarithmic when the
/// losses are positive and span a factor of 20 or more) and, if `accuracy` is not empty, the
/// accuracy line (orange, right axis 0–100%), step numbers along the bottom (from 1, as the
/// training log counts), a legend and `title`. Non-finite values leave a gap. 720 × 440
/// units.
pub fn curves_svg(loss: &[f64], accuracy: &[f64], title: &str) -> String {
    curves_scene(loss, accuracy, title).to_svg()
}

/// Writes `scene` to `path`: PNG if the extension is `png`, SVG if it is `svg` or missing.
fn save_scene(path: &Path, scene: &Scene, what: &str) -> Result<(), VizError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("png") => {
            let bytes = scene_to_png(scene)
                .map_err(|e| VizError::new(format!("{}: {e}", path.display())))?;
            std::fs::write(path, bytes).map_err(|e| VizError::io(path, what, e))
        }
        Some("svg") | None => write_text(path, what, &scene.to_svg()),
        Some(other) => Err(VizError::new(format!(
            "cannot write {what} to {}: unknown picture format `.{other}` (use .svg or .png)",
            path.display()
        ))),
    }
}

/// Writes the decision boundary ([`boundary_svg`]) to `path`: a PNG (1200 × 1160 pixels,
/// the SVG rasterized) if the name ends in `.png`, else SVG (`.svg` or no extension; other
/// extensions are an error).
pub fn save_boundary(
    path: &Path,
    b: &Boundary,
    points: &[[f64; 2]],
    labels: &[usize],
    title: &str,
) -> Result<(), VizError> {
    save_boundary_named(path, b, points, labels, title, &BoundaryNames::default())
}

/// [`save_boundary`] with the classes and axes named (see [`boundary_svg_named`]).
pub fn save_boundary_named(
    path: &Path,
    b: &Boundary,
    points: &[[f64; 2]],
    labels: &[usize],
    title: &str,
    names: &BoundaryNames,
) -> Result<(), VizError> {
    save_scene(
        path,
        &boundary_scene(b, points, labels, title, names),
        "the decision boundary",
    )
}

/// The decision boundary ([`boundary_svg_named`]) as PNG bytes (1200 × 1160 pixels), for a
/// caller that sends the picture rather than writing a file (`micrograd serve`'s export).
pub fn boundary_png(
    b: &Boundary,
    points: &[[f64; 2]],
    labels: &[usize],
    title: &str,
    names: &BoundaryNames,
) -> Result<Vec<u8>, VizError> {
    scene_to_png(&boundary_scene(b, points, labels, title, names))
}

/// Writes the loss/accuracy curves ([`curves_svg`]) to `path`: a PNG (1440 × 880 pixels)
/// if the name ends in `.png`, else SVG (as [`save_boundary`]).
pub fn save_curves(
    path: &Path,
    loss: &[f64],
    accuracy: &[f64],
    title: &str,
) -> Result<(), VizError> {
    save_scene(
        path,
        &curves_scene(loss, accuracy, title),
        "the loss curves",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice() {
        let (t, d) = nice_ticks(-1.3, 2.2, 6);
        assert_eq!(t, vec![-1.0, 0.0, 1.0, 2.0]);
        assert_eq!(d, 0);
        let (t, d) = nice_ticks(-1.3, 2.2, 8);
        assert_eq!(t, vec![-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]);
        assert_eq!(d, 1);
        let (t, _) = nice_ticks(0.0, 1.0, 5);
        assert_eq!(t, vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        let (t, d) = nice_ticks(0.0, 99.0, 8);
        assert_eq!(t.first(), Some(&0.0));
        assert_eq!(t.last(), Some(&80.0));
        assert_eq!(d, 0);
    }

    #[test]
    fn log_scale_only_for_wide_positive_ranges() {
        assert!(use_log(&[10.0, 1.0, 0.1]));
        assert!(!use_log(&[2.0, 1.0]));
        assert!(!use_log(&[1.0, 0.0]));
        assert!(!use_log(&[]));
    }

    #[test]
    fn class_legend_fits_and_says_what_it_leaves_out() {
        let names = BoundaryNames::new(&["-1", "1"], "x0", "x1");
        let two = class_legend(&[0, 1], &names, 576.0);
        assert_eq!(two[0], ("class -1".to_string(), Some(PALETTE[0])));
        assert_eq!(two[1], ("class 1".to_string(), Some(PALETTE[1])));
        let many: Vec<usize> = (0..12).collect();
        let e = class_legend(&many, &BoundaryNames::default(), 576.0);
        let texts: Vec<&str> = e.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts[0], "classes:");
        assert_eq!(&texts[1..4], ["0", "1", "2"]);
        let shown = e.iter().filter(|(_, c)| c.is_some()).count();
        assert!(shown <= LEGEND_MAX);
        assert_eq!(
            *texts.last().unwrap(),
            format!("+{} more (colours repeat)", 12 - shown)
        );
        assert!(legend_width(&e) <= 576.0);
    }

    #[test]
    fn steps_are_counted_from_one() {
        assert_eq!(step_ticks(100.0), vec![1.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(step_ticks(2.0).first(), Some(&1.0));
        assert_eq!(step_ticks(10.0), vec![1.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(step_ticks(5.0), vec![1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    /// Every text of the picture lies inside it (as the embedded fonts draw it) and no two
    /// texts overlap.
    fn assert_nothing_clipped(scene: &Scene, w: f64, h: f64) {
        assert_eq!((scene.w, scene.h), (w, h));
        let texts: Vec<_> = scene
            .shapes
            .iter()
            .filter_map(super::super::raster::text_box)
            .collect();
        assert!(!texts.is_empty());
        for (i, t) in texts.iter().enumerate() {
            assert!(
                t.0 >= 0.0 && t.1 >= 0.0 && t.2 <= w && t.3 <= h,
                "text {t:?} is outside the {w} x {h} picture"
            );
            for u in &texts[i + 1..] {
                let apart = t.2 <= u.0 || u.2 <= t.0 || t.3 <= u.1 || u.3 <= t.1;
                assert!(apart, "texts {t:?} and {u:?} overlap");
            }
        }
    }

    #[test]
    fn nothing_is_clipped_even_with_long_titles() {
        let pts = [[0.0, 0.0], [1.0, 1.0], [2.0, -1.0]];
        let b = Boundary::compute(&pts, 10, |x, _| usize::from(x > 0.5));
        for title in [
            "MLP 2-16-16-1, svm loss, 100 steps: accuracy 100.0%",
            "MLP 2-64-64-64-64-64-64-1, cross-entropy loss, 100000 steps: accuracy 99.9%, a very long title indeed",
        ] {
            let names = BoundaryNames::new(&["-1", "1"], "x0", "x1");
            let scene = boundary_scene(&b, &pts, &[0, 1, 0], title, &names);
            assert_nothing_clipped(&scene, 600.0, 580.0);
            // Many classes, long names: the legend still fits.
            let many: Vec<usize> = (0..12).collect();
            let long: Vec<String> = (0..12).map(|c| format!("a long class name {c}")).collect();
            for names in [
                BoundaryNames::default(),
                BoundaryNames::new(&long, "x0", "x1"),
            ] {
                let scene = boundary_scene(&b, &pts, &many, title, &names);
                assert_nothing_clipped(&scene, 600.0, 580.0);
            }
            let loss: Vec<f64> = (0..100).map(|i| 1.0 / (1.0 + i as f64)).collect();
            let acc: Vec<f64> = (0..100).map(|i| i as f64 / 99.0).collect();
            assert_nothing_clipped(&curves_scene(&loss, &acc, title), 720.0, 440.0);
        }
    }

    /// A colour as a colour-blind reader sees it (Machado, Oliveira and Fernandes 2009,
    /// severity 1), in CIELAB.
    fn seen_lab(c: Rgb, m: &[[f64; 3]; 3]) -> [f64; 3] {
        let lin = |v: u8| {
            let v = v as f64 / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        let rgb = [lin(c.0), lin(c.1), lin(c.2)];
        let sim: Vec<f64> = m
            .iter()
            .map(|row| (0..3).map(|k| row[k] * rgb[k]).sum::<f64>().clamp(0.0, 1.0))
            .collect();
        let xyz = [
            0.4124 * sim[0] + 0.3576 * sim[1] + 0.1805 * sim[2],
            0.2126 * sim[0] + 0.7152 * sim[1] + 0.0722 * sim[2],
            0.0193 * sim[0] + 0.1192 * sim[1] + 0.9505 * sim[2],
        ];
        let f = |t: f64| {
            if t > 0.008856 {
                t.cbrt()
            } else {
                7.787 * t + 16.0 / 116.0
            }
        };
        let (fx, fy, fz) = (f(xyz[0] / 0.9505), f(xyz[1]), f(xyz[2] / 1.089));
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }

    #[test]
    fn palette_is_colour_blind_safe() {
        const NORMAL: [[f64; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        const PROTAN: [[f64; 3]; 3] = [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ];
        const DEUTAN: [[f64; 3]; 3] = [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ];
        const TRITAN: [[f64; 3]; 3] = [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ];
        let de = |a: [f64; 3], b: [f64; 3]| {
            ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
        };
        for (name, m) in [
            ("normal", NORMAL),
            ("protanopia", PROTAN),
            ("deuteranopia", DEUTAN),
            ("tritanopia", TRITAN),
        ] {
            // The two classes of every binary plot, and loss against accuracy: far apart.
            let two = de(seen_lab(PALETTE[0], &m), seen_lab(PALETTE[1], &m));
            assert!(two > 40.0, "{name}: classes 0 and 1 are {two:.1} apart");
            let curves = de(seen_lab(LOSS_COLOR, &m), seen_lab(ACC_COLOR, &m));
            assert!(
                curves > 40.0,
                "{name}: loss and accuracy are {curves:.1} apart"
            );
            // Any two of the first six classes: still told apart.
            for (i, &a) in PALETTE[..6].iter().enumerate() {
                for (j, &b) in PALETTE[..6].iter().enumerate().skip(i + 1) {
                    let d = de(seen_lab(a, &m), seen_lab(b, &m));
                    assert!(d > 10.0, "{name}: classes {i} and {j} are {d:.1} apart");
                }
            }
        }
    }

    #[test]
    fn series_breaks_at_nan() {
        let runs = series(&[1.0, 2.0, f64::NAN, 3.0, 4.0], |i| i as f64, |v| v);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[1], vec![(3.0, 3.0), (4.0, 4.0)]);
    }
}
