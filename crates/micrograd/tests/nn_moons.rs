//! micrograd's demo, exactly: the 100 moons, an MLP 2-16-16-1 (ReLU), SVM max-margin loss
//! plus L2 1e-4, SGD with `lr = 1 - 0.9 k / 100`, 100 full-batch steps.

use micrograd::nn::optim::{Optimizer, Schedule, Sgd};
use micrograd::nn::{MLP, Module, loss};
use micrograd::{Tape, Value};

fn moons() -> (Vec<[f64; 2]>, Vec<f64>) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/moons_100_seed1337.csv"
    ))
    .expect("data/moons_100_seed1337.csv");
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<f64> = line.split(',').map(|c| c.trim().parse().unwrap()).collect();
        xs.push([f[0], f[1]]);
        ys.push(f[2]);
    }
    (xs, ys)
}

/// One step: forward all examples, loss, backward, SGD. Returns (loss, accuracy) before
/// the update, as micrograd's demo prints them.
fn step(model: &MLP, xs: &[[f64; 2]], ys: &[f64], lr: f64) -> (f64, f64) {
    let _step = Tape::scope();
    let scores: Vec<Value> = xs
        .iter()
        .map(|x| model.forward(&Value::leaves(x))[0])
        .collect();
    let params = model.parameters();
    let total = loss::svm(&scores, ys) + loss::l2(&params, 1e-4);
    let s: Vec<f64> = scores.iter().map(|s| s.data()).collect();
    let acc = loss::sign_accuracy(&s, ys);
    model.zero_grad();
    total.backward();
    Sgd.step(&params, lr);
    (total.data(), acc)
}

#[test]
fn micrograd_demo_reaches_full_accuracy() {
    let (xs, ys) = moons();
    assert_eq!(xs.len(), 100);
    let model = MLP::new(2, &[16, 16, 1]);
    let nparams = model.parameters().len();
    assert_eq!(nparams, 337);
    assert_eq!(Tape::len(), 337); // this test's thread has its own tape
    let steps = 100;
    let mut history = Vec::new();
    for k in 0..steps {
        let lr = Schedule::Linear.lr(1.0, k, steps);
        assert_eq!(lr, 1.0 - 0.9 * k as f64 / 100.0);
        history.push(step(&model, &xs, &ys, lr));
        assert_eq!(Tape::len(), nparams, "step {k} left nodes on the tape");
    }
    for (k, (l, a)) in history.iter().enumerate() {
        if k % 10 == 0 || k == steps - 1 {
            eprintln!("step {k} loss {l:.6} accuracy {:.0}%", a * 100.0);
        }
    }
    // Accuracy of the trained model.
    let scores: Vec<f64> = xs.iter().map(|x| model.forward_f64(x)[0]).collect();
    assert_eq!(Tape::len(), nparams);
    let acc = loss::sign_accuracy(&scores, &ys);
    assert_eq!(acc, 1.0, "history: {history:?}");
    // The loss went down.
    assert!(history[99].0 < history[0].0 / 5.0, "{history:?}");
}
