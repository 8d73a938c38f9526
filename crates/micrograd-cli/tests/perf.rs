//! The benchmark workloads' check values (W1, W2, W3, data-parallel): the numbers a faster
//! workload must still produce. No timing here (benchmarks are in `benches/` and
//! `micrograd bench`).

use micrograd::Tape;
use micrograd_cli::perf::{self, MoonsStep, ParallelMoons, make_moons, moons_100};

/// W2's check values: 10 million steps of `x = x + 1e-6 * tanh(x)` from 0.5. Runs in a
/// release build only (a debug build takes minutes); `cargo test --release` runs it.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "10M-node chain: run with cargo test --release"
)]
fn long_chain_check_values() {
    let r = perf::chain(10_000_000);
    assert!((r.x - 10.041324).abs() < 1e-6, "x = {}", r.x);
    assert!(
        (r.dx_dx0 - 2.16395425644).abs() < 1e-10,
        "dx/dx0 = {}",
        r.dx_dx0
    );
    assert_eq!(Tape::len(), 0);
}

/// A shorter chain, compared with the same recurrence in plain f64 (forward) and the product
/// of local derivatives (backward).
#[test]
fn chain_matches_plain_f64() {
    let n = 10_000;
    let r = perf::chain(n);
    let (mut x, mut d) = (0.5f64, 1.0f64);
    for _ in 0..n {
        let t = x.tanh();
        d *= 1.0 + 1e-6 * (1.0 - t * t);
        x += 1e-6 * t;
    }
    assert!((r.x - x).abs() <= 1e-14 * x, "{} vs {x}", r.x);
    assert!((r.dx_dx0 - d).abs() <= 1e-13 * d, "{} vs {d}", r.dx_dx0);
}

/// W1 in replay mode follows the rebuilt-graph run to the bit, step after step.
#[test]
fn moons_replay_equals_rebuild() {
    let mut a = MoonsStep::new(moons_100(), 1337);
    let mut b = MoonsStep::new(moons_100(), 1337);
    for _ in 0..15 {
        let la = a.step();
        let lb = b.step_replay();
        assert_eq!(la.to_bits(), lb.to_bits());
        for (x, y) in a.weights().iter().zip(b.weights()) {
            assert_eq!(x.to_bits(), y.to_bits());
        }
    }
}

fn rel_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300)
}

/// The data-parallel gradient equals the single-thread one within 1e-12 relative, and the
/// single-shard run equals W1's rebuilt step exactly.
#[test]
fn data_parallel_equals_single_thread() {
    let data = make_moons(300, 0.1, 5);
    let mut one = ParallelMoons::new(data.clone(), 1, 9);
    let (l1, g1) = {
        let (l, g) = one.loss_and_grad();
        (l, g.to_vec())
    };
    for threads in [2, 3] {
        let mut many = ParallelMoons::new(data.clone(), threads, 9);
        let (l, g) = many.loss_and_grad();
        assert!(rel_close(l, l1), "{threads} threads: {l} vs {l1}");
        for (x, y) in g.iter().zip(&g1) {
            assert!(rel_close(*x, *y), "{threads} threads: {x} vs {y}");
        }
        for _ in 0..5 {
            many.step();
        }
    }
    // Several steps on 2 threads follow the single-thread run.
    let mut two = ParallelMoons::new(data, 2, 9);
    for _ in 0..5 {
        let (a, b) = (one.step(), two.step());
        assert!(rel_close(a, b), "{a} vs {b}");
    }
    for (x, y) in one.weights().iter().zip(two.weights()) {
        assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{x} vs {y}");
    }

    // One shard of micrograd's 100 points is W1's step itself.
    let mut w1 = MoonsStep::new(moons_100(), 1337);
    let mut dp = ParallelMoons::new(moons_100(), 1, 1337);
    for _ in 0..3 {
        assert_eq!(w1.step().to_bits(), dp.step().to_bits());
    }
    assert_eq!(w1.weights(), dp.weights());
}

/// W3's property on this thread's tape (resident memory is per process, and the tests run in
/// parallel, so `micrograd bench longrun` checks RSS): after a few steps, the tape neither
/// grows nor reallocates, in both modes.
#[test]
fn long_run_tape_is_flat() {
    for replay in [false, true] {
        let mut w1 = MoonsStep::new(moons_100(), 1);
        let step = |w: &mut MoonsStep| if replay { w.step_replay() } else { w.step() };
        for _ in 0..10 {
            step(&mut w1);
        }
        let (len, cap) = (Tape::len(), Tape::capacity_bytes());
        for _ in 0..300 {
            assert!(step(&mut w1).is_finite());
        }
        assert_eq!((Tape::len(), Tape::capacity_bytes()), (len, cap));
    }
}

/// A recorded MLP step (span nodes) replays to the same loss and gradients as a rebuilt one.
#[test]
fn replay_of_span_layers_equals_rebuild() {
    let mut a = MoonsStep::new(moons_100(), 7);
    let mut b = MoonsStep::new(moons_100(), 7);
    for _ in 0..5 {
        assert_eq!(a.step().to_bits(), b.step_replay().to_bits());
        assert_eq!(a.weights(), b.weights());
    }
}
