//! The autograd engine: [`Value`], its operations, the tape and backward.
//!
//! - `ops.rs`: the table of operations, each with its forward value and local derivative.
//! - `tape.rs`: the thread-local struct-of-arrays tape, scopes, and the backward sweep.
//! - `value.rs`: the `Value` handle and its operator syntax.
//! - `replay.rs`: [`Recording`], re-running a recorded graph on new leaf values.
//! - `parallel.rs`: [`DataParallel`], a gradient over data shards on worker threads.
//! - `gradcheck.rs`: finite differences beside the engine's gradients.

mod gradcheck;
mod ops;
mod parallel;
mod replay;
mod tape;
mod value;

pub use gradcheck::{GradCheck, gradcheck};
pub use ops::{Arity, Op};
pub use parallel::DataParallel;
pub use replay::Recording;
pub use tape::{Mark, Scope, Tape};
pub(crate) use value::Span;
pub use value::{Exponent, Node, Value};
