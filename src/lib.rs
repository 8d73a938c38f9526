//! # micrograd
//!
//! A small, fast reverse-mode autograd engine for scalar code, after Andrej Karpathy's
//! [micrograd](https://github.com/karpathy/micrograd), with the neural-net library, training
//! command line and pictures around it.
//!
//! ```
//! use micrograd::Value;
//!
//! let a = Value::new(-4.0);
//! let b = Value::new(2.0);
//! let c = a + b;
//! let d = a * b + b.pow(3.0);
//! let e = c - d;
//! e.backward();
//! assert_eq!(e.data(), -2.0 - 0.0);
//! assert_eq!(a.grad(), 1.0 - 2.0);
//! ```

pub mod cli;
pub mod data;
pub mod engine;
pub mod expr;
pub mod nn;
pub mod perf;
pub mod train;
pub mod viz;

pub use engine::{Tape, Value};
