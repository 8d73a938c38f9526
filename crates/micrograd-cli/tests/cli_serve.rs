//! `micrograd serve`: the explorer's "copy as command" line, run through the binary,
//! reproduces the page's seeded run (the same loss, to the bit); the server prints its URL,
//! serves the page, and stops cleanly on Ctrl-C (SIGINT).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use micrograd_explorer::data::DataSpec;
use micrograd_explorer::session::{Sessions, TrainRequest};

/// Trains `req` in the explorer, runs its command line with `--json` in `dir`, and
/// compares the loss and the accuracy; returns the command line.
fn same_run(req: TrainRequest, dir: &std::path::Path) -> String {
    let sessions = Sessions::new();
    let session = sessions.start(req).expect("a valid request");
    let start = Instant::now();
    let snap = loop {
        let s = session.snapshot();
        if s.state.is_final() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the run did not end"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let command = session.command.clone();
    let args: Vec<&str> = command.split(' ').collect();
    assert_eq!(&args[..2], ["micrograd", "train"], "{command}");
    let out = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(&args[1..])
        .arg("--json")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["loss"].as_f64(), snap.final_loss, "{command}");
    assert_eq!(j["accuracy"].as_f64(), snap.final_accuracy, "{command}");
    assert_eq!(j["steps"].as_u64(), Some(snap.steps as u64));
    command
}

#[test]
fn the_copied_command_reproduces_the_run() {
    let dir = tempfile::tempdir().unwrap();
    // micrograd's demo, as the page starts: the command's defaults, no flag.
    assert_eq!(
        same_run(TrainRequest::default(), dir.path()),
        "micrograd train"
    );
    // The lecture's network and loss: tanh in every neuron, the sum of squares, and no
    // learning rate: the command line's default for a sum over the data (0.05 / 100), which
    // the command computes itself (it has no --lr).
    assert_eq!(
        same_run(
            TrainRequest {
                layers: vec![4, 4],
                activation: "tanh".into(),
                output_activation: "tanh".into(),
                loss: "sse".into(),
                steps: 40,
                ..TrainRequest::default()
            },
            dir.path(),
        ),
        "micrograd train --layers 4,4 --activation tanh --output-activation tanh --loss sse \
         --steps 40"
    );
    // The same on generated blobs in mini-batches: the default rate follows the batch (a
    // sum over 25 examples) and the data's scale (mean square feature 8.75).
    let blobs = || DataSpec {
        kind: "blobs".into(),
        ..DataSpec::default()
    };
    let command = same_run(
        TrainRequest {
            data: blobs(),
            output_activation: "tanh".into(),
            loss: "sse".into(),
            batch_size: Some(25),
            steps: 40,
            ..TrainRequest::default()
        },
        dir.path(),
    );
    assert!(!command.contains("--lr"), "{command}");
    // micrograd's demo network on blobs: sgd's default 1 over the data's scale, 0.114.
    let sessions = Sessions::new();
    let run = sessions
        .start(TrainRequest {
            data: blobs(),
            steps: 30,
            ..TrainRequest::default()
        })
        .unwrap();
    assert_eq!(run.config.lr, 0.114);
    same_run(run.request.clone(), dir.path());
    // Generated data, cross-entropy, Adam, mini-batches, cosine schedule, another seed.
    same_run(
        TrainRequest {
            data: DataSpec {
                kind: "spiral".into(),
                samples: Some(120),
                noise: Some(0.15),
                classes: Some(3),
                ..DataSpec::default()
            },
            layers: vec![12, 8],
            activation: "tanh".into(),
            loss: "ce".into(),
            optimizer: "adam".into(),
            schedule: "cosine".into(),
            l2: 0.0,
            steps: 80,
            batch_size: Some(32),
            seed: 42,
            ..TrainRequest::default()
        },
        dir.path(),
    );
    // Generated moons with their defaults written out (not the embedded demo data).
    same_run(
        TrainRequest {
            data: DataSpec {
                kind: "moons".into(),
                ..DataSpec::default()
            },
            loss: "bce".into(),
            optimizer: "momentum".into(),
            lr: Some(0.05),
            steps: 50,
            ..TrainRequest::default()
        },
        dir.path(),
    );
    // A CSV upload (or points edited on the page): the command reads the file by its name.
    let mut csv = String::from("a,b,kind\n");
    for i in 0..30 {
        let t = i as f64 / 30.0 * std::f64::consts::TAU;
        csv.push_str(&format!("{},{},in\n", 0.3 * t.cos(), 0.3 * t.sin()));
        csv.push_str(&format!("{},{},out\n", 1.1 * t.cos(), 1.1 * t.sin()));
    }
    std::fs::write(dir.path().join("rings.csv"), &csv).unwrap();
    same_run(
        TrainRequest {
            data: DataSpec {
                kind: "csv".into(),
                csv: Some(csv),
                label_column: Some("kind".into()),
                file_name: Some("rings.csv".into()),
                ..DataSpec::default()
            },
            loss: "mse".into(),
            optimizer: "adam".into(),
            steps: 60,
            ..TrainRequest::default()
        },
        dir.path(),
    );
}

#[test]
fn serve_prints_its_url_and_stops_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("micrograd explorer: ")
        .unwrap_or_else(|| panic!("{first}"));
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut tcp = std::net::TcpStream::connect(addr).unwrap();
    write!(
        tcp,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut page = String::new();
    tcp.read_to_string(&mut page).unwrap();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("<title>micrograd explorer</title>"));
    // An open event stream must not keep the server from stopping.
    let mut body = String::new();
    let mut post = std::net::TcpStream::connect(addr).unwrap();
    let req = r#"{"paused": true}"#;
    write!(
        post,
        "POST /api/train HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{req}",
        req.len()
    )
    .unwrap();
    post.read_to_string(&mut body).unwrap();
    assert!(body.contains("\"id\":1"), "{body}");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /api/train/1/events HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    let mut first_bytes = [0u8; 32];
    let _ = stream.read(&mut first_bytes).unwrap();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let code = loop {
        if let Some(code) = child.try_wait().unwrap() {
            break code;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still running after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(code.success(), "{code:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(rest.last().map(String::as_str), Some("stopped"), "{rest:?}");
    drop(stream);
}

#[test]
fn serve_flags_are_checked() {
    let out = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(["serve", "--port", "70000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(["serve", "--bench", "--seconds", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--seconds 0: between 0.5 and 600"));
    // A port taken by another server: exit 1 with the reason.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(["serve", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on 127.0.0.1"));
}
