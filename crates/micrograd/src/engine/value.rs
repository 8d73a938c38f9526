//! [`Value`]: a scalar that remembers how it was made, as in micrograd.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use super::nary;
use super::ops::{Arity, Op, OpCode};
use super::tape::{Released, TapeData, live, with_tape, with_tape_small};

/// A scalar node of the computation graph: a small `Copy` handle into this thread's tape.
///
/// The number (`data`) and the gradient (`grad`) live on the tape, so every copy of a handle
/// sees the same node: `p.set_data(..)` through `model.parameters()` updates the model, as in
/// micrograd. A `Value` is `!Send`: it belongs to the thread whose tape holds it, and using it
/// on another thread does not compile:
///
/// ```compile_fail
/// let v = micrograd::Value::new(1.0);
/// std::thread::spawn(move || v.data());
/// ```
///
/// The lecture's neuron:
///
/// ```
/// use micrograd::Value;
///
/// let x1 = Value::new(2.0).with_label("x1");
/// let w1 = Value::new(-3.0).with_label("w1");
/// let x2 = Value::new(0.0).with_label("x2");
/// let w2 = Value::new(1.0).with_label("w2");
/// let b = Value::new(6.8813735870194432).with_label("b");
/// let o = (x1 * w1 + x2 * w2 + b).tanh();
/// o.backward();
/// assert!((o.data() - 0.7071).abs() < 1e-4);
/// assert!((x1.grad() - (-1.5)).abs() < 1e-9);
/// assert!((w1.grad() - 1.0).abs() < 1e-9);
/// let y = (o - 1.0) / 2.0 + 10.0 / o; // f64 on either side of + - * /
/// assert!(y.data() > 0.0);
/// ```
///
/// Using a handle whose node was released (by the end of a [`Tape::scope`](super::Tape::scope))
/// panics with a message that says so, at the line of the call that used it.
#[derive(Clone, Copy)]
pub struct Value {
    pub(crate) idx: u32,
    pub(crate) epoch: u32,
    _not_send: PhantomData<*const ()>,
}

/// What made a node: its operation, its node operands and its constant, if any.
/// Returned by [`Value::node`]; used to draw graphs.
#[derive(Clone, Debug)]
pub struct Node {
    /// The operation.
    pub op: Op,
    /// The node operands, in order (for [`Op::Dot`]: `w0, x0, w1, x1, ...`; for
    /// [`Op::Affine`]: `b, w0, x0, w1, x1, ...`).
    pub inputs: Vec<Value>,
    /// The constant operand of a [`Arity::WithConst`] operation.
    pub constant: Option<f64>,
}

impl Value {
    /// A handle to node `idx` of tape `t` (pre: `idx` is a live node).
    #[inline(always)]
    pub(crate) fn at(t: &TapeData, idx: u32) -> Value {
        Value {
            idx,
            epoch: t.epoch,
            _not_send: PhantomData,
        }
    }

    /// A handle from its parts (for [`bindings`](super::bindings), which keeps handles as
    /// numbers: a handle is only as good as its parts, checked on use like any other).
    #[cfg(feature = "bindings")]
    #[inline(always)]
    pub(crate) const fn from_parts(idx: u32, epoch: u32) -> Value {
        Value {
            idx,
            epoch,
            _not_send: PhantomData,
        }
    }

    /// The tape index, unchecked (tests only: the caller knows the node is live).
    #[cfg(test)]
    pub(crate) fn id_unchecked(self) -> usize {
        self.idx as usize
    }

    /// The checked tape index of this value.
    #[inline(always)]
    pub(crate) fn index(self, t: &TapeData) -> Result<usize, Released> {
        t.check(self.idx, self.epoch)
    }

    /// A new leaf (an input or a parameter) holding `data`, with gradient 0.
    #[inline]
    pub fn new(data: f64) -> Value {
        with_tape(|t| {
            let i = t.push(data, OpCode::Leaf, 0, 0);
            Value::at(t, i)
        })
    }

    /// Creates many leaves at once.
    pub fn leaves(data: &[f64]) -> Vec<Value> {
        data.iter().map(|&d| Value::new(d)).collect()
    }

    /// Gives this value a label (shown in graph pictures) and returns it.
    #[track_caller]
    pub fn with_label(self, label: impl Into<String>) -> Value {
        self.set_label(label);
        self
    }

    /// Sets this value's label.
    #[track_caller]
    pub fn set_label(self, label: impl Into<String>) {
        let label = label.into();
        live(with_tape(|t| {
            let i = self.index(t)?;
            t.labels.insert(i as u32, label);
            Ok(())
        }))
    }

    /// This value's label, if it has one.
    #[track_caller]
    pub fn label(self) -> Option<String> {
        live(with_tape(|t| {
            let i = self.index(t)?;
            Ok(t.labels.get(&(i as u32)).cloned())
        }))
    }

    /// The number this value holds.
    #[inline]
    #[track_caller]
    pub fn data(self) -> f64 {
        live(with_tape(|t| Ok(t.val[self.index(t)?])))
    }

    /// The gradient accumulated into this value by [`backward`](Value::backward).
    #[inline]
    #[track_caller]
    pub fn grad(self) -> f64 {
        live(with_tape(|t| Ok(t.grad_of(self.index(t)?))))
    }

    /// Overwrites the number (an optimizer's update). Values computed from this one earlier
    /// keep their numbers; recompute them (or replay the graph) to see the change.
    #[inline]
    #[track_caller]
    pub fn set_data(self, data: f64) {
        live(with_tape(|t| {
            let i = self.index(t)?;
            t.val[i] = data;
            Ok(())
        }))
    }

    /// Overwrites the gradient (`set_grad(0.0)` is micrograd's `p.grad = 0`).
    #[inline]
    #[track_caller]
    pub fn set_grad(self, grad: f64) {
        live(with_tape(|t| {
            let i = self.index(t)?;
            t.grow_grad(i + 1);
            t.grad[i] = grad;
            t.touch_grad(i);
            Ok(())
        }))
    }

    /// Back-propagates from this value: seeds its gradient with 1 and adds
    /// d self / d v into the gradient of every ancestor `v`, by one reverse sweep of the tape.
    ///
    /// Gradients of leaves accumulate across calls (zero them with `set_grad(0.0)`, as in
    /// micrograd); an interior node's gradient is that of the latest backward through it.
    #[track_caller]
    pub fn backward(self) {
        live(with_tape(|t| {
            let i = self.index(t)?;
            t.backward(i);
            Ok(())
        }))
    }

    /// The operation that made this value and its operands.
    #[track_caller]
    pub fn node(self) -> Node {
        live(with_tape(|t| {
            let i = self.index(t)?;
            let code = t.op[i];
            let [a, b] = t.ab[i];
            let h = |x: u32| Value::at(t, x);
            let (inputs, constant) = match code.arity() {
                Arity::Leaf => (vec![], None),
                Arity::Unary => (vec![h(a)], None),
                Arity::WithConst => (vec![h(a)], Some(t.consts[b as usize])),
                Arity::Binary => (vec![h(a), h(b)], None),
                Arity::Nary => {
                    let mut inputs = Vec::new();
                    nary::for_each_operand(&t.operands, code, a as usize, b as usize, |x| {
                        inputs.push(h(x))
                    });
                    (inputs, None)
                }
            };
            Ok(Node {
                op: code.public(),
                inputs,
                constant,
            })
        }))
    }

    /// This value and every value it depends on, operands before their results
    /// (a topological order), each once.
    #[track_caller]
    pub fn ancestors(self) -> Vec<Value> {
        live(with_tape(|t| {
            let root = self.index(t)?;
            let mut seen = vec![false; root + 1];
            seen[root] = true;
            let mut order = Vec::new();
            for i in (0..=root).rev() {
                if !seen[i] {
                    continue;
                }
                order.push(Value::at(t, i as u32));
                let [a, b] = t.ab[i];
                let (a, b) = (a as usize, b as usize);
                match t.op[i].arity() {
                    Arity::Leaf => {}
                    Arity::Unary | Arity::WithConst => seen[a] = true,
                    Arity::Binary => {
                        seen[a] = true;
                        seen[b] = true;
                    }
                    Arity::Nary => {
                        nary::for_each_operand(&t.operands, t.op[i], a, b, |x| {
                            seen[x as usize] = true
                        });
                    }
                }
            }
            order.reverse();
            Ok(order)
        }))
    }

    /// Whether two handles refer to the same node.
    #[track_caller]
    pub fn same_node(self, other: Value) -> bool {
        self.idx == other.idx && self.epoch == other.epoch
            || live(with_tape(|t| Ok(self.index(t)? == other.index(t)?)))
    }

    /// The node's position on the tape (stable while the node lives).
    #[track_caller]
    pub fn id(self) -> usize {
        live(with_tape(|t| self.index(t)))
    }

    // The node makers take the operation as a const parameter: each operation gets its own
    // copy, in which the forward formula is known and there is no dispatch over the op code.

    #[inline(always)]
    #[track_caller]
    fn unary<const OP: u8>(self) -> Value {
        made(with_tape_small(|t| make_unary::<OP>(t, self)))
    }

    #[inline(always)]
    #[track_caller]
    fn with_const<const OP: u8>(self, c: f64) -> Value {
        made(with_tape_small(|t| make_with_const::<OP>(t, self, c)))
    }

    #[inline(always)]
    #[track_caller]
    fn binary<const OP: u8>(self, other: Value) -> Value {
        made(with_tape_small(|t| make_binary::<OP>(t, self, other)))
    }

    /// `self ** exponent`, for an `f64` (or integer) or a `Value` exponent.
    ///
    /// ```
    /// use micrograd::Value;
    /// let a = Value::new(1.7);
    /// let b = Value::new(-0.6);
    /// let y = a.pow(b); // d/db a^b = a^b ln a
    /// y.backward();
    /// assert!((b.grad() - y.data() * 1.7f64.ln()).abs() < 1e-12);
    /// assert_eq!(a.pow(2.0).data(), 1.7 * 1.7);
    /// ```
    #[inline]
    #[track_caller]
    pub fn pow(self, exponent: impl Into<Exponent>) -> Value {
        match exponent.into() {
            Exponent::Const(c) => self.with_const::<{ Op::PowConst as u8 }>(c),
            Exponent::Value(e) => self.binary::<{ Op::Pow as u8 }>(e),
        }
    }

    /// `base ** exponent` for a constant base (`2 ** x`): d/dx = base^x ln base.
    #[inline]
    #[track_caller]
    pub fn pow_base(base: f64, exponent: Value) -> Value {
        exponent.with_const::<{ Op::ConstPow as u8 }>(base)
    }

    /// `f(self)` for a function of the table ([`Op::functions`]: `Op::Tanh`, `Op::Exp`, ...)
    /// or [`Op::Neg`]: the same node as the method of that name (`x.apply(Op::Tanh)` is
    /// `x.tanh()`), for code that picks the function at run time.
    ///
    /// Panics if `f` is not a unary operation (a programming error).
    ///
    /// ```
    /// use micrograd::{Value, engine::Op};
    /// let x = Value::new(0.5);
    /// let f = Op::function("sin").unwrap();
    /// assert_eq!(x.apply(f).data(), 0.5f64.sin());
    /// ```
    #[track_caller]
    pub fn apply(self, f: Op) -> Value {
        assert!(
            f.arity() == Arity::Unary,
            "micrograd: Value::apply needs a unary operation, not {f:?}"
        );
        live(with_tape(|t| {
            let a = self.index(t)?;
            let v = f.forward(t.val[a], 0.0);
            let i = t.push(v, OpCode::of(f), a as u32, 0);
            Ok(Value::at(t, i))
        }))
    }

    // The functions below are not `#[inline]`: inlined into a caller's loop (the long chain of
    // `tanh`s) they built slower, with fewer instructions (ARCHITECTURE.md). The operators
    // (`+`, `*`, ...) are inlined.

    /// `e ** self`.
    #[track_caller]
    pub fn exp(self) -> Value {
        self.unary::<{ Op::Exp as u8 }>()
    }

    /// Natural logarithm.
    #[track_caller]
    pub fn log(self) -> Value {
        self.unary::<{ Op::Log as u8 }>()
    }

    /// Hyperbolic tangent.
    #[track_caller]
    pub fn tanh(self) -> Value {
        self.unary::<{ Op::Tanh as u8 }>()
    }

    /// `max(self, 0)`, with derivative 0 at exactly 0 (as PyTorch and micrograd).
    #[track_caller]
    pub fn relu(self) -> Value {
        self.unary::<{ Op::Relu as u8 }>()
    }

    /// Logistic sigmoid `1 / (1 + e^-self)`.
    #[track_caller]
    pub fn sigmoid(self) -> Value {
        self.unary::<{ Op::Sigmoid as u8 }>()
    }

    /// Sine (of an angle in radians).
    #[track_caller]
    pub fn sin(self) -> Value {
        self.unary::<{ Op::Sin as u8 }>()
    }

    /// Cosine (of an angle in radians).
    #[track_caller]
    pub fn cos(self) -> Value {
        self.unary::<{ Op::Cos as u8 }>()
    }

    /// Square root (NaN below 0; at 0 its derivative is infinite, as in PyTorch).
    #[track_caller]
    pub fn sqrt(self) -> Value {
        self.unary::<{ Op::Sqrt as u8 }>()
    }
}

/// What the scalar node makers return when an operand was released: a handle with index
/// `u32::MAX`, which no node has (`TapeData::push` refuses it), carrying the released
/// operand's index in its epoch field. They return a `Value` rather than a `Result`: a
/// `Value` comes back in one register, a `Result` through memory (ARCHITECTURE.md).
#[inline(always)]
fn released(x: Value) -> Value {
    Value {
        idx: u32::MAX,
        epoch: x.idx,
        _not_send: PhantomData,
    }
}

/// The node a scalar maker made, or the panic of a released operand at the caller's line
/// (see [`released`]).
#[inline(always)]
#[track_caller]
fn made(v: Value) -> Value {
    if v.idx == u32::MAX {
        released_operand(v.epoch)
    }
    v
}

#[cold]
#[inline(never)]
#[track_caller]
fn released_operand(idx: u32) -> ! {
    Released::of_node(idx).panic()
}

/// The node of unary operation `OP` on `x` (see [`Value::unary`]).
#[inline(always)]
fn make_unary<const OP: u8>(t: &mut TapeData, x: Value) -> Value {
    let op = const { Op::ALL[OP as usize] };
    let Ok(a) = x.index(t) else {
        return released(x);
    };
    let v = op.forward(t.val[a], 0.0);
    let i = t.push(v, const { OpCode::of(Op::ALL[OP as usize]) }, a as u32, 0);
    Value::at(t, i)
}

/// The node of operation `OP` on `x` and the constant `c`.
#[inline(always)]
fn make_with_const<const OP: u8>(t: &mut TapeData, x: Value, c: f64) -> Value {
    let op = const { Op::ALL[OP as usize] };
    let Ok(a) = x.index(t) else {
        return released(x);
    };
    let v = op.forward(t.val[a], c);
    let k = t.constant(c);
    let i = t.push(v, const { OpCode::of(Op::ALL[OP as usize]) }, a as u32, k);
    Value::at(t, i)
}

/// The node of binary operation `OP` on `x` and `y`.
#[inline(always)]
fn make_binary<const OP: u8>(t: &mut TapeData, x: Value, y: Value) -> Value {
    let op = const { Op::ALL[OP as usize] };
    let Ok(a) = x.index(t) else {
        return released(x);
    };
    let Ok(b) = y.index(t) else {
        return released(y);
    };
    let v = op.forward(t.val[a], t.val[b]);
    let i = t.push(
        v,
        const { OpCode::of(Op::ALL[OP as usize]) },
        a as u32,
        b as u32,
    );
    Value::at(t, i)
}

/// The exponent of [`Value::pow`]: a constant or a `Value`.
#[derive(Clone, Copy, Debug)]
pub enum Exponent {
    /// A constant exponent.
    Const(f64),
    /// A differentiable exponent.
    Value(Value),
}

impl From<f64> for Exponent {
    fn from(c: f64) -> Self {
        Exponent::Const(c)
    }
}

impl From<i32> for Exponent {
    fn from(c: i32) -> Self {
        Exponent::Const(c as f64)
    }
}

impl From<Value> for Exponent {
    fn from(v: Value) -> Self {
        Exponent::Value(v)
    }
}

impl fmt::Debug for Value {
    /// Prints like micrograd's repr: `Value(data=2.0, grad=-1.5)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (d, g) = (self.data(), self.grad());
        write!(f, "Value(data={d:?}, grad={g:?})")
    }
}

impl fmt::Display for Value {
    /// Like `Debug`, and a precision applies to both numbers:
    /// `format!("{v:.4}")` gives `Value(data=24.7041, grad=1.0000)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match f.precision() {
            None => fmt::Debug::fmt(self, f),
            Some(p) => {
                let (d, g) = (self.data(), self.grad());
                write!(f, "Value(data={d:.p$}, grad={g:.p$})")
            }
        }
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::new(x)
    }
}

// Operator syntax: Value (op) Value, Value (op) f64, f64 (op) Value. A constant never becomes
// a node: it is folded into the operation (see ops.rs).
macro_rules! binop {
    ($Trait:ident, $method:ident, $Assign:ident, $assign:ident, $op:expr, $vc:expr, $cv:expr) => {
        impl $Trait<Value> for Value {
            type Output = Value;
            #[inline]
            #[track_caller]
            fn $method(self, rhs: Value) -> Value {
                self.binary::<{ $op as u8 }>(rhs)
            }
        }
        impl $Trait<f64> for Value {
            type Output = Value;
            #[inline]
            #[track_caller]
            fn $method(self, rhs: f64) -> Value {
                self.with_const::<{ $vc as u8 }>(rhs)
            }
        }
        impl $Trait<Value> for f64 {
            type Output = Value;
            #[inline]
            #[track_caller]
            fn $method(self, rhs: Value) -> Value {
                rhs.with_const::<{ $cv as u8 }>(self)
            }
        }
        impl $Assign<Value> for Value {
            #[inline]
            #[track_caller]
            fn $assign(&mut self, rhs: Value) {
                *self = $Trait::$method(*self, rhs);
            }
        }
        impl $Assign<f64> for Value {
            #[inline]
            #[track_caller]
            fn $assign(&mut self, rhs: f64) {
                *self = $Trait::$method(*self, rhs);
            }
        }
    };
}

binop!(
    Add,
    add,
    AddAssign,
    add_assign,
    Op::Add,
    Op::AddConst,
    Op::AddConst
);
binop!(
    Sub,
    sub,
    SubAssign,
    sub_assign,
    Op::Sub,
    Op::SubConst,
    Op::ConstSub
);
binop!(
    Mul,
    mul,
    MulAssign,
    mul_assign,
    Op::Mul,
    Op::MulConst,
    Op::MulConst
);
binop!(
    Div,
    div,
    DivAssign,
    div_assign,
    Op::Div,
    Op::DivConst,
    Op::ConstDiv
);

impl Neg for Value {
    type Output = Value;
    #[inline]
    #[track_caller]
    fn neg(self) -> Value {
        self.unary::<{ Op::Neg as u8 }>()
    }
}

impl std::iter::Sum for Value {
    #[track_caller]
    fn sum<I: Iterator<Item = Value>>(iter: I) -> Value {
        let v: Vec<Value> = iter.collect();
        Value::sum(&v)
    }
}
