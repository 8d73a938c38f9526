//! `easy-ml`: `Record<'l, f64>` borrowing a `WengertList` (a `RefCell<Vec<Operation>>`, two
//! parents per operation). One list is kept across steps and emptied with
//! `WengertList::clear` before each (the parameters are then made again with
//! `WengertList::variable`, which is what `Record::reset` does); the data points are `f64`
//! constants; backward is `Record::derivatives`, gradients are read with `Derivatives::at`.
//! The crate has no `max` and no `tanh`: ReLU is a branch on the value (`v` if positive, else
//! `v * 0.0`) and tanh is composed from `exp`: `tanh(x) = (e - 1) / (e + 1)` with
//! `e = exp(2x)` (five operations instead of one). Its documented way to add a function,
//! `Record::unary` (its own example is tanh), returns a record that borrows its operand
//! (`&self -> Record<'_, T>`), so it cannot feed a loop that rebinds `x` (nor a
//! `Fn(Record) -> Record`); `w2_unary` uses it anyway, re-tying the result to the list with
//! `Record::from_existing` (one operation per tanh, as for the other crates).

use std::time::Instant;

use easy_ml::differentiation::{Record, WengertList};
use easy_ml::numeric::extra::Exp;

use crate::work::{self, Engine, Moons, W2};

pub const NAME: &str = "easy-ml";
pub const VERSION: &str = env!("VERSION_EASY_ML");

fn relu(v: Record<'_, f64>) -> Record<'_, f64> {
    if v.number > 0.0 { v } else { v * 0.0 }
}

fn tanh(x: Record<'_, f64>) -> Record<'_, f64> {
    let e = (x * 2.0).exp();
    (e - 1.0) / (e + 1.0)
}

pub struct EasyMl {
    list: WengertList<f64>,
}

impl EasyMl {
    pub fn new() -> EasyMl {
        EasyMl {
            list: WengertList::new(),
        }
    }
}

impl Engine for EasyMl {
    fn loss_and_grad(&mut self, w: &[f64], data: &Moons, grad: &mut [f64]) -> f64 {
        self.list.clear();
        let params: Vec<Record<'_, f64>> = w.iter().map(|&v| self.list.variable(v)).collect();
        let loss = work::moons_loss(&params, data, relu);
        let d = loss.derivatives();
        for (g, p) in grad.iter_mut().zip(&params) {
            *g = d.at(p);
        }
        loss.number
    }
}

/// tanh by `Record::unary` (derivative `1 - tanh^2`), the result re-tied to `x`'s list.
fn tanh_unary(x: Record<'_, f64>) -> Record<'_, f64> {
    let t = x.unary(f64::tanh, |v| {
        let t = v.tanh();
        1.0 - t * t
    });
    Record::from_existing((t.number, t.index), x.history())
}

pub fn w2(n: usize) -> W2 {
    w2_with(n, tanh)
}

pub fn w2_unary(n: usize) -> W2 {
    w2_with(n, tanh_unary)
}

fn w2_with(n: usize, tanh: for<'l> fn(Record<'l, f64>) -> Record<'l, f64>) -> W2 {
    let list = WengertList::new();
    let t0 = Instant::now();
    let x0 = list.variable(0.5);
    let x = work::chain(x0, n, tanh);
    let t1 = Instant::now();
    let dx_dx0 = x.derivatives().at(&x0);
    let t2 = Instant::now();
    W2 {
        build_s: (t1 - t0).as_secs_f64(),
        backward_s: (t2 - t1).as_secs_f64(),
        x: x.number,
        dx_dx0,
    }
}
