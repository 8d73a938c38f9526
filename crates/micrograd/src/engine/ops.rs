//! Every operation of the engine: its forward value and its local derivative, side by side.
//!
//! This is the one place where the math lives. Each line of the [`ops!`] table below names an
//! operation, how many node operands it takes, its forward formula and its local partial
//! derivatives. Adding an operation means adding one line here (and, if it should have
//! operator syntax, a method in `value.rs`).
//!
//! The backward sweep (in `tape.rs`) never recomputes a forward function: the partials are
//! written in terms of the inputs `a`, `b` and the already computed output `y`
//! (for example `tanh`'s derivative is `1 - y*y`), so each node costs a few flops.

/// How an operation reads its operands from the tape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// A leaf: an input or a parameter. No operands.
    Leaf,
    /// One node operand (`a`).
    Unary,
    /// One node operand (`a`) and a constant `f64` (`b`), kept in the tape's constant pool.
    WithConst,
    /// Two node operands (`a`, `b`).
    Binary,
    /// Any number of node operands, kept in the tape's operand list (`sum`, `dot`, `affine`).
    Nary,
}

macro_rules! ops {
    ($(
        $(#[$doc:meta])*
        $name:ident $sym:literal $arity:ident
            forward |$fa:ident, $fb:ident| $fwd:expr,
            partials |$pa:ident, $pb:ident, $py:ident| $bwd:expr;
    )*) => {
        /// An operation recorded on the tape. See the module documentation for the table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Op {
            $( $(#[$doc])* $name, )*
        }

        impl Op {
            /// Every operation, in table order.
            pub const ALL: &'static [Op] = &[$(Op::$name),*];

            /// The forward value of the operation for operands `a` and `b`
            /// (`b` is the constant for [`Arity::WithConst`], ignored for unary operations).
            /// Leaf and n-ary operations are not computed here and return `NaN`.
            #[inline(always)]
            #[allow(unused_variables)]
            pub fn forward(self, a: f64, b: f64) -> f64 {
                match self {
                    $( Op::$name => { let ($fa, $fb) = (a, b); $fwd } )*
                }
            }

            /// The local partial derivatives `(dy/da, dy/db)` at operands `a`, `b` and output `y`.
            /// For [`Arity::WithConst`] and [`Arity::Unary`] only `dy/da` is meaningful.
            #[inline(always)]
            #[allow(unused_variables)]
            pub fn partials(self, a: f64, b: f64, y: f64) -> (f64, f64) {
                match self {
                    $( Op::$name => { let ($pa, $pb, $py) = (a, b, y); $bwd } )*
                }
            }

            /// Adds the adjoint `g` of node `i` (made by this operation with operands `a`, `b`)
            /// into its node operands' adjoints: one dispatch on the operation, with the
            /// partials inlined. n-ary operations (`Sum`, `Dot`, `Affine`) read their operand
            /// list from `operands` (see [`nary_propagate`](super::tape::nary_propagate)).
            #[inline(always)]
            #[allow(unused_variables, clippy::too_many_arguments)]
            pub(crate) fn propagate(
                self,
                i: usize,
                g: f64,
                a: usize,
                b: usize,
                val: &[f64],
                grad: &mut [f64],
                consts: &[f64],
                operands: &[u32],
            ) {
                match self {
                    $( Op::$name => {
                        propagate_arm!($arity, Op::$name, i, g, a, b, val, grad, consts, operands,
                            |$pa, $pb, $py| $bwd)
                    } )*
                }
            }

            /// The value of a node made by this operation with operands `a`, `b` (node
            /// indices into `val`, or a constant index into `consts`, by arity). Leaf and
            /// n-ary operations are left to the caller (they return `NaN` here).
            #[inline(always)]
            #[allow(unused_variables)]
            pub(crate) fn forward_node(self, a: usize, b: usize, val: &[f64], consts: &[f64]) -> f64 {
                match self {
                    $( Op::$name => forward_arm!($arity, a, b, val, consts, |$fa, $fb| $fwd), )*
                }
            }

            /// How the operation reads its operands.
            #[inline(always)]
            pub fn arity(self) -> Arity {
                match self {
                    $( Op::$name => Arity::$arity, )*
                }
            }

            /// A short symbol for pictures and messages (`"+"`, `"tanh"`, ...).
            pub fn symbol(self) -> &'static str {
                match self {
                    $( Op::$name => $sym, )*
                }
            }
        }
    };
}

/// One arm of [`Op::forward_node`], by arity.
macro_rules! forward_arm {
    (Leaf, $($rest:tt)*) => {
        NAN
    };
    (Nary, $($rest:tt)*) => {
        NAN
    };
    (Unary, $a:ident, $b:ident, $val:ident, $consts:ident, |$fa:ident, $fb:ident| $fwd:expr) => {{
        let ($fa, $fb) = ($val[$a], 0.0);
        $fwd
    }};
    (WithConst, $a:ident, $b:ident, $val:ident, $consts:ident, |$fa:ident, $fb:ident| $fwd:expr) => {{
        let ($fa, $fb) = ($val[$a], $consts[$b]);
        $fwd
    }};
    (Binary, $a:ident, $b:ident, $val:ident, $consts:ident, |$fa:ident, $fb:ident| $fwd:expr) => {{
        let ($fa, $fb) = ($val[$a], $val[$b]);
        $fwd
    }};
}

/// One arm of [`Op::propagate`], by arity.
macro_rules! propagate_arm {
    (Leaf, $($rest:tt)*) => {{}};
    (Nary, $op:expr, $i:ident, $g:ident, $a:ident, $b:ident, $val:ident, $grad:ident,
        $consts:ident, $operands:ident, $($rest:tt)*) => {{ super::tape::nary_propagate($op, $g, $a, $b, $val, $grad, $operands) }};
    (Unary, $op:expr, $i:ident, $g:ident, $a:ident, $b:ident, $val:ident, $grad:ident, $consts:ident, $operands:ident,
        |$pa:ident, $pb:ident, $py:ident| $bwd:expr) => {{
        let ($pa, $pb, $py) = ($val[$a], 0.0, $val[$i]);
        let (da, _): (f64, f64) = $bwd;
        $grad[$a] += $g * da;
    }};
    (WithConst, $op:expr, $i:ident, $g:ident, $a:ident, $b:ident, $val:ident, $grad:ident, $consts:ident, $operands:ident,
        |$pa:ident, $pb:ident, $py:ident| $bwd:expr) => {{
        let ($pa, $pb, $py) = ($val[$a], $consts[$b], $val[$i]);
        let (da, _): (f64, f64) = $bwd;
        $grad[$a] += $g * da;
    }};
    (Binary, $op:expr, $i:ident, $g:ident, $a:ident, $b:ident, $val:ident, $grad:ident, $consts:ident, $operands:ident,
        |$pa:ident, $pb:ident, $py:ident| $bwd:expr) => {{
        let ($pa, $pb, $py) = ($val[$a], $val[$b], $val[$i]);
        let (da, db): (f64, f64) = $bwd;
        $grad[$a] += $g * da;
        $grad[$b] += $g * db;
    }};
}

const NAN: f64 = f64::NAN;

/// Hyperbolic tangent, within 2.2e-16 relative of `f64::tanh` (tested densely below) and
/// about twice as fast for `|x| >= 0.5`: there it is `1 - 2 / (e^(2|x|) + 1)` with the sign of
/// `x`, which needs one `exp` (fast in every libm) instead of an `expm1`-based `tanh`; the
/// subtraction loses nothing since `2 / (e^(2|x|) + 1) < 0.54` there. Below 0.5 (and for NaN)
/// it is `f64::tanh`. Overflow of `exp` for large `|x|` gives exactly +-1, as it should.
#[inline]
pub(crate) fn tanh(x: f64) -> f64 {
    let ax = x.abs();
    if ax >= 0.5 {
        let e = (2.0 * ax).exp();
        (1.0 - 2.0 / (e + 1.0)).copysign(x)
    } else {
        x.tanh()
    }
}

ops! {
    /// An input or a parameter: a value with no operands.
    Leaf "" Leaf
        forward |a, b| NAN,
        partials |a, b, y| (0.0, 0.0);
    /// `a + b`
    Add "+" Binary
        forward |a, b| a + b,
        partials |a, b, y| (1.0, 1.0);
    /// `a - b`
    Sub "-" Binary
        forward |a, b| a - b,
        partials |a, b, y| (1.0, -1.0);
    /// `a * b`
    Mul "*" Binary
        forward |a, b| a * b,
        partials |a, b, y| (b, a);
    /// `a / b`
    Div "/" Binary
        forward |a, b| a / b,
        partials |a, b, y| (1.0 / b, -a / (b * b));
    /// `a ** b` with a Value exponent; `d/db a^b = a^b ln a`. As in PyTorch, `d/da` is 0 where
    /// `b == 0` and `d/db` is 0 where `a == 0` and `b >= 0` (instead of `0 * inf` = NaN).
    Pow "**" Binary
        forward |a, b| a.powf(b),
        partials |a, b, y| (
            if b == 0.0 { 0.0 } else { b * a.powf(b - 1.0) },
            if a == 0.0 && b >= 0.0 { 0.0 } else { y * a.ln() }
        );
    /// `a + c` for a constant `c`
    AddConst "+" WithConst
        forward |a, c| a + c,
        partials |a, c, y| (1.0, 0.0);
    /// `a - c` for a constant `c`
    SubConst "-" WithConst
        forward |a, c| a - c,
        partials |a, c, y| (1.0, 0.0);
    /// `a * c` for a constant `c`
    MulConst "*" WithConst
        forward |a, c| a * c,
        partials |a, c, y| (c, 0.0);
    /// `a / c` for a constant `c`
    DivConst "/" WithConst
        forward |a, c| a / c,
        partials |a, c, y| (1.0 / c, 0.0);
    /// `c - a` for a constant `c`
    ConstSub "-" WithConst
        forward |a, c| c - a,
        partials |a, c, y| (-1.0, 0.0);
    /// `c / a` for a constant `c`
    ConstDiv "/" WithConst
        forward |a, c| c / a,
        partials |a, c, y| (-c / (a * a), 0.0);
    /// `a ** c` for a constant exponent `c` (derivative 0 where `c == 0`, as PyTorch)
    PowConst "**" WithConst
        forward |a, c| a.powf(c),
        partials |a, c, y| (if c == 0.0 { 0.0 } else { c * a.powf(c - 1.0) }, 0.0);
    /// `c ** a` for a constant base `c` (derivative 0 where `c == 0` and `a >= 0`, as PyTorch)
    ConstPow "**" WithConst
        forward |a, c| c.powf(a),
        partials |a, c, y| (if c == 0.0 && a >= 0.0 { 0.0 } else { y * c.ln() }, 0.0);
    /// `-a`
    Neg "neg" Unary
        forward |a, b| -a,
        partials |a, b, y| (-1.0, 0.0);
    /// `e^a`
    Exp "exp" Unary
        forward |a, b| a.exp(),
        partials |a, b, y| (y, 0.0);
    /// natural logarithm `ln a`
    Log "log" Unary
        forward |a, b| a.ln(),
        partials |a, b, y| (1.0 / a, 0.0);
    /// hyperbolic tangent
    Tanh "tanh" Unary
        forward |a, b| tanh(a),
        partials |a, b, y| (1.0 - y * y, 0.0);
    /// `max(a, 0)`; the derivative at exactly 0 is 0, as in PyTorch and micrograd; NaN stays
    /// NaN (as PyTorch), so a diverging model is not hidden
    Relu "relu" Unary
        forward |a, b| if a <= 0.0 { 0.0 } else { a },
        partials |a, b, y| (if a > 0.0 { 1.0 } else { 0.0 }, 0.0);
    /// logistic sigmoid `1 / (1 + e^-a)`, computed without overflow for large `|a|`
    Sigmoid "sigmoid" Unary
        forward |a, b| if a >= 0.0 { 1.0 / (1.0 + (-a).exp()) } else { let e = a.exp(); e / (1.0 + e) },
        partials |a, b, y| (y * (1.0 - y), 0.0);
    /// `sum(x_i)` over any number of operands
    Sum "sum" Nary
        forward |a, b| NAN,
        partials |a, b, y| (1.0, 0.0);
    /// `sum(w_i * x_i)`: operands are stored as `w_0, x_0, w_1, x_1, ...`
    Dot "dot" Nary
        forward |a, b| NAN,
        partials |a, b, y| (b, a);
    /// `sum(w_i * x_i) + b`, a neuron's pre-activation as one node: operands are stored as
    /// `b, w_0, x_0, w_1, x_1, ...`; the products are added in order, then `b`
    /// (the same number as `dot(w, x) + b`, to the bit). `d/db = 1`, `d/dw_i = x_i`,
    /// `d/dx_i = w_i`.
    Affine "affine" Nary
        forward |a, b| NAN,
        partials |a, b, y| (b, a);
    /// [`Op::Affine`] for weights that are consecutive nodes (a neuron's parameters, made
    /// one after the other): operands are stored as `b`, the start of the input list
    /// `x_0, x_1, ...` (stored once for all the neurons of a layer) and the first weight's
    /// node. The same numbers, to the bit, and the same operands in [`Node`](super::Node)
    /// (`b, w_0, x_0, ...`); no weight's handle is read or written per product.
    AffineSpan "affine" Nary
        forward |a, b| NAN,
        partials |a, b, y| (b, a);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_tanh_matches_std_tanh() {
        // Dense grid over [-40, 40] plus the edges: relative error at most 2 epsilon.
        let n = 4_000_000;
        let mut worst = 0.0f64;
        for i in 0..=n {
            let x = -40.0 + 80.0 * i as f64 / n as f64;
            let (ours, std) = (tanh(x), x.tanh());
            let rel = if std == 0.0 {
                ours.abs()
            } else {
                ((ours - std) / std).abs()
            };
            worst = worst.max(rel);
        }
        assert!(
            worst <= 2.0 * f64::EPSILON,
            "worst relative error {worst:e}"
        );
        for x in [
            0.5,
            -0.5,
            0.5f64.next_down(),
            19.0,
            22.0,
            354.0,
            1e300,
            -1e300,
        ] {
            assert!(
                ((tanh(x) - x.tanh()) / x.tanh()).abs() <= 2.0 * f64::EPSILON,
                "{x}"
            );
        }
        assert_eq!(tanh(f64::INFINITY), 1.0);
        assert_eq!(tanh(f64::NEG_INFINITY), -1.0);
        assert!(tanh(f64::NAN).is_nan());
        assert_eq!(tanh(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(tanh(1e-300), 1e-300f64.tanh());
    }

    #[test]
    fn table_is_consistent() {
        assert_eq!(Op::ALL.len(), 24);
        for (i, op) in Op::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
        }
        assert!((Op::Tanh.forward(0.5, 0.0) - 0.5f64.tanh()).abs() < 1e-16);
        let y = Op::Tanh.forward(0.5, 0.0);
        assert_eq!(Op::Tanh.partials(0.5, 0.0, y).0, 1.0 - y * y);
        assert_eq!(Op::Relu.partials(0.0, 0.0, 0.0).0, 0.0);
        assert_eq!(Op::Pow.partials(0.0, 2.0, 0.0).1, 0.0);
        assert_eq!(Op::Sigmoid.forward(-800.0, 0.0), 0.0);
        assert_eq!(Op::Sigmoid.forward(800.0, 0.0), 1.0);
    }
}
