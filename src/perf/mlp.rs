//! A hand-built multi-layer perceptron for the workloads, as micrograd's `MLP`: every neuron
//! is `relu(w . x + b)` (linear in the last layer), weights uniform in [-1, 1] from a seed,
//! biases 0.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

use crate::engine::Value;

/// One layer's neurons: weights `w[j]` and bias `b[j]` of neuron `j`.
#[derive(Clone, Debug)]
struct Layer {
    w: Vec<Vec<Value>>,
    b: Vec<Value>,
    relu: bool,
}

/// A multi-layer perceptron whose parameters are leaves on this thread's tape.
///
/// ```
/// use micrograd::{Value, perf::Mlp};
/// let model = Mlp::new(&[2, 16, 16, 1], 1337);
/// assert_eq!(model.parameters().len(), 337);
/// let out = model.forward(&[Value::new(0.5), Value::new(-1.0)]);
/// assert_eq!(out.len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct Mlp {
    layers: Vec<Layer>,
}

impl Mlp {
    /// An MLP with layer sizes `sizes` (inputs first), weights drawn from `seed`.
    ///
    /// Pre: `sizes.len() >= 2`. The parameters are made on this thread's tape: make the model
    /// before any `Tape::scope()` of a training step.
    pub fn new(sizes: &[usize], seed: u64) -> Mlp {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let weights = Mlp::draw_weights(sizes, &mut r);
        Mlp::from_weights(sizes, &weights)
    }

    fn draw_weights(sizes: &[usize], r: &mut ChaCha8Rng) -> Vec<f64> {
        let mut out = Vec::new();
        for pair in sizes.windows(2) {
            for _ in 0..pair[1] {
                for _ in 0..pair[0] {
                    let u = (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                    out.push(2.0 * u - 1.0);
                }
                out.push(0.0);
            }
        }
        out
    }

    /// The number of parameters of an MLP with layer sizes `sizes`.
    pub fn parameter_count(sizes: &[usize]) -> usize {
        sizes.windows(2).map(|p| (p[0] + 1) * p[1]).sum()
    }

    /// An MLP with layer sizes `sizes` whose parameters (in [`parameters`](Mlp::parameters)
    /// order) are `weights`. Pre: `weights.len() == Mlp::parameter_count(sizes)`.
    pub fn from_weights(sizes: &[usize], weights: &[f64]) -> Mlp {
        assert!(sizes.len() >= 2, "micrograd: an Mlp needs at least 2 sizes");
        assert_eq!(
            weights.len(),
            Mlp::parameter_count(sizes),
            "micrograd: Mlp::from_weights got the wrong number of weights"
        );
        Mlp::from_params(sizes, &Value::leaves(weights))
    }

    /// An MLP with layer sizes `sizes` whose parameters are the given values (in
    /// [`parameters`](Mlp::parameters) order), shared, not copied.
    /// Pre: `params.len() == Mlp::parameter_count(sizes)`.
    pub fn from_params(sizes: &[usize], params: &[Value]) -> Mlp {
        assert!(sizes.len() >= 2, "micrograd: an Mlp needs at least 2 sizes");
        assert_eq!(
            params.len(),
            Mlp::parameter_count(sizes),
            "micrograd: Mlp::from_params got the wrong number of parameters"
        );
        let mut it = params.iter().copied();
        let last = sizes.len() - 2;
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(l, pair)| {
                let mut w = Vec::with_capacity(pair[1]);
                let mut b = Vec::with_capacity(pair[1]);
                for _ in 0..pair[1] {
                    w.push(it.by_ref().take(pair[0]).collect());
                    b.push(it.next().unwrap());
                }
                Layer {
                    w,
                    b,
                    relu: l != last,
                }
            })
            .collect();
        Mlp { layers }
    }

    /// The outputs for inputs `x` (one node per neuron: `dot`, `+ b`, `relu`).
    pub fn forward(&self, x: &[Value]) -> Vec<Value> {
        let mut x = x.to_vec();
        for layer in &self.layers {
            x = layer
                .w
                .iter()
                .zip(&layer.b)
                .map(|(w, &b)| {
                    let act = Value::dot(w, &x) + b;
                    if layer.relu { act.relu() } else { act }
                })
                .collect();
        }
        x
    }

    /// Every parameter, layer by layer, neuron by neuron, weights then bias (micrograd's order).
    pub fn parameters(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for layer in &self.layers {
            for (w, &b) in layer.w.iter().zip(&layer.b) {
                out.extend_from_slice(w);
                out.push(b);
            }
        }
        out
    }
}
