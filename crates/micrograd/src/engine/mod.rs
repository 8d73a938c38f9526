//! The autograd engine: [`Value`], its operations, the tape and backward.
//!
//! - `ops.rs`: the table of operations, each with its forward value and local derivative.
//! - `nary.rs`: the n-ary operations (`sum`, `dot`, `affine`, a layer's neurons): operand
//!   layouts, values, backward rules, grouped replay.
//! - `tape.rs`: the thread-local struct-of-arrays tape, scopes, and the backward sweep.
//! - `value.rs`: the `Value` handle and its operator syntax.
//! - `replay.rs`: [`Recording`], re-running a recorded graph on new leaf values.
//! - `batch.rs`: batched replay, a recording's per-example stretches run across the examples;
//!   `kernels.rs`: its matrix products (SIMD, the sweep's order of additions).
//! - `parallel.rs`: [`DataParallel`], a gradient over data shards on worker threads.
//! - `gradcheck.rs`: finite differences beside the engine's gradients.
//! - `bindings.rs` (feature `bindings`): what a language binding needs besides: handles as
//!   numbers, micrograd's backward, and freeing the nodes nothing holds (mark-compact).

mod batch;
#[cfg(feature = "bindings")]
pub mod bindings;
mod gradcheck;
mod kernels;
mod nary;
mod ops;
mod parallel;
mod replay;
mod tape;
mod value;

pub use gradcheck::{GradCheck, gradcheck};
pub(crate) use nary::{NeuronParts, SpanNeuron};
pub(crate) use ops::OpCode;
pub use ops::{Arity, Op};
pub use parallel::DataParallel;
pub use replay::Recording;
pub use tape::{Mark, Scope, Tape};
pub use value::{Exponent, Node, Value};

/// Crate-internal (tests): the tape's op code of a value's node.
#[cfg(test)]
pub(crate) fn op_code_of(v: Value) -> OpCode {
    tape::with_tape(|t| t.op[v.id_unchecked()])
}
