//! `train` with its step replayed (`TrainConfig::replay`, batched across the examples) gives
//! the numbers of a graph rebuilt every step, to the bit: losses, accuracies, weights.

use micrograd::data::{self, Dataset};
use micrograd::nn::Activation;
use micrograd::nn::optim::OptimizerKind;
use micrograd::train::{LossKind, TrainConfig, TrainReport, train};

fn run(data: &Dataset, cfg: &TrainConfig, replay: bool) -> TrainReport {
    let cfg = TrainConfig {
        replay,
        ..cfg.clone()
    };
    train(data, &cfg, |_| {}).unwrap()
}

fn assert_same(a: &TrainReport, b: &TrainReport, what: &str) {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(
        bits(&a.loss_history),
        bits(&b.loss_history),
        "{what}: losses"
    );
    assert_eq!(a.accuracy_history, b.accuracy_history, "{what}: accuracies");
    assert_eq!(
        bits(&a.classifier.model.weights()),
        bits(&b.classifier.model.weights()),
        "{what}: weights"
    );
    assert_eq!(a.loss.to_bits(), b.loss.to_bits(), "{what}: final loss");
}

/// micrograd's demo, 100 steps: the replayed run is the rebuilt run, bit for bit.
#[test]
fn the_demo_replayed_equals_the_demo_rebuilt() {
    let data = data::demo_moons();
    let cfg = TrainConfig::default();
    assert!(cfg.replay, "replay is the default");
    let (replayed, rebuilt) = (run(&data, &cfg, true), run(&data, &cfg, false));
    assert_same(&replayed, &rebuilt, "demo");
    assert_eq!(replayed.accuracy, 1.0);
}

/// Every loss that replays (svm, mse, bce), every activation, three optimizers, full batch
/// and mini-batches (with a shorter last batch of each epoch, which is rebuilt): equal.
#[test]
fn replay_equals_rebuild_for_losses_optimizers_and_batches() {
    let data = data::moons(45, 0.2, 5);
    for loss in [LossKind::Svm, LossKind::Mse, LossKind::Bce] {
        for (activation, optimizer, lr) in [
            (Activation::Relu, OptimizerKind::Sgd, 0.5),
            (Activation::Tanh, OptimizerKind::Momentum, 0.1),
            (Activation::Sigmoid, OptimizerKind::Adam, 0.01),
        ] {
            for batch_size in [None, Some(16), Some(15)] {
                let cfg = TrainConfig {
                    hidden: vec![6, 5],
                    activation,
                    loss,
                    optimizer,
                    lr,
                    steps: 12,
                    batch_size,
                    seed: 3,
                    ..TrainConfig::default()
                };
                let what = format!("{loss} {activation} {optimizer:?} {batch_size:?}");
                assert_same(&run(&data, &cfg, true), &run(&data, &cfg, false), &what);
            }
        }
    }
}

/// Softmax cross-entropy is not replayed (its graph depends on the values); the flag does
/// not change it.
#[test]
fn cross_entropy_trains_the_same_with_either_flag() {
    let data = data::spiral(60, 3, 0.2, 1);
    let cfg = TrainConfig {
        loss: LossKind::Ce,
        optimizer: OptimizerKind::Adam,
        lr: 0.01,
        steps: 5,
        ..TrainConfig::default()
    };
    assert_same(&run(&data, &cfg, true), &run(&data, &cfg, false), "ce");
}
