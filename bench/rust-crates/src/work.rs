//! The workloads, written once over any scalar type with the arithmetic of a reverse-mode
//! variable: W1's model and loss (micrograd's moons demo) and W2's chain. Each crate's module
//! supplies the tape handling (leaves, clearing, backward) and its `relu`/`tanh`.

use std::ops::{Add, Mul};
use std::time::Instant;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// Layer sizes of the MLP: 2 inputs, 16, 16, 1 (ReLU on the hidden layers, linear output).
pub const SIZES: [usize; 4] = [2, 16, 16, 1];
/// Number of parameters of the MLP: (2+1)*16 + (16+1)*16 + (16+1)*1.
pub const N_PARAMS: usize = 337;
/// L2 regularization strength.
pub const ALPHA: f64 = 1e-4;
/// Seed of the initial weights (each repeat starts again from it).
pub const SEED: u64 = 1337;

/// The arithmetic the workloads need from a crate's reverse-mode scalar.
pub trait Scalar:
    Copy + Add<Output = Self> + Mul<Output = Self> + Mul<f64, Output = Self> + Add<f64, Output = Self>
{
}
impl<T> Scalar for T where
    T: Copy + Add<Output = T> + Mul<Output = T> + Mul<f64, Output = T> + Add<f64, Output = T>
{
}

/// The 100 points of micrograd's demo (`data/moons_100_seed1337.csv`: x0, x1, y in {-1, 1}).
pub struct Moons {
    pub x: Vec<[f64; 2]>,
    pub y: Vec<f64>,
}

const MOONS_CSV: &str = include_str!("../../../data/moons_100_seed1337.csv");

pub fn moons_100() -> Moons {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for line in MOONS_CSV.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<f64> = line
            .split(',')
            .map(|s| s.trim().parse().expect("valid moons CSV"))
            .collect();
        x.push([f[0], f[1]]);
        y.push(f[2]);
    }
    Moons { x, y }
}

/// The initial parameters, in micrograd's order (layer by layer, neuron by neuron: its
/// weights, then its bias): weights uniform in [-1, 1) from ChaCha8 with `SEED`, biases 0.
pub fn init_params() -> Vec<f64> {
    let mut r = ChaCha8Rng::seed_from_u64(SEED);
    let mut p = Vec::with_capacity(N_PARAMS);
    for l in 0..SIZES.len() - 1 {
        for _ in 0..SIZES[l + 1] {
            for _ in 0..SIZES[l] {
                let u = (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                p.push(2.0 * u - 1.0);
            }
            p.push(0.0);
        }
    }
    assert_eq!(p.len(), N_PARAMS);
    p
}

/// micrograd demo's learning rate at step `k`.
pub fn learning_rate(k: usize) -> f64 {
    1.0 - 0.9 * k as f64 / 100.0
}

/// One neuron on constant inputs (the data point): `b + w0*x0 + w1*x1 + ...`.
fn neuron_on_data<T: Scalar>(w: &[T], b: T, x: &[f64]) -> T {
    w.iter().zip(x).fold(b, |act, (&wi, &xi)| act + wi * xi)
}

/// One neuron on variables (the previous layer's outputs).
fn neuron<T: Scalar>(w: &[T], b: T, x: &[T]) -> T {
    w.iter().zip(x).fold(b, |act, (&wi, &xi)| act + wi * xi)
}

/// The MLP's score for the point `x`: parameters `p` in `init_params`' order.
fn score<T: Scalar>(p: &[T], x: [f64; 2], relu: &impl Fn(T) -> T) -> T {
    let mut off = 0;
    let mut h: Vec<T> = Vec::with_capacity(16);
    for l in 0..SIZES.len() - 1 {
        let (nin, nout) = (SIZES[l], SIZES[l + 1]);
        let last = l + 2 == SIZES.len();
        let mut out = Vec::with_capacity(nout);
        for _ in 0..nout {
            let (w, b) = (&p[off..off + nin], p[off + nin]);
            off += nin + 1;
            let act = if l == 0 {
                neuron_on_data(w, b, &x)
            } else {
                neuron(w, b, &h)
            };
            out.push(if last { act } else { relu(act) });
        }
        h = out;
    }
    h[0]
}

/// micrograd demo's loss: the mean over the points of `relu(1 - y*score)` plus
/// `ALPHA * sum(p*p)` over the parameters.
pub fn moons_loss<T: Scalar>(p: &[T], data: &Moons, relu: impl Fn(T) -> T) -> T {
    let losses = data
        .x
        .iter()
        .zip(&data.y)
        .map(|(&x, &y)| relu(score(p, x, &relu) * -y + 1.0));
    let data_loss = sum(losses) * (1.0 / data.x.len() as f64);
    let reg_loss = sum(p.iter().map(|&q| q * q)) * ALPHA;
    data_loss + reg_loss
}

fn sum<T: Scalar>(mut xs: impl Iterator<Item = T>) -> T {
    let first = xs.next().expect("a sum of at least one term");
    xs.fold(first, |s, x| s + x)
}

/// W2's chain: `x = x + 1e-6 * tanh(x)`, `n` times.
pub fn chain<T: Scalar>(x0: T, n: usize, tanh: impl Fn(T) -> T) -> T {
    let mut x = x0;
    for _ in 0..n {
        x = x + tanh(x) * 1e-6;
    }
    x
}

/// A crate's W1 step: the loss at `w` and its gradient (written into `grad`), computed by
/// building the graph on the crate's tape and running its backward.
pub trait Engine {
    fn loss_and_grad(&mut self, w: &[f64], data: &Moons, grad: &mut [f64]) -> f64;
}

/// W1's result.
pub struct W1 {
    pub times_s: Vec<f64>,
    pub first_loss: f64,
    pub last_loss: f64,
}

/// W1: `repeat` runs of `steps` full-batch SGD steps from the same initial weights, each step
/// timed (build, backward, reading the gradient, update).
pub fn run_w1<E: Engine>(engine: &mut E, steps: usize, repeat: usize) -> W1 {
    let data = moons_100();
    let mut grad = vec![0.0; N_PARAMS];
    let mut times_s = Vec::with_capacity(steps * repeat);
    let (mut first_loss, mut last_loss) = (f64::NAN, f64::NAN);
    for _ in 0..repeat {
        let mut w = init_params();
        for k in 0..steps {
            let t = Instant::now();
            let loss = engine.loss_and_grad(&w, &data, &mut grad);
            let lr = learning_rate(k % 100);
            for (wi, gi) in w.iter_mut().zip(&grad) {
                *wi -= lr * gi;
            }
            times_s.push(t.elapsed().as_secs_f64());
            if k == 0 {
                first_loss = loss;
            }
            last_loss = loss;
        }
    }
    W1 {
        times_s,
        first_loss,
        last_loss,
    }
}

/// W2's result.
pub struct W2 {
    pub build_s: f64,
    pub backward_s: f64,
    pub x: f64,
    pub dx_dx0: f64,
}

/// `(median, min, max)` of `xs` (sorted in place). Pre: `xs` is not empty.
pub fn median_min_max(xs: &mut [f64]) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    let median = if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    };
    (median, xs[0], xs[n - 1])
}

/// Peak resident set size of this process in KiB (`VmHWM` of `/proc/self/status`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix("VmHWM:")?;
        rest.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}
