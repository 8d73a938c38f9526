//! `micrograd demo`: the lecture, runnable. First the neuron built by hand and its
//! gradients, then `MLP(3, [4, 4, 1])` with tanh neurons trained on four examples by
//! gradient descent on the sum of squared errors.

use clap::Args;

use crate::CliError;
use micrograd::nn::{Activation, LayerSpec, MLP, MlpSpec, Module};
use micrograd::{Tape, Value};

/// Arguments of `micrograd demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Gradient-descent steps on the four examples.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub steps: usize,
    /// Learning rate.
    #[arg(long, value_name = "X", default_value_t = 0.05)]
    pub lr: f64,
    /// Seed of the network's initial weights.
    #[arg(long, value_name = "N", default_value_t = MLP::DEFAULT_SEED)]
    pub seed: u64,
}

/// The lecture's four examples and their targets.
pub const XS: [[f64; 3]; 4] = [
    [2.0, 3.0, -1.0],
    [3.0, -1.0, 0.5],
    [0.5, 1.0, 1.0],
    [1.0, 1.0, -1.0],
];
/// The desired targets of [`XS`].
pub const YS: [f64; 4] = [1.0, -1.0, -1.0, 1.0];

/// The lecture's `MLP(3, [4, 4, 1])`: every neuron, the output one included, is
/// `tanh(w · x + b)` (micrograd's lecture `Neuron`), weights from `seed`.
pub fn lecture_mlp(seed: u64) -> MLP {
    let layer = |nout| LayerSpec {
        nout,
        activation: Activation::Tanh,
    };
    let spec = MlpSpec {
        nin: 3,
        layers: vec![layer(4), layer(4), layer(1)],
    };
    MLP::init(&spec, seed)
}

/// The hand-built neuron of the lecture: returns `(o, [x1, w1, x2, w2])` after `o.backward()`.
pub fn neuron() -> (Value, [Value; 4]) {
    let x1 = Value::new(2.0).with_label("x1");
    let x2 = Value::new(0.0).with_label("x2");
    let w1 = Value::new(-3.0).with_label("w1");
    let w2 = Value::new(1.0).with_label("w2");
    let b = Value::new(6.881_373_587_019_543).with_label("b");
    let x1w1 = (x1 * w1).with_label("x1*w1");
    let x2w2 = (x2 * w2).with_label("x2*w2");
    let n = (x1w1 + x2w2 + b).with_label("n");
    let o = n.tanh().with_label("o");
    o.backward();
    (o, [x1, w1, x2, w2])
}

/// Runs `micrograd demo`.
pub fn run(args: &DemoArgs) -> Result<(), CliError> {
    if !(args.lr.is_finite() && args.lr > 0.0) {
        return Err(CliError::usage(format!(
            "--lr {}: the learning rate must be a positive number",
            micrograd::train::short_number(args.lr)
        )));
    }
    if !(1..=100_000).contains(&args.steps) {
        return Err(CliError::usage(format!(
            "--steps {}: between 1 and 100,000 steps",
            args.steps
        )));
    }
    let _all = Tape::scope();
    outln!("1. A neuron by hand: o = tanh(x1*w1 + x2*w2 + b)")?;
    let (o, inputs) = neuron();
    outln!("   o = {:.4}", o.data())?;
    for v in inputs {
        outln!(
            "   {}: data {:>4}, grad {:.4}",
            v.label().unwrap_or_default(),
            v.data(),
            v.grad()
        )?;
    }

    outln!()?;
    outln!("2. MLP(3, [4, 4, 1]) with tanh neurons on the lecture's four examples")?;
    let model = lecture_mlp(args.seed);
    let params = model.parameters();
    outln!("   {} parameters; targets {YS:?}", params.len())?;
    for k in 0..args.steps {
        let _step = Tape::scope();
        // forward pass: the sum of squared errors, as the lecture
        let ypred: Vec<Value> = XS
            .iter()
            .map(|x| model.forward(&Value::leaves(x))[0])
            .collect();
        let loss: Value = ypred
            .iter()
            .zip(YS)
            .map(|(&yout, ygt)| (yout - ygt).pow(2.0))
            .sum();
        // backward pass, after zeroing the gradients
        model.zero_grad();
        loss.backward();
        // update: a small step against the gradient
        for p in &params {
            p.set_data(p.data() - args.lr * p.grad());
        }
        outln!("   step {:>2}  loss {:.6}", k, loss.data())?;
    }
    let preds: Vec<f64> = XS.iter().map(|x| model.forward_f64(x)[0]).collect();
    outln!("   predictions after {} steps:", args.steps)?;
    let mut right = 0;
    for ((x, y), p) in XS.iter().zip(YS).zip(&preds) {
        let ok = (*p > 0.0) == (y > 0.0);
        right += usize::from(ok);
        outln!(
            "     {x:?} -> {p:+.4} (target {y:+}) {}",
            if ok { "right sign" } else { "WRONG sign" }
        )?;
    }
    outln!("   {right}/4 with the right sign")?;
    Ok(())
}
