//! A frame of the training tab, drawn from a snapshot's weights with plain `f64`s (no tape,
//! so any thread can draw): the decision boundary as one byte per cell, a small picture
//! per hidden neuron, and the curves.
//!
//! Cell bytes: `class << 5 | level`, `level` 0..=31 the confidence (binary losses: `|score|`
//! capped at 1; cross-entropy: the winning class's softmax probability above chance). The
//! page colours them with `putImageData`. Neuron bytes: `128 + 127 * a / max|a|` over the
//! neuron's picture (sign and shape, not scale).

use micrograd::engine::Op;
use micrograd::nn::loss::softmax;
use micrograd::nn::{Activation, MlpSpec};
use micrograd::train::LossKind;

/// Cells across (and up) of the live decision boundary.
pub const BOUNDARY_CELLS: usize = 100;
/// Cells across (and up) of each hidden neuron's picture.
pub const NEURON_CELLS: usize = 12;

/// A network's weights with its architecture, evaluated with `f64`s in the engine's order
/// (the same sums as [`micrograd::nn::MLP::forward`]).
pub struct Net<'a> {
    /// The architecture.
    pub spec: &'a MlpSpec,
    /// The weights, in `Module::parameters` order.
    pub weights: &'a [f64],
}

fn activate(a: Activation, x: f64) -> f64 {
    match a {
        Activation::Relu => Op::Relu.forward(x, 0.0),
        Activation::Tanh => Op::Tanh.forward(x, 0.0),
        Activation::Sigmoid => Op::Sigmoid.forward(x, 0.0),
        _ => x,
    }
}

impl Net<'_> {
    /// The outputs for `x`; `hidden`, if given, receives every hidden neuron's activation,
    /// layer by layer.
    pub fn forward(&self, x: &[f64], mut hidden: Option<&mut Vec<f64>>) -> Vec<f64> {
        let mut input: Vec<f64> = x.to_vec();
        let mut p = 0;
        let last = self.spec.layers.len().saturating_sub(1);
        for (l, layer) in self.spec.layers.iter().enumerate() {
            let nin = input.len();
            let mut out = Vec::with_capacity(layer.nout);
            for _ in 0..layer.nout {
                let w = &self.weights[p..p + nin];
                let b = self.weights[p + nin];
                p += nin + 1;
                let mut s = 0.0;
                for (wi, xi) in w.iter().zip(&input) {
                    s += wi * xi;
                }
                out.push(activate(layer.activation, s + b));
            }
            if l < last
                && let Some(h) = hidden.as_deref_mut()
            {
                h.extend_from_slice(&out);
            }
            input = out;
        }
        input
    }
}

/// Cell centres of an `n` x `n` grid over `extent` (`[x_min, x_max, y_min, y_max]`), row by
/// row from the top (the page's first row).
fn centres(extent: [f64; 4], n: usize) -> impl Iterator<Item = (f64, f64)> {
    let [x0, x1, y0, y1] = extent;
    let dx = (x1 - x0) / n as f64;
    let dy = (y1 - y0) / n as f64;
    (0..n).flat_map(move |row| {
        (0..n).map(move |col| (x0 + (col as f64 + 0.5) * dx, y1 - (row as f64 + 0.5) * dy))
    })
}

/// The class and confidence level (0..=31) of a network's outputs under `loss`.
pub fn cell(loss: LossKind, out: &[f64]) -> (usize, u8) {
    if loss.is_binary() {
        let s = out[0];
        let level = if s.is_finite() {
            (s.abs().min(1.0) * 31.0).round() as u8
        } else {
            0
        };
        (usize::from(s > 0.0), level)
    } else {
        let p = softmax(out);
        let c = loss.classify(out);
        let k = out.len() as f64;
        let conf = ((p[c] - 1.0 / k) / (1.0 - 1.0 / k)).clamp(0.0, 1.0);
        (
            c,
            if conf.is_finite() {
                (conf * 31.0).round() as u8
            } else {
                0
            },
        )
    }
}

/// The decision boundary: [`BOUNDARY_CELLS`]² bytes, rows from the top.
pub fn boundary(net: &Net, loss: LossKind, extent: [f64; 4]) -> Vec<u8> {
    centres(extent, BOUNDARY_CELLS)
        .map(|(x, y)| {
            let (c, level) = cell(loss, &net.forward(&[x, y], None));
            ((c.min(7) as u8) << 5) | level
        })
        .collect()
}

/// One picture per hidden neuron ([`NEURON_CELLS`]² bytes each), layer by layer.
pub fn neurons(net: &Net, extent: [f64; 4]) -> Vec<Vec<u8>> {
    let count: usize = net.spec.layers[..net.spec.layers.len().saturating_sub(1)]
        .iter()
        .map(|l| l.nout)
        .sum();
    let cells = NEURON_CELLS * NEURON_CELLS;
    let mut acts = vec![0.0f64; count * cells];
    let mut hidden = Vec::with_capacity(count);
    for (k, (x, y)) in centres(extent, NEURON_CELLS).enumerate() {
        hidden.clear();
        net.forward(&[x, y], Some(&mut hidden));
        for (j, a) in hidden.iter().enumerate() {
            acts[j * cells + k] = *a;
        }
    }
    acts.chunks(cells.max(1))
        .map(|pic| {
            let m = pic
                .iter()
                .filter(|a| a.is_finite())
                .fold(0.0f64, |m, a| m.max(a.abs()));
            pic.iter()
                .map(|a| {
                    if m > 0.0 && a.is_finite() {
                        (128.0 + 127.0 * a / m).round().clamp(0.0, 255.0) as u8
                    } else {
                        128
                    }
                })
                .collect()
        })
        .collect()
}

/// Standard base64 (RFC 4648, with padding): the bytes of a picture inside JSON.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// At most `max` points of a curve: every k-th value and the last, with k (so the page
/// can put step numbers on them).
pub fn decimate(values: &[f64], max: usize) -> (usize, Vec<f64>) {
    let n = values.len();
    if n <= max {
        return (1, values.to_vec());
    }
    let every = n.div_ceil(max.max(1));
    let mut out: Vec<f64> = values.iter().step_by(every).copied().collect();
    if !(n - 1).is_multiple_of(every) {
        out.push(values[n - 1]);
    }
    (every, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use micrograd::nn::MLP;

    #[test]
    fn base64_matches_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[255, 254, 253]), "//79");
    }

    #[test]
    fn f64_forward_equals_the_engine() {
        let model = MLP::with_activation(2, &[5, 4, 3], Activation::Tanh, 7);
        let spec = model.spec();
        let weights = model.weights();
        let net = Net {
            spec: &spec,
            weights: &weights,
        };
        for x in [[0.3, -1.2], [2.0, 0.5], [-0.7, 0.0]] {
            let mut hidden = Vec::new();
            assert_eq!(net.forward(&x, Some(&mut hidden)), model.forward_f64(&x));
            assert_eq!(hidden.len(), 9);
        }
    }

    #[test]
    fn decimation_keeps_the_last() {
        let v: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(decimate(&v, 20), (1, v.clone()));
        assert_eq!(decimate(&v, 4), (3, vec![0.0, 3.0, 6.0, 9.0]));
        assert_eq!(decimate(&v, 3), (4, vec![0.0, 4.0, 8.0, 9.0]));
    }
}
