//! The graph layout: labels, expanded neurons, crossings on the lecture's MLP graph, and
//! bounded work on the graphs that took minutes with the previous layout (issue #12, F4).

use micrograd::nn::{Activation, LayerSpec, MLP, MlpSpec, Module, Neuron};
use micrograd::viz::{self, GraphLayout, GraphOptions, NodeKind};
use micrograd::{Tape, Value};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// The lecture's `MLP(3, [4, 4, 1])` (tanh everywhere) and its loss over the four examples
/// after `backward()`: 134 values, 81 operations.
fn lecture_loss(label: bool) -> (MLP, Value) {
    let tanh = |nout| LayerSpec {
        nout,
        activation: Activation::Tanh,
    };
    let spec = MlpSpec {
        nin: 3,
        layers: vec![tanh(4), tanh(4), tanh(1)],
    };
    let n = MLP::init(&spec, MLP::DEFAULT_SEED);
    if label {
        n.label_parameters();
    }
    let xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ];
    let ys = [1.0, -1.0, -1.0, 1.0];
    let ypred: Vec<Value> = xs.iter().map(|x| n.forward(&Value::leaves(x))[0]).collect();
    let loss: Value = ypred.iter().zip(ys).map(|(&y, t)| (y - t).pow(2.0)).sum();
    loss.backward();
    (n, loss)
}

/// Every box inside the picture, no two overlapping; one edge per distinct operand and
/// result, each starting at its source's box and ending at its target's.
fn assert_well_formed(l: &GraphLayout) {
    assert_eq!(l.boxes.len(), l.model.values.len() + l.model.ops.len());
    for (i, p) in l.boxes.iter().enumerate() {
        assert!(p.x >= 0.0 && p.y >= 0.0, "{p:?} outside the picture");
        assert!(
            p.x + p.w <= l.size.0 && p.y + p.h <= l.size.1,
            "{p:?} outside"
        );
        for q in &l.boxes[i + 1..] {
            assert!(!p.overlaps(q), "{p:?} overlaps {q:?}");
        }
    }
    let distinct: usize = l
        .model
        .ops
        .iter()
        .map(|o| {
            let mut ins = o.inputs.clone();
            ins.sort_unstable();
            ins.dedup();
            ins.len() + 1
        })
        .sum();
    assert_eq!(l.edges.len(), distinct);
    let index = |k: NodeKind| match k {
        NodeKind::Value(i) => i,
        NodeKind::Op(k) => l.model.values.len() + k,
    };
    for e in &l.edges {
        let (a, b) = (&l.boxes[index(e.from)], &l.boxes[index(e.to)]);
        let (s, t) = (e.points[0], *e.points.last().unwrap());
        assert!((s.0 - (a.x + a.w)).abs() < 0.01 && s.1 >= a.y && s.1 <= a.y + a.h);
        assert!(t.0 >= b.x - 0.01 && t.0 <= b.x + b.w / 2.0 && t.1 >= b.y && t.1 <= b.y + b.h);
        // left to right
        assert!(
            e.points.windows(2).all(|w| w[0].0 <= w[1].0 + 1e-9),
            "{e:?}"
        );
    }
}

/// The drawn edges as polylines: each step between two points is the cubic of
/// [`viz::GraphEdge::svg_path`] (control points half way across), sampled at 16 points.
fn polylines(l: &GraphLayout) -> Vec<Vec<(f64, f64)>> {
    l.edges
        .iter()
        .map(|e| {
            let mut out = vec![e.points[0]];
            for w in e.points.windows(2) {
                let ((ax, ay), (bx, by)) = (w[0], w[1]);
                let mx = (ax + bx) / 2.0;
                for k in 1..=16 {
                    let t = k as f64 / 16.0;
                    let u = 1.0 - t;
                    let x = u * u * u * ax
                        + 3.0 * u * u * t * mx
                        + 3.0 * u * t * t * mx
                        + t * t * t * bx;
                    let y = u * u * u * ay
                        + 3.0 * u * u * t * ay
                        + 3.0 * u * t * t * by
                        + t * t * t * by;
                    out.push((x, y));
                }
            }
            out
        })
        .collect()
}

/// Crossings in the picture: proper intersections between the drawn curves of two edges
/// that share no end (edges out of one value, or into one operation, may meet there). The
/// same count, by a script over the SVG's paths, gave 11,061 for the previous layout
/// (layout-rs 0.1.3) on the lecture's loss graph.
fn drawn_crossings(l: &GraphLayout) -> usize {
    fn orient(a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> f64 {
        (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)
    }
    let lines = polylines(l);
    // segments (left x, right x, edge, ends) sorted by left end, swept with an active list
    type Segment = (f64, f64, usize, (f64, f64), (f64, f64));
    let mut segs: Vec<Segment> = Vec::new();
    for (k, pts) in lines.iter().enumerate() {
        for w in pts.windows(2) {
            segs.push((w[0].0.min(w[1].0), w[0].0.max(w[1].0), k, w[0], w[1]));
        }
    }
    segs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let ends: Vec<(NodeKind, NodeKind)> = l.edges.iter().map(|e| (e.from, e.to)).collect();
    let mut active: Vec<usize> = Vec::new();
    let mut count = 0;
    for (i, s) in segs.iter().enumerate() {
        active.retain(|&j| segs[j].1 >= s.0);
        for &j in &active {
            let t = &segs[j];
            let (ea, eb) = (ends[s.2], ends[t.2]);
            if s.2 == t.2 || ea.0 == eb.0 || ea.1 == eb.1 || ea.0 == eb.1 || ea.1 == eb.0 {
                continue;
            }
            let (d1, d2) = (orient(t.3, t.4, s.3), orient(t.3, t.4, s.4));
            let (d3, d4) = (orient(s.3, s.4, t.3), orient(s.3, s.4, t.4));
            if d1 * d2 < 0.0 && d3 * d4 < 0.0 {
                count += 1;
            }
        }
        active.push(i);
    }
    count
}

/// The work bound documented on [`viz::LayoutStats::work`].
fn assert_bounded_work(l: &GraphLayout) {
    let s = &l.stats;
    let nodes = l.boxes.len() + s.virtual_nodes;
    let bound = 8 * (nodes + s.segments) * (viz::MAX_ORDER_SWEEPS + viz::COORD_PASSES + 2);
    assert!(s.sweeps <= viz::MAX_ORDER_SWEEPS, "{s:?}");
    assert!(s.work <= bound, "{s:?}: work above {bound}");
    assert!(s.crossings <= s.initial_crossings, "{s:?}");
}

#[test]
fn mlp_parameters_are_labelled_by_place() {
    let (n, loss) = lecture_loss(true);
    let p = n.parameters();
    // 4 neurons of 3 weights and a bias, then 4 of 4, then 1 of 4: 41 parameters
    let labels: Vec<String> = p.iter().map(|v| v.label().unwrap()).collect();
    assert_eq!(
        &labels[..5],
        ["L1.N1.w0", "L1.N1.w1", "L1.N1.w2", "L1.N1.b", "L1.N2.w0"]
    );
    assert_eq!(labels[15], "L1.N4.b");
    assert_eq!(labels[16], "L2.N1.w0");
    assert_eq!(labels[40], "L3.N1.b");
    let dot = viz::to_dot(loss);
    for (v, label) in p.iter().zip(&labels) {
        let want = format!(
            "{{ {label} | data {:.4} | grad {:.4} }}",
            v.data(),
            v.grad()
        );
        let want = want.replace("data -0.0000", "data 0.0000");
        assert!(dot.contains(&want), "no record {want}");
    }
    let l = viz::graph_layout(loss).unwrap();
    for label in &labels {
        assert!(
            l.svg.contains(&format!(">{label}</text>")),
            "{label} not drawn"
        );
    }
    // An affine node says what it computes, and its tooltip says more.
    assert_eq!(l.svg.matches(">w·x + b</text>").count(), 9 * 4);
    assert!(l.svg.contains(
        "<title>affine: w0*x0 + w1*x1 + w2*x2 + b, a neuron&apos;s weighted sum of its 3 \
         inputs plus its bias</title>"
    ));
    assert!(l.svg.contains("w0*x0 + w1*x1 + ... + w3*x3 + b"));
    // Labels set twice are the same labels.
    n.label_parameters();
    assert_eq!(p[16].label().as_deref(), Some("L2.N1.w0"));
}

/// The lecture's neuron, built by hand as in the lecture (`x1*w1 + x2*w2 + b`, then tanh)
/// and as a `Neuron` drawn expanded: the expanded picture has the same numbers in the same
/// places.
#[test]
fn expanded_neuron_matches_the_lecture_built_by_hand() {
    let _s = Tape::scope();
    let (x1, x2) = (Value::new(2.0), Value::new(0.0));
    let (w1, w2) = (Value::new(-3.0), Value::new(1.0));
    let b = Value::new(6.881_373_587_019_543);
    let x1w1 = x1 * w1;
    let x2w2 = x2 * w2;
    let n = x1w1 + x2w2 + b;
    let o = n.tanh();
    o.backward();
    // (backward on the second graph clears the tape's interior gradients: keep these)
    let seen = |v: Value| (v.data(), v.grad());
    let hand = (seen(x1w1), seen(x2w2), seen(n), seen(o));
    let hand_leaves = [w1.grad(), w2.grad(), x1.grad(), x2.grad()];

    let w = [
        Value::new(-3.0).with_label("w1"),
        Value::new(1.0).with_label("w2"),
    ];
    let x = [
        Value::new(2.0).with_label("x1"),
        Value::new(0.0).with_label("x2"),
    ];
    let neuron = Neuron::from_values(w.to_vec(), Value::new(b.data()), Activation::Tanh);
    let out = neuron.forward(&x);
    out.backward();
    let plain = viz::graph_layout(out).unwrap();
    assert_eq!(
        plain
            .model
            .ops
            .iter()
            .map(|o| o.text.as_str())
            .collect::<Vec<_>>(),
        ["w·x + b", "tanh"]
    );
    let opts = GraphOptions::default().expanded(true);
    let l = viz::graph_layout_with(out, &opts).unwrap();
    assert_well_formed(&l);
    let m = &l.model;
    let texts: Vec<&str> = m.ops.iter().map(|o| o.text.as_str()).collect();
    assert_eq!(texts, ["*", "*", "+", "tanh"]);
    // Two products, named as the lecture names them, with the hand-built products' numbers.
    let products: Vec<_> = m.values.iter().filter(|v| v.term.is_some()).collect();
    assert_eq!(products.len(), 2);
    assert_eq!(products[0].label.as_deref(), Some("w1*x1"));
    assert_eq!(products[1].label.as_deref(), Some("w2*x2"));
    for (p, (data, grad)) in products.iter().zip([hand.0, hand.1]) {
        assert_eq!((p.data, p.grad), (data, grad));
    }
    // The `+` adds the products and the bias, into the pre-activation n.
    let plus = &m.ops[2];
    assert_eq!(plus.inputs.len(), 3);
    let sum = &m.values[plus.result];
    assert!((sum.data - hand.2.0).abs() < 1e-15 && (sum.grad - hand.2.1).abs() < 1e-12);
    assert_eq!(m.values[m.values.len() - 1].data, hand.3.0);
    // The leaves' gradients are the hand-built ones.
    for (v, g) in w.iter().chain(&x).zip(hand_leaves) {
        assert!((v.grad() - g).abs() < 1e-12, "{} {g}", v.grad());
    }
    // DOT names the products apart from their sum.
    let dot = viz::to_dot_with(out, &opts);
    let id = out.node().inputs[0].id();
    assert!(dot.contains(&format!(
        "v{id}_0 [shape=record, label=\"{{ w1*x1 | data -6.0000"
    )));
    assert!(dot.contains(&format!("op{id}_1 -> v{id}_1;")));
    assert!(dot.contains(&format!("v{id}_1 -> op{id};")));
    assert_eq!(dot.matches(" -> ").count(), m.edge_count());
    // The picture shows it.
    assert!(l.svg.contains(">w1*x1</text>") && l.svg.contains(">data -6.0000</text>"));
    assert_eq!(l.svg.matches("<ellipse").count(), 4);
}

#[test]
fn expanded_mlp_graph_has_a_product_per_weight() {
    let (_, loss) = lecture_loss(true);
    let plain = viz::graph_layout(loss).unwrap();
    let l = viz::graph_layout_with(loss, &GraphOptions::default().expanded(true)).unwrap();
    assert_well_formed(&l);
    assert_bounded_work(&l);
    // 4 examples x (4 neurons x 3 + 4 x 4 + 1 x 4) weights = 128 products, each with its
    // `*` node; each of the 36 affine nodes becomes a `+`.
    assert_eq!(l.model.values.len(), plain.model.values.len() + 128);
    assert_eq!(l.model.ops.len(), plain.model.ops.len() + 128);
    assert_eq!(l.model.ops.iter().filter(|o| o.text == "*").count(), 128);
    assert!(!l.svg.contains("w·x + b"));
}

/// The lecture's loss graph (134 values) drawn layer by layer: few crossings, and each
/// layer's neurons in one column.
#[test]
fn lecture_mlp_graph_is_not_a_tangle() {
    let (_, loss) = lecture_loss(true);
    let l = viz::graph_layout(loss).unwrap();
    assert_eq!(l.model.values.len(), 134);
    assert_eq!(l.model.ops.len(), 81);
    assert_well_formed(&l);
    assert_bounded_work(&l);
    // Crossings between segments of adjacent columns: 3,884 (4,749 before the sweeps).
    assert!(l.stats.crossings <= 3_900, "{:?}", l.stats);
    // Crossings of the drawn curves: 4,057, against 11,061 for the previous layout.
    let drawn = drawn_crossings(&l);
    println!("{:?}, {drawn} crossings drawn", l.stats);
    assert!(drawn <= 4_300, "{drawn} crossings drawn");
    // Every affine node of one layer stands in one column, the layers left to right.
    let mut layer_x: Vec<Vec<f64>> = vec![Vec::new(); 3];
    let mut depth = vec![0usize; l.model.values.len()];
    for (k, o) in l.model.ops.iter().enumerate() {
        let d = o.inputs.iter().map(|&i| depth[i]).max().unwrap_or(0);
        depth[o.result] = d + usize::from(o.text == "w·x + b");
        if o.text == "w·x + b" {
            let b = l.boxes.iter().find(|b| b.kind == NodeKind::Op(k)).unwrap();
            layer_x[d].push(b.x + b.w / 2.0);
        }
    }
    for (layer, xs) in layer_x.iter().enumerate() {
        assert_eq!(xs.len(), 4 * [4, 4, 1][layer]);
        assert!(
            xs.iter().all(|&x| (x - xs[0]).abs() < 0.01),
            "layer {layer}: {xs:?}"
        );
    }
    assert!(layer_x[0][0] < layer_x[1][0] && layer_x[1][0] < layer_x[2][0]);
    // Each parameter stands in the column just before the neurons that use it.
    for b in &l.boxes {
        let NodeKind::Value(i) = b.kind else { continue };
        let Some(label) = &l.model.values[i].label else {
            continue;
        };
        let layer: usize = label[1..2].parse().unwrap();
        let next = layer_x[layer - 1][0];
        assert!(b.x + b.w < next, "{label} right of its layer");
        let boxes_between = l
            .boxes
            .iter()
            .filter(|c| c.x > b.x + b.w && c.x + c.w < next)
            .count();
        assert_eq!(boxes_between, 0, "{label} is not next to its layer");
    }
}

/// One program of issue #12's kind: each step an operation (`+`, `*`, `-`) of one of the
/// four latest values and any earlier one; leaves `x0..x7`.
fn random_program(steps: usize, seed: u64) -> Value {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut vals: Vec<Value> = (0..8).map(|i| Value::new(0.1 * (i + 1) as f64)).collect();
    for _ in 0..steps {
        let n = vals.len();
        let a = vals[n - 1 - (rng.next_u32() as usize % 4)];
        let b = vals[rng.next_u32() as usize % n];
        vals.push(match rng.next_u32() % 5 {
            0 | 3 => a + b,
            1 | 4 => a * b,
            _ => a - b,
        });
    }
    let root = *vals.last().unwrap();
    root.backward();
    root
}

/// F4: graphs that took 9.6 s to minutes with the previous layout are laid out with bounded
/// work (counted, not timed; a slow layout would make this test visibly hang).
#[test]
fn f4_graphs_are_laid_out_with_bounded_work() {
    let _s = Tape::scope();
    // A straight chain of 999 operations (1000 values: the largest graph drawn).
    let mut y = Value::new(1.0);
    for _ in 0..999 {
        y *= 1.001;
    }
    y.backward();
    let l = viz::graph_layout(y).unwrap();
    assert_eq!(l.model.values.len(), 1000);
    assert_eq!((l.stats.virtual_nodes, l.stats.crossings), (0, 0));
    assert_bounded_work(&l);

    // Programs of about 223 values and 611 edges (issue #12: 35 s; this generator's 310-step
    // program, 222 values and 638 edges, ran past 300 s with layout-rs).
    let mut sizes = Vec::new();
    for seed in 0..6 {
        let root = random_program(310, seed);
        let l = viz::graph_layout(root).unwrap();
        assert_well_formed(&l);
        assert_bounded_work(&l);
        sizes.push((l.model.values.len(), l.model.edge_count()));
    }
    assert!(
        sizes.iter().all(|&(v, e)| v >= 200 && e >= 550),
        "{sizes:?}"
    );
}

/// F4: 93 random graphs of all shapes (17 of 93 ran past 30 s before).
#[test]
fn f4_random_graphs_are_laid_out_with_bounded_work() {
    let _s = Tape::scope();
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    for case in 0..93 {
        let _c = Tape::scope();
        let leaves = 1 + rng.next_u32() as usize % 12;
        let steps = rng.next_u32() as usize % 120;
        let mut vals: Vec<Value> = (0..leaves).map(|i| Value::new(i as f64 * 0.1)).collect();
        for _ in 0..steps {
            let n = vals.len();
            let mut pick = || vals[rng.next_u32() as usize % n];
            let (a, b, c) = (pick(), pick(), pick());
            let v = match rng.next_u32() % 7 {
                0 => a + b,
                1 => a * b,
                2 => a.tanh(),
                3 => 1.0 - a,
                4 => Value::sum(&[a, b, c]),
                5 => Value::affine(&[a, b], &[c, a], b),
                _ => a.relu() + b.exp().tanh(),
            };
            vals.push(v);
        }
        let root = *vals.last().unwrap();
        root.backward();
        let l = viz::graph_layout(root).unwrap_or_else(|e| panic!("case {case}: {e}"));
        assert_well_formed(&l);
        assert_bounded_work(&l);
        let x = viz::graph_layout_with(root, &GraphOptions::default().expanded(true)).unwrap();
        assert_well_formed(&x);
    }
}

#[test]
fn graph_png_is_the_svg_rasterized() {
    let _s = Tape::scope();
    let x = Value::new(2.0).with_label("x");
    let y = (x * -3.0 + 1.0).tanh().with_label("y");
    y.backward();
    let l = viz::graph_layout(y).unwrap();
    let bytes = l.png().unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(
        (info.width, info.height),
        ((l.size.0 * 2.0) as u32, (l.size.1 * 2.0) as u32)
    );
    // White paper, dark ink somewhere.
    assert_eq!(&buf[..3], &[255, 255, 255]);
    assert!(
        buf.chunks_exact(3)
            .any(|p| p[0] < 60 && p[1] < 60 && p[2] < 60)
    );
}
