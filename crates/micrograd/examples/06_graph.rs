//! Pictures of graphs: the loss of the lecture's `MLP(3, [4, 4, 1])` over its four examples
//! (134 values, laid out layer by layer, every parameter labelled by its place), and one
//! tanh neuron drawn as the lecture builds it, with its weighted sum expanded into `*` and `+`.
//! Run with `cargo run --release --features viz --example 06_graph -- mlp.svg neuron.svg`
//! (a name ending in `.png` writes a PNG).

use micrograd::nn::{Activation, LayerSpec, MLP, MlpSpec, Module, Neuron};
use micrograd::{Value, viz};

fn write(path: &str, layout: &viz::GraphLayout) -> Result<(), Box<dyn std::error::Error>> {
    if path.ends_with(".png") {
        std::fs::write(path, layout.png()?)?;
    } else {
        std::fs::write(path, &layout.svg)?;
    }
    println!(
        "wrote {path}: {} values, {} operations, {} x {} pixels, {} crossings",
        layout.model.values.len(),
        layout.model.ops.len(),
        layout.size.0,
        layout.size.1,
        layout.stats.crossings
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mlp_path = args.first().map_or("mlp.svg", String::as_str);
    let neuron_path = args.get(1).map_or("neuron-expanded.svg", String::as_str);

    // The lecture's network, all tanh, and its loss over the four examples after backward.
    let tanh = |nout| LayerSpec {
        nout,
        activation: Activation::Tanh,
    };
    let spec = MlpSpec {
        nin: 3,
        layers: vec![tanh(4), tanh(4), tanh(1)],
    };
    let n = MLP::init(&spec, MLP::DEFAULT_SEED);
    n.label_parameters(); // L1.N1.w0, ..., L3.N1.b
    let xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ];
    let ys = [1.0, -1.0, -1.0, 1.0];
    let ypred: Vec<Value> = xs
        .iter()
        .enumerate()
        .map(|(e, x)| {
            let x: Vec<Value> = x
                .iter()
                .enumerate()
                .map(|(i, &v)| Value::new(v).with_label(format!("xs[{e}][{i}]")))
                .collect();
            n.forward(&x)[0].with_label(format!("ypred[{e}]"))
        })
        .collect();
    let loss: Value = ypred
        .iter()
        .zip(ys)
        .map(|(&yout, ygt)| (yout - ygt).pow(2.0))
        .sum();
    let loss = loss.with_label("loss");
    loss.backward();
    write(mlp_path, &viz::graph_layout(loss)?)?;

    // One neuron of two inputs, as in the lecture: o = tanh(x1*w1 + x2*w2 + b).
    let neuron = Neuron::from_values(
        vec![
            Value::new(-3.0).with_label("w1"),
            Value::new(1.0).with_label("w2"),
        ],
        Value::new(6.881_373_587_019_543).with_label("b"),
        Activation::Tanh,
    );
    let x = [
        Value::new(2.0).with_label("x1"),
        Value::new(0.0).with_label("x2"),
    ];
    let o = neuron.forward(&x).with_label("o");
    o.backward();
    assert_eq!(neuron.parameters().len(), 3);
    let options = viz::GraphOptions::default().expanded(true);
    write(neuron_path, &viz::graph_layout_with(o, &options)?)?;
    Ok(())
}
