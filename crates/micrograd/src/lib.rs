//! # micrograd
//!
//! A small, fast reverse-mode autograd engine for scalar code, after Andrej Karpathy's
//! [micrograd](https://github.com/karpathy/micrograd), with the neural-net library, training
//! command line and pictures around it.
//!
//! micrograd's README example:
//!
//! ```
//! use micrograd::Value;
//!
//! let a = Value::new(-4.0);
//! let b = Value::new(2.0);
//! let mut c = a + b;
//! let mut d = a * b + b.pow(3.0);
//! c += c + 1.0;
//! c += 1.0 + c + (-a);
//! d += d * 2.0 + (b + a).relu();
//! d += 3.0 * d + (b - a).relu();
//! let e = c - d;
//! let f = e.pow(2.0);
//! let mut g = f / 2.0;
//! g += 10.0 / f;
//! g.backward();
//! assert_eq!(format!("{:.4}", g.data()), "24.7041");
//! assert_eq!(format!("{:.4}", a.grad()), "138.8338");
//! assert_eq!(format!("{:.4}", b.grad()), "645.5773");
//! ```
//!
//! The modules:
//! - [`engine`]: [`Value`], its operations, the [`Tape`] and backward.
//! - [`nn`]: neurons, layers, [`nn::MLP`], losses, optimizers, model files.
//! - [`data`]: data sets (generated or from CSV) and mini-batches.
//! - [`train`]: the training loop behind `micrograd train`.
//! - [`expr`]: the small language of `micrograd grad`.
//! - [`text`]: control characters escaped in echoed text.
//! - `viz` (feature `viz`): graph pictures (DOT, SVG) and plots (decision boundary,
//!   training curves).
//!
//! Features: `serde` (default) adds model files (JSON, safetensors); `viz` adds pictures.
//! With no features, the only dependency is `rand_chacha`. The command line is the
//! `micrograd-cli` crate of the same workspace.

#![warn(missing_docs)]

pub mod data;
pub mod engine;
pub mod expr;
pub mod nn;
pub mod text;
pub mod train;
#[cfg(feature = "viz")]
pub mod viz;

pub use engine::{Tape, Value};

/// The README's Rust examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
