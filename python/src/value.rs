//! The Python class `micrograd.engine.Value`.
//!
//! Each operation is recorded the way micrograd records it, so that `_prev`, `_op`, the
//! number of nodes and edges that `trace()` finds, and the numbers themselves are
//! micrograd's: a number operand becomes a leaf node (`Value(other)`), `-a` is `a * -1`,
//! `a - b` is `a + (-b)`, `a / b` is `a * b**-1` (for a number `b`, `b**-1` is computed by
//! Python), `b - a` is `(-a) + b`, `b / a` is `a**-1 * b`. The engine's constant-folding
//! operations are not used from Python.

use std::sync::atomic::{AtomicU64, Ordering};

use micrograd::Value as Node;
use micrograd::engine::Op;
use micrograd::engine::bindings::{self, backward_ancestors, backward_node};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyFloat, PyList, PySet, PyString, PyTuple};

use crate::state::{self, Hold, node, register, tape_id, wrong_thread};

/// A scalar that remembers how it was computed (micrograd's `Value`, on the Rust engine).
///
/// `Value(data, _children=(), _op='', label='')`; `data`, `grad` and `label` read and
/// written; `+ - * / **` with numbers on either side; `relu()`, `tanh()`, `exp()`, `log()`,
/// `sigmoid()`, `sin()`, `cos()`, `sqrt()`; `backward()`; `_prev`, `_op` and `_backward()`
/// as in micrograd. A Value belongs to the thread that made it.
#[pyclass(module = "micrograd.engine", name = "Value", frozen)]
pub struct PyValue {
    /// The node's handle (`engine::bindings::into_raw`), moved by compactions.
    raw: AtomicU64,
    /// The tape (thread) the node is on; 0 until `__init__` has run.
    tape: AtomicU64,
    /// Children and op given to the constructor (micrograd's `Value(data, _children, _op)`):
    /// shown by `_prev` and `_op`; the node itself is a leaf.
    extra: Option<Box<Extra>>,
}

struct Extra {
    children: Vec<Py<PyValue>>,
    op: String,
}

/// The second operand of a binary operation.
enum Operand {
    Value(Node),
    Number(f64),
}

impl PyValue {
    /// The node's raw handle (see `engine::bindings`).
    #[inline(always)]
    pub(crate) fn raw(&self) -> u64 {
        self.raw.load(Ordering::Relaxed)
    }

    /// Moves the object to another node handle (a compaction moved its node).
    pub(crate) fn set_raw(&self, raw: u64) {
        self.raw.store(raw, Ordering::Relaxed);
    }

    /// The Value of the engine's unary function `f` (`Node::tanh`, ...) of this one.
    #[inline(always)]
    fn unary(&self, py: Python<'_>, f: fn(Node) -> Node) -> PyResult<Py<PyAny>> {
        let a = self.node()?;
        result(py, engine(|| f(a))?)
    }

    /// The node, if this object belongs to this thread's tape (else the error to raise).
    #[inline(always)]
    pub(crate) fn node(&self) -> PyResult<Node> {
        let tape = self.tape.load(Ordering::Relaxed);
        if tape == tape_id() {
            Ok(node(self.raw()))
        } else {
            Err(wrong_thread(tape))
        }
    }

    /// The children given to the constructor, if any.
    pub(crate) fn extra_children(&self) -> Option<&[Py<PyValue>]> {
        self.extra.as_ref().map(|e| &e.children[..])
    }

    /// The op given to the constructor, if any.
    pub(crate) fn extra_op(&self) -> Option<&str> {
        self.extra.as_ref().map(|e| e.op.as_str())
    }
}

impl Drop for PyValue {
    fn drop(&mut self) {
        let tape = *self.tape.get_mut();
        if tape == 0 {
            // Never initialized: never in a table.
            return;
        }
        let inner = self as *const PyValue as usize;
        state::unregister(tape, *self.raw.get_mut() as u32, object_address(inner));
    }
}

/// The object address of the `Value` whose Rust part is at `inner` (the table keeps object
/// addresses; `Drop` only sees the Rust part). The offset is the same for every object of
/// the class: measured on the first one made (before any can be dropped).
fn object_address(inner: usize) -> usize {
    inner - OFFSET.load(Ordering::Relaxed) as usize
}

static OFFSET: AtomicU64 = AtomicU64::new(u64::MAX);

/// A new Python object for node `v` (made on this thread), in the table; then compacts the
/// tape if it is due (unless a [`Hold`] is alive: see `state.rs`).
pub(crate) fn wrap(py: Python<'_>, v: Node) -> PyResult<Py<PyValue>> {
    let raw = bindings::into_raw(v);
    let obj = {
        // The allocation may run the cyclic GC and, through it, Python code: `v` is in no
        // table yet, so no compaction may run meanwhile.
        let _hold = Hold::new();
        Py::new(
            py,
            PyValue {
                raw: AtomicU64::new(raw),
                tape: AtomicU64::new(tape_id()),
                extra: None,
            },
        )?
    };
    adopt(py, &obj, raw as u32 as usize);
    Ok(obj)
}

/// Takes a new object into the table as node `idx`'s, untracked by the cyclic GC (a Value
/// refers to no object that could lead back to it: its children are older Values).
fn adopt(py: Python<'_>, obj: &Py<PyValue>, idx: usize) {
    let addr = obj.as_ptr() as usize;
    if OFFSET.load(Ordering::Relaxed) == u64::MAX {
        let inner = obj.get() as *const PyValue as usize;
        OFFSET.store((inner - addr) as u64, Ordering::Relaxed);
    }
    // SAFETY: `obj` is a live object of a GC type (every #[pyclass] is), currently tracked.
    unsafe { pyo3::ffi::PyObject_GC_UnTrack(obj.as_ptr().cast()) };
    register(py, idx, addr);
}

/// The object for node `v` (made on this thread): the existing one, or a new one.
pub(crate) fn object_for(py: Python<'_>, v: Node) -> PyResult<Py<PyValue>> {
    let idx = bindings::into_raw(v) as u32 as usize;
    match state::object_of(py, idx) {
        Some(o) => Ok(o),
        None => wrap(py, v),
    }
}

/// `obj` as a number operand: `Some(x)` for an int, a float, a numpy scalar or anything with
/// `__float__` or `__index__`; `None` if it is no number (the operator then returns
/// `NotImplemented`, so Python raises its `TypeError` naming both types). Other errors
/// (an int too large for a float) are raised.
fn number(obj: &Bound<'_, PyAny>) -> PyResult<Option<f64>> {
    if let Ok(f) = obj.cast_exact::<PyFloat>() {
        return Ok(Some(f.value()));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(None);
    }
    match obj.extract::<f64>() {
        Ok(x) => Ok(Some(x)),
        Err(e) if e.is_instance_of::<PyTypeError>(obj.py()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `obj` as a number, or a `TypeError` saying what was given instead.
pub(crate) fn number_or_error(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
    match number(obj)? {
        Some(x) => Ok(x),
        None => Err(PyTypeError::new_err(format!(
            "{what} must be a number (int, float or numpy scalar), not {}",
            type_name(obj)
        ))),
    }
}

/// The name of `obj`'s type, for messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// The other operand of a binary operation, `None` if it is neither a Value nor a number.
fn operand(other: &Bound<'_, PyAny>) -> PyResult<Option<Operand>> {
    if let Ok(v) = other.cast::<PyValue>() {
        return Ok(Some(Operand::Value(v.get().node()?)));
    }
    Ok(number(other)?.map(Operand::Number))
}

/// A number operand as micrograd records it: a leaf.
impl Operand {
    #[inline(always)]
    fn node(self) -> Node {
        match self {
            Operand::Value(v) => v,
            Operand::Number(x) => Node::new(x),
        }
    }
}

/// Runs engine code, turning an engine panic (a bug, or a tape past 2^32 nodes) into a
/// `RuntimeError` rather than a `PanicException`.
#[inline(always)]
pub(crate) fn engine<R>(f: impl FnOnce() -> R) -> PyResult<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| e.downcast_ref::<&str>().copied())
            .unwrap_or("internal error");
        if msg.starts_with("micrograd") {
            PyRuntimeError::new_err(msg.to_string())
        } else {
            PyRuntimeError::new_err(format!("micrograd: {msg}"))
        }
    })
}

/// What a binary operation gives for an operand that is neither a Value nor a number:
/// `NotImplemented` (so that the other type may handle it, as numpy arrays do, or Python
/// raises its `TypeError` naming both types), except for Python's sequences, which would
/// turn `v * "x"` into "can't multiply sequence by non-int" (naming the Value, not the
/// sequence): for those the `TypeError` is raised here.
fn unsupported(
    py: Python<'_>,
    sym: &str,
    other: &Bound<'_, PyAny>,
    reflected: bool,
) -> PyResult<Py<PyAny>> {
    let sequence = other.is_instance_of::<PyString>()
        || other.is_instance_of::<PyBytes>()
        || other.is_instance_of::<PyByteArray>()
        || other.is_instance_of::<PyList>()
        || other.is_instance_of::<PyTuple>();
    if !sequence {
        return Ok(py.NotImplemented());
    }
    let (l, r) = if reflected {
        (type_name(other), "Value".to_string())
    } else {
        ("Value".to_string(), type_name(other))
    };
    Err(PyTypeError::new_err(format!(
        "unsupported operand type(s) for {sym}: '{l}' and '{r}'"
    )))
}

/// Wraps the result of an operation (a new node).
#[inline(always)]
fn result(py: Python<'_>, v: Node) -> PyResult<Py<PyAny>> {
    Ok(wrap(py, v)?.into_any())
}

/// The exponent -1 of micrograd's division, hidden from the optimizer: a constant exponent
/// would let LLVM turn `pow(x, -1)` into `1 / x`, which may differ from Python's `x ** -1`
/// (the C library's `pow`) in the last bit.
#[inline(always)]
fn minus_one() -> f64 {
    std::hint::black_box(-1.0)
}

/// `Value * -1`, micrograd's negation.
#[inline(always)]
fn neg(a: Node) -> Node {
    a * Node::new(-1.0)
}

/// A Python float's repr (`0.1`, `1e-07`, `2.0`), as micrograd's `repr` shows numbers.
fn float_repr(py: Python<'_>, x: f64) -> PyResult<String> {
    Ok(PyFloat::new(py, x).repr()?.to_string())
}

/// micrograd's `_op` for a node made by the engine's operation `op` (with its constant, for
/// the constant exponent of `x ** 2`).
fn op_name(py: Python<'_>, op: Op, constant: Option<f64>) -> PyResult<String> {
    Ok(match (op, constant) {
        (Op::Leaf, _) => String::new(),
        (Op::Relu, _) => "ReLU".into(),
        (Op::PowConst, Some(c)) => {
            // micrograd writes f'**{other}': an int exponent prints as an int.
            if c.fract() == 0.0 && c.abs() < 1e15 {
                format!("**{}", c as i64)
            } else {
                format!("**{}", float_repr(py, c)?)
            }
        }
        (op, _) => op.symbol().to_string(),
    })
}

#[pymethods]
impl PyValue {
    /// `Value(data, _children=(), _op='', label='')`. The arguments are checked here; the
    /// node is made by `__init__`, which also puts the object in its thread's table (the
    /// object must exist first, and nothing may run between making a node and that).
    #[new]
    #[pyo3(signature = (data, _children = None, _op = None, label = None))]
    fn __new__(
        data: &Bound<'_, PyAny>,
        _children: Option<&Bound<'_, PyAny>>,
        _op: Option<&Bound<'_, PyAny>>,
        label: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        number_or_error(data, "Value() data")?;
        label.map(label_text).transpose()?;
        let mut children = Vec::new();
        if let Some(c) = _children {
            for child in c.try_iter()? {
                let child = child?;
                match child.cast_into::<PyValue>() {
                    Ok(v) => {
                        v.get().node()?;
                        children.push(v.unbind())
                    }
                    Err(e) => {
                        return Err(PyTypeError::new_err(format!(
                            "Value() _children must be Values, not {}",
                            type_name(e.into_inner().as_any())
                        )));
                    }
                }
            }
        }
        let op = match _op {
            None => String::new(),
            Some(o) => o
                .cast::<PyString>()
                .map_err(|_| {
                    PyTypeError::new_err(format!("Value() _op must be a str, not {}", type_name(o)))
                })?
                .to_string(),
        };
        let extra =
            (!children.is_empty() || !op.is_empty()).then(|| Box::new(Extra { children, op }));
        Ok(PyValue {
            raw: AtomicU64::new(0),
            tape: AtomicU64::new(0),
            extra,
        })
    }

    #[pyo3(signature = (data, _children = None, _op = None, label = None))]
    #[allow(unused_variables)]
    fn __init__(
        slf: &Bound<'_, Self>,
        data: &Bound<'_, PyAny>,
        _children: Option<&Bound<'_, PyAny>>,
        _op: Option<&Bound<'_, PyAny>>,
        label: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let this = slf.get();
        let x = number_or_error(data, "Value() data")?;
        let label = label.map(label_text).transpose()?;
        let id = tape_id();
        if this
            .tape
            .compare_exchange(0, id, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return Err(PyTypeError::new_err(
                "micrograd: a Value is initialized once (make a new one with Value(data))",
            ));
        }
        let v = engine(|| {
            let v = Node::new(x);
            if let Some(l) = label.filter(|l| !l.is_empty()) {
                v.set_label(l);
            }
            v
        })?;
        let raw = bindings::into_raw(v);
        this.raw.store(raw, Ordering::Relaxed);
        adopt(slf.py(), &slf.clone().unbind(), raw as u32 as usize);
        Ok(())
    }

    /// The number.
    #[getter]
    fn data(&self) -> PyResult<f64> {
        let v = self.node()?;
        engine(|| v.data())
    }

    #[setter]
    fn set_data(&self, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = self.node()?;
        let x = number_or_error(data, "Value.data")?;
        engine(|| v.set_data(x))
    }

    /// The gradient (0 until a backward reaches the value).
    #[getter]
    fn grad(&self) -> PyResult<f64> {
        let v = self.node()?;
        engine(|| v.grad())
    }

    #[setter]
    fn set_grad(&self, grad: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = self.node()?;
        let g = number_or_error(grad, "Value.grad")?;
        engine(|| v.set_grad(g))
    }

    /// The label shown in pictures ('' if none).
    #[getter]
    fn label(&self) -> PyResult<String> {
        let v = self.node()?;
        engine(|| v.label().unwrap_or_default())
    }

    #[setter]
    fn set_label(&self, label: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = self.node()?;
        let l = label_text(label)?;
        engine(|| v.set_label(l))
    }

    /// The values this one was computed from (a set; a number operand shows as a leaf).
    #[getter]
    fn _prev<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PySet>> {
        let v = self.node()?;
        let mut objs: Vec<Py<PyValue>> = Vec::new();
        if let Some(children) = self.extra_children() {
            objs.extend(children.iter().map(|c| c.clone_ref(py)));
        } else {
            let inputs = engine(|| v.node().inputs)?;
            let _hold = Hold::new(); // `inputs` are handles: no compaction until they are wrapped
            for x in inputs {
                objs.push(object_for(py, x)?);
            }
        }
        PySet::new(py, &objs)
    }

    /// The operation that made this value (micrograd's names: '+', '*', '**2', 'ReLU',
    /// 'tanh', 'exp', ...; '' for a leaf).
    #[getter]
    fn _op(&self, py: Python<'_>) -> PyResult<String> {
        let v = self.node()?;
        if let Some(op) = self.extra_op() {
            return Ok(op.to_string());
        }
        let n = engine(|| v.node())?;
        op_name(py, n.op, n.constant)
    }

    /// micrograd's `_backward()` of this one node: adds its grad times its local derivatives
    /// into its operands' grads (the lecture's manual backprop).
    fn _backward(&self) -> PyResult<()> {
        let v = self.node()?;
        if self.extra.is_some() {
            return Ok(());
        }
        engine(|| backward_node(v))
    }

    /// Back-propagates from this value, as micrograd's `backward()`: sets its grad to 1 and
    /// adds into the grad of every value it depends on.
    fn backward(&self) -> PyResult<()> {
        let v = self.node()?;
        engine(|| backward_ancestors(v))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let v = self.node()?;
        let (d, g) = engine(|| (v.data(), v.grad()))?;
        Ok(format!(
            "Value(data={}, grad={})",
            float_repr(py, d)?,
            float_repr(py, g)?
        ))
    }

    fn __add__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let a = self.node()?;
        match operand(other)? {
            Some(b) => result(py, engine(|| a + b.node())?),
            None => unsupported(py, "+", other, false),
        }
    }

    /// `other + self` is micrograd's `self + other`.
    fn __radd__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let a = self.node()?;
        match operand(other)? {
            Some(b) => result(py, engine(|| a + b.node())?),
            None => unsupported(py, "+", other, true),
        }
    }

    fn __mul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let a = self.node()?;
        match operand(other)? {
            Some(b) => result(py, engine(|| a * b.node())?),
            None => unsupported(py, "*", other, false),
        }
    }

    /// `other * self` is micrograd's `self * other`.
    fn __rmul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let a = self.node()?;
        match operand(other)? {
            Some(b) => result(py, engine(|| a * b.node())?),
            None => unsupported(py, "*", other, true),
        }
    }

    /// micrograd's `self + (-other)` (for a number, `-other` is a number).
    fn __sub__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let a = self.node()?;
        match operand(other)? {
            Some(Operand::Value(b)) => result(py, engine(|| a + neg(b))?),
            Some(Operand::Number(x)) => result(py, engine(|| a + Node::new(-x))?),
            None => unsupported(py, "-", other, false),
        }
    }

    /// micrograd's `other + (-self)`: `(-self) + Value(other)`.
    fn __rsub__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let a = self.node()?;
        match operand(other)? {
            Some(b) => result(py, engine(|| neg(a) + b.node())?),
            None => unsupported(py, "-", other, true),
        }
    }

    /// micrograd's `self * other**-1` (for a number, `other**-1` is computed by Python:
    /// dividing by 0 raises `ZeroDivisionError`, as there).
    fn __truediv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let a = self.node()?;
        if let Ok(b) = other.cast::<PyValue>() {
            let b = b.get().node()?;
            return result(py, engine(|| a * b.pow(minus_one()))?);
        }
        if number(other)?.is_none() {
            return unsupported(py, "/", other, false);
        }
        let inv = other.pow(-1, py.None())?;
        let inv = number_or_error(&inv, "the divisor's inverse")?;
        result(py, engine(|| a * Node::new(inv))?)
    }

    /// micrograd's `other * self**-1`: `self**-1 * Value(other)`.
    fn __rtruediv__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let a = self.node()?;
        match operand(other)? {
            Some(b) => result(py, engine(|| a.pow(minus_one()) * b.node())?),
            None => unsupported(py, "/", other, true),
        }
    }

    /// `self ** other`: a number exponent as in micrograd (`_op` `'**2'`); a Value exponent
    /// (which micrograd does not support) as a node of both.
    fn __pow__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        modulo: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        if modulo.is_some_and(|m| !m.is_none()) {
            return Ok(py.NotImplemented());
        }
        let a = self.node()?;
        match operand(other)? {
            Some(Operand::Value(b)) => result(py, engine(|| a.pow(b))?),
            Some(Operand::Number(c)) => result(py, engine(|| a.pow(c))?),
            None => unsupported(py, "**", other, false),
        }
    }

    /// `other ** self` for a number `other` (a leaf base, as micrograd records numbers).
    fn __rpow__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        modulo: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        if modulo.is_some_and(|m| !m.is_none()) {
            return Ok(py.NotImplemented());
        }
        let a = self.node()?;
        match operand(other)? {
            Some(b) => result(py, engine(|| b.node().pow(a))?),
            None => unsupported(py, "**", other, true),
        }
    }

    /// micrograd's `self * -1`.
    fn __neg__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let a = self.node()?;
        result(py, engine(|| neg(a))?)
    }

    /// `max(self, 0)`; `_op` `'ReLU'`.
    fn relu(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.unary(py, Node::relu)
    }

    /// Hyperbolic tangent.
    fn tanh(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.unary(py, Node::tanh)
    }

    /// `e ** self`.
    fn exp(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.unary(py, Node::exp)
    }

    /// Natural logarithm.
    fn log(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.unary(py, Node::log)
    }

    /// Logistic sigmoid `1 / (1 + e**-self)`.
    fn sigmoid(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.unary(py, Node::sigmoid)
    }

    /// Sine.
    fn sin(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.unary(py, Node::sin)
    }

    /// Cosine.
    fn cos(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.unary(py, Node::cos)
    }

    /// Square root.
    fn sqrt(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.unary(py, Node::sqrt)
    }
}

/// A label: a str.
fn label_text(label: &Bound<'_, PyAny>) -> PyResult<String> {
    match label.cast::<PyString>() {
        Ok(s) => Ok(s.to_string()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "Value.label must be a str, not {}",
            type_name(label)
        ))),
    }
}

/// micrograd's `_op` of node `v` (made on this thread), for pictures.
pub(crate) fn op_of(py: Python<'_>, v: Node) -> PyResult<String> {
    let n = engine(|| v.node())?;
    op_name(py, n.op, n.constant)
}
