//! One module per crate: its tape handling for W1 and W2, and its `relu`/`tanh`.

#[cfg(feature = "easy-ml")]
pub mod easy_ml;
#[cfg(feature = "echidna")]
pub mod echidna;
#[cfg(feature = "reverse")]
pub mod reverse;
#[cfg(feature = "xad-rs")]
pub mod xad;
