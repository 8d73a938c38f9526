//! The expression language of `micrograd grad` (not written yet).
