//! The performance workloads of `micrograd bench`, the criterion benches and `bench/compare`.
//!
//! - **W1, the moons step** ([`MoonsStep`]): micrograd's demo, an [`MLP`](micrograd::nn::MLP) 2-16-16-1
//!   (the library's `nn` API, as a user writes it) trained on the
//!   100 embedded moons points with a max-margin loss and L2 regularization, one full-batch SGD
//!   step at a time (the graph is rebuilt every step, or replayed with
//!   [`Recording`](micrograd::engine::Recording)).
//! - **W2, the long chain** ([`chain`]): `x = x + 1e-6 * tanh(x)` ten million times, then
//!   backward.
//! - **W3, the long run** ([`longrun`]): W1 for many steps, watching resident memory.
//! - The data-parallel W1 on 1,000 points ([`ParallelMoons`]).
//! - The scale workload ([`scale`]): `micrograd train` on N moons points with two hidden
//!   layers of W neurons, timed per step (the scale table of `bench/compare --scale`).
//!
//! Every workload returns numbers that can be checked (losses, `x`, `dx/dx0`), so a benchmark
//! that got faster by computing something else is caught by the tests.

mod moons;
mod rss;
mod workloads;

pub use moons::{Moons, make_moons, moons_100};
pub use rss::{peak_rss_kib, rss_kib};
pub use workloads::{
    ChainResult, LongRunResult, MoonsStep, ParallelMoons, ScaleResult, chain, longrun,
    median_min_max, scale, scale_config, scale_data,
};
