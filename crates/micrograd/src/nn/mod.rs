//! Neural networks on top of the engine: modules, losses, optimizers and model files.
//!
//! - [`module`]: the [`Module`] trait, [`Activation`], [`Neuron`] and [`Layer`].
//! - [`mlp`]: the multi-layer perceptron [`MLP`] and its architecture [`MlpSpec`].
//! - [`loss`]: mean squared error, SVM max-margin, binary and softmax cross-entropy, L2.
//! - [`optim`]: SGD, SGD with momentum, Adam, and learning-rate [`Schedule`](optim::Schedule)s.
//! - [`model`]: saving and loading models (JSON), and exporting weights for PyTorch
//!   (safetensors).
//! - [`UnknownName`]: the error of every `FromStr` of a named choice (`"gelu".parse::<Activation>()`).
//!
//! micrograd's moons demo, one step:
//!
//! ```
//! use micrograd::nn::{loss, optim::{Optimizer, Sgd}, Module, MLP};
//! use micrograd::{Tape, Value};
//!
//! let model = MLP::new(2, &[16, 16, 1]); // 337 parameters, ReLU hidden layers, linear output
//! let xs = [[1.0, 0.5], [-0.3, 0.8]];
//! let ys = [1.0, -1.0];
//! let _step = Tape::scope(); // the nodes of this step are released at the end of it
//! let scores: Vec<Value> = xs.iter().map(|x| model.forward(&Value::leaves(x))[0]).collect();
//! let total = loss::svm(&scores, &ys) + loss::l2(&model.parameters(), 1e-4);
//! model.zero_grad();
//! total.backward();
//! Sgd.step(&model.parameters(), 1.0);
//! ```

pub mod loss;
pub mod mlp;
pub mod model;
pub mod module;
mod name;
pub mod optim;

pub use mlp::{LayerSpec, MLP, MlpSpec};
pub use model::ModelError;
pub use module::{Activation, Layer, Module, Neuron};
pub(crate) use name::parse_name;
pub use name::{NameKind, UnknownName};
