//! The neural-net library: modules, losses, optimizers and schedules, against numbers
//! computed by hand (or by the formula in Python, quoted beside them).

use micrograd::engine::gradcheck;
use micrograd::nn::optim::{Adam, Momentum, Optimizer, OptimizerKind, Schedule, Sgd};
use micrograd::nn::{Activation, LayerSpec, MLP, MlpSpec, Module, loss};
use micrograd::{Tape, Value};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * 1f64.max(a.abs()).max(b.abs())
}

macro_rules! assert_close {
    ($a:expr, $b:expr) => {
        assert_close!($a, $b, 1e-12)
    };
    ($a:expr, $b:expr, $tol:expr) => {{
        let (a, b): (f64, f64) = ($a, $b);
        assert!(
            close(a, b, $tol),
            "{} = {a:?}, expected {b:?}",
            stringify!($a)
        );
    }};
}

// ---------------------------------------------------------------- modules

#[test]
fn display_is_micrograds_repr() {
    let m = MLP::new(2, &[2, 1]);
    assert_eq!(
        m.to_string(),
        "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]"
    );
    assert_eq!(
        m.layers()[0].to_string(),
        "Layer of [ReLUNeuron(2), ReLUNeuron(2)]"
    );
    assert_eq!(m.layers()[1].neurons()[0].to_string(), "LinearNeuron(2)");
    let big = MLP::new(2, &[16, 16, 1]);
    let expected = format!(
        "MLP of [Layer of [{}], Layer of [{}], Layer of [LinearNeuron(16)]]",
        vec!["ReLUNeuron(2)"; 16].join(", "),
        vec!["ReLUNeuron(16)"; 16].join(", ")
    );
    assert_eq!(big.to_string(), expected);
    let lecture = MLP::init(&MlpSpec::all(3, &[4, 4, 1], Activation::Tanh), 1);
    assert_eq!(
        lecture.to_string(),
        "MLP of [Layer of [TanhNeuron(3), TanhNeuron(3), TanhNeuron(3), TanhNeuron(3)], \
         Layer of [TanhNeuron(4), TanhNeuron(4), TanhNeuron(4), TanhNeuron(4)], \
         Layer of [TanhNeuron(4)]]"
    );
    let sig = MLP::with_activation(1, &[1, 1], Activation::Sigmoid, 0);
    assert_eq!(
        sig.to_string(),
        "MLP of [Layer of [SigmoidNeuron(1)], Layer of [LinearNeuron(1)]]"
    );
}

#[test]
fn parameters_count_order_and_init() {
    let m = MLP::new(2, &[16, 16, 1]);
    let p = m.parameters();
    assert_eq!(p.len(), 337);
    assert_eq!(m.num_parameters(), 337);
    assert_eq!(m.spec().num_parameters(), 337);
    // Neuron by neuron: nin weights, then the bias (0 at init, as micrograd's nn.py).
    let w = m.weights();
    for (i, &x) in w.iter().enumerate() {
        let in_layer0 = i < 48;
        let is_bias = if in_layer0 {
            i % 3 == 2
        } else if i < 48 + 272 {
            (i - 48) % 17 == 16
        } else {
            i == 336
        };
        if is_bias {
            assert_eq!(x, 0.0, "parameter {i}");
        } else {
            assert!((-1.0..1.0).contains(&x) && x != 0.0, "parameter {i} = {x}");
        }
    }
    assert!(m.layers()[0].neurons()[0].weights()[0].same_node(p[0]));
    assert!(m.layers()[0].neurons()[0].bias().same_node(p[2]));
    // Reproducible: same seed, same numbers; another seed, other numbers.
    assert_eq!(MLP::new(2, &[16, 16, 1]).weights(), w);
    assert_eq!(
        MLP::with_activation(2, &[16, 16, 1], Activation::Relu, MLP::DEFAULT_SEED).weights(),
        w
    );
    assert_ne!(
        MLP::with_activation(2, &[16, 16, 1], Activation::Relu, 7).weights(),
        w
    );
    // Pinned: ChaCha8Rng::seed_from_u64(1337), 53 bits per number, 2u - 1.
    assert_eq!(&w[..3], &FIRST_WEIGHTS_SEED_1337[..]);
}

const FIRST_WEIGHTS_SEED_1337: [f64; 3] = [0.3399156676461328, 0.11162656844488295, 0.0];

#[test]
fn spec_and_activations() {
    let m = MLP::with_activation(3, &[4, 2], Activation::Tanh, 5);
    let spec = m.spec();
    assert_eq!(
        spec,
        MlpSpec {
            nin: 3,
            layers: vec![
                LayerSpec {
                    nout: 4,
                    activation: Activation::Tanh
                },
                LayerSpec {
                    nout: 2,
                    activation: Activation::Linear
                },
            ],
        }
    );
    assert_eq!(spec.nout(), 2);
    assert_eq!((m.nin(), m.nout()), (3, 2));
    for a in Activation::ALL {
        assert_eq!(a.to_string().parse::<Activation>(), Ok(a));
    }
    assert_eq!("ReLU".parse::<Activation>(), Ok(Activation::Relu));
    let err = "gelu".parse::<Activation>().unwrap_err();
    assert_eq!(
        err,
        micrograd::nn::UnknownName {
            kind: micrograd::nn::NameKind::Activation,
            given: "gelu".into(),
            expected: vec!["relu", "tanh", "sigmoid", "linear"],
        }
    );
    assert_eq!(
        err.to_string(),
        "unknown activation `gelu` (expected one of: relu, tanh, sigmoid, linear)"
    );
    assert!(MlpSpec::new(0, &[1], Activation::Relu).validate().is_err());
    assert!(MlpSpec::new(2, &[], Activation::Relu).validate().is_err());
    let e = MlpSpec::new(2, &[3, 0, 1], Activation::Relu)
        .validate()
        .unwrap_err();
    assert_eq!(e.to_string(), "invalid architecture: layer 1 has 0 neurons");
}

#[test]
fn neuron_forward_by_hand() {
    let spec = MlpSpec::new(2, &[1], Activation::Relu); // one linear neuron
    let m = MLP::from_spec(&spec, &[2.0, -3.0, 0.5]).unwrap();
    assert_eq!(m.forward_f64(&[1.0, 1.0]), vec![2.0 - 3.0 + 0.5]);
    let spec = MlpSpec::all(2, &[1], Activation::Relu);
    let m = MLP::from_spec(&spec, &[2.0, -3.0, 0.5]).unwrap();
    assert_eq!(m.forward_f64(&[1.0, 1.0]), vec![0.0]);
    assert_eq!(m.forward_f64(&[2.0, 1.0]), vec![1.5]);
    let spec = MlpSpec::all(2, &[1], Activation::Tanh);
    let m = MLP::from_spec(&spec, &[2.0, -3.0, 0.5]).unwrap();
    assert_eq!(m.forward_f64(&[0.5, 0.5]), vec![0.0f64.tanh()]);
    assert_eq!(m.forward_f64(&[1.0, 0.0]), vec![2.5f64.tanh()]);
    let spec = MlpSpec::all(2, &[1], Activation::Sigmoid);
    let m = MLP::from_spec(&spec, &[2.0, -3.0, 0.5]).unwrap();
    assert_close!(m.forward_f64(&[1.0, 0.0])[0], 1.0 / (1.0 + (-2.5f64).exp()));
}

#[test]
fn forward_f64_leaves_no_node_and_matches_forward() {
    let m = MLP::new(3, &[5, 4, 2]);
    let before = Tape::len();
    let x = [0.3, -1.2, 2.5];
    let y = m.forward_f64(&x);
    assert_eq!(Tape::len(), before);
    let _s = Tape::scope();
    let yv: Vec<f64> = m
        .forward(&Value::leaves(&x))
        .iter()
        .map(|v| v.data())
        .collect();
    assert_eq!(y, yv);
}

#[test]
fn weights_round_trip_and_from_spec() {
    let m = MLP::new(2, &[3, 1]);
    let w: Vec<f64> = (0..13).map(|i| i as f64 * 0.1 - 0.6).collect();
    m.set_weights(&w);
    assert_eq!(m.weights(), w);
    let copy = MLP::from_spec(&m.spec(), &w).unwrap();
    assert_eq!(copy.forward_f64(&[0.7, -0.2]), m.forward_f64(&[0.7, -0.2]));
    let e = MLP::from_spec(&m.spec(), &w[..12]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "wrong number of weights: the architecture has 13 parameters but 12 weights were given"
    );
    // On another thread (its own tape), from the spec and the weights.
    let spec = m.spec();
    let y = std::thread::spawn(move || {
        let m = MLP::from_spec(&spec, &w).unwrap();
        m.forward_f64(&[0.7, -0.2])
    })
    .join()
    .unwrap();
    assert_eq!(y, m.forward_f64(&[0.7, -0.2]));
}

#[test]
fn grads_and_set_grads() {
    let m = MLP::new(2, &[3, 1]);
    let g: Vec<f64> = (0..13).map(|i| i as f64).collect();
    m.set_grads(&g);
    assert_eq!(m.grads(), g);
    m.zero_grad();
    assert_eq!(m.grads(), vec![0.0; 13]);
    let p = loss::softmax(&[1.0, 2.0, 3.0]);
    assert_close!(p[0], 0.09003057317038046);
    assert_close!(p[2], 0.6652409557748219);
    assert_close!(p.iter().sum::<f64>(), 1.0);
}

#[test]
#[should_panic(expected = "MLP::set_weights was given 2 weights for 13 parameters")]
fn set_weights_wrong_length_panics() {
    MLP::new(2, &[3, 1]).set_weights(&[1.0, 2.0]);
}

#[test]
#[should_panic(expected = "an MLP of 2 inputs was given 3 inputs")]
fn forward_wrong_width_panics() {
    MLP::new(2, &[3, 1]).forward_f64(&[1.0, 2.0, 3.0]);
}

#[test]
fn zero_grad_zeroes_every_parameter() {
    let m = MLP::new(2, &[3, 1]);
    let _s = Tape::scope();
    let y = m.forward(&Value::leaves(&[1.0, -1.0]))[0];
    let l = loss::l2(&m.parameters(), 1.0) + y;
    l.backward();
    assert!(m.parameters().iter().any(|p| p.grad() != 0.0));
    m.zero_grad();
    assert!(m.parameters().iter().all(|p| p.grad() == 0.0));
}

// ---------------------------------------------------------------- gradients of whole models

/// The gradient of `loss(model(x))` with respect to every parameter, against central
/// differences (the parameters are the gradcheck's inputs).
fn check_model_gradients(spec: &MlpSpec, seed: u64, f: impl Fn(&MLP) -> Value) {
    // Biases start at 0; move every parameter off the init so that no ReLU input sits
    // exactly at its kink (where the two one-sided derivatives differ).
    let point: Vec<f64> = MLP::init(spec, seed)
        .weights()
        .iter()
        .enumerate()
        .map(|(i, w)| w + 0.05 * ((i * 7919) % 13) as f64 - 0.3)
        .collect();
    let checks = gradcheck(|ps| f(&MLP::from_values(spec, ps).unwrap()), &point, 1e-6);
    assert_eq!(checks.len(), spec.num_parameters());
    let worst = checks.iter().map(|c| c.error()).fold(0.0, f64::max);
    assert!(worst < 1e-6, "worst relative error {worst}: {checks:?}");
    assert!(checks.iter().any(|c| c.analytic.abs() > 1e-3));
}

const XS: [[f64; 3]; 4] = [
    [2.0, 3.0, -1.0],
    [3.0, -1.0, 0.5],
    [0.5, 1.0, 1.0],
    [1.0, 1.0, -1.0],
];

#[test]
fn mlp_mse_gradients_match_finite_differences() {
    // The lecture: MLP(3, [4, 4, 1]), all tanh, four examples, squared error.
    let spec = MlpSpec::all(3, &[4, 4, 1], Activation::Tanh);
    check_model_gradients(&spec, 42, |m| {
        let pred: Vec<Value> = XS.iter().map(|x| m.forward(&Value::leaves(x))[0]).collect();
        loss::mse(&pred, &[1.0, -1.0, -1.0, 1.0])
    });
}

#[test]
fn mlp_svm_l2_gradients_match_finite_differences() {
    let spec = MlpSpec::new(3, &[6, 5, 1], Activation::Relu);
    check_model_gradients(&spec, 3, |m| {
        let s: Vec<Value> = XS.iter().map(|x| m.forward(&Value::leaves(x))[0]).collect();
        loss::svm(&s, &[1.0, -1.0, -1.0, 1.0]) + loss::l2(&m.parameters(), 1e-2)
    });
}

#[test]
fn mlp_bce_and_softmax_gradients_match_finite_differences() {
    let spec = MlpSpec::new(3, &[5, 1], Activation::Sigmoid);
    check_model_gradients(&spec, 11, |m| {
        let z: Vec<Value> = XS.iter().map(|x| m.forward(&Value::leaves(x))[0]).collect();
        loss::bce_with_logits(&z, &[1.0, 0.0, 0.0, 1.0])
    });
    let spec = MlpSpec::new(3, &[5, 3], Activation::Tanh);
    check_model_gradients(&spec, 12, |m| {
        let z: Vec<Vec<Value>> = XS.iter().map(|x| m.forward(&Value::leaves(x))).collect();
        loss::softmax_cross_entropy(&z, &[0, 2, 1, 2])
    });
}

// ---------------------------------------------------------------- losses

#[test]
fn mse_by_hand() {
    let _s = Tape::scope();
    let p = Value::leaves(&[0.5, -1.0, 2.0]);
    let l = loss::mse(&p, &[1.0, 1.0, 2.0]);
    l.backward();
    assert_close!(l.data(), (0.25 + 4.0 + 0.0) / 3.0);
    // d/dp = 2 (p - t) / n
    assert_close!(p[0].grad(), 2.0 * -0.5 / 3.0);
    assert_close!(p[1].grad(), 2.0 * -2.0 / 3.0);
    assert_eq!(p[2].grad(), 0.0);
}

#[test]
fn svm_by_hand() {
    let _s = Tape::scope();
    let s = Value::leaves(&[2.0, 0.25, 0.5, -3.0]);
    let l = loss::svm(&s, &[1.0, 1.0, -1.0, -1.0]);
    l.backward();
    // margins: relu(1-2)=0, relu(1-0.25)=0.75, relu(1+0.5)=1.5, relu(1-3)=0
    assert_close!(l.data(), (0.75 + 1.5) / 4.0);
    assert_eq!(s[0].grad(), 0.0);
    assert_close!(s[1].grad(), -0.25);
    assert_close!(s[2].grad(), 0.25);
    assert_eq!(s[3].grad(), 0.0);
}

#[test]
fn bce_with_logits_by_hand() {
    let _s = Tape::scope();
    let z = Value::leaves(&[0.0, 2.0, -3.0]);
    let l = loss::bce_with_logits(&z, &[1.0, 0.0, 1.0]);
    l.backward();
    // Python: log(2), log1p(exp(2)), log1p(exp(3)); grads sigmoid(z) - y, over 3.
    assert_close!(
        l.data(),
        (std::f64::consts::LN_2 + 2.1269280110429727 + 3.048587351573742) / 3.0
    );
    assert_close!(z[0].grad(), (0.5 - 1.0) / 3.0);
    assert_close!(z[1].grad(), 0.8807970779778823 / 3.0);
    assert_close!(z[2].grad(), -0.9525741268224333 / 3.0);
}

#[test]
fn bce_with_logits_is_stable_at_1000() {
    let cases = [
        (1000.0, 1.0, 0.0, 0.0),
        (1000.0, 0.0, 1000.0, 1.0),
        (-1000.0, 1.0, 1000.0, -1.0),
        (-1000.0, 0.0, 0.0, 0.0),
    ];
    for (z0, y, value, grad) in cases {
        let _s = Tape::scope();
        let z = Value::new(z0);
        let l = loss::bce_with_logits(&[z], &[y]);
        l.backward();
        assert_eq!((l.data(), z.grad()), (value, grad), "z = {z0}, y = {y}");
    }
}

#[test]
fn softmax_cross_entropy_by_hand() {
    let _s = Tape::scope();
    let z = Value::leaves(&[1.0, 2.0, 3.0]);
    let l = loss::softmax_cross_entropy(std::slice::from_ref(&z), &[2]);
    l.backward();
    assert_close!(l.data(), 0.40760596444438034); // log(1 + e^-1 + e^-2)
    // softmax([1, 2, 3]) - onehot(2)
    assert_close!(z[0].grad(), 0.09003057317038046);
    assert_close!(z[1].grad(), 0.24472847105479764);
    assert_close!(z[2].grad(), 0.6652409557748219 - 1.0);
    // Shifted by 1000: the same (no overflow).
    let big = Value::leaves(&[1001.0, 1002.0, 1003.0]);
    let l2 = loss::softmax_cross_entropy(std::slice::from_ref(&big), &[2]);
    l2.backward();
    assert_close!(l2.data(), 0.40760596444438034);
    assert_close!(big[0].grad(), 0.09003057317038046);
    // Two examples: the mean.
    let a = Value::leaves(&[1.0, 2.0, 3.0]);
    let b = Value::leaves(&[0.0, 0.0]);
    let l3 = loss::softmax_cross_entropy(&[a.clone(), b.clone()], &[0, 1]);
    l3.backward();
    assert_close!(
        l3.data(),
        (2.4076059644443806 + std::f64::consts::LN_2) / 2.0
    );
    assert_close!(a[0].grad(), (0.09003057317038046 - 1.0) / 2.0);
    assert_close!(b[1].grad(), (0.5 - 1.0) / 2.0);
}

#[test]
#[should_panic(expected = "class 3 of an example with 3 logits")]
fn softmax_class_out_of_range_panics() {
    let z = Value::leaves(&[1.0, 2.0, 3.0]);
    loss::softmax_cross_entropy(&[z], &[3]);
}

#[test]
fn l2_by_hand() {
    let _s = Tape::scope();
    let p = Value::leaves(&[1.0, -2.0, 0.5]);
    let r = loss::l2(&p, 1e-4);
    r.backward();
    assert_close!(r.data(), 1e-4 * 5.25);
    assert_close!(p[1].grad(), 2.0 * 1e-4 * -2.0);
    assert_eq!(
        loss::sign_accuracy(&[1.0, -1.0, 0.0], &[1.0, 1.0, -1.0]),
        2.0 / 3.0
    );
}

// ---------------------------------------------------------------- optimizers

/// `steps` steps of `opt` on f(p) = p^2 from p = 1 (gradient 2p), returning each p.
fn run(opt: &mut dyn Optimizer, lr: f64, steps: usize) -> Vec<f64> {
    let p = Value::new(1.0);
    (0..steps)
        .map(|_| {
            let _s = Tape::scope();
            let f = p * p;
            p.set_grad(0.0);
            f.backward();
            opt.step(&[p], lr);
            p.data()
        })
        .collect()
}

#[test]
fn sgd_first_steps() {
    // p -= 0.1 * 2p: 0.8, 0.64, 0.512
    let ps = run(&mut Sgd, 0.1, 3);
    assert_close!(ps[0], 0.8);
    assert_close!(ps[1], 0.64);
    assert_close!(ps[2], 0.512);
}

#[test]
fn momentum_first_steps() {
    // v1 = 2, p1 = 0.8; v2 = 0.9*2 + 1.6 = 3.4, p2 = 0.46; v3 = 3.06 + 0.92 = 3.98, p3 = 0.062
    let ps = run(&mut Momentum::new(0.9), 0.1, 3);
    assert_close!(ps[0], 0.8);
    assert_close!(ps[1], 0.46);
    assert_close!(ps[2], 0.062);
}

#[test]
fn adam_first_steps_with_bias_correction() {
    // Step 1: m = 0.2, v = 0.004, m_hat = 2, v_hat = 4: p = 1 - 0.1 * 2 / (2 + 1e-8).
    // Then the formula in Python (floats): 0.8004122286917928, 0.7015862729460303.
    let mut adam = Adam::default();
    let ps = run(&mut adam, 0.1, 3);
    assert_close!(ps[0], 1.0 - 0.1 * 2.0 / (2.0 + 1e-8));
    assert_close!(ps[1], 0.8004122286917928);
    assert_close!(ps[2], 0.7015862729460303);
    assert_eq!(adam.t, 3);
    // Without bias correction the first step would be 1 - 0.1 * 0.2 / (0.063 + 1e-8).
}

#[test]
fn optimizer_kinds_parse_and_build() {
    for (name, kind) in [
        ("sgd", OptimizerKind::Sgd),
        ("momentum", OptimizerKind::Momentum),
        ("Adam", OptimizerKind::Adam),
    ] {
        assert_eq!(name.parse::<OptimizerKind>(), Ok(kind));
    }
    let err = "rmsprop".parse::<OptimizerKind>().unwrap_err();
    assert_eq!(
        (err.kind, err.given.as_str(), err.expected),
        (
            micrograd::nn::NameKind::Optimizer,
            "rmsprop",
            vec!["sgd", "momentum", "adam"]
        )
    );
    assert_eq!(
        "rmsprop".parse::<OptimizerKind>().unwrap_err().to_string(),
        "unknown optimizer `rmsprop` (expected one of: sgd, momentum, adam)"
    );
    for kind in OptimizerKind::ALL {
        assert_eq!(kind.name().parse::<OptimizerKind>(), Ok(kind));
    }
    let ps = run(OptimizerKind::Sgd.build().as_mut(), 0.1, 1);
    assert_close!(ps[0], 0.8);
}

#[test]
#[should_panic(expected = "pass the same list every step")]
fn optimizer_state_length_change_panics() {
    let mut m = Momentum::default();
    let p = Value::leaves(&[1.0, 2.0]);
    m.step(&p, 0.1);
    m.step(&p[..1], 0.1);
}

// ---------------------------------------------------------------- schedules

#[test]
fn schedule_values() {
    assert_eq!(Schedule::Constant.lr(0.3, 99, 100), 0.3);
    assert_eq!(Schedule::Linear.lr(1.0, 0, 100), 1.0);
    assert_close!(Schedule::Linear.lr(1.0, 99, 100), 0.109);
    assert_close!(Schedule::Linear.lr(1.0, 100, 100), 0.1);
    assert_close!(Schedule::Linear.lr(0.5, 50, 100), 0.275);
    assert_eq!(Schedule::Cosine.lr(2.0, 0, 100), 2.0);
    assert_close!(
        Schedule::Cosine.lr(2.0, 25, 100),
        1.0 + std::f64::consts::FRAC_1_SQRT_2
    );
    assert_close!(Schedule::Cosine.lr(2.0, 50, 100), 1.0);
    assert!(Schedule::Cosine.lr(2.0, 100, 100).abs() < 1e-15);
    for s in [Schedule::Constant, Schedule::Linear, Schedule::Cosine] {
        assert_eq!(s.to_string().parse::<Schedule>(), Ok(s));
    }
    let err = "step".parse::<Schedule>().unwrap_err();
    assert_eq!(err.kind, micrograd::nn::NameKind::Schedule);
    assert_eq!(
        err.to_string(),
        "unknown schedule `step` (expected one of: constant, linear, cosine)"
    );
    assert_eq!(Schedule::ALL.len(), 3);
    assert_eq!("COSINE".parse::<Schedule>(), Ok(Schedule::Cosine));
}
