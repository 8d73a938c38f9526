//! Loss functions, each returning one [`Value`] to call `backward` on.
//!
//! Every loss is a mean over the examples (`sum * (1/n)`, as micrograd's demo). Each panics
//! on misuse (slices of different lengths, no examples, a class out of range): check data
//! when it is read, before training.

use std::ops::{Mul, Sub};

use crate::engine::Value;

/// `sum(losses) * (1/n)`, as micrograd's demo.
fn mean(losses: &[Value], what: &str) -> Value {
    assert!(
        !losses.is_empty(),
        "micrograd: loss::{what} of zero examples"
    );
    Value::sum(losses) * (1.0 / losses.len() as f64)
}

fn check_len(a: usize, b: usize, what: &str) {
    assert_eq!(
        a, b,
        "micrograd: loss::{what} was given {a} predictions and {b} targets"
    );
}

/// Mean squared error `mean((pred - target)^2)`.
///
/// The lecture sums the squares instead of averaging them (`sum = n * mean`: the same
/// minimum, a step `n` times larger).
///
/// ```
/// use micrograd::{nn::loss, Value};
/// let pred = Value::leaves(&[1.0, 3.0]);
/// let l = loss::mse(&pred, &[0.0, 1.0]);
/// l.backward();
/// assert_eq!(l.data(), 2.5); // (1 + 4) / 2
/// assert_eq!(pred[1].grad(), 2.0); // 2 * (3 - 1) / 2
/// ```
pub fn mse(pred: &[Value], target: &[f64]) -> Value {
    mse_of(pred, target)
}

/// [`mse`] with targets that are numbers or leaves (a recorded step whose examples change:
/// `train`'s replay); the same numbers either way (`p - t` is `p - t`).
pub(crate) fn mse_of<T: Copy>(pred: &[Value], target: &[T]) -> Value
where
    Value: Sub<T, Output = Value>,
{
    check_len(pred.len(), target.len(), "mse");
    assert!(!pred.is_empty(), "micrograd: loss::mse of zero examples");
    let diffs: Vec<Value> = pred.iter().zip(target).map(|(&p, &t)| p - t).collect();
    Value::dot(&diffs, &diffs) * (1.0 / pred.len() as f64)
}

/// SVM max-margin loss `mean(relu(1 - y * score))` for labels `y` in {-1, +1}
/// (micrograd's demo).
///
/// ```
/// use micrograd::{nn::loss, Value};
/// let s = Value::leaves(&[2.0, 0.5, 0.5]);
/// let l = loss::svm(&s, &[1.0, 1.0, -1.0]);
/// assert_eq!(l.data(), (0.0 + 0.5 + 1.5) / 3.0);
/// ```
pub fn svm(scores: &[Value], y: &[f64]) -> Value {
    svm_of(scores, y)
}

/// [`svm`] with labels that are numbers or leaves (see [`mse_of`]).
pub(crate) fn svm_of<T: Copy>(scores: &[Value], y: &[T]) -> Value
where
    Value: Mul<T, Output = Value>,
{
    check_len(scores.len(), y.len(), "svm");
    let losses: Vec<Value> = scores
        .iter()
        .zip(y)
        .map(|(&s, &yi)| (1.0 - s * yi).relu())
        .collect();
    mean(&losses, "svm")
}

/// Binary cross-entropy of logits `z` and labels `y` in {0, 1}:
/// `mean(-y log σ(z) - (1 - y) log(1 - σ(z)))`, computed stably as
/// `max(z, 0) - z y + log(1 + e^{-|z|})` (no overflow for any `z`; the gradient is
/// `σ(z) - y`, also at `z = 0`, because `-|z|` is built as `z - 2 max(z, 0)`).
/// The engine has no `log1p`: for `|z| > 37` the term `log(1 + e^{-|z|})` rounds to 0, an
/// absolute error below `1e-16` in the value (the gradient keeps its `e^{-|z|}` part).
///
/// ```
/// use micrograd::{nn::loss, Value};
/// let z = Value::leaves(&[1000.0, -1000.0]);
/// let l = loss::bce_with_logits(&z, &[1.0, 1.0]);
/// l.backward();
/// assert_eq!(l.data(), 500.0); // 0 for the first, 1000 for the second
/// assert_eq!((z[0].grad(), z[1].grad()), (0.0, -0.5));
/// ```
pub fn bce_with_logits(logits: &[Value], y: &[f64]) -> Value {
    bce_with_logits_of(logits, y)
}

/// [`bce_with_logits`] with labels that are numbers or leaves (see [`mse_of`]).
pub(crate) fn bce_with_logits_of<T: Copy>(logits: &[Value], y: &[T]) -> Value
where
    Value: Mul<T, Output = Value> + Mul<f64, Output = Value>,
{
    check_len(logits.len(), y.len(), "bce_with_logits");
    let losses: Vec<Value> = logits
        .iter()
        .zip(y)
        .map(|(&z, &yi)| {
            let pos = z.relu(); // max(z, 0)
            let neg_abs = z - pos * 2.0; // -|z|, exactly
            let softplus_tail = (neg_abs.exp() + 1.0).log(); // log(1 + e^{-|z|}) in (0, ln 2]
            pos + softplus_tail - z * yi
        })
        .collect();
    mean(&losses, "bce_with_logits")
}

/// Softmax cross-entropy for several classes: `mean(log(sum_j e^{z_j}) - z_class)`.
///
/// Stable: each example's largest logit (a constant, its number) is subtracted before `exp`.
/// The gradient with respect to the logits is `softmax(z) - onehot(class)`, over `n`.
///
/// Panics if the slices differ in length, an example has no logits, or a class is out of
/// range (a programming error: check labels when reading data).
///
/// ```
/// use micrograd::{nn::loss, Value};
/// let z = Value::leaves(&[1.0, 2.0, 3.0]);
/// let l = loss::softmax_cross_entropy(&[z.clone()], &[2]);
/// assert!((l.data() - 0.40760596444438).abs() < 1e-12);
/// ```
pub fn softmax_cross_entropy(logits: &[Vec<Value>], classes: &[usize]) -> Value {
    check_len(logits.len(), classes.len(), "softmax_cross_entropy");
    let losses: Vec<Value> = logits
        .iter()
        .zip(classes)
        .map(|(z, &c)| {
            assert!(
                c < z.len(),
                "micrograd: loss::softmax_cross_entropy: class {c} of an example with {} logits",
                z.len()
            );
            let max = z.iter().map(|v| v.data()).fold(f64::NEG_INFINITY, f64::max);
            let exps: Vec<Value> = z.iter().map(|&v| (v - max).exp()).collect();
            Value::sum(&exps).log() - (z[c] - max)
        })
        .collect();
    mean(&losses, "softmax_cross_entropy")
}

/// L2 regularization `alpha * sum(p * p)` (micrograd's demo uses `alpha = 1e-4`), as one
/// `dot` node.
///
/// ```
/// use micrograd::{nn::loss, Value};
/// let p = Value::leaves(&[3.0, -4.0]);
/// let r = loss::l2(&p, 0.5);
/// r.backward();
/// assert_eq!(r.data(), 12.5);
/// assert_eq!(p[1].grad(), -4.0); // 2 * alpha * p
/// ```
pub fn l2(params: &[Value], alpha: f64) -> Value {
    Value::dot(params, params) * alpha
}

/// The fraction of examples whose score has the sign of its label (±1), as micrograd's demo:
/// `(y > 0) == (score > 0)`.
///
/// ```
/// assert_eq!(micrograd::nn::loss::sign_accuracy(&[0.3, -2.0, 1.0], &[1.0, 1.0, -1.0]), 1.0 / 3.0);
/// ```
pub fn sign_accuracy(scores: &[f64], y: &[f64]) -> f64 {
    check_len(scores.len(), y.len(), "sign_accuracy");
    if scores.is_empty() {
        return 0.0;
    }
    let right = scores
        .iter()
        .zip(y)
        .filter(|&(&s, &yi)| (yi > 0.0) == (s > 0.0))
        .count();
    right as f64 / scores.len() as f64
}

/// The softmax of numbers (probabilities that sum to 1), stable for large logits: for
/// predictions, off the tape.
///
/// ```
/// let p = micrograd::nn::loss::softmax(&[1000.0, 1000.0]);
/// assert_eq!(p, vec![0.5, 0.5]);
/// ```
pub fn softmax(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = logits.iter().map(|&z| (z - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}
