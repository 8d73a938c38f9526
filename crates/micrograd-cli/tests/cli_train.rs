//! `micrograd train`, `predict` and `demo` through the binary: outputs, exit statuses and
//! error messages.

use std::path::Path;
use std::process::{Command, Output};

use micrograd::data;
use micrograd::train::{TrainConfig, train};

fn micrograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and checks the exit status and that stderr contains `needle`.
fn fails_with(args: &[&str], code: i32, needle: &str) {
    let o = micrograd(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(code), "{args:?}: stderr {err}");
    assert!(
        err.contains(needle),
        "{args:?}: stderr {err:?} lacks {needle:?}"
    );
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn default_train_json_reaches_100_percent() {
    let o = micrograd(&["train", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "one object on stdout: {out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["steps"], 100);
    assert_eq!(v["accuracy"], 1.0);
    let loss = v["loss"].as_f64().unwrap();
    assert!(loss > 0.0 && loss < 0.05, "loss {loss}");
    assert!(v["seconds"].as_f64().unwrap() >= 0.0);
    // progress went to stderr, as plain lines (not a terminal)
    assert!(stderr(&o).contains("step 100/100"), "{}", stderr(&o));
}

#[test]
fn plain_progress_lines_every_ten_percent() {
    let o = micrograd(&["train", "--steps", "50"]);
    assert!(o.status.success());
    let out = stdout(&o);
    let steps: Vec<&str> = out.lines().filter(|l| l.starts_with("step")).collect();
    assert_eq!(steps.len(), 11, "{out}"); // step 1, then every 5th
    assert!(steps[10].starts_with("step 50/50 loss "));
    assert!(out.contains("training accuracy"));
}

#[test]
fn save_then_predict_gives_the_same_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "moons.csv", data::DEMO_MOONS_CSV);
    let model = dir.path().join("model.json").display().to_string();
    let o = micrograd(&[
        "train", "--data", &csv, "--steps", "30", "--save", &model, "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let trained: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();

    let o = micrograd(&["predict", "--model", &model, "--data", &csv, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["accuracy"], trained["accuracy"]);
    let preds: Vec<i64> = v["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_i64().expect("labels -1/1 come back as numbers"))
        .collect();
    assert_eq!(preds.len(), 100);

    // The same training in-process gives the same predictions.
    let d = data::demo_moons();
    let cfg = TrainConfig {
        steps: 30,
        ..TrainConfig::default()
    };
    let report = train(&d, &cfg, |_| {}).unwrap();
    let expected: Vec<i64> = d
        .features
        .iter()
        .map(|x| report.classifier.predict_label(x).parse().unwrap())
        .collect();
    assert_eq!(preds, expected);
    assert_eq!(report.accuracy, trained["accuracy"].as_f64().unwrap());

    // and the saved file loads back to the same weights
    let back = micrograd::train::Classifier::load(Path::new(&model)).unwrap();
    assert_eq!(back.model.weights(), report.classifier.model.weights());
    assert_eq!(back.class_names, ["-1", "1"]);
}

#[test]
fn safetensors_and_text_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("w.safetensors").display().to_string();
    let o = micrograd(&["train", "--steps", "5", "--save", &st]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::metadata(&st).unwrap().len() > 337 * 8);
    let moons = write(dir.path(), "moons.csv", data::DEMO_MOONS_CSV);
    let json = dir.path().join("w.json").display().to_string();
    let o = micrograd(&["train", "--steps", "5", "--save", &json]);
    assert!(o.status.success(), "{}", stderr(&o));
    let from_json = micrograd(&["predict", "--model", &json, "--data", &moons, "--json"]);
    let from_st = micrograd(&["predict", "--model", &st, "--data", &moons, "--json"]);
    assert!(from_st.status.success(), "{}", stderr(&from_st));
    assert_eq!(stdout(&from_st), stdout(&from_json));
    // The class names are in the safetensors metadata: no guessing from the data.
    assert!(!stderr(&from_st).contains("has no class names"));
    let v: serde_json::Value = serde_json::from_str(&stdout(&from_st)).unwrap();
    assert!(v["accuracy"].as_f64().unwrap() > 0.5, "{v}");
    let back = micrograd::train::Classifier::load(Path::new(&st)).unwrap();
    assert_eq!(back.class_names, ["-1", "1"]);
    assert_eq!(back.feature_names, ["x0", "x1"]);
    assert_eq!(back.loss.name(), "svm");
    let csv = write(dir.path(), "d.csv", "a,b,y\n1,0,yes\n-1,0.5,no\n");
    let model = dir.path().join("m.json").display().to_string();
    let o = micrograd(&["train", "--data", &csv, "--steps", "20", "--save", &model]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = micrograd(&["predict", "--model", &model, "--data", &csv]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("a,b,prediction,label\n1,0,yes,yes\n-1,0.5,no,no\n"),
        "{out}"
    );
    assert!(out.contains("accuracy 100.0% (2/2)"), "{out}");
    // A model of classes yes/no on data labelled -1/1: no label matches.
    let st2 = dir.path().join("yn.safetensors").display().to_string();
    let o = micrograd(&["train", "--data", &csv, "--steps", "5", "--save", &st2]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pm = write(
        dir.path(),
        "pm.csv",
        "a,b,y
1,0,1
-1,0.5,-1
",
    );
    fails_with(
        &["predict", "--model", &st2, "--data", &pm],
        2,
        "pm.csv: the data's labels (-1, 1) match none of the model's classes (no, yes, from ",
    );
}

#[test]
fn bad_csv_files_exit_2_naming_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ragged = write(d, "ragged.csv", "x0,x1,y\n1,2,1\n3,4\n");
    fails_with(
        &["train", "--data", &ragged],
        2,
        "ragged.csv: line 3: 2 fields, but the first row has 3 (ragged row)",
    );
    let nan = write(d, "text.csv", "x0,x1,y\n1,2,1\n3,abc,-1\n");
    fails_with(
        &["train", "--data", &nan],
        2,
        "line 3, column 2 (\"x1\"): \"abc\" is not a number",
    );
    let empty = write(d, "empty.csv", "");
    fails_with(
        &["train", "--data", &empty],
        2,
        "empty.csv: the file is empty (no rows)",
    );
    let one = write(d, "one.csv", "x0,x1,y\n1,2,1\n3,4,1\n");
    fails_with(
        &["train", "--data", &one],
        2,
        "one.csv: the data has 1 class (\"1\"), but exactly 2 (the svm loss is binary) are needed",
    );
    fails_with(
        &["train", "--data", &one, "--loss", "ce"],
        2,
        "the ce loss needs at least 2 classes",
    );
    let good = write(d, "good.csv", "x0,x1,y\n1,2,1\n3,4,-1\n");
    fails_with(
        &["train", "--data", &good, "--label-column", "label"],
        2,
        "--label-column \"label\": no such column in the header (columns: x0, x1, y)",
    );
    let o = micrograd(&["train", "--data", "/nonexistent/x.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: --data: cannot read /nonexistent/x.csv: No such file or directory (os error 2)\n",
        "the path once, and the flag"
    );
    fails_with(&["train", "--data", ""], 2, "--data '': an empty name");
    // Not UTF-8 (Latin-1 'é' on line 3): the line is named.
    let latin1 = d.join("latin1.csv");
    std::fs::write(&latin1, b"x0,x1,y\n1,2,1\n3,4,caf\xe9\n").unwrap();
    fails_with(
        &["train", "--data", latin1.to_str().unwrap()],
        2,
        "latin1.csv: line 3: the text is not UTF-8",
    );
    // A byte-order mark (as Excel writes) is not part of the first column's name.
    let bom = write(d, "bom.csv", "\u{feff}a,b,y\n1,2,1\n3,4,-1\n");
    let o = micrograd(&[
        "train",
        "--data",
        &bom,
        "--steps",
        "2",
        "--label-column",
        "y",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let three = write(d, "three.csv", "a,b,c,y\n1,2,3,1\n3,4,5,-1\n");
    fails_with(
        &[
            "train",
            "--data",
            &three,
            "--plot",
            &d.join("never.svg").display().to_string(),
        ],
        2,
        "a decision boundary needs 2-D data, but the data has 3 features",
    );
    fails_with(
        &["predict", "--model", "/nonexistent/m.json", "--data", &good],
        2,
        "/nonexistent/m.json",
    );
}

#[test]
fn bad_flags_exit_2_before_training() {
    fails_with(
        &["train", "--layers", "16,,4"],
        2,
        "--layers 16,,4: an empty size at position 2",
    );
    fails_with(
        &["train", "--layers", "16,0"],
        2,
        "--layers 16,0: a layer of size 0 at position 2",
    );
    fails_with(
        &["train", "--layers", "16,x"],
        2,
        "\"x\" is not a whole number",
    );
    fails_with(
        &["train", "--data", "spiral", "--loss", "svm"],
        2,
        "the data has 3 classes (\"0\", \"1\", \"2\"), but exactly 2 (the svm loss is binary) are needed; use --loss ce for more than 2 classes",
    );
    fails_with(
        &["train", "--loss", "hinge"],
        2,
        "--loss: unknown loss `hinge` (expected one of: svm, mse, sse, bce, ce)",
    );
    fails_with(
        &["train", "--optimizer", "rmsprop"],
        2,
        "--optimizer: unknown optimizer",
    );
    fails_with(
        &["train", "--activation", "gelu"],
        2,
        "--activation: unknown activation",
    );
    fails_with(
        &["train", "--schedule", "step"],
        2,
        "--schedule: unknown schedule",
    );
    fails_with(
        &["train", "--lr", "-1"],
        2,
        "--lr -1: the learning rate must be a positive number",
    );
    fails_with(&["train", "--steps", "0"], 2, "--steps 0");
    fails_with(&["train", "--batch-size", "0"], 2, "--batch-size 0");
    let dir = tempfile::tempdir().unwrap();
    let txt = dir.path().join("model.txt").display().to_string();
    fails_with(
        &["train", "--save", &txt],
        2,
        "must end in .json (model file) or .safetensors",
    );
    fails_with(
        &["train", "--data", "moons", "--classes", "3"],
        2,
        "--classes applies to --data blobs or spiral",
    );
    fails_with(&["train", "--steps", "ten"], 2, "invalid value 'ten'");
    let o = micrograd(&["train", "--layers", "16,,4", "--json"]);
    assert!(stdout(&o).is_empty(), "nothing trained, nothing printed");
}

#[test]
fn a_diverging_loss_exits_1_naming_the_step() {
    fails_with(
        &["train", "--loss", "mse", "--lr", "1e6"],
        1,
        "error: the loss became inf at step 4 (learning rate 973000); training stopped. Hint: lower the learning rate",
    );
}

#[test]
fn generated_data_and_the_spiral() {
    let o = micrograd(&[
        "train",
        "--data",
        "circles",
        "--samples",
        "60",
        "--steps",
        "5",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("on circles (60 examples, seed 1337)"));
    let o = micrograd(&[
        "train",
        "--data",
        "spiral",
        "--layers",
        "16,16",
        "--loss",
        "ce",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--steps",
        "500",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["accuracy"].as_f64().unwrap() >= 0.95, "{v}");
}

#[test]
fn demo_prints_the_lecture_numbers() {
    let o = micrograd(&["demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "o = 0.7071",
        "x1: data    2, grad -1.5000",
        "w1: data   -3, grad 1.0000",
        "x2: data    0, grad 0.5000",
        "w2: data    1, grad 0.0000",
        "MLP(3, [4, 4, 1])",
        "step 19  loss ",
        "4/4 with the right sign",
    ] {
        assert!(out.contains(needle), "demo output lacks {needle:?}:\n{out}");
    }
    let losses: Vec<f64> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("step "))
        .map(|l| l.split("loss ").nth(1).unwrap().trim().parse().unwrap())
        .collect();
    assert_eq!(losses.len(), 20);
    assert!(losses[19] < losses[0] / 10.0, "{losses:?}");
}

#[test]
fn predict_without_labels_and_with_the_wrong_columns() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json").display().to_string();
    let o = micrograd(&["train", "--save", &model]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Two columns = the model's two inputs: predictions only, accuracy null.
    let unlabelled = write(dir.path(), "u.csv", "x0,x1\n2.0,0.0\n-1.0,0.5\n");
    let o = micrograd(&[
        "predict",
        "--model",
        &model,
        "--data",
        &unlabelled,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["accuracy"], serde_json::Value::Null);
    assert_eq!(v["predictions"], serde_json::json!([1, -1]));
    let o = micrograd(&["predict", "--model", &model, "--data", &unlabelled]);
    assert_eq!(stdout(&o), "x0,x1,prediction\n2,0,1\n-1,0.5,-1\n");
    // Four columns: one too many for a 2-input model.
    let wide = write(dir.path(), "w.csv", "a,b,c,y\n1,2,3,1\n");
    fails_with(
        &["predict", "--model", &model, "--data", &wide],
        2,
        "w.csv: the data has 3 feature column(s), but the model takes 2",
    );
    let bad = write(dir.path(), "bad.csv", "x0,x1,y\n1,2,1\n1,z,1\n");
    fails_with(
        &["predict", "--model", &model, "--data", &bad],
        2,
        "bad.csv: line 3, column 2 (\"x1\"): \"z\" is not a number",
    );
    let not_model = write(dir.path(), "nm.json", "{\"hello\": 1}");
    fails_with(
        &["predict", "--model", &not_model, "--data", &bad],
        2,
        "nm.json",
    );
}

#[test]
fn plots_are_written_as_svg_or_png() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b.svg");
    let l = dir.path().join("l.png");
    let o = micrograd(&[
        "train",
        "--steps",
        "10",
        "--plot",
        b.to_str().unwrap(),
        "--loss-plot",
        l.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(&b).unwrap();
    assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(
        svg.contains("MLP 2-16-16-1, svm loss, 10 steps"),
        "title in the picture"
    );
    // The legend names the classes by their labels in the data, the axes by its features.
    for text in [
        ">class -1</text>",
        ">class 1</text>",
        ">x0</text>",
        ">x1</text>",
    ] {
        assert!(svg.contains(text), "{text} missing from the boundary plot");
    }
    let png = std::fs::read(&l).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    assert_eq!((be(&png[16..20]), be(&png[20..24])), (1440, 880));
    assert!(stdout(&o).contains(&format!("wrote decision boundary to {}", b.display())));
    // The loss plot's steps count from 1, as the log does, with a legend.
    let c = dir.path().join("c.svg");
    let o = micrograd(&["train", "--steps", "10", "--loss-plot", c.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let curves = std::fs::read_to_string(&c).unwrap();
    for text in [
        ">1</text>",
        ">10</text>",
        ">step</text>",
        ">loss</text>",
        ">accuracy</text>",
    ] {
        assert!(curves.contains(text), "{text} missing from the loss plot");
    }
    // the step axis's labels: the texts on the line under the frame
    let steps: Vec<&str> = curves
        .lines()
        .filter(|l| l.contains(" y=\"397\" font-size=\"11\""))
        .filter_map(|l| l.split('>').nth(1)?.strip_suffix("</text"))
        .collect();
    assert_eq!(steps, ["1", "2", "4", "6", "8", "10"]);
    let pdf = dir.path().join("curves.pdf").display().to_string();
    fails_with(
        &["train", "--loss-plot", &pdf],
        2,
        &format!("--loss-plot {pdf}: the picture must end in .svg or .png"),
    );
    // A missing directory is found before training, naming the flag (exit 2).
    for flag in ["--save", "--plot", "--loss-plot"] {
        let ext = if flag == "--save" { "json" } else { "svg" };
        let p = dir.path().join("no/such/dir").join(format!("f.{ext}"));
        let o = micrograd(&["train", "--steps", "1000000", flag, p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!(
                "{flag} {}: the directory {} does not exist",
                p.display(),
                p.parent().unwrap().display()
            )),
            "{}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty(), "nothing trained");
    }
    // A directory where the file should be: exit 2 before training.
    let taken = dir.path().join("taken.json");
    std::fs::create_dir(&taken).unwrap();
    fails_with(
        &["train", "--steps", "1", "--save", taken.to_str().unwrap()],
        2,
        "is a directory (expected a file name)",
    );
    // A write that fails after training stays exit 1 (a full disk: a link to /dev/full).
    #[cfg(target_os = "linux")]
    {
        let full = dir.path().join("full.json");
        std::os::unix::fs::symlink("/dev/full", &full).unwrap();
        fails_with(
            &["train", "--steps", "1", "--save", full.to_str().unwrap()],
            1,
            "--save: ",
        );
    }
}

#[test]
fn label_column_and_mini_batches_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    // The demo moons with the label first and named `class`.
    let mut text = String::from("class,x0,x1\n");
    for line in data::DEMO_MOONS_CSV.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        text.push_str(&format!("{},{},{}\n", f[2], f[0], f[1]));
    }
    let csv = write(dir.path(), "first.csv", &text);
    let o = micrograd(&["train", "--data", &csv, "--label-column", "class", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["accuracy"], 1.0,
        "the same data and model as the default demo"
    );
    let batched = [
        "train",
        "--batch-size",
        "20",
        "--steps",
        "50",
        "--optimizer",
        "adam",
        "--json",
    ];
    let a = micrograd(&batched);
    let b = micrograd(&batched);
    assert!(a.status.success(), "{}", stderr(&a));
    assert!(stderr(&a).contains(", batch 20"));
    let loss =
        |o: &Output| serde_json::from_str::<serde_json::Value>(&stdout(o)).unwrap()["loss"].clone();
    assert_eq!(loss(&a), loss(&b), "same seed, same batches, same loss");
}

#[test]
fn sizes_are_limited_before_anything_is_allocated() {
    fails_with(
        &["train", "--data", "moons", "--samples", "1000001"],
        2,
        "--samples 1000001: at most 1,000,000 examples",
    );
    fails_with(
        &["train", "--steps", "10000001"],
        2,
        "--steps 10000001: at most 10,000,000 steps",
    );
    fails_with(
        &["train", "--layers", "100000,100000"],
        2,
        "--layers 100000,100000: the network would have at least 10000300000 parameters (the limit is 10,000,000)",
    );
    // The hidden layers alone have 2*3100 + 3101*3100 = 9,619,300 parameters, allowed; with
    // the 2 inputs and 200 outputs: 3*3100 + 3101*3100 + 3101*200 = 10,242,600, not.
    fails_with(
        &[
            "train",
            "--data",
            "blobs",
            "--samples",
            "200",
            "--classes",
            "200",
            "--loss",
            "ce",
            "--layers",
            "3100,3100",
        ],
        2,
        "--layers 3100,3100: the network would have 10242600 parameters (the limit",
    );
    fails_with(
        &["train", "--layers", "99999999999,99999999999"],
        2,
        "--layers 99999999999,99999999999: the network would have more parameters than fit",
    );
    // --classes against the examples generated by default (300 for the spiral).
    fails_with(
        &[
            "train",
            "--data",
            "spiral",
            "--classes",
            "301",
            "--loss",
            "ce",
        ],
        2,
        "--classes 301: more classes than the 300 examples generated (set --samples)",
    );
    fails_with(
        &[
            "train",
            "--data",
            "blobs",
            "--classes",
            "101",
            "--loss",
            "ce",
        ],
        2,
        "--classes 101: more classes than the 100 examples generated",
    );
    fails_with(
        &["demo", "--steps", "0"],
        2,
        "--steps 0: between 1 and 100,000 steps",
    );
    fails_with(
        &["demo", "--steps", "100001"],
        2,
        "--steps 100001: between 1 and 100,000 steps",
    );
}

#[test]
fn predict_matches_columns_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "d.csv",
        "a,b,y\n1,0,yes\n-1,0.5,no\n0.8,0.1,yes\n-0.7,0.4,no\n",
    );
    let model = dir.path().join("m.json").display().to_string();
    let o = micrograd(&["train", "--data", &csv, "--steps", "20", "--save", &model]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = micrograd(&["predict", "--model", &model, "--data", &csv, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let want: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(want["accuracy"], 1.0);
    // The same rows, columns in another order: the same predictions.
    let shuffled = write(
        dir.path(),
        "s.csv",
        "y,b,a\nyes,0,1\nno,0.5,-1\nyes,0.1,0.8\nno,0.4,-0.7\n",
    );
    let o = micrograd(&["predict", "--model", &model, "--data", &shuffled, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(got, want);
    let o = micrograd(&["predict", "--model", &model, "--data", &shuffled]);
    assert!(
        stdout(&o).starts_with("a,b,prediction,label\n1,0,yes,yes\n-1,0.5,no,no\n"),
        "{}",
        stdout(&o)
    );
    // Unlabelled, reordered.
    let unlabelled = write(dir.path(), "u.csv", "b,a\n0,1\n0.5,-1\n");
    let o = micrograd(&[
        "predict",
        "--model",
        &model,
        "--data",
        &unlabelled,
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["predictions"], serde_json::json!(["yes", "no"]));
    // A missing column is named.
    let other = write(dir.path(), "o.csv", "a,c,y\n1,0,yes\n");
    fails_with(
        &["predict", "--model", &model, "--data", &other],
        2,
        "o.csv: the model's feature column(s) b are not in the header (a, c, y); columns are matched by name",
    );
    let two_extra = write(dir.path(), "t.csv", "a,b,c,y\n1,0,2,yes\n");
    fails_with(
        &["predict", "--model", &model, "--data", &two_extra],
        2,
        "t.csv: the columns c, y are not the model's features; name the label column with --label-column",
    );
    let o = micrograd(&[
        "predict",
        "--model",
        &model,
        "--data",
        &two_extra,
        "--label-column",
        "y",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("accuracy 100.0% (1/1)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn messages_are_short_and_name_the_flag() {
    // A huge learning rate: not 300 digits.
    let o = micrograd(&["train", "--lr", "1e300", "--steps", "1", "--json"]);
    let err = stderr(&o);
    assert!(err.contains(" lr 1e300 ("), "{err}");
    fails_with(
        &["train", "--lr", "-1e300"],
        2,
        "--lr -1e300: the learning rate must be a positive number",
    );
    fails_with(
        &["train", "--l2=-1e-9"],
        2,
        "--l2 -1e-9: must be a number >= 0",
    );
    // The activations train accepts, exactly.
    fails_with(
        &["train", "--activation", "gelu"],
        2,
        "--activation: unknown activation `gelu` (expected one of: relu, tanh, sigmoid)",
    );
    fails_with(
        &["train", "--activation", "linear"],
        2,
        "--activation linear: hidden layers need a non-linearity",
    );
    // An empty model file.
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.json", "");
    let data = write(dir.path(), "d.csv", "x0,x1\n1,2\n");
    fails_with(
        &["predict", "--model", &empty, "--data", &data],
        2,
        "empty.json: not a micrograd model file: the file is empty",
    );
}

#[test]
fn a_step_graph_over_the_budget_exits_2_saying_what_to_lower() {
    // F2 of issue #12: these aborted with `memory allocation of N bytes failed` (exit 134).
    let o = micrograd(&[
        "train",
        "--data",
        "blobs",
        "--classes",
        "5000",
        "--samples",
        "5000",
        "--loss",
        "ce",
        "--layers",
        "4",
        "--steps",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "error: a training step on 5,000 examples would build a graph of about 75,070,005 \
             nodes (2.5 GB), more than the budget of 1 GB; lower --batch-size (at most "
        ),
        "{err}"
    );
    assert!(
        err.ends_with(" examples fit in a step), --samples or --layers\n"),
        "{err}"
    );
    assert!(stdout(&o).is_empty(), "nothing trained");
    fails_with(
        &[
            "train",
            "--data",
            "moons",
            "--samples",
            "1000000",
            "--layers",
            "64,64",
            "--steps",
            "1",
        ],
        2,
        "error: a training step on 1,000,000 examples would build a graph of about \
         262,000,005 nodes (13.9 GB), more than the budget of 1 GB; lower --batch-size (at most ",
    );
    // A file's data has no --samples to lower (3000 examples of ~12,000 nodes each).
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("a,b,y\n");
    for i in 0..3000 {
        text.push_str(&format!("{i},{},{}\n", i % 7, i % 2));
    }
    let csv = write(dir.path(), "d.csv", &text);
    let o = micrograd(&[
        "train",
        "--data",
        &csv,
        "--layers",
        "3000,3000",
        "--steps",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).ends_with(" examples fit in a step) or --layers\n"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn repeated_column_names_exit_2_naming_the_columns() {
    // F1 of issue #12: `a,a,y` trained, and predict matched both inputs to the first `a`.
    let dir = tempfile::tempdir().unwrap();
    let aay = write(
        dir.path(),
        "aay.csv",
        "a,a,y\n1,0,yes\n-1,0.5,no\n0.8,0.1,yes\n",
    );
    fails_with(
        &["train", "--data", &aay, "--steps", "2"],
        2,
        "aay.csv: the header names \"a\" more than once (columns 1 and 2): columns are matched \
         by name, so their names must differ",
    );
    // A model whose features are named a, a (written by an older version, or by hand).
    let c = micrograd::train::Classifier {
        model: micrograd::nn::MLP::new(2, &[3, 1]),
        loss: micrograd::train::LossKind::Svm,
        class_names: vec!["no".into(), "yes".into()],
        feature_names: vec!["a".into(), "a".into()],
    };
    let model = dir.path().join("aa.json");
    c.save_json(&model).unwrap();
    let model = model.display().to_string();
    fails_with(
        &["predict", "--model", &model, "--data", &aay],
        2,
        "aay.csv: the feature name \"a\" is used more than once (features 1 and 2): features \
         are matched to columns by name, so their names must differ",
    );
    // A headerless file is matched by position: no names to confuse.
    let plain = write(dir.path(), "plain.csv", "1,0,yes\n-1,0.5,no\n");
    let o = micrograd(&["predict", "--model", &model, "--data", &plain]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A model of features a, b and a file that names `b` twice.
    let ab = write(dir.path(), "ab.csv", "a,b,y\n1,0,yes\n-1,0.5,no\n");
    let model = dir.path().join("ab.json").display().to_string();
    let o = micrograd(&["train", "--data", &ab, "--steps", "5", "--save", &model]);
    assert!(o.status.success(), "{}", stderr(&o));
    let abb = write(dir.path(), "abb.csv", "a,b,b,y\n1,0,2,yes\n");
    fails_with(
        &["predict", "--model", &model, "--data", &abb],
        2,
        "abb.csv: the header names \"b\" more than once (columns 2 and 3)",
    );
}

/// A negative number for a numeric flag is that flag's value, refused by name (not clap's
/// "unexpected argument '-1'").
#[test]
fn negative_numbers_are_refused_by_flag() {
    fails_with(
        &["train", "--steps", "-1"],
        2,
        "invalid value '-1' for '--steps <N>'",
    );
    fails_with(
        &["train", "--samples", "-5"],
        2,
        "invalid value '-5' for '--samples <N>'",
    );
    fails_with(
        &["train", "--noise", "-1"],
        2,
        "--noise -1: must be a number >= 0",
    );
    fails_with(
        &["train", "--l2", "-1"],
        2,
        "--l2 -1: must be a number >= 0",
    );
    fails_with(&["train", "--lr", "-1"], 2, "--lr -1");
}
