//! `engine::bindings` (feature `bindings`): handles as numbers, micrograd's backward, and the
//! mark-compact that frees nodes nothing holds.

use micrograd::data::SeededRng;
use micrograd::engine::bindings::{
    Compaction, backward_ancestors, backward_node, compact, from_raw, into_raw,
};
use micrograd::nn::{MLP, Module};
use micrograd::{Tape, Value};

/// A uniform number in `lo..hi`.
fn uniform(rng: &mut SeededRng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.uniform()
}

/// Keeps exactly the nodes of `keep` (by index) and what they need.
fn compact_keeping(keep: &[Value]) -> Compaction {
    let ids: Vec<usize> = keep.iter().map(|v| v.id()).collect();
    compact(|i| ids.contains(&i))
}

fn moved(c: &Compaction, v: Value) -> Value {
    c.renew(v).expect("a kept node survives")
}

#[test]
fn raw_parts_round_trip() {
    Tape::clear();
    let a = Value::new(1.5);
    let b = from_raw(into_raw(a));
    assert!(a.same_node(b));
    assert_eq!(b.data(), 1.5);
}

#[test]
fn compaction_frees_what_nothing_needs_and_keeps_numbers() {
    Tape::clear();
    let x = Value::new(0.7).with_label("x");
    let y = Value::new(-1.3);
    for k in 0..50 {
        let _garbage = (x * k as f64).tanh() + y;
    }
    let z = ((x * y + 2.0).tanh() * x.exp() + y.pow(2.0) - 1.5 / y).with_label("z");
    let s = Value::sum(&[z, x, y]);
    let d = Value::dot(&[x, y], &[z, s]);
    let root = Value::affine(&[x, y], &[d, z], s).sigmoid();
    for _ in 0..30 {
        let _garbage = x * y;
    }
    root.backward();
    let (want, gx, gy) = (root.data(), x.grad(), y.grad());
    let before = Tape::len();

    let c = compact_keeping(&[x, y, root]);
    assert_eq!(c.len_before(), before);
    assert_eq!(
        c.first_moved(),
        2,
        "x and y stay, the first garbage node goes"
    );
    assert_eq!(Tape::len(), c.len_after());
    assert!(
        Tape::len() < before - 70,
        "{} of {before} nodes left",
        Tape::len()
    );
    // x and y did not move: their handles still work.
    assert_eq!(
        (x.data(), y.data(), x.label().as_deref()),
        (0.7, -1.3, Some("x"))
    );
    // root moved: its old handle is stale, the new one holds the same number and grad.
    assert!(std::panic::catch_unwind(|| root.data()).is_err());
    let root = moved(&c, root);
    assert_eq!(root.data(), want);
    assert_eq!(root.grad(), 1.0);
    // The graph is intact: a new backward gives the same gradients (leaves accumulate).
    x.set_grad(0.0);
    y.set_grad(0.0);
    root.backward();
    assert_eq!((x.grad(), y.grad()), (gx, gy));
    // z's label moved with it.
    let labelled: Vec<_> = root.ancestors().iter().filter_map(|v| v.label()).collect();
    assert_eq!(labelled, ["x", "z"]);
    // New nodes go after the survivors.
    let w = root * 2.0;
    assert_eq!(w.id(), Tape::len() - 1);
    assert_eq!(w.data(), 2.0 * want);
}

#[test]
fn nothing_to_free_changes_nothing() {
    Tape::clear();
    let x = Value::new(2.0);
    let y = x * x;
    let c = compact_keeping(&[y]);
    assert_eq!((c.first_moved(), c.len_after()), (2, 2));
    assert_eq!(y.data(), 4.0, "no new epoch: the old handles stay valid");
}

#[test]
fn a_layer_of_span_neurons_survives_compaction() {
    Tape::clear();
    let model = MLP::new(3, &[8, 8, 1]);
    for _ in 0..100 {
        let _garbage = Value::new(1.0) + 1.0;
    }
    let x = Value::leaves(&[0.3, -0.8, 1.1]);
    let out = model.forward(&x)[0];
    for _ in 0..100 {
        let _garbage = Value::new(1.0) + 1.0;
    }
    let want = out.data();
    out.backward();
    let grads: Vec<f64> = model.parameters().iter().map(|p| p.grad()).collect();
    let gx: Vec<f64> = x.iter().map(|v| v.grad()).collect();

    let mut keep = model.parameters();
    keep.push(out);
    keep.extend(&x);
    let c = compact_keeping(&keep);
    assert_eq!(c.first_moved(), model.parameters().len());
    let out = moved(&c, out);
    let x: Vec<Value> = x.iter().map(|&v| moved(&c, v)).collect();
    assert_eq!(out.data(), want);
    model.zero_grad();
    for v in &x {
        v.set_grad(0.0);
    }
    out.backward();
    let again: Vec<f64> = model.parameters().iter().map(|p| p.grad()).collect();
    assert_eq!(again, grads);
    assert_eq!(x.iter().map(|v| v.grad()).collect::<Vec<_>>(), gx);
    // The parameters did not move, so the model keeps working, bit for bit.
    assert_eq!(model.forward(&x)[0].data(), want);
}

#[test]
fn stale_marks_and_compaction_agree() {
    Tape::clear();
    let p = Value::new(1.0);
    let mark = Tape::mark();
    let a = p * 3.0;
    let _garbage = a + 1.0;
    let b = a.exp();
    let c = compact_keeping(&[b]);
    assert_eq!(c.first_moved(), 2);
    let b = moved(&c, b);
    // A mark from before the compaction: truncating to it releases what was made since.
    Tape::truncate(mark);
    assert_eq!(Tape::len(), 1);
    assert!(std::panic::catch_unwind(|| b.data()).is_err());
    assert_eq!((p * 2.0).data(), 2.0);
}

#[test]
fn micrograd_backward_sets_the_root_and_pushes_interior_grads_again() {
    Tape::clear();
    let a = Value::new(3.0);
    let b = a * Value::new(2.0); // interior
    let c = b * b;
    let unrelated = a * 5.0;
    unrelated.set_grad(7.0);
    backward_ancestors(c);
    // dc/db = 2b = 12, dc/da = 12 * 2 = 24.
    assert_eq!((c.grad(), b.grad(), a.grad()), (1.0, 12.0, 24.0));
    assert_eq!(unrelated.grad(), 7.0, "not an ancestor: untouched");
    // micrograd's second backward: c.grad = 1 again, b.grad += 12 -> 24, and b pushes 24 * 2
    // into a (24 + 48 = 72).
    backward_ancestors(c);
    assert_eq!((c.grad(), b.grad(), a.grad()), (1.0, 24.0, 72.0));
}

#[test]
fn backward_node_is_one_step_of_the_lecture() {
    Tape::clear();
    let x1 = Value::new(2.0);
    let x2 = Value::new(0.0);
    let w1 = Value::new(-3.0);
    let w2 = Value::new(1.0);
    let b = Value::new(6.881_373_587_019_543);
    let x1w1 = x1 * w1;
    let x2w2 = x2 * w2;
    let sum = x1w1 + x2w2;
    let n = sum + b;
    let o = n.tanh();
    o.set_grad(1.0);
    for v in [o, n, b, sum, x2w2, x1w1] {
        backward_node(v);
    }
    let manual = [x1.grad(), x2.grad(), w1.grad(), w2.grad(), b.grad()];
    for v in [x1, x2, w1, w2, b] {
        v.set_grad(0.0);
    }
    o.backward();
    assert_eq!(
        manual,
        [x1.grad(), x2.grad(), w1.grad(), w2.grad(), b.grad()]
    );
    assert!((x1.grad() + 1.5).abs() < 1e-12);
}

/// Random graphs of every operation, random sets of kept nodes: after compaction, every
/// kept node has its number, grad and label, and backward from it gives the leaves the same
/// gradients as before.
#[test]
fn random_graphs_survive_compaction() {
    let mut rng = SeededRng::new(7);
    for round in 0..60 {
        Tape::clear();
        let leaves: Vec<Value> = (0..4)
            .map(|_| Value::new(uniform(&mut rng, 0.2, 1.5)))
            .collect();
        let mut pool = leaves.clone();
        let steps = 5 + rng.below(75);
        for _ in 0..steps {
            let a = pool[rng.below(pool.len())];
            let b = pool[rng.below(pool.len())];
            let v = match rng.below(9) {
                0 => a + b,
                1 => a * b,
                2 => (a * 0.5).tanh(),
                3 => a * uniform(&mut rng, -2.0, 2.0) + 0.25,
                4 => Value::sum(&[a, b, a]),
                5 => Value::dot(&[a, b], &[b, a]),
                6 => Value::affine(&[a], &[b], a),
                7 => a.sigmoid().with_label(format!("s{round}")),
                _ => Value::new(uniform(&mut rng, -1.0, 1.0)),
            };
            pool.push(v);
        }
        // Keep a few of the values, and always the leaves.
        let mut keep = leaves.clone();
        for v in &pool[leaves.len()..] {
            if rng.below(5) == 0 {
                keep.push(*v);
            }
        }
        // Per kept node: its data, its label, and the leaves' grads of a backward from it.
        let expect: Vec<(f64, Option<String>, Vec<f64>)> = keep
            .iter()
            .map(|&v| {
                for l in &leaves {
                    l.set_grad(0.0);
                }
                v.backward();
                (
                    v.data(),
                    v.label(),
                    leaves.iter().map(|l| l.grad()).collect(),
                )
            })
            .collect();
        let c = compact_keeping(&keep);
        assert!(c.len_after() <= c.len_before());
        let leaves: Vec<Value> = leaves.iter().map(|&l| moved(&c, l)).collect();
        for (k, (&v, (data, label, grads))) in keep.iter().zip(&expect).enumerate() {
            let v = moved(&c, v);
            assert_eq!(v.data(), *data, "round {round}, kept {k}");
            assert_eq!(v.label(), *label);
            for l in &leaves {
                l.set_grad(0.0);
            }
            v.backward();
            let got: Vec<f64> = leaves.iter().map(|l| l.grad()).collect();
            assert_eq!(&got, grads, "round {round}, kept {k}");
        }
        // The compacted tape holds no node that nothing needs.
        let mut needed = std::collections::HashSet::new();
        for &v in &keep {
            for a in moved(&c, v).ancestors() {
                needed.insert(a.id());
            }
        }
        assert_eq!(needed.len(), Tape::len(), "round {round}");
    }
}

#[test]
fn a_million_deep_chain_compacts_and_back_propagates() {
    Tape::clear();
    let x = Value::new(0.5);
    let mut y = x;
    for k in 0..1_000_000 {
        y = y * 0.999_999 + 1e-7;
        if k % 250_000 == 0 {
            let _garbage = y * 2.0;
        }
    }
    let c = compact_keeping(&[x, y]);
    let y = moved(&c, y);
    assert_eq!(Tape::len(), 2_000_001, "the chain, and none of the garbage");
    backward_ancestors(y);
    assert!((x.grad() - 0.999_999f64.powi(1_000_000)).abs() < 1e-9);
}

/// A layer whose neurons share one input list: keeping the first and third outputs frees the
/// second and fourth neurons' nodes, so the third moves while the first stays (their input
/// list is written again for the moved one).
#[test]
fn a_partly_freed_layer_keeps_its_shared_inputs() {
    use micrograd::nn::{Activation, Layer};
    use rand_chacha::ChaCha8Rng;
    use rand_chacha::rand_core::SeedableRng;
    Tape::clear();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let layer = Layer::new(3, 4, Activation::Tanh, &mut rng);
    let x = Value::leaves(&[0.5, -1.5, 2.0]);
    let out = layer.forward(&x);
    let want: Vec<f64> = out.iter().map(|v| v.data()).collect();
    let grads = |v: Value| {
        for p in layer.parameters().iter().chain(&x) {
            p.set_grad(0.0);
        }
        v.backward();
        layer
            .parameters()
            .iter()
            .chain(&x)
            .map(|p| p.grad())
            .collect::<Vec<f64>>()
    };
    let (g0, g2) = (grads(out[0]), grads(out[2]));
    // Kept as the Python package keeps them: the parameters and inputs have objects too.
    let mut keep = layer.parameters();
    keep.extend(&x);
    keep.extend([out[0], out[2]]);
    let c = compact_keeping(&keep);
    assert_eq!(
        c.first_moved(),
        out[0].id() + 1,
        "the first neuron did not move"
    );
    let (o0, o2) = (moved(&c, out[0]), moved(&c, out[2]));
    assert!(o0.same_node(out[0]));
    assert_eq!((o0.data(), o2.data()), (want[0], want[2]));
    assert_eq!((grads(o0), grads(o2)), (g0, g2));
    assert_eq!(
        Tape::len(),
        c.len_before() - 4,
        "the second and fourth neurons' nodes went"
    );
}

/// A number that no handle of this tape can have gives a released handle, refused on use
/// with the usual error: an index past the end in the current epoch, or a later epoch.
#[test]
fn from_raw_refuses_numbers_no_handle_has() {
    let a = Value::new(2.0);
    let b = a * 3.0;
    assert_eq!(from_raw(into_raw(b)).data(), 6.0);
    let past_end = into_raw(b) + 1_000;
    let later_epoch = into_raw(b) + (1u64 << 32);
    for raw in [past_end, later_epoch] {
        let caught = std::panic::catch_unwind(|| from_raw(raw).data());
        let msg = caught.expect_err("refused");
        let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("use of a released Value"), "{raw:#x}: {msg}");
    }
    // The tape is unharmed.
    let c = a * b;
    c.backward();
    assert_eq!((c.data(), a.grad()), (12.0, 12.0));
}
