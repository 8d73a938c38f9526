//! A training step recorded once and replayed ([`TrainConfig::replay`](super::TrainConfig)):
//! the graph of a batch has the same shape at every step (the same model, the same batch
//! size), so [`Recording::record_batched`] records it once and later steps replay it, the
//! examples side by side. The numbers are those of the rebuilt graph, to the bit.
//!
//! The recording's examples are leaves: each lane's inputs, and its target (a leaf instead
//! of the constant the rebuilt graph uses: `s * y` gives the same bits either way, and so do
//! the gradients of everything but the target). A step on another batch of the same size
//! writes that batch's features and targets into them.

use super::{LossKind, Objective};
use crate::engine::{Recording, Value};
use crate::nn::{MLP, Module, loss};

/// A recorded step and its leaves.
pub(super) struct Replayed {
    rec: Recording,
    /// Per lane: the input leaves, the target leaf (binary losses) and the network's outputs.
    inputs: Vec<Vec<Value>>,
    targets: Vec<Value>,
    outputs: Vec<Vec<Value>>,
    /// The examples the lanes hold.
    batch: Vec<usize>,
}

impl Replayed {
    /// Whether a step with this loss can be replayed: its graph must not depend on the
    /// values. Softmax cross-entropy subtracts each example's largest logit as a constant,
    /// so its graph changes with the weights.
    pub(super) fn supports(loss: LossKind) -> bool {
        loss != LossKind::Ce
    }

    /// Records the loss (plus L2) of `model` on the examples `batch`. Pre: the loss is
    /// [`supported`](Replayed::supports).
    pub(super) fn record(
        objective: &Objective<'_>,
        model: &MLP,
        params: &[Value],
        l2: f64,
        batch: &[usize],
    ) -> Replayed {
        let data = objective.data;
        let mut inputs = Vec::with_capacity(batch.len());
        let mut outputs = Vec::with_capacity(batch.len());
        let mut targets = Vec::with_capacity(batch.len());
        let rec = Recording::record_batched(|| {
            for &i in batch {
                let x = Value::leaves(&data.features[i]);
                outputs.push(model.forward(&x));
                inputs.push(x);
            }
            targets.extend(batch.iter().map(|&i| Value::new(objective.target(i))));
            let scores: Vec<Value> = outputs.iter().map(|o| o[0]).collect();
            let data_loss = match objective.loss {
                LossKind::Svm => loss::svm_of(&scores, &targets),
                LossKind::Mse => loss::mse_of(&scores, &targets),
                LossKind::Sse => loss::sse_of(&scores, &targets),
                LossKind::Bce => loss::bce_with_logits_of(&scores, &targets),
                LossKind::Ce => unreachable!("softmax cross-entropy is not replayed"),
            };
            if l2 > 0.0 {
                data_loss + loss::l2(params, l2)
            } else {
                data_loss
            }
        });
        // Nothing here reads the recording's hidden neurons: they need not reach the tape.
        rec.set_lean(true);
        Replayed {
            rec,
            inputs,
            targets,
            outputs,
            batch: batch.to_vec(),
        }
    }

    /// The number of examples of a step.
    pub(super) fn lanes(&self) -> usize {
        self.batch.len()
    }

    /// One step on `batch` (of [`lanes`](Replayed::lanes) examples): the loss (plus L2) and
    /// its gradient in the parameters' grads (zeroed first), and the accuracy on the batch.
    pub(super) fn step(
        &mut self,
        objective: &Objective<'_>,
        model: &MLP,
        batch: &[usize],
    ) -> (f64, f64) {
        debug_assert_eq!(batch.len(), self.lanes());
        if batch != self.batch {
            for ((&i, x), y) in batch.iter().zip(&self.inputs).zip(&self.targets) {
                for (v, &f) in x.iter().zip(&objective.data.features[i]) {
                    v.set_data(f);
                }
                y.set_data(objective.target(i));
            }
            self.batch.copy_from_slice(batch);
        }
        model.zero_grad();
        let loss = self.rec.replay();
        (loss, self.accuracy(objective))
    }

    /// Whether the lanes hold examples `0..n`, in order.
    pub(super) fn holds_all(&self, n: usize) -> bool {
        self.batch.len() == n && self.batch.iter().enumerate().all(|(k, &i)| k == i)
    }

    /// The loss (plus L2) and the accuracy on the examples the lanes hold, at the current
    /// weights, without a backward (the recorded graph's forward).
    pub(super) fn evaluate(&self, objective: &Objective<'_>) -> (f64, f64) {
        let loss = self.rec.forward();
        (loss, self.accuracy(objective))
    }

    /// The accuracy of the outputs the last forward left.
    fn accuracy(&self, objective: &Objective<'_>) -> f64 {
        let mut o = Vec::new();
        let right = self
            .outputs
            .iter()
            .zip(&self.batch)
            .filter(|(out, i)| {
                o.clear();
                o.extend(out.iter().map(|v| v.data()));
                objective.loss.classify(&o) == objective.data.classes[**i]
            })
            .count();
        right as f64 / self.batch.len() as f64
    }
}
