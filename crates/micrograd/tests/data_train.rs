//! The training loop through the library: micrograd's demo, the spiral, errors.

use micrograd::data::{self, Dataset};
use micrograd::nn::optim::OptimizerKind;
use micrograd::train::{LossKind, TrainConfig, TrainError, train};
use micrograd::{Tape, nn::Activation};

#[test]
fn default_config_is_micrograds_demo_and_reaches_100_percent() {
    let cfg = TrainConfig::default();
    assert_eq!(cfg.hidden, [16, 16]);
    assert_eq!(
        (cfg.loss, cfg.optimizer),
        (LossKind::Svm, OptimizerKind::Sgd)
    );
    assert_eq!(
        (cfg.lr, cfg.l2, cfg.steps, cfg.batch_size),
        (1.0, 1e-4, 100, None)
    );
    let data = data::demo_moons();
    let mut seen = Vec::new();
    let before = Tape::len();
    let report = train(&data, &cfg, |s| seen.push((s.step, s.lr, s.loss))).unwrap();
    assert_eq!(report.steps, 100);
    assert_eq!(report.accuracy, 1.0);
    assert!(report.loss < 0.05, "final loss {}", report.loss);
    // The lr schedule of micrograd's demo: 1.0 - 0.9 * k / 100 for k = 0..99.
    assert_eq!(seen.len(), 100);
    assert_eq!((seen[0].0, seen[0].1), (1, 1.0));
    assert!((seen[99].1 - (1.0 - 0.9 * 99.0 / 100.0)).abs() < 1e-15);
    assert!(seen[99].2 < seen[0].2);
    assert_eq!(report.loss_history.len(), 100);
    // Memory stays flat: only the 337 parameters are left on the tape.
    assert_eq!(Tape::len() - before, 337);
}

#[test]
fn training_is_reproducible() {
    let data = data::moons(60, 0.1, 3);
    let cfg = TrainConfig {
        steps: 20,
        batch_size: Some(16),
        ..TrainConfig::default()
    };
    let a = train(&data, &cfg, |_| {}).unwrap();
    let b = train(&data, &cfg, |_| {}).unwrap();
    assert_eq!(a.loss_history, b.loss_history);
    assert_eq!(a.classifier.model.weights(), b.classifier.model.weights());
}

#[test]
fn spiral_with_adam_and_cross_entropy_reaches_95_percent() {
    let data = data::spiral(300, 3, 0.2, 1337);
    let cfg = TrainConfig {
        hidden: vec![16, 16],
        loss: LossKind::Ce,
        optimizer: OptimizerKind::Adam,
        lr: 0.01,
        schedule: micrograd::nn::optim::Schedule::Constant,
        steps: 500,
        ..TrainConfig::default()
    };
    let report = train(&data, &cfg, |_| {}).unwrap();
    assert!(report.accuracy >= 0.95, "accuracy {}", report.accuracy);
    assert_eq!(report.classifier.model.nout(), 3);
}

#[test]
fn other_losses_train_on_moons() {
    for loss in [LossKind::Mse, LossKind::Bce, LossKind::Ce] {
        let cfg = TrainConfig {
            loss,
            activation: Activation::Tanh,
            optimizer: OptimizerKind::Adam,
            lr: 0.05,
            steps: 100,
            ..TrainConfig::default()
        };
        let r = train(&data::demo_moons(), &cfg, |_| {}).unwrap();
        assert!(r.accuracy >= 0.95, "{loss}: accuracy {}", r.accuracy);
    }
}

#[test]
fn wrong_combinations_fail_before_training() {
    let three = data::spiral(30, 3, 0.2, 1);
    let mut calls = 0;
    let e = train(&three, &TrainConfig::default(), |_| calls += 1)
        .err()
        .unwrap();
    assert!(e.is_usage());
    assert_eq!(
        e.to_string(),
        "the data has 3 classes (\"0\", \"1\", \"2\"), but exactly 2 (the svm loss is binary) are needed"
    );
    let one = Dataset::new(vec![vec![1.0], vec![2.0]], vec![0, 0], vec!["1".into()]);
    let cfg = TrainConfig {
        loss: LossKind::Ce,
        ..TrainConfig::default()
    };
    let e = train(&one, &cfg, |_| calls += 1).err().unwrap();
    assert_eq!(
        e.to_string(),
        "the ce loss needs at least 2 classes (outputs), but the data has 1"
    );
    let cfg = TrainConfig {
        hidden: vec![16, 0],
        ..TrainConfig::default()
    };
    let e = train(&data::demo_moons(), &cfg, |_| calls += 1)
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        "hidden layer 2 has size 0 (every layer needs at least 1 neuron)"
    );
    assert_eq!(calls, 0);
}

#[test]
fn a_diverging_loss_stops_with_the_step() {
    let cfg = TrainConfig {
        loss: LossKind::Mse,
        lr: 1e6,
        schedule: micrograd::nn::optim::Schedule::Constant,
        ..TrainConfig::default()
    };
    let mut last = 0;
    let e = train(&data::demo_moons(), &cfg, |s| last = s.step)
        .err()
        .unwrap();
    let TrainError::Diverged { step, loss, .. } = e else {
        panic!("expected divergence, got {e}");
    };
    assert!(!loss.is_finite());
    assert_eq!(step, last + 1);
    assert!(!e_is_usage(step));
}

fn e_is_usage(step: usize) -> bool {
    TrainError::Diverged {
        step,
        loss: f64::NAN,
        lr: 1.0,
    }
    .is_usage()
}

#[test]
fn corrupt_classifier_metadata_is_an_error_naming_the_file_and_field() {
    use micrograd::nn::{MLP, model};
    use micrograd::train::Classifier;
    let dir = tempfile::tempdir().unwrap();
    let one_output = MLP::new(2, &[3, 1]);
    let two_outputs = MLP::new(2, &[3, 2]);
    let good = serde_json::json!({
        "kind": "micrograd-classifier",
        "loss": "svm",
        "class_names": ["-1", "1"],
        "feature_names": ["a", "b"],
    });
    let with = |key: &str, value: serde_json::Value| {
        let mut m = good.clone();
        m[key] = value;
        m
    };
    let cases = [
        (
            &one_output,
            with("class_names", serde_json::json!(["a", "b", "c"])),
            "meta.class_names: 3 names, but the svm loss on 1 output(s) has 2",
        ),
        (
            &one_output,
            with("loss", "ce".into()),
            "meta.loss: ce needs a network of at least 2 outputs, but this one has 1",
        ),
        (
            &two_outputs,
            good.clone(),
            "meta.loss: svm needs a network of 1 output, but this one has 2",
        ),
        (
            &one_output,
            with("loss", "hinge".into()),
            "meta.loss: unknown loss `hinge`",
        ),
        (
            &one_output,
            with("kind", "something-else".into()),
            "meta.kind: \"something-else\", expected \"micrograd-classifier\"",
        ),
        (
            &one_output,
            with("feature_names", serde_json::json!(["a"])),
            "meta.feature_names: 1 names, but the network's inputs are 2",
        ),
        (
            &one_output,
            with("class_names", serde_json::json!([1, 2])),
            "meta.class_names: expected a list of strings, found [1,2]",
        ),
    ];
    for (i, (mlp, meta, want)) in cases.iter().enumerate() {
        let p = dir.path().join(format!("m{i}.json"));
        model::save_json_with_meta(&p, mlp, Some(meta)).unwrap();
        let e = Classifier::load(&p).err().expect("an error");
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!("{}: invalid model file: ", p.display())),
            "{msg}"
        );
        assert!(msg.contains(want), "{msg} lacks {want}");
    }
    // The good metadata loads; a model without metadata gets the default names.
    let p = dir.path().join("good.json");
    model::save_json_with_meta(&p, &one_output, Some(&good)).unwrap();
    let c = Classifier::load(&p).unwrap();
    assert_eq!(c.feature_names, ["a", "b"]);
    let p = dir.path().join("plain.json");
    model::save_json(&p, &two_outputs).unwrap();
    let c = Classifier::load(&p).unwrap();
    assert_eq!(c.class_names, ["0", "1"]);
    assert_eq!(c.loss.name(), "ce");
    // Safetensors: a list that is not JSON names the key.
    let p = dir.path().join("m.safetensors");
    let extra = std::collections::BTreeMap::from([
        (
            "micrograd_kind".to_string(),
            "micrograd-classifier".to_string(),
        ),
        ("micrograd_loss".to_string(), "svm".to_string()),
        ("micrograd_class_names".to_string(), "-1, 1".to_string()),
        (
            "micrograd_feature_names".to_string(),
            "[\"a\",\"b\"]".to_string(),
        ),
    ]);
    model::save_safetensors_with_meta(&p, &one_output, &extra).unwrap();
    let msg = Classifier::load(&p).err().expect("an error").to_string();
    assert!(
        msg.ends_with(
            "m.safetensors: invalid model file: __metadata__.micrograd_class_names: expected a \
             JSON list of strings, found \"-1, 1\""
        ),
        "{msg}"
    );
}

#[test]
fn validate_names_the_field_the_value_and_the_limit() {
    use micrograd::train::{ConfigError, MAX_PARAMETERS, MAX_STEPS};
    let ok = TrainConfig::default();
    assert_eq!(ok.validate(), Ok(()));
    let with = |f: &dyn Fn(&mut TrainConfig)| {
        let mut c = ok.clone();
        f(&mut c);
        c.validate().unwrap_err()
    };
    let cases: Vec<(ConfigError, &str)> = vec![
        (
            with(&|c| c.activation = Activation::Linear),
            "hidden layers need a non-linearity (relu, tanh, sigmoid), not linear",
        ),
        (
            with(&|c| c.lr = -1.0),
            "the learning rate must be a positive number, not -1",
        ),
        (
            with(&|c| c.lr = f64::NAN),
            "the learning rate must be a positive number, not NaN",
        ),
        (
            with(&|c| c.l2 = -1e-9),
            "the L2 strength must be a number >= 0, not -1e-9",
        ),
        (
            with(&|c| c.steps = 0),
            "the number of steps must be at least 1",
        ),
        (
            with(&|c| c.steps = MAX_STEPS + 1),
            "the number of steps must be at most 10,000,000, not 10000001",
        ),
        (
            with(&|c| c.batch_size = Some(0)),
            "the batch size must be at least 1",
        ),
        (
            with(&|c| c.hidden = vec![16, 0]),
            "hidden layer 2 has size 0 (every layer needs at least 1 neuron)",
        ),
        (
            with(&|c| c.hidden = vec![100_000, 100_000]),
            "the network would have at least 10000300000 parameters (the limit is 10,000,000)",
        ),
        (
            with(&|c| c.hidden = vec![usize::MAX / 2, 3]),
            "the network would have more parameters than fit in a number (the limit is 10,000,000)",
        ),
    ];
    for (e, message) in &cases {
        assert_eq!(e.to_string(), *message);
        assert!(!message.contains("--"), "no flag names: {message}");
    }
    assert_eq!(
        cases[4].0,
        ConfigError::Steps {
            steps: 0,
            allowed: 1..=MAX_STEPS
        }
    );
    assert_eq!(cases[6].0, ConfigError::BatchSize { batch_size: 0 });
    assert_eq!(cases[7].0, ConfigError::HiddenSize { layer: 2 });
    assert_eq!(
        cases[8].0,
        ConfigError::Parameters {
            count: Some(10_000_300_000),
            at_least: true,
            max: MAX_PARAMETERS
        }
    );
    // The first failure, in the documented order: the activation before the steps.
    let e = TrainConfig {
        activation: Activation::Linear,
        steps: 0,
        ..TrainConfig::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(e, ConfigError::LinearHidden);
    // train() validates too, before any step.
    let cfg = TrainConfig {
        activation: Activation::Linear,
        ..TrainConfig::default()
    };
    let e = train(&data::demo_moons(), &cfg, |_| panic!("no step"))
        .err()
        .unwrap();
    assert!(
        matches!(e, TrainError::Config(ConfigError::LinearHidden)),
        "{e}"
    );
    assert!(e.is_usage());
}

#[test]
fn architecture_counts_the_whole_network_and_checks_the_data() {
    use micrograd::train::ConfigError;
    // The hidden layers alone are within the limit; with the 200 outputs of ce on 200
    // classes: 3*3100 + 3101*3100 + 3101*200 = 10,242,600 parameters.
    let blobs = data::blobs(200, 200, 1.0, 0);
    let cfg = TrainConfig {
        hidden: vec![3100, 3100],
        loss: LossKind::Ce,
        ..TrainConfig::default()
    };
    assert_eq!(cfg.validate(), Ok(()));
    let e = cfg.architecture(&blobs).unwrap_err();
    assert!(
        matches!(
            e,
            TrainError::Config(ConfigError::Parameters {
                count: Some(10_242_600),
                at_least: false,
                ..
            })
        ),
        "{e}"
    );
    // Feature names that repeat (a data set made by hand): refused, as a file's would be.
    let mut d = data::demo_moons();
    d.feature_names = vec!["a".into(), "a".into()];
    let e = TrainConfig::default().architecture(&d).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the feature name \"a\" is used more than once (features 1 and 2): features are \
         matched to columns by name, so their names must differ"
    );
    // No features.
    let none = Dataset::new(
        vec![vec![], vec![]],
        vec![0, 1],
        vec!["p".into(), "q".into()],
    );
    let e = TrainConfig::default().architecture(&none).unwrap_err();
    assert!(
        matches!(e, TrainError::Data(data::DataError::NoFeatures)),
        "{e}"
    );
}

#[test]
fn a_step_graph_over_the_budget_is_refused_before_training() {
    use micrograd::data::Generator;
    use micrograd::train::{ConfigError, MAX_STEP_BYTES};
    // F2 of issue #12: both aborted with `memory allocation of N bytes failed`.
    let blobs = Generator::Blobs
        .generate(Some(5000), None, Some(5000), 1337)
        .unwrap();
    let cfg = TrainConfig {
        hidden: vec![4],
        loss: LossKind::Ce,
        steps: 1,
        ..TrainConfig::default()
    };
    let e = train(&blobs, &cfg, |_| panic!("no step")).err().unwrap();
    let TrainError::Config(ConfigError::StepGraph {
        examples,
        size,
        budget,
        max_examples,
    }) = e
    else {
        panic!("{e}")
    };
    // 5000 x (2 inputs + 8 hidden + 5000 outputs + 2 x 5000 + 4 of ce) + 2 + 3
    assert_eq!(
        (examples, size.nodes, budget),
        (5000, 75_070_005, MAX_STEP_BYTES)
    );
    assert!(size.bytes > 2 * MAX_STEP_BYTES, "{size:?}");
    assert!(max_examples > 1000 && max_examples < 5000, "{max_examples}");
    let e = train(&blobs, &cfg, |_| {}).err().unwrap();
    assert_eq!(
        e.to_string(),
        format!(
            "a training step on 5,000 examples would build a graph of about 75,070,005 nodes \
             ({}), more than the budget of 1 GB; use at most {} examples per step, or a \
             smaller network",
            micrograd::train::byte_size(size.bytes),
            micrograd::train::group_digits(max_examples)
        )
    );
    // With at most that many examples a step, it trains (one step, then the final
    // evaluation of all 5000 in chunks that keep to the budget).
    let batched = TrainConfig {
        batch_size: Some(max_examples),
        ..cfg.clone()
    };
    let spec = batched.architecture(&blobs).unwrap();
    assert!(batched.step_graph(&spec, max_examples).bytes <= MAX_STEP_BYTES);
    let moons = Generator::Moons
        .generate(Some(1_000_000), None, None, 1337)
        .unwrap();
    let cfg = TrainConfig {
        hidden: vec![64, 64],
        steps: 1,
        ..TrainConfig::default()
    };
    let e = cfg.architecture(&moons).unwrap_err();
    assert!(
        matches!(
            e,
            TrainError::Config(ConfigError::StepGraph {
                examples: 1_000_000,
                size: micrograd::train::GraphSize {
                    nodes: 262_000_005,
                    ..
                },
                ..
            })
        ),
        "{e}"
    );
}

#[test]
fn library_messages_name_no_flags() {
    let e = TrainError::Diverged {
        step: 4,
        loss: f64::INFINITY,
        lr: 973000.0,
    };
    assert_eq!(
        e.to_string(),
        "the loss became inf at step 4 (learning rate 973000); training stopped"
    );
    let e = "hinge".parse::<LossKind>().unwrap_err();
    assert_eq!(e.kind, micrograd::nn::NameKind::Loss);
    assert_eq!(
        e.to_string(),
        "unknown loss `hinge` (expected one of: svm, mse, bce, ce)"
    );
    for loss in LossKind::ALL {
        assert_eq!(loss.name().to_uppercase().parse::<LossKind>(), Ok(loss));
    }
}
