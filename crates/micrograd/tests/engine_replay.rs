//! `Recording::replay` and `DataParallel`: the same numbers as a graph rebuilt on one thread.

use micrograd::engine::{DataParallel, Recording};
use micrograd::{Tape, Value};

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

/// A panic in the caller's shard (caught by the caller) leaves no result of that call
/// queued: the next call gives its own numbers.
#[test]
fn data_parallel_after_a_caught_panic_gives_the_next_calls_numbers() {
    // The first shard (run on the calling thread) panics at a negative weight.
    let shards: Vec<Vec<f64>> = vec![vec![1.0], vec![2.0], vec![3.0]];
    let f = |p: &[Value], xs: &Vec<f64>| -> Value {
        if xs[0] == 1.0 && p[0].data() < 0.0 {
            panic!("caller's shard refuses a negative weight");
        }
        xs.iter().map(|&x| p[0] * x).sum()
    };
    let dp = DataParallel::new(shards, f);
    let mut g = [0.0];
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        dp.gradient(&[-1.0], &mut g)
    }));
    assert!(caught.is_err());
    let loss = dp.gradient(&[0.5], &mut g);
    assert_eq!((loss, g[0]), (3.0, 6.0));
}

/// `DataParallel::with_replay` (every shard recorded once, replayed batched) gives the
/// numbers of `DataParallel::new` (rebuilt), to the bit, for 1 to 3 shards and several
/// weights; its shards all run on workers.
#[test]
fn data_parallel_with_replay_equals_rebuilt() {
    use micrograd::nn::{MLP, MlpSpec, loss};
    let spec = MlpSpec::new(2, &[5, 4, 1], micrograd::nn::Activation::Relu);
    let points: Vec<(f64, f64, f64)> = (0..30)
        .map(|i| {
            let t = i as f64 * 0.37;
            (
                t.sin(),
                (1.7 * t).cos(),
                if i % 3 == 0 { 1.0 } else { -1.0 },
            )
        })
        .collect();
    let count = spec.num_parameters();
    for n in 1..=3 {
        let shards: Vec<Vec<(f64, f64, f64)>> = points
            .chunks(points.len().div_ceil(n))
            .map(|c| c.to_vec())
            .collect();
        let spec = spec.clone();
        let f = move |p: &[Value], pts: &Vec<(f64, f64, f64)>| -> Value {
            let model = MLP::from_values(&spec, p).unwrap();
            let scores: Vec<Value> = pts
                .iter()
                .map(|&(x, y, _)| model.forward(&[Value::new(x), Value::new(y)])[0])
                .collect();
            let y: Vec<f64> = pts.iter().map(|p| p.2).collect();
            loss::svm(&scores, &y) + loss::l2(p, 1e-3)
        };
        let (rebuilt, replayed) = (
            DataParallel::new(shards.clone(), f.clone()),
            DataParallel::with_replay(shards, f),
        );
        assert_eq!((rebuilt.shards(), replayed.shards()), (n, n));
        let mut w: Vec<f64> = (0..count)
            .map(|i| ((i * 7919) % 200) as f64 / 100.0 - 1.0)
            .collect();
        let (mut g1, mut g2) = (vec![0.0; w.len()], vec![0.0; w.len()]);
        for _ in 0..4 {
            let (l1, l2) = (
                rebuilt.gradient(&w, &mut g1),
                replayed.gradient(&w, &mut g2),
            );
            assert_eq!(l1.to_bits(), l2.to_bits(), "{n} shards");
            assert_eq!(g1, g2, "{n} shards");
            for (w, g) in w.iter_mut().zip(&g1) {
                *w -= 0.3 * g;
            }
        }
    }
}

/// A node made after the recording from its output is recomputed by `replay` (and by
/// `forward`): it never keeps the value of an earlier replay (issue #12).
#[test]
fn nodes_made_after_the_recording_are_recomputed() {
    let w = Value::new(0.5);
    let rec = Recording::record(|| (w * 3.0).tanh());
    let later = rec.output() * 2.0 + w; // made after the recording, reads its output
    for wv in [0.1, -0.7, 1.3] {
        w.set_data(wv);
        w.set_grad(0.0);
        let y = rec.replay();
        assert!((y - (wv * 3.0).tanh()).abs() < 1e-15);
        assert_eq!(later.data(), y * 2.0 + wv);
        // The recording's gradient is untouched by the later node.
        assert_eq!(w.grad(), 3.0 * (1.0 - y * y));
        w.set_data(wv + 0.25);
        let y = rec.forward();
        assert!((y - ((wv + 0.25) * 3.0).tanh()).abs() < 1e-15);
        assert_eq!(later.data(), y * 2.0 + (wv + 0.25));
    }
}

/// A batched recording whose output lies inside a stretch (a hidden neuron of one example,
/// or one example's score, read by nothing after it) replays with the gradients of the
/// node-by-node sweep: the output's seed survives the zeroing of the layers' private
/// gradients.
#[test]
fn batched_replay_of_an_output_inside_a_stretch() {
    use micrograd::nn::{MLP, Module};
    let pts = [
        [0.5, -1.0],
        [1.5, 0.25],
        [-0.5, 2.0],
        [1.0, 1.0],
        [0.0, -0.5],
        [0.3, 0.7],
    ];
    // (example, hidden neuron or None for the score): the output.
    let outputs = [
        (2, Some(1)),
        (5, Some(3)),
        (0, Some(0)),
        (3, None),
        (5, None),
    ];
    let mut batched_somewhere = false;
    for (example, neuron) in outputs {
        let run = |batched: bool| {
            let model = MLP::new(2, &[4, 1]);
            let mut hidden = Vec::new();
            let mut scores = Vec::new();
            let f = || {
                for p in &pts {
                    let h = model.layers()[0].forward(&Value::leaves(p));
                    scores.push(model.layers()[1].forward(&h)[0]);
                    hidden.push(h);
                }
                let _loss = Value::sum(&scores);
                match neuron {
                    Some(j) => hidden[example][j],
                    None => scores[example],
                }
            };
            let rec = if batched {
                Recording::record_batched(f)
            } else {
                Recording::record(f)
            };
            model.zero_grad();
            let v = rec.replay();
            let grads: Vec<u64> = model
                .parameters()
                .iter()
                .map(|p| p.grad().to_bits())
                .collect();
            (v.to_bits(), grads, rec.batched_nodes())
        };
        let (v0, g0, _) = run(false);
        let (v1, g1, batched) = run(true);
        batched_somewhere |= batched > 0;
        assert_eq!(v0, v1, "output {example} {neuron:?}");
        assert_eq!(g0, g1, "output {example} {neuron:?}");
        assert!(g0.iter().any(|&g| g != 0), "some gradient is not zero");
    }
    assert!(batched_somewhere, "the case is replayed across examples");
}
