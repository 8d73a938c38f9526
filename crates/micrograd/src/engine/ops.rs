//! Every operation of the engine: its forward value and its local derivative, side by side.
//!
//! This is the one place where the math lives. Each row of the [`ops!`] table below names an
//! operation, its symbol, how it reads its operands, its forward formula, its local partial
//! derivatives and the same derivatives as text (for pictures and step-by-step displays).
//! Adding an operation means adding one row here and, for operator syntax or a method, one
//! line in `value.rs`; the `grad` language, the pictures and the bindings take their lists
//! of operations from this table ([`Op::ALL`], [`Op::functions`]).
//!
//! The backward sweep never recomputes a forward function: the partials are written in terms
//! of the inputs `a`, `b` and the already computed output `y` (for example `tanh`'s
//! derivative is `1 - y*y`), so each node costs a few flops.
//!
//! n-ary operations (`sum`, `dot`, `affine`) add one *term* per operand (or pair of operands
//! `w_i, x_i`) in operand order: their row gives the term and its partials, and
//! [`nary`](super::nary) walks the operand lists.

use super::nary;

/// How an operation reads its operands from the tape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// A leaf: an input or a parameter. No operands.
    Leaf,
    /// One node operand (`a`).
    Unary,
    /// One node operand (`a`) and a constant `f64` (`c`), kept in the tape's constant pool.
    WithConst,
    /// Two node operands (`a`, `b`).
    Binary,
    /// Any number of node operands, kept in the tape's operand list (`sum`, `dot`, `affine`).
    Nary,
}

macro_rules! ops {
    (
        $(
            $(#[$doc:meta])*
            $name:ident $sym:literal $arity:ident
                forward |$fa:ident, $fb:ident| $fwd:expr,
                partials |$pa:ident, $pb:ident, $py:ident| $bwd:expr,
                rules [$($rule:literal),*];
        )*
        @internal {
            $(
                $(#[$idoc:meta])*
                $iname:ident as $ipub:ident;
            )*
        }
    ) => {
        /// An operation of the engine. See the module documentation for the table.
        ///
        /// New operations are added over time, so matches on `Op` need a wildcard arm.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        #[non_exhaustive]
        pub enum Op {
            $( $(#[$doc])* $name, )*
        }

        /// The instruction set of the tape: every [`Op`] (with the same discriminant) and the
        /// engine's internal forms of some of them, which compute the same numbers from a
        /// more compact operand layout.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub(crate) enum OpCode {
            $( $name, )*
            $( $(#[$idoc])* $iname, )*
        }

        impl Op {
            /// Every operation, in table order.
            pub const ALL: &'static [Op] = &[$(Op::$name),*];

            /// The forward value of the operation for operands `a` and `b` (`b` is the
            /// constant `c` for [`Arity::WithConst`], ignored for unary operations). For
            /// n-ary operations it is one term of the sum (`w_i * x_i` for `dot`, with
            /// `a = w_i`, `b = x_i`). A leaf is not computed: `NaN`.
            #[inline(always)]
            #[allow(unused_variables)]
            pub fn forward(self, a: f64, b: f64) -> f64 {
                match self {
                    $( Op::$name => { let ($fa, $fb) = (a, b); $fwd } )*
                }
            }

            /// The local partial derivatives `(dy/da, dy/db)` at operands `a`, `b` and output
            /// `y`. For [`Arity::WithConst`] and [`Arity::Unary`] only `dy/da` is meaningful;
            /// for n-ary operations they are those of one term (see [`Op::forward`]).
            #[inline(always)]
            #[allow(unused_variables)]
            pub fn partials(self, a: f64, b: f64, y: f64) -> (f64, f64) {
                match self {
                    $( Op::$name => { let ($pa, $pb, $py) = (a, b, y); $bwd } )*
                }
            }

            /// How the operation reads its operands.
            #[inline(always)]
            pub fn arity(self) -> Arity {
                match self {
                    $( Op::$name => Arity::$arity, )*
                }
            }

            /// A short symbol for pictures and messages (`"+"`, `"tanh"`, ...); for the
            /// functions ([`Op::functions`]), their name.
            pub fn symbol(self) -> &'static str {
                match self {
                    $( Op::$name => $sym, )*
                }
            }

            /// The local derivatives as text, one per operand (per term's operand for n-ary
            /// operations), in terms of the operands' data `a`, `b`, the constant `c` and
            /// the output `out`: `["b", "a"]` for `a * b`, `["1 - out**2"]` for `tanh`.
            /// Multiplied by the output's grad, each is what the chain rule adds into that
            /// operand's grad.
            pub fn rules(self) -> &'static [&'static str] {
                match self {
                    $( Op::$name => &[$($rule),*], )*
                }
            }
        }

        impl OpCode {
            /// The public operation this code computes.
            #[inline(always)]
            pub(crate) fn public(self) -> Op {
                match self {
                    $( OpCode::$name => Op::$name, )*
                    $( OpCode::$iname => Op::$ipub, )*
                }
            }

            /// How the operation reads its operands.
            #[inline(always)]
            pub(crate) fn arity(self) -> Arity {
                self.public().arity()
            }

            /// The value of a node made by this operation with operands `a`, `b` (node
            /// indices into `val`, or a constant index into `consts`, by arity). Leaf and
            /// n-ary operations are left to the caller (they return `NaN` here).
            #[inline(always)]
            #[allow(unused_variables)]
            pub(crate) fn forward_node(self, a: usize, b: usize, val: &[f64], consts: &[f64]) -> f64 {
                match self {
                    $( OpCode::$name => forward_arm!($arity, Op::$name, a, b, val, consts), )*
                    $( OpCode::$iname => f64::NAN, )*
                }
            }

            /// Adds the adjoint `g` of node `i` (made by this operation with operands `a`, `b`)
            /// into its node operands' adjoints: one dispatch on the operation, with the
            /// partials inlined. n-ary operations read their operand list from `operands`
            /// (see [`nary::propagate`]).
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
                    $( OpCode::$name => {
                        propagate_arm!($arity, OpCode::$name, i, g, a, b, val, grad, consts, operands)
                    } )*
                    $( OpCode::$iname => nary::propagate(OpCode::$iname, g, a, b, val, grad, operands), )*
                }
            }
        }

        impl OpCode {
            /// As [`propagate`](OpCode::propagate), except that a scalar operation's term for
            /// node `i - 1` (the next node a reverse sweep visits) is returned instead of added
            /// into `grad[i - 1]`, so the sweep can add it from a register. A node that names
            /// `i - 1` twice (`x * x`), and the n-ary operations, add every term into `grad`
            /// and return `None`.
            #[inline(always)]
            #[allow(unused_variables, clippy::too_many_arguments)]
            pub(crate) fn propagate_next(
                self,
                i: usize,
                g: f64,
                a: usize,
                b: usize,
                val: &[f64],
                grad: &mut [f64],
                consts: &[f64],
                operands: &[u32],
            ) -> Option<f64> {
                match self {
                    $( OpCode::$name => {
                        propagate_next_arm!($arity, OpCode::$name, i, g, a, b, val, grad, consts, operands)
                    } )*
                    $( OpCode::$iname => {
                        nary::propagate(OpCode::$iname, g, a, b, val, grad, operands);
                        None
                    } )*
                }
            }

            /// The code of a public operation (the same discriminant).
            #[inline(always)]
            pub(crate) const fn of(op: Op) -> OpCode {
                match op {
                    $( Op::$name => OpCode::$name, )*
                }
            }
        }
    };
}

/// One arm of [`OpCode::forward_node`], by arity.
macro_rules! forward_arm {
    (Leaf, $($rest:tt)*) => {
        f64::NAN
    };
    (Nary, $($rest:tt)*) => {
        f64::NAN
    };
    (Unary, $op:expr, $a:ident, $b:ident, $val:ident, $consts:ident) => {
        $op.forward($val[$a], 0.0)
    };
    (WithConst, $op:expr, $a:ident, $b:ident, $val:ident, $consts:ident) => {
        $op.forward($val[$a], $consts[$b])
    };
    (Binary, $op:expr, $a:ident, $b:ident, $val:ident, $consts:ident) => {
        $op.forward($val[$a], $val[$b])
    };
}

/// One arm of [`OpCode::propagate`], by arity.
macro_rules! propagate_arm {
    (Leaf, $($rest:tt)*) => {{}};
    (Nary, $code:expr, $i:ident, $g:ident, $a:ident, $b:ident, $val:ident, $grad:ident,
        $consts:ident, $operands:ident) => {
        nary::propagate($code, $g, $a, $b, $val, $grad, $operands)
    };
    (Unary, $code:expr, $i:ident, $g:ident, $a:ident, $b:ident, $val:ident, $grad:ident,
        $consts:ident, $operands:ident) => {{
        let (da, _) = $code.public().partials($val[$a], 0.0, $val[$i]);
        $grad[$a] += $g * da;
    }};
    (WithConst, $code:expr, $i:ident, $g:ident, $a:ident, $b:ident, $val:ident, $grad:ident,
        $consts:ident, $operands:ident) => {{
        let (da, _) = $code.public().partials($val[$a], $consts[$b], $val[$i]);
        $grad[$a] += $g * da;
    }};
    (Binary, $code:expr, $i:ident, $g:ident, $a:ident, $b:ident, $val:ident, $grad:ident,
        $consts:ident, $operands:ident) => {{
        let (da, db) = $code.public().partials($val[$a], $val[$b], $val[$i]);
        $grad[$a] += $g * da;
        $grad[$b] += $g * db;
    }};
}

/// One arm of [`OpCode::propagate_next`], by arity: a term for node `i - 1` is returned.
macro_rules! propagate_next_arm {
    (Leaf, $($rest:tt)*) => {
        None
    };
    (Nary, $code:expr, $i:ident, $g:ident, $a:ident, $b:ident, $val:ident, $grad:ident,
        $consts:ident, $operands:ident) => {{
        nary::propagate($code, $g, $a, $b, $val, $grad, $operands);
        None
    }};
    (Unary, $code:expr, $i:ident, $g:ident, $a:ident, $b:ident, $val:ident, $grad:ident,
        $consts:ident, $operands:ident) => {{
        let (da, _) = $code.public().partials($val[$a], 0.0, $val[$i]);
        next_or_add($i, $a, $g * da, $grad)
    }};
    (WithConst, $code:expr, $i:ident, $g:ident, $a:ident, $b:ident, $val:ident, $grad:ident,
        $consts:ident, $operands:ident) => {{
        let (da, _) = $code.public().partials($val[$a], $consts[$b], $val[$i]);
        next_or_add($i, $a, $g * da, $grad)
    }};
    (Binary, $code:expr, $i:ident, $g:ident, $a:ident, $b:ident, $val:ident, $grad:ident,
        $consts:ident, $operands:ident) => {{
        let (da, db) = $code.public().partials($val[$a], $val[$b], $val[$i]);
        if $a == $b {
            $grad[$a] += $g * da;
            $grad[$b] += $g * db;
            None
        } else {
            let next = next_or_add($i, $a, $g * da, $grad);
            next_or_add($i, $b, $g * db, $grad).or(next)
        }
    }};
}

/// `Some(term)` if `x` is node `i - 1`; else adds `term` into `grad[x]`.
#[inline(always)]
fn next_or_add(i: usize, x: usize, term: f64, grad: &mut [f64]) -> Option<f64> {
    if x + 1 == i {
        Some(term)
    } else {
        grad[x] += term;
        None
    }
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
        partials |a, b, y| (0.0, 0.0),
        rules [];
    /// `a + b`
    Add "+" Binary
        forward |a, b| a + b,
        partials |a, b, y| (1.0, 1.0),
        rules ["1", "1"];
    /// `a - b`
    Sub "-" Binary
        forward |a, b| a - b,
        partials |a, b, y| (1.0, -1.0),
        rules ["1", "-1"];
    /// `a * b`
    Mul "*" Binary
        forward |a, b| a * b,
        partials |a, b, y| (b, a),
        rules ["b", "a"];
    /// `a / b`
    Div "/" Binary
        forward |a, b| a / b,
        partials |a, b, y| (1.0 / b, -a / (b * b)),
        rules ["1 / b", "-a / b**2"];
    /// `a ** b` with a Value exponent; `d/db a^b = a^b ln a`. As in PyTorch, `d/da` is 0 where
    /// `b == 0` and `d/db` is 0 where `a == 0` and `b >= 0` (instead of `0 * inf` = NaN).
    Pow "**" Binary
        forward |a, b| a.powf(b),
        partials |a, b, y| (
            if b == 0.0 { 0.0 } else { b * a.powf(b - 1.0) },
            if a == 0.0 && b >= 0.0 { 0.0 } else { y * a.ln() }
        ),
        rules ["b * a**(b - 1)", "out * log(a)"];
    /// `a + c` for a constant `c`
    AddConst "+" WithConst
        forward |a, c| a + c,
        partials |a, c, y| (1.0, 0.0),
        rules ["1"];
    /// `a - c` for a constant `c`
    SubConst "-" WithConst
        forward |a, c| a - c,
        partials |a, c, y| (1.0, 0.0),
        rules ["1"];
    /// `a * c` for a constant `c`
    MulConst "*" WithConst
        forward |a, c| a * c,
        partials |a, c, y| (c, 0.0),
        rules ["c"];
    /// `a / c` for a constant `c`
    DivConst "/" WithConst
        forward |a, c| a / c,
        partials |a, c, y| (1.0 / c, 0.0),
        rules ["1 / c"];
    /// `c - a` for a constant `c`
    ConstSub "-" WithConst
        forward |a, c| c - a,
        partials |a, c, y| (-1.0, 0.0),
        rules ["-1"];
    /// `c / a` for a constant `c`
    ConstDiv "/" WithConst
        forward |a, c| c / a,
        partials |a, c, y| (-c / (a * a), 0.0),
        rules ["-c / a**2"];
    /// `a ** c` for a constant exponent `c` (derivative 0 where `c == 0`, as PyTorch)
    PowConst "**" WithConst
        forward |a, c| a.powf(c),
        partials |a, c, y| (if c == 0.0 { 0.0 } else { c * a.powf(c - 1.0) }, 0.0),
        rules ["c * a**(c - 1)"];
    /// `c ** a` for a constant base `c` (derivative 0 where `c == 0` and `a >= 0`, as PyTorch)
    ConstPow "**" WithConst
        forward |a, c| c.powf(a),
        partials |a, c, y| (if c == 0.0 && a >= 0.0 { 0.0 } else { y * c.ln() }, 0.0),
        rules ["out * log(c)"];
    /// `-a`
    Neg "neg" Unary
        forward |a, b| -a,
        partials |a, b, y| (-1.0, 0.0),
        rules ["-1"];
    /// `e^a`
    Exp "exp" Unary
        forward |a, b| a.exp(),
        partials |a, b, y| (y, 0.0),
        rules ["out"];
    /// natural logarithm `ln a`
    Log "log" Unary
        forward |a, b| a.ln(),
        partials |a, b, y| (1.0 / a, 0.0),
        rules ["1 / a"];
    /// hyperbolic tangent
    Tanh "tanh" Unary
        forward |a, b| tanh(a),
        partials |a, b, y| (1.0 - y * y, 0.0),
        rules ["1 - out**2"];
    /// `max(a, 0)`; the derivative at exactly 0 is 0, as in PyTorch and micrograd; NaN stays
    /// NaN (as PyTorch), so a diverging model is not hidden
    Relu "relu" Unary
        forward |a, b| if a <= 0.0 { 0.0 } else { a },
        partials |a, b, y| (if a > 0.0 { 1.0 } else { 0.0 }, 0.0),
        rules ["1 if a > 0 else 0"];
    /// logistic sigmoid `1 / (1 + e^-a)`, computed without overflow for large `|a|`
    Sigmoid "sigmoid" Unary
        forward |a, b| if a >= 0.0 { 1.0 / (1.0 + (-a).exp()) } else { let e = a.exp(); e / (1.0 + e) },
        partials |a, b, y| (y * (1.0 - y), 0.0),
        rules ["out * (1 - out)"];
    /// sine
    Sin "sin" Unary
        forward |a, b| a.sin(),
        partials |a, b, y| (a.cos(), 0.0),
        rules ["cos(a)"];
    /// cosine
    Cos "cos" Unary
        forward |a, b| a.cos(),
        partials |a, b, y| (-a.sin(), 0.0),
        rules ["-sin(a)"];
    /// square root (NaN below 0; the derivative at 0 is infinite, as PyTorch's `1 / (2 out)`)
    Sqrt "sqrt" Unary
        forward |a, b| a.sqrt(),
        partials |a, b, y| (1.0 / (2.0 * y), 0.0),
        rules ["1 / (2 * out)"];
    /// `sum(x_i)` over any number of operands, added in order; each term is `x_i`
    Sum "sum" Nary
        forward |x, b| x,
        partials |x, b, y| (1.0, 0.0),
        rules ["1"];
    /// `sum(w_i * x_i)`: operands are stored as `w_0, x_0, w_1, x_1, ...`, the products added
    /// in order
    Dot "dot" Nary
        forward |w, x| w * x,
        partials |w, x, y| (x, w),
        rules ["x_i", "w_i"];
    /// `sum(w_i * x_i) + b`, a neuron's pre-activation as one node: operands are stored as
    /// `b, w_0, x_0, w_1, x_1, ...`; the products are added in order, then `b` (the same
    /// number as `dot(w, x) + b`, to the bit). `d/db = 1`, `d/dw_i = x_i`, `d/dx_i = w_i`.
    Affine "affine" Nary
        forward |w, x| w * x,
        partials |w, x, y| (x, w),
        rules ["1", "x_i", "w_i"];
    @internal {
        /// [`Op::Affine`] for weights that are consecutive nodes (a neuron's parameters, made
        /// one after the other): operands are stored as `b`, the start of the input list
        /// `x_0, x_1, ...` (stored once for all the neurons of a layer) and the first weight's
        /// node. The same numbers, to the bit, and the same operands in
        /// [`Node`](super::Node) (`b, w_0, x_0, ...`); no weight's handle is read or written
        /// per product.
        AffineSpan as Affine;
    }
}

impl Op {
    /// The functions: every unary operation but negation (which is written `-x`), in table
    /// order. They are the functions of the `grad` language and the methods of a value
    /// (`x.tanh()`), by their [`symbol`](Op::symbol).
    pub fn functions() -> impl Iterator<Item = Op> {
        Op::ALL
            .iter()
            .copied()
            .filter(|op| op.arity() == Arity::Unary && *op != Op::Neg)
    }

    /// The function called `name` (`"tanh"`), if there is one (see [`Op::functions`]).
    pub fn function(name: &str) -> Option<Op> {
        Op::functions().find(|op| op.symbol() == name)
    }

    /// The functions' names, comma-separated, for messages and help texts:
    /// `"exp, log, tanh, relu, sigmoid, sin, cos, sqrt"`.
    pub fn function_names() -> String {
        Op::functions()
            .map(Op::symbol)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl std::fmt::Display for Op {
    /// The operation's [`symbol`](Op::symbol) (`"+"`, `"tanh"`); a leaf prints as `leaf`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Leaf => f.write_str("leaf"),
            op => f.write_str(op.symbol()),
        }
    }
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
        assert_eq!(Op::ALL.len(), 26);
        for (i, op) in Op::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
            assert_eq!(OpCode::of(*op) as usize, i);
            assert_eq!(OpCode::of(*op).public(), *op);
            let operands = match op.arity() {
                Arity::Leaf => 0,
                Arity::Unary | Arity::WithConst => 1,
                Arity::Binary => 2,
                Arity::Nary => op.rules().len(),
            };
            assert_eq!(op.rules().len(), operands, "{op:?}");
        }
        assert_eq!(OpCode::AffineSpan.public(), Op::Affine);
        assert!((Op::Tanh.forward(0.5, 0.0) - 0.5f64.tanh()).abs() < 1e-16);
        let y = Op::Tanh.forward(0.5, 0.0);
        assert_eq!(Op::Tanh.partials(0.5, 0.0, y).0, 1.0 - y * y);
        assert_eq!(Op::Relu.partials(0.0, 0.0, 0.0).0, 0.0);
        assert_eq!(Op::Pow.partials(0.0, 2.0, 0.0).1, 0.0);
        assert_eq!(Op::Sigmoid.forward(-800.0, 0.0), 0.0);
        assert_eq!(Op::Sigmoid.forward(800.0, 0.0), 1.0);
        assert_eq!(Op::Sqrt.partials(0.0, 0.0, 0.0).0, f64::INFINITY);
    }

    #[test]
    fn functions_are_the_unary_ops_but_negation() {
        assert_eq!(
            Op::function_names(),
            "exp, log, tanh, relu, sigmoid, sin, cos, sqrt"
        );
        assert_eq!(Op::function("tanh"), Some(Op::Tanh));
        assert_eq!(Op::function("neg"), None);
        assert_eq!(Op::function("+"), None);
        assert_eq!(Op::Mul.to_string(), "*");
        assert_eq!(Op::Leaf.to_string(), "leaf");
    }
}
