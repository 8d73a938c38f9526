//! Seeded toy data sets in two dimensions, as in micrograd's demo and CS231n.
//!
//! Every generator is deterministic per seed (the same numbers on every machine; drawn from
//! ChaCha stream [`SeededRng::DATA_STREAM`] of the seed, so the same seed's weights, on
//! stream 0, are not the same numbers) and
//! spreads the samples evenly over the classes (the first classes get one more when the
//! count does not divide). Classes are named `"0"`, `"1"`, ...; rows come class by class.

use std::f64::consts::PI;

use super::{Dataset, SeededRng};

/// `m` evenly spaced numbers from `a` to `b` inclusive (`[a]` if `m == 1`).
fn linspace(a: f64, b: f64, m: usize) -> impl Iterator<Item = f64> {
    (0..m).map(move |i| {
        if m == 1 {
            a
        } else {
            a + (b - a) * i as f64 / (m - 1) as f64
        }
    })
}

/// How many of `samples` go to class `c` of `classes`.
fn share(samples: usize, classes: usize, c: usize) -> usize {
    samples / classes + usize::from(c < samples % classes)
}

fn named(features: Vec<Vec<f64>>, classes: Vec<usize>, k: usize) -> Dataset {
    Dataset::new(features, classes, (0..k).map(|c| c.to_string()).collect())
}

/// Two interleaving half circles (like scikit-learn's `make_moons`): class 0 is the upper
/// moon `(cos t, sin t)`, class 1 the lower `(1 - cos t, 0.5 - sin t)`, `t` in `[0, π]`,
/// plus Gaussian noise of deviation `noise` on each coordinate.
///
/// ```
/// let d = micrograd::data::moons(100, 0.1, 42);
/// assert_eq!(d.class_counts(), [50, 50]);
/// assert_eq!(d, micrograd::data::moons(100, 0.1, 42));
/// ```
pub fn moons(samples: usize, noise: f64, seed: u64) -> Dataset {
    let mut rng = SeededRng::with_stream(seed, SeededRng::DATA_STREAM);
    let (mut xs, mut ys) = (Vec::new(), Vec::new()); // grow: `samples` is unchecked input
    for c in 0..2 {
        for t in linspace(0.0, PI, share(samples, 2, c)) {
            let (x, y) = if c == 0 {
                (t.cos(), t.sin())
            } else {
                (1.0 - t.cos(), 0.5 - t.sin())
            };
            xs.push(vec![x + noise * rng.normal(), y + noise * rng.normal()]);
            ys.push(c);
        }
    }
    named(xs, ys, 2)
}

/// Two concentric circles (like scikit-learn's `make_circles` with `factor = 0.5`): class 0
/// on the circle of radius 1, class 1 on radius 0.5, plus Gaussian noise of deviation
/// `noise` on each coordinate.
///
/// ```
/// let d = micrograd::data::circles(101, 0.05, 1);
/// assert_eq!(d.class_counts(), [51, 50]);
/// ```
pub fn circles(samples: usize, noise: f64, seed: u64) -> Dataset {
    let mut rng = SeededRng::with_stream(seed, SeededRng::DATA_STREAM);
    let (mut xs, mut ys) = (Vec::new(), Vec::new()); // grow: `samples` is unchecked input
    for (c, radius) in [1.0, 0.5].into_iter().enumerate() {
        let m = share(samples, 2, c);
        for i in 0..m {
            let t = 2.0 * PI * i as f64 / m as f64;
            xs.push(vec![
                radius * t.cos() + noise * rng.normal(),
                radius * t.sin() + noise * rng.normal(),
            ]);
            ys.push(c);
        }
    }
    named(xs, ys, 2)
}

/// `classes` Gaussian blobs of deviation `spread`, centred on a circle of radius 4 (class
/// `c` at angle `2πc / classes`; one class sits at `(4, 0)`).
///
/// Panics if `classes == 0`.
///
/// ```
/// let d = micrograd::data::blobs(90, 3, 1.0, 7);
/// assert_eq!(d.class_counts(), [30, 30, 30]);
/// ```
pub fn blobs(samples: usize, classes: usize, spread: f64, seed: u64) -> Dataset {
    assert!(classes > 0, "data::blobs: classes must be at least 1");
    let mut rng = SeededRng::with_stream(seed, SeededRng::DATA_STREAM);
    let (mut xs, mut ys) = (Vec::new(), Vec::new()); // grow: `samples` is unchecked input
    for c in 0..classes {
        let angle = 2.0 * PI * c as f64 / classes as f64;
        let (cx, cy) = (4.0 * angle.cos(), 4.0 * angle.sin());
        for _ in 0..share(samples, classes, c) {
            xs.push(vec![cx + spread * rng.normal(), cy + spread * rng.normal()]);
            ys.push(c);
        }
    }
    named(xs, ys, classes)
}

/// The spiral of CS231n: `classes` arms (3 in the course), radius growing from 0 to 1 along
/// each arm while the angle sweeps 4 radians from `4c`, plus Gaussian noise of deviation
/// `noise` on the angle (0.2 in the course).
///
/// Panics if `classes == 0`.
///
/// ```
/// let d = micrograd::data::spiral(300, 3, 0.2, 0);
/// assert_eq!(d.class_counts(), [100, 100, 100]);
/// assert_eq!(d.features[0], [0.0, 0.0]); // each arm starts at the centre
/// ```
pub fn spiral(samples: usize, classes: usize, noise: f64, seed: u64) -> Dataset {
    assert!(classes > 0, "data::spiral: classes must be at least 1");
    let mut rng = SeededRng::with_stream(seed, SeededRng::DATA_STREAM);
    let (mut xs, mut ys) = (Vec::new(), Vec::new()); // grow: `samples` is unchecked input
    for c in 0..classes {
        let m = share(samples, classes, c);
        let start = 4.0 * c as f64;
        for (r, t) in linspace(0.0, 1.0, m).zip(linspace(start, start + 4.0, m)) {
            let t = t + noise * rng.normal();
            xs.push(vec![r * t.sin(), r * t.cos()]);
            ys.push(c);
        }
    }
    named(xs, ys, classes)
}
