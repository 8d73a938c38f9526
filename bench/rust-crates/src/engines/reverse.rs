//! `reverse`: `Var<'t>` borrowing a `Tape` (a `RefCell<Vec<Node>>`, two parents per node).
//! One tape is kept across steps and emptied with `Tape::clear` before each; parameters are
//! `Tape::add_vars`, the data points are `f64` constants; backward is `Var::grad` (a dense
//! vector over the whole tape), gradients are read with `Gradient::wrt`. The crate has no
//! `max`/`relu`: ReLU is a branch on the value (`v` if positive, else `v * 0.0`, a node with a
//! zero weight). tanh is `Var::tanh`.

use std::time::Instant;

use reverse::{Gradient, Tape, Var};

use crate::work::{self, Engine, Moons, W2};

pub const NAME: &str = "reverse";
pub const VERSION: &str = env!("VERSION_REVERSE");

fn relu(v: Var<'_>) -> Var<'_> {
    if v.val() > 0.0 { v } else { v * 0.0 }
}

pub struct Reverse {
    tape: Tape,
}

impl Reverse {
    pub fn new() -> Reverse {
        Reverse { tape: Tape::new() }
    }
}

impl Engine for Reverse {
    fn loss_and_grad(&mut self, w: &[f64], data: &Moons, grad: &mut [f64]) -> f64 {
        self.tape.clear();
        let params = self.tape.add_vars(w);
        let loss = work::moons_loss(&params, data, relu);
        let g = loss.grad().wrt(&params);
        grad.copy_from_slice(&g);
        loss.val()
    }
}

pub fn w2(n: usize) -> W2 {
    let tape = Tape::new();
    let t0 = Instant::now();
    let x0 = tape.add_var(0.5);
    let x = work::chain(x0, n, |v| v.tanh());
    let t1 = Instant::now();
    let dx_dx0 = x.grad().wrt(&x0);
    let t2 = Instant::now();
    W2 {
        build_s: (t1 - t0).as_secs_f64(),
        backward_s: (t2 - t1).as_secs_f64(),
        x: x.val(),
        dx_dx0,
    }
}
