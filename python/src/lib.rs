//! `micrograd._native`: the native half of the Python package `micrograd`.
//!
//! A Python `Value` is a small object that names one node of the engine's tape (a
//! thread-local struct of arrays, see the crate's ARCHITECTURE.md). The rest of the package
//! (`micrograd/engine.py`, `nn.py`, `viz.py`) is plain Python around it.
//!
//! - `value.rs`: the `Value` class: micrograd's operators (recorded as micrograd records
//!   them: a number operand becomes a leaf, `a - b` is `a + (-b)`, `a / b` is `a * b**-1`),
//!   `data`, `grad`, `label`, `_prev`, `_op`, `_backward()`, `backward()`.
//! - `state.rs`: which node each live Python object holds, and freeing the nodes that no
//!   object needs (the engine's mark-compact), objects dropped on other threads, errors.
//! - `nn.rs`: a layer of neurons as one n-ary node per neuron (the library's fast path).
//! - `graph.rs`: the graph of a value, drawn as SVG by the crate's renderer.

use pyo3::prelude::*;

mod graph;
mod nn;
mod state;
mod value;

pub use value::PyValue;

/// The module `micrograd._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyValue>()?;
    m.add_function(wrap_pyfunction!(nn::neurons_forward, m)?)?;
    m.add_function(wrap_pyfunction!(graph::graph_svg, m)?)?;
    m.add_function(wrap_pyfunction!(state::tape_len, m)?)?;
    m.add_function(wrap_pyfunction!(state::compact_now, m)?)?;
    let functions: Vec<&str> = micrograd::engine::Op::functions()
        .map(|op| op.symbol())
        .collect();
    // Every function of the engine's table is a method of Value (checked here, at import,
    // so a function added to the table without its method fails loudly).
    let value = m.py().get_type::<PyValue>();
    for name in &functions {
        if !value.hasattr(*name)? {
            return Err(pyo3::exceptions::PyImportError::new_err(format!(
                "micrograd internal error: the engine's function {name} has no Value method"
            )));
        }
    }
    m.add("FUNCTIONS", functions)?;
    Ok(())
}
