//! Training plots: a classifier's decision boundary and the loss/accuracy curves.
//!
//! Both are built as a [`Scene`] and written as SVG (hand-written, no dependency) or, for a
//! path ending in `.png`, rasterized and encoded as PNG in pure Rust.

use std::path::Path;

use super::raster::{encode_png, rasterize};
use super::scene::{Anchor, Rgb, Scene, Shape};
use super::svg::fixed;
use super::{VizError, write_text};

/// Colours of classes 0, 1, 2, ... (red and blue first, like micrograd's moons in the
/// Spectral colour map); later classes cycle.
const PALETTE: [Rgb; 8] = [
    Rgb(0xd7, 0x30, 0x27),
    Rgb(0x45, 0x75, 0xb4),
    Rgb(0x1a, 0x98, 0x50),
    Rgb(0xf4, 0x6d, 0x43),
    Rgb(0x76, 0x2a, 0x83),
    Rgb(0xb8, 0x86, 0x0b),
    Rgb(0x4d, 0xac, 0x9e),
    Rgb(0x80, 0x80, 0x80),
];

fn class_color(c: usize) -> Rgb {
    PALETTE[c % PALETTE.len()]
}

const INK: Rgb = Rgb(0x22, 0x22, 0x22);
const GRID: Rgb = Rgb(0xe3, 0xe3, 0xe3);
const LOSS_COLOR: Rgb = Rgb(0x1f, 0x5f, 0xa8);
const ACC_COLOR: Rgb = Rgb(0xe0, 0x6c, 0x00);

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
                bold: false,
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
fn boundary_scene(b: &Boundary, points: &[[f64; 2]], labels: &[usize], title: &str) -> Scene {
    let (w, h) = (600.0, 560.0);
    let mut s = Scene::new(w, h);
    let f = Frame {
        left: 70.0,
        top: 48.0,
        w: w - 70.0 - 24.0,
        h: h - 48.0 - 62.0,
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
    s.text(w / 2.0, 30.0, 16.0, Anchor::Middle, title, true, false);
    s.text(
        f.left + f.w / 2.0,
        h - 18.0,
        12.0,
        Anchor::Middle,
        "x0",
        false,
        false,
    );
    s.text(
        20.0,
        f.top + f.h / 2.0,
        12.0,
        Anchor::Middle,
        "x1",
        false,
        true,
    );
    s
}

/// The decision boundary as SVG: the grid's cells filled in soft class colours (one
/// `<rect class="cell">` per cell), the `points` on top as discs in their class colour with
/// a dark outline (`labels[i]` is the class id 0, 1, ... of `points[i]`, so map micrograd's
/// −1/+1 labels to 0/1; points without a label are grey),
/// axes with ticks, and `title` on top, as micrograd's `moon_mlp.png`. 600 × 560 units.
pub fn boundary_svg(b: &Boundary, points: &[[f64; 2]], labels: &[usize], title: &str) -> String {
    boundary_scene(b, points, labels, title).to_svg()
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
fn curves_scene(loss: &[f64], accuracy: &[f64], title: &str) -> Scene {
    let (w, h) = (720.0, 420.0);
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
    let last = (n.max(2) - 1) as f64;
    let f = Frame {
        left: 78.0,
        top: 48.0,
        w: w - 78.0 - 78.0,
        h: h - 48.0 - 62.0,
        x: (0.0, last),
        y: (lo, hi),
    };
    // Steps: integers only.
    let (xt, _) = nice_ticks(0.0, last, 8);
    let xt: Vec<f64> = xt.into_iter().filter(|t| t.fract() == 0.0).collect();
    f.x_ticks(&mut s, &xt, |t| format!("{}", t as i64), true);
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
        let pts = series(accuracy, |i| f.px(i as f64), |a| acc_y(a.clamp(0.0, 1.0)));
        for run in pts {
            s.push(Shape::Line {
                pts: run,
                color: ACC_COLOR,
                width: 2.0,
                dashed: false,
            });
        }
    }
    let pts = series(loss, |i| f.px(i as f64), |v| f.py(tf(v)));
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
    s.text(w / 2.0, 30.0, 16.0, Anchor::Middle, title, true, false);
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
        bold: false,
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
            bold: false,
            vertical: true,
        });
    }
    // Legend, inside the frame at the right, half way up: in a typical run the accuracy
    // ends near the top and the loss near the bottom, so this spot stays clear.
    let mut entries = vec![("loss", LOSS_COLOR)];
    if !accuracy.is_empty() {
        entries.push(("accuracy", ACC_COLOR));
    }
    let box_h = 20.0 * entries.len() as f64 + 4.0;
    let box_top = f.top + (f.h - box_h) / 2.0;
    let mut ly = box_top + 12.0;
    let lx = f.right() - 122.0;
    s.push(Shape::Rect {
        x: lx - 8.0,
        y: box_top,
        w: 122.0,
        h: box_h,
        fill: Some(Rgb::WHITE),
        stroke: Some(GRID),
        class: Some("legend"),
    });
    for (name, color) in entries {
        s.line((lx, ly), (lx + 24.0, ly), color, 2.0);
        s.push(Shape::Text {
            x: lx + 30.0,
            y: ly + 4.0,
            size: 11.0,
            anchor: Anchor::Start,
            color: INK,
            text: name.to_string(),
            bold: false,
            vertical: false,
        });
        ly += 20.0;
    }
    s
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
/// accuracy line (orange, right axis 0–100%), step numbers along the bottom, a legend and
/// `title`. Non-finite values leave a gap. 720 × 420 units.
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
            let bytes = encode_png(&rasterize(scene))
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

/// Writes the decision boundary ([`boundary_svg`]) to `path`: a PNG (1200 × 1120 pixels)
/// if the name ends in `.png`, else SVG (`.svg` or no extension; other extensions are an
/// error).
pub fn save_boundary(
    path: &Path,
    b: &Boundary,
    points: &[[f64; 2]],
    labels: &[usize],
    title: &str,
) -> Result<(), VizError> {
    save_scene(
        path,
        &boundary_scene(b, points, labels, title),
        "the decision boundary",
    )
}

/// The decision boundary ([`boundary_svg`]) as PNG bytes (1200 × 1120 pixels), for a caller
/// that sends the picture rather than writing a file (`micrograd serve`'s export).
pub fn boundary_png(
    b: &Boundary,
    points: &[[f64; 2]],
    labels: &[usize],
    title: &str,
) -> Result<Vec<u8>, VizError> {
    encode_png(&rasterize(&boundary_scene(b, points, labels, title)))
}

/// Writes the loss/accuracy curves ([`curves_svg`]) to `path`: a PNG (1440 × 840 pixels)
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
    fn series_breaks_at_nan() {
        let runs = series(&[1.0, 2.0, f64::NAN, 3.0, 4.0], |i| i as f64, |v| v);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[1], vec![(3.0, 3.0), (4.0, 4.0)]);
    }
}
