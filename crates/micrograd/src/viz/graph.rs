//! A value's computation graph as plain data, and as Graphviz DOT.
//!
//! The picture follows the lecture's `draw_dot`: one record per value
//! (`{ label | data 2.0000 | grad -1.5000 }`) and, for each value made by an operation, a
//! small node with the operation's symbol between the operands and the result. A constant
//! folded into the operation (`x * 2.0`) is written in the operation node (`* 2`).

use std::fmt::Write as _;
use std::path::Path;

use super::svg::{fixed, short};
use super::{VizError, write_text};
use crate::engine::{Arity, Op, Value};

/// What to draw: the options of [`to_dot_with`], [`to_svg_with`](super::to_svg_with) and
/// [`graph_layout_with`](super::graph_layout_with).
///
/// ```
/// use micrograd::viz::GraphOptions;
/// assert!(!GraphOptions::default().expand_neurons);
/// assert!(GraphOptions::default().expanded(true).expand_neurons);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GraphOptions {
    /// Draw each neuron's weighted sum (an `affine` or `dot` node) as the lecture builds it:
    /// one `*` node per product `w_i * x_i`, with its own record, and one `+` node adding the
    /// products (and the bias). Off: one node whose text says what it computes (`w·x + b`).
    pub expand_neurons: bool,
}

impl GraphOptions {
    /// These options with [`expand_neurons`](GraphOptions::expand_neurons) set to `on`.
    pub fn expanded(mut self, on: bool) -> GraphOptions {
        self.expand_neurons = on;
        self
    }
}

/// One value of the graph, as drawn in its record.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueRecord {
    /// The value's tape id ([`Value::id`]), used to name the DOT node `v{id}`. For a product
    /// drawn only in an expanded neuron (see [`term`](ValueRecord::term)), the id of the
    /// `affine` or `dot` value it is part of.
    pub id: usize,
    /// Its label, if it has one.
    pub label: Option<String>,
    /// Its number.
    pub data: f64,
    /// Its gradient.
    pub grad: f64,
    /// `Some(i)` for the product `w_i * x_i` of an expanded neuron ([`GraphOptions`]): a
    /// value the picture shows but the tape does not hold (the engine computes the sum in one
    /// node). Its gradient is the sum's gradient, as the chain rule through `+` gives.
    /// `None` for every value of the tape.
    pub term: Option<usize>,
}

impl ValueRecord {
    /// The record's node name in DOT: `v{id}`, or `v{id}_{i}` for term `i` of an expanded
    /// neuron.
    pub fn dot_name(&self) -> String {
        match self.term {
            None => format!("v{}", self.id),
            Some(i) => format!("v{}_{i}", self.id),
        }
    }

    /// The record's fields, left to right: the label (if any and not empty), `data …`,
    /// `grad …`, numbers with four decimals as in the lecture (`1.2346e30` from a million on,
    /// so that a huge number does not make a record thousands of pixels wide).
    pub fn fields(&self) -> Vec<String> {
        let mut f = Vec::with_capacity(3);
        if let Some(l) = self.label.as_ref().filter(|l| !l.is_empty()) {
            f.push(l.clone());
        }
        f.push(format!("data {}", record_number(self.data)));
        f.push(format!("grad {}", record_number(self.grad)));
        f
    }
}

/// The operation that made one value: drawn as a small node between operands and result.
#[derive(Clone, Debug, PartialEq)]
pub struct OpNode {
    /// Index (into [`GraphModel::values`]) of the value this operation made.
    pub result: usize,
    /// The text shown: the symbol, with the folded constant if any (`"* 2"`, `"1 -"`,
    /// `"tanh"`); for the n-ary operations, what they compute (`"w·x + b"` for `affine`,
    /// `"w·x"` for `dot`).
    pub text: String,
    /// A longer explanation for a tooltip (the SVG's `<title>`), e.g.
    /// `"affine: w0*x0 + w1*x1 + b, a neuron's weighted sum"`; `None` where the text says it all.
    pub title: Option<String>,
    /// Indices (into [`GraphModel::values`]) of the operands, in order, repeats kept
    /// (`x * x` has operands `[x, x]`; `dot` has `w0, x0, w1, x1, ...`).
    pub inputs: Vec<usize>,
}

/// A value's graph: every ancestor's record and every operation node.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphModel {
    /// The values, operands before results; the last one is the root.
    pub values: Vec<ValueRecord>,
    /// One operation node per value that is not a leaf.
    pub ops: Vec<OpNode>,
}

impl GraphModel {
    /// Reads the graph of `root` from the tape (walking `root.ancestors()` only).
    ///
    /// Panics (from the engine) if `root` was released from the tape.
    pub fn of(root: Value) -> GraphModel {
        GraphModel::with_options(root, &GraphOptions::default())
    }

    /// [`GraphModel::of`] drawn with `options` (e.g. neurons expanded into `*` and `+`).
    ///
    /// ```
    /// use micrograd::Value;
    /// use micrograd::viz::{GraphModel, GraphOptions};
    /// let w = Value::leaves(&[2.0, -1.0]);
    /// let x = Value::leaves(&[3.0, 4.0]);
    /// let y = Value::affine(&w, &x, Value::new(0.5));
    /// y.backward();
    /// let plain = GraphModel::of(y);
    /// assert_eq!((plain.values.len(), plain.ops.len()), (6, 1));
    /// assert_eq!(plain.ops[0].text, "w·x + b");
    /// let lecture = GraphModel::with_options(y, &GraphOptions::default().expanded(true));
    /// // two products w_i * x_i, each with its record and its `*` node, and one `+`
    /// assert_eq!((lecture.values.len(), lecture.ops.len()), (8, 3));
    /// let texts: Vec<&str> = lecture.ops.iter().map(|o| o.text.as_str()).collect();
    /// assert_eq!(texts, ["*", "*", "+"]);
    /// assert_eq!(lecture.values[6].data, -4.0); // w1 * x1
    /// assert_eq!(lecture.values[6].grad, 1.0);
    /// ```
    pub fn with_options(root: Value, options: &GraphOptions) -> GraphModel {
        let order = root.ancestors();
        let mut index = std::collections::HashMap::with_capacity(order.len());
        let mut values = Vec::with_capacity(order.len());
        let mut ops = Vec::new();
        for &v in &order {
            let node = v.node();
            let (id, data, grad) = (v.id(), v.data(), v.grad());
            let expand = options.expand_neurons && matches!(node.op, Op::Affine | Op::Dot);
            if node.op.arity() == Arity::Leaf {
                index.insert(id, values.len());
                values.push(record(id, v.label(), data, grad, None));
                continue;
            }
            let inputs: Vec<usize> = node.inputs.iter().map(|x| index[&x.id()]).collect();
            if !expand {
                let (text, title) = op_text_title(node.op, node.constant, inputs.len());
                ops.push(OpNode {
                    result: values.len(),
                    text,
                    title,
                    inputs,
                });
                index.insert(id, values.len());
                values.push(record(id, v.label(), data, grad, None));
                continue;
            }
            // The lecture's neuron: `w_i * x_i` for each term, then one `+` of the products
            // (and, for `affine`, the bias last, as `w0*x0 + w1*x1 + ... + b` reads).
            let (bias, pairs) = if node.op == Op::Affine {
                (Some(inputs[0]), &inputs[1..])
            } else {
                (None, &inputs[..])
            };
            let mut sum_inputs = Vec::with_capacity(pairs.len() / 2 + 1);
            for (term, pair) in pairs.chunks_exact(2).enumerate() {
                let (w, x) = (pair[0], pair[1]);
                let product = values[w].data * values[x].data;
                ops.push(OpNode {
                    result: values.len(),
                    text: Op::Mul.symbol().to_string(),
                    title: None,
                    inputs: vec![w, x],
                });
                // Named as the lecture names it (`x1*w1`) when both factors have names.
                let label = match (&values[w].label, &values[x].label) {
                    (Some(a), Some(b)) if !a.is_empty() && !b.is_empty() => {
                        Some(format!("{a}*{b}"))
                    }
                    _ => None,
                };
                sum_inputs.push(values.len());
                values.push(record(id, label, product, grad, Some(term)));
            }
            sum_inputs.extend(bias);
            ops.push(OpNode {
                result: values.len(),
                text: Op::Add.symbol().to_string(),
                title: None,
                inputs: sum_inputs,
            });
            index.insert(id, values.len());
            values.push(record(id, v.label(), data, grad, None));
        }
        GraphModel { values, ops }
    }

    /// The number of edges drawn: one from each operand to its operation node (repeats
    /// counted) and one from each operation node to its result.
    pub fn edge_count(&self) -> usize {
        self.ops.iter().map(|o| o.inputs.len() + 1).sum()
    }
}

/// A record's number: four decimals, or scientific notation with four from 1e6 on.
fn record_number(x: f64) -> String {
    if x.is_finite() && x.abs() >= 1e6 {
        format!("{x:.4e}")
    } else {
        fixed(x, 4)
    }
}

fn record(
    id: usize,
    label: Option<String>,
    data: f64,
    grad: f64,
    term: Option<usize>,
) -> ValueRecord {
    ValueRecord {
        id,
        label,
        data,
        grad,
        term,
    }
}

/// The text of an operation node and its tooltip: [`op_text`], except for the n-ary
/// operations, whose text says what they compute (`w·x + b`) and whose tooltip spells it out
/// for their `inputs` operands.
fn op_text_title(op: Op, constant: Option<f64>, inputs: usize) -> (String, Option<String>) {
    let terms = |n: usize| -> String {
        let t = |i: usize| format!("w{i}*x{i}");
        match n {
            0 => "0".to_string(),
            1..=3 => (0..n).map(t).collect::<Vec<_>>().join(" + "),
            _ => format!("{} + {} + ... + {}", t(0), t(1), t(n - 1)),
        }
    };
    match op {
        Op::Affine => (
            "w·x + b".to_string(),
            Some(format!(
                "affine: {} + b, a neuron's weighted sum of its {} inputs plus its bias",
                terms(inputs.saturating_sub(1) / 2),
                inputs.saturating_sub(1) / 2
            )),
        ),
        Op::Dot => (
            "w·x".to_string(),
            Some(format!("dot: {}", terms(inputs / 2))),
        ),
        Op::Sum => (
            op.symbol().to_string(),
            Some(format!("sum of its {inputs} operands")),
        ),
        _ => (op_text(op, constant), None),
    }
}

/// The text of an operation node: its symbol, with a folded constant on the side where it
/// stands in the expression (`* 2` for `x * 2.0`, `2 -` for `2.0 - x`, `** 3` for `x.pow(3)`).
pub(crate) fn op_text(op: Op, constant: Option<f64>) -> String {
    let sym = op.symbol();
    match constant {
        None => sym.to_string(),
        Some(c) => match op {
            Op::ConstSub | Op::ConstDiv | Op::ConstPow => format!("{} {sym}", short(c)),
            _ => format!("{sym} {}", short(c)),
        },
    }
}

/// Escapes text for a field of a Graphviz record label (inside a quoted string).
fn dot_record_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '{' | '}' | '|' | '<' | '>' | '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a quoted Graphviz string.
fn dot_string_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The graph of `root` in Graphviz DOT, drawn left to right as in the lecture's `draw_dot`.
///
/// Values are `v{id}` records `{ label | data … | grad … }`; the operation that made value
/// `id` is the node `op{id}`, with edges `v{operand} -> op{id} -> v{id}`. Render it with
/// `dot -Tsvg`, or use [`to_svg`](super::to_svg) which needs no Graphviz.
///
/// ```
/// use micrograd::{Value, viz};
/// let a = Value::new(2.0).with_label("a");
/// let b = a * 3.0;
/// let dot = viz::to_dot(b);
/// assert!(dot.contains("{ a | data 2.0000 | grad 0.0000 }"));
/// assert!(dot.contains("label=\"* 3\""));
/// ```
pub fn to_dot(root: Value) -> String {
    model_to_dot(&GraphModel::of(root))
}

/// [`to_dot`] drawn with `options` (e.g. neurons expanded into the lecture's `*` and `+`).
pub fn to_dot_with(root: Value, options: &GraphOptions) -> String {
    model_to_dot(&GraphModel::with_options(root, options))
}

/// [`to_dot`] for a graph already read from the tape.
pub(crate) fn model_to_dot(g: &GraphModel) -> String {
    let mut s = String::new();
    s.push_str("digraph micrograd {\n");
    s.push_str("  rankdir=LR;\n");
    s.push_str("  node [fontname=\"Helvetica\", fontsize=12];\n");
    for v in &g.values {
        let fields: Vec<String> = v.fields().iter().map(|f| dot_record_escape(f)).collect();
        let _ = writeln!(
            s,
            "  {} [shape=record, label=\"{{ {} }}\"];",
            v.dot_name(),
            fields.join(" | ")
        );
    }
    for o in &g.ops {
        // The operation is named after its result: `op{id}` (`op{id}_{i}` for a product).
        let result = g.values[o.result].dot_name();
        let name = format!("op{}", &result[1..]);
        let tooltip = o
            .title
            .as_ref()
            .map(|t| format!(", tooltip=\"{}\"", dot_string_escape(t)))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  {name} [shape=ellipse, label=\"{}\"{tooltip}];",
            dot_string_escape(&o.text)
        );
        for &i in &o.inputs {
            let _ = writeln!(s, "  {} -> {name};", g.values[i].dot_name());
        }
        let _ = writeln!(s, "  {name} -> {result};");
    }
    s.push_str("}\n");
    s
}

/// Writes [`to_dot`] of `root` to `path`.
pub fn write_dot(path: &Path, root: Value) -> Result<(), VizError> {
    write_text(path, "the DOT graph", &to_dot(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_text_places_the_constant() {
        assert_eq!(op_text(Op::MulConst, Some(2.0)), "* 2");
        assert_eq!(op_text(Op::ConstSub, Some(1.0)), "1 -");
        assert_eq!(op_text(Op::PowConst, Some(-1.0)), "** -1");
        assert_eq!(op_text(Op::Tanh, None), "tanh");
    }

    #[test]
    fn huge_numbers_are_scientific_in_records() {
        assert_eq!(record_number(2.5), "2.5000");
        assert_eq!(record_number(-123456.0), "-123456.0000");
        assert_eq!(record_number(1.5e30), "1.5000e30");
        assert_eq!(record_number(-2e6), "-2.0000e6");
        assert_eq!(record_number(f64::INFINITY), "inf");
    }

    #[test]
    fn record_fields_are_escaped() {
        assert_eq!(dot_record_escape("a|b{c}<d>"), "a\\|b\\{c\\}\\<d\\>");
    }

    #[test]
    fn model_of_a_square() {
        let x = Value::new(3.0).with_label("x");
        let y = x * x;
        y.backward();
        let g = GraphModel::of(y);
        assert_eq!(g.values.len(), 2);
        assert_eq!(g.ops.len(), 1);
        assert_eq!(g.ops[0].inputs, vec![0, 0]);
        assert_eq!(g.edge_count(), 3);
        assert_eq!(
            g.values[0].fields(),
            vec!["x", "data 3.0000", "grad 6.0000"]
        );
    }
}
