//! micrograd's `demo.ipynb` as a small program: a 2-16-16-1 ReLU MLP separates the 100
//! moons with the SVM max-margin loss, L2 regularization and a decaying learning rate.
//! Run with `cargo run --release --example 05_moons`.
//!
//! (`micrograd train` does the same with flags, progress and pictures; see also
//! `micrograd::train::train`, the library's loop.)

use micrograd::data;
use micrograd::nn::{MLP, Module, loss};
use micrograd::{Tape, Value};

fn main() {
    // The data: X is 100 points in the plane, y is -1 or +1 (the file's labels).
    let d = data::demo_moons();
    let y: Vec<f64> = d
        .classes
        .iter()
        .map(|&c| if c == 0 { -1.0 } else { 1.0 })
        .collect();

    // model = MLP(2, [16, 16, 1]): two ReLU hidden layers, a linear output (the score).
    let model = MLP::new(2, &[16, 16, 1]);
    let params = model.parameters();
    println!("{model}");
    println!("number of parameters {}", params.len());

    for k in 0..100 {
        let _step = Tape::scope();

        // forward the whole data set: one score per point
        let scores: Vec<Value> = d
            .features
            .iter()
            .map(|x| model.forward(&Value::leaves(x))[0])
            .collect();
        // svm "max-margin" loss + L2 regularization, as the notebook
        let data_loss = loss::svm(&scores, &y);
        let total = data_loss + loss::l2(&params, 1e-4);
        // accuracy: the sign of the score against the label
        let s: Vec<f64> = scores.iter().map(|v| v.data()).collect();
        let acc = loss::sign_accuracy(&s, &y);

        // backward
        model.zero_grad();
        total.backward();

        // update (sgd), the learning rate decaying from 1.0 to 0.109
        let lr = 1.0 - 0.9 * k as f64 / 100.0;
        for p in &params {
            p.set_data(p.data() - lr * p.grad());
        }

        if k % 10 == 0 || k == 99 {
            println!(
                "step {k} loss {:.6}, accuracy {}%",
                total.data(),
                acc * 100.0
            );
        }
    }
}
