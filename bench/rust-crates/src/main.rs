//! W1 (micrograd's moons step) and W2 (the long chain) of micrograd's benchmarks on other Rust
//! reverse-mode autodiff crates: `xad-rs`, `reverse`, `echidna`, `easy-ml`.
//!
//! ```text
//! micrograd-rust-crates-bench <crate> w1|w2 [--repeat N] [--steps N] [--length N] [--json]
//! micrograd-rust-crates-bench easy-ml w2 --tanh-unary [...]
//! micrograd-rust-crates-bench list
//! ```
//!
//! `<crate>` is `xad-rs`, `reverse`, `echidna` or `easy-ml`. Prints one JSON object per run
//! with `--json` (keys as `micrograd bench moons|chain --json`), text otherwise. A crate that
//! panics gives an object with an `"error"` key and exit status 1. Run each W2 in its own
//! process: the peak resident memory (`VmHWM`) is the process's.

mod engines;
mod work;

use std::process::ExitCode;

use serde_json::{Value as Json, json};

use work::{Engine, W2};

/// The crates compiled in (each is a Cargo feature, all on by default), with their versions.
const CRATES: &[(&str, &str)] = &[
    #[cfg(feature = "xad-rs")]
    (engines::xad::NAME, engines::xad::VERSION),
    #[cfg(feature = "reverse")]
    (engines::reverse::NAME, engines::reverse::VERSION),
    #[cfg(feature = "echidna")]
    (engines::echidna::NAME, engines::echidna::VERSION),
    #[cfg(feature = "easy-ml")]
    (engines::easy_ml::NAME, engines::easy_ml::VERSION),
];

struct Args {
    krate: String,
    workload: String,
    repeat: usize,
    steps: usize,
    length: usize,
    tanh_unary: bool,
    json: bool,
}

const USAGE: &str = "\
usage: micrograd-rust-crates-bench <crate> w1|w2 [--repeat N] [--steps N] [--length N] [--json]
       micrograd-rust-crates-bench easy-ml w2 --tanh-unary [...]
       micrograd-rust-crates-bench list
crates: xad-rs, reverse, echidna, easy-ml
  w1: micrograd's moons step, N x 100 steps timed one by one
      (--repeat, default 5; --steps, default 100)
  w2: the long chain x = x + 1e-6 * tanh(x) (--length, default 10000000; --repeat, default 1)
      easy-ml has no tanh: composed from exp, or with --tanh-unary by Record::unary";

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let krate = it.next().ok_or("missing <crate>")?;
    let workload = it.next().ok_or("missing workload (w1 or w2)")?;
    if workload != "w1" && workload != "w2" {
        return Err(format!("unknown workload '{workload}' (w1 or w2)"));
    }
    let mut a = Args {
        krate,
        repeat: if workload == "w1" { 5 } else { 1 },
        workload,
        steps: 100,
        length: 10_000_000,
        tanh_unary: false,
        json: false,
    };
    while let Some(flag) = it.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            let v = it.next().ok_or(format!("{name} needs a value"))?;
            match v.parse() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(format!("{name} needs a positive integer, not '{v}'")),
            }
        };
        match flag.as_str() {
            "--repeat" => a.repeat = number("--repeat")?,
            "--steps" => a.steps = number("--steps")?,
            "--length" => a.length = number("--length")?,
            "--json" => a.json = true,
            "--tanh-unary" if a.krate == "easy-ml" && a.workload == "w2" => a.tanh_unary = true,
            _ => return Err(format!("unknown argument '{flag}'")),
        }
    }
    Ok(a)
}

fn ms(s: f64) -> f64 {
    s * 1e3
}

fn w1_json(name: &str, version: &str, engine: &mut impl Engine, a: &Args) -> Json {
    let mut r = work::run_w1(engine, a.steps, a.repeat);
    let (med, min, max) = work::median_min_max(&mut r.times_s);
    json!({
        "impl": name, "version": version, "workload": "moons", "mode": "rebuild",
        "steps": r.times_s.len(),
        "per_step_ms_median": ms(med), "per_step_ms_min": ms(min), "per_step_ms_max": ms(max),
        "first_loss": r.first_loss, "last_loss": r.last_loss,
    })
}

fn w2_json(name: &str, version: &str, tanh: &str, w2: fn(usize) -> W2, a: &Args) -> Json {
    let runs: Vec<W2> = (0..a.repeat).map(|_| w2(a.length)).collect();
    let mut build: Vec<f64> = runs.iter().map(|r| r.build_s).collect();
    let mut backward: Vec<f64> = runs.iter().map(|r| r.backward_s).collect();
    let mut total: Vec<f64> = runs.iter().map(|r| r.build_s + r.backward_s).collect();
    let last = runs.last().expect("repeat >= 1");
    json!({
        "impl": name, "version": version, "workload": "chain", "length": a.length,
        "repeat": a.repeat, "tanh": tanh,
        "build_ms": ms(work::median_min_max(&mut build).0),
        "backward_ms": ms(work::median_min_max(&mut backward).0),
        "total_ms": ms(work::median_min_max(&mut total).0),
        "x": last.x, "dx_dx0": last.dx_dx0,
        "peak_rss_kib": work::peak_rss_kib(),
    })
}

fn run(a: &Args) -> Result<Json, String> {
    let w1 = a.workload == "w1";
    let (name, version) = CRATES
        .iter()
        .find(|(n, _)| *n == a.krate)
        .copied()
        .ok_or_else(|| {
            format!(
                "unknown or not compiled-in crate '{}' (see `list`)",
                a.krate
            )
        })?;
    Ok(match name {
        #[cfg(feature = "xad-rs")]
        "xad-rs" if w1 => w1_json(name, version, &mut engines::xad::Xad::new(), a),
        #[cfg(feature = "xad-rs")]
        "xad-rs" => w2_json(name, version, "native", engines::xad::w2, a),
        #[cfg(feature = "reverse")]
        "reverse" if w1 => w1_json(name, version, &mut engines::reverse::Reverse::new(), a),
        #[cfg(feature = "reverse")]
        "reverse" => w2_json(name, version, "native", engines::reverse::w2, a),
        #[cfg(feature = "echidna")]
        "echidna" if w1 => w1_json(name, version, &mut engines::echidna::Echidna, a),
        #[cfg(feature = "echidna")]
        "echidna" => w2_json(name, version, "native", engines::echidna::w2, a),
        #[cfg(feature = "easy-ml")]
        "easy-ml" if w1 => w1_json(name, version, &mut engines::easy_ml::EasyMl::new(), a),
        #[cfg(feature = "easy-ml")]
        "easy-ml" if a.tanh_unary => w2_json(
            name,
            version,
            "Record::unary",
            engines::easy_ml::w2_unary,
            a,
        ),
        #[cfg(feature = "easy-ml")]
        "easy-ml" => w2_json(name, version, "composed from exp", engines::easy_ml::w2, a),
        _ => unreachable!("every compiled-in crate is matched"),
    })
}

fn print_text(out: &Json) {
    let f = |k: &str| out[k].as_f64().unwrap_or(f64::NAN);
    let s = |k: &str| match &out[k] {
        Json::String(s) => s.clone(),
        v => v.to_string(),
    };
    if let Some(e) = out["error"].as_str() {
        println!("{} {}: error: {e}", s("impl"), s("workload"));
    } else if out["workload"] == "moons" {
        println!(
            "{} {} W1: {} steps, per step median {:.4} ms (min {:.4}, max {:.4}); loss {:.6} -> {:.6}",
            s("impl"),
            s("version"),
            s("steps"),
            f("per_step_ms_median"),
            f("per_step_ms_min"),
            f("per_step_ms_max"),
            f("first_loss"),
            f("last_loss")
        );
    } else {
        println!(
            "{} {} W2 ({} steps, tanh {}): build {:.0} ms + backward {:.0} ms = {:.0} ms, \
             peak RSS {} KiB, x = {:.9}, dx/dx0 = {:.11}",
            s("impl"),
            s("version"),
            s("length"),
            s("tanh"),
            f("build_ms"),
            f("backward_ms"),
            f("total_ms"),
            s("peak_rss_kib"),
            f("x"),
            f("dx_dx0")
        );
    }
}

fn main() -> ExitCode {
    let mut argv = std::env::args().skip(1).peekable();
    match argv.peek().map(String::as_str) {
        Some("list") => {
            for (name, version) in CRATES {
                println!("{name} {version}");
            }
            return ExitCode::SUCCESS;
        }
        Some("-h" | "--help") | None => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let a = match parse(argv) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (out, status) = match std::panic::catch_unwind(|| run(&a)) {
        Ok(Ok(out)) => (out, ExitCode::SUCCESS),
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panicked".to_string());
            let version = CRATES
                .iter()
                .find(|(n, _)| *n == a.krate)
                .map_or("?", |c| c.1);
            let workload = if a.workload == "w1" { "moons" } else { "chain" };
            let error = format!("panicked: {msg}");
            let out =
                json!({"impl": a.krate, "version": version, "workload": workload, "error": error});
            (out, ExitCode::FAILURE)
        }
    };
    if a.json {
        println!("{out}");
    } else {
        print_text(&out);
    }
    status
}
