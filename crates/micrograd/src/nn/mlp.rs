//! The multi-layer perceptron [`MLP`] and its architecture [`MlpSpec`].

use std::fmt;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

use super::model::{ModelError, ModelErrorKind};
use super::module::{Activation, Layer, Module, Neuron};
use crate::engine::{Tape, Value};

/// One layer of an [`MlpSpec`]: its number of neurons and their activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LayerSpec {
    /// Number of neurons (outputs).
    pub nout: usize,
    /// Their activation.
    pub activation: Activation,
}

/// The architecture of an [`MLP`] (no weights): plain data, `Send`, serializable.
///
/// ```
/// use micrograd::nn::{Activation, MlpSpec};
/// let spec = MlpSpec::new(2, &[16, 16, 1], Activation::Relu);
/// assert_eq!(spec.num_parameters(), 337);
/// assert_eq!(spec.layers[2].activation, Activation::Linear);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MlpSpec {
    /// Number of inputs.
    pub nin: usize,
    /// The layers, input side first.
    pub layers: Vec<LayerSpec>,
}

impl MlpSpec {
    /// `nouts.len()` layers: `hidden` activation on all but the last, which is linear
    /// (micrograd's `MLP(nin, nouts)` with `hidden = Relu`).
    pub fn new(nin: usize, nouts: &[usize], hidden: Activation) -> MlpSpec {
        let last = nouts.len().saturating_sub(1);
        MlpSpec {
            nin,
            layers: nouts
                .iter()
                .enumerate()
                .map(|(i, &nout)| LayerSpec {
                    nout,
                    activation: if i == last {
                        Activation::Linear
                    } else {
                        hidden
                    },
                })
                .collect(),
        }
    }

    /// `nouts.len()` layers, all with activation `act`, the output layer too: the lecture's
    /// `MLP(3, [4, 4, 1])`, whose neurons are all tanh.
    pub fn all(nin: usize, nouts: &[usize], act: Activation) -> MlpSpec {
        MlpSpec {
            nin,
            layers: nouts
                .iter()
                .map(|&nout| LayerSpec {
                    nout,
                    activation: act,
                })
                .collect(),
        }
    }

    /// The number of outputs (the last layer's size; 0 without layers).
    pub fn nout(&self) -> usize {
        self.layers.last().map_or(0, |l| l.nout)
    }

    /// The number of parameters: `(nin + 1) * nout` per layer. Saturates at `usize::MAX`.
    pub fn num_parameters(&self) -> usize {
        self.checked_num_parameters().unwrap_or(usize::MAX)
    }

    fn checked_num_parameters(&self) -> Option<usize> {
        let mut nin = self.nin;
        let mut total = 0usize;
        for l in &self.layers {
            total = total.checked_add(nin.checked_add(1)?.checked_mul(l.nout)?)?;
            nin = l.nout;
        }
        Some(total)
    }

    /// Checks that the spec describes a usable network: at least one input, at least one layer,
    /// every layer at least one neuron, and a parameter count that fits in memory.
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |m: String| Err(ModelError::new(ModelErrorKind::Architecture(m)));
        if self.nin == 0 {
            return bad("the network has 0 inputs (nin must be at least 1)".into());
        }
        if self.layers.is_empty() {
            return bad("the network has no layers".into());
        }
        if let Some(i) = self.layers.iter().position(|l| l.nout == 0) {
            return bad(format!("layer {i} has 0 neurons"));
        }
        match self.checked_num_parameters() {
            Some(n) if n <= u32::MAX as usize / 2 => Ok(()),
            _ => bad("the network has too many parameters (more than 2^31)".into()),
        }
    }
}

/// A multi-layer perceptron, as micrograd's `MLP`.
///
/// ```
/// use micrograd::nn::{Module, MLP};
/// let model = MLP::new(2, &[16, 16, 1]);
/// assert_eq!(model.parameters().len(), 337);
/// assert!(model.to_string().starts_with("MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2),"));
/// assert!(model.to_string().ends_with("Layer of [LinearNeuron(16)]]"));
/// let y = model.forward_f64(&[0.5, -1.0]);
/// assert_eq!(y.len(), 1);
/// ```
pub struct MLP {
    nin: usize,
    layers: Vec<Layer>,
}

impl MLP {
    /// The seed of [`MLP::new`]: the year of micrograd's demo notebook's seed, `1337`.
    pub const DEFAULT_SEED: u64 = 1337;

    /// micrograd's `MLP(nin, nouts)`: ReLU hidden layers, a linear output layer, weights
    /// uniform in `[-1, 1)` from [`MLP::DEFAULT_SEED`], biases 0.
    ///
    /// Panics if `nin` is 0, `nouts` is empty or holds a 0 (a programming error).
    pub fn new(nin: usize, nouts: &[usize]) -> MLP {
        MLP::with_activation(nin, nouts, Activation::Relu, MLP::DEFAULT_SEED)
    }

    /// Like [`MLP::new`] with the hidden layers' activation and the seed chosen (the output
    /// layer stays linear). `Activation::Tanh` gives the lecture's network.
    ///
    /// Panics if `nin` is 0, `nouts` is empty or holds a 0 (a programming error).
    pub fn with_activation(nin: usize, nouts: &[usize], hidden: Activation, seed: u64) -> MLP {
        MLP::init(&MlpSpec::new(nin, nouts, hidden), seed)
    }

    /// A network of any architecture, weights uniform in `[-1, 1)` from a
    /// `ChaCha8Rng::seed_from_u64(seed)`, drawn layer by layer, neuron by neuron, and biases 0.
    ///
    /// Panics if the spec is not valid ([`MlpSpec::validate`]): a programming error.
    pub fn init(spec: &MlpSpec, seed: u64) -> MLP {
        if let Err(e) = spec.validate() {
            panic!("micrograd: MLP::init with an invalid spec: {e}");
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut nin = spec.nin;
        let mut layers = Vec::with_capacity(spec.layers.len());
        for l in &spec.layers {
            layers.push(Layer::new(nin, l.nout, l.activation, &mut rng));
            nin = l.nout;
        }
        MLP {
            nin: spec.nin,
            layers,
        }
    }

    /// A network of the given architecture whose parameters are the given values, in
    /// [`Module::parameters`] order (used to check gradients with respect to them).
    ///
    /// Returns an error if the spec is invalid or `params` has the wrong length.
    pub fn from_values(spec: &MlpSpec, params: &[Value]) -> Result<MLP, ModelError> {
        spec.validate()?;
        let expected = spec.num_parameters();
        if params.len() != expected {
            return Err(ModelError::new(ModelErrorKind::WeightCount {
                expected,
                found: params.len(),
            }));
        }
        let mut it = params.iter().copied();
        let mut nin = spec.nin;
        let mut layers = Vec::with_capacity(spec.layers.len());
        for l in &spec.layers {
            let neurons = (0..l.nout)
                .map(|_| {
                    let w: Vec<Value> = it.by_ref().take(nin).collect();
                    let b = it.next().expect("counted above");
                    Neuron::from_values(w, b, l.activation)
                })
                .collect();
            layers.push(Layer::from_neurons(neurons));
            nin = l.nout;
        }
        Ok(MLP {
            nin: spec.nin,
            layers,
        })
    }

    /// Rebuilds a network from its architecture and weights (for example on another thread,
    /// whose tape is separate): new leaves holding `weights`, in [`Module::parameters`] order.
    ///
    /// Returns an error if the spec is invalid or the number of weights does not match it.
    pub fn from_spec(spec: &MlpSpec, weights: &[f64]) -> Result<MLP, ModelError> {
        spec.validate()?;
        let expected = spec.num_parameters();
        if weights.len() != expected {
            return Err(ModelError::new(ModelErrorKind::WeightCount {
                expected,
                found: weights.len(),
            }));
        }
        MLP::from_values(spec, &Value::leaves(weights))
    }

    /// The network's outputs for inputs `x` (micrograd's `model(x)`, always a `Vec`).
    ///
    /// Panics if `x.len() != self.nin()` (a programming error: check input widths first).
    pub fn forward(&self, x: &[Value]) -> Vec<Value> {
        assert_eq!(
            x.len(),
            self.nin,
            "micrograd: an MLP of {} inputs was given {} inputs",
            self.nin,
            x.len()
        );
        let mut h = self.layers[0].forward(x);
        for layer in &self.layers[1..] {
            h = layer.forward(&h);
        }
        h
    }

    /// The outputs as numbers, with no node left on the tape (the nodes made are released).
    /// The numbers are exactly those of [`MLP::forward`].
    ///
    /// Panics if `x.len() != self.nin()` (a programming error).
    pub fn forward_f64(&self, x: &[f64]) -> Vec<f64> {
        let _scope = Tape::scope();
        self.forward(&Value::leaves(x))
            .iter()
            .map(|v| v.data())
            .collect()
    }

    /// The architecture.
    pub fn spec(&self) -> MlpSpec {
        MlpSpec {
            nin: self.nin,
            layers: self
                .layers
                .iter()
                .map(|l| LayerSpec {
                    nout: l.nout(),
                    activation: l.neurons()[0].activation(),
                })
                .collect(),
        }
    }

    /// Every parameter's number, in [`Module::parameters`] order.
    pub fn weights(&self) -> Vec<f64> {
        self.parameters().iter().map(|p| p.data()).collect()
    }

    /// Overwrites every parameter's number, in [`Module::parameters`] order.
    ///
    /// Panics if `w.len()` is not the number of parameters (a programming error; file input
    /// goes through [`MLP::from_spec`], which returns an error instead).
    pub fn set_weights(&self, w: &[f64]) {
        let params = self.parameters();
        assert_eq!(
            w.len(),
            params.len(),
            "micrograd: MLP::set_weights was given {} weights for {} parameters",
            w.len(),
            params.len()
        );
        for (p, &x) in params.iter().zip(w) {
            p.set_data(x);
        }
    }

    /// Every parameter's gradient, in [`Module::parameters`] order (a data-parallel worker
    /// sends these back to be summed).
    pub fn grads(&self) -> Vec<f64> {
        self.parameters().iter().map(|p| p.grad()).collect()
    }

    /// Overwrites every parameter's gradient, in [`Module::parameters`] order (before an
    /// optimizer step with gradients computed elsewhere).
    ///
    /// Panics if `g.len()` is not the number of parameters (a programming error).
    pub fn set_grads(&self, g: &[f64]) {
        let params = self.parameters();
        assert_eq!(
            g.len(),
            params.len(),
            "micrograd: MLP::set_grads was given {} gradients for {} parameters",
            g.len(),
            params.len()
        );
        for (p, &x) in params.iter().zip(g) {
            p.set_grad(x);
        }
    }

    /// The number of inputs.
    pub fn nin(&self) -> usize {
        self.nin
    }

    /// The number of outputs.
    pub fn nout(&self) -> usize {
        self.layers.last().map_or(0, |l| l.nout())
    }

    /// The layers, input side first.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Labels every parameter by its place, for graph pictures: `L2.N3.w0` is layer 2's
    /// neuron 3's weight on input 0, `L2.N3.b` its bias. Layers and neurons are counted from
    /// 1, as a learner counts them; a weight's number is that of the input it multiplies
    /// (from 0, as `n.w[0]` in Python). Labels live on the tape beside the values
    /// ([`Value::set_label`]); calling it again sets the same labels.
    ///
    /// ```
    /// use micrograd::nn::{MLP, Module};
    /// let n = MLP::new(3, &[4, 4, 1]);
    /// n.label_parameters();
    /// let p = n.parameters();
    /// assert_eq!(p[0].label().as_deref(), Some("L1.N1.w0"));
    /// assert_eq!(p[3].label().as_deref(), Some("L1.N1.b"));
    /// assert_eq!(p[40].label().as_deref(), Some("L3.N1.b"));
    /// ```
    pub fn label_parameters(&self) {
        for (i, l) in self.layers.iter().enumerate() {
            l.label_parameters(i + 1);
        }
    }

    /// The number of parameters.
    pub fn num_parameters(&self) -> usize {
        self.layers
            .iter()
            .flat_map(|l| l.neurons())
            .map(|n| n.nin() + 1)
            .sum()
    }
}

impl Module for MLP {
    fn parameters(&self) -> Vec<Value> {
        let mut p = Vec::with_capacity(self.num_parameters());
        for l in &self.layers {
            for n in l.neurons() {
                p.extend_from_slice(n.weights());
                p.push(n.bias());
            }
        }
        p
    }
}

impl fmt::Display for MLP {
    /// micrograd's repr: `MLP of [Layer of [ReLUNeuron(2), ...], ...]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MLP of [")?;
        for (i, l) in self.layers.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{l}")?;
        }
        f.write_str("]")
    }
}

impl fmt::Debug for MLP {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
