//! `echidna`: `Reverse<f64>` on its thread-local Adept-style tape, through the crate's
//! closure API `echidna::grad(f, x)`, which takes a pooled tape (cleared, allocation kept),
//! makes the inputs, records `f`, runs the reverse sweep and returns the inputs' gradient.
//! The data points are `f64` constants; the loss value is read inside the closure
//! (`Scalar::value`). ReLU is `num_traits::Float::max(0, v)` (zero first: at `v == 0` it
//! takes the constant, so the slope there is 0, as in micrograd), tanh `num_traits::Float::tanh`.
//! W2's build time is taken inside the closure, backward is the rest of the `grad` call.

use std::time::Instant;

use echidna::{Reverse, Scalar};
use num_traits::Float;

use crate::work::{self, Engine, Moons, W2};

pub const NAME: &str = "echidna";
pub const VERSION: &str = env!("VERSION_ECHIDNA");

fn relu(v: Reverse<f64>) -> Reverse<f64> {
    Reverse::constant(0.0).max(v)
}

pub struct Echidna;

impl Engine for Echidna {
    fn loss_and_grad(&mut self, w: &[f64], data: &Moons, grad: &mut [f64]) -> f64 {
        let mut loss = f64::NAN;
        let g = echidna::grad(
            |p| {
                let l = work::moons_loss(p, data, relu);
                loss = l.value();
                l
            },
            w,
        );
        grad.copy_from_slice(&g);
        loss
    }
}

pub fn w2(n: usize) -> W2 {
    let t0 = Instant::now();
    let mut t1 = t0;
    let mut x = f64::NAN;
    let g = echidna::grad(
        |x0| {
            let y = work::chain(x0[0], n, |v| v.tanh());
            x = y.value();
            t1 = Instant::now();
            y
        },
        &[0.5],
    );
    let t2 = Instant::now();
    W2 {
        build_s: (t1 - t0).as_secs_f64(),
        backward_s: (t2 - t1).as_secs_f64(),
        x,
        dx_dx0: g[0],
    }
}
