//! Fuzz target `predict_columns`: see `micrograd_fuzz_checks::predict_columns` for what it
//! checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| micrograd_fuzz_checks::predict_columns(data));
