//! The derivative as the lecture first defines it: `(f(x + h) - f(x - h)) / 2h`, next to the
//! engine's answer.

use super::tape::Tape;
use super::value::Value;

/// One input's gradient, computed two ways.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheck {
    /// Central finite difference `(f(x+h) - f(x-h)) / 2h`.
    pub numeric: f64,
    /// The gradient from [`Value::backward`].
    pub analytic: f64,
}

impl GradCheck {
    /// `|numeric - analytic| / max(1, |numeric|, |analytic|)`.
    pub fn error(&self) -> f64 {
        (self.numeric - self.analytic).abs() / 1f64.max(self.numeric.abs()).max(self.analytic.abs())
    }
}

/// Evaluates `f` at `point` and returns, for each input, the numeric gradient (central
/// differences with step `h`) beside the analytic one. Every node it makes is released
/// before it returns.
///
/// ```
/// use micrograd::engine::gradcheck;
///
/// let checks = gradcheck(|x| (x[0] * x[1]).tanh() + x[0].pow(3.0), &[0.3, -1.2], 1e-6);
/// for c in &checks {
///     assert!(c.error() < 1e-6, "{c:?}");
/// }
/// ```
pub fn gradcheck(f: impl Fn(&[Value]) -> Value, point: &[f64], h: f64) -> Vec<GradCheck> {
    let _scope = Tape::scope();
    let eval = |p: &[f64]| {
        let _s = Tape::scope();
        f(&Value::leaves(p)).data()
    };
    let inputs = Value::leaves(point);
    f(&inputs).backward();
    let mut p = point.to_vec();
    (0..point.len())
        .map(|i| {
            p[i] = point[i] + h;
            let up = eval(&p);
            p[i] = point[i] - h;
            let down = eval(&p);
            p[i] = point[i];
            GradCheck {
                numeric: (up - down) / (2.0 * h),
                analytic: inputs[i].grad(),
            }
        })
        .collect()
}
