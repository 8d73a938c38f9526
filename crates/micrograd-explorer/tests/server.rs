//! The explorer's server over a real socket: every endpoint, good and bad requests (4xx
//! with a JSON error), the limits, the event stream and its `done` event, the runs'
//! lifecycle. A small blocking HTTP/1.1 client keeps the test free of more dependencies.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use micrograd::data;
use micrograd::nn::model;
use micrograd::nn::optim::{OptimizerKind, Schedule};
use micrograd::nn::{Activation, MLP};
use micrograd::train::{LossKind, TrainConfig, train};
use micrograd_explorer::Server;
use micrograd_explorer::session::{RunState, Sessions};
use serde_json::{Value as Json, json};

/// A server on a free port, on its own runtime thread; stops when dropped.
struct TestServer {
    addr: String,
    sessions: Arc<Sessions>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    fn start() -> TestServer {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let server = Server::bind(0).await.unwrap();
                tx.send((server.url().to_string(), server.sessions()))
                    .unwrap();
                server
                    .run(async {
                        let _ = stop_rx.await;
                    })
                    .await;
            });
        });
        let (url, sessions) = rx.recv().unwrap();
        TestServer {
            addr: url
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_string(),
            sessions,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    fn request(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> Reply {
        let mut tcp = TcpStream::connect(&self.addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        write!(
            tcp,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        )
        .unwrap();
        // The body is written from its own thread while this one reads: a server that
        // rejects a large body answers after reading only part of it and closes, so the rest
        // of the write fails (broken pipe, reset) while the answer is already on its way.
        let mut writer = tcp.try_clone().unwrap();
        let body = body.to_vec();
        let written = std::thread::spawn(move || writer.write_all(&body));
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match tcp.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => raw.extend_from_slice(&chunk[..n]),
                // A reset after the answer arrived ends it like a close.
                Err(e) if !raw.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => {
                    break;
                }
                Err(e) => panic!("reading the answer to {method} {path}: {e}"),
            }
        }
        let _ = written.join().unwrap();
        Reply::parse(&raw)
    }

    fn get(&self, path: &str) -> Reply {
        self.request("GET", path, "text/plain", b"")
    }

    fn post(&self, path: &str, body: &Json) -> Reply {
        self.request(
            "POST",
            path,
            "application/json",
            body.to_string().as_bytes(),
        )
    }

    /// Reads the event stream of run `id` to its end: the `(event, data)` pairs.
    fn events(&self, id: u64) -> Vec<(String, Json)> {
        let mut tcp = TcpStream::connect(&self.addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        write!(
            tcp,
            "GET /api/train/{id}/events HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut reader = BufReader::new(tcp);
        let mut events = Vec::new();
        let mut name = String::new();
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            let l = line.trim_end();
            if let Some(n) = l.strip_prefix("event: ") {
                name = n.to_string();
            } else if let Some(d) = l.strip_prefix("data: ") {
                let data: Json = serde_json::from_str(d).unwrap();
                let done = name == "done";
                events.push((std::mem::take(&mut name), data));
                if done {
                    break;
                }
            }
        }
        events
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Reply {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

impl Reply {
    fn parse(raw: &[u8]) -> Reply {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a header");
        let headers = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
        let status = headers[9..12].parse().unwrap();
        let mut body = raw[split + 4..].to_vec();
        if headers.contains("transfer-encoding: chunked") {
            let mut out = Vec::new();
            let mut rest = &body[..];
            loop {
                let eol = rest.windows(2).position(|w| w == b"\r\n").unwrap();
                let n =
                    usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().trim(), 16)
                        .unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&rest[eol + 2..eol + 2 + n]);
                rest = &rest[eol + 4 + n..];
            }
            body = out;
        }
        Reply {
            status,
            headers,
            body,
        }
    }

    fn json(&self) -> Json {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// Asserts a 4xx status with a JSON `error` containing `words`; returns the body.
    fn error(&self, status: u16, words: &str) -> Json {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert!(self.headers.contains("content-type: application/json"));
        let j = self.json();
        let e = j["error"].as_str().expect("an error message");
        assert!(e.contains(words), "{e:?} lacks {words:?}");
        j
    }
}

fn lecture() -> Json {
    json!({"program": "o = tanh(x1*w1 + x2*w2 + b)", "inputs": [
        {"name": "x1", "value": 2.0}, {"name": "x2", "value": 0.0},
        {"name": "w1", "value": -3.0}, {"name": "w2", "value": 1.0},
        {"name": "b", "value": 6.881_373_587_019_443}]})
}

#[test]
fn the_page_is_embedded() {
    let s = TestServer::start();
    let r = s.get("/");
    assert_eq!(r.status, 200);
    assert!(r.headers.contains("content-type: text/html"));
    let html = String::from_utf8(r.body).unwrap();
    assert!(html.contains("<title>micrograd explorer</title>"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no CDN"
    );
    for (path, mime) in [("/app.js", "text/javascript"), ("/style.css", "text/css")] {
        let r = s.get(path);
        assert_eq!(r.status, 200);
        assert!(r.headers.contains(mime), "{path}");
    }
    s.get("/nothing/here").error(404, "no such page");
    s.request("PUT", "/api/expr", "application/json", b"{}")
        .error(405, "does not take PUT");
    let limits = s.get("/api/limits").json();
    assert_eq!(limits["samples"], 5000);
    assert_eq!(limits["lr"], 1e6);
    assert_eq!(limits["l2"], 1e3);
}

#[test]
fn expression_grads_and_steps_equal_the_engine() {
    let s = TestServer::start();
    let a = s.post("/api/expr", &lecture()).json();
    let inputs = [
        ("x1", 2.0),
        ("x2", 0.0),
        ("w1", -3.0),
        ("w2", 1.0),
        ("b", 6.881_373_587_019_443),
    ];
    let (value, grads) =
        micrograd::expr::gradients("o = tanh(x1*w1 + x2*w2 + b)", &inputs).unwrap();
    assert_eq!(a["value"].as_f64().unwrap(), value);
    assert_eq!(a["output"], "o");
    let names: Vec<&str> = a["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["x1", "w1", "x2", "w2", "b"]); // the order the program reads them
    for (name, g) in &grads {
        let i = a["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name.as_str())
            .unwrap();
        assert_eq!(i["grad"].as_f64().unwrap(), *g, "{name}");
        let numeric = i["numeric"].as_f64().unwrap();
        assert!((numeric - g).abs() < 1e-6, "{name}: {numeric} vs {g}");
        // Replaying the steps gives the engine's grads, to the bit.
        let node = i["node"].as_u64().unwrap();
        let mut last = 0.0;
        for st in a["steps"].as_array().unwrap() {
            for l in st["lines"].as_array().unwrap() {
                if l["operand"].as_u64() == Some(node) {
                    last = l["after"].as_f64().unwrap();
                }
            }
        }
        assert_eq!(last, *g, "{name} after the steps");
    }
    let steps = a["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 6); // the seed and five operations
    assert_eq!(
        steps[5]["lines"][0]["text"],
        "x1.grad += w1.data \u{d7} (x1*w1).grad = -3.0000 \u{d7} 0.5000 = -1.5000"
    );
    let g = &a["graph"];
    assert_eq!(g["values"].as_array().unwrap().len(), 10);
    assert_eq!(g["ops"].as_array().unwrap().len(), 5);
    assert_eq!(g["boxes"].as_array().unwrap().len(), 15);

    // A value used twice: the second contribution says it adds to the first.
    let a = s
        .post(
            "/api/expr",
            &json!({"program": "a = x*x; a + x", "inputs": [{"name": "x", "value": 3.0}]}),
        )
        .json();
    let lines: Vec<&Json> = a["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["lines"].as_array().unwrap())
        .collect();
    let acc: Vec<bool> = lines
        .iter()
        .map(|l| l["accumulates"].as_bool().unwrap())
        .collect();
    assert_eq!(acc, [false, false, false, true, true]);
    assert_eq!(lines.last().unwrap()["after"], 7.0); // d/dx (x^2 + x) at 3
    assert!(
        lines[3]["text"]
            .as_str()
            .unwrap()
            .ends_with("(used again: 1.0000 + 3.0000 = 4.0000)")
    );

    // An input not given is 1.0; a constant program has no input.
    let a = s.post("/api/expr", &json!({"program": "y = 2 * z"})).json();
    assert_eq!(a["inputs"][0]["value"], 1.0);
    assert_eq!(a["value"], 2.0);
    let a = s.post("/api/expr", &json!({"program": "2 * 3"})).json();
    assert_eq!(a["value"], 6.0);
    assert_eq!(a["inputs"].as_array().unwrap().len(), 0);

    // The nudge: the value elsewhere.
    let v = s
        .post(
            "/api/expr/value",
            &json!({"program": "x * x", "inputs": [{"name": "x", "value": 1.5}]}),
        )
        .json();
    assert_eq!(v["value"], 2.25);
    let v = s
        .post(
            "/api/expr/value",
            &json!({"program": "log(x)", "inputs": [{"name": "x", "value": 0.0}]}),
        )
        .json();
    assert_eq!(v["value"], Json::Null);
}

#[test]
fn expression_errors_are_4xx_json() {
    let s = TestServer::start();
    let e = s
        .post("/api/expr", &json!({"program": "x = a * ) + 1"}))
        .error(422, "syntax error at line 1, column 9");
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(1), Some(9))
    );
    assert_eq!(e["caret"], "        ^");
    assert_eq!(e["line_text"], "x = a * ) + 1");
    s.post("/api/expr", &json!({"program": "foo(x)"}))
        .error(422, "unknown function 'foo'");
    s.post("/api/expr", &json!({"program": ""}))
        .error(422, "empty program");
    s.post("/api/expr", &json!({"program": "x".repeat(5000)}))
        .error(413, "at most 4000");
    let many: Vec<String> = (0..70).map(|i| format!("v{i}")).collect();
    s.post("/api/expr", &json!({"program": many.join(" + ")}))
        .error(413, "70 inputs");
    let long: Vec<&str> = std::iter::repeat_n("x", 400).collect();
    s.post("/api/expr", &json!({"program": long.join(" * ")}))
        .error(422, "the explorer draws at most 300");
    s.post("/api/expr", &json!({"program": "x", "extra": 1}))
        .error(400, "unknown field `extra`");
    s.post("/api/expr", &json!({"inputs": []}))
        .error(400, "missing field `program`");
    s.request(
        "POST",
        "/api/expr",
        "application/json",
        b"{\"program\": \"x\", ",
    )
    .error(400, "bad request body");
    s.request(
        "POST",
        "/api/expr",
        "application/json",
        b"{\"program\": \"x\", \"inputs\": [{\"name\": \"x\", \"value\": 1e999}]}",
    )
    .error(400, "bad request body");
    s.request("POST", "/api/expr", "text/plain", b"x")
        .error(415, "must be JSON");
    let big = vec![b' '; 2 * 1024 * 1024];
    s.request("POST", "/api/expr", "application/json", &big)
        .error(413, "larger than 1024 KiB");
}

#[test]
fn data_generators_and_csv() {
    let s = TestServer::start();
    let d = s
        .post("/api/data", &json!({"data": {"kind": "demo"}}))
        .json();
    assert_eq!(d["points"].as_array().unwrap().len(), 100);
    assert_eq!(d["class_names"], json!(["-1", "1"]));
    assert_eq!(d["points"][0][0], 1.1221146075409685);
    let d = s
        .post(
            "/api/data",
            &json!({"data": {"kind": "spiral", "samples": 90, "classes": 3}, "seed": 4}),
        )
        .json();
    let expected = data::spiral(90, 3, 0.2, 4);
    assert_eq!(
        d["points"][17][1].as_f64().unwrap(),
        expected.features[17][1]
    );
    assert_eq!(d["classes"].as_array().unwrap().len(), 90);
    let e = s
        .post(
            "/api/data",
            &json!({"data": {"kind": "csv", "csv": "x0,x1,label\n1,2,a\n3,oops,b\n"}}),
        )
        .error(422, "line 3, column 2 (\"x1\"): \"oops\" is not a number");
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(3), Some(2))
    );
    s.post(
        "/api/data",
        &json!({"data": {"kind": "csv", "csv": "a,b,c,label\n1,2,3,x\n4,5,6,y\n"}}),
    )
    .error(422, "draws 2-D data");
    s.post(
        "/api/data",
        &json!({"data": {"kind": "csv", "csv": "x,y,label\n1,2,a\n3,4\n"}}),
    )
    .error(422, "line 3: 2 fields");
    s.post(
        "/api/data",
        &json!({"data": {"kind": "csv", "csv": "1,2,a\n".repeat(100_000)}}),
    )
    .error(413, "at most 512 KiB");
    s.post(
        "/api/data",
        &json!({"data": {"kind": "csv", "csv": "1,2,a\n".repeat(6000)}}),
    )
    .error(413, "at most 5000 examples");
    let labels: String = (0..10).map(|c| format!("{c},{c},k{c}\n")).collect();
    s.post(
        "/api/data",
        &json!({"data": {"kind": "csv", "csv": labels}}),
    )
    .error(422, "at most 8");
    s.post("/api/data", &json!({"data": {"kind": "csv"}}))
        .error(400, "needs the file's text");
    s.post(
        "/api/data",
        &json!({"data": {"kind": "moons", "samples": 100000}}),
    )
    .error(400, "between 2 and 5000");
    s.post(
        "/api/data",
        &json!({"data": {"kind": "moons", "noise": -1}}),
    )
    .error(400, "noise -1");
    s.post(
        "/api/data",
        &json!({"data": {"kind": "moons", "classes": 3}}),
    )
    .error(400, "classes applies to blobs and spiral");
    s.post(
        "/api/data",
        &json!({"data": {"kind": "blobs", "classes": 9}}),
    )
    .error(400, "between 2 and 8");
    s.post(
        "/api/data",
        &json!({"data": {"kind": "demo", "samples": 10}}),
    )
    .error(400, "takes no samples");
    s.post("/api/data", &json!({"data": {"kind": "nope"}}))
        .error(400, "unknown data `nope`");
    s.post(
        "/api/data",
        &json!({"data": {"kind": "moons", "samples": -3}}),
    )
    .error(400, "bad request body");
}

fn wait_final(s: &TestServer, id: u64) -> RunState {
    let start = Instant::now();
    loop {
        let st = s.sessions.get(id).unwrap().snapshot().state;
        if st.is_final() {
            return st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "run {id} did not end"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_run_streams_frames_then_done_with_the_library_s_numbers() {
    let s = TestServer::start();
    let r = s.post("/api/train", &json!({"steps": 60})).json();
    let id = r["id"].as_u64().unwrap();
    assert_eq!(r["sizes"], json!([2, 16, 16, 1]));
    assert_eq!(r["parameters"], 337);
    // The demo but for its steps: the command writes only what differs from its defaults.
    assert_eq!(r["command"], "micrograd train --steps 60");
    assert_eq!((&r["lr"], &r["lr_default"]), (&json!(1.0), &json!(true)));
    let events = s.events(id);
    let (last, frames) = events.split_last().unwrap();
    assert_eq!(last.0, "done");
    assert!(frames.iter().all(|(n, _)| n == "frame"));
    let final_frame = &frames.last().unwrap().1;
    assert_eq!(final_frame["state"], "done");
    assert_eq!(final_frame["step"], 60);
    // The same run by the library: the same loss, to the bit.
    let config = TrainConfig {
        steps: 60,
        ..TrainConfig::default()
    };
    let report = train(&data::demo_moons(), &config, |_| {}).unwrap();
    assert_eq!(last.1["final_loss"].as_f64().unwrap(), report.loss);
    assert_eq!(
        final_frame["final_accuracy"].as_f64().unwrap(),
        report.accuracy
    );
    let curve = final_frame["curve"]["loss"].as_array().unwrap();
    assert_eq!(curve.len(), 60);
    assert!((curve[0].as_f64().unwrap() - report.loss_history[0]).abs() < 1e-5);
    // 100 x 100 cells, one byte each, in base64; one picture per hidden neuron.
    assert_eq!(final_frame["boundary"].as_str().unwrap().len(), 13336);
    assert_eq!(final_frame["neurons"].as_array().unwrap().len(), 32);
    // A second stream of a finished run: its last frame, then done (no training again).
    let again = s.events(id);
    assert_eq!(again.len(), 2);
    assert_eq!(again[1].0, "done");
    // Controls on a finished run: 409.
    s.post(
        &format!("/api/train/{id}/control"),
        &json!({"action": "play"}),
    )
    .error(409, "the run has ended");
}

#[test]
fn controls_pause_step_and_stop() {
    let s = TestServer::start();
    let r = s
        .post("/api/train", &json!({"steps": 1000, "paused": true}))
        .json();
    let id = r["id"].as_u64().unwrap();
    let session = s.sessions.get(id).unwrap();
    assert_eq!(session.snapshot().state, RunState::Paused);
    assert_eq!(session.snapshot().step, 0);
    let control = |body: Json| s.post(&format!("/api/train/{id}/control"), &body);
    for _ in 0..3 {
        assert_eq!(control(json!({"action": "step"})).status, 200);
    }
    let start = Instant::now();
    while session.snapshot().step < 3 {
        assert!(start.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(session.snapshot().step, 3); // three steps, then it waits
    assert_eq!(session.snapshot().state, RunState::Paused);
    control(json!({"action": "jump"})).error(400, "unknown action `jump`");
    control(json!({"action": "speed", "speed": -1})).error(400, "speed -1");
    control(json!({"action": "speed"})).error(400, "needs a speed");
    control(json!({"action": "play", "speed": 3})).error(400, "speed goes with action speed");
    assert_eq!(control(json!({"action": "speed", "speed": 50})).status, 200);
    assert_eq!(control(json!({"action": "play"})).status, 200);
    let start = Instant::now();
    while session.snapshot().step < 5 {
        assert!(start.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(control(json!({"action": "stop"})).status, 200);
    assert_eq!(wait_final(&s, id), RunState::Stopped);
    assert!(session.snapshot().step < 1000);
    // Points and exports work on a stopped run.
    let p = s.get(&format!("/api/train/{id}/point/7")).json();
    assert_eq!(p["index"], 7);
    assert!(p["graph"]["values"].as_array().unwrap().len() > 337);
    s.get(&format!("/api/train/{id}/point/100"))
        .error(400, "the data has 100 points");
    s.get(&format!("/api/train/{id}/point/x"))
        .error(400, "not a point number");
    s.get("/api/train/abc/events")
        .error(404, "no training run \"abc\"");
    // DELETE forgets it.
    let r = s.request("DELETE", &format!("/api/train/{id}"), "text/plain", b"");
    assert_eq!(r.status, 200);
    s.get(&format!("/api/train/{id}/events"))
        .error(404, "no training run");
    s.post(
        &format!("/api/train/{id}/control"),
        &json!({"action": "play"}),
    )
    .error(404, "no training run");
    s.request("DELETE", &format!("/api/train/{id}"), "text/plain", b"")
        .error(404, "no training run");
}

#[test]
fn exports_are_files_the_library_reads() {
    let s = TestServer::start();
    let id = s.post("/api/train", &json!({"steps": 20})).json()["id"]
        .as_u64()
        .unwrap();
    wait_final(&s, id);
    let weights = s.sessions.get(id).unwrap().snapshot().weights.clone();
    let r = s.get(&format!("/api/train/{id}/export/model.json"));
    assert_eq!(r.status, 200);
    assert!(r.headers.contains("content-disposition: attachment"));
    let (mlp, meta) =
        model::from_json_str_with_meta(std::str::from_utf8(&r.body).unwrap()).unwrap();
    assert_eq!(mlp.weights(), weights);
    assert_eq!(meta.unwrap()["kind"], "micrograd-classifier");
    let r = s.get(&format!("/api/train/{id}/export/model.safetensors"));
    assert_eq!(r.status, 200);
    let n = u64::from_le_bytes(r.body[..8].try_into().unwrap()) as usize;
    assert_eq!(r.body.len(), 8 + n + 337 * 8);
    let r = s.get(&format!("/api/train/{id}/export/boundary.png"));
    assert_eq!(&r.body[..8], b"\x89PNG\r\n\x1a\n");
    let r = s.get(&format!("/api/train/{id}/export/boundary.svg"));
    assert!(String::from_utf8(r.body).unwrap().starts_with("<svg"));
    s.get(&format!("/api/train/{id}/export/model.exe"))
        .error(404, "no export `model.exe`");
}

#[test]
fn training_requests_are_checked() {
    let s = TestServer::start();
    let bad = |body: Json, status: u16, words: &str| {
        s.post("/api/train", &body).error(status, words);
    };
    bad(json!({"layers": [4, 4, 4, 4, 4, 4, 4]}), 400, "at most 6");
    bad(json!({"layers": [100]}), 400, "between 1 and 32");
    bad(json!({"layers": [0]}), 400, "has 0 neurons");
    bad(
        json!({"activation": "linear"}),
        400,
        "unknown activation `linear`",
    );
    bad(json!({"loss": "hinge"}), 400, "unknown loss `hinge`");
    bad(json!({"optimizer": "lbfgs"}), 400, "unknown optimizer");
    bad(json!({"schedule": "step"}), 400, "unknown schedule");
    bad(json!({"lr": 0}), 400, "learning rate 0");
    bad(json!({"l2": -1}), 400, "L2 -1");
    bad(json!({"steps": 0}), 400, "steps 0");
    bad(json!({"steps": 2000000}), 400, "between 1 and 1000000");
    bad(json!({"batch_size": 0}), 400, "batch size 0");
    bad(json!({"speed": 1e9}), 400, "speed");
    bad(json!({"seed": -1}), 400, "bad request body");
    bad(
        json!({"data": {"kind": "spiral"}}),
        422,
        "choose the ce loss for more than 2 classes",
    );
    bad(
        json!({"data": {"kind": "csv", "csv": "x,y,l\n1,2,a\n1,x,b\n"}}),
        422,
        "line 3",
    );
    assert!(s.sessions.is_empty());
}

#[test]
fn runs_are_limited_and_idle_ones_stop() {
    let s = TestServer::start();
    // Idle: a live run nobody watches is stopped.
    let id = s.post("/api/train", &json!({"paused": true})).json()["id"]
        .as_u64()
        .unwrap();
    assert_eq!(s.sessions.stop_idle(Duration::ZERO), 1);
    assert_eq!(wait_final(&s, id), RunState::Stopped);
    // Eight runs, each watched by a stream: a ninth is refused; unwatched ones make room.
    let mut streams = Vec::new();
    for _ in 0..8 {
        let id = s.post("/api/train", &json!({"paused": true})).json()["id"]
            .as_u64()
            .unwrap();
        let mut tcp = TcpStream::connect(&s.addr).unwrap();
        write!(
            tcp,
            "GET /api/train/{id}/events HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        .unwrap();
        let mut first = [0u8; 64];
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let _ = tcp.read(&mut first).unwrap();
        streams.push(tcp);
    }
    s.post("/api/train", &json!({"paused": true}))
        .error(429, "8 training runs are open at once");
    // A closed tab: its stream goes, its run can be replaced.
    drop(streams.pop());
    let start = Instant::now();
    loop {
        let r = s.post("/api/train", &json!({"paused": true}));
        if r.status == 200 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the closed stream was not noticed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(s.sessions.len(), 8);
}

#[test]
fn two_streams_of_one_run_both_end() {
    let s = TestServer::start();
    let id = s
        .post("/api/train", &json!({"steps": 200, "speed": 400}))
        .json()["id"]
        .as_u64()
        .unwrap();
    let a = std::thread::scope(|scope| {
        let t = scope.spawn(|| s.events(id));
        let b = s.events(id);
        let a = t.join().unwrap();
        assert_eq!(b.last().unwrap().0, "done");
        a
    });
    assert_eq!(a.last().unwrap().0, "done");
    assert_eq!(a[a.len() - 2].1["step"], 200);
}

#[test]
fn the_lecture_s_net_with_sse_and_the_default_learning_rate() {
    let s = TestServer::start();
    // The lecture's network (tanh in every neuron) and loss (the sum of squares), with no
    // learning rate: `micrograd train`'s default for a sum over 100 examples, 0.05 / 100.
    let req = json!({"layers": [4, 4], "activation": "tanh", "output_activation": "tanh",
        "loss": "sse", "steps": 30});
    let plan = s.post("/api/config", &req).json();
    assert_eq!(plan["lr"], 0.0005);
    assert_eq!(plan["lr_default"], true);
    assert_eq!(plan["output_activation"], "tanh");
    assert_eq!(plan["loss"], "sse");
    assert_eq!(plan["sizes"], json!([2, 4, 4, 1]));
    assert_eq!(plan["parameters"], 37);
    assert_eq!(
        plan["command"],
        "micrograd train --layers 4,4 --activation tanh --output-activation tanh --loss sse \
         --steps 30"
    );
    assert!(s.sessions.is_empty(), "checking starts no run");
    let r = s.post("/api/train", &req).json();
    for key in ["lr", "lr_default", "command", "sizes", "output_activation"] {
        assert_eq!(r[key], plan[key], "{key}");
    }
    let id = r["id"].as_u64().unwrap();
    let events = s.events(id);
    let (done, frames) = events.split_last().unwrap();
    assert_eq!(done.0, "done");
    // The library's run of the same configuration: the same loss, to the bit.
    let config = TrainConfig {
        hidden: vec![4, 4],
        activation: Activation::Tanh,
        output_activation: Activation::Tanh,
        loss: LossKind::Sse,
        lr: 0.0005,
        steps: 30,
        ..TrainConfig::default()
    };
    let moons = data::demo_moons();
    assert_eq!(config.default_lr(&moons), 0.0005);
    let report = train(&moons, &config, |_| {}).unwrap();
    assert_eq!(done.1["final_loss"].as_f64().unwrap(), report.loss);
    let last = &frames.last().unwrap().1;
    assert_eq!(last["final_accuracy"].as_f64().unwrap(), report.accuracy);
    // Each frame's rate: the linear schedule's at its (1-based) step, from the base 0.0005
    // (a short run may be over before the stream starts, so the first frame can be late).
    for (_, f) in frames {
        let k = f["step"].as_u64().unwrap() as usize;
        assert_eq!(
            f["lr"].as_f64().unwrap(),
            Schedule::Linear.lr(0.0005, k - 1, 30)
        );
    }
    // A point's loss is its squared error, its output a tanh's (inside (-1, 1)).
    let p = s.get(&format!("/api/train/{id}/point/5")).json();
    let out = p["outputs"][0].as_f64().unwrap();
    assert!(out.abs() < 1.0, "{out}");
    let y = if p["class"] == 1 { 1.0 } else { -1.0 };
    assert_eq!(p["loss"].as_f64().unwrap(), (out - y) * (out - y));
    // The exports keep the tanh output: the model file reads back with it.
    let r = s.get(&format!("/api/train/{id}/export/model.json"));
    let (mlp, meta) =
        model::from_json_str_with_meta(std::str::from_utf8(&r.body).unwrap()).unwrap();
    let spec = mlp.spec();
    assert_eq!(spec.layers[0].activation, Activation::Tanh);
    assert_eq!(spec.layers[2].activation, Activation::Tanh);
    assert_eq!(mlp.weights(), report.classifier.model.weights());
    assert_eq!(meta.unwrap()["loss"], "sse");
    let r = s.get(&format!("/api/train/{id}/export/model.safetensors"));
    let n = u64::from_le_bytes(r.body[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&r.body[8..8 + n]).unwrap();
    assert!(header.contains(r#"\"activation\":\"tanh\"}]"#), "{header}");
    let r = s.get(&format!("/api/train/{id}/export/boundary.svg"));
    assert!(String::from_utf8(r.body).unwrap().contains("sse loss"));
}

#[test]
fn the_default_learning_rate_follows_the_data_loss_optimizer_and_batch() {
    let s = TestServer::start();
    let lr = |body: Json| {
        let plan = s.post("/api/config", &body).json();
        assert_eq!(plan["lr_default"], body.get("lr").is_none(), "{body}");
        plan["lr"].as_f64().unwrap()
    };
    let blobs = json!({"kind": "blobs"});
    // micrograd's demo keeps its 1; blobs (mean square feature 8.75) divide it.
    assert_eq!(lr(json!({})), 1.0);
    assert_eq!(lr(json!({"data": blobs})), 0.114);
    assert_eq!(lr(json!({"data": blobs, "optimizer": "adam"})), 0.03);
    assert_eq!(lr(json!({"loss": "mse"})), 0.05);
    assert_eq!(lr(json!({"loss": "bce", "optimizer": "momentum"})), 0.3);
    assert_eq!(lr(json!({"loss": "sse", "optimizer": "momentum"})), 0.0003);
    // A sum over a batch of 10: the rate of 10 examples.
    assert_eq!(lr(json!({"loss": "sse", "batch_size": 10})), 0.005);
    // The library's numbers, for each.
    let generated = data::Generator::Blobs
        .generate(None, None, None, MLP::DEFAULT_SEED)
        .unwrap();
    let sgd = TrainConfig::default();
    assert_eq!(sgd.default_lr(&generated), 0.114);
    let momentum = TrainConfig {
        optimizer: OptimizerKind::Momentum,
        loss: LossKind::Sse,
        ..TrainConfig::default()
    };
    assert_eq!(momentum.default_lr(&data::demo_moons()), 0.0003);
    // An explicit rate is used as given, and written in the command.
    assert_eq!(lr(json!({"lr": 0.25, "loss": "sse"})), 0.25);
    let plan = s
        .post("/api/config", &json!({"lr": 0.25, "loss": "sse"}))
        .json();
    assert_eq!(plan["command"], "micrograd train --loss sse --lr 0.25");
    let plan = s.post("/api/config", &json!({"data": blobs})).json();
    assert_eq!(
        plan["command"],
        "micrograd train --data blobs --samples 100 --noise 1 --classes 2"
    );
}

#[test]
fn new_fields_are_checked() {
    let s = TestServer::start();
    for path in ["/api/config", "/api/train"] {
        let bad = |body: Json, status: u16, words: &str| {
            s.post(path, &body).error(status, words);
        };
        bad(
            json!({"output_activation": "sigmoid"}),
            400,
            "output activation sigmoid: the output is read by its sign, so it must be linear or tanh",
        );
        bad(
            json!({"output_activation": "relu"}),
            400,
            "output activation relu",
        );
        bad(
            json!({"output_activation": "gelu"}),
            400,
            "unknown output activation `gelu` (expected linear or tanh)",
        );
        bad(json!({"output_activation": 1}), 400, "bad request body");
        bad(json!({"loss": "sum"}), 400, "unknown loss `sum`");
        bad(json!({"lr": 2e6}), 400, "a positive number up to 1e6");
        bad(json!({"lr": -0.1}), 400, "learning rate -0.1");
        bad(json!({"lr": "default"}), 400, "bad request body");
        bad(json!({"outputs": "tanh"}), 400, "unknown field `outputs`");
        bad(
            json!({"loss": "sse", "data": {"kind": "spiral"}}),
            422,
            "choose the ce loss for more than 2 classes",
        );
    }
    // Case does not matter (as on the command line); the command writes lowercase.
    let plan = s
        .post(
            "/api/config",
            &json!({"output_activation": "TANH", "loss": "SSE"}),
        )
        .json();
    assert_eq!(
        plan["command"],
        "micrograd train --output-activation tanh --loss sse"
    );
    // With ce, the tanh output is on every class's output.
    let plan = s
        .post(
            "/api/config",
            &json!({"data": {"kind": "spiral"}, "loss": "ce", "output_activation": "tanh"}),
        )
        .json();
    assert_eq!(plan["sizes"], json!([2, 16, 16, 3]));
    assert!(s.sessions.is_empty());
}
