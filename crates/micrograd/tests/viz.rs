//! Pictures: graph DOT/SVG, decision boundary and loss curves.

use micrograd::Value;
use micrograd::viz::{self, Boundary, GraphModel, NodeKind};

/// micrograd's README example, written as there; returns (a, b, g) after `g.backward()`.
#[allow(clippy::misrefactored_assign_op)]
fn readme_example() -> (Value, Value, Value) {
    let a = Value::new(-4.0).with_label("a");
    let b = Value::new(2.0).with_label("b");
    let mut c = a + b;
    let mut d = a * b + b.pow(3.0);
    c += c + 1.0;
    c += 1.0 + c + (-a);
    d += d * 2.0 + (b + a).relu();
    d += 3.0 * d + (b - a).relu();
    let e = c - d;
    let f = e.pow(2.0);
    let mut g = f / 2.0;
    g += 10.0 / f;
    g.backward();
    (a, b, g)
}

/// The lecture's neuron, 10 values (5 leaves, 5 results).
fn neuron() -> Value {
    let x1 = Value::new(2.0).with_label("x1");
    let w1 = Value::new(-3.0).with_label("w1");
    let x2 = Value::new(0.0).with_label("x2");
    let w2 = Value::new(1.0).with_label("w2");
    let b = Value::new(6.881_373_587_019_543).with_label("b");
    let x1w1 = (x1 * w1).with_label("x1*w1");
    let x2w2 = (x2 * w2).with_label("x2*w2");
    let s = (x1w1 + x2w2).with_label("x1*w1 + x2*w2");
    let n = (s + b).with_label("n");
    let o = n.tanh().with_label("o");
    o.backward();
    o
}

/// Checks that every tag of `xml` is closed in order; returns the number of elements.
fn check_balanced(xml: &str) -> usize {
    let mut stack: Vec<String> = Vec::new();
    let mut count = 0;
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("unclosed `<`") + start;
        let tag = &rest[start + 1..end];
        assert!(!tag.contains('<'), "`<` inside a tag: {tag}");
        if tag.starts_with('?') || tag.starts_with('!') {
        } else if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().expect("closing tag without an opening one");
            assert_eq!(open, name.trim(), "mismatched closing tag");
        } else {
            count += 1;
            let name = tag.split_whitespace().next().unwrap().trim_end_matches('/');
            if !tag.ends_with('/') {
                stack.push(name.to_string());
            }
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
    count
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[test]
fn readme_example_numbers() {
    let (a, b, g) = readme_example();
    assert!((g.data() - 24.7041).abs() < 1e-4);
    assert!((a.grad() - 138.8338).abs() < 1e-4);
    assert!((b.grad() - 645.5773).abs() < 1e-4);
}

#[test]
fn dot_has_every_record_and_edge() {
    let (_, _, g) = readme_example();
    let model = GraphModel::of(g);
    assert_eq!(model.values.len(), 27);
    assert_eq!(model.ops.len(), 25);
    // 14 binary operations (3 edges each) and 11 unary/constant ones (2 edges each).
    assert_eq!(model.edge_count(), 14 * 3 + 11 * 2);
    let dot = viz::to_dot(g);
    assert!(dot.starts_with("digraph"));
    assert!(dot.contains("rankdir=LR"));
    assert_eq!(dot.matches("shape=record").count(), 27);
    assert_eq!(dot.matches("shape=ellipse").count(), 25);
    assert_eq!(dot.matches(" -> ").count(), 64);
    for v in g.ancestors() {
        let id = v.id();
        let data = format!("data {:.4}", v.data());
        let grad = format!("grad {:.4}", v.grad());
        let line = dot
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("v{id} [")))
            .unwrap_or_else(|| panic!("no record for value {id}"));
        assert!(line.contains(&data), "{line} lacks {data}");
        assert!(line.contains(&grad), "{line} lacks {grad}");
    }
    assert!(dot.contains("{ a | data -4.0000 | grad 138.8338 }"));
    assert!(dot.contains("{ b | data 2.0000 | grad 645.5773 }"));
    assert!(dot.contains("{ data 24.7041 | grad 1.0000 }"));
    // Constants folded into operations are shown in the operation node.
    for text in ["** 3", "* 2", "3 *", "/ 2", "10 /", "+ 1", "** 2"] {
        let want = format!("label=\"{text}\"");
        // `3.0 * d` is stored as `d * 3`.
        let want = if text == "3 *" {
            "label=\"* 3\"".to_string()
        } else {
            want
        };
        assert!(dot.contains(&want), "no op node {want}");
    }
    assert!(dot.contains("label=\"relu\""));
    assert!(dot.contains("label=\"neg\""));
}

#[test]
fn dot_is_accepted_by_a_dot_parser() {
    let (_, _, g) = readme_example();
    let dot = viz::to_dot(g);
    let mut parser = layout::gv::DotParser::new(&dot);
    assert!(parser.process().is_ok());
}

#[test]
fn nary_nodes_have_an_edge_from_every_operand() {
    let w = Value::leaves(&[1.0, 2.0, 3.0]);
    let x = Value::leaves(&[4.0, 5.0, 6.0]);
    let d = Value::dot(&w, &x);
    let s = Value::sum(&[d, w[0], x[2]]);
    s.backward();
    let dot = viz::to_dot(s);
    let (did, sid) = (d.id(), s.id());
    assert_eq!(dot.matches(&format!(" -> op{did};")).count(), 6);
    assert_eq!(dot.matches(&format!(" -> op{sid};")).count(), 3);
    // An n-ary node says what it computes, and its tooltip spells it out.
    assert!(dot.contains(&format!(
        "op{did} [shape=ellipse, label=\"w·x\", tooltip=\"dot: w0*x0 + w1*x1 + w2*x2\"]"
    )));
    assert!(dot.contains(&format!(
        "op{sid} [shape=ellipse, label=\"sum\", tooltip=\"sum of its 3 operands\"]"
    )));
    assert!(dot.contains("{ data 32.0000 | grad 1.0000 }"));
    assert_eq!(dot.matches(" -> ").count(), 6 + 1 + 3 + 1);
    // The SVG draws it too, without overlaps.
    let l = viz::graph_layout(s).unwrap();
    assert_no_overlap(&l);
}

fn assert_no_overlap(l: &viz::GraphLayout) {
    assert_eq!(l.boxes.len(), l.model.values.len() + l.model.ops.len());
    for (i, p) in l.boxes.iter().enumerate() {
        assert!(p.w > 0.0 && p.h > 0.0);
        assert!(p.x >= 0.0 && p.y >= 0.0, "{p:?} outside the picture");
        assert!(
            p.x + p.w <= l.size.0 && p.y + p.h <= l.size.1,
            "{p:?} outside the picture"
        );
        for q in &l.boxes[i + 1..] {
            assert!(!p.overlaps(q), "{p:?} overlaps {q:?}");
        }
    }
}

#[test]
fn readme_svg_is_well_formed_legible_and_complete() {
    let (_, _, g) = readme_example();
    let l = viz::graph_layout(g).unwrap();
    assert_no_overlap(&l);
    let svg = &l.svg;
    assert!(svg.starts_with("<svg"));
    assert!(svg.trim_end().ends_with("</svg>"));
    check_balanced(svg);
    for v in &l.model.values {
        for field in v.fields() {
            let t = format!(">{}</text>", xml_escape(&field));
            assert!(svg.contains(&t), "missing {t}");
        }
    }
    for o in &l.model.ops {
        assert!(svg.contains(&format!(">{}</text>", xml_escape(&o.text))));
    }
    // One arrow per distinct operand and one per result.
    let arrows = svg.matches("marker-end=\"url(#arrow)\"").count();
    assert_eq!(arrows, 64);
    // Records are wider than tall and at least as wide as their text.
    for b in &l.boxes {
        if let NodeKind::Value(i) = b.kind {
            let chars: usize = l.model.values[i].fields().iter().map(|f| f.len()).sum();
            assert!(b.w >= chars as f64 * 13.0 * 0.6, "{b:?} too narrow");
        }
    }
}

#[test]
fn neuron_svg_has_labels_and_no_overlap() {
    let o = neuron();
    let l = viz::graph_layout(o).unwrap();
    assert_eq!(l.model.values.len(), 10);
    assert_eq!(l.model.ops.len(), 5);
    assert_no_overlap(&l);
    check_balanced(&l.svg);
    for label in [
        "x1",
        "w1",
        "x2",
        "w2",
        "b",
        "x1*w1",
        "x2*w2",
        "x1*w1 + x2*w2",
        "n",
        "o",
    ] {
        assert!(
            l.svg.contains(&format!(">{label}</text>")),
            "missing {label}"
        );
    }
    assert!(l.svg.contains(">data 0.7071</text>"));
    assert!(l.svg.contains(">grad -1.5000</text>"));
    assert!(l.svg.contains(">tanh</text>"));
}

#[test]
fn odd_labels_are_escaped() {
    let x = Value::new(1.0).with_label("a<b> & {c|d} \"q\"");
    let y = x.exp();
    let dot = viz::to_dot(y);
    assert!(dot.contains(r#"a\<b\> & \{c\|d\} \"q\""#));
    let svg = viz::to_svg(y).unwrap();
    check_balanced(&svg);
    assert!(svg.contains("a&lt;b&gt; &amp; {c|d} &quot;q&quot;"));
}

#[test]
fn single_leaf_draws() {
    let x = Value::new(3.0);
    let l = viz::graph_layout(x).unwrap();
    assert_eq!(l.boxes.len(), 1);
    assert!(l.svg.contains(">data 3.0000</text>"));
}

#[test]
fn too_large_graph_is_an_error_not_a_hang() {
    let xs = Value::leaves(&vec![1.0; viz::MAX_SVG_VALUES]);
    let s = Value::sum(&xs);
    let err = viz::to_svg(s).unwrap_err();
    assert!(err.to_string().contains("--dot"), "{err}");
}

#[test]
fn write_dot_and_svg_to_files() {
    let dir = tempfile::tempdir().unwrap();
    let o = neuron();
    let dot = dir.path().join("g.dot");
    let svg = dir.path().join("g.svg");
    viz::write_dot(&dot, o).unwrap();
    viz::write_svg(&svg, o).unwrap();
    assert_eq!(std::fs::read_to_string(&dot).unwrap(), viz::to_dot(o));
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    let bad = dir.path().join("no/such/dir/g.svg");
    let err = viz::write_svg(&bad, o).unwrap_err();
    assert!(err.to_string().contains("no/such/dir/g.svg"), "{err}");
}

fn moons() -> (Vec<[f64; 2]>, Vec<usize>) {
    let mut pts = Vec::new();
    let mut labels = Vec::new();
    for i in 0..40 {
        let t = i as f64 / 39.0 * std::f64::consts::PI;
        pts.push([t.cos(), t.sin()]);
        labels.push(0);
        pts.push([1.0 - t.cos(), 0.5 - t.sin()]);
        labels.push(1);
    }
    (pts, labels)
}

#[test]
fn boundary_grid_covers_the_points() {
    let (pts, _) = moons();
    let b = Boundary::compute(&pts, 30, |_, y| usize::from(y < 0.25));
    assert_eq!((b.nx, b.ny), (30, 30));
    assert_eq!(b.classes.len(), 900);
    assert!(b.x_min < -1.0 && b.x_max > 2.0);
    assert!(b.y_min < -0.5 && b.y_max > 1.0);
    // Bottom row is class 1, top row class 0.
    assert!(b.classes[..30].iter().all(|&c| c == 1));
    assert!(b.classes[870..].iter().all(|&c| c == 0));
    let s = Boundary::compute_scored(&pts, 10, |x, _| x - 0.5);
    assert_eq!(s.scores.as_ref().unwrap().len(), 100);
    assert_eq!(s.classes[0], 0);
    assert_eq!(s.classes[9], 1);
    // No points: a default square.
    let e = Boundary::compute(&[], 0, |_, _| 0);
    assert_eq!((e.nx, e.ny, e.classes.len()), (2, 2, 4));
    assert!(e.x_min < e.x_max && e.y_min < e.y_max);
}

#[test]
fn boundary_svg_has_every_cell_and_point() {
    let (pts, labels) = moons();
    let b = Boundary::compute(&pts, 25, |x, y| usize::from(y < 0.25 - 0.3 * (x - 0.5)));
    let svg = viz::boundary_svg(&b, &pts, &labels, "moons <MLP>");
    assert!(svg.starts_with("<svg"));
    check_balanced(&svg);
    assert_eq!(svg.matches("class=\"cell\"").count(), 25 * 25);
    assert_eq!(svg.matches("<circle").count(), pts.len() + 2);
    assert!(svg.contains("moons &lt;MLP&gt;"));
    // Points take their class colour: vermillion for class 0, blue for class 1 (and one
    // disc of each in the legend).
    assert_eq!(svg.matches("fill=\"#d55e00\" stroke").count(), 41);
    assert_eq!(svg.matches("fill=\"#0072b2\" stroke").count(), 41);
    assert!(svg.contains(">class 0</text>") && svg.contains(">class 1</text>"));
}

#[test]
fn curves_svg_draws_loss_and_accuracy() {
    let loss: Vec<f64> = (0..50).map(|i| 1.0 / (1.0 + i as f64)).collect();
    let acc: Vec<f64> = (0..50).map(|i| (i as f64 / 49.0).min(1.0)).collect();
    let svg = viz::curves_svg(&loss, &acc, "training");
    check_balanced(&svg);
    assert!(svg.contains(">training</text>"));
    assert!(svg.contains(">loss (log scale)</text>"));
    assert!(svg.contains(">accuracy</text>"));
    assert!(svg.contains(">100%</text>"));
    // Loss and accuracy lines, each through all 50 points.
    let lines: Vec<&str> = svg.lines().filter(|l| l.starts_with("<polyline")).collect();
    let long: Vec<&&str> = lines
        .iter()
        .filter(|l| l.matches(',').count() == 50)
        .collect();
    assert_eq!(long.len(), 2);
    // Without accuracy, and with nothing at all, it still draws.
    let svg = viz::curves_svg(&[0.5, 0.4, f64::NAN, 0.3], &[], "t");
    check_balanced(&svg);
    assert!(!svg.contains("100%"));
    assert!(svg.contains(">loss</text>"));
    let svg = viz::curves_svg(&[], &[], "empty");
    check_balanced(&svg);
    assert!(svg.contains("no steps recorded"));
}

fn png_size(path: &std::path::Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    (info.width, info.height)
}

#[test]
fn saves_svg_and_png_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let (pts, labels) = moons();
    let b = Boundary::compute(&pts, 20, |x, _| usize::from(x > 0.5));
    let svg = dir.path().join("b.svg");
    let png = dir.path().join("b.PNG");
    viz::save_boundary(&svg, &b, &pts, &labels, "t").unwrap();
    viz::save_boundary(&png, &b, &pts, &labels, "t").unwrap();
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    assert_eq!(png_size(&png), (1200, 1160));

    let loss = [1.0, 0.5, 0.25];
    let c = dir.path().join("c.png");
    viz::save_curves(&c, &loss, &[0.5, 0.75, 1.0], "t").unwrap();
    assert_eq!(png_size(&c), (1440, 880));
    let noext = dir.path().join("curves");
    viz::save_curves(&noext, &loss, &[], "t").unwrap();
    assert!(std::fs::read_to_string(&noext).unwrap().starts_with("<svg"));

    let err = viz::save_curves(&dir.path().join("c.jpg"), &loss, &[], "t").unwrap_err();
    assert!(
        err.to_string().contains("c.jpg") && err.to_string().contains(".png"),
        "{err}"
    );
    let err = viz::save_boundary(&dir.path().join("x/y.png"), &b, &pts, &labels, "t").unwrap_err();
    assert!(err.to_string().contains("x/y.png"), "{err}");
}

#[test]
fn graph_reads_left_to_right() {
    let (_, _, g) = readme_example();
    let l = viz::graph_layout(g).unwrap();
    let centre = |kind: NodeKind| {
        let b = l.boxes.iter().find(|b| b.kind == kind).unwrap();
        b.x + b.w / 2.0
    };
    for (k, op) in l.model.ops.iter().enumerate() {
        let x_op = centre(NodeKind::Op(k));
        assert!(x_op < centre(NodeKind::Value(op.result)));
        for &i in &op.inputs {
            assert!(centre(NodeKind::Value(i)) < x_op);
        }
    }
    // The root is the rightmost box.
    let root = centre(NodeKind::Value(l.model.values.len() - 1));
    assert!(l.boxes.iter().all(|b| b.x + b.w / 2.0 <= root));
}

#[test]
fn far_apart_uses_are_laid_out_fast_or_refused() {
    // x + x + ... + x: x feeds operations ever further away; its edges share one chain of
    // virtual nodes, so 200 terms (refused before) are drawn.
    let x = Value::new(1.0).with_label("x");
    let mut y = x;
    for _ in 1..200 {
        y += x;
    }
    let l = viz::graph_layout(y).unwrap();
    assert!(l.stats.virtual_nodes < 400, "{:?}", l.stats);
    // 330 leaves summed twice, in order: each leaf is used ~660 columns apart, 217,798
    // virtual nodes in all: refused with a hint, before any layout work.
    let xs = Value::leaves(&[0.5; 330]);
    let mut c = xs[0] + xs[1];
    for &v in xs[2..].iter().chain(&xs) {
        c += v;
    }
    let err = viz::to_svg(c).unwrap_err().to_string();
    assert!(err.contains("--dot") && err.contains("217798"), "{err}");
}
