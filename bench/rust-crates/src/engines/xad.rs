//! `xad-rs`: `AReal<f64>` on a thread-local `Tape<f64>`. One tape is kept across steps and
//! reused with `Tape::record` (clears the previous recording, keeps its allocation, activates
//! it); parameters are registered as inputs (`AReal::input`), the data points are passive
//! `f64` constants; backward is `set_adjoint(1)` + `compute_adjoints`, gradients are read
//! with `AReal::adjoint`. ReLU is `math::ad::max(0, v)` (zero first: at `v == 0` it takes the
//! constant, so the slope there is 0, as in micrograd), tanh is `math::ad::tanh`.

use std::time::Instant;

use xad_rs::{AReal, Tape, math};

use crate::work::{self, Engine, Moons, W2};

pub const NAME: &str = "xad-rs";
pub const VERSION: &str = env!("VERSION_XAD_RS");

fn relu(v: AReal<f64>) -> AReal<f64> {
    math::ad::max(&AReal::new(0.0), &v)
}

pub struct Xad {
    tape: Tape<f64>,
}

impl Xad {
    pub fn new() -> Xad {
        Xad {
            tape: Tape::new(true),
        }
    }
}

impl Engine for Xad {
    fn loss_and_grad(&mut self, w: &[f64], data: &Moons, grad: &mut [f64]) -> f64 {
        let tape = &mut self.tape;
        let _recording = tape.record();
        let params: Vec<AReal<f64>> = w.iter().map(|&v| AReal::input(v, tape)).collect();
        let mut loss = work::moons_loss(&params, data, relu);
        AReal::register_output(std::slice::from_mut(&mut loss), tape);
        loss.set_adjoint(tape, 1.0);
        tape.compute_adjoints();
        for (g, p) in grad.iter_mut().zip(&params) {
            *g = p.adjoint(tape);
        }
        loss.value()
    }
}

pub fn w2(n: usize) -> W2 {
    let mut tape = Tape::<f64>::new(true);
    let _recording = tape.record();
    let t0 = Instant::now();
    let x0 = AReal::input(0.5, &mut tape);
    let mut x = work::chain(x0, n, |v| math::ad::tanh(&v));
    let t1 = Instant::now();
    AReal::register_output(std::slice::from_mut(&mut x), &mut tape);
    x.set_adjoint(&mut tape, 1.0);
    tape.compute_adjoints();
    let dx_dx0 = x0.adjoint(&tape);
    let t2 = Instant::now();
    W2 {
        build_s: (t1 - t0).as_secs_f64(),
        backward_s: (t2 - t1).as_secs_f64(),
        x: x.value(),
        dx_dx0,
    }
}
