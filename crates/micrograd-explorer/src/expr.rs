//! The expression tab: `POST /api/expr` parses and evaluates a program of the `grad`
//! language and answers its graph (laid out by [`micrograd::viz::graph_layout`]), the
//! backward pass as steps, and a finite-difference check per input; `POST /api/expr/value`
//! answers the value at other inputs (the nudge slider).
//!
//! The backward steps are computed from the graph's snapshot, as the engine's sweep does
//! it: the nodes in reverse creation order, and for each node every operand's
//! `grad += rule x out.grad` with the rule from [`Op::rules`] and its number from
//! [`Op::partials`]. The same products are added in the same order as the engine, so the
//! grads after the last step are the engine's, to the bit (a test checks it).

use std::collections::HashSet;

use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json_, json};

use micrograd::engine::{Arity, Op};
use micrograd::expr::{self as lang, ExprKind, Program};
use micrograd::viz::{self, NodeKind};
use micrograd::{Tape, Value};

use crate::error::{ApiError, JsonBody, num};
use crate::limits::{MAX_GRAPH_VALUES, MAX_INPUTS, MAX_PROGRAM_BYTES};

/// One input of a request: a name and its value.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The name, as the program reads it.
    pub name: String,
    /// Its value.
    pub value: f64,
}

/// `POST /api/expr` and `POST /api/expr/value`: a program and values for its inputs.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExprRequest {
    /// The program's source.
    pub program: String,
    /// Values for (some of) its inputs; an input not given here is 1.0 (the page shows it
    /// as a field to change). Names the program does not read are ignored.
    #[serde(default)]
    pub inputs: Vec<Input>,
}

/// The value given to an input that the request does not set.
pub const DEFAULT_INPUT: f64 = 1.0;

/// The names a program reads before assigning them, in the order it first reads them:
/// its inputs.
pub fn free_names(program: &Program) -> Vec<String> {
    fn reads(e: &lang::Expr, assigned: &HashSet<String>, out: &mut Vec<String>) {
        match &e.kind {
            ExprKind::Number(_) => {}
            ExprKind::Name(n) => {
                if !assigned.contains(n) && !out.contains(n) {
                    out.push(n.clone());
                }
            }
            ExprKind::Call(_, a) | ExprKind::Neg(a) => reads(a, assigned, out),
            ExprKind::Binary(_, a, b) => {
                reads(a, assigned, out);
                reads(b, assigned, out);
            }
        }
    }
    let mut assigned = HashSet::new();
    let mut out = Vec::new();
    for s in program.statements() {
        reads(&s.expr, &assigned, &mut out);
        if let Some(t) = &s.target {
            assigned.insert(t.name.clone());
        }
    }
    out
}

/// Parses the request's program, with a 4xx error for a long or malformed one (the
/// error's body has `line`, `column`, `line_text` and `caret`).
fn parse(program: &str) -> Result<Program, ApiError> {
    if program.len() > MAX_PROGRAM_BYTES {
        return Err(ApiError::too_large(format!(
            "the program is {} bytes long; the explorer takes at most {MAX_PROGRAM_BYTES}",
            program.len()
        ))
        .with("kind", "limit"));
    }
    lang::parse(program).map_err(|e| {
        let l = e.location();
        ApiError::unprocessable(e.to_string())
            .with("kind", "parse")
            .with("message", e.message())
            .with("line", l.line)
            .with("column", l.column)
            .with("line_text", l.line_text.clone())
            .with("caret", l.caret.clone())
    })
}

/// The inputs of `program`: each free name with its value from `given` (or
/// [`DEFAULT_INPUT`]), checked (finite values, at most [`MAX_INPUTS`]).
fn inputs_for(program: &Program, given: &[Input]) -> Result<Vec<(String, f64)>, ApiError> {
    let names = free_names(program);
    if names.len() > MAX_INPUTS {
        return Err(ApiError::too_large(format!(
            "the program has {} inputs; the explorer takes at most {MAX_INPUTS}",
            names.len()
        ))
        .with("kind", "limit"));
    }
    if let Some(bad) = given.iter().find(|i| !i.value.is_finite()) {
        return Err(ApiError::bad_request(format!(
            "input '{}': the value must be a finite number",
            bad.name
        )));
    }
    Ok(names
        .into_iter()
        .map(|n| {
            let v = given
                .iter()
                .find(|i| i.name == n)
                .map_or(DEFAULT_INPUT, |i| i.value);
            (n, v)
        })
        .collect())
}

fn eval_error(e: lang::EvalError) -> ApiError {
    let mut err = ApiError::unprocessable(e.to_string()).with("kind", "eval");
    if let lang::EvalError::UndefinedName { location: l, .. } = &e {
        err = err
            .with("line", l.line)
            .with("column", l.column)
            .with("line_text", l.line_text.clone())
            .with("caret", l.caret.clone());
    }
    err
}

/// `POST /api/expr`.
pub async fn handler(JsonBody(req): JsonBody<ExprRequest>) -> Result<Json<Json_>, ApiError> {
    let program = parse(&req.program)?;
    let inputs = inputs_for(&program, &req.inputs)?;
    tokio::task::spawn_blocking(move || explain(&program, &inputs))
        .await
        .map_err(|e| ApiError::internal(format!("the evaluation failed: {e}")))?
        .map(Json)
}

/// `POST /api/expr/value`: `{"value": V}` (V is `null` when not finite).
pub async fn value_handler(JsonBody(req): JsonBody<ExprRequest>) -> Result<Json<Json_>, ApiError> {
    let program = parse(&req.program)?;
    let inputs = inputs_for(&program, &req.inputs)?;
    let value = program.value_at(&inputs).map_err(eval_error)?;
    Ok(Json(json!({ "value": num(value) })))
}

/// Evaluates `program` at `inputs` and answers everything the expression tab shows.
/// Runs on a blocking thread; every node it makes is released before it returns.
pub fn explain(program: &Program, inputs: &[(String, f64)]) -> Result<Json_, ApiError> {
    let _scope = Tape::scope();
    let ev = program.eval(inputs).map_err(eval_error)?;
    let grads = ev.gradients();
    let root = ev.graph_root();
    let graph = Graph::read(root, MAX_GRAPH_VALUES)?;
    let drawing = graph.drawing(root)?;
    let steps = graph.backward_steps();
    let value = ev.value();

    let checks: Vec<Json_> = inputs
        .iter()
        .zip(&grads)
        .map(|((name, x), (_, g))| {
            let h = 1e-6 * x.abs().max(1.0);
            let at = |d: f64| {
                let mut p = inputs.to_vec();
                for (n, v) in p.iter_mut() {
                    if n == name {
                        *v = x + d;
                    }
                }
                program.value_at(&p).unwrap_or(f64::NAN)
            };
            let numeric = (at(h) - at(-h)) / (2.0 * h);
            let node = ev
                .inputs()
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, v)| graph.index_of(*v));
            json!({
                "name": name,
                "value": x,
                "grad": num(*g),
                "numeric": num(numeric),
                "h": h,
                "node": node,
            })
        })
        .collect();
    Ok(json!({
        "value": num(value),
        "output": graph.nodes.last().map(|n| n.name.clone()),
        "inputs": checks,
        "graph": drawing,
        "steps": steps,
    }))
}

/// The graph of `root` as the page draws it (at most `max` values), for the training
/// tab's point graphs.
pub fn draw(root: Value, max: usize) -> Result<Json_, ApiError> {
    Graph::read(root, max)?.drawing(root)
}

/// One value of a graph snapshot.
#[derive(Clone, Debug)]
struct GNode {
    value: Value,
    name: String,
    label: Option<String>,
    data: f64,
    grad: f64,
    op: Op,
    constant: Option<f64>,
    /// Operand indices into the snapshot, in the node's order.
    inputs: Vec<usize>,
}

/// A graph read from the tape: the ancestors of the root, operands before results.
struct Graph {
    nodes: Vec<GNode>,
}

/// Precedence of a node's display formula (5: a name, never wrapped).
fn precedence(op: Op) -> u8 {
    match op {
        Op::Add | Op::Sub | Op::AddConst | Op::SubConst | Op::ConstSub => 1,
        Op::Mul | Op::Div | Op::MulConst | Op::DivConst | Op::ConstDiv => 2,
        Op::Neg => 3,
        Op::Pow | Op::PowConst | Op::ConstPow => 4,
        _ => 5,
    }
}

/// A number as the steps print it: four decimals, as the lecture's pictures.
pub fn fixed4(x: f64) -> String {
    if x.is_finite() {
        let s = format!("{x:.4}");
        if s == "-0.0000" { "0.0000".into() } else { s }
    } else {
        format!("{x}")
    }
}

/// A constant in a formula: as short as it reads back (`2`, `0.5`).
fn short(c: f64) -> String {
    let s = format!("{c}");
    if c < 0.0 { format!("({s})") } else { s }
}

/// Longest formula used as a node's name before it is called `node N`.
const MAX_NAME: usize = 24;

impl Graph {
    fn read(root: Value, max: usize) -> Result<Graph, ApiError> {
        let order = root.ancestors();
        if order.len() > max {
            return Err(ApiError::unprocessable(format!(
                "the graph has {} values; the explorer draws at most {max}",
                order.len()
            ))
            .with("kind", "limit"));
        }
        let index: std::collections::HashMap<usize, usize> =
            order.iter().enumerate().map(|(i, v)| (v.id(), i)).collect();
        let mut nodes: Vec<GNode> = Vec::with_capacity(order.len());
        for (i, &v) in order.iter().enumerate() {
            let node = v.node();
            let inputs: Vec<usize> = node.inputs.iter().map(|x| index[&x.id()]).collect();
            let label = v.label().filter(|l| !l.is_empty());
            let name = match &label {
                Some(l) => l.clone(),
                None if node.op == Op::Leaf => short(v.data()),
                None => {
                    let f = formula(node.op, node.constant, &inputs, &nodes);
                    if f.chars().count() <= MAX_NAME {
                        f
                    } else {
                        format!("node{i}")
                    }
                }
            };
            nodes.push(GNode {
                value: v,
                name,
                label,
                data: v.data(),
                grad: v.grad(),
                op: node.op,
                constant: node.constant,
                inputs,
            });
        }
        Ok(Graph { nodes })
    }

    /// The graph as the page draws it: values, operation nodes, and the boxes of
    /// [`viz::graph_layout`].
    fn drawing(&self, root: Value) -> Result<Json_, ApiError> {
        let layout = viz::graph_layout(root).map_err(|e| {
            ApiError::unprocessable(format!("the graph cannot be drawn: {e}")).with("kind", "limit")
        })?;
        let boxes: Vec<Json_> = layout
            .boxes
            .iter()
            .map(|b| {
                let (kind, index) = match b.kind {
                    NodeKind::Value(i) => ("value", i),
                    NodeKind::Op(i) => ("op", i),
                };
                json!({"kind": kind, "index": index, "x": b.x, "y": b.y, "w": b.w, "h": b.h})
            })
            .collect();
        let ops: Vec<Json_> = layout
            .model
            .ops
            .iter()
            .map(|o| json!({"result": o.result, "text": o.text, "inputs": o.inputs}))
            .collect();
        let values: Vec<Json_> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                json!({
                    "name": n.name,
                    "label": n.label,
                    "data": num(n.data),
                    "grad": num(n.grad),
                    "op": if n.op == Op::Leaf { Json_::Null } else { json!(n.op.symbol()) },
                    "inputs": n.inputs,
                    "root": i + 1 == self.nodes.len(),
                })
            })
            .collect();
        Ok(json!({
            "values": values,
            "ops": ops,
            "boxes": boxes,
            "width": layout.size.0,
            "height": layout.size.1,
        }))
    }

    fn index_of(&self, v: Value) -> Option<usize> {
        self.nodes.iter().position(|n| n.value.same_node(v))
    }

    /// The name with `.data` / `.grad` after it: a formula is put in parentheses.
    fn dotted(&self, i: usize, field: &str) -> String {
        let n = &self.nodes[i];
        if n.label.is_none() && n.name.contains(|c: char| "+-*/ ".contains(c)) {
            format!("({}).{field}", n.name)
        } else {
            format!("{}.{field}", n.name)
        }
    }

    /// The backward pass as steps: first the seed (`out.grad = 1`), then one step per
    /// operation node in reverse creation order. Each line of a step is one operand's
    /// `grad += rule x out.grad`, with the rule in names and in numbers, the operand's grad
    /// before and after, and whether it adds to a grad that already had a contribution.
    fn backward_steps(&self) -> Vec<Json_> {
        let n = self.nodes.len();
        let Some(root) = n.checked_sub(1) else {
            return Vec::new();
        };
        let mut g = vec![0.0f64; n];
        let mut touched = vec![false; n];
        g[root] = 1.0;
        let root_name = self.dotted(root, "grad");
        let mut steps = vec![json!({
            "node": root,
            "seed": true,
            "text": format!("{root_name} = 1 (the output's gradient with respect to itself)"),
            "lines": [{"operand": root, "before": 0.0, "after": 1.0, "accumulates": false,
                       "text": format!("{root_name} = 1")}],
        })];
        for i in (0..n).rev() {
            let node = &self.nodes[i];
            if node.op.arity() == Arity::Leaf {
                continue;
            }
            let out_grad = g[i];
            let mut lines = Vec::new();
            for (k, (operand, rule, local)) in self.partials(i).into_iter().enumerate() {
                let before = g[operand];
                let accumulates = touched[operand];
                let contribution = local * out_grad;
                // The engine skips a node whose gradient is 0 (so 0 x inf adds nothing).
                if out_grad != 0.0 {
                    g[operand] += contribution;
                }
                touched[operand] = true;
                let after = g[operand];
                let (sym, nums) = self.rule_text(i, rule, k);
                let target = self.dotted(operand, "grad");
                let out = self.dotted(i, "grad");
                let mut text = format!(
                    "{target} += {sym} \u{d7} {out} = {nums} \u{d7} {} = {}",
                    fixed4(out_grad),
                    fixed4(if out_grad != 0.0 { contribution } else { 0.0 })
                );
                if accumulates {
                    text.push_str(&format!(
                        " (used again: {} + {} = {})",
                        fixed4(before),
                        fixed4(after - before),
                        fixed4(after)
                    ));
                }
                lines.push(json!({
                    "operand": operand,
                    "rule": rule,
                    "local": num(local),
                    "contribution": num(contribution),
                    "before": num(before),
                    "after": num(after),
                    "accumulates": accumulates,
                    "text": text,
                }));
            }
            let op_text = match node.constant {
                Some(c) => format!("{} {}", node.op.symbol(), short(c)),
                None => node.op.symbol().to_string(),
            };
            let made = formula_with(node.op, node.constant, &node.inputs, self);
            let head = if node.label.is_some() {
                format!("{} = {made}", node.name)
            } else {
                made
            };
            let head = format!(
                "{head}: its grad {} goes back to its operands",
                fixed4(out_grad)
            );
            steps.push(json!({
                "node": i,
                "seed": false,
                "op": op_text,
                "out_grad": num(out_grad),
                "text": head,
                "lines": lines,
            }));
        }
        steps
    }

    /// For node `i`, each operand's index, its rule (text from [`Op::rules`]) and its local
    /// derivative (from [`Op::partials`]), in the order the engine adds them.
    fn partials(&self, i: usize) -> Vec<(usize, &'static str, f64)> {
        let node = &self.nodes[i];
        let d = |j: usize| self.nodes[node.inputs[j]].data;
        let y = node.data;
        let rules = node.op.rules();
        match node.op.arity() {
            Arity::Leaf => Vec::new(),
            Arity::Unary => vec![(node.inputs[0], rules[0], node.op.partials(d(0), 0.0, y).0)],
            Arity::WithConst => {
                let c = node.constant.unwrap_or(f64::NAN);
                vec![(node.inputs[0], rules[0], node.op.partials(d(0), c, y).0)]
            }
            Arity::Binary => {
                let (da, db) = node.op.partials(d(0), d(1), y);
                vec![
                    (node.inputs[0], rules[0], da),
                    (node.inputs[1], rules[1], db),
                ]
            }
            Arity::Nary => {
                let mut out = Vec::new();
                let mut rest: &[usize] = &node.inputs;
                if node.op == Op::Affine {
                    out.push((rest[0], rules[0], 1.0));
                    rest = &rest[1..];
                }
                if node.op == Op::Sum {
                    for &x in rest {
                        out.push((x, rules[0], 1.0));
                    }
                } else {
                    let (rw, rx) = (rules[rules.len() - 2], rules[rules.len() - 1]);
                    for pair in rest.chunks(2) {
                        let (w, x) = (self.nodes[pair[0]].data, self.nodes[pair[1]].data);
                        let (dw, dx) = node.op.partials(w, x, y);
                        out.push((pair[0], rw, dw));
                        out.push((pair[1], rx, dx));
                    }
                }
                out
            }
        }
    }

    /// A rule in names (`x1.data`, `1 - o.data**2`) and in numbers (`2.0000`,
    /// `1 - 0.7071**2`), for operand number `k` of node `i`.
    fn rule_text(&self, i: usize, rule: &str, k: usize) -> (String, String) {
        let node = &self.nodes[i];
        // For n-ary nodes, the pair of operand k: `w_i` and `x_i`.
        let pair = |which: usize| -> Option<usize> {
            let offset = usize::from(node.op == Op::Affine);
            let rel = k.checked_sub(offset)?;
            node.inputs.get(offset + (rel / 2) * 2 + which).copied()
        };
        let lookup = |token: &str| -> Option<(String, f64)> {
            let idx = match token {
                "a" => node.inputs.first().copied(),
                "b" => node.inputs.get(1).copied(),
                "out" => Some(i),
                "w_i" => pair(0),
                "x_i" => pair(1),
                "c" => return node.constant.map(|c| (short(c), c)),
                _ => None,
            }?;
            Some((self.dotted(idx, "data"), self.nodes[idx].data))
        };
        let single = !rule.contains(' ') && !rule.contains("**") && !rule.contains('(');
        let mut sym = String::new();
        let mut nums = String::new();
        for token in tokens(rule) {
            match lookup(token) {
                Some((name, x)) => {
                    sym.push_str(&name);
                    let s = fixed4(x);
                    if x < 0.0 && !single {
                        nums.push_str(&format!("({s})"));
                    } else {
                        nums.push_str(&s);
                    }
                }
                None => {
                    sym.push_str(token);
                    nums.push_str(token);
                }
            }
        }
        if !single || rule.starts_with('-') {
            (format!("({sym})"), format!("({nums})"))
        } else {
            (sym, nums)
        }
    }
}

/// Splits a rule into identifier tokens and everything between them.
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = s.as_bytes();
    let is_ident = |b: u8| b == b'_' || b.is_ascii_alphanumeric();
    let mut i = 0;
    while i < bytes.len() {
        let ident = is_ident(bytes[i]) && !bytes[i].is_ascii_digit();
        if ident {
            if start < i {
                out.push(&s[start..i]);
            }
            let begin = i;
            while i < bytes.len() && is_ident(bytes[i]) {
                i += 1;
            }
            out.push(&s[begin..i]);
            start = i;
        } else {
            i += 1;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// A node's display formula from its operands' names (`x1*w1`, `tanh(n)`, `2*x`).
fn formula(op: Op, constant: Option<f64>, inputs: &[usize], nodes: &[GNode]) -> String {
    let name = |j: usize, parent: u8, right: bool| -> String {
        let n = &nodes[inputs[j]];
        let p = if n.label.is_some() {
            5
        } else {
            precedence(n.op)
        };
        if p < parent || (right && p == parent && parent != 5) {
            format!("({})", n.name)
        } else {
            n.name.clone()
        }
    };
    let p = precedence(op);
    let c = constant.map(short).unwrap_or_default();
    let sym = op.symbol();
    match op.arity() {
        Arity::Binary => format!("{}{sym}{}", name(0, p, false), name(1, p, true)),
        Arity::WithConst => match op {
            Op::ConstSub | Op::ConstDiv | Op::ConstPow => format!("{c}{sym}{}", name(0, p, true)),
            _ => format!("{}{sym}{c}", name(0, p, false)),
        },
        Arity::Unary if op == Op::Neg => format!("-{}", name(0, p, false)),
        Arity::Unary => format!("{sym}({})", name(0, 0, false)),
        _ => format!("{sym}(...)"),
    }
}

fn formula_with(op: Op, constant: Option<f64>, inputs: &[usize], g: &Graph) -> String {
    formula(op, constant, inputs, &g.nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_names_in_order() {
        let p = lang::parse("n = x1*w1 + x2*w2 + b; o = tanh(n); o * k").unwrap();
        assert_eq!(free_names(&p), ["x1", "w1", "x2", "w2", "b", "k"]);
        let p = lang::parse("a = 1; a + a + z").unwrap();
        assert_eq!(free_names(&p), ["z"]);
    }

    #[test]
    fn tokens_split_identifiers() {
        assert_eq!(tokens("1 - out**2"), ["1 - ", "out", "**2"]);
        assert_eq!(
            tokens("b * a**(b - 1)"),
            ["b", " * ", "a", "**(", "b", " - 1)"]
        );
        assert_eq!(tokens("x_i"), ["x_i"]);
    }
}
