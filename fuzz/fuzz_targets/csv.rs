//! Fuzz target `csv`: see `micrograd_fuzz_checks::csv` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| micrograd_fuzz_checks::csv(data));
