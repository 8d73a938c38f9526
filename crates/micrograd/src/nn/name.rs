//! [`UnknownName`]: the one error of every `FromStr` of a named choice (an activation, a
//! loss, an optimizer, a schedule, a data generator).

use std::fmt;

/// What kind of name an [`UnknownName`] was meant to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameKind {
    /// An [`Activation`](super::Activation).
    Activation,
    /// A [`LossKind`](crate::train::LossKind).
    Loss,
    /// An [`OptimizerKind`](super::optim::OptimizerKind).
    Optimizer,
    /// A [`Schedule`](super::optim::Schedule).
    Schedule,
    /// A [`Generator`](crate::data::Generator).
    Generator,
}

impl NameKind {
    /// The kind in words, as messages say it (`"loss"`, `"data generator"`).
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::Activation => "activation",
            NameKind::Loss => "loss",
            NameKind::Optimizer => "optimizer",
            NameKind::Schedule => "schedule",
            NameKind::Generator => "data generator",
        }
    }
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is none of the accepted ones: what kind of name, the text given, and the
/// names accepted (in their documented order).
///
/// ```
/// use micrograd::nn::{NameKind, UnknownName};
/// let e = "hinge".parse::<micrograd::train::LossKind>().unwrap_err();
/// assert_eq!(e.kind, NameKind::Loss);
/// assert_eq!(e.given, "hinge");
/// assert_eq!(e.expected, ["svm", "mse", "sse", "bce", "ce"]);
/// assert_eq!(e.to_string(), "unknown loss `hinge` (expected one of: svm, mse, sse, bce, ce)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// What kind of name it was meant to be.
    pub kind: NameKind,
    /// The text given.
    pub given: String,
    /// The names accepted.
    pub expected: Vec<&'static str>,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} `{}` (expected one of: {})",
            self.kind,
            crate::text::escape(&self.given),
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownName {}

/// The item of `all` whose `name` is `s`, ignoring ASCII case; else an [`UnknownName`]
/// listing every name of `all`.
pub(crate) fn parse_name<T: Copy>(
    s: &str,
    kind: NameKind,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, UnknownName> {
    all.iter()
        .copied()
        .find(|&t| name(t).eq_ignore_ascii_case(s))
        .ok_or_else(|| UnknownName {
            kind,
            given: s.to_string(),
            expected: all.iter().map(|&t| name(t)).collect(),
        })
}
