//! `micrograd train` replays its step by default; `--no-replay` rebuilds the graph every
//! step, with the same output to the bit. `micrograd bench scale` runs the same training.

use std::process::Command;

use serde_json::Value as Json;

fn micrograd(args: &[&str]) -> Json {
    let o = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(args)
        .output()
        .expect("the binary runs");
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(out.lines().last().expect("a JSON line")).expect("JSON")
}

/// The JSON of `train`, without its time.
fn trained(args: &[&str]) -> Json {
    let mut v = micrograd(args);
    v.as_object_mut().unwrap().remove("seconds");
    v
}

#[test]
fn no_replay_trains_to_the_same_bits() {
    for extra in [
        &[][..],
        &["--batch-size", "24"],
        &["--loss", "bce", "--activation", "tanh"],
    ] {
        let mut args = vec![
            "train",
            "--data",
            "moons",
            "--samples",
            "90",
            "--layers",
            "7,5",
            "--steps",
            "15",
            "--json",
        ];
        args.extend_from_slice(extra);
        let replayed = trained(&args);
        args.push("--no-replay");
        assert_eq!(replayed, trained(&args), "{extra:?}");
    }
}

#[test]
fn bench_scale_trains_as_train_does_and_dumps_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("start.json");
    let dump_arg = dump.to_str().unwrap();
    let common = [
        "bench", "scale", "--points", "60", "--width", "6", "--steps", "10", "--json",
    ];
    let mut args = common.to_vec();
    args.extend_from_slice(&["--dump", dump_arg]);
    let replayed = micrograd(&args);
    let mut args = common.to_vec();
    args.push("--rebuild");
    let rebuilt = micrograd(&args);
    assert_eq!(replayed["mode"], "replay");
    assert_eq!(rebuilt["mode"], "rebuild");
    assert_eq!(replayed["loss"], rebuilt["loss"]);
    assert_eq!(replayed["steps"], 10);
    let train = trained(&[
        "train",
        "--data",
        "moons",
        "--samples",
        "60",
        "--layers",
        "6,6",
        "--steps",
        "10",
        "--json",
    ]);
    assert_eq!(replayed["loss"], train["loss"]);
    assert_eq!(replayed["accuracy"], train["accuracy"]);
    // The start for PyTorch: the points, labels +-1, sizes and this project's weights.
    let start: Json = serde_json::from_str(&std::fs::read_to_string(&dump).unwrap()).unwrap();
    assert_eq!(start["x"].as_array().unwrap().len(), 60);
    assert_eq!(start["sizes"], serde_json::json!([2, 6, 6, 1]));
    assert_eq!(
        start["weights"].as_array().unwrap().len(),
        3 * 6 + 7 * 6 + 7
    );
    assert!(
        start["y"]
            .as_array()
            .unwrap()
            .iter()
            .all(|y| y.as_f64().unwrap().abs() == 1.0)
    );
}
