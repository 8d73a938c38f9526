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

/// One value of the graph, as drawn in its record.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueRecord {
    /// The value's tape id ([`Value::id`]), used to name the DOT node `v{id}`.
    pub id: usize,
    /// Its label, if it has one.
    pub label: Option<String>,
    /// Its number.
    pub data: f64,
    /// Its gradient.
    pub grad: f64,
}

impl ValueRecord {
    /// The record's fields, left to right: the label (if any and not empty), `data …`,
    /// `grad …`, numbers with four decimals as in the lecture.
    pub fn fields(&self) -> Vec<String> {
        let mut f = Vec::with_capacity(3);
        if let Some(l) = self.label.as_ref().filter(|l| !l.is_empty()) {
            f.push(l.clone());
        }
        f.push(format!("data {}", fixed(self.data, 4)));
        f.push(format!("grad {}", fixed(self.grad, 4)));
        f
    }
}

/// The operation that made one value: drawn as a small node between operands and result.
#[derive(Clone, Debug, PartialEq)]
pub struct OpNode {
    /// Index (into [`GraphModel::values`]) of the value this operation made.
    pub result: usize,
    /// The text shown: the symbol, with the folded constant if any (`"* 2"`, `"1 -"`, `"tanh"`).
    pub text: String,
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
        let order = root.ancestors();
        let mut index = std::collections::HashMap::with_capacity(order.len());
        for (i, v) in order.iter().enumerate() {
            index.insert(v.id(), i);
        }
        let mut values = Vec::with_capacity(order.len());
        let mut ops = Vec::new();
        for (i, &v) in order.iter().enumerate() {
            values.push(ValueRecord {
                id: v.id(),
                label: v.label(),
                data: v.data(),
                grad: v.grad(),
            });
            let node = v.node();
            if node.op.arity() == Arity::Leaf {
                continue;
            }
            let inputs = node.inputs.iter().map(|x| index[&x.id()]).collect();
            ops.push(OpNode {
                result: i,
                text: op_text(node.op, node.constant),
                inputs,
            });
        }
        GraphModel { values, ops }
    }

    /// The number of edges drawn: one from each operand to its operation node (repeats
    /// counted) and one from each operation node to its result.
    pub fn edge_count(&self) -> usize {
        self.ops.iter().map(|o| o.inputs.len() + 1).sum()
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
            "  v{} [shape=record, label=\"{{ {} }}\"];",
            v.id,
            fields.join(" | ")
        );
    }
    for o in &g.ops {
        let id = g.values[o.result].id;
        let _ = writeln!(
            s,
            "  op{id} [shape=ellipse, label=\"{}\"];",
            dot_string_escape(&o.text)
        );
        for &i in &o.inputs {
            let _ = writeln!(s, "  v{} -> op{id};", g.values[i].id);
        }
        let _ = writeln!(s, "  op{id} -> v{id};");
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
