//! `draw_dot`'s picture: the graph that micrograd's `trace(root)` finds (each value once,
//! each `_prev` edge once), with micrograd's `_op` names, laid out and drawn as SVG by the
//! crate's renderer (no Graphviz).

use std::collections::HashMap;

use micrograd::Value as Node;
use micrograd::viz::{self, GraphModel, OpNode, ValueRecord};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::state;
use crate::value::{PyValue, engine, op_of};

/// A value of the picture: its tape index and, for a Value made with explicit `_children`,
/// that object (its children and op come from it).
struct Item {
    node: Node,
    children: Vec<usize>,
    op: String,
}

/// `graph_svg(root)`: the SVG picture of `root`'s graph.
#[pyfunction]
pub(crate) fn graph_svg(py: Python<'_>, root: &Bound<'_, PyValue>) -> PyResult<String> {
    let model = model_of(py, root.get())?;
    engine(|| viz::layout_model(model))?
        .map(|layout| layout.svg)
        .map_err(|e| {
            PyValueError::new_err(format!(
                "micrograd.draw_dot: {}",
                e.message().replace(
                    "write it with --dot and render it with Graphviz instead",
                    "draw a smaller part of it"
                )
            ))
        })
}

/// The view of the graph through `_prev`: the children of a value made with explicit
/// `_children` are those; of any other value, its node's operands (each once).
fn children_of(py: Python<'_>, v: Node) -> PyResult<(Vec<Node>, Option<String>)> {
    let idx = micrograd::engine::bindings::into_raw(v) as u32 as usize;
    let addr = state::address_of(idx);
    if addr != 0 {
        let obj = state::value_at(py, addr);
        if let Some(children) = obj.extra_children() {
            let nodes = children
                .iter()
                .map(|c| c.get().node())
                .collect::<PyResult<Vec<_>>>()?;
            return Ok((nodes, obj.extra_op().map(str::to_string)));
        }
    }
    let inputs = engine(|| v.node().inputs)?;
    Ok((inputs, None))
}

/// Reads the graph of `root`: values in an order where children come before their parents
/// (the root last), as the renderer wants.
fn model_of(py: Python<'_>, root: &PyValue) -> PyResult<GraphModel> {
    let root = root.node()?;
    // The search keeps handles while it reads `_op` names (which may allocate): no
    // compaction meanwhile.
    let _hold = state::Hold::new();
    let key = |v: Node| micrograd::engine::bindings::into_raw(v) as u32;
    let mut index: HashMap<u32, usize> = HashMap::new();
    let mut items: Vec<Item> = Vec::new();
    // Iterative depth-first search; a value is placed after all of its children.
    let mut stack: Vec<(Node, Vec<Node>, usize, Option<String>)> = Vec::new();
    let mut on_stack = std::collections::HashSet::new();
    let (c, op) = children_of(py, root)?;
    stack.push((root, c, 0, op));
    on_stack.insert(key(root));
    while let Some(top) = stack.last_mut() {
        if top.2 < top.1.len() {
            let child = top.1[top.2];
            top.2 += 1;
            if index.contains_key(&key(child)) || on_stack.contains(&key(child)) {
                continue;
            }
            let (c, op) = children_of(py, child)?;
            on_stack.insert(key(child));
            stack.push((child, c, 0, op));
            continue;
        }
        let (v, children, _, op) = stack.pop().expect("the loop's top");
        let op = match op {
            Some(op) => op,
            None => op_of(py, v)?,
        };
        let mut child_items: Vec<usize> = children.iter().map(|c| index[&key(*c)]).collect();
        child_items.dedup();
        let mut seen = std::collections::HashSet::new();
        child_items.retain(|i| seen.insert(*i));
        index.insert(key(v), items.len());
        items.push(Item {
            node: v,
            children: child_items,
            op,
        });
    }
    let mut values = Vec::with_capacity(items.len());
    let mut ops = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let v = it.node;
        let (label, data, grad) = engine(|| (v.label(), v.data(), v.grad()))?;
        values.push(ValueRecord {
            id: key(v) as usize,
            label,
            data,
            grad,
            term: None,
        });
        if !it.op.is_empty() || !it.children.is_empty() {
            ops.push(OpNode {
                result: i,
                text: it.op.clone(),
                title: None,
                inputs: it.children.clone(),
            });
        }
    }
    Ok(GraphModel { values, ops })
}
