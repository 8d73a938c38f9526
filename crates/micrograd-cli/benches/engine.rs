//! Criterion benches: the single operations, W1 (rebuilt and replayed), W2 (shortened), and
//! the data-parallel W1. `cargo bench --bench engine`; the full-size workloads with their
//! memory figures are `micrograd bench moons|chain|longrun|parallel`.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use micrograd::{Tape, Value};
use micrograd_cli::perf::{self, MoonsStep, ParallelMoons, make_moons, moons_100};

fn single_ops(c: &mut Criterion) {
    let mut g = c.benchmark_group("op");
    let a = Value::new(0.7);
    let b = Value::new(-1.3);
    let ws = Value::leaves(&[0.25; 16]);
    let xs = Value::leaves(&[0.5; 16]);
    // Each iteration makes 1,000 nodes inside a scope (released at the end of the iteration).
    macro_rules! op_bench {
        ($name:literal, $e:expr) => {
            g.bench_function($name, |bench| {
                bench.iter(|| {
                    let _s = Tape::scope();
                    for _ in 0..1000 {
                        black_box($e);
                    }
                })
            });
        };
    }
    op_bench!("add x1000", a + b);
    op_bench!("mul x1000", a * b);
    op_bench!("mul_const x1000", a * 2.0);
    op_bench!("tanh x1000", a.tanh());
    op_bench!("relu x1000", b.relu());
    op_bench!("exp x1000", a.exp());
    op_bench!("pow_const x1000", a.pow(3.0));
    op_bench!("dot16 x1000", Value::dot(&ws, &xs));
    g.bench_function("backward of 1000 mul-add nodes", |bench| {
        bench.iter_batched(
            || (),
            |_| {
                let _s = Tape::scope();
                let mut y = a;
                for _ in 0..500 {
                    y = y * 0.999 + b;
                }
                y.backward();
                black_box(a.grad())
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn w1(c: &mut Criterion) {
    let mut g = c.benchmark_group("W1 moons step");
    let mut rebuild = MoonsStep::new(moons_100(), 1337);
    g.bench_function("rebuild", |bench| bench.iter(|| black_box(rebuild.step())));
    let mut replay = MoonsStep::new(moons_100(), 1337);
    g.bench_function("replay", |bench| {
        bench.iter(|| black_box(replay.step_replay()))
    });
    g.finish();
}

fn w2(c: &mut Criterion) {
    let mut g = c.benchmark_group("W2 long chain");
    g.sample_size(10);
    g.bench_function("1M steps build+backward", |bench| {
        bench.iter(|| black_box(perf::chain(1_000_000).dx_dx0))
    });
    g.finish();
}

fn parallel(c: &mut Criterion) {
    let mut g = c.benchmark_group("W1 data-parallel, 1000 points");
    for threads in [1, 2] {
        let mut w = ParallelMoons::new(make_moons(1000, 0.1, 1337), threads, 1337);
        g.bench_function(format!("{threads} threads"), |bench| {
            bench.iter(|| black_box(w.step()))
        });
    }
    g.finish();
}

criterion_group!(benches, single_ops, w1, w2, parallel);
criterion_main!(benches);
