//! The lecture's MLP, step by step: `MLP(3, [4, 4, 1])` of tanh neurons learns four
//! examples by gradient descent on the sum of squared errors.
//! Run with `cargo run --example 04_mlp`.

use micrograd::nn::{Activation, LayerSpec, MLP, MlpSpec, Module};
use micrograd::{Tape, Value};

fn main() {
    // The lecture's tiny data set: four examples of three inputs, and the desired targets.
    let xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ];
    let ys = [1.0, -1.0, -1.0, 1.0];

    // n = MLP(3, [4, 4, 1]). In the lecture every Neuron squashes its output with tanh,
    // the output neuron too, so the prediction lies in (-1, 1) like the targets.
    let tanh = |nout| LayerSpec {
        nout,
        activation: Activation::Tanh,
    };
    let spec = MlpSpec {
        nin: 3,
        layers: vec![tanh(4), tanh(4), tanh(1)],
    };
    let n = MLP::init(&spec, MLP::DEFAULT_SEED);
    // n.parameters(): 4 neurons * (3 + 1) + 4 * (4 + 1) + 1 * (4 + 1) = 41 numbers.
    let params = n.parameters();
    println!("{n}");
    println!("{} parameters", params.len());

    for k in 0..20 {
        // Each step's nodes are released when `_step` drops: memory stays flat.
        let _step = Tape::scope();

        // forward pass: ypred = [n(x) for x in xs]; loss = sum((yout - ygt)**2)
        let ypred: Vec<Value> = xs.iter().map(|x| n.forward(&Value::leaves(x))[0]).collect();
        let loss: Value = ypred
            .iter()
            .zip(ys)
            .map(|(&yout, ygt)| (yout - ygt).pow(2.0))
            .sum();

        // backward pass: zero the gradients first ("the most common bug" of the lecture),
        // because backward adds into .grad
        for p in &params {
            p.set_grad(0.0);
        }
        loss.backward();

        // update: nudge every parameter a little against its gradient
        for p in &params {
            p.set_data(p.data() - 0.05 * p.grad());
        }

        println!("{k} {:.6}", loss.data());
    }

    // The predictions now have the targets' signs, and are close to them.
    let ypred: Vec<f64> = xs.iter().map(|x| n.forward_f64(x)[0]).collect();
    println!("ypred = {ypred:.4?}");
    for (p, y) in ypred.iter().zip(ys) {
        assert_eq!(p.signum(), y, "prediction {p} for target {y}");
    }
}
