//! Random graphs: the SVG layout never fails, never overlaps boxes, and the DOT has one
//! record per ancestor and one edge per operand and result.

use micrograd::Value;
use micrograd::viz::{self, GraphModel};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// 48 cases from a fixed seed: the same cases on every run and machine.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        rng_seed: RngSeed::Fixed(1337),
        ..ProptestConfig::default()
    }
}

/// Builds a graph from `steps`: each step picks an operation and operands among the values
/// made so far (so values are shared, as in real models). Returns the last value.
fn build(leaves: usize, steps: &[(u8, usize, usize, usize)]) -> Value {
    let mut vals: Vec<Value> = (0..leaves)
        .map(|i| Value::new(i as f64 * 0.5 - 1.0).with_label(format!("x{i}")))
        .collect();
    for &(op, i, j, k) in steps {
        let n = vals.len();
        let (a, b, c) = (vals[i % n], vals[j % n], vals[k % n]);
        let v = match op % 9 {
            0 => a + b,
            1 => a * b,
            2 => a.tanh(),
            3 => a * 2.0,
            4 => 1.0 - a,
            5 => a.pow(2.0),
            6 => Value::sum(&[a, b, c]),
            7 => Value::dot(&[a, b], &[c, a]),
            _ => a.relu() + b.exp().tanh(),
        };
        vals.push(v);
    }
    let root = *vals.last().expect("at least one leaf");
    root.backward();
    root
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_graphs_lay_out_without_overlap(
        leaves in 1usize..5,
        steps in prop::collection::vec((any::<u8>(), any::<usize>(), any::<usize>(), any::<usize>()), 0..60),
    ) {
        let root = build(leaves, &steps);
        let model = GraphModel::of(root);
        prop_assert_eq!(model.values.len(), root.ancestors().len());
        let dot = viz::to_dot(root);
        prop_assert_eq!(dot.matches("shape=record").count(), model.values.len());
        prop_assert_eq!(dot.matches(" -> ").count(), model.edge_count());
        let l = viz::graph_layout(root).unwrap();
        prop_assert_eq!(l.boxes.len(), model.values.len() + model.ops.len());
        for (i, p) in l.boxes.iter().enumerate() {
            prop_assert!(p.x >= 0.0 && p.y >= 0.0);
            prop_assert!(p.x + p.w <= l.size.0 && p.y + p.h <= l.size.1);
            for q in &l.boxes[i + 1..] {
                prop_assert!(!p.overlaps(q), "{:?} overlaps {:?}", p, q);
            }
        }
    }
}
