//! Data sets: generators, CSV loading, batches (not written yet).
