//! The n-ary operations (`sum`, `dot`, `affine` and the layers' span form): values, gradients
//! and operands, and the same numbers to the bit whichever form a neuron takes.

use micrograd::{Tape, Value};

/// Dot nodes over consecutive and non-consecutive handles: the same value, grads, inputs
/// and ancestors as the sum of products.
#[test]
fn dot_layouts_agree() {
    let _s = Tape::scope();
    let w = Value::leaves(&[0.5, -1.5, 2.0, 0.25]); // consecutive nodes
    let x = Value::leaves(&[1.0, 2.0, -3.0, 4.0]);
    let w_rev: Vec<Value> = w.iter().rev().copied().collect(); // not consecutive
    let x_rev: Vec<Value> = x.iter().rev().copied().collect();
    let compact = Value::dot(&w, &x);
    let pairs = Value::dot(&w_rev, &x_rev);
    let want = 0.5 * 1.0 + -1.5 * 2.0 + 2.0 * -3.0 + 0.25 * 4.0;
    assert_eq!(compact.data(), want);
    assert_eq!(
        pairs.data(),
        0.25 * 4.0 + 2.0 * -3.0 + -1.5 * 2.0 + 0.5 * 1.0
    );
    let inputs = compact.node().inputs;
    assert_eq!(inputs.len(), 8);
    for k in 0..4 {
        assert!(inputs[2 * k].same_node(w[k]) && inputs[2 * k + 1].same_node(x[k]));
    }
    assert!(pairs.node().inputs[0].same_node(w[3]));
    assert_eq!(compact.ancestors().len(), 9);
    let y = compact * 2.0 + pairs;
    y.backward();
    for k in 0..4 {
        assert_eq!(w[k].grad(), 3.0 * x[k].data());
        assert_eq!(x[k].grad(), 3.0 * w[k].data());
    }
    // A dot of a vector with itself (the L2 term).
    for v in w.iter().chain(&x) {
        v.set_grad(0.0);
    }
    let sq = Value::dot(&w, &w);
    sq.backward();
    assert_eq!(sq.data(), 0.25 + 2.25 + 4.0 + 0.0625);
    assert_eq!(w[1].grad(), -3.0);
}

#[test]
#[should_panic(expected = "use of a released Value")]
fn dot_with_released_weights_panics() {
    let w = {
        let _s = Tape::scope();
        Value::leaves(&[1.0, 2.0])
    };
    let x = Value::leaves(&[1.0, 2.0]);
    Value::dot(&w, &x);
}

/// The weights' liveness is checked in bulk (one epoch, the largest index): a released weight
/// is still caught when it sits among live ones of another epoch, in either position.
#[test]
fn affine_with_one_released_weight_among_live_ones_panics() {
    let live = Value::new(1.0);
    let released = {
        let _s = Tape::scope();
        Value::new(2.0)
    };
    let x = Value::leaves(&[1.0, 2.0]);
    for w in [[live, released], [released, live]] {
        let caught = std::panic::catch_unwind(|| Value::affine(&w, &x, live).data());
        let msg = caught.expect_err("a released weight was read");
        let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("use of a released Value"), "{msg}");
    }
    // Same epoch, all live: no false alarm.
    assert_eq!(Value::affine(&[live, live], &x, live).data(), 4.0);
}

/// `Value::affine(w, x, b)` is `Value::dot(w, x) + b` to the bit, in value and in every grad,
/// with one node instead of two; its operands are `b, w0, x0, ...`.
#[test]
fn affine_equals_dot_plus_bias() {
    let _s = Tape::scope();
    let w = Value::leaves(&[0.3, -1.7, 2.9e-3]);
    let x = Value::leaves(&[1.1, 0.45, -13.0]);
    let b = Value::new(-0.2);
    let all: Vec<Value> = w.iter().chain(&x).copied().chain([b]).collect();
    let grads = |y: Value| -> Vec<u64> {
        for v in &all {
            v.set_grad(0.0);
        }
        y.backward();
        all.iter().map(|v| v.grad().to_bits()).collect()
    };
    let before = Tape::len();
    let y = Value::affine(&w, &x, b).tanh();
    assert_eq!(Tape::len() - before, 2);
    let z = (Value::dot(&w, &x) + b).tanh();
    assert_eq!(y.data().to_bits(), z.data().to_bits());
    assert_eq!(grads(y), grads(z));
    let n = Value::affine(&w, &x, b).node();
    assert_eq!(n.op.symbol(), "affine");
    let ids: Vec<usize> = n.inputs.iter().map(|v| v.id()).collect();
    let want: Vec<usize> = [b, w[0], x[0], w[1], x[1], w[2], x[2]]
        .iter()
        .map(|v| v.id())
        .collect();
    assert_eq!(ids, want);
    // No pairs: just the bias.
    let e = Value::affine(&[], &[], b);
    e.backward();
    assert_eq!(e.data(), -0.2);
}

/// The affine op's gradient matches central finite differences, with an operand repeated.
#[test]
fn affine_matches_finite_differences() {
    let f = |v: &[Value]| Value::affine(&[v[0], v[1], v[2]], &[v[1], v[3], v[1]], v[2]).tanh();
    for c in micrograd::engine::gradcheck(f, &[0.7, -1.3, 0.4, 0.9], 1e-6) {
        assert!(c.error() < 1e-7, "{c:?}");
    }
}

#[test]
#[should_panic(expected = "use of a released Value")]
fn affine_with_released_bias_panics() {
    let w = Value::leaves(&[1.0]);
    let b = {
        let _s = Tape::scope();
        Value::new(1.0) * 2.0
    };
    let _ = Value::affine(&w, &w, b);
}

/// `Layer::forward` (one tape access for the whole layer) makes the same nodes as calling
/// `Neuron::forward` neuron by neuron: same values, grads and node structure, to the bit.
#[test]
fn layer_forward_equals_neuron_by_neuron() {
    use micrograd::nn::{Activation, Layer, Module, Neuron};
    let _s = Tape::scope();
    let mk = |act, w: &[f64], b: f64| Neuron::from_values(Value::leaves(w), Value::new(b), act);
    let layer = Layer::from_neurons(vec![
        mk(Activation::Relu, &[0.5, -1.5, 0.25], 0.1),
        mk(Activation::Tanh, &[-0.3, 0.8, 1.1], -0.2),
        mk(Activation::Sigmoid, &[1.3, 0.2, -0.7], 0.0),
        mk(Activation::Linear, &[0.9, -0.9, 0.4], 0.3),
        mk(Activation::Relu, &[-2.0, -1.0, -0.5], -1.0), // relu at a negative input
    ]);
    let x = Value::leaves(&[0.7, -0.2, 1.9]);
    let params = layer.parameters();
    let run = |ys: Vec<Value>| {
        for p in params.iter().chain(&x) {
            p.set_grad(0.0);
        }
        let loss = Value::sum(&ys) * 1.5;
        loss.backward();
        let nodes: Vec<(String, usize)> = ys
            .iter()
            .map(|y| (y.node().op.symbol().to_string(), y.node().inputs.len()))
            .collect();
        let data: Vec<u64> = ys.iter().map(|y| y.data().to_bits()).collect();
        let grads: Vec<u64> = params
            .iter()
            .chain(&x)
            .map(|p| p.grad().to_bits())
            .collect();
        (data, grads, nodes)
    };
    let before = Tape::len();
    let fused = run(layer.forward(&x));
    let fused_nodes = Tape::len() - before;
    let before = Tape::len();
    let single = run(layer.neurons().iter().map(|n| n.forward(&x)).collect());
    assert_eq!(fused, single);
    assert_eq!(fused_nodes, Tape::len() - before);
    assert_eq!(fused_nodes, 5 + 4 + 2); // 5 affine, 4 activations, sum and * 1.5
}

#[test]
#[should_panic(expected = "use of a released Value")]
fn layer_forward_with_a_released_input_panics() {
    use micrograd::nn::{Activation, Layer};
    let layer = Layer::from_neurons(vec![micrograd::nn::Neuron::from_values(
        Value::leaves(&[1.0, 2.0]),
        Value::new(0.0),
        Activation::Relu,
    )]);
    let x = {
        let _s = Tape::scope();
        vec![Value::new(1.0), Value::new(2.0) * 3.0]
    };
    let _ = layer.forward(&x);
}

#[test]
#[should_panic(expected = "a Neuron of 2 inputs was given 3 inputs")]
fn layer_forward_with_the_wrong_input_count_panics() {
    use micrograd::nn::{Activation, Layer};
    let layer = Layer::from_neurons(vec![micrograd::nn::Neuron::from_values(
        Value::leaves(&[1.0, 2.0]),
        Value::new(0.0),
        Activation::Relu,
    )]);
    let _ = layer.forward(&Value::leaves(&[1.0, 2.0, 3.0]));
}

/// A neuron whose weights are consecutive nodes (as `Neuron::new` makes them) is made as one
/// node of the internal span form; with the same numbers in scattered nodes it is an ordinary
/// `affine` node. Both
/// give the same values and gradients, to the bit, and list the same operands.
#[test]
fn span_and_scattered_weights_agree_to_the_bit() {
    use micrograd::engine::Op;
    use micrograd::nn::{Activation, Layer, Module, Neuron};
    let _s = Tape::scope();
    let ws = [[0.5, -1.5, 0.25], [-0.3, 0.8, 1.1]];
    // Consecutive weights.
    let span = Layer::from_neurons(
        ws.iter()
            .map(|w| Neuron::from_values(Value::leaves(w), Value::new(0.1), Activation::Tanh))
            .collect(),
    );
    // The same numbers, each neuron's weights interleaved with the other's.
    let flat: Vec<Value> = (0..3)
        .flat_map(|i| [Value::new(ws[0][i]), Value::new(ws[1][i])])
        .collect();
    let scattered = Layer::from_neurons(
        (0..2)
            .map(|k| {
                let w = (0..3).map(|i| flat[2 * i + k]).collect();
                Neuron::from_values(w, Value::new(0.1), Activation::Tanh)
            })
            .collect(),
    );
    let x = Value::leaves(&[0.7, -0.2, 1.9]);
    let mut results = vec![];
    for layer in [&span, &scattered] {
        for p in layer.parameters().iter().chain(&x) {
            p.set_grad(0.0);
        }
        let ys = layer.forward(&x);
        let affine = ys[0].node().inputs[0];
        let node = affine.node();
        // b, w0, x0, w1, x1, w2, x2
        assert_eq!(node.inputs.len(), 7);
        assert!(node.inputs[0].same_node(layer.neurons()[0].bias()));
        for (i, (w, xi)) in layer.neurons()[0].weights().iter().zip(&x).enumerate() {
            assert!(node.inputs[1 + 2 * i].same_node(*w));
            assert!(node.inputs[2 + 2 * i].same_node(*xi));
        }
        (Value::sum(&ys) * ys[1]).backward();
        let grads: Vec<u64> = layer
            .parameters()
            .iter()
            .chain(&x)
            .map(|p| p.grad().to_bits())
            .collect();
        let vals: Vec<u64> = ys.iter().map(|y| y.data().to_bits()).collect();
        results.push((node.op, vals, grads));
    }
    // Both are `affine` to the user; the span form is internal (see the unit test
    // `layers_of_new_neurons_use_the_span_form` in nn/module.rs).
    assert_eq!(results[0].0, Op::Affine);
    assert_eq!(results[1].0, Op::Affine);
    assert_eq!(results[0].1, results[1].1);
    assert_eq!(results[0].2, results[1].2);
}

#[test]
#[should_panic(expected = "use of a released Value")]
fn layer_with_released_weights_panics() {
    use micrograd::nn::{Activation, Layer, Neuron};
    let layer = {
        let _s = Tape::scope();
        Layer::from_neurons(vec![Neuron::from_values(
            Value::leaves(&[1.0, 2.0]),
            Value::new(0.0),
            Activation::Relu,
        )])
    };
    let _ = layer.forward(&Value::leaves(&[1.0, 2.0]));
}
