//! Back-propagation by hand, as in the lecture: `Value::backward_step` (micrograd's
//! `_backward()`) node by node, and gradients set by hand, which `backward()` keeps and adds
//! to while it still clears the adjoints of earlier sweeps.

use micrograd::engine::Op;
use micrograd::{Tape, Value};

/// The lecture's neuron: inputs, weights, bias, and the named interior nodes in the order
/// the lecture makes them.
struct Neuron {
    leaves: [Value; 5], // x1, x2, w1, w2, b
    x1w1: Value,
    x2w2: Value,
    x1w1x2w2: Value,
    n: Value,
    o: Value,
}

fn neuron() -> Neuron {
    let x1 = Value::new(2.0);
    let x2 = Value::new(0.0);
    let w1 = Value::new(-3.0);
    let w2 = Value::new(1.0);
    let b = Value::new(6.881_373_587_019_443);
    let x1w1 = x1 * w1;
    let x2w2 = x2 * w2;
    let x1w1x2w2 = x1w1 + x2w2;
    let n = x1w1x2w2 + b;
    let o = n.tanh();
    Neuron {
        leaves: [x1, x2, w1, w2, b],
        x1w1,
        x2w2,
        x1w1x2w2,
        n,
        o,
    }
}

fn grads(vs: &[Value]) -> Vec<u64> {
    vs.iter().map(|v| v.grad().to_bits()).collect()
}

#[test]
fn the_lectures_manual_backprop_runs_as_written_and_equals_backward() {
    let _s = Tape::scope();
    let m = neuron();
    // The lecture, cell by cell: o.grad = 1.0; o._backward(); n._backward(); ...
    m.o.set_grad(1.0);
    m.o.backward_step();
    m.n.backward_step();
    m.x1w1x2w2.backward_step();
    m.x2w2.backward_step();
    m.x1w1.backward_step();
    let [x1, x2, w1, w2, b] = m.leaves;
    let want = [
        (m.o, 1.0),
        (m.n, 0.5),
        (m.x1w1x2w2, 0.5),
        (m.x1w1, 0.5),
        (m.x2w2, 0.5),
        (b, 0.5),
        (x1, -1.5),
        (w1, 1.0),
        (x2, 0.5),
        (w2, 0.0),
    ];
    for (v, g) in want {
        assert!((v.grad() - g).abs() < 1e-12, "{} vs {g}", v.grad());
    }
    let all: Vec<Value> = want.iter().map(|(v, _)| *v).collect();
    let manual = grads(&all);

    // The same graph by backward(), after zeroing every grad: the same bits.
    for &v in &all {
        v.set_grad(0.0);
    }
    m.o.backward();
    assert_eq!(grads(&all), manual);
}

#[test]
fn backward_step_on_every_op_equals_the_sweep_bit_for_bit() {
    // A graph with every kind of operand layout: binary, with a constant, unary, n-ary
    // (sum, dot, affine and a layer's span form) and a node used twice.
    let _s = Tape::scope();
    let x = Value::leaves(&[0.3, -1.2, 2.5]);
    let w = Value::leaves(&[0.7, 0.1, -0.4]);
    let b = Value::new(0.2);
    let layer = micrograd::nn::Layer::new(
        3,
        2,
        micrograd::nn::Activation::Tanh,
        &mut micrograd::data::SeededRng::new(3),
    );
    let h = layer.forward(&x);
    let a = Value::affine(&w, &x, b).tanh();
    let d = Value::dot(&w, &x).sigmoid();
    let p = (x[0] * x[1] - 2.0 / x[2]).pow(2.0) + x[2].pow(w[0]) + (x[0] + 0.5).exp().log();
    let s = Value::sum(&[a, d, p, h[0], h[1], a * a]);
    let out = (s.sin() + s.cos()).sqrt() / 3.0 - (-s).relu();
    let nodes = out.ancestors();
    assert!(nodes.len() > 30);
    assert!(
        nodes
            .iter()
            .any(|v| v.node().op == Op::Affine && v.node().inputs.len() == 7)
    );

    out.backward();
    let swept = grads(&nodes);
    for &v in &nodes {
        v.set_grad(0.0);
    }
    // Operands before their results: stepping in reverse visits each node after all its users.
    out.set_grad(1.0);
    for &v in nodes.iter().rev() {
        v.backward_step();
    }
    assert_eq!(grads(&nodes), swept);
}

#[test]
fn a_grad_set_by_hand_is_kept_and_added_to_by_backward() {
    let _s = Tape::scope();
    let m = neuron();
    // micrograd: n.grad = 0.5; o.backward() gives n.grad == 1.0.
    m.n.set_grad(0.5);
    m.o.backward();
    assert!((m.n.grad() - 1.0).abs() < 1e-12, "{}", m.n.grad());
    assert_eq!(m.o.grad(), 1.0);
    // Its operands got the sum: dn/dx1w1x2w2 = 1.
    assert!((m.x1w1x2w2.grad() - 1.0).abs() < 1e-12);
    assert!((m.leaves[4].grad() - 1.0).abs() < 1e-12, "b");
    // A second backward clears what the first one left (interior) and adds d o / d leaf
    // once more to the leaves.
    m.o.backward();
    assert!((m.n.grad() - 0.5).abs() < 1e-12);
    assert!((m.x1w1x2w2.grad() - 0.5).abs() < 1e-12);
    assert!((m.leaves[4].grad() - 1.5).abs() < 1e-12, "b: 1.0 + 0.5");
}

/// The numbers of Karpathy's micrograd 0.1.0 (PyPI) for the same sequences, on
/// `o = n * n` (its `Value` has no `tanh`), `n = x1*w1 + x2*w2 + b`, b = 0.5:
///
/// ```python
/// o.grad = 1.0
/// for v in [o, n, s, x2w2, x1w1]: v._backward()
/// print(n.grad, s.grad, x1w1.grad, x1.grad, w1.grad, b.grad)  # -11 -11 -11 33 -22 -11
/// o.backward()
/// print(o.grad, n.grad, s.grad, x1w1.grad, x1.grad, w1.grad, b.grad)  # 1 -22 -33 -44 165 -110 -33
/// # and on a fresh graph:
/// n.grad = 0.5; o.backward(); print(n.grad, x1.grad)  # -10.5 31.5
/// ```
#[test]
fn manual_steps_then_backward_give_micrograds_numbers() {
    let _s = Tape::scope();
    let graph = || {
        let (x1, x2, w1, w2, b) = (
            Value::new(2.0),
            Value::new(0.0),
            Value::new(-3.0),
            Value::new(1.0),
            Value::new(0.5),
        );
        let (x1w1, x2w2) = (x1 * w1, x2 * w2);
        let s = x1w1 + x2w2;
        let n = s + b;
        (x1, w1, b, x1w1, x2w2, s, n, n * n)
    };
    let (x1, w1, b, x1w1, x2w2, s, n, o) = graph();
    o.set_grad(1.0);
    for v in [o, n, s, x2w2, x1w1] {
        v.backward_step();
    }
    let now = |vs: &[Value]| vs.iter().map(|v| v.grad()).collect::<Vec<_>>();
    assert_eq!(
        now(&[n, s, x1w1, x1, w1, b]),
        [-11.0, -11.0, -11.0, 33.0, -22.0, -11.0]
    );
    // Without zeroing, backward() adds to every grad the steps wrote, and the output's
    // own grad becomes 1 (micrograd's `self.grad = 1`).
    o.backward();
    assert_eq!(
        now(&[o, n, s, x1w1, x1, w1, b]),
        [1.0, -22.0, -33.0, -44.0, 165.0, -110.0, -33.0]
    );
    let (x1, _, _, _, _, _, n, o) = graph();
    n.set_grad(0.5);
    o.backward();
    assert_eq!(now(&[n, x1]), [-10.5, 31.5]);
}

#[test]
fn a_hand_grad_above_the_root_waits_for_a_sweep_that_reaches_it() {
    let _s = Tape::scope();
    let x = Value::new(1.5);
    let y = x * 2.0; // interior, below z
    let z = y * y; // interior
    let out = z + 1.0;
    z.set_grad(4.0); // by hand, above y
    y.backward(); // a sweep from y: z is above it, untouched, and stays marked
    assert_eq!(z.grad(), 4.0);
    assert_eq!(x.grad(), 2.0);
    out.backward(); // reaches z: adds dout/dz = 1 to the hand 4
    assert_eq!(z.grad(), 5.0);
    // y: 5 * 2y (y's grad from the first sweep was cleared); x: 2 + 5 * 2y * 2
    assert_eq!(y.grad(), 5.0 * 2.0 * 3.0);
    assert_eq!(x.grad(), 2.0 + 60.0);
}

#[test]
fn stale_adjoints_are_still_cleared_without_hand_grads() {
    let _s = Tape::scope();
    let m = neuron();
    m.o.backward();
    let first = m.n.grad();
    m.o.backward();
    assert_eq!(m.n.grad(), first, "interior: the latest sweep's");
    assert!(
        (m.leaves[0].grad() - 2.0 * -1.5).abs() < 1e-12,
        "leaves accumulate"
    );
}

#[test]
fn a_zero_grad_step_adds_nothing_even_where_the_derivative_is_infinite() {
    let _s = Tape::scope();
    let x = Value::new(0.0);
    let y = x.sqrt(); // dy/dx = inf at 0
    y.backward_step(); // grad 0: nothing added (0 * inf would be NaN)
    assert_eq!(x.grad(), 0.0);
    y.set_grad(2.0);
    y.backward_step();
    assert_eq!(x.grad(), f64::INFINITY);
    // A leaf has no operands: a step does nothing.
    x.backward_step();
    assert_eq!(x.grad(), f64::INFINITY);
}

#[test]
fn a_released_value_panics_in_backward_step() {
    let v = {
        let _s = Tape::scope();
        Value::new(1.0) * 2.0
    };
    let e = std::panic::catch_unwind(|| v.backward_step()).unwrap_err();
    let msg = e.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("use of a released Value"), "{msg}");
}

#[test]
fn a_replay_restarts_recorded_grads_even_when_set_by_hand() {
    use micrograd::engine::Recording;
    let _s = Tape::scope();
    let w = Value::new(0.5);
    let x = Value::new(2.0);
    let mut h = None;
    let rec = Recording::record(|| {
        let hw = w * x;
        h = Some(hw);
        (hw - 3.0).pow(2.0)
    });
    let h = h.unwrap();
    h.set_grad(100.0); // by hand, inside the recording
    rec.replay();
    assert_eq!(h.grad(), 2.0 * (1.0 - 3.0), "as on a fresh graph");
    // The mark was used up: an ordinary backward clears the replay's adjoint as stale.
    rec.output().backward();
    assert_eq!(h.grad(), 2.0 * (1.0 - 3.0));
    assert_eq!(w.grad(), 2.0 * (2.0 * -4.0), "w accumulates: two sweeps");
}

#[test]
fn a_released_nodes_hand_grad_does_not_reach_the_node_made_in_its_place() {
    let x = Value::new(1.0);
    {
        let _s = Tape::scope();
        let y = x * 2.0;
        y.set_grad(7.0); // marked, then released
    }
    let _s = Tape::scope();
    let y = x * 3.0; // the same slot
    let z = y * 1.0;
    z.backward();
    assert_eq!(y.grad(), 1.0);
    z.backward();
    assert_eq!(y.grad(), 1.0, "a stale adjoint, cleared: no mark kept it");
}

/// A compaction (feature `bindings`) moves the mark of a grad set by hand with its node.
#[cfg(feature = "bindings")]
#[test]
fn a_compaction_moves_the_marks_of_hand_grads_with_their_nodes() {
    use micrograd::engine::bindings;
    let _s = Tape::scope();
    let x = Value::new(1.5);
    let freed = x * 2.0;
    let z = x * 3.0;
    z.set_grad(5.0); // by hand
    let (xi, zi) = (x.id(), z.id());
    let c = bindings::compact(|i| i == xi || i == zi);
    assert!(c.renew(freed).is_none());
    let z = c.renew(z).unwrap();
    assert_eq!(z.id(), zi - 1, "moved down into the freed node's place");
    let out = z * 1.0;
    out.backward();
    assert_eq!(z.grad(), 5.0 + 1.0, "the hand grad was kept and added to");
    out.backward();
    assert_eq!(z.grad(), 1.0, "then it is a sweep's, cleared by the next");
}
