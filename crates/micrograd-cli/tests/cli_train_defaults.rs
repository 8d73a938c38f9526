//! `micrograd train`'s defaults as issue #11 met them: the losses that diverged or printed
//! 217 digits now converge, the lecture's all-tanh network and its sum of squares train
//! from the command line (the numbers of `micrograd demo`), losses print readably, and a
//! rising loss is warned about.

use std::process::{Command, Output};

fn micrograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn ok(args: &[&str]) -> (String, String) {
    let o = micrograd(args);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(o.status.success(), "{args:?}: {err}");
    (out, err)
}

/// The final loss and accuracy (in %) of the `done in ...` line.
fn done(out: &str) -> (f64, f64) {
    let line = out.lines().find(|l| l.starts_with("done in")).expect(out);
    let loss = line
        .split("loss ")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    let acc = line
        .split("accuracy ")
        .nth(1)
        .unwrap()
        .split('%')
        .next()
        .unwrap();
    (loss.parse().unwrap(), acc.parse().unwrap())
}

/// The learning rate of the header line.
fn header_lr(out: &str) -> String {
    let head = out.lines().next().unwrap();
    head.split(" lr ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn the_losses_of_the_issue_converge_with_the_defaults() {
    // Was: the loss became inf at step 6.
    let (out, err) = ok(&["train", "--loss", "mse"]);
    let (loss, acc) = done(&out);
    assert_eq!(header_lr(&out), "0.05");
    assert!(loss < 0.3 && acc >= 90.0, "{out}");
    assert!(!err.contains("warning"), "{err}");
    // Was: exit 0 with a loss of 217 digits.
    let (out, _) = ok(&["train", "--activation", "tanh", "--loss", "mse"]);
    let (loss, acc) = done(&out);
    assert!(loss < 0.3 && acc >= 90.0, "{out}");
    // Was: loss 6056 at 100% (weights near 5000): the rate is scaled to the data.
    let (out, _) = ok(&["train", "--data", "blobs"]);
    assert_eq!(header_lr(&out), "0.114");
    let (loss, acc) = done(&out);
    assert!(loss < 0.05 && acc == 100.0, "{out}");
    // micrograd's demo is unchanged.
    let (out, _) = ok(&["train"]);
    assert_eq!(header_lr(&out), "1");
    assert!(out.contains("done in") && out.contains("loss 0.014574, training accuracy 100.0%"));
}

#[test]
fn the_lectures_network_and_loss_train_from_the_command_line_as_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("lecture.csv");
    // The lecture's four examples and targets.
    std::fs::write(
        &csv,
        "x0,x1,x2,y\n2.0,3.0,-1.0,1\n3.0,-1.0,0.5,-1\n0.5,1.0,1.0,-1\n1.0,1.0,-1.0,1\n",
    )
    .unwrap();
    let csv = csv.display().to_string();
    let (out, _) = ok(&[
        "train",
        "--data",
        &csv,
        "--loss",
        "sse",
        "--activation",
        "tanh",
        "--output-activation",
        "tanh",
        "--layers",
        "4,4",
        "--lr",
        "0.05",
        "--schedule",
        "constant",
        "--l2",
        "0",
        "--steps",
        "20",
    ]);
    assert!(
        out.starts_with("training MLP 3-4-4-1 (41 parameters, tanh hidden, tanh output)"),
        "{out}"
    );
    // `micrograd demo` trains the lecture's MLP(3, [4, 4, 1]) by hand: the same losses.
    let (demo, _) = ok(&["demo"]);
    let demo_loss = |k: usize| {
        let key = format!("step {k:>2}  loss ");
        let line = demo.lines().find(|l| l.contains(&key)).expect(&demo);
        line.split("loss ").nth(1).unwrap().trim().to_string()
    };
    for (step, k) in [(1, 0), (2, 1), (10, 9), (20, 19)] {
        let key = format!("step {step:>2}/20 loss ");
        let line = out.lines().find(|l| l.starts_with(&key)).expect(&out);
        let loss = line
            .split("loss ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        assert_eq!(loss, demo_loss(k), "step {step}");
    }
    // With the defaults (moons, sgd, its rate for a sum: 0.05 / 100 examples).
    let (out, _) = ok(&[
        "train",
        "--loss",
        "sse",
        "--activation",
        "tanh",
        "--output-activation",
        "tanh",
    ]);
    assert_eq!(header_lr(&out), "0.0005");
    let (_, acc) = done(&out);
    assert!(acc >= 90.0, "{out}");
}

#[test]
fn a_blowing_up_loss_prints_short_and_is_warned_about() {
    let (out, err) = ok(&["train", "--loss", "mse", "--lr", "0.3"]);
    assert!(
        err.contains(
            "warning: the loss grew at each of the last 3 steps, from 2.918221 to 2.71521e18 \
             at step 4: the learning rate (0.2919) may be too high; try a lower --lr or \
             --optimizer adam"
        ),
        "{err}"
    );
    assert_eq!(err.matches("warning").count(), 1, "once: {err}");
    assert!(
        out.contains("step  10/100 loss 1.44977e96 accuracy 50.0%"),
        "{out}"
    );
    let done = out.lines().find(|l| l.starts_with("done in")).unwrap();
    assert!(done.len() < 100, "{done}");
}

#[test]
fn the_output_activation_is_linear_or_tanh() {
    for (flag, msg) in [
        (
            "sigmoid",
            "error: --output-activation sigmoid: the output is read by its sign, so it must \
             be linear or tanh",
        ),
        (
            "gelu",
            "error: --output-activation: unknown activation `gelu` (expected one of: linear, \
             tanh)",
        ),
    ] {
        let o = micrograd(&["train", "--output-activation", flag]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert_eq!(err.trim_end(), msg);
    }
    // The saved model keeps its tanh output, and predict reads it.
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json").display().to_string();
    ok(&[
        "train",
        "--output-activation",
        "tanh",
        "--steps",
        "5",
        "--save",
        &model,
    ]);
    let text = std::fs::read_to_string(&model).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["architecture"]["layers"][2]["activation"], "tanh",
        "{text:.300}"
    );
    let (out, _) = ok(&[
        "predict",
        "--model",
        &model,
        "--data",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/moons_100_seed1337.csv"
        ),
    ]);
    assert!(out.contains("accuracy"), "{out}");
}
