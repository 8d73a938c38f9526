//! Shuffled mini-batches.

use super::SeededRng;

/// Mini-batches of example indices: each epoch visits every example once, in an order
/// shuffled by the seed; the last batch of an epoch may be smaller. With a batch size of
/// at least the number of examples, every batch is the whole data set, in order.
///
/// ```
/// use micrograd::data::Batches;
///
/// let mut b = Batches::new(5, 2, 42);
/// let epoch: Vec<Vec<usize>> = (0..3).map(|_| b.next_batch().to_vec()).collect();
/// let mut seen: Vec<usize> = epoch.concat();
/// seen.sort();
/// assert_eq!(seen, [0, 1, 2, 3, 4]);
/// assert_eq!(epoch[2].len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Batches {
    order: Vec<usize>,
    size: usize,
    pos: usize,
    rng: SeededRng,
}

impl Batches {
    /// Batches of `size` over `n` examples, shuffled by `seed` (its ChaCha stream
    /// [`SeededRng::BATCH_STREAM`], independent of the weights' and the data's).
    ///
    /// Panics if `n == 0` or `size == 0` (there would be no batch to give).
    pub fn new(n: usize, size: usize, seed: u64) -> Self {
        assert!(n > 0, "Batches::new: no examples to batch");
        assert!(size > 0, "Batches::new: the batch size must be at least 1");
        Batches {
            order: (0..n).collect(),
            size: size.min(n),
            pos: n, // start a fresh epoch on the first call
            rng: SeededRng::with_stream(seed, SeededRng::BATCH_STREAM),
        }
    }

    /// Whether every batch is the whole data set.
    pub fn is_full(&self) -> bool {
        self.size == self.order.len()
    }

    /// The next batch's indices.
    pub fn next_batch(&mut self) -> &[usize] {
        if self.is_full() {
            return &self.order;
        }
        if self.pos >= self.order.len() {
            self.rng.shuffle(&mut self.order);
            self.pos = 0;
        }
        let end = (self.pos + self.size).min(self.order.len());
        let batch = &self.order[self.pos..end];
        self.pos = end;
        batch
    }
}
