//! The engine against the lecture's and micrograd's own numbers, and its memory rules.

use micrograd::engine::{Op, gradcheck};
use micrograd::{Tape, Value};

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-12 + 1e-9 * want.abs()
}

macro_rules! assert_close {
    ($got:expr, $want:expr) => {{
        let (g, w) = ($got, $want);
        assert!(close(g, w), "{} = {g}, want {w}", stringify!($got));
    }};
}

#[test]
fn lecture_neuron() {
    let x1 = Value::new(2.0).with_label("x1");
    let w1 = Value::new(-3.0).with_label("w1");
    let x2 = Value::new(0.0).with_label("x2");
    let w2 = Value::new(1.0).with_label("w2");
    let b = Value::new(6.881_373_587_019_443).with_label("b");
    let n = x1 * w1 + x2 * w2 + b;
    let o = n.tanh().with_label("o");
    o.backward();
    // PyTorch float64 (tests/data/pytorch_goldens.json, case seed_neuron)
    assert_close!(o.data(), 0.707_106_781_186_497_4);
    assert_close!(x1.grad(), -1.500_000_000_000_212_7);
    assert_close!(w1.grad(), 1.000_000_000_000_141_9);
    assert_close!(x2.grad(), 0.500_000_000_000_070_9);
    assert_close!(w2.grad(), 0.0);
    assert_close!(b.grad(), 0.500_000_000_000_070_9);
    assert_eq!(o.label().as_deref(), Some("o"));
    assert_eq!(n.label(), None);
}

#[test]
fn lecture_neuron_with_exp() {
    // tanh written out as (e^2n - 1) / (e^2n + 1), as the lecture does next
    let x1 = Value::new(2.0);
    let w1 = Value::new(-3.0);
    let x2 = Value::new(0.0);
    let w2 = Value::new(1.0);
    let b = Value::new(6.881_373_587_019_443);
    let n = x1 * w1 + x2 * w2 + b;
    let e = (2.0 * n).exp();
    let o = (e - 1.0) / (e + 1.0);
    o.backward();
    assert_close!(o.data(), 0.707_106_781_186_497_4);
    assert_close!(x1.grad(), -1.500_000_000_000_213_2);
    assert_close!(w1.grad(), 1.000_000_000_000_142);
}

#[test]
fn micrograd_sanity_check() {
    // micrograd's test_engine.py::test_sanity_check
    let x = Value::new(-4.0);
    let z = 2.0 * x + 2.0 + x;
    let q = z.relu() + z * x;
    let h = (z * z).relu();
    let y = h + q + q * x;
    y.backward();
    assert_eq!(y.data(), -20.0);
    assert_eq!(x.grad(), 46.0);
}

#[test]
#[allow(clippy::misrefactored_assign_op)] // written as micrograd's README writes it
fn micrograd_more_ops_readme_example() {
    // micrograd's README example and test_engine.py::test_more_ops
    let a = Value::new(-4.0);
    let b = Value::new(2.0);
    let mut c = a + b;
    let mut d = a * b + b.pow(3.0);
    c += c + 1.0;
    c += 1.0 + c + (-a);
    d += d * 2.0 + (b + a).relu();
    d += 3.0 * d + (b - a).relu();
    let e = c - d;
    let f = e.pow(2.0);
    let mut g = f / 2.0;
    g += 10.0 / f;
    g.backward();
    assert_close!(g.data(), 24.704_081_632_653_06);
    assert_close!(a.grad(), 138.833_819_241_982_52);
    assert_close!(b.grad(), 645.577_259_475_218_6);
    assert_eq!(format!("{g:.4}"), "Value(data=24.7041, grad=1.0000)");
    assert_eq!(format!("{:.4}", a.grad()), "138.8338");
    assert_eq!(format!("{:.4}", b.grad()), "645.5773");
}

#[test]
fn node_used_twice_accumulates() {
    let a = Value::new(3.0);
    let b = a + a;
    b.backward();
    assert_eq!(a.grad(), 2.0);

    let a = Value::new(-2.0);
    let bb = Value::new(3.0);
    let f = (a * bb) * (a + bb);
    f.backward();
    assert_eq!((f.data(), a.grad(), bb.grad()), (-6.0, -3.0, -8.0));
}

#[test]
fn leaf_grads_accumulate_across_backward_until_zeroed() {
    let x = Value::new(1.5);
    let y = x * x; // dy/dx = 3
    y.backward();
    y.backward();
    assert_eq!(x.grad(), 6.0);
    // an interior node holds d root / d node of the latest sweep, so a second sweep through it
    // does not propagate the first one's adjoint again
    let z = (x * 2.0).tanh();
    x.set_grad(0.0);
    z.backward();
    let once = x.grad();
    z.backward();
    assert_close!(x.grad(), 2.0 * once);
    x.set_grad(0.0);
    assert_eq!(x.grad(), 0.0);
}

#[test]
fn constants_on_either_side() {
    let o = Value::new(0.5);
    let y = (o - 1.0) / 2.0 + 10.0 / o;
    y.backward();
    assert_eq!(y.data(), (0.5 - 1.0) / 2.0 + 10.0 / 0.5);
    assert_close!(o.grad(), 0.5 - 10.0 / 0.25);
    let x = Value::new(3.0);
    let z = 2.0 - x * 4.0 + (x - 1.0) * 5.0;
    z.backward();
    assert_eq!((z.data(), x.grad()), (2.0 - 12.0 + 10.0, 1.0));
    // a constant is folded into its op, not a node
    let n = (x * 2.0).node();
    assert_eq!(n.op, Op::MulConst);
    assert_eq!(n.constant, Some(2.0));
    assert_eq!(n.inputs.len(), 1);
}

#[test]
fn every_unary_op_matches_finite_differences() {
    type F = fn(&[Value]) -> Value;
    let fs: Vec<(&str, F)> = vec![
        ("exp", |x| x[0].exp()),
        ("log", |x| x[0].log()),
        ("tanh", |x| x[0].tanh()),
        ("relu", |x| x[0].relu()),
        ("sigmoid", |x| x[0].sigmoid()),
        ("neg", |x| -x[0]),
        ("pow const", |x| x[0].pow(2.5)),
        ("pow value", |x| x[0].pow(x[1])),
        ("const pow", |x| Value::pow_base(2.0, x[0] * x[1])),
        ("div", |x| x[0] / x[1]),
        ("const div", |x| 3.0 / x[1]),
        ("sum", |x| Value::sum(&[x[0], x[1], x[0]])),
        ("dot", |x| Value::dot(&[x[0], x[1]], &[x[1], x[1]])),
    ];
    for (name, f) in fs {
        for c in gradcheck(f, &[0.7, 1.3], 1e-6) {
            assert!(c.error() < 1e-7, "{name}: {c:?}");
        }
    }
}

#[test]
fn relu_derivative_at_zero_is_zero() {
    let x = Value::new(0.0);
    let y = x.relu();
    y.backward();
    assert_eq!((y.data(), x.grad()), (0.0, 0.0));
}

#[test]
fn pow_with_value_exponent() {
    // d/db a^b = a^b ln a (PyTorch case power_of_value)
    let a = Value::new(1.7);
    let b = Value::new(-0.6);
    let y = a.pow(b);
    y.backward();
    assert_close!(y.data(), 0.727_328_569_766_493_8);
    assert_close!(a.grad(), -0.256_704_201_094_056_6);
    assert_close!(b.grad(), 0.385_941_086_922_744_4);
}

#[test]
fn debug_prints_like_micrograd() {
    let x = Value::new(2.0);
    let y = x * -0.75;
    y.backward();
    assert_eq!(format!("{x:?}"), "Value(data=2.0, grad=-0.75)");
    assert_eq!(format!("{y:?}"), "Value(data=-1.5, grad=1.0)");
}

#[test]
fn ancestors_are_topological_and_unique() {
    let a = Value::new(1.0);
    let b = Value::new(2.0);
    let c = a * b;
    let d = c + a;
    let e = d * c;
    let order = e.ancestors();
    assert_eq!(order.len(), 5);
    let pos = |v: Value| order.iter().position(|o| o.same_node(v)).unwrap();
    assert!(pos(a) < pos(c) && pos(b) < pos(c) && pos(c) < pos(d) && pos(d) < pos(e));
    assert_eq!(pos(e), 4);
    let n = e.node();
    assert_eq!(n.op, Op::Mul);
    assert!(n.inputs[0].same_node(d) && n.inputs[1].same_node(c));
}

#[test]
fn scope_releases_a_step_and_keeps_parameters() {
    Tape::clear();
    let w = Value::new(0.5);
    let b = Value::new(0.0);
    for _ in 0..1000 {
        let _step = Tape::scope();
        let loss = (w * 3.0 + b - 1.0).pow(2.0) + (w * -1.0 + b - 2.0).pow(2.0);
        w.set_grad(0.0);
        b.set_grad(0.0);
        loss.backward();
        w.set_data(w.data() - 0.05 * w.grad());
        b.set_data(b.data() - 0.05 * b.grad());
    }
    assert_eq!(Tape::len(), 2);
    // least squares through (3, 1) and (-1, 2): w = -1/4, b = 7/4
    assert!((w.data() + 0.25).abs() < 1e-9, "{}", w.data());
    assert!((b.data() - 1.75).abs() < 1e-9, "{}", b.data());
    let cap = Tape::capacity_bytes();
    for _ in 0..100 {
        let _step = Tape::scope();
        let _ = (w * 3.0 + b).tanh();
    }
    assert_eq!(
        Tape::capacity_bytes(),
        cap,
        "a step reuses the tape's memory"
    );
}

#[test]
#[should_panic(expected = "use of a released Value")]
fn a_released_handle_is_caught() {
    let w = Value::new(1.0);
    let kept = {
        let _step = Tape::scope();
        w * 2.0
    };
    // the slot of `kept` is now reused by a new node: reading it must not give that number
    let _other = w + 100.0;
    let _ = kept.data();
}

#[test]
#[should_panic(expected = "use of a released Value")]
fn a_handle_from_an_older_scope_is_caught_after_reuse() {
    let w = Value::new(1.0);
    let mut old = None;
    for k in 0..3 {
        let _step = Tape::scope();
        let y = w * k as f64;
        if k == 0 {
            old = Some(y);
        }
    }
    let _ = old.unwrap() + w;
}

#[test]
fn handles_below_a_scope_stay_valid_across_many_scopes() {
    let p = Value::new(2.0);
    for _ in 0..50 {
        let _outer = Tape::scope();
        let h = p * 3.0; // made in the outer scope
        for _ in 0..3 {
            let _inner = Tape::scope();
            let z = h + p; // h stays valid in inner scopes
            assert_eq!(z.data(), 8.0);
        }
        assert_eq!(h.data(), 6.0);
    }
    assert_eq!(p.data(), 2.0);
}

#[test]
fn a_long_chain_needs_no_recursion() {
    let _s = Tape::scope();
    let x0 = Value::new(0.0);
    let mut x = x0;
    for _ in 0..1_000_000 {
        x += 1.0;
    }
    x.backward();
    assert_eq!(x.data(), 1e6);
    assert_eq!(x0.grad(), 1.0);
}

#[test]
fn threads_have_their_own_tapes() {
    let here = Value::new(1.0);
    let there = std::thread::spawn(|| {
        let v = Value::new(41.0) + 1.0;
        v.data()
    })
    .join()
    .unwrap();
    assert_eq!(there, 42.0);
    assert_eq!(here.data(), 1.0);
}

#[test]
fn powers_at_zero_follow_pytorch() {
    // PyTorch: d/dx x**0 = 0 (also at x = 0), d/dx 0**x = 0 for x >= 0, d/da a**b at b = 0 is 0
    let x = Value::new(0.0);
    let y = x.pow(0.0);
    y.backward();
    assert_eq!((y.data(), x.grad()), (1.0, 0.0));
    let x = Value::new(0.0);
    let y = Value::pow_base(0.0, x);
    y.backward();
    assert_eq!((y.data(), x.grad()), (1.0, 0.0));
    let x = Value::new(0.0);
    let y = x.pow(x);
    y.backward();
    assert_eq!((y.data(), x.grad()), (1.0, 0.0));
    let x = Value::new(2.0);
    let y = Value::pow_base(0.0, x);
    y.backward();
    assert_eq!((y.data(), x.grad()), (0.0, 0.0));
}

#[test]
fn relu_keeps_nan() {
    let x = Value::new(f64::NAN);
    let y = x.relu();
    y.backward();
    assert!(y.data().is_nan());
    assert_eq!(x.grad(), 0.0);
}

/// The one documented difference from PyTorch (README, "Exactness"): a node whose gradient is
/// exactly 0 is skipped by the backward sweep, so an infinite local derivative behind it
/// gives 0, where PyTorch computes 0 x inf = NaN. Elsewhere NaN and infinities are PyTorch's.
#[test]
fn zero_gradients_are_not_multiplied_by_infinite_derivatives() {
    let at_zero = |f: &dyn Fn(Value) -> Value| {
        let _s = Tape::scope();
        let x = Value::new(0.0);
        let y = f(x);
        y.backward();
        (y.data(), x.grad())
    };
    // PyTorch 2.15 (float64): (0.0, nan); here the gradient is 0.
    assert_eq!(at_zero(&|x| 0.0 * x.pow(0.5)), (0.0, 0.0));
    // PyTorch: (0.0, nan); here 0 (relu's output, the other factor, is 0).
    assert_eq!(at_zero(&|x| (x - 1.0).relu() * x.sqrt()), (0.0, 0.0));
    // Where the gradient reaching the node is not 0, the same as PyTorch: (0.0, inf).
    assert_eq!(at_zero(&|x| x.sqrt()), (0.0, f64::INFINITY));
    // NaN flows as in PyTorch: log(0) * 0 is NaN in the value; d/dx through `+ x` is 1 (PyTorch
    // says nan: 0 * inf again, the documented case).
    let (v, g) = at_zero(&|x| x.log() * 0.0 + x);
    assert!(v.is_nan());
    assert_eq!(g, 1.0);
}
