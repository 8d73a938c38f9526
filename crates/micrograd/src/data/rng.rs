//! A seeded random source whose numbers are the same on every machine.
//!
//! Built on `ChaCha8Rng` and only its `next_u64()`, so the streams do not depend on
//! `rand`'s distribution code (which changes between versions).

use std::convert::Infallible;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng, TryRng};

/// A reproducible random source: the same seed gives the same numbers everywhere.
///
/// It is also a `rand_core` 0.10 generator (`Rng`), the one to give
/// [`Neuron::new`](crate::nn::Neuron::new) and [`Layer::new`](crate::nn::Layer::new) without
/// adding a crate: `SeededRng::new(seed)` draws the numbers of
/// `ChaCha8Rng::seed_from_u64(seed)`.
#[derive(Debug, Clone)]
pub struct SeededRng {
    inner: ChaCha8Rng,
}

impl SeededRng {
    /// A source seeded with `seed` (ChaCha stream 0, the one [`crate::nn::MLP::init`] draws
    /// its weights from).
    pub fn new(seed: u64) -> Self {
        SeededRng::with_stream(seed, 0)
    }

    /// A source seeded with `seed` on ChaCha stream `stream`: the streams of one seed are
    /// independent, so the uses of one `--seed` do not share numbers. The library's streams:
    /// 0 for initial weights, [`SeededRng::DATA_STREAM`] for generated data,
    /// [`SeededRng::BATCH_STREAM`] for the batch order.
    pub fn with_stream(seed: u64, stream: u64) -> Self {
        let mut inner = ChaCha8Rng::seed_from_u64(seed);
        inner.set_stream(stream);
        SeededRng { inner }
    }

    /// The stream of the data generators ([`crate::data::moons`], ...).
    pub const DATA_STREAM: u64 = 1;
    /// The stream of the mini-batch order ([`crate::data::Batches`]).
    pub const BATCH_STREAM: u64 = 2;

    /// The next raw 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A uniform number in `[0, 1)` with 53 random bits: the top 53 of `next_u64()`, over 2^53.
    pub fn uniform(&mut self) -> f64 {
        unit_from_bits(self.next_u64())
    }

    /// A standard normal number (mean 0, deviation 1), by the Box–Muller transform.
    pub fn normal(&mut self) -> f64 {
        // 1 - u is in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A uniform integer in `0..n`. Panics if `n == 0` (there is nothing to choose).
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "SeededRng::below(0): the range 0..0 is empty");
        // Lemire's multiply-shift: the bias is below n / 2^64, far too small to matter here.
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// The generator as `rand_core`'s: its raw bits, as [`SeededRng::next_u64`].
impl TryRng for SeededRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.inner.next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.inner.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.inner.fill_bytes(dst);
        Ok(())
    }
}

/// The uniform number in `[0, 1)` made of the top 53 of 64 random bits: the one conversion
/// from bits to numbers in the library (data, batches and initial weights).
pub(crate) fn unit_from_bits(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_is_in_range_and_reproducible() {
        let mut a = SeededRng::new(7);
        let mut b = SeededRng::new(7);
        for _ in 0..1000 {
            let x = a.uniform();
            assert!((0.0..1.0).contains(&x));
            assert_eq!(x.to_bits(), b.uniform().to_bits());
        }
    }

    #[test]
    fn normal_has_roughly_unit_moments() {
        let mut r = SeededRng::new(1);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut r = SeededRng::new(3);
        let mut v: Vec<usize> = (0..50).collect();
        r.shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(v, sorted);
    }
}
