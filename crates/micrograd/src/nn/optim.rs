//! Optimizers and learning-rate schedules. Each optimizer's `step` is the formula in its
//! doc comment, written out over the parameters.

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

use super::name::{NameKind, UnknownName, parse_name};
use crate::engine::Value;

/// Updates parameters from their gradients.
pub trait Optimizer {
    /// One update of every parameter from its current gradient, with learning rate `lr`.
    ///
    /// Pre: `params` is the same list, in the same order, at every call (the optimizer's
    /// state is per position); panics otherwise if its length changed.
    fn step(&mut self, params: &[Value], lr: f64);
}

/// Plain gradient descent, as the lecture: `p -= lr * grad`.
///
/// ```
/// use micrograd::nn::optim::{Optimizer, Sgd};
/// use micrograd::Value;
/// let p = Value::new(1.0);
/// p.set_grad(2.0);
/// Sgd.step(&[p], 0.1);
/// assert_eq!(p.data(), 0.8);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Sgd;

impl Optimizer for Sgd {
    fn step(&mut self, params: &[Value], lr: f64) {
        for p in params {
            p.set_data(p.data() - lr * p.grad());
        }
    }
}

fn state_for(state: &mut Vec<f64>, n: usize, who: &str) {
    if state.is_empty() {
        state.resize(n, 0.0);
    }
    assert_eq!(
        state.len(),
        n,
        "micrograd: {who}::step was given {n} parameters after {} (pass the same list every step)",
        state.len()
    );
}

/// Gradient descent with momentum (PyTorch's form):
/// `v = beta * v + grad; p -= lr * v`, with `v` starting at 0.
#[derive(Clone, Debug)]
pub struct Momentum {
    /// How much of the previous velocity is kept (typically 0.9).
    pub beta: f64,
    /// One velocity per parameter (empty until the first step).
    pub velocity: Vec<f64>,
}

impl Momentum {
    /// Momentum `beta` (0.9 is usual).
    pub fn new(beta: f64) -> Momentum {
        Momentum {
            beta,
            velocity: Vec::new(),
        }
    }
}

impl Default for Momentum {
    /// `beta = 0.9`.
    fn default() -> Self {
        Momentum::new(0.9)
    }
}

impl Optimizer for Momentum {
    fn step(&mut self, params: &[Value], lr: f64) {
        state_for(&mut self.velocity, params.len(), "Momentum");
        for (p, v) in params.iter().zip(&mut self.velocity) {
            *v = self.beta * *v + p.grad();
            p.set_data(p.data() - lr * *v);
        }
    }
}

/// Adam (Kingma & Ba, 2015), with bias correction:
///
/// ```text
/// t += 1
/// m = beta1 * m + (1 - beta1) * grad
/// v = beta2 * v + (1 - beta2) * grad^2
/// m_hat = m / (1 - beta1^t);  v_hat = v / (1 - beta2^t)
/// p -= lr * m_hat / (sqrt(v_hat) + eps)
/// ```
#[derive(Clone, Debug)]
pub struct Adam {
    /// Decay of the mean of gradients (0.9).
    pub beta1: f64,
    /// Decay of the mean of squared gradients (0.999).
    pub beta2: f64,
    /// Added to the denominator (1e-8).
    pub eps: f64,
    /// Running mean of gradients, one per parameter.
    pub m: Vec<f64>,
    /// Running mean of squared gradients, one per parameter.
    pub v: Vec<f64>,
    /// Steps taken.
    pub t: u32,
}

impl Adam {
    /// Adam with the given constants.
    pub fn new(beta1: f64, beta2: f64, eps: f64) -> Adam {
        Adam {
            beta1,
            beta2,
            eps,
            m: Vec::new(),
            v: Vec::new(),
            t: 0,
        }
    }
}

impl Default for Adam {
    /// PyTorch's defaults: `beta1 = 0.9, beta2 = 0.999, eps = 1e-8`.
    fn default() -> Self {
        Adam::new(0.9, 0.999, 1e-8)
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &[Value], lr: f64) {
        state_for(&mut self.m, params.len(), "Adam");
        state_for(&mut self.v, params.len(), "Adam");
        self.t += 1;
        let c1 = 1.0 - self.beta1.powi(self.t as i32);
        let c2 = 1.0 - self.beta2.powi(self.t as i32);
        for ((p, m), v) in params.iter().zip(&mut self.m).zip(&mut self.v) {
            let g = p.grad();
            *m = self.beta1 * *m + (1.0 - self.beta1) * g;
            *v = self.beta2 * *v + (1.0 - self.beta2) * g * g;
            let (m_hat, v_hat) = (*m / c1, *v / c2);
            p.set_data(p.data() - lr * m_hat / (v_hat.sqrt() + self.eps));
        }
    }
}

/// The optimizers by name, for command lines: `sgd`, `momentum`, `adam`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerKind {
    /// [`Sgd`].
    Sgd,
    /// [`Momentum`] with `beta = 0.9`.
    Momentum,
    /// [`Adam`] with PyTorch's defaults.
    Adam,
}

impl OptimizerKind {
    /// Every optimizer, in declaration order.
    pub const ALL: [OptimizerKind; 3] = [
        OptimizerKind::Sgd,
        OptimizerKind::Momentum,
        OptimizerKind::Adam,
    ];

    /// A fresh optimizer of this kind, with default constants.
    pub fn build(self) -> Box<dyn Optimizer> {
        match self {
            OptimizerKind::Sgd => Box::new(Sgd),
            OptimizerKind::Momentum => Box::new(Momentum::default()),
            OptimizerKind::Adam => Box::new(Adam::default()),
        }
    }

    /// The lowercase name (`"adam"`).
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Momentum => "momentum",
            OptimizerKind::Adam => "adam",
        }
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OptimizerKind {
    type Err = UnknownName;

    /// Parses `sgd`, `momentum` or `adam` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name(
            s,
            NameKind::Optimizer,
            &OptimizerKind::ALL,
            OptimizerKind::name,
        )
    }
}

/// How the learning rate changes over `steps` steps (step `k` counts from 0).
///
/// ```
/// use micrograd::nn::optim::Schedule;
/// assert_eq!(Schedule::Constant.lr(0.5, 7, 100), 0.5);
/// assert_eq!(Schedule::Linear.lr(1.0, 50, 100), 1.0 - 0.9 * 50.0 / 100.0); // micrograd's demo
/// assert_eq!(Schedule::Cosine.lr(1.0, 0, 100), 1.0);
/// assert!((Schedule::Cosine.lr(1.0, 50, 100) - 0.5).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// `base`.
    Constant,
    /// micrograd's demo: `base * (1 - 0.9 * k / steps)`, from `base` down toward `base / 10`.
    Linear,
    /// Cosine annealing to 0: `base * (1 + cos(pi * k / steps)) / 2`.
    Cosine,
}

impl Schedule {
    /// Every schedule, in declaration order.
    pub const ALL: [Schedule; 3] = [Schedule::Constant, Schedule::Linear, Schedule::Cosine];

    /// The learning rate at step `k` of `steps` (`steps = 0` is treated as 1).
    ///
    /// Pre: `k < steps` for the documented ranges (`Linear` keeps falling past `steps` and
    /// turns negative after `steps / 0.9`; `Cosine` rises again).
    pub fn lr(&self, base: f64, k: usize, steps: usize) -> f64 {
        let steps = steps.max(1) as f64;
        let k = k as f64;
        match self {
            Schedule::Constant => base,
            Schedule::Linear => base * (1.0 - 0.9 * k / steps),
            Schedule::Cosine => base * (1.0 + (PI * k / steps).cos()) / 2.0,
        }
    }

    /// The lowercase name (`"cosine"`).
    pub fn name(self) -> &'static str {
        match self {
            Schedule::Constant => "constant",
            Schedule::Linear => "linear",
            Schedule::Cosine => "cosine",
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Schedule {
    type Err = UnknownName;

    /// Parses `constant`, `linear` or `cosine` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name(s, NameKind::Schedule, &Schedule::ALL, Schedule::name)
    }
}
