//! The seeded generators and mini-batches: deterministic per seed, right counts, balanced
//! classes, the right shapes.

use micrograd::data::{Batches, Dataset, blobs, circles, moons, spiral};

fn bits(d: &Dataset) -> Vec<u64> {
    d.features.iter().flatten().map(|x| x.to_bits()).collect()
}

#[test]
fn same_seed_same_numbers_other_seed_other_numbers() {
    type Gen = fn(u64) -> Dataset;
    let gens: [(&str, Gen); 4] = [
        ("moons", |s| moons(100, 0.1, s)),
        ("circles", |s| circles(100, 0.1, s)),
        ("blobs", |s| blobs(100, 3, 1.0, s)),
        ("spiral", |s| spiral(300, 3, 0.2, s)),
    ];
    for (name, g) in gens {
        assert_eq!(bits(&g(7)), bits(&g(7)), "{name}");
        assert_eq!(g(7).classes, g(7).classes, "{name}");
        assert_ne!(bits(&g(7)), bits(&g(8)), "{name}");
    }
}

/// `a` and `b` agree to a relative 1e-15 (ln, cos and sin of the platform's libm may
/// differ in the last bit; the random bits and everything else are exact).
fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-15 * x.abs().max(y.abs()))
}

#[test]
fn pinned_numbers_are_the_same_on_every_machine() {
    // ChaCha8 (stream 1 of the seed) + Box-Muller from next_u64() only: these are the
    // numbers everywhere, up to the last bit of ln/cos/sin.
    let cases: [(Vec<f64>, &[f64]); 5] = [
        (
            moons(6, 0.1, 0).features[0].to_vec(),
            &[0.9874792559572242, 0.11344013200670838],
        ),
        (
            moons(6, 0.1, 0).features[1].to_vec(),
            &[0.02507257142634721, 1.0640667110025748],
        ),
        (
            circles(6, 0.1, 0).features[1].to_vec(),
            &[-0.4749274285736526, 0.9300921147870136],
        ),
        (
            blobs(6, 3, 1.0, 0).features[0].to_vec(),
            &[3.874792559572242, 1.1344013200670837],
        ),
        (
            spiral(6, 3, 0.2, 0).features[1].to_vec(),
            &[-0.8844376668203315, -0.46665834773355147],
        ),
    ];
    for (got, want) in cases {
        assert!(close(&got, want), "{got:?} != {want:?}");
    }
}

#[test]
fn data_weights_and_batches_use_different_streams_of_the_seed() {
    use micrograd::data::SeededRng;
    let mut weights = SeededRng::new(5);
    let mut data = SeededRng::with_stream(5, SeededRng::DATA_STREAM);
    let mut batches = SeededRng::with_stream(5, SeededRng::BATCH_STREAM);
    let (w, d, b) = (weights.next_u64(), data.next_u64(), batches.next_u64());
    assert!(w != d && d != b && w != b);
    // Stream 0 is the weights' stream, unchanged: MLP::new's first weight.
    use micrograd::nn::{Activation, MLP};
    let first = MLP::with_activation(2, &[1], Activation::Relu, 5).weights()[0];
    assert_eq!(first, 2.0 * (w >> 11) as f64 / (1u64 << 53) as f64 - 1.0);
}

#[test]
fn counts_and_class_balance() {
    assert_eq!(moons(100, 0.1, 1).class_counts(), [50, 50]);
    assert_eq!(moons(7, 0.1, 1).class_counts(), [4, 3]);
    assert_eq!(circles(100, 0.1, 1).class_counts(), [50, 50]);
    assert_eq!(blobs(100, 2, 1.0, 1).class_counts(), [50, 50]);
    assert_eq!(blobs(10, 4, 1.0, 1).class_counts(), [3, 3, 2, 2]);
    assert_eq!(spiral(300, 3, 0.2, 1).class_counts(), [100, 100, 100]);
    assert_eq!(spiral(100, 5, 0.2, 1).class_counts(), [20; 5]);
    for d in [
        moons(50, 0.1, 2),
        circles(50, 0.1, 2),
        blobs(50, 3, 1.0, 2),
        spiral(50, 3, 0.2, 2),
    ] {
        assert_eq!(d.len(), 50);
        assert_eq!(d.n_features(), 2);
        assert_eq!(d.feature_names, ["x0", "x1"]);
        assert!(d.features.iter().flatten().all(|x| x.is_finite()));
    }
    assert_eq!(spiral(30, 3, 0.2, 0).class_names, ["0", "1", "2"]);
}

#[test]
fn shapes_without_noise() {
    // moons: class 0 on the unit circle's upper half, class 1 on (1 - cos t, 0.5 - sin t)
    let d = moons(20, 0.0, 0);
    for (x, &c) in d.features.iter().zip(&d.classes) {
        let (cx, cy) = if c == 0 { (0.0, 0.0) } else { (1.0, 0.5) };
        let r = ((x[0] - cx).powi(2) + (x[1] - cy).powi(2)).sqrt();
        assert!((r - 1.0).abs() < 1e-12, "{x:?}");
    }
    assert_eq!(d.features[0], [1.0, 0.0]);
    // circles: radius 1 then 0.5
    let d = circles(20, 0.0, 0);
    for (x, &c) in d.features.iter().zip(&d.classes) {
        let r = x[0].hypot(x[1]);
        assert!((r - [1.0, 0.5][c]).abs() < 1e-12, "{x:?}");
    }
    // spiral: the radius grows from 0 to 1 along each arm
    let d = spiral(30, 3, 0.0, 0);
    assert_eq!(d.features[9][0].hypot(d.features[9][1]), 1.0);
    assert!((d.features[10][0].hypot(d.features[10][1])).abs() < 1e-15);
    // blobs: the class means sit near the centres on the circle of radius 4
    let d = blobs(3000, 3, 1.0, 0);
    for c in 0..3 {
        let rows: Vec<&[f64]> = d
            .features
            .iter()
            .zip(&d.classes)
            .filter(|(_, k)| **k == c)
            .map(|(x, _)| x)
            .collect();
        let mx = rows.iter().map(|x| x[0]).sum::<f64>() / rows.len() as f64;
        let my = rows.iter().map(|x| x[1]).sum::<f64>() / rows.len() as f64;
        let a = std::f64::consts::TAU * c as f64 / 3.0;
        assert!(
            (mx - 4.0 * a.cos()).abs() < 0.1 && (my - 4.0 * a.sin()).abs() < 0.1,
            "class {c}: ({mx}, {my})"
        );
    }
}

#[test]
fn batches_shuffle_per_seed_and_cover_each_epoch() {
    let mut b = Batches::new(10, 4, 0);
    let got: Vec<Vec<usize>> = (0..4).map(|_| b.next_batch().to_vec()).collect();
    assert_eq!(
        got,
        [
            vec![7, 6, 2, 1],
            vec![9, 4, 0, 5],
            vec![8, 3],
            vec![5, 3, 1, 8]
        ]
    );
    let mut b = Batches::new(10, 4, 0);
    let mut epoch: Vec<usize> = (0..3).flat_map(|_| b.next_batch().to_vec()).collect();
    epoch.sort();
    assert_eq!(epoch, (0..10).collect::<Vec<_>>());
    let mut other = Batches::new(10, 4, 1);
    assert_ne!(other.next_batch(), &got[0][..]);
    let mut full = Batches::new(5, 100, 3);
    assert!(full.is_full());
    assert_eq!(full.next_batch(), [0, 1, 2, 3, 4]);
    assert_eq!(full.next_batch(), [0, 1, 2, 3, 4]);
}

#[test]
fn generators_by_name_with_their_defaults() {
    use micrograd::data::Generator;
    use micrograd::nn::{NameKind, UnknownName};
    let names: Vec<String> = Generator::ALL.iter().map(|g| g.to_string()).collect();
    assert_eq!(names, ["moons", "circles", "blobs", "spiral"]);
    for g in Generator::ALL {
        assert_eq!(g.name().parse::<Generator>(), Ok(g));
        assert_eq!(g.name().to_uppercase().parse::<Generator>(), Ok(g));
    }
    assert_eq!(
        "swiss-roll".parse::<Generator>(),
        Err(UnknownName {
            kind: NameKind::Generator,
            given: "swiss-roll".into(),
            expected: vec!["moons", "circles", "blobs", "spiral"],
        })
    );
    assert_eq!(
        "swiss-roll".parse::<Generator>().unwrap_err().to_string(),
        "unknown data generator `swiss-roll` (expected one of: moons, circles, blobs, spiral)"
    );
    let defaults: Vec<(usize, f64, usize, bool)> = Generator::ALL
        .iter()
        .map(|g| {
            (
                g.default_samples(),
                g.default_noise(),
                g.default_classes(),
                g.has_classes(),
            )
        })
        .collect();
    assert_eq!(
        defaults,
        [
            (100, 0.1, 2, false),
            (100, 0.1, 2, false),
            (100, 1.0, 2, true),
            (300, 0.2, 3, true),
        ]
    );
    // With the defaults: the plain generators' numbers.
    assert_eq!(
        Generator::Moons.generate(None, None, None, 3).unwrap(),
        moons(100, 0.1, 3)
    );
    assert_eq!(
        Generator::Circles
            .generate(Some(40), Some(0.0), None, 3)
            .unwrap(),
        circles(40, 0.0, 3)
    );
    assert_eq!(
        Generator::Blobs.generate(None, None, None, 3).unwrap(),
        blobs(100, 2, 1.0, 3)
    );
    assert_eq!(
        Generator::Spiral
            .generate(Some(50), None, Some(5), 3)
            .unwrap(),
        spiral(50, 5, 0.2, 3)
    );
    // The extremes allowed.
    let d = Generator::Blobs
        .generate(Some(2), None, Some(2), 0)
        .unwrap();
    assert_eq!(d.class_counts(), [1, 1]);
    assert_eq!(
        Generator::Moons
            .generate(Some(micrograd::data::MAX_SAMPLES), None, None, 0)
            .unwrap()
            .len(),
        1_000_000
    );
}

#[test]
fn generator_parameters_are_checked_with_typed_errors() {
    use micrograd::data::{DataError, Generator};
    /// The generator, its samples, noise and classes, the error and its message.
    type Case = (
        Generator,
        Option<usize>,
        Option<f64>,
        Option<usize>,
        DataError,
        &'static str,
    );
    let cases: [Case; 8] = [
        (
            Generator::Moons,
            Some(1),
            None,
            None,
            DataError::SampleCount {
                generator: Generator::Moons,
                samples: 1,
                allowed: 2..=1_000_000,
            },
            "moons: cannot generate 1 example (from 2 to 1,000,000 are allowed)",
        ),
        (
            Generator::Spiral,
            Some(1_000_001),
            None,
            None,
            DataError::SampleCount {
                generator: Generator::Spiral,
                samples: 1_000_001,
                allowed: 2..=1_000_000,
            },
            "spiral: cannot generate 1000001 examples (from 2 to 1,000,000 are allowed)",
        ),
        (
            Generator::Circles,
            None,
            Some(-0.5),
            None,
            DataError::Noise {
                generator: Generator::Circles,
                noise: -0.5,
            },
            "circles: the noise must be a number >= 0, not -0.5",
        ),
        (
            Generator::Blobs,
            None,
            Some(f64::INFINITY),
            None,
            DataError::Noise {
                generator: Generator::Blobs,
                noise: f64::INFINITY,
            },
            "blobs: the noise must be a number >= 0, not inf",
        ),
        (
            Generator::Moons,
            None,
            None,
            Some(2),
            DataError::FixedClasses {
                generator: Generator::Moons,
                classes: 2,
                fixed: 2,
            },
            "moons: cannot generate 2 classes (moons always has 2; the number of classes can be \
             chosen for blobs and spiral only)",
        ),
        (
            Generator::Blobs,
            None,
            None,
            Some(1),
            DataError::ClassCount {
                generator: Generator::Blobs,
                classes: 1,
                allowed: 2..=100,
            },
            "blobs: cannot generate 1 class (at least 2 are needed)",
        ),
        (
            Generator::Spiral,
            None,
            None,
            Some(301),
            DataError::ClassCount {
                generator: Generator::Spiral,
                classes: 301,
                allowed: 2..=300,
            },
            "spiral: cannot generate 301 classes from 300 examples (each class needs at least \
             one example)",
        ),
        (
            // The first failure wins: the samples before the classes.
            Generator::Spiral,
            Some(0),
            Some(-1.0),
            Some(0),
            DataError::SampleCount {
                generator: Generator::Spiral,
                samples: 0,
                allowed: 2..=1_000_000,
            },
            "spiral: cannot generate 0 examples (from 2 to 1,000,000 are allowed)",
        ),
    ];
    for (g, samples, noise, classes, error, message) in cases {
        let e = g.generate(samples, noise, classes, 1).unwrap_err();
        assert_eq!(e, error);
        assert_eq!(e.to_string(), message);
        assert!(!message.contains("--"), "no flag names: {message}");
    }
    // NaN noise: refused (and a NaN in the error is never equal to itself).
    assert!(matches!(
        Generator::Moons.generate(None, Some(f64::NAN), None, 1),
        Err(DataError::Noise { noise, .. }) if noise.is_nan()
    ));
}
