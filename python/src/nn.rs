//! A layer's neurons on the library's fast path: each neuron's `w · x + b` is one n-ary
//! node (the engine's `affine`, or its span form when the weights are consecutive nodes, as
//! `Neuron.__init__` makes them), with its ReLU if `nonlin`, all in one tape access.

use micrograd::Value as Node;
use micrograd::nn::{Activation, Layer, Neuron};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;

use crate::state::{Hold, maybe_compact};
use crate::value::{PyValue, engine, number_or_error, type_name, wrap};

/// One input of a layer: a Value or a number (a number becomes a leaf, once per call).
enum Input<'py> {
    Value(Bound<'py, PyValue>),
    Number(f64),
}

/// `neurons_forward(neurons, x)`: the outputs of `neurons` (objects with `w`, a list of
/// Values, `b`, a Value, and `nonlin`) on the inputs `x` (Values or numbers), one Value per
/// neuron: `relu(w · x + b)` if `nonlin`, else `w · x + b`, the sum as one node. The numbers
/// equal micrograd's `sum((wi*xi for ...), b)` to rounding (the products are added in the
/// same order, `b` last instead of first).
#[pyfunction]
pub(crate) fn neurons_forward<'py>(
    py: Python<'py>,
    neurons: &Bound<'py, PyAny>,
    x: &Bound<'py, PyAny>,
) -> PyResult<Vec<Py<PyValue>>> {
    // First everything that may run Python code (attribute reads, iteration), holding the
    // objects; then the nodes, with no Python code in between (so no compaction can move a
    // handle this function holds).
    let mut inputs = Vec::new();
    for xi in x.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "a neuron's input must be a list of Values or numbers, not {}",
            type_name(x)
        ))
    })? {
        let xi = xi?;
        inputs.push(match xi.cast_into::<PyValue>() {
            Ok(v) => Input::Value(v),
            Err(e) => Input::Number(number_or_error(&e.into_inner(), "a neuron's input")?),
        });
    }
    let mut parts = Vec::new();
    for n in neurons.try_iter()? {
        let n = n?;
        let mut w = Vec::new();
        for wi in n.getattr(intern!(py, "w"))?.try_iter()? {
            w.push(value(wi?, "a neuron's weight")?);
        }
        if w.len() != inputs.len() {
            return Err(PyValueError::new_err(format!(
                "a neuron of {} inputs was given {} input{}",
                w.len(),
                inputs.len(),
                if inputs.len() == 1 { "" } else { "s" }
            )));
        }
        let b = value(n.getattr(intern!(py, "b"))?, "a neuron's bias")?;
        let nonlin = n.getattr(intern!(py, "nonlin"))?.is_truthy()?;
        parts.push((w, b, nonlin));
    }
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    // The nodes (no Python code runs from here to the wrapping). A number input is a leaf.
    let mut x: Vec<Result<Node, f64>> = Vec::with_capacity(inputs.len());
    for i in &inputs {
        x.push(match i {
            Input::Value(v) => Ok(v.get().node()?),
            Input::Number(n) => Err(*n),
        });
    }
    let mut layer = Vec::with_capacity(parts.len());
    for (w, b, nonlin) in &parts {
        let w = w
            .iter()
            .map(|v| v.get().node())
            .collect::<PyResult<Vec<Node>>>()?;
        let b = b.get().node()?;
        let act = if *nonlin {
            Activation::Relu
        } else {
            Activation::Linear
        };
        layer.push((w, b, act));
    }
    let outs = engine(|| {
        let x: Vec<Node> = x.iter().map(|v| v.unwrap_or_else(Node::new)).collect();
        let neurons = layer
            .into_iter()
            .map(|(w, b, act)| Neuron::from_values(w, b, act))
            .collect();
        if x.is_empty() {
            // No inputs: each neuron is its bias (a sum of nothing, plus b).
            let layer = Layer::from_neurons(neurons);
            return layer
                .neurons()
                .iter()
                .map(|n| n.forward(&x))
                .collect::<Vec<_>>();
        }
        Layer::from_neurons(neurons).forward(&x)
    })?;
    let objs = {
        // `outs` are handles: no compaction until they are all wrapped.
        let _hold = Hold::new();
        outs.iter()
            .map(|&v| wrap(py, v))
            .collect::<PyResult<Vec<_>>>()?
    };
    maybe_compact(py);
    Ok(objs)
}

/// `obj` as a Value, or a `TypeError` naming what it is.
fn value<'py>(obj: Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyValue>> {
    obj.cast_into::<PyValue>().map_err(|e| {
        PyTypeError::new_err(format!(
            "{what} must be a Value, not {}",
            type_name(e.into_inner().as_any())
        ))
    })
}
