//! The building blocks: the [`Module`] trait, [`Activation`]s, [`Neuron`] and [`Layer`].

use std::fmt;
use std::str::FromStr;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::Rng;

use super::name::{NameKind, UnknownName, parse_name};
use crate::engine::{NeuronParts, Op, OpCode, SpanNeuron, Value};

/// Something with trainable parameters, as micrograd's `Module`.
pub trait Module {
    /// Every trainable parameter, in a fixed order (for a neuron: its weights, then its bias).
    fn parameters(&self) -> Vec<Value>;

    /// Sets every parameter's gradient to 0 (micrograd's `p.grad = 0`); call before `backward`.
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.set_grad(0.0)
        }
    }
}

/// The non-linearity applied after a neuron's weighted sum.
///
/// Parses from and prints as `relu`, `tanh`, `sigmoid`, `linear`:
///
/// ```
/// use micrograd::nn::Activation;
/// assert_eq!("tanh".parse::<Activation>().unwrap(), Activation::Tanh);
/// assert_eq!(Activation::Relu.to_string(), "relu");
/// assert!("gelu".parse::<Activation>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Activation {
    /// `max(x, 0)`: micrograd's hidden layers.
    Relu,
    /// `tanh(x)`: the lecture's neurons.
    Tanh,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// The identity: micrograd's output layer.
    Linear,
}

impl Activation {
    /// Every activation, in declaration order.
    pub const ALL: [Activation; 4] = [
        Activation::Relu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Linear,
    ];

    /// The engine operation applying the activation (`None` for [`Activation::Linear`]).
    pub(crate) fn op(self) -> Option<Op> {
        match self {
            Activation::Relu => Some(Op::Relu),
            Activation::Tanh => Some(Op::Tanh),
            Activation::Sigmoid => Some(Op::Sigmoid),
            Activation::Linear => None,
        }
    }

    /// Applies the activation (no node for [`Activation::Linear`]).
    #[inline]
    pub fn apply(self, x: Value) -> Value {
        match self {
            Activation::Relu => x.relu(),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Linear => x,
        }
    }

    /// The lowercase name used on the command line and in model files (`"relu"`).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Linear => "linear",
        }
    }

    /// The name in micrograd's repr of a neuron (`"ReLU"` in `ReLUNeuron(2)`).
    pub fn repr_name(self) -> &'static str {
        match self {
            Activation::Relu => "ReLU",
            Activation::Tanh => "Tanh",
            Activation::Sigmoid => "Sigmoid",
            Activation::Linear => "Linear",
        }
    }

    /// The PyTorch module that applies it (`"nn.ReLU()"`), for [`Activation::Linear`]
    /// `"nn.Identity()"`.
    pub fn torch_module(self) -> &'static str {
        match self {
            Activation::Relu => "nn.ReLU()",
            Activation::Tanh => "nn.Tanh()",
            Activation::Sigmoid => "nn.Sigmoid()",
            Activation::Linear => "nn.Identity()",
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Activation {
    type Err = UnknownName;

    /// Parses `relu`, `tanh`, `sigmoid` or `linear` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name(s, NameKind::Activation, &Activation::ALL, Activation::name)
    }
}

/// A uniform number in `[-1, 1)` from 53 random bits (the same on every machine).
pub(crate) fn uniform_pm1(rng: &mut ChaCha8Rng) -> f64 {
    2.0 * crate::data::unit_from_bits(rng.next_u64()) - 1.0
}

/// One neuron: `act(w · x + b)`.
///
/// As micrograd's `nn.py`, the weights start uniform in `[-1, 1]` and the bias at 0.
pub struct Neuron {
    w: Vec<Value>,
    b: Value,
    act: Activation,
    /// `Some` if the weights are consecutive nodes (as `Neuron::new` makes them): the layer
    /// then reads them as one slice (see `Value::span_neurons`).
    span: Option<SpanNeuron>,
}

impl Neuron {
    /// A neuron of `nin` inputs with weights drawn from `rng` (uniform in `[-1, 1)`) and bias 0.
    pub fn new(nin: usize, act: Activation, rng: &mut ChaCha8Rng) -> Neuron {
        let w = (0..nin).map(|_| Value::new(uniform_pm1(rng))).collect();
        Neuron::from_values(w, Value::new(0.0), act)
    }

    /// A neuron made of existing parameters (weights `w`, bias `b`), e.g. leaves of a gradient
    /// check.
    pub fn from_values(w: Vec<Value>, b: Value, act: Activation) -> Neuron {
        Neuron {
            span: Value::span(&w).map(|s| (s, b, act.op().map(OpCode::of))),
            w,
            b,
            act,
        }
    }

    /// `act(w · x + b)`, with the weighted sum and bias as one `affine` node.
    ///
    /// Panics if `x.len()` is not the number of inputs (a programming error).
    #[inline]
    #[track_caller]
    pub fn forward(&self, x: &[Value]) -> Value {
        self.check_nin(x.len());
        self.act.apply(Value::affine(&self.w, x, self.b))
    }

    /// Panics unless the neuron has `n` inputs (a programming error).
    #[inline]
    #[track_caller]
    fn check_nin(&self, n: usize) {
        assert_eq!(
            n,
            self.w.len(),
            "micrograd: a Neuron of {} inputs was given {} inputs",
            self.w.len(),
            n
        );
    }

    /// The weights.
    pub fn weights(&self) -> &[Value] {
        &self.w
    }

    /// The bias.
    pub fn bias(&self) -> Value {
        self.b
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.act
    }

    /// The number of inputs.
    pub fn nin(&self) -> usize {
        self.w.len()
    }

    /// Labels the parameters for graph pictures: `{prefix}.w0`, `{prefix}.w1`, ... and
    /// `{prefix}.b` (see [`MLP::label_parameters`](super::MLP::label_parameters)).
    pub fn label_parameters(&self, prefix: &str) {
        for (i, w) in self.w.iter().enumerate() {
            w.set_label(format!("{prefix}.w{i}"));
        }
        self.b.set_label(format!("{prefix}.b"));
    }
}

impl Module for Neuron {
    fn parameters(&self) -> Vec<Value> {
        let mut p = self.w.clone();
        p.push(self.b);
        p
    }
}

impl fmt::Display for Neuron {
    /// micrograd's repr: `ReLUNeuron(2)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Neuron({})", self.act.repr_name(), self.w.len())
    }
}

/// A layer of neurons that all see the same inputs.
pub struct Layer {
    neurons: Vec<Neuron>,
    /// If every neuron's weights are a span, of one number of inputs (at least 1), the
    /// neurons in that form, made once: `forward` then makes `AffineSpan` nodes, with one
    /// input-count check.
    spans: Option<Vec<SpanNeuron>>,
}

impl Layer {
    /// `nout` neurons of `nin` inputs each, drawn from `rng` one neuron after the other.
    pub fn new(nin: usize, nout: usize, act: Activation, rng: &mut ChaCha8Rng) -> Layer {
        Layer::from_neurons((0..nout).map(|_| Neuron::new(nin, act, rng)).collect())
    }

    /// A layer made of existing neurons.
    pub fn from_neurons(neurons: Vec<Neuron>) -> Layer {
        let nin = neurons.first().map_or(0, Neuron::nin);
        let spans = if nin > 0 && neurons.iter().all(|n| n.nin() == nin) {
            neurons.iter().map(|n| n.span).collect()
        } else {
            None
        };
        Layer { neurons, spans }
    }

    /// Each neuron's output, in order: the numbers of [`Neuron::forward`], to the bit, made
    /// neuron after neuron in one tape access. If every neuron's weights are consecutive
    /// nodes (as [`Neuron::new`] makes them), the pre-activations are made in a compact
    /// form of [`Op::Affine`] that lists the layer's inputs once and reads each neuron's
    /// weights as one slice; otherwise as `Neuron::forward` makes them.
    ///
    /// Panics if `x.len()` is not the neurons' number of inputs (a programming error).
    #[track_caller]
    pub fn forward(&self, x: &[Value]) -> Vec<Value> {
        if let Some(spans) = &self.spans {
            self.neurons[0].check_nin(x.len());
            Value::span_neurons(spans, x)
        } else {
            for n in &self.neurons {
                n.check_nin(x.len());
            }
            let parts: Vec<NeuronParts<'_>> = self
                .neurons
                .iter()
                .map(|n| (&n.w[..], n.b, n.act.op()))
                .collect();
            Value::neurons(&parts, x)
        }
    }

    /// The neurons.
    pub fn neurons(&self) -> &[Neuron] {
        &self.neurons
    }

    /// The number of outputs (neurons).
    pub fn nout(&self) -> usize {
        self.neurons.len()
    }

    /// Labels the parameters of layer number `layer` (counted from 1) for graph pictures:
    /// neuron `n` (from 1) gets `L{layer}.N{n}.w0`, ... and `L{layer}.N{n}.b` (see
    /// [`MLP::label_parameters`](super::MLP::label_parameters)).
    pub fn label_parameters(&self, layer: usize) {
        for (n, neuron) in self.neurons.iter().enumerate() {
            neuron.label_parameters(&format!("L{layer}.N{}", n + 1));
        }
    }
}

impl Module for Layer {
    fn parameters(&self) -> Vec<Value> {
        self.neurons.iter().flat_map(|n| n.parameters()).collect()
    }
}

impl fmt::Display for Layer {
    /// micrograd's repr: `Layer of [ReLUNeuron(2), ReLUNeuron(2)]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Layer of [")?;
        for (i, n) in self.neurons.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n}")?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Tape;
    use rand_chacha::rand_core::SeedableRng;

    /// A layer of neurons made by `Neuron::new` makes the engine's span form of `affine`;
    /// one of scattered weights makes plain `affine` nodes (the numbers are compared bit for
    /// bit in `tests/engine_nary.rs`).
    #[test]
    fn layers_of_new_neurons_use_the_span_form() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let span = Layer::new(3, 2, Activation::Tanh, &mut rng);
        let scattered = Layer::from_neurons(
            span.neurons()
                .iter()
                .map(|n| {
                    let w = n.weights().iter().rev().copied().collect();
                    Neuron::from_values(w, n.bias(), n.activation())
                })
                .collect(),
        );
        let _s = Tape::scope();
        let x = Value::leaves(&[0.1, 0.2, 0.3]);
        let code = |y: Value| crate::engine::op_code_of(y.node().inputs[0]);
        assert_eq!(code(span.forward(&x)[0]), OpCode::AffineSpan);
        assert_eq!(code(scattered.forward(&x)[0]), OpCode::Affine);
    }
}
