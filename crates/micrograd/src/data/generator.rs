//! [`Generator`]: the generated data sets by name, with their defaults and limits, and a
//! checked [`Generator::generate`].

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use super::{DataError, Dataset, blobs, circles, moons, spiral};
use crate::nn::{NameKind, UnknownName, parse_name};

/// The fewest examples [`Generator::generate`] makes.
pub const MIN_SAMPLES: usize = 2;
/// The most examples [`Generator::generate`] makes (a million 2-D examples take ~60 MB).
pub const MAX_SAMPLES: usize = 1_000_000;
/// The fewest classes of a generator whose number of classes can be chosen.
pub const MIN_CLASSES: usize = 2;

/// The seeded toy data sets, by name (`moons`, `circles`, `blobs`, `spiral`), with their
/// defaults.
///
/// ```
/// use micrograd::data::Generator;
///
/// let g: Generator = "spiral".parse().unwrap();
/// assert_eq!((g.default_samples(), g.default_noise(), g.default_classes()), (300, 0.2, 3));
/// let d = g.generate(None, None, Some(4), 7).unwrap();
/// assert_eq!((d.len(), d.n_classes()), (300, 4));
/// assert_eq!(d, micrograd::data::spiral(300, 4, 0.2, 7));
///
/// let e = Generator::Moons.generate(Some(1), None, None, 7).unwrap_err();
/// assert_eq!(e.to_string(), "moons: cannot generate 1 example (from 2 to 1,000,000 are allowed)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Generator {
    /// [`moons`]: two interleaving half circles (2 classes).
    Moons,
    /// [`circles`]: two concentric circles (2 classes).
    Circles,
    /// [`blobs`]: Gaussian blobs on a circle (any number of classes).
    Blobs,
    /// [`spiral`]: the spiral of CS231n (any number of arms).
    Spiral,
}

impl Generator {
    /// Every generator, in declaration order.
    pub const ALL: [Generator; 4] = [
        Generator::Moons,
        Generator::Circles,
        Generator::Blobs,
        Generator::Spiral,
    ];

    /// The lowercase name (`"moons"`).
    pub fn name(self) -> &'static str {
        match self {
            Generator::Moons => "moons",
            Generator::Circles => "circles",
            Generator::Blobs => "blobs",
            Generator::Spiral => "spiral",
        }
    }

    /// Examples made when none are asked for: 300 for the spiral (CS231n's), else 100.
    pub fn default_samples(self) -> usize {
        if self == Generator::Spiral { 300 } else { 100 }
    }

    /// The noise when none is given: moons and circles 0.1, blobs 1.0 (their spread), spiral
    /// 0.2 (CS231n's).
    pub fn default_noise(self) -> f64 {
        match self {
            Generator::Moons | Generator::Circles => 0.1,
            Generator::Blobs => 1.0,
            Generator::Spiral => 0.2,
        }
    }

    /// Whether the number of classes can be chosen (blobs and spiral; moons and circles
    /// always have 2).
    pub fn has_classes(self) -> bool {
        matches!(self, Generator::Blobs | Generator::Spiral)
    }

    /// The number of classes when none is given: 3 for the spiral, else 2.
    pub fn default_classes(self) -> usize {
        if self == Generator::Spiral { 3 } else { 2 }
    }

    /// The data set, seeded by `seed`, with each parameter given or its default.
    ///
    /// Checked, in this order (the first failure is the error):
    /// - `samples` in [`MIN_SAMPLES`]`..=`[`MAX_SAMPLES`], else [`DataError::SampleCount`];
    /// - `noise` a finite number `>= 0`, else [`DataError::Noise`];
    /// - `classes` only where [`has_classes`](Generator::has_classes) (else
    ///   [`DataError::FixedClasses`], even for `Some(2)`), at least [`MIN_CLASSES`] and at
    ///   most the number of examples (so each class gets at least one), else
    ///   [`DataError::ClassCount`]. The default is not checked against the examples: the
    ///   spiral's 3 arms from 2 examples leave the third arm empty (a named class with no
    ///   example).
    pub fn generate(
        self,
        samples: Option<usize>,
        noise: Option<f64>,
        classes: Option<usize>,
        seed: u64,
    ) -> Result<Dataset, DataError> {
        let n = samples.unwrap_or(self.default_samples());
        if !(MIN_SAMPLES..=MAX_SAMPLES).contains(&n) {
            return Err(DataError::SampleCount {
                generator: self,
                samples: n,
                allowed: MIN_SAMPLES..=MAX_SAMPLES,
            });
        }
        let noise = noise.unwrap_or(self.default_noise());
        if !(noise.is_finite() && noise >= 0.0) {
            return Err(DataError::Noise {
                generator: self,
                noise,
            });
        }
        if let Some(k) = classes
            && !self.has_classes()
        {
            return Err(DataError::FixedClasses {
                generator: self,
                classes: k,
                fixed: 2,
            });
        }
        if let Some(k) = classes {
            let allowed: RangeInclusive<usize> = MIN_CLASSES..=n;
            if !allowed.contains(&k) {
                return Err(DataError::ClassCount {
                    generator: self,
                    classes: k,
                    allowed,
                });
            }
        }
        let k = classes.unwrap_or(self.default_classes());
        Ok(match self {
            Generator::Moons => moons(n, noise, seed),
            Generator::Circles => circles(n, noise, seed),
            Generator::Blobs => blobs(n, k, noise, seed),
            Generator::Spiral => spiral(n, k, noise, seed),
        })
    }
}

impl fmt::Display for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Generator {
    type Err = UnknownName;

    /// Parses `moons`, `circles`, `blobs` or `spiral` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name(s, NameKind::Generator, &Generator::ALL, Generator::name)
    }
}
