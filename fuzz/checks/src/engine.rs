//! The structured engine target: the input bytes are a program of engine calls (leaves,
//! every operation, n-ary nodes, layers with and without weight spans, `set_data`,
//! `set_grad`, `backward`, scopes, marks and truncations to stale marks, recordings with
//! `forward` and `replay`, uses of released handles), run on the real tape and on the
//! [reference graph](mod@crate::reference) side by side. Every node's id, operation, operands,
//! value and gradient must agree, bit for bit, and a released handle must panic.

use micrograd::engine::{Mark, Op, Recording};
use micrograd::nn::{Activation, Layer, Neuron};
use micrograd::{Tape, Value};

use crate::Bytes;
use crate::reference::{Graph, Kind, same};

/// Interesting numbers for leaves and constants.
const NUMBERS: [f64; 30] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    2.0,
    -2.0,
    3.0,
    -3.0,
    0.1,
    1e-8,
    -1e-8,
    10.0,
    1e10,
    -1e10,
    1e300,
    -1e300,
    700.0,
    -700.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    f64::MIN_POSITIVE,
    5e-324,
    std::f64::consts::PI,
    std::f64::consts::E,
    0.25,
    -0.75,
    1.5,
];

/// Most calls a program makes (bounds the time of one input).
const MAX_CALLS: usize = 300;
/// Most nodes a program makes.
const MAX_NODES: usize = 3000;

/// A position to truncate back to: a scope guard or a plain mark, and the reference's view
/// of it (the node count when taken, and the lowest truncation since).
struct Guard {
    kind: GuardKind,
    nodes: usize,
    floor: usize,
}

enum GuardKind {
    Scope(Option<micrograd::engine::Scope>),
    Mark(Mark),
}

/// A recording and the reference's view of it.
struct Rec {
    rec: Recording,
    lo: usize,
    hi: usize,
    root: usize,
    /// The serial numbers of the root and of the last recorded node, to know whether they
    /// are still live.
    root_serial: u64,
    last_serial: Option<u64>,
    only_leaves: bool,
}

/// A layer and the serial numbers of its parameters.
struct LayerRef {
    layer: Layer,
    /// Per neuron: weights, bias, activation.
    params: Vec<(Vec<usize>, usize, Activation)>,
    serials: Vec<u64>,
    nin: usize,
}

/// The program's state: the tape's handles and the reference, index for index.
struct State {
    g: Graph,
    h: Vec<Value>,
    /// Each node's serial number (unique over the program), to tell a live node from a
    /// later one at the same index.
    serial: Vec<u64>,
    next_serial: u64,
    guards: Vec<Guard>,
    recs: Vec<Rec>,
    layers: Vec<LayerRef>,
    released: Vec<Value>,
}

impl State {
    fn live(&self, i: usize, serial: u64) -> bool {
        i < self.serial.len() && self.serial[i] == serial
    }

    /// Checks that the engine made exactly the node the reference just added, and records
    /// its handle.
    fn made(&mut self, v: Value) {
        assert_eq!(
            Tape::len(),
            self.g.len(),
            "the tape and the reference differ in length"
        );
        assert_eq!(v.id(), self.g.len() - 1, "the new node's id");
        self.h.push(v);
        self.serial.push(self.next_serial);
        self.next_serial += 1;
    }

    /// A node index chosen by the input (recent nodes more often); makes a leaf if none.
    fn pick(&mut self, b: &mut Bytes) -> usize {
        if self.g.is_empty() {
            self.leaf(1.0);
        }
        let n = self.g.len();
        let k = b.u8() as usize;
        if k < 128 {
            n - 1 - (k % n.min(16))
        } else {
            (k * 7 + b.u8() as usize * 131) % n
        }
    }

    fn leaf(&mut self, x: f64) -> usize {
        let v = Value::new(x);
        self.g.push(Kind::Leaf, x);
        self.made(v);
        self.g.len() - 1
    }

    fn node(&mut self, kind: Kind, make: impl FnOnce(&[Value]) -> Value) -> usize {
        let v = make(&self.h);
        self.g.push(kind, 0.0);
        self.made(v);
        self.g.len() - 1
    }

    /// Releases the nodes from `m` on (a truncation the engine just did), in the reference.
    fn truncated(&mut self, m: usize) {
        if m >= self.g.len() {
            return;
        }
        for g in &mut self.guards {
            g.floor = g.floor.min(m);
        }
        if self.released.len() < 8 {
            self.released.push(self.h[m]);
            self.released.push(self.h[self.h.len() - 1]);
        }
        self.g.truncate(m);
        self.h.truncate(m);
        self.serial.truncate(m);
    }
}

/// A number chosen by the input: one of [`NUMBERS`] or a small multiple of 1/4.
pub(crate) fn number_of(b: &mut Bytes) -> f64 {
    let k = b.u8() as usize;
    if k < 224 {
        NUMBERS[k % NUMBERS.len()]
    } else {
        (b.u8() as i8) as f64 * 0.25
    }
}

fn activation(b: &mut Bytes) -> Activation {
    Activation::ALL[b.u8() as usize % Activation::ALL.len()]
}

/// The unary operations: the functions of the table and negation.
fn unary_ops() -> Vec<Op> {
    std::iter::once(Op::Neg).chain(Op::functions()).collect()
}

/// Runs the program in `data` on the engine and the reference; panics where they differ.
pub fn check(data: &[u8]) {
    let _scope = Tape::scope();
    let start = Tape::len();
    assert_eq!(start, 0, "the engine check starts on an empty tape");
    let mut b = Bytes::new(data);
    let mut s = State {
        g: Graph::default(),
        h: Vec::new(),
        serial: Vec::new(),
        next_serial: 0,
        guards: Vec::new(),
        recs: Vec::new(),
        layers: Vec::new(),
        released: Vec::new(),
    };
    let unary = unary_ops();
    let mut calls = 0;
    while !b.is_empty() && calls < MAX_CALLS && s.g.len() < MAX_NODES {
        calls += 1;
        let op = b.u8() % 24;
        match op {
            0..=8 => make_node(&mut s, &mut b, &unary, op),
            9 => {
                // set_data on a leaf
                let i = s.pick(&mut b);
                if s.g.is_leaf(i) {
                    let x = number_of(&mut b);
                    s.h[i].set_data(x);
                    s.g.nodes[i].val = x;
                }
            }
            10 => {
                let i = s.pick(&mut b);
                let x = number_of(&mut b);
                s.h[i].set_grad(x);
                s.g.set_grad(i, x);
            }
            11 | 12 => {
                let i = s.pick(&mut b);
                s.h[i].backward();
                s.g.backward(i);
                compare_all(&s);
            }
            13 => {
                let nodes = s.g.len();
                let kind = if b.u8().is_multiple_of(2) {
                    GuardKind::Scope(Some(Tape::scope()))
                } else {
                    GuardKind::Mark(Tape::mark())
                };
                s.guards.push(Guard {
                    kind,
                    nodes,
                    floor: nodes,
                });
            }
            14 | 15 => {
                // Truncate to a guard: the last one usually, any one sometimes (a stale
                // mark after a lower truncation stands for that truncation's point).
                if s.guards.is_empty() {
                    continue;
                }
                let k = if op == 14 {
                    s.guards.len() - 1
                } else {
                    b.u8() as usize % s.guards.len()
                };
                let to = s.guards[k].nodes.min(s.guards[k].floor);
                let remove = !b.u8().is_multiple_of(4);
                match &mut s.guards[k].kind {
                    GuardKind::Scope(scope) => {
                        if remove {
                            drop(scope.take());
                        } else {
                            Tape::truncate(scope.as_ref().expect("scope").mark());
                        }
                    }
                    GuardKind::Mark(m) => Tape::truncate(*m),
                }
                s.truncated(to);
                if remove {
                    s.guards.remove(k);
                }
                assert_eq!(
                    Tape::len(),
                    s.g.len(),
                    "the tape's length after a truncation"
                );
            }
            16 => record(&mut s, &mut b, &unary),
            17 | 18 => {
                if s.recs.is_empty() {
                    continue;
                }
                let k = b.u8() as usize % s.recs.len();
                let r = &s.recs[k];
                let live = s.live(r.root, r.root_serial)
                    && r.last_serial.is_none_or(|ls| s.live(r.hi - 1, ls));
                if !live {
                    s.recs.remove(k);
                    continue;
                }
                let (lo, hi, root, only) = (r.lo, r.hi, r.root, r.only_leaves);
                if op == 17 {
                    let y = r.rec.replay();
                    s.g.replay(lo, hi, root, only);
                    assert!(same(y, s.g.nodes[root].val), "replay's value");
                    compare_all(&s);
                } else {
                    let y = r.rec.forward();
                    s.g.recording_forward(lo, hi);
                    assert!(same(y, s.g.nodes[root].val), "forward's value");
                }
            }
            19 => {
                if let Some(v) = s.released.pop() {
                    assert!(uses_panic(v), "a released handle was read without a panic");
                }
            }
            20 => {
                let i = s.pick(&mut b);
                let node = s.h[i].node();
                let kind = &s.g.nodes[i].kind;
                assert_eq!(node.op, kind.op(), "node {i}'s operation");
                let ids: Vec<usize> = node.inputs.iter().map(|v| v.id()).collect();
                assert_eq!(ids, kind.inputs(), "node {i}'s operands");
                if let Kind::WithConst(_, _, c) = kind {
                    assert!(same(node.constant.expect("a constant"), *c));
                }
            }
            _ => compare_all(&s),
        }
    }
    compare_all(&s);
    drop(s.recs);
    // Scopes drop in any order; then the check's own scope releases everything.
}

/// Whether reading `v` panics (it must, once released). The panic hook is silenced around
/// it (the fuzzer's hook would abort the process).
fn uses_panic(v: Value) -> bool {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(|| v.data());
    std::panic::set_hook(hook);
    r.is_err()
}

/// Makes one node (or a layer's nodes) of kind `op` (0..=8).
fn make_node(s: &mut State, b: &mut Bytes, unary: &[Op], op: u8) {
    match op {
        0 => {
            let x = number_of(b);
            s.leaf(x);
        }
        1 => {
            let a = s.pick(b);
            let f = unary[b.u8() as usize % unary.len()];
            let by_method = b.u8().is_multiple_of(2);
            s.node(Kind::Unary(f, a), |h| {
                let x = h[a];
                if !by_method {
                    return x.apply(f);
                }
                match f {
                    Op::Neg => -x,
                    Op::Exp => x.exp(),
                    Op::Log => x.log(),
                    Op::Tanh => x.tanh(),
                    Op::Relu => x.relu(),
                    Op::Sigmoid => x.sigmoid(),
                    Op::Sin => x.sin(),
                    Op::Cos => x.cos(),
                    Op::Sqrt => x.sqrt(),
                    other => x.apply(other),
                }
            });
        }
        2 => {
            let (x, y) = (s.pick(b), s.pick(b));
            let ops = [Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Pow];
            let f = ops[b.u8() as usize % ops.len()];
            s.node(Kind::Binary(f, x, y), |h| {
                let (a, c) = (h[x], h[y]);
                match f {
                    Op::Add => a + c,
                    Op::Sub => a - c,
                    Op::Mul => a * c,
                    Op::Div => a / c,
                    _ => a.pow(c),
                }
            });
        }
        3 => {
            let x = s.pick(b);
            let c = number_of(b);
            let k = b.u8() % 10;
            // `c + x` and `c * x` are the engine's `x + c` and `x * c` (commutative).
            let f = [
                Op::AddConst,
                Op::SubConst,
                Op::MulConst,
                Op::DivConst,
                Op::ConstSub,
                Op::ConstDiv,
                Op::PowConst,
                Op::ConstPow,
                Op::AddConst,
                Op::MulConst,
            ][k as usize];
            s.node(Kind::WithConst(f, x, c), |h| {
                let a = h[x];
                match k {
                    0 => a + c,
                    1 => a - c,
                    2 => a * c,
                    3 => a / c,
                    4 => c - a,
                    5 => c / a,
                    6 => a.pow(c),
                    7 => Value::pow_base(c, a),
                    8 => c + a,
                    _ => c * a,
                }
            });
        }
        4 => {
            let n = b.u8() as usize % 7;
            let xs: Vec<usize> = (0..n).map(|_| s.pick(b)).collect();
            if xs.is_empty() {
                // An empty sum is a new leaf 0.
                let v = Value::sum(&[]);
                s.g.push(Kind::Leaf, 0.0);
                s.made(v);
                return;
            }
            s.node(Kind::Sum(xs.clone()), |h| {
                let v: Vec<Value> = xs.iter().map(|&i| h[i]).collect();
                Value::sum(&v)
            });
        }
        5 | 6 => {
            let n = 1 + b.u8() as usize % 6;
            let w: Vec<usize> = (0..n).map(|_| s.pick(b)).collect();
            let x: Vec<usize> = (0..n).map(|_| s.pick(b)).collect();
            let pairs: Vec<usize> = w.iter().zip(&x).flat_map(|(&a, &c)| [a, c]).collect();
            let hv = |h: &[Value], ix: &[usize]| ix.iter().map(|&i| h[i]).collect::<Vec<_>>();
            if op == 5 {
                s.node(Kind::Dot(pairs), |h| Value::dot(&hv(h, &w), &hv(h, &x)));
            } else {
                let bias = s.pick(b);
                s.node(Kind::Affine(bias, pairs), |h| {
                    Value::affine(&hv(h, &w), &hv(h, &x), h[bias])
                });
            }
        }
        7 => new_layer(s, b),
        _ => layer_forward(s, b),
    }
}

/// Builds a layer: its weights either new consecutive leaves (spans: the compact affine
/// form) or existing nodes; then runs it on inputs.
fn new_layer(s: &mut State, b: &mut Bytes) {
    let nin = b.u8() as usize % 5; // 0 inputs: affine nodes of the bias alone
    let nout = 1 + b.u8() as usize % 5;
    let spans = !b.u8().is_multiple_of(3);
    let mut params = Vec::new();
    let mut neurons = Vec::new();
    for _ in 0..nout {
        let act = activation(b);
        let w: Vec<usize> = if spans {
            (0..nin)
                .map(|_| {
                    let x = number_of(b);
                    s.leaf(x)
                })
                .collect()
        } else {
            (0..nin).map(|_| s.pick(b)).collect()
        };
        let bias = if b.u8().is_multiple_of(2) {
            s.pick(b)
        } else {
            s.leaf(0.0)
        };
        neurons.push(Neuron::from_values(
            w.iter().map(|&i| s.h[i]).collect(),
            s.h[bias],
            act,
        ));
        params.push((w, bias, act));
    }
    let mut serials = Vec::new();
    for (w, bias, _) in &params {
        serials.extend(w.iter().map(|&i| s.serial[i]));
        serials.push(s.serial[*bias]);
    }
    s.layers.push(LayerRef {
        layer: Layer::from_neurons(neurons),
        params,
        serials,
        nin,
    });
    let k = s.layers.len() - 1;
    run_layer(s, b, k);
}

/// Runs a layer made earlier, if its parameters are still live.
fn layer_forward(s: &mut State, b: &mut Bytes) {
    if s.layers.is_empty() {
        return;
    }
    let k = b.u8() as usize % s.layers.len();
    let l = &s.layers[k];
    let idx: Vec<usize> = l
        .params
        .iter()
        .flat_map(|(w, bias, _)| w.iter().copied().chain([*bias]))
        .collect();
    let live = idx.iter().zip(&l.serials).all(|(&i, &ser)| s.live(i, ser));
    if !live {
        s.layers.remove(k);
        return;
    }
    run_layer(s, b, k);
}

/// `layers[k].forward(x)` on inputs chosen by the input, in the engine and the reference.
fn run_layer(s: &mut State, b: &mut Bytes, k: usize) {
    let nin = s.layers[k].nin;
    let x: Vec<usize> = (0..nin).map(|_| s.pick(b)).collect();
    let xv: Vec<Value> = x.iter().map(|&i| s.h[i]).collect();
    let out = s.layers[k].layer.forward(&xv);
    let params = s.layers[k].params.clone();
    let mut outs = Vec::new();
    for (w, bias, act) in &params {
        let pairs: Vec<usize> = w.iter().zip(&x).flat_map(|(&a, &c)| [a, c]).collect();
        let a = s.g.push(Kind::Affine(*bias, pairs), 0.0);
        let o = match act {
            Activation::Relu => s.g.push(Kind::Unary(Op::Relu, a), 0.0),
            Activation::Tanh => s.g.push(Kind::Unary(Op::Tanh, a), 0.0),
            Activation::Sigmoid => s.g.push(Kind::Unary(Op::Sigmoid, a), 0.0),
            _ => a,
        };
        outs.push(o);
    }
    assert_eq!(Tape::len(), s.g.len(), "the layer's nodes");
    let ids: Vec<usize> = out.iter().map(|v| v.id()).collect();
    assert_eq!(ids, outs, "the layer's outputs");
    // Handles for every node made: the outputs, and their operands (the affine nodes).
    while s.h.len() < s.g.len() {
        let i = s.h.len();
        let handle = out
            .iter()
            .find_map(|&o| {
                if o.id() == i {
                    Some(o)
                } else {
                    o.node().inputs.into_iter().find(|v| v.id() == i)
                }
            })
            .expect("a layer's node is an output or an output's operand");
        s.h.push(handle);
        s.serial.push(s.next_serial);
        s.next_serial += 1;
    }
}

/// Records the next few calls (node makers only) and keeps the recording.
fn record(s: &mut State, b: &mut Bytes, unary: &[Op]) {
    let n = b.u8() as usize % 12;
    let fallback = s.pick(b); // the output if the recording makes no node
    let lo = s.g.len();
    let mut calls = Vec::new();
    for _ in 0..n {
        calls.push(b.u8() % 9);
    }
    // The closure runs the calls on the engine (and the reference, through `s`).
    let cell = std::cell::RefCell::new((s, b));
    let rec = Recording::record(|| {
        let (s, b) = &mut *cell.borrow_mut();
        for &op in &calls {
            if s.g.len() >= MAX_NODES {
                break;
            }
            make_node(s, b, unary, op);
        }
        let root = if s.g.len() > lo {
            s.g.len() - 1
        } else {
            fallback
        };
        s.h[root]
    });
    let (s, _) = cell.into_inner();
    let hi = s.g.len();
    let root = rec.output().id();
    assert!(root < hi);
    let only_leaves = s.g.reads_only_leaves_below(lo, hi);
    assert_eq!(rec.len(), hi - lo, "the recording's length");
    s.recs.push(Rec {
        rec,
        lo,
        hi,
        root,
        root_serial: s.serial[root],
        last_serial: (hi > lo).then(|| s.serial[hi - 1]),
        only_leaves,
    });
}

/// Compares every node's value and gradient with the reference.
fn compare_all(s: &State) {
    for (i, (v, r)) in s.h.iter().zip(&s.g.nodes).enumerate() {
        let (d, g) = (v.data(), v.grad());
        assert!(
            same(d, r.val),
            "node {i} ({:?}): value {d:?}, the reference has {:?}",
            r.kind,
            r.val
        );
        assert!(
            same(g, r.grad),
            "node {i} ({:?}): grad {g:?}, the reference has {:?}",
            r.kind,
            r.grad
        );
    }
}
