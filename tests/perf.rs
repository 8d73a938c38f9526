//! The perf helper's engine tests: the workloads' check values, released handles, replay and
//! data-parallel equality. No timing here (benchmarks are in `benches/` and `micrograd bench`).

use micrograd::engine::{DataParallel, Recording};
use micrograd::perf::{self, MoonsStep, ParallelMoons, make_moons, moons_100};
use micrograd::{Tape, Value};

/// W2's check values: 10 million steps of `x = x + 1e-6 * tanh(x)` from 0.5. Runs in a
/// release build only (a debug build takes minutes); `cargo test --release` runs it.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "10M-node chain: run with cargo test --release"
)]
fn long_chain_check_values() {
    let r = perf::chain(10_000_000);
    assert!((r.x - 10.041324).abs() < 1e-6, "x = {}", r.x);
    assert!(
        (r.dx_dx0 - 2.16395425644).abs() < 1e-10,
        "dx/dx0 = {}",
        r.dx_dx0
    );
    assert_eq!(Tape::len(), 0);
}

/// A shorter chain, compared with the same recurrence in plain f64 (forward) and the product
/// of local derivatives (backward).
#[test]
fn chain_matches_plain_f64() {
    let n = 10_000;
    let r = perf::chain(n);
    let (mut x, mut d) = (0.5f64, 1.0f64);
    for _ in 0..n {
        let t = x.tanh();
        d *= 1.0 + 1e-6 * (1.0 - t * t);
        x += 1e-6 * t;
    }
    assert!((r.x - x).abs() <= 1e-14 * x, "{} vs {x}", r.x);
    assert!((r.dx_dx0 - d).abs() <= 1e-13 * d, "{} vs {d}", r.dx_dx0);
}

#[test]
#[should_panic(expected = "use of a released Value")]
fn released_handle_panics() {
    let y = {
        let _step = Tape::scope();
        Value::new(1.0) * 2.0
    };
    let _ = y.data(); // its node was released when the scope ended
}

#[test]
#[should_panic(expected = "use of a released Value")]
fn replay_after_truncation_panics() {
    let w = Value::new(1.0);
    let mark = Tape::mark();
    let rec = Recording::record(|| (w * 3.0).tanh());
    Tape::truncate(mark);
    rec.replay();
}

/// Every operation, built once and recorded, then replayed at new leaf values: the replay's
/// values and grads equal those of a graph rebuilt at the new values, to the bit.
#[test]
fn replay_equals_rebuilt_graph_for_every_op() {
    let build = |p: &[Value]| -> Value {
        let (a, b, c) = (p[0], p[1], p[2]);
        let terms = [
            a + b,
            a - b,
            a * b,
            a / b,
            a.pow(b),
            a + 2.0,
            a - 2.0,
            a * 2.0,
            a / 2.0,
            2.0 - a,
            2.0 / a,
            a.pow(3.0),
            Value::pow_base(2.0, a),
            -a,
            a.exp(),
            a.log(),
            a.tanh(),
            (a - 1.0).relu(),
            (b - c).relu(),
            a.sigmoid(),
            Value::sum(&[a, b, c]),
            Value::dot(&[a, b, c], &[c, a, b]),
            Value::affine(&[a, b], &[c, a], b),
        ];
        Value::dot(&terms, &terms) + Value::sum(&terms) * c
    };
    let p = Value::leaves(&[1.3, 0.7, -0.4]);
    let rec = Recording::record(|| build(&p));
    for point in [[1.1, 0.9, 0.2], [0.6, 1.7, 2.5], [2.0, 0.3, -1.0]] {
        for (v, &x) in p.iter().zip(&point) {
            v.set_data(x);
            v.set_grad(0.0);
        }
        let replayed = rec.replay();
        let g: Vec<f64> = p.iter().map(|v| v.grad()).collect();
        let _s = Tape::scope();
        for v in &p {
            v.set_grad(0.0);
        }
        let fresh = build(&p);
        fresh.backward();
        assert_eq!(replayed.to_bits(), fresh.data().to_bits());
        for (v, g) in p.iter().zip(&g) {
            assert_eq!(v.grad().to_bits(), g.to_bits(), "{point:?}");
        }
    }
}

/// W1 in replay mode follows the rebuilt-graph run to the bit, step after step.
#[test]
fn moons_replay_equals_rebuild() {
    let mut a = MoonsStep::new(moons_100(), 1337);
    let mut b = MoonsStep::new(moons_100(), 1337);
    for _ in 0..15 {
        let la = a.step();
        let lb = b.step_replay();
        assert_eq!(la.to_bits(), lb.to_bits());
        for (x, y) in a.weights().iter().zip(b.weights()) {
            assert_eq!(x.to_bits(), y.to_bits());
        }
    }
}

fn rel_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300)
}

/// The data-parallel gradient equals the single-thread one within 1e-12 relative, and the
/// single-shard run equals W1's rebuilt step exactly.
#[test]
fn data_parallel_equals_single_thread() {
    let data = make_moons(300, 0.1, 5);
    let mut one = ParallelMoons::new(data.clone(), 1, 9);
    let (l1, g1) = {
        let (l, g) = one.loss_and_grad();
        (l, g.to_vec())
    };
    for threads in [2, 3] {
        let mut many = ParallelMoons::new(data.clone(), threads, 9);
        let (l, g) = many.loss_and_grad();
        assert!(rel_close(l, l1), "{threads} threads: {l} vs {l1}");
        for (x, y) in g.iter().zip(&g1) {
            assert!(rel_close(*x, *y), "{threads} threads: {x} vs {y}");
        }
        for _ in 0..5 {
            many.step();
        }
    }
    // Several steps on 2 threads follow the single-thread run.
    let mut two = ParallelMoons::new(data, 2, 9);
    for _ in 0..5 {
        let (a, b) = (one.step(), two.step());
        assert!(rel_close(a, b), "{a} vs {b}");
    }
    for (x, y) in one.weights().iter().zip(two.weights()) {
        assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{x} vs {y}");
    }

    // One shard of micrograd's 100 points is W1's step itself.
    let mut w1 = MoonsStep::new(moons_100(), 1337);
    let mut dp = ParallelMoons::new(moons_100(), 1, 1337);
    for _ in 0..3 {
        assert_eq!(w1.step().to_bits(), dp.step().to_bits());
    }
    assert_eq!(w1.weights(), dp.weights());
}

#[test]
fn data_parallel_generic_api() {
    let shards: Vec<Vec<f64>> = vec![vec![1.0, 2.0], vec![3.0], vec![4.0, 5.0, 6.0]];
    let f = |p: &[Value], xs: &Vec<f64>| -> Value { xs.iter().map(|&x| (p[0] * x).tanh()).sum() };
    let dp = DataParallel::new(shards, f);
    assert_eq!(dp.shards(), 3);
    let mut g = [0.0];
    let loss = dp.gradient(&[0.1], &mut g);
    let want: f64 = (1..=6).map(|x| (0.1 * x as f64).tanh()).sum();
    let dwant: f64 = (1..=6)
        .map(|x| {
            let t = (0.1 * x as f64).tanh();
            x as f64 * (1.0 - t * t)
        })
        .sum();
    assert!((loss - want).abs() < 1e-15 * 6.0);
    assert!((g[0] - dwant).abs() < 1e-14 * 6.0);
}

/// W3's property on this thread's tape (resident memory is per process, and the tests run in
/// parallel, so `micrograd bench longrun` checks RSS): after a few steps, the tape neither
/// grows nor reallocates, in both modes.
#[test]
fn long_run_tape_is_flat() {
    for replay in [false, true] {
        let mut w1 = MoonsStep::new(moons_100(), 1);
        let step = |w: &mut MoonsStep| if replay { w.step_replay() } else { w.step() };
        for _ in 0..10 {
            step(&mut w1);
        }
        let (len, cap) = (Tape::len(), Tape::capacity_bytes());
        for _ in 0..300 {
            assert!(step(&mut w1).is_finite());
        }
        assert_eq!((Tape::len(), Tape::capacity_bytes()), (len, cap));
    }
}

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

/// Handles from several epochs: parameters made before and after a first step stay usable in
/// later steps, and a node released by a later truncation is refused even though its epoch
/// is that of live parameters.
#[test]
fn handles_across_epochs() {
    let a = Value::new(1.0);
    {
        let _s = Tape::scope();
        let _ = (a * 2.0).data();
    }
    let b = Value::new(2.0); // made in a later epoch than `a`
    let mut released = None;
    for k in 0..3 {
        let _s = Tape::scope();
        let y = Value::dot(&[a, b], &[b, a]) + Value::sum(&[a, b]);
        assert_eq!(y.data(), 7.0);
        if k == 0 {
            released = Some(y);
        }
    }
    let r = released.unwrap();
    let caught = std::panic::catch_unwind(move || r.data());
    assert!(caught.is_err(), "a released node was read");
    assert_eq!((a.data(), b.data()), (1.0, 2.0));
}

/// A recording that reads an interior node made before it (not only leaves) still gives the
/// leaves below their full gradient, through that node.
#[test]
fn replay_through_a_node_made_before_the_recording() {
    let w = Value::new(0.3);
    let h = w * 2.0 + 1.0; // interior, made before the recording
    let x = Value::new(1.5);
    let rec = Recording::record(|| (h * x).tanh() + w * w);
    for xv in [1.5, -0.5, 2.0] {
        x.set_data(xv);
        w.set_grad(0.0);
        let y = rec.replay();
        let g = w.grad();
        let t = ((0.3 * 2.0 + 1.0) * xv).tanh();
        assert!((y - (t + 0.09)).abs() < 1e-15);
        let want = (1.0 - t * t) * xv * 2.0 + 2.0 * 0.3;
        assert!((g - want).abs() < 1e-14, "{g} vs {want}");
    }
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
/// `AffineSpan` node; with the same numbers in scattered nodes it is an `Affine` node. Both
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
    assert_eq!(results[0].0, Op::AffineSpan);
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

/// A recorded MLP step (span nodes) replays to the same loss and gradients as a rebuilt one.
#[test]
fn replay_of_span_layers_equals_rebuild() {
    use micrograd::perf::{MoonsStep, moons_100};
    let mut a = MoonsStep::new(moons_100(), 7);
    let mut b = MoonsStep::new(moons_100(), 7);
    for _ in 0..5 {
        assert_eq!(a.step().to_bits(), b.step_replay().to_bits());
        assert_eq!(a.weights(), b.weights());
    }
}

/// Replays of layers whose neurons are computed four at a time (tanh and sigmoid layers of
/// sizes that are not multiples of four, a linear output) give the numbers and gradients of
/// a rebuilt graph, to the bit.
#[test]
fn replay_of_grouped_neurons_equals_rebuild() {
    use micrograd::engine::Recording;
    use micrograd::nn::{Activation, Layer, Module, Neuron};
    use rand_chacha::{ChaCha8Rng, rand_core::SeedableRng};
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let layers = vec![
        Layer::new(3, 6, Activation::Tanh, &mut rng),
        Layer::new(6, 5, Activation::Sigmoid, &mut rng),
        Layer::from_neurons(vec![Neuron::new(5, Activation::Linear, &mut rng)]),
    ];
    let params: Vec<Value> = layers.iter().flat_map(|l| l.parameters()).collect();
    let x = Value::leaves(&[0.3, -1.2, 0.8]);
    let loss = || {
        let mut h = x.clone();
        for l in &layers {
            h = l.forward(&h);
        }
        (h[0] - 0.5).pow(2.0)
    };
    let rec = Recording::record(loss);
    for step in 0..4 {
        for p in &params {
            p.set_data(p.data() * 0.9 + 0.01 * step as f64);
            p.set_grad(0.0);
        }
        let replayed = rec.replay();
        let grads: Vec<u64> = params.iter().map(|p| p.grad().to_bits()).collect();
        for p in &params {
            p.set_grad(0.0);
        }
        let _s = Tape::scope();
        let rebuilt = loss();
        rebuilt.backward();
        assert_eq!(replayed.to_bits(), rebuilt.data().to_bits());
        let rebuilt_grads: Vec<u64> = params.iter().map(|p| p.grad().to_bits()).collect();
        assert_eq!(grads, rebuilt_grads);
    }
}

/// A mark taken before a truncation below it (a stale mark) stands for that truncation's
/// point: truncating to it releases the nodes made since, and never cuts the operand list of
/// a node that stays.
#[test]
fn truncating_to_a_stale_mark_keeps_live_nodes_whole() {
    let a = Value::new(1.0);
    let b = Value::new(10.0);
    let q = Value::sum(&[a, b, a]); // stays: made before every mark
    let m1 = Tape::mark();
    let _s = Value::sum(&[a, b]);
    let m2 = Tape::mark(); // stale after the truncation to m1 below
    Tape::truncate(m1);
    let y = Value::sum(&[a, b, a]); // made after m2 was taken
    let _p = Value::new(0.0);
    Tape::truncate(m2);
    let z = Value::sum(&[b]);
    assert!(
        std::panic::catch_unwind(|| y.data()).is_err(),
        "a node made after the mark survived"
    );
    assert_eq!(z.data(), 10.0);
    q.backward();
    assert_eq!((q.data(), a.grad(), b.grad()), (12.0, 2.0, 1.0));
}
