//! `micrograd bench`: runs one performance workload in-process and prints median, min and max
//! (see [`crate::perf`] for the workloads).

use std::time::Instant;

use clap::{Args, ValueEnum};
use serde_json::{Value as Json, json};

use crate::CliError;
use crate::perf::{self, MoonsStep, ParallelMoons, median_min_max};
use micrograd::data::MAX_SAMPLES;
use micrograd::train::MAX_STEPS;

/// Which workload to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// W1: micrograd's moons demo, time per full-batch SGD step (100 steps per repeat).
    Moons,
    /// W2: `x = x + 1e-6 * tanh(x)` ten million times, then backward.
    Chain,
    /// W3: W1 for 10,000 steps, resident memory after step 10 and at the end.
    Longrun,
    /// W1 on 1,000 seeded moons points, gradient data-parallel over `--threads` threads.
    Parallel,
    /// `micrograd train --data moons --samples POINTS --layers WIDTH,WIDTH --steps STEPS`,
    /// time per step (default 20 steps).
    Scale,
}

/// Arguments of `micrograd bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The workload.
    #[arg(value_enum)]
    pub workload: Workload,
    /// How many times to run the workload (W1: runs of `--steps` steps each).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Replay mode (moons, longrun): record the step's graph once and re-run it.
    #[arg(long)]
    pub replay: bool,
    /// Steps per run (default: 100 for moons and parallel, 10,000 for longrun; at most
    /// 10,000,000, as `train --steps`).
    #[arg(long, value_parser = clap::value_parser!(u64).range(10..=MAX_STEPS as u64))]
    pub steps: Option<u64>,
    /// Threads for `parallel` (1 gives the single-thread time of the same work).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub threads: u32,
    /// Points for `parallel` (at most 1,000,000, as `train --samples`).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=MAX_SAMPLES as u64))]
    pub points: u64,
    /// Neurons per hidden layer for `scale`.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub width: u64,
    /// `scale`, `parallel`: rebuild the graph every step instead of recording it once and
    /// replaying it (batched, as `micrograd train` does).
    #[arg(long)]
    pub rebuild: bool,
    /// `moons --replay`, `longrun --replay`: replay node by node, not batched.
    #[arg(long)]
    pub node_by_node: bool,
    /// `scale`: also write the data and the initial weights to FILE (JSON), for the same
    /// training in PyTorch (`bench/py/scale_torch.py`).
    #[arg(long, value_name = "FILE")]
    pub dump: Option<std::path::PathBuf>,
    /// Chain length for `chain` (at most 40,000,000 operations: a tape of about 1 GB).
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..=MAX_CHAIN))]
    pub length: u64,
}

/// The longest chain `bench chain` builds: at about 25 bytes a node (value, operation,
/// operands, gradient), a tape of 1 GB, the budget of a training step
/// ([`micrograd::train::MAX_STEP_BYTES`]).
const MAX_CHAIN: u64 = 40_000_000;

/// The seed of the workloads' model weights.
const SEED: u64 = 1337;

/// Runs `micrograd bench`.
pub fn run(args: &BenchArgs) -> Result<(), CliError> {
    let out = match args.workload {
        Workload::Moons => moons(args),
        Workload::Chain => chain(args),
        Workload::Longrun => longrun(args),
        Workload::Parallel => parallel(args),
        Workload::Scale => scale(args)?,
    };
    if args.json {
        outln!("{out}")
    } else {
        print_text(&out)
    }
}

fn ms(s: f64) -> f64 {
    s * 1e3
}

fn steps(args: &BenchArgs, default: u64) -> usize {
    args.steps.unwrap_or(default) as usize
}

fn moons(args: &BenchArgs) -> Json {
    let n = steps(args, 100);
    let mut times = Vec::with_capacity(n * args.repeat as usize);
    let mut final_loss = f64::NAN;
    for _ in 0..args.repeat {
        let mut w1 = MoonsStep::new(perf::moons_100(), SEED);
        w1.set_batched(!args.node_by_node);
        for _ in 0..n {
            let t = Instant::now();
            final_loss = if args.replay {
                w1.step_replay()
            } else {
                w1.step()
            };
            times.push(t.elapsed().as_secs_f64());
        }
    }
    let (med, min, max) = median_min_max(&mut times);
    json!({
        "workload": "moons",
        "mode": match (args.replay, args.node_by_node) {
            (false, _) => "rebuild",
            (true, false) => "replay",
            (true, true) => "replay (node by node)",
        },
        "steps": times.len(),
        "per_step_ms_median": ms(med),
        "per_step_ms_min": ms(min),
        "per_step_ms_max": ms(max),
        "last_loss": final_loss,
    })
}

fn chain(args: &BenchArgs) -> Json {
    let mut build = Vec::new();
    let mut backward = Vec::new();
    let mut total = Vec::new();
    let mut last = None;
    for _ in 0..args.repeat {
        let r = perf::chain(args.length as usize);
        build.push(r.build_s);
        backward.push(r.backward_s);
        total.push(r.build_s + r.backward_s);
        last = Some(r);
    }
    let r = last.expect("repeat >= 1");
    let (first_build, first_backward, first_total) = (build[0], backward[0], total[0]);
    let (b, bmin, bmax) = median_min_max(&mut build);
    let (k, kmin, kmax) = median_min_max(&mut backward);
    let (t, tmin, tmax) = median_min_max(&mut total);
    json!({
        "workload": "chain",
        "length": args.length,
        "repeat": args.repeat,
        "build_ms": ms(b), "build_ms_min": ms(bmin), "build_ms_max": ms(bmax),
        "backward_ms": ms(k), "backward_ms_min": ms(kmin), "backward_ms_max": ms(kmax),
        "total_ms": ms(t), "total_ms_min": ms(tmin), "total_ms_max": ms(tmax),
        "total_ms_first_run": ms(first_total),
        "build_ms_first_run": ms(first_build),
        "backward_ms_first_run": ms(first_backward),
        "x": r.x,
        "dx_dx0": r.dx_dx0,
        "peak_rss_kib": r.peak_rss_kib,
    })
}

fn longrun(args: &BenchArgs) -> Json {
    let n = steps(args, 10_000);
    let mut runs = Vec::new();
    for _ in 0..args.repeat {
        runs.push(perf::longrun(n, args.replay, perf::moons_100(), SEED));
    }
    let r = runs.last().expect("repeat >= 1");
    json!({
        "workload": "longrun",
        "mode": if args.replay { "replay" } else { "rebuild" },
        "steps": n,
        "rss_start_kib": r.rss_start_kib,
        "rss_end_kib": r.rss_end_kib,
        "rss_growth_kib": match (r.rss_start_kib, r.rss_end_kib) {
            (Some(a), Some(b)) => Some(b as i64 - a as i64),
            _ => None,
        },
        "per_step_ms_median": ms(r.step_s_median),
        "last_loss": r.last_loss,
    })
}

fn parallel(args: &BenchArgs) -> Json {
    let n = steps(args, 100);
    let mut times = Vec::with_capacity(n * args.repeat as usize);
    let mut final_loss = f64::NAN;
    for _ in 0..args.repeat {
        let data = perf::make_moons(args.points as usize, 0.1, SEED);
        let mut w = ParallelMoons::with_replay(data, args.threads as usize, SEED, !args.rebuild);
        for _ in 0..n {
            let t = Instant::now();
            final_loss = w.step();
            times.push(t.elapsed().as_secs_f64());
        }
    }
    let (med, min, max) = median_min_max(&mut times);
    json!({
        "workload": "parallel",
        "mode": if args.rebuild { "rebuild" } else { "replay" },
        "threads": args.threads,
        "points": args.points,
        "steps": times.len(),
        "per_step_ms_median": ms(med),
        "per_step_ms_min": ms(min),
        "per_step_ms_max": ms(max),
        "last_loss": final_loss,
    })
}

fn scale(args: &BenchArgs) -> Result<Json, CliError> {
    let (points, width) = (args.points as usize, args.width as usize);
    let n = steps(args, 20);
    let replay = !args.rebuild;
    if let Some(path) = &args.dump {
        dump_scale(path, points, width, n)?;
    }
    let mut times = Vec::with_capacity(n * args.repeat as usize);
    let mut totals = Vec::new();
    let mut last = None;
    for _ in 0..args.repeat {
        let r = perf::scale(points, width, n, replay);
        times.extend_from_slice(&r.step_s);
        totals.push(r.total_s);
        last = Some(r);
    }
    let r = last.expect("repeat >= 1");
    let first_step = r.step_s[0];
    let (med, min, max) = median_min_max(&mut times);
    let (total, _, _) = median_min_max(&mut totals);
    Ok(json!({
        "workload": "scale",
        "mode": if replay { "replay" } else { "rebuild" },
        "points": points,
        "width": width,
        "steps": times.len(),
        "per_step_ms_median": ms(med),
        "per_step_ms_min": ms(min),
        "per_step_ms_max": ms(max),
        "first_step_ms": ms(first_step),
        "run_ms_median": ms(total),
        "loss": r.loss,
        "accuracy": r.accuracy,
    }))
}

/// Writes the scale workload's data, targets (±1) and initial weights (in
/// `Module::parameters` order: per neuron its weights, then its bias) as JSON.
fn dump_scale(
    path: &std::path::Path,
    points: usize,
    width: usize,
    steps: usize,
) -> Result<(), CliError> {
    use micrograd::data::TargetEncoding;
    use micrograd::nn::MLP;
    let data = perf::scale_data(points);
    let config = perf::scale_config(width, steps, true);
    let spec = config
        .architecture(&data)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let weights = {
        let _scope = micrograd::Tape::scope();
        MLP::init(&spec, config.seed).weights()
    };
    let y = data
        .binary_targets(TargetEncoding::PlusMinusOne)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let mut sizes = vec![spec.nin];
    sizes.extend(spec.layers.iter().map(|l| l.nout));
    let out = json!({
        "x": data.features, "y": y, "sizes": sizes, "weights": weights,
        "steps": steps, "lr": config.lr, "l2": config.l2,
    });
    std::fs::write(path, out.to_string())
        .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))
}

fn print_text(out: &Json) -> Result<(), CliError> {
    let f = |k: &str| out.get(k).and_then(Json::as_f64).unwrap_or(f64::NAN);
    match out["workload"].as_str() {
        Some("moons") | Some("parallel") => {
            let what = if out["workload"] == "moons" {
                format!("W1 moons step ({})", out["mode"].as_str().unwrap_or(""))
            } else {
                format!(
                    "W1 data-parallel ({} points, {} threads)",
                    out["points"], out["threads"]
                )
            };
            outln!(
                "{what}: per step median {:.4} ms, min {:.4} ms, max {:.4} ms over {} steps; last loss {:.6}",
                f("per_step_ms_median"),
                f("per_step_ms_min"),
                f("per_step_ms_max"),
                out["steps"],
                f("last_loss")
            )?;
        }
        Some("scale") => {
            outln!(
                "scale ({} points, layers {w},{w}, {}): per step median {:.4} ms, min {:.4} ms, \
                 first step {:.4} ms, whole run {:.3} ms; loss {:.6}, accuracy {}",
                out["points"],
                out["mode"].as_str().unwrap_or(""),
                f("per_step_ms_median"),
                f("per_step_ms_min"),
                f("first_step_ms"),
                f("run_ms_median"),
                f("loss"),
                f("accuracy"),
                w = out["width"],
            )?;
        }
        Some("chain") => {
            outln!(
                "W2 long chain ({} steps, {} runs): build median {:.1} ms (min {:.1}, max {:.1}), \
                 backward median {:.1} ms (min {:.1}, max {:.1}), total median {:.1} ms (first run {:.1})",
                out["length"],
                out["repeat"],
                f("build_ms"),
                f("build_ms_min"),
                f("build_ms_max"),
                f("backward_ms"),
                f("backward_ms_min"),
                f("backward_ms_max"),
                f("total_ms"),
                f("total_ms_first_run"),
            )?;
            outln!(
                "  x = {:.12}, dx/dx0 = {:.12}, peak RSS {} KiB",
                f("x"),
                f("dx_dx0"),
                out["peak_rss_kib"]
            )?;
        }
        _ => {
            outln!(
                "W3 long run ({} steps, {}): RSS after step 10 {} KiB, at the end {} KiB \
                 (growth {} KiB); per step median {:.4} ms",
                out["steps"],
                out["mode"].as_str().unwrap_or(""),
                out["rss_start_kib"],
                out["rss_end_kib"],
                out["rss_growth_kib"],
                f("per_step_ms_median"),
            )?;
        }
    }
    Ok(())
}
