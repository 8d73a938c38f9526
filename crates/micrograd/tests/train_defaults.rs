//! `TrainConfig::default_lr` converges for every loss, optimizer and generated data set
//! (the measured table: ARCHITECTURE.md, "Default learning rates"): 100 steps of the
//! default configuration with only the loss, the optimizer and the data changed reach a
//! good accuracy, lower the loss, and never trip the rising-loss watch.

use micrograd::data::{self, Dataset, Generator};
use micrograd::nn::Activation;
use micrograd::nn::optim::OptimizerKind;
use micrograd::train::{LossKind, LossWatch, TrainConfig, train};

fn datasets() -> Vec<(&'static str, Dataset)> {
    let g = |g: Generator, n: Option<usize>| g.generate(n, None, None, 1337).unwrap();
    vec![
        ("embedded moons", data::demo_moons()),
        ("moons", g(Generator::Moons, Some(100))),
        ("circles", g(Generator::Circles, None)),
        ("blobs", g(Generator::Blobs, None)),
        ("spiral", g(Generator::Spiral, None)),
    ]
}

/// Trains every loss on every data set it accepts with `optimizer`, hidden `activation` and
/// `output`, each on a thread of its own (a tape each); returns a line per run that fails
/// (an accuracy below `min_acc`, a final loss above `max_ratio` times the first step's,
/// a rising loss or an error).
fn failures(
    optimizer: OptimizerKind,
    activation: Activation,
    output: Activation,
    min_acc: f64,
    max_ratio: f64,
) -> Vec<String> {
    let mut jobs = Vec::new();
    for (name, d) in datasets() {
        for loss in LossKind::ALL {
            if loss.is_binary() && d.n_classes() != 2 {
                continue;
            }
            jobs.push((name, d.clone(), loss));
        }
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|(name, d, loss)| {
                s.spawn(move || {
                    let mut cfg = TrainConfig {
                        loss,
                        optimizer,
                        activation,
                        output_activation: output,
                        ..TrainConfig::default()
                    };
                    cfg.lr = cfg.default_lr(&d);
                    let what = format!("{loss} {optimizer} lr {} on {name}", cfg.lr);
                    let mut watch = LossWatch::default();
                    let mut warned = None;
                    let r = match train(&d, &cfg, |s| {
                        if let Some(g) = watch.observe(s.step, s.loss) {
                            warned = Some(g);
                        }
                    }) {
                        Ok(r) => r,
                        Err(e) => return Some(format!("{what}: {e}")),
                    };
                    let first = r.loss_history[0];
                    if let Some(g) = warned {
                        Some(format!("{what}: the loss rose: {g:?}"))
                    } else if r.accuracy < min_acc {
                        Some(format!("{what}: accuracy {}", r.accuracy))
                    } else if r.loss.is_nan() || r.loss >= max_ratio * first {
                        Some(format!("{what}: loss {first} -> {}", r.loss))
                    } else {
                        None
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect()
    })
}

#[test]
fn the_default_learning_rates_converge_for_every_loss_and_optimizer() {
    let mut all = Vec::new();
    for optimizer in OptimizerKind::ALL {
        all.extend(failures(
            optimizer,
            Activation::Relu,
            Activation::Linear,
            0.9,
            0.6,
        ));
    }
    assert!(all.is_empty(), "{all:#?}");
}

#[test]
fn the_lectures_all_tanh_network_trains_with_the_defaults() {
    // Tanh outputs bound the logits of bce and ce to (-1, 1), so their loss cannot go far
    // down (bce stays above log(1 + e^-1) = 0.31); blobs start near their minimum.
    let all = failures(
        OptimizerKind::Sgd,
        Activation::Tanh,
        Activation::Tanh,
        0.8,
        0.95,
    );
    assert!(all.is_empty(), "{all:#?}");
}

#[test]
fn default_lr_follows_the_loss_the_optimizer_and_the_data() {
    let demo = data::demo_moons();
    let blobs = Generator::Blobs.generate(None, None, None, 1337).unwrap();
    let lr = |loss, optimizer, batch_size, d: &Dataset| {
        TrainConfig {
            loss,
            optimizer,
            batch_size,
            ..TrainConfig::default()
        }
        .default_lr(d)
    };
    use LossKind::*;
    use OptimizerKind::*;
    // micrograd's demo keeps its rate.
    assert_eq!(lr(Svm, Sgd, None, &demo), 1.0);
    assert_eq!(lr(Mse, Sgd, None, &demo), 0.05);
    assert_eq!(lr(Sse, Sgd, None, &demo), 0.0005);
    assert_eq!(
        lr(Sse, Sgd, Some(4), &demo),
        0.0125,
        "0.05 / 4 examples a step"
    );
    assert_eq!(lr(Svm, Momentum, None, &demo), 0.1);
    assert_eq!(lr(Ce, Momentum, None, &demo), 0.3);
    assert_eq!(lr(Sse, Momentum, None, &demo), 0.0003);
    for loss in LossKind::ALL {
        assert_eq!(lr(loss, Adam, None, &blobs), 0.03, "{loss}");
    }
    // Blobs' mean square feature is 8.75: sgd and momentum scale down.
    assert_eq!(lr(Svm, Sgd, None, &blobs), 0.114);
    assert_eq!(lr(Mse, Momentum, None, &blobs), 0.00343);
}
